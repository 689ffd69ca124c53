"""HTTP handlers for tickets: intake, one ticket, listing, history."""
from __future__ import annotations

from aiohttp import web

from hotline import keys, scope, wallclock
from hotline.endpoints import parse_body, parse_id, parse_query
from hotline.errors import ApiError, json_response
from hotline.hotspots import surge
from hotline.jsoncodec import iso
from hotline.knowledge import suggest
from hotline.requester import codes, sms
from hotline.tickets import flows, service
from hotline.tickets.schemas import TicketIn, TicketQuery, check_credit_code
from hotline.tickets.serialize import ticket_out

IDEMPOTENCY_MAX = 128


def idempotency_key(request: web.Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > IDEMPOTENCY_MAX or not key.isprintable():
        raise ApiError(400, "幂等键无效", [{"field": "Idempotency-Key", "message": f"1 到 {IDEMPOTENCY_MAX} 个可打印字符"}])
    return key


async def create_ticket(request: web.Request) -> web.Response:
    settings = request.app[keys.SETTINGS]
    principal = request[keys.PRINCIPAL]
    data = await parse_body(request, TicketIn, settings.max_body_bytes)
    check_credit_code(data.requester)
    key = idempotency_key(request)
    # The query code the agent reads out to the requester; only its salted hash is stored.
    code = codes.new_code()
    code_hash = codes.digest(code)
    finder = request.app.get(keys.CANDIDATES)
    found: list[dict] = []
    row, created = await flows.receive(request.app[keys.WRITER], request.app[keys.REFERENCE],
                                       settings.triage_threshold, principal, data, key,
                                       now=wallclock.now(request.app),
                                       extra={"lookup_code_hash": "\\x" + code_hash.hex()}, finder=finder, found=found,
                                       sms_code=code)
    ticket_id = row["id"]
    if not created:  # a retry: its new code replaces the old one in a text not sent yet (or queues it)
        await sms.enqueue_accepted(request.app[keys.POOL], row, code)
    if created:
        await request.app[keys.NOTIFIER].ticket_event(row, row["status"])
    headers = {"Location": f"/api/v1/tickets/{ticket_id}"}
    if not created:
        # A retry of a request whose answer (and code) was lost: the ticket gets a new code.
        await service.set_lookup_code(request.app[keys.POOL], ticket_id, code_hash)
        headers["Idempotent-Replayed"] = "true"
    grouped = None
    surge_id = finder.surging.get(row["county_code"]) if finder is not None and created else None
    if surge_id is not None and found:
        grouped = await surge.group(request.app[keys.POOL], finder, row, surge_id, wallclock.now(request.app))
        if grouped is not None:
            row = await service.get(request.app[keys.POOL], ticket_id)
    suggested = await suggest.suggestions(request.app, row)
    out = {**ticket_out(row, principal), "lookup_code": code, "candidates": found if finder is not None else None,
           "grouped": grouped, "suggestions": suggested}
    return json_response(out, status=201, headers=headers)


async def get_visible(request: web.Request):
    """The ticket named in the path, or 404 when it does not exist or is out of scope."""
    ticket_id = parse_id(request.match_info["id"])
    row = await service.get(request.app[keys.POOL], ticket_id)
    if row is None or not scope.can_see(request[keys.PRINCIPAL], row):
        raise scope.not_found(ticket_id)
    return row


EXTENSION_STATES = {"pending": "待审批", "approved": "已批准", "refused": "未批准"}


async def get_ticket(request: web.Request) -> web.Response:
    """The ticket with what an agent needs for the callback: the reply, the notes, the extensions."""
    row = await get_visible(request)
    extra = await service.detail(request.app[keys.POOL], row["id"])
    for x in extra["extensions"]:
        x["state_label"] = EXTENSION_STATES.get(x["state"], x["state"])
    return json_response({**ticket_out(row, request[keys.PRINCIPAL]), **extra})


async def list_tickets(request: web.Request) -> web.Response:
    q = parse_query(request, TicketQuery)
    principal = request[keys.PRINCIPAL]
    if q.area is not None:  # the one area rule of lists and reports
        await scope.report_area(request.app[keys.POOL], principal, q.area)
    rows = await service.list_tickets(request.app[keys.POOL], principal, q)
    items = [ticket_out(r, principal) for r in rows]
    next_after = rows[-1]["id"] if len(rows) == q.limit else None
    return json_response({"items": items, "next_after": next_after})


async def ticket_history(request: web.Request) -> web.Response:
    row = await get_visible(request)
    rows = await service.events(request.app[keys.POOL], row["id"])
    items = [{**dict(r), "at": iso(r["at"])} for r in rows]
    return json_response({"ticket_id": row["id"], "events": items})

