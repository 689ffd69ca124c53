"""HTTP handlers of the dispute desk: intake, the case workflow, the network, the court's callbacks."""
from __future__ import annotations

from typing import Awaitable, Callable

from aiohttp import web
from pydantic import BaseModel

from hotline import keys, scope, wallclock
from hotline.disputes import court, flows, intake, schemas as s, service
from hotline.disputes.alerts import announce, police_p
from hotline.disputes.serialize import brief, case_out, party_out, plain
from hotline.disputes.steps import Done, not_found
from hotline.endpoints import Endpoint, parse_body, parse_id, parse_query
from hotline.errors import ApiError, json_response
from models.enums import Role
from routing.disputes import catalogue, risk as risk_rules
from routing.disputes.workflow import ACTIONS

R = Role
DESK = frozenset({R.AGENT, R.SUPERVISOR, R.ADMIN})
READERS = frozenset({R.AGENT, R.SUPERVISOR, R.ADMIN, R.MEDIATOR, R.COURT})
CONFLICT_409 = {"409": {"description": "案件当前状态不允许该操作（返回 current_status 与 allowed_actions）"}}


async def case_detail(conn, case_id: int, principal) -> dict:
    row = await service.get_case(conn, case_id)
    out = case_out(row, principal)
    out["parties"] = [party_out(p, principal) for p in
                      await conn.fetch("SELECT * FROM case_parties WHERE case_id = $1 ORDER BY id", case_id)]
    out["orgs"] = await service.case_orgs(conn, case_id)
    out["sessions"] = [plain(dict(r)) for r in await conn.fetch(
        "SELECT id, kind, scheduled_at, place, attendees, minutes, division, held_at FROM case_sessions "
        "WHERE case_id = $1 ORDER BY id", case_id)]
    out["agreements"] = [plain(dict(r)) for r in await conn.fetch(
        "SELECT id, terms, amount, perform_by, major, review_state, review_note, confirmation FROM case_agreements "
        "WHERE case_id = $1 ORDER BY id", case_id)]
    out["tickets"] = [plain(dict(r)) for r in await conn.fetch(
        "SELECT t.id, t.ticket_no, t.channel::text AS channel, t.police_incident_no, ct.at FROM case_tickets ct "
        "JOIN tickets t ON t.id = ct.ticket_id WHERE ct.case_id = $1 ORDER BY ct.at", case_id)]
    out["escalations"] = [plain(dict(r)) for r in await conn.fetch(
        "SELECT step, at, leader, due_at FROM case_escalations WHERE case_id = $1 ORDER BY id", case_id)]
    out["court"] = [plain(dict(r)) for r in await conn.fetch(
        "SELECT kind, state, idempotency_key, remote_ref, court_outcome, attempts FROM court_outbox "
        "WHERE case_id = $1 ORDER BY id", case_id)]
    return out


async def _open(request: web.Request, fields: dict, parties: list[dict], ticket_id: int | None,
                auto: bool) -> web.Response:
    """Open (or gather into) a case; `auto` accepts and assigns it at once (court, 110, mediator walk-ins)."""
    app, principal = request.app, request[keys.PRINCIPAL]
    now = wallclock.now(app)
    async with app[keys.POOL].acquire() as conn, conn.transaction():
        if ticket_id is not None:
            t_fields, t_parties = await _ticket_source(conn, request, ticket_id)
            # the ticket's place wins: its county and city codes come with it
            fields = {**t_fields, **{k: v for k, v in fields.items() if v and k != "area_code"}}
            parties = t_parties + parties
        else:
            fields = {**fields, **await intake.place(conn, fields.pop("area_code"))}
        fields["dispute_type"] = intake.dispute_type(fields.get("dispute_type"), fields["summary"])
        done, created = await intake.open_case(conn, principal, fields, parties, now, ticket_id=ticket_id,
                                               police_p=police_p(app, fields["summary"]))
        if created and auto:
            await flows.accept(conn, done.case_id, None, now, reason="自动受理")
            codes = [await conn.fetchval("SELECT code FROM mediation_orgs WHERE id = $1", principal.org_id)] \
                if principal.role == R.MEDIATOR else []
            await flows.assign(conn, done.case_id, None, codes, "", now)
        out = await case_detail(conn, done.case_id, principal)
    await announce(app, done.alerts)
    out["gathered"] = done.action if not created else None
    return json_response(out, status=201 if created else 200,
                         headers={"Location": f"/api/v1/disputes/cases/{done.case_id}"})


