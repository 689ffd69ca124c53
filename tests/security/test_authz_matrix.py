"""The authorization matrix: every endpoint of the route table × every kind of caller.

Generated from `hotline.routes.all_endpoints()`, so an endpoint added to the table is
checked without anyone remembering to write a test for it:

* no token or an unknown token → 401 (public endpoints excepted);
* a role not in `ep.roles` → 403;
* a role allowed but the ticket out of its scope (scope="ticket": a handler of
  another unit, a supervisor outside the area subtree, the 110 platform for a
  ticket it did not hand over) → 404, with a body that would otherwise be valid,
  so the 404 comes from the scope check and not from validation;
* allowed and in scope → anything but 401/403 (and never the scope 404 or a 5xx).

In-scope calls of ticket actions run against a fresh ticket each, so a state
change made by one case (sign, close, dispatch...) cannot leak into another.
"""
from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta, timezone

import pytest

from hotline.routes import all_endpoints
from hotline.endpoints import Endpoint
from models.enums import Role

RUGAO, NANTONG, NANJING = "320682", "320600", "320100"
OWN_UNIT = f"{RUGAO}-urban_mgmt"
SCOPE_404 = "工单不存在或无权查看"

# caller name -> role (None: no token / a token that does not exist)
CALLERS = {
    "agent": Role.AGENT,
    "handler_own_unit": Role.HANDLER,
    "handler_other_unit": Role.HANDLER,
    "supervisor_own_area": Role.SUPERVISOR,
    "supervisor_outside_area": Role.SUPERVISOR,
    "linkage": Role.LINKAGE,
    "admin": Role.ADMIN,
    "mediator_own_org": Role.MEDIATOR,
    "mediator_other_org": Role.MEDIATOR,
    "court": Role.COURT,
    "no_token": None,
    "bad_token": None,
}
# Callers whose role may be allowed but who must not see the fixture ticket
# (it is dispatched to OWN_UNIT in RUGAO, a county of NANTONG, and created by an agent).
OUT_OF_SCOPE = {"handler_other_unit", "supervisor_outside_area", "linkage"}
# Dispute cases (scope="case"): the fixture case is in RUGAO, led by OWN_ORG, opened by an agent.
OWN_ORG, OTHER_ORG = f"{RUGAO}-centre", "320102-centre"
CASE_OUT_OF_SCOPE = {"supervisor_outside_area", "mediator_other_org", "court"}
CASE_404 = "案件不存在或无权查看"

# A body that passes validation for each request model, keyed by model name, so
# out-of-scope calls reach the scope check. A model missing here falls back to a
# body generated from its JSON schema.
VALID_BODIES: dict[str, dict] = {
    "TicketIn": {"channel": "phone", "content": "小区门口路灯坏了一个月没人修", "area_code": RUGAO},
    "HandoffIn": {"incident_no": "AUTHZ-{n}", "content": "邻居装修噪音扰民，凌晨还在施工", "area_code": RUGAO},
    "AckIn": {"idempotency_key": "authz-no-such-key"},
    "Reason": {},
    "RequiredReason": {"reason": "权限矩阵测试"},
    "DispatchIn": {"category": "城市管理/占道经营", "unit_code": OWN_UNIT},
    "RedispatchIn": {"reason": "权限矩阵测试", "unit_code": OWN_UNIT},
    "NoteIn": {"text": "权限矩阵测试"},
    "ReturnIn": {"reason": "权限矩阵测试"},
    "ExtensionIn": {"days": 1, "reason": "权限矩阵测试"},
    "ExtensionDecisionIn": {"approve": False},
    "ReplyIn": {"resolution": "已处理", "claimed_solved": True},
    "CallbackIn": {"reached": False},
    "CallbackLinkIn": {},
    "SurveyIn": {"satisfaction": "satisfied", "solved": "solved"},
    "CaseIn": {"source": "walk_in", "summary": "权限矩阵：邻居漏水纠纷", "area_code": RUGAO},
    "CourtCaseIn": {"court_ref": "AUTHZ-{n}", "summary": "权限矩阵：买卖合同纠纷诉前委派", "area_code": RUGAO},
    "AssignIn": {"org_codes": [OWN_ORG]},
    "SessionIn": {"scheduled_at": "2026-06-02T09:00:00+08:00"},
    "MinutesIn": {"session_id": 1, "minutes": "权限矩阵"},
    "SettleIn": {"terms": "权限矩阵", "perform_by": "2026-07-01"},
    "ReviewIn": {"approve": False},
    "FailIn": {"way_out": "none", "reason": "权限矩阵"},
    "FollowUpIn": {"performed": "yes"},
    "RiskIn": {"level": "low"},
    "MeetingIn": {"scheduled_at": "2026-06-02T09:00:00+08:00", "attendees": ["如皋市司法局"]},
    "CourtReferralIn": {},
    "ScoreIn": {"text": "邻居吵架"},
    "CourtCallbackIn": {"idempotency_key": "authz-no-such-key", "state": "accepted"},
}

