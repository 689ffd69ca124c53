"""Issue 20, items 4-8, as a user meets them: real HTTP, PostgreSQL and Valkey."""
from __future__ import annotations

import pytest

from models.enums import Role
from routing.address import LEGACY_CODES

RUGAO, NANTONG = "320682", "320600"
BODY = {"channel": "phone", "requester": {"name": "张先生", "phone": "13800000000"},
        "content": "小区楼下烧烤摊每天晚上占道经营到凌晨，油烟很大"}


async def call(client, method: str, path: str, headers: dict, body: dict | None = None, status: int = 200):
    resp = await client.request(method, f"/api/v1{path}", json=body, headers=headers)
    data = await resp.json()
    assert resp.status == status, (method, path, data)
    return data


async def file(client, agent: dict, **over) -> dict:
    return await call(client, "POST", "/tickets", agent, {**BODY, "area_code": RUGAO, **over}, status=201)


# --- item 4: retired area codes ------------------------------------------------------------------

@pytest.mark.parametrize("old", sorted(LEGACY_CODES))
async def test_retired_area_code_maps_the_same_at_dispatch_as_at_intake(client, agent, old):
    taken = await file(client, agent, area_code=old)
    assert taken["area_code"] == LEGACY_CODES[old]
    other = await file(client, agent)
    out = await call(client, "POST", f"/tickets/{other['id']}/dispatch", agent,
                     {"category": "城市管理/占道经营", "area_code": old})
    assert out["status"] == "dispatched"
    ticket = await call(client, "GET", f"/tickets/{other['id']}", agent)
    assert ticket["area_code"] == LEGACY_CODES[old] and ticket["city_code"] == old[:4] + "00"


# --- items 6 and 8: allowed_actions says what would succeed; no second return after 维持原派 --------

URBAN = f"{RUGAO}-urban_mgmt"


async def dispatched_to(client, pool, tokens, agent, unit: str = URBAN) -> tuple[int, dict]:
    t = await file(client, agent)
    await call(client, "POST", f"/tickets/{t['id']}/dispatch", agent,
               {"category": "城市管理/占道经营", "unit_code": unit})
    handler = await tokens.make(Role.HANDLER, unit_id=await pool.fetchval("SELECT id FROM units WHERE code = $1",
                                                                             unit))
    return t["id"], handler


async def test_allowed_actions_list_only_what_would_succeed_now(client, pool, tokens, agent):
    tid, handler = await dispatched_to(client, pool, tokens, agent)
    supervisor = await tokens.make(Role.SUPERVISOR, area_code=NANTONG)
    started = await call(client, "POST", f"/tickets/{tid}/sign", handler)
    started = await call(client, "POST", f"/tickets/{tid}/start", handler)
    assert "request_info" in started["allowed_actions"] and "info_received" not in started["allowed_actions"]
    assert "request_extension" in started["allowed_actions"]
    note = await call(client, "POST", f"/tickets/{tid}/notes", supervisor, {"text": "请尽快办理"}, status=201)
    assert "decide_extension" not in note["allowed_actions"], "no extension is pending"

    paused = await call(client, "POST", f"/tickets/{tid}/request-info", handler, {"reason": "请补充门牌号"})
    assert "info_received" in paused["allowed_actions"] and "request_info" not in paused["allowed_actions"]
    err = await call(client, "POST", f"/tickets/{tid}/request-info", handler, {"reason": "再次"}, status=409)
    assert "request_info" not in err["allowed_actions"] and "info_received" in err["allowed_actions"]
    await call(client, "POST", f"/tickets/{tid}/info-received", handler, {"reason": "已补充"})

    asked = await call(client, "POST", f"/tickets/{tid}/extensions", handler, {"days": 2, "reason": "需协调"},
                       status=201)
    assert "request_extension" not in asked["allowed_actions"], "one pending request at a time"
    note = await call(client, "POST", f"/tickets/{tid}/notes", supervisor, {"text": "已阅"}, status=201)
    assert "decide_extension" in note["allowed_actions"]

    # the state machine's pipeline-only actions are never offered: no endpoint takes them
    fresh = await file(client, agent)
    err = await call(client, "POST", f"/tickets/{fresh['id']}/notes", agent, {"text": "x"}, status=409)
    assert err["allowed_actions"] == ["dispatch", "redispatch", "add_repeat", "merge", "link", "answer", "refer"]