async def _ticket_source(conn, request, ticket_id: int) -> tuple[dict, list[dict]]:
    principal = request[keys.PRINCIPAL]
    t, fields, parties = await intake.ticket_fields(conn, ticket_id)
    if principal.role == R.SUPERVISOR and principal.area_code not in (t["area_code"], t["county_code"], t["city_code"]):
        raise ApiError(404, "工单不存在或无权查看", [{"field": "ticket_id", "message": str(ticket_id)}])
    return fields, parties


async def create_case(request: web.Request) -> web.Response:
    principal = request[keys.PRINCIPAL]
    body = await parse_body(request, s.CaseIn, request.app[keys.SETTINGS].max_body_bytes)
    if principal.role == R.MEDIATOR and body.source == "ticket":
        raise ApiError(403, "调解员不能从工单登记纠纷", [{"field": "source", "message": "工单转纠纷由热线登记"}])
    fields = {"source": body.source, "summary": body.summary, "address": body.address, "area_code": body.area_code,
              "amount": body.amount, "people": body.people, "dispute_type": body.dispute_type}
    return await _open(request, fields, [p.model_dump() for p in body.parties], body.ticket_id,
                       auto=principal.role == R.MEDIATOR)


async def court_referral(request: web.Request) -> web.Response:
    body = await parse_body(request, s.CourtCaseIn, request.app[keys.SETTINGS].max_body_bytes)
    fields = {"source": "court", "source_ref": body.court_ref, "summary": body.summary, "address": body.address,
              "area_code": body.area_code, "amount": body.amount, "people": body.people,
              "dispute_type": body.dispute_type}
    return await _open(request, fields, [p.model_dump() for p in body.parties], None, auto=True)


async def list_cases(request: web.Request) -> web.Response:
    q = parse_query(request, s.CaseQuery)
    args: list = []
    where = [scope.case_clause(request[keys.PRINCIPAL], args)]
    if q.status == "open":
        where.append("c.status NOT IN ('settled', 'failed', 'terminated', 'closed')")
    elif q.status:
        args.append(q.status)
        where.append(f"c.status = ${len(args)}::case_status")
    for col, val in (("risk", q.risk.value if q.risk else None), ("listed", q.listed)):
        if val is not None:
            args.append(val)
            where.append(f"c.{col} = ${len(args)}" + ("::risk_level" if col == "risk" else ""))
    if q.area:
        args.append(q.area)
        where.append(f"${len(args)} IN (c.area_code, c.county_code, c.city_code)")
    args += [q.after or 2**63 - 1, q.limit]
    sql = (f"SELECT c.* FROM dispute_cases c WHERE {' AND '.join(where)} AND c.id < ${len(args) - 1} "
           f"ORDER BY c.id DESC LIMIT ${len(args)}")
    rows = await request.app[keys.POOL].fetch(sql, *args)
    items = [brief(r) for r in rows]
    return json_response({"items": items, "next_after": items[-1]["id"] if len(items) == q.limit else None})


async def _visible(conn, request, case_id: int):
    row = await service.get_case(conn, case_id)
    if row is None or not await scope.sees_case(conn, request[keys.PRINCIPAL], row):
        raise not_found(case_id)
    return row


async def get_case(request: web.Request) -> web.Response:
    case_id = parse_id(request.match_info["id"])
    async with request.app[keys.POOL].acquire() as conn:
        await _visible(conn, request, case_id)
        return json_response(await case_detail(conn, case_id, request[keys.PRINCIPAL]))


async def case_events(request: web.Request) -> web.Response:
    case_id = parse_id(request.match_info["id"])
    async with request.app[keys.POOL].acquire() as conn:
        await _visible(conn, request, case_id)
    return json_response({"items": [plain(e) for e in await service.events(request.app[keys.POOL], case_id)]})


# (conn, case_id, principal, body, now) -> Done
Run = Callable[..., Awaitable[Done]]


def transition(run: Run, body_model: type[BaseModel] | None, *, optional: bool = False, status: int = 200):
    """A handler: parse, run the flow in one transaction, announce after commit, answer the case."""
    async def handler(request: web.Request) -> web.Response:
        app = request.app
        body = None
        if body_model is not None:
            # body_exists, not can_read_body: the body middleware has already read the body
            if optional and (not request.body_exists or request.content_length == 0):
                body = body_model()
            else:
                body = await parse_body(request, body_model, app[keys.SETTINGS].max_body_bytes)
        case_id = parse_id(request.match_info["id"])
        principal = request[keys.PRINCIPAL]
        async with app[keys.POOL].acquire() as conn:
            done = await run(conn, case_id, principal, body, wallclock.now(app))
            out = await case_detail(conn, case_id, principal)
        await announce(app, done.alerts)
        return json_response({"action": done.action, "action_label": ACTIONS[done.action].label,
                              "from_status": done.from_status.value, "data": done.data, "case": out}, status=status)
    return handler


