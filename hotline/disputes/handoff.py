"""先由110处警，后续交属地调解: a 110 hand-off that is a dispute opens (or joins) a case at once."""
from __future__ import annotations

from aiohttp import web

from hotline import keys, wallclock
from hotline.disputes import flows, intake, service
from hotline.disputes.alerts import announce, police_p
from hotline.errors import ApiError
from routing.disputes import catalogue


async def from_110_handoff(app: web.Application, ticket_row, principal, mediation: bool | None) -> int | None:
    """先由110处警，后续交属地调解: a 110 hand-off that is a dispute opens (or joins) a case at once."""
    text = ticket_row["content"]
    if mediation is False or (mediation is None and not catalogue.is_dispute(text)):
        return None
    now = wallclock.now(app)
    async with app[keys.POOL].acquire() as conn, conn.transaction():
        _, fields, parties = await intake.ticket_fields(conn, ticket_row["id"])
        fields.update(source="110", source_ref=ticket_row["police_incident_no"], people=2,
                      dispute_type=catalogue.classify(text)[0])
        done, created = await intake.open_case(conn, principal, fields, parties, now, ticket_id=ticket_row["id"],
                                               police_p=police_p(app, text))
        if created:
            await flows.accept(conn, done.case_id, None, now, reason="110联动移交，自动受理")
            try:
                await flows.assign(conn, done.case_id, None, [], "", now)
            except ApiError:  # nobody covers the place: the desk assigns by hand
                pass
    await announce(app, done.alerts)
    return done.case_id
