"""The handling workflow over real HTTP and PostgreSQL: transitions, scope, 409s, trigger, streams."""
from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from hotline import keys
from hotline.app import create_app
from hotline.notify import unit_stream
from hotline.workflow.schemas import TransitionOut
from models.enums import Role, Status
from routing.workflow import ACTIONS, PIPELINE_ONLY, VALID_TRANSITIONS, allowed_actions

RUGAO, NANTONG, NANJING = "320682", "320600", "320100"
URBAN, HOUSING, ECO = f"{RUGAO}-urban_mgmt", f"{RUGAO}-housing", f"{RUGAO}-eco_env"
MIGRATIONS = [Path(__file__).resolve().parents[2] / "migrations" / name
              for name in ("0003_workflow.sql", "0015_duplicates.sql")]   # the table, then pairs added later


class FakeClock:
    """Wall time plus an offset tests can move forward."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(timezone.utc) + self.offset

    def advance(self, **kw) -> None:
        self.offset += timedelta(**kw)


SHARED_CLOCK = FakeClock()


@pytest.fixture
def clock() -> FakeClock:
    SHARED_CLOCK.offset = timedelta(0)
    return SHARED_CLOCK


@pytest.fixture(scope="module")
async def wf(settings):
    """The app with the injectable clock, one per module (start-up loads the models)."""
    app = create_app(settings)
    app[keys.CLOCK] = SHARED_CLOCK
    async with TestClient(TestServer(app)) as c:
        yield c


INSERT = """
INSERT INTO tickets (ticket_no, channel, requester_type, requester_name, requester_phone, title, content,
                     area_code, province_code, city_code, county_code, status, unit_id, tier, dispatched_at,
                     sign_by, reply_by, triage_reason)
VALUES ('WF' || lpad(nextval('ticket_no_seq')::text, 10, '0'), 'phone', 'citizen', '王女士', '13912345678',
        '测试工单', '小区门口烧烤摊每晚占道经营', $1, $10, $2, $3, $4, $5, $6, $7, $8, $9, '测试')
