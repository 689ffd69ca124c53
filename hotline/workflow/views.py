"""HTTP handlers of the handling workflow: transitions, the unit inbox and the hotline's queues."""
from __future__ import annotations

from typing import Awaitable, Callable

from aiohttp import web
from pydantic import BaseModel

from hotline import keys, wallclock
from hotline.endpoints import Endpoint, parse_body, parse_id, parse_query
from hotline.errors import ApiError, json_response
from hotline.tickets import service as tickets
from hotline.workflow import flows, schemas as m, service
from hotline.workflow.steps import Done
from models.enums import Status
from routing.workflow import ACTIONS


async def announce(app: web.Application, done: Done) -> None:
    """After commit: new work goes on the lead unit's Valkey stream (best effort)."""
    if not done.notify:
        return
    row = await tickets.get(app[keys.POOL], done.ticket_id)
    if row is not None:
        await app[keys.NOTIFIER].ticket_event(row, done.action)


async def outcome(request: web.Request, done: Done) -> dict:
    """The ticket's state after the action, with what the caller may do next."""
    principal = request[keys.PRINCIPAL]
    async with request.app[keys.POOL].acquire() as conn:
        row = await service.get_brief(conn, done.ticket_id)
        allowed = await service.available_actions(conn, done.ticket_id, row["status"], principal,
                                                  wallclock.now(request.app))
    b = service.brief(row)
    return {"ticket_id": done.ticket_id, "action": done.action, "action_label": ACTIONS[done.action].label,
            "from_status": done.from_status.value, "status": row["status"],
            "status_label": Status(row["status"]).label, "unit": b["unit"], "sign_by": b["sign_by"],
            "reply_by": b["reply_by"], "deadline_provisional": b["deadline_provisional"], "paused": b["paused"],
            "allowed_actions": allowed, "data": done.data}


async def optional_body(request: web.Request, model: type[BaseModel]) -> BaseModel:
    """The body when one was sent, else the defaults; body_exists because the admission middleware read it already."""
    if not request.body_exists or request.content_length == 0:
        return model()
    return await parse_body(request, model, request.app[keys.SETTINGS].max_body_bytes)


# (conn, ticket_id, request, body, now[, ref=]) -> Done: adapts a flow to the HTTP inputs.
Run = Callable[..., Awaitable[Done]]


def transition(run: Run, body_model: type[BaseModel] | None, *, optional: bool = False,
               status: int = 200, needs_reference: bool = False):
    """A handler: parse, run the flow in one transaction, announce after commit, answer the new state."""
    async def handler(request: web.Request) -> web.Response:
        app = request.app
        body = None
        if body_model is not None:
            body = await (optional_body(request, body_model) if optional
                          else parse_body(request, body_model, app[keys.SETTINGS].max_body_bytes))
        ticket_id = parse_id(request.match_info["id"])
        extra = {"ref": await service.reference(app)} if needs_reference else {}
        async with app[keys.POOL].acquire() as conn:
            done = await run(conn, ticket_id, request, body, wallclock.now(app), **extra)
        await announce(app, done)
        return json_response(await outcome(request, done), status=status)
    return handler


def _p(request: web.Request):
    return request[keys.PRINCIPAL]


async def _dispatch(conn, tid, req, body, now, ref):
    return await flows.dispatch(conn, tid, _p(req), body, ref, now)


async def _redispatch(conn, tid, req, body, now, ref):
    return await flows.redispatch(conn, tid, _p(req), body, ref, now)


async def _decide_extension(conn, tid, req, body, now):
    eid = parse_id(req.match_info["eid"], "eid")
    return await flows.decide_extension(conn, tid, eid, _p(req), body.approve, body.note, now)


RUNS: dict[str, Run] = {
    "dispatch": _dispatch,
    "sign": lambda c, t, r, b, n: flows.sign(c, t, _p(r), n, b.reason),
    "start": lambda c, t, r, b, n: flows.start(c, t, _p(r), n, b.reason),
    "note": lambda c, t, r, b, n: flows.note(c, t, _p(r), b.text, n),
    "request_info": lambda c, t, r, b, n: flows.request_info(c, t, _p(r), b.reason, n),
    "info_received": lambda c, t, r, b, n: flows.info_received(c, t, _p(r), b.reason, n),
    "return_ticket": lambda c, t, r, b, n: flows.return_ticket(c, t, _p(r), b.reason, b.contest, n),
    "redispatch": _redispatch,
    "uphold": lambda c, t, r, b, n: flows.uphold(c, t, _p(r), b.reason, n),
    "request_extension": lambda c, t, r, b, n: flows.request_extension(c, t, _p(r), b.days, b.reason, n),
    "decide_extension": _decide_extension,
    "reply": lambda c, t, r, b, n: flows.reply(c, t, _p(r), b.resolution, b.claimed_solved, n, b.evidence),
    "close": lambda c, t, r, b, n: flows.close(c, t, _p(r), b.reason, n),
    "reopen": lambda c, t, r, b, n: flows.reopen(c, t, _p(r), b.reason, n),
}


# --- reading ----------------------------------------------------------------------------------

async def inbox(request: web.Request) -> web.Response:
    q = parse_query(request, m.InboxQuery)
    principal = request[keys.PRINCIPAL]
    if principal.unit_id is None:
        raise ApiError(403, "令牌未绑定承办单位", [{"field": "unit", "message": "承办单位令牌须绑定单位"}])
    groups = await service.inbox(request.app[keys.POOL], principal.unit_id, wallclock.now(request.app), q.limit)
    return json_response({"unit_id": principal.unit_id, **groups})


async def triage_queue(request: web.Request) -> web.Response:
    q = parse_query(request, m.QueueQuery)
    page = await service.triage_queue(request.app[keys.POOL], request[keys.PRINCIPAL], q.after, q.limit)
    return json_response(page)


async def return_queue(request: web.Request) -> web.Response:
    q = parse_query(request, m.ReturnQueueQuery)
    page = await service.return_queue(request.app[keys.POOL], request[keys.PRINCIPAL],
                                      q.queue == "supervisor_review", q.after, q.limit)
    return json_response(page)


async def extension_queue(request: web.Request) -> web.Response:
    q = parse_query(request, m.QueueQuery)
    page = await service.extension_queue(request.app[keys.POOL], request[keys.PRINCIPAL], q.after, q.limit)
    return json_response(page)


# --- endpoints for hotline.routes --------------------------------------------------------------------------

T = "/api/v1/tickets/{id}"


def transition_endpoint(path: str, action: str, summary: str, body: type[BaseModel] | None, *, optional: bool = False,
            status: int = 200, reference: bool = False, run: Run | None = None) -> Endpoint:
    """A transition endpoint whose roles are the state machine's roles for the action.

    run: the flow adapter, for actions of other rooms (hotline.duplicates); else RUNS[action]."""
    handler = transition(run or RUNS[action], body, optional=optional, status=status, needs_reference=reference)
    return Endpoint("POST", f"{T}/{path}", handler, summary, roles=ACTIONS[action].roles, body=body,
                    response=m.TransitionOut, status=status, tag="workflow", scope="ticket",
                    extra_responses={"409": {"description": "当前状态不允许该操作（返回 current_status 与 allowed_actions）"}})