RUNS: dict[str, tuple[Run, type[BaseModel] | None, bool]] = {
    "accept": (lambda c, i, p, b, n: flows.accept(c, i, p, n, b.reason), s.Reason, True),
    "assign": (lambda c, i, p, b, n: flows.assign(c, i, p, b.org_codes, b.reason, n), s.AssignIn, True),
    "schedule_session": (flows.schedule_session, s.SessionIn, False),
    "record_session": (flows.record_session, s.MinutesIn, False),
    "settle": (flows.settle, s.SettleIn, False),
    "review": (lambda c, i, p, b, n: flows.review(c, i, p, b.approve, b.note, n), s.ReviewIn, False),
    "fail": (flows.fail, s.FailIn, False),
    "terminate": (lambda c, i, p, b, n: flows.terminate(c, i, p, b.reason, n), s.RequiredReason, False),
    "refer_court": (lambda c, i, p, b, n: flows.refer_court(c, i, p, b.reason, n), s.CourtReferralIn, True),
    "request_confirmation": (lambda c, i, p, b, n: flows.request_confirmation(c, i, p, b.reason, n), s.Reason, True),
    "follow_up": (lambda c, i, p, b, n: flows.follow_up(c, i, p, b.performed, b.note, n), s.FollowUpIn, False),
    "reopen": (lambda c, i, p, b, n: flows.reopen(c, i, p, b.reason, n), s.RequiredReason, False),
    "note": (lambda c, i, p, b, n: flows.note(c, i, p, b.text, n), s.NoteIn, False),
    "confirm_risk": (flows.confirm_risk, s.RiskIn, False),
    "convene": (flows.convene, s.MeetingIn, False),
}


# --- the network, scoring, the court -------------------------------------------------------------

async def list_orgs(request: web.Request) -> web.Response:
    q = parse_query(request, s.OrgQuery)
    items = await service.list_orgs(request.app[keys.POOL], q.area, q.tier, q.dispute_type, q.limit)
    return json_response({"items": items})


async def score(request: web.Request) -> web.Response:
    body = await parse_body(request, s.ScoreIn)
    r = risk_rules.score(body.text, risk_rules.Facts(people=body.people, repeat_calls=body.repeat_calls,
                                                     police_p=police_p(request.app, body.text)))
    code = catalogue.classify(body.text)[0]
    return json_response({"type": code, "type_label": catalogue.load_types()[code].label, **r.as_dict()})


async def court_callback(request: web.Request) -> web.Response:
    body = await parse_body(request, s.CourtCallbackIn)
    result = await court.record_callback(request.app[keys.POOL], body, wallclock.now(request.app))
    if not result["found"]:
        raise ApiError(404, "移送记录不存在", [{"field": "idempotency_key", "message": body.idempotency_key}])
    if not result["changed"] and result["state"] != body.state:
        raise ApiError(409, f"移送记录状态为 {result['state']}，不能更新为 {body.state}", extra={"state": result["state"]})
    return json_response({"idempotency_key": body.idempotency_key, "state": body.state})


async def court_outbox(request: web.Request) -> web.Response:
    q = parse_query(request, s.OutboxQuery)
    args: list = [q.state, q.limit]
    visible = scope.case_clause(request[keys.PRINCIPAL], args)
    rows = await request.app[keys.POOL].fetch(court.OUTBOX.format(scope=visible), *args)
    return json_response({"items": [plain(dict(r)) for r in rows]})


# --- transition endpoints (listed in hotline/routes.py) -------------------------------------------

def action_endpoint(path: str, action: str, summary: str, status: int = 200) -> Endpoint:
    """A case action whose roles are the state machine's roles for it."""
    run, body, optional = RUNS[action]
    return Endpoint("POST", f"/api/v1/disputes/cases/{{id}}/{path}", transition(run, body, optional=optional,
                                                                                status=status), summary,
                    roles=ACTIONS[action].roles, body=body, status=status, tag="disputes", scope="case",
                    extra_responses=CONFLICT_409)