RETURNING id
"""


async def unit_id(pool, code: str) -> int:
    return await pool.fetchval("SELECT id FROM units WHERE code = $1", code)


async def make_ticket(pool, status: str = "triage", *, area: str | None = RUGAO, unit: str | None = None,
                      at: datetime | None = None) -> int:
    """A ticket inserted directly in any status (inserts are not checked by the trigger)."""
    at = at or datetime.now(timezone.utc)
    uid = await unit_id(pool, unit) if unit else None
    city = area[:4] + "00" if area else None
    return await pool.fetchval(INSERT, area, city, area if area and not area.endswith("00") else None, status,
                               uid, "county" if uid else None, at if uid else None,
                               at + timedelta(days=1) if uid else None, at + timedelta(days=5) if uid else None,
                               "320000" if area else None)


async def handler_for(tokens, pool, code: str) -> dict:
    return await tokens.make(Role.HANDLER, unit_id=await unit_id(pool, code))


async def post(client, ticket_id: int, path: str, headers: dict, body: dict | None = None, status: int = 200):
    resp = await client.post(f"/api/v1/tickets/{ticket_id}/{path}", json=body, headers=headers)
    data = await resp.json()
    assert resp.status == status, (path, data)
    return data


async def dispatched(wf, pool, agent, category: str = "城市管理/占道经营", **extra) -> int:
    tid = await make_ticket(pool)
    await post(wf, tid, "dispatch", agent, {"category": category, **extra})
    return tid


async def events(pool, tid: int) -> list[asyncpg.Record]:
    return await pool.fetch("SELECT action, from_status, to_status, reason, data FROM ticket_events "
                            "WHERE ticket_id = $1 ORDER BY id", tid)


# --- the whole way through ---------------------------------------------------------------------

async def test_happy_path_intake_to_close(wf, pool, agent, tokens, clock):
    body = {"channel": "phone", "requester": {"name": "张先生", "phone": "13800000000"},
            "content": "小区楼下烧烤摊每天晚上占道经营到凌晨，油烟很大", "area_code": RUGAO}
    created = await (await wf.post("/api/v1/tickets", json=body, headers=agent)).json()
    tid = created["id"]
    if created["status"] in ("received", "triage"):
        out = await post(wf, tid, "dispatch", agent, {"category": "城市管理/占道经营"})
        assert out["status"] == "dispatched" and out["data"]["category_source"] == "human"
    ticket = await pool.fetchrow("SELECT status, unit_id FROM tickets WHERE id = $1", tid)
    assert ticket["status"] == "dispatched"
    handler = await tokens.make(Role.HANDLER, unit_id=ticket["unit_id"])
    supervisor = await tokens.make(Role.SUPERVISOR, area_code=NANTONG)

    assert (await post(wf, tid, "sign", handler))["status"] == "signed"
    assert (await post(wf, tid, "start", handler))["status"] == "in_progress"
    await post(wf, tid, "notes", handler, {"text": "已联系城管中队到现场查看"}, status=201)
    before = await pool.fetchval("SELECT reply_by FROM tickets WHERE id = $1", tid)

    paused = await post(wf, tid, "request-info", handler, {"reason": "请来电人补充具体门牌号"})
    assert paused["paused"] and paused["reply_by"] is None
    row = await pool.fetchrow("SELECT reply_by, next_escalation_at, pauses FROM tickets WHERE id = $1", tid)
    assert row["reply_by"] is None and row["next_escalation_at"] is None and row["pauses"][-1][1] is None
    clock.advance(hours=30)
    resumed = await post(wf, tid, "info-received", handler, {"reason": "来电人已补充"})
    assert not resumed["paused"]
    after_pause = await pool.fetchval("SELECT reply_by FROM tickets WHERE id = $1", tid)
    assert after_pause > before

    ext = await post(wf, tid, "extensions", handler, {"days": 2, "reason": "需协调多个部门联合执法"}, status=201)
    eid = ext["data"]["extension_id"]
    queue = await (await wf.get("/api/v1/queues/extensions", headers=supervisor)).json()
    assert eid in [item["id"] for item in queue["items"]]
    decided = await post(wf, tid, f"extensions/{eid}/decision", supervisor, {"approve": True, "note": "同意"})
    assert decided["data"]["approved"] and decided["data"]["extension_days"] == 2
    extended = await pool.fetchval("SELECT reply_by FROM tickets WHERE id = $1", tid)
    assert extended > after_pause

    replied = await post(wf, tid, "reply", handler, {"resolution": "已取缔占道烧烤摊", "claimed_solved": True})
    assert replied["status"] == "replied"
    TransitionOut.model_validate(replied)  # the documented shape
    closed = await post(wf, tid, "close", agent)
    assert closed["status"] == "closed" and closed["allowed_actions"] == ["reopen", "link"]

    trail = [(e["action"], e["from_status"], e["to_status"]) for e in await events(pool, tid)][-9:]
    assert trail == [("sign", "dispatched", "signed"), ("start", "signed", "in_progress"),
                     ("note", "in_progress", "in_progress"), ("request_info", "in_progress", "in_progress"),
                     ("info_received", "in_progress", "in_progress"),
                     ("request_extension", "in_progress", "in_progress"),
                     ("decide_extension", "in_progress", "in_progress"), ("reply", "in_progress", "replied"),
                     ("close", "replied", "closed")]
    final = await pool.fetchrow("SELECT status, replied_at, closed_at, resolution, claimed_solved, extension_days "
                                "FROM tickets WHERE id = $1", tid)
    assert final["status"] == "closed" and final["replied_at"] and final["closed_at"]
    assert final["claimed_solved"] is True and final["extension_days"] == 2
    history = await (await wf.get(f"/api/v1/tickets/{tid}/events", headers=agent)).json()
    assert history["events"][-1]["action"] == "close"


async def test_dispatch_from_triage_by_category_name_or_code(wf, pool, agent):
    tid = await make_ticket(pool)
    out = await post(wf, tid, "dispatch", agent, {"category": "eco.noise", "reason": "人工分拣"})
    assert out["unit"]["code"] == ECO and out["status"] == "dispatched"
    assert set(out["data"]["support"]) == {f"{RUGAO}-public_security", HOUSING}
    row = await pool.fetchrow("SELECT category_code, category_source, sign_by, reply_by, tier FROM tickets "
                              "WHERE id = $1", tid)
    assert (row["category_code"], row["category_source"], row["tier"]) == ("eco.noise", "human", "county")
    assert row["sign_by"] and row["reply_by"]
    leads = await pool.fetch("SELECT role FROM ticket_units WHERE ticket_id = $1 AND active", tid)
    assert sorted(r["role"] for r in leads) == ["lead", "support", "support"]


async def test_dispatch_validation(wf, pool, agent):
    tid = await make_ticket(pool, area=None)
    err = await post(wf, tid, "dispatch", agent, {"category": "城市管理/占道经营"}, status=422)
    assert err["details"][0]["field"] == "area_code"
    await post(wf, tid, "dispatch", agent, {"category": "不存在的分类", "area_code": RUGAO}, status=422)
    await post(wf, tid, "dispatch", agent, {"category": "urban.street_vending", "unit_code": "nope"}, status=422)
    await post(wf, tid, "dispatch", agent, {"colour": "red", "category": "x"}, status=422)
    out = await post(wf, tid, "dispatch", agent, {"category": "城市管理/占道经营", "area_code": RUGAO})
    assert out["unit"]["code"] == URBAN
    assert await pool.fetchval("SELECT county_code FROM tickets WHERE id = $1", tid) == RUGAO


async def test_functional_matter_cannot_go_down_to_a_street(wf, pool, agent):
    await pool.execute("INSERT INTO areas (code, name, short_name, level, parent_code) "
                       "VALUES ('320682001', '如城街道', '如城', 'street', $1) ON CONFLICT DO NOTHING", RUGAO)
    await pool.execute("INSERT INTO units (code, name, unit_type, area_code, tier) VALUES "
                       "('320682001-street_office', '如城街道办事处', 'street_office', '320682001', 'street') "
                       "ON CONFLICT DO NOTHING")
    tid = await dispatched(wf, pool, agent)
    err = await post(wf, tid, "redispatch", agent, {"unit_code": "320682001-street_office", "reason": "下派"},
                     status=422)
    assert "乡镇" in err["details"][0]["message"]
    # 市容环卫 is a local matter (no_street=false): it may go to the street office.
    out = await post(wf, tid, "redispatch", agent, {"unit_code": "320682001-street_office",
                                                    "category": "urban.sanitation", "reason": "属地保洁"})
    assert out["unit"]["code"] == "320682001-street_office"


# --- returns (退单) and supervisor review ----------------------------------------------------------

async def test_return_within_window_goes_back_to_hotline_for_redispatch(wf, pool, agent, tokens):
    tid = await dispatched(wf, pool, agent)
    handler = await handler_for(tokens, pool, URBAN)
    out = await post(wf, tid, "return", handler, {"reason": "非我单位职责，属物业管理范畴"})
    assert out["status"] == "returned" and out["data"]["queue"] == "dispatch"
    queue = await (await wf.get("/api/v1/queues/returns", params={"queue": "dispatch"}, headers=agent)).json()
    assert tid in [i["ticket"]["id"] for i in queue["items"]]
    again = await post(wf, tid, "redispatch", agent, {"category": "housing.property", "reason": "改派住建"})
    assert again["status"] == "dispatched" and again["unit"]["code"] == HOUSING
    ret = await pool.fetchrow("SELECT decision, decided_by FROM ticket_returns WHERE ticket_id = $1", tid)
    assert ret["decision"] == "redispatch" and ret["decided_by"] is not None
    assert await pool.fetchval("SELECT return_count FROM tickets WHERE id = $1", tid) == 1


async def test_return_after_window_is_refused(wf, pool, agent, tokens, clock):
    tid = await dispatched(wf, pool, agent)
    handler = await handler_for(tokens, pool, URBAN)
    clock.advance(hours=25)
    err = await post(wf, tid, "return", handler, {"reason": "非我单位职责"}, status=409)
    assert "退单时限" in err["message"] and err["current_status"] == "dispatched"
    assert err["allowed_actions"] == ["sign"] and err["return_deadline"]   # the window is closed: no return offered
    assert await pool.fetchval("SELECT count(*) FROM ticket_returns WHERE ticket_id = $1", tid) == 0


async def test_contested_return_reviewed_by_supervisor_then_redispatched(wf, pool, agent, tokens):
    tid = await dispatched(wf, pool, agent)
    handler = await handler_for(tokens, pool, URBAN)
    await post(wf, tid, "return", handler, {"reason": "派单异议：应由住建局办理", "contest": True})
    nantong = await tokens.make(Role.SUPERVISOR, area_code=NANTONG)
    nanjing = await tokens.make(Role.SUPERVISOR, area_code=NANJING)
    queue = await (await wf.get("/api/v1/queues/returns", headers=nantong)).json()
    assert tid in [i["ticket"]["id"] for i in queue["items"]]
    other = await (await wf.get("/api/v1/queues/returns", headers=nanjing)).json()
    assert tid not in [i["ticket"]["id"] for i in other["items"]]
    await post(wf, tid, "redispatch", nanjing, {"unit_code": HOUSING, "reason": "改派"}, status=404)
    out = await post(wf, tid, "redispatch", nantong, {"unit_code": HOUSING, "reason": "异议成立，改派住建局"})
    assert out["unit"]["code"] == HOUSING
    assert await pool.fetchval("SELECT decision FROM ticket_returns WHERE ticket_id = $1", tid) == "redispatch"


async def test_contested_return_upheld_restarts_the_clock_at_the_same_unit(wf, pool, agent, tokens, clock):
    tid = await dispatched(wf, pool, agent)
    first = await pool.fetchval("SELECT dispatched_at FROM tickets WHERE id = $1", tid)
    handler = await handler_for(tokens, pool, URBAN)
    await post(wf, tid, "return", handler, {"reason": "派单异议", "contest": True})
    supervisor = await tokens.make(Role.SUPERVISOR, area_code=RUGAO)
    clock.advance(hours=2)
    out = await post(wf, tid, "uphold", supervisor, {"reason": "占道经营属城管职责，维持原派"})
    assert out["status"] == "dispatched" and out["unit"]["code"] == URBAN
    assert await pool.fetchval("SELECT dispatched_at FROM tickets WHERE id = $1", tid) > first
    assert await pool.fetchval("SELECT decision FROM ticket_returns WHERE ticket_id = $1", tid) == "uphold"
    # nothing left to uphold
    await post(wf, tid, "uphold", supervisor, status=409)


# --- the state machine answers 409 with what is allowed -------------------------------------------

ENDPOINTS = {  # action -> (path, a valid body)
    "dispatch": ("dispatch", {"category": "urban.street_vending"}),
    "sign": ("sign", None),
    "start": ("start", None),
    "note": ("notes", {"text": "记录"}),
    "request_info": ("request-info", {"reason": "补充材料"}),
    "info_received": ("info-received", None),
    "return_ticket": ("return", {"reason": "退单"}),
    "redispatch": ("redispatch", {"unit_code": HOUSING, "reason": "改派"}),
    "uphold": ("uphold", None),
    "request_extension": ("extensions", {"days": 1, "reason": "延期"}),
    "decide_extension": ("extensions/999999/decision", {"approve": True}),
    "reply": ("reply", {"resolution": "已办结", "claimed_solved": True}),
    "close": ("close", None),
    "reopen": ("reopen", {"reason": "重办"}),
}


@pytest.mark.parametrize("status", [s.value for s in Status])
async def test_forbidden_transitions_answer_409_with_allowed_actions(wf, pool, tokens, status):
    tid = await make_ticket(pool, status, unit=URBAN)
    headers = {Role.HANDLER: await handler_for(tokens, pool, URBAN), Role.AGENT: await tokens.make(Role.AGENT),
               Role.SUPERVISOR: await tokens.make(Role.SUPERVISOR, area_code=NANTONG),
               Role.ADMIN: await tokens.make(Role.ADMIN)}
    checked = 0
    for action, (path, body) in ENDPOINTS.items():
        spec = ACTIONS[action]
        if Status(status) in spec.sources:
            continue
        for role in spec.roles & set(headers):
            err = await post(wf, tid, path, headers[role], body, status=409)
            assert err["current_status"] == status, (action, role)
            # what the state machine allows, narrowed to what would succeed now (tests/api/test_core_fixes.py)
            assert set(err["allowed_actions"]) <= set(allowed_actions(status, role)) - PIPELINE_ONLY, (action, role)
            assert err["message"] and err["details"]
            checked += 1
    assert checked > 0
    assert await pool.fetchval("SELECT status::text FROM tickets WHERE id = $1", tid) == status


async def test_second_pause_and_resume_without_pause_are_409(wf, pool, agent, tokens):
    tid = await make_ticket(pool, "in_progress", unit=URBAN)
    handler = await handler_for(tokens, pool, URBAN)
    err = await post(wf, tid, "info-received", handler, status=409)
    assert err["current_status"] == "in_progress" and "request_info" in err["allowed_actions"]
    await post(wf, tid, "request-info", handler, {"reason": "补充材料"})
    await post(wf, tid, "request-info", handler, {"reason": "再次补充"}, status=409)
    await post(wf, tid, "info-received", agent)  # the hotline may record the requester's answer


async def test_extension_limits_one_pending_and_refusal(wf, pool, agent, tokens):
    tid = await make_ticket(pool, "signed", unit=URBAN)
    handler = await handler_for(tokens, pool, URBAN)
    err = await post(wf, tid, "extensions", handler, {"days": 11, "reason": "太久"}, status=422)
    assert err["max_extension_days"] == 10
    await post(wf, tid, "extensions", handler, {"days": 0, "reason": "x"}, status=422)
    ext = await post(wf, tid, "extensions", handler, {"days": 3, "reason": "需现场勘验"}, status=201)
    await post(wf, tid, "extensions", handler, {"days": 1, "reason": "再申请"}, status=409)
    before = await pool.fetchval("SELECT reply_by FROM tickets WHERE id = $1", tid)
    admin = await tokens.make(Role.ADMIN)
    eid = ext["data"]["extension_id"]
    out = await post(wf, tid, f"extensions/{eid}/decision", admin, {"approve": False, "note": "理由不充分"})
    assert out["data"]["approved"] is False
    assert await pool.fetchval("SELECT reply_by FROM tickets WHERE id = $1", tid) == before
    await post(wf, tid, f"extensions/{eid}/decision", admin, {"approve": True}, status=409)
    other = await make_ticket(pool, "signed", unit=URBAN)
    await post(wf, other, f"extensions/{eid}/decision", admin, {"approve": True}, status=404)


async def test_reopen_goes_back_to_the_same_unit_with_a_new_clock(wf, pool, agent, tokens, clock):
    tid = await dispatched(wf, pool, agent)
    handler = await handler_for(tokens, pool, URBAN)
    await post(wf, tid, "sign", handler)
    await post(wf, tid, "reply", handler, {"resolution": "已处理", "claimed_solved": False})
    first = await pool.fetchval("SELECT dispatched_at FROM tickets WHERE id = $1", tid)
    clock.advance(hours=3)
    await post(wf, tid, "reopen", agent, {"reason": " "}, status=422)
    out = await post(wf, tid, "reopen", agent, {"reason": "回访不满意，重办"})
    assert out["status"] == "dispatched" and out["unit"]["code"] == URBAN
    row = await pool.fetchrow("SELECT reopen_count, replied_at, resolution, dispatched_at, signed_at "
                              "FROM tickets WHERE id = $1", tid)
    assert row["reopen_count"] == 1 and row["replied_at"] is None and row["resolution"] == ""
    assert row["dispatched_at"] > first and row["signed_at"] is None
    await post(wf, tid, "sign", handler)


async def test_concurrent_signs_one_wins_the_other_gets_409(wf, pool, tokens):
    tid = await make_ticket(pool, "dispatched", unit=URBAN)
    handler = await handler_for(tokens, pool, URBAN)
    answers = await asyncio.gather(*(wf.post(f"/api/v1/tickets/{tid}/sign", headers=handler) for _ in range(4)))
    assert sorted(r.status for r in answers) == [200, 409, 409, 409]
    assert [e["action"] for e in await events(pool, tid)] == ["sign"]


# --- who may act ------------------------------------------------------------------------------

async def test_role_denials_are_403(wf, pool, agent, tokens):
    tid = await make_ticket(pool, "dispatched", unit=URBAN)
    handler = await handler_for(tokens, pool, URBAN)
    linkage = await tokens.make(Role.LINKAGE)
    admin = await tokens.make(Role.ADMIN)
    await post(wf, tid, "dispatch", handler, {"category": "urban.street_vending"}, status=403)
    await post(wf, tid, "sign", agent, status=403)
    await post(wf, tid, "sign", admin, status=403)  # a unit's own actions are not delegated
    await post(wf, tid, "redispatch", linkage, {"unit_code": HOUSING, "reason": "x"}, status=403)
    await post(wf, tid, "uphold", agent, status=403)
    assert (await wf.post(f"/api/v1/tickets/{tid}/sign")).status == 401


async def test_scope_denials(wf, pool, agent, tokens):
    tid = await dispatched(wf, pool, agent, "eco.noise")  # 生态环境局主办，公安、住建协办
    stranger = await handler_for(tokens, pool, f"320623-eco_env")
    supporter = await handler_for(tokens, pool, HOUSING)
    lead = await handler_for(tokens, pool, ECO)
    nanjing = await tokens.make(Role.SUPERVISOR, area_code=NANJING)
    await post(wf, tid, "sign", stranger, status=404)
    await post(wf, tid, "notes", stranger, {"text": "x"}, status=404)
    await post(wf, tid, "redispatch", nanjing, {"unit_code": HOUSING, "reason": "x"}, status=404)
    await post(wf, tid, "sign", lead)
    await post(wf, tid, "notes", supporter, {"text": "住建局已配合核查施工许可"}, status=201)
    err = await post(wf, tid, "sign", supporter, status=403)
    assert "协办" in err["message"]
    await post(wf, tid, "reply", supporter, {"resolution": "x", "claimed_solved": True}, status=403)
    await post(wf, 999999999, "sign", lead, status=404)
    assert (await wf.post("/api/v1/tickets/abc/sign", headers=lead)).status == 404
    note = (await events(pool, tid))[-1]
    assert note["action"] == "note" and note["data"]["unit_role"] == "support"


# --- the database holds the line too ------------------------------------------------------------

async def test_db_trigger_rejects_an_invalid_status_change(pool):
    tid = await make_ticket(pool, "dispatched", unit=URBAN)
    with pytest.raises(asyncpg.CheckViolationError, match="dispatched -> replied"):
        await pool.execute("UPDATE tickets SET status = 'replied' WHERE id = $1", tid)
    async with pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        await conn.execute("UPDATE tickets SET status = 'signed' WHERE id = $1", tid)  # allowed
        await conn.execute("UPDATE tickets SET title = '改标题' WHERE id = $1", tid)    # no status change
        await tx.rollback()
    await pool.execute("INSERT INTO tickets (ticket_no, channel, requester_type, title, content, status) "
                       "VALUES ('WFDIRECT' || nextval('ticket_no_seq'), 'phone', 'citizen', 't', 'c', 'closed')")


async def test_transition_table_matches_the_state_machine(pool):
    rows = await pool.fetch("SELECT from_status::text, to_status::text FROM ticket_transitions")
    assert sorted((r[0], r[1]) for r in rows) == sorted(VALID_TRANSITIONS)
    in_file = [pair for path in MIGRATIONS
               for pair in re.findall(r"\('([a-z_]+)', '([a-z_]+)'\)", path.read_text(encoding="utf-8"))]
    assert sorted(in_file) == sorted(VALID_TRANSITIONS)


# --- notifications -----------------------------------------------------------------------------

async def test_new_work_is_announced_on_the_unit_stream(wf, pool, agent, tokens, clock):
    redis = wf.app[keys.REDIS]
    uid = await unit_id(pool, HOUSING)
    last = await redis.xrevrange(unit_stream(uid), count=1)
    start = last[0][0] if last else "0-0"
    tid = await make_ticket(pool)
    await post(wf, tid, "dispatch", agent, {"category": "城市管理/占道经营", "unit_code": HOUSING})
    got = await redis.xread({unit_stream(uid): start}, count=10)
    messages = [fields for _, entries in got for _, fields in entries]
    assert {"ticket_id": str(tid), "action": "dispatch", "status": "dispatched"}.items() <= messages[-1].items()
    handler = await handler_for(tokens, pool, HOUSING)
    await post(wf, tid, "return", handler, {"reason": "派单异议", "contest": True})
    clock.advance(minutes=5)
    await post(wf, tid, "uphold", await tokens.make(Role.ADMIN))
    got = await redis.xread({unit_stream(uid): start}, count=10)
    actions = [fields["action"] for _, entries in got for _, fields in entries if fields["ticket_id"] == str(tid)]
    assert actions == ["dispatch", "uphold"]


async def test_sign_keeps_its_optional_reason(wf, pool, agent, tokens):
    """Optional bodies (sign/start/close…) are read even though the admission middleware read the body first."""
    tid = await dispatched(wf, pool, agent)
    handler = await tokens.make(Role.HANDLER, unit_id=await pool.fetchval("SELECT unit_id FROM tickets WHERE id = $1", tid))
    await post(wf, tid, "sign", handler, {"reason": "已安排网格员核实"})
    assert (await events(pool, tid))[-1]["reason"] == "已安排网格员核实"