async def test_no_second_return_after_the_supervisor_upheld_the_dispatch(client, pool, tokens, agent):
    tid, handler = await dispatched_to(client, pool, tokens, agent)
    supervisor = await tokens.make(Role.SUPERVISOR, area_code=NANTONG)
    await call(client, "POST", f"/tickets/{tid}/return", handler, {"reason": "不属于本单位职责", "contest": True})
    upheld = await call(client, "POST", f"/tickets/{tid}/uphold", supervisor, {"reason": "属城管职责，维持原派"})
    assert upheld["status"] == "dispatched"
    sign = await call(client, "POST", f"/tickets/{tid}/sign", handler)
    assert "return_ticket" not in sign["allowed_actions"]
    for contest in (True, False):
        err = await call(client, "POST", f"/tickets/{tid}/return", handler,
                         {"reason": "仍不属于本单位", "contest": contest}, status=409)
        assert err["message"] == "督办已维持原派，不能再次退单" and "return_ticket" not in err["allowed_actions"]
    assert await pool.fetchval("SELECT count(*) FROM ticket_returns WHERE ticket_id = $1", tid) == 1

    # a redispatch to another unit is a new dispatch: that unit may return it
    housing = f"{RUGAO}-housing"
    moved = await call(client, "POST", f"/tickets/{tid}/redispatch", agent, {"unit_code": housing, "reason": "改派"})
    other = await tokens.make(Role.HANDLER, unit_id=moved["unit"]["id"])
    await call(client, "POST", f"/tickets/{tid}/return", other, {"reason": "非本单位职责"})


# --- item 8: unreachable callbacks need spacing ----------------------------------------------------

async def replied(client, pool, tokens, agent) -> int:
    tid, handler = await dispatched_to(client, pool, tokens, agent)
    await call(client, "POST", f"/tickets/{tid}/sign", handler)
    await call(client, "POST", f"/tickets/{tid}/reply", handler, {"resolution": "已处理", "claimed_solved": True})
    return tid


async def test_unreachable_callbacks_within_the_minimum_spacing_are_refused(client, pool, tokens, agent):
    tid = await replied(client, pool, tokens, agent)
    url = f"/tickets/{tid}/callback"
    first = await call(client, "POST", url, agent, {"reached": False})
    assert first["outcome"] == "pending"
    for _ in range(2):
        err = await call(client, "POST", url, agent, {"reached": False}, status=409)
        assert "须间隔至少 30 分钟" in err["message"] and err["next_attempt_at"]
        assert err["details"][0]["field"] == "reached"
    ticket = await call(client, "GET", f"/tickets/{tid}", agent)
    assert ticket["status"] == "replied", "not archived as unreachable by three calls in a second"
    assert await pool.fetchval("SELECT count(*) FROM callback_attempts WHERE ticket_id = $1", tid) == 1
    # reaching the requester is never held back
    done = await call(client, "POST", url, agent, {"reached": True, "satisfaction": "satisfied", "solved": "solved"})
    assert done["status"] == "closed"


async def test_callback_spacing_is_a_setting(settings, pool, tokens, agent):
    from aiohttp.test_utils import TestClient, TestServer

    from hotline.app import create_app

    app = create_app(settings.model_copy(update={"callback_min_spacing_minutes": 0}))
    async with TestClient(TestServer(app)) as c:
        tid = await replied(c, pool, tokens, agent)
        for outcome in ("pending", "pending", "unreachable"):
            assert (await call(c, "POST", f"/tickets/{tid}/callback", agent, {"reached": False}))["outcome"] == outcome


