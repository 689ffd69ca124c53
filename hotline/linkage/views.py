"""HTTP handlers for the 110 platform and for supervisors watching the linkage."""
from __future__ import annotations

import asyncpg
from aiohttp import web

from hotline import keys, wallclock
from hotline.disputes.handoff import from_110_handoff
from hotline.endpoints import parse_body, parse_id, parse_query
from hotline.errors import ApiError, json_response
from hotline.linkage import review, service
from hotline.linkage.schemas import AckIn, HandoffIn, OutboxQuery
from hotline.tickets import flows, service as tickets
from hotline.tickets.schemas import TicketIn, check_credit_code
from hotline.tickets.serialize import ticket_out
from models.enums import Channel


async def receive_handoff(request: web.Request) -> web.Response:
    """110 → 12345: one ticket per incident number, however often it is pushed."""
    settings = request.app[keys.SETTINGS]
    principal = request[keys.PRINCIPAL]
    body = await parse_body(request, HandoffIn, settings.max_body_bytes)
    check_credit_code(body.requester)
    pool = request.app[keys.POOL]
    existing = await service.ticket_for_incident(pool, body.incident_no)
    created, row = False, None
    if existing is None:
        data = TicketIn(channel=Channel.POLICE_110, requester=body.requester, content=body.content,
                        address=body.address, area_code=body.area_code, urgency=body.urgency)
        try:
            row, created = await flows.receive(
                request.app[keys.WRITER], request.app[keys.REFERENCE], settings.triage_threshold, principal, data,
                f"110:{body.incident_no}", now=wallclock.now(request.app),
                extra={"police_incident_no": body.incident_no}, inbound_110=True)
        except asyncpg.UniqueViolationError:  # the same incident pushed concurrently by another token
            existing = await service.ticket_for_incident(pool, body.incident_no)
    if row is None:
        row = await tickets.get(pool, existing)
    existing = row["id"]
    if created:
        await request.app[keys.NOTIFIER].ticket_event(row, row["status"])
    await from_110_handoff(request.app, row, principal, body.mediation)  # idempotent: one case per incident
    return json_response(ticket_out(row, principal), status=201 if created else 200,
                         headers={"Location": f"/api/v1/tickets/{existing}"})


async def acknowledge(request: web.Request) -> web.Response:
    """110 confirms it has taken over a hand-off (delivered → acknowledged)."""
    body = await parse_body(request, AckIn)
    pool = request.app[keys.POOL]
    if not await service.acknowledge(pool, body.idempotency_key, body.ref):
        state = await service.outbox_state(pool, body.idempotency_key)
        if state is None:
            raise ApiError(404, "移交记录不存在", [{"field": "idempotency_key", "message": body.idempotency_key}])
        if state != "acknowledged":
            raise ApiError(409, f"移交记录状态为 {state}，不能确认", extra={"state": state})
    return json_response({"idempotency_key": body.idempotency_key, "state": "acknowledged"})


async def list_outbox(request: web.Request) -> web.Response:
    """Hand-offs, outcome reports and dispute risk alerts with their delivery state (failed ones need a person)."""
    q = parse_query(request, OutboxQuery)
    rows = await service.outbox(request.app[keys.POOL], request[keys.PRINCIPAL], q.state, q.limit)
    return json_response({"items": [dict(r) for r in rows]})


async def split_review_queue(request: web.Request) -> web.Response:
    """三方研判 queue: calls whose 12345/110 reading is uncertain, oldest first."""
    from hotline.workflow.schemas import QueueQuery

    q = parse_query(request, QueueQuery)
    return json_response(await review.queue(request.app[keys.POOL], request[keys.PRINCIPAL], q.after, q.limit))


def split_decision(path_name: str):
    """Handler for one 三方研判 decision (transfer-110 / keep / joint); the body's reason is optional."""
    decision = review.DECISIONS[path_name]

    async def handler(request: web.Request) -> web.Response:
        from hotline.workflow.schemas import Reason
        from hotline.workflow.views import optional_body

        body = await optional_body(request, Reason)
        ticket_id = parse_id(request.match_info["id"])
        app = request.app
        async with app[keys.POOL].acquire() as conn:
            out = await review.decide(conn, ticket_id, request[keys.PRINCIPAL], decision, body.reason,
                                      wallclock.now(app))
        row = await tickets.get(app[keys.POOL], ticket_id)
        if row is not None:  # after commit, best effort, as every workflow action
            await app[keys.NOTIFIER].ticket_event(row, "split_review")
        return json_response(out)
    handler.__name__ = f"split_{decision}"
    return handler