PATH_VALUES = {"eid": "1", "aid": "1", "token": "sv_" + "a" * 30, "name": "no-such-file.js"}

INSERT_CASE = """
INSERT INTO dispute_cases (case_no, source, status, dispute_type, summary, area_code, city_code, county_code, risk,
                           risk_scored, lead_org_id, tier, created_by)
VALUES ('AZ' || lpad(nextval('case_no_seq')::text, 10, '0'), 'walk_in', 'assigned', 'neighbour', '权限矩阵纠纷',
        $1, $2, $1, 'low', 'low', $3, 'county', $4)
RETURNING id
"""

INSERT_TICKET = """
INSERT INTO tickets (ticket_no, channel, requester_type, requester_name, requester_phone, title, content,
                     area_code, province_code, city_code, county_code, status, unit_id, tier, dispatched_at,
                     sign_by, reply_by, triage_reason, created_by)
VALUES ('AZ' || lpad(nextval('ticket_no_seq')::text, 10, '0'), 'phone', 'citizen', '王女士', '13912345678',
        '权限矩阵', '小区门口烧烤摊每晚占道经营', $1, '320000', $2, $1, 'dispatched', $3, 'county', $4,
        $5, $6, '测试', $7)
RETURNING id
"""


def _example_from_schema(schema: dict, defs: dict) -> object:
    """A small value satisfying a (simple) JSON schema: fallback for models without a hand-written body."""
    if "$ref" in schema:
        return _example_from_schema(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return _example_from_schema(schema["anyOf"][0], defs)
    kind = schema.get("type")
    if kind == "object":
        return {k: _example_from_schema(v, defs) for k, v in schema.get("properties", {}).items()
                if k in schema.get("required", [])}
    if kind == "integer":
        return schema.get("minimum", 1)
    if kind == "number":
        return schema.get("minimum", 1)
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    return "x" * max(1, schema.get("minLength", 1))


def valid_body(ep: Endpoint, n: int) -> dict | None:
    if ep.body is None:
        return None
    body = VALID_BODIES.get(ep.body.__name__)
    if body is None:
        schema = ep.body.model_json_schema()
        return _example_from_schema(schema, schema.get("$defs", {}))
    return {k: v.format(n=n) if isinstance(v, str) else v for k, v in body.items()}


def expected(ep: Endpoint, caller: str) -> str:
    """'401', '403', '404' or 'allowed'."""
    if ep.roles is None:
        return "allowed"
    role = CALLERS[caller]
    if role is None:
        return "401"
    if role not in ep.roles:
        return "403"
    if ep.scope == "ticket" and caller in OUT_OF_SCOPE:
        return "404"
    if ep.scope == "case" and caller in CASE_OUT_OF_SCOPE:
        return "404"
    return "allowed"


def _cases():
    out = []
    for ep in all_endpoints():
        for caller in CALLERS:
            out.append(pytest.param(ep, caller, id=f"{ep.method} {ep.path} [{caller}]"))
    return out


class World:
    """Tokens for every caller and tickets dispatched to OWN_UNIT in RUGAO."""

    def __init__(self, pool, headers: dict[str, dict], own_unit: int, agent_token_id: int) -> None:
        self.pool = pool
        self.headers = headers
        self.own_unit = own_unit
        self.agent_token_id = agent_token_id
        self.counter = 0

    async def case(self) -> int:
        case_id = await self.pool.fetchval(INSERT_CASE, RUGAO, NANTONG, self.own_org, self.agent_token_id)
        await self.pool.execute("INSERT INTO case_orgs (case_id, org_id, role) VALUES ($1, $2, 'lead')",
                                case_id, self.own_org)
        return case_id

    async def ticket(self) -> int:
        now = datetime.now(timezone.utc)
        return await self.pool.fetchval(INSERT_TICKET, RUGAO, NANTONG, self.own_unit, now,
                                        now + timedelta(days=1), now + timedelta(days=5), self.agent_token_id)


@pytest.fixture(scope="module")
async def world(tokens, pool) -> World:
    own = await pool.fetchval("SELECT id FROM units WHERE code = $1", OWN_UNIT)
    own_org = await pool.fetchval("SELECT id FROM mediation_orgs WHERE code = $1", OWN_ORG)
    other_org = await pool.fetchval("SELECT id FROM mediation_orgs WHERE code = $1", OTHER_ORG)
    other = await pool.fetchval("SELECT id FROM units WHERE id <> $1 ORDER BY id LIMIT 1", own)
    assert own and other, "the sample province must have units"
    headers = {
        "agent": await tokens.make(Role.AGENT),
        "handler_own_unit": await tokens.make(Role.HANDLER, unit_id=own),
        "handler_other_unit": await tokens.make(Role.HANDLER, unit_id=other),
        "supervisor_own_area": await tokens.make(Role.SUPERVISOR, area_code=NANTONG),
        "supervisor_outside_area": await tokens.make(Role.SUPERVISOR, area_code=NANJING),
        "linkage": await tokens.make(Role.LINKAGE),
        "admin": await tokens.make(Role.ADMIN),
        "mediator_own_org": await tokens.make(Role.MEDIATOR, org_id=own_org),
        "mediator_other_org": await tokens.make(Role.MEDIATOR, org_id=other_org),
        "court": await tokens.make(Role.COURT),
        "no_token": {},
        "bad_token": {"Authorization": "Bearer hl_this-token-was-never-issued-0000000000000"},
    }
    from hotline.auth import hash_token

    secret = headers["agent"]["Authorization"].split(" ", 1)[1]
    agent_id = await pool.fetchval("SELECT id FROM api_tokens WHERE token_hash = $1", hash_token(secret))
    w = World(pool, headers, own, agent_id)
    w.own_org = own_org
    w.shared = await w.ticket()
    w.shared_case = await w.case()
    return w


def test_matrix_covers_every_endpoint():
    """Every endpoint appears, and ticket-scoped ones have an {id} to scope on."""
    eps = all_endpoints()
    assert len({(e.method, e.path) for e in eps}) == len(eps), "duplicate routes"
    for ep in eps:
        assert ep.scope in ("none", "list", "ticket", "unit", "area", "case"), (ep.path, ep.scope)
        if ep.scope in ("ticket", "case"):
            assert "{id}" in ep.path, ep.path


async def _call(client, ep: Endpoint, path: str, headers: dict, body):
    kwargs = {"headers": headers}
    if ep.method != "GET":
        kwargs["json"] = body if body is not None else {}
    resp = await asyncio.wait_for(client.request(ep.method, path, **kwargs), timeout=15)
    try:
        if resp.content_type == "application/json":
            data = await asyncio.wait_for(resp.json(), timeout=5)
        else:  # an event stream or a static file: the status is what matters
            data = None
    finally:
        resp.close()
    return resp.status, data


@pytest.mark.parametrize("ep, caller", _cases())
async def test_authz(client, world: World, ep: Endpoint, caller: str):
    want = expected(ep, caller)
    world.counter += 1
    # In-scope calls of ticket actions get a ticket of their own (they may change its state).
    fresh = ep.scope in ("ticket", "case") and ep.method != "GET" and want == "allowed"
    if ep.scope == "case":
        subject = await world.case() if fresh else world.shared_case
    else:
        subject = await world.ticket() if fresh else world.shared
    values = {"id": str(subject), **PATH_VALUES}
    path = re.sub(r"{(\w+)}", lambda m: values[m.group(1)], ep.path)
    status, data = await _call(client, ep, path, world.headers[caller], valid_body(ep, world.counter))
    where = f"{ep.method} {path} as {caller}: {status} {data}"
    assert status < 500, where
    if want == "401":
        assert status == 401, where
    elif want == "403":
        assert status == 403, where
    elif want == "404":
        assert status == 404 and data["message"] == (CASE_404 if ep.scope == "case" else SCOPE_404), where
    else:
        assert status not in (401, 403), where
        assert not (status == 404 and data and data.get("message") in (SCOPE_404, CASE_404)), where


async def test_out_of_scope_ticket_is_indistinguishable_from_missing(client, world: World):
    """A handler of another unit gets exactly the answer a missing ticket gives."""
    h = world.headers["handler_other_unit"]
    hidden = await client.get(f"/api/v1/tickets/{world.shared}", headers=h)
    missing = await client.get("/api/v1/tickets/999999999", headers=h)
    assert hidden.status == missing.status == 404
    a, b = await hidden.json(), await missing.json()
    assert a["message"] == b["message"]