# --- item 7: the linkage role reads what 110 is involved in, and can acknowledge from the outbox --------

POLICE_TEXT = "有人拿着刀在小区门口追砍路人，已经有人受伤流血倒在地上了，快来人！"
JOINT_TEXT = "楼道里燃气味道很重，邻居家敲门没人应，担心燃气泄漏会爆炸。"


async def test_linkage_reads_transferred_and_joint_tickets_and_acks_from_the_outbox(client, tokens, agent):
    linkage = await tokens.make(Role.LINKAGE)
    police = await file(client, agent, content=POLICE_TEXT)
    joint = await file(client, agent, content=JOINT_TEXT)
    plain = await file(client, agent)
    assert (police["disposition"], joint["disposition"], plain["disposition"]) == ("110", "joint", "12345")
    for t in (police, joint):
        seen = await call(client, "GET", f"/tickets/{t['id']}", linkage)
        assert seen["ticket_no"] == t["ticket_no"]
        assert (await call(client, "GET", f"/tickets/{t['id']}/events", linkage))["events"]
    await call(client, "GET", f"/tickets/{plain['id']}", linkage, status=404)   # not 110's business

    outbox = await call(client, "GET", "/linkage/outbox", linkage, None)
    mine = {i["ticket_no"]: i for i in outbox["items"] if i["ticket_no"] in (police["ticket_no"], joint["ticket_no"])}
    assert set(mine) == {police["ticket_no"], joint["ticket_no"]}
    key = mine[police["ticket_no"]]["idempotency_key"]
    assert key
    acked = await call(client, "POST", "/linkage/110/acks", linkage, {"idempotency_key": key, "ref": "110-1"})
    assert acked
    outbox = await call(client, "GET", "/linkage/outbox", agent)
    assert [i["state"] for i in outbox["items"] if i["idempotency_key"] == key] == ["acknowledged"]


# --- item 5: 响应率 counts a dispatch once it was signed or its sign-off deadline passed -------------

QIDONG_HOUSING = "320681-housing"     # 启东市: no other test files tickets there


async def test_response_rate_counts_a_dispatch_only_once_due_or_signed(settings, pool, tokens, agent):
    from datetime import datetime, timedelta, timezone

    from aiohttp.test_utils import TestClient, TestServer

    from hotline import keys
    from hotline.app import create_app

    offset = [timedelta(0)]
    app = create_app(settings)
    app[keys.CLOCK] = lambda: datetime.now(timezone.utc) + offset[0]
    supervisor = await tokens.make(Role.SUPERVISOR, area_code="320681")
    async with TestClient(TestServer(app)) as c:
        async def response(**params) -> dict:
            resp = await c.get("/api/v1/reports/rates", headers=supervisor,
                               params={"group_by": "total", "area": "320681", **params})
            assert resp.status == 200, await resp.text()
            return (await resp.json())["total"]

        tickets = [await file(c, agent, area_code="320681") for _ in range(2)]
        for t in tickets:
            await call(c, "POST", f"/tickets/{t['id']}/dispatch", agent,
                       {"category": "housing.property", "unit_code": QIDONG_HOUSING})
        day_one = await response()
        assert day_one["dispatched"] == 2 and day_one["response_rate"] is None, "nothing is due yet"

        handler = await tokens.make(Role.HANDLER, unit_id=await pool.fetchval(
            "SELECT id FROM units WHERE code = $1", QIDONG_HOUSING))
        await call(c, "POST", f"/tickets/{tickets[0]['id']}/sign", handler)
        signed = await response()
        assert signed["response_rate"] == 1.0 and signed["sign_lapsed"] == 0

        offset[0] = timedelta(days=5)           # the other one's sign-off deadline has passed unsigned
        later = await response()
        assert later["sign_lapsed"] == 1 and later["response_rate"] == 0.5
