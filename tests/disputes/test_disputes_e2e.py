"""The dispute desk end to end over HTTP on real PostgreSQL and Valkey.

A 110 joint neighbour dispute becomes a case, goes to the right community committee,
is listed (挂牌督办) at the town with a 包案 leader when ignored, is settled with an
agreement, followed up and counted in the report; mediators see and act only on
their organisation's cases; bad input gets the one JSON error shape.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient, TestServer

from hotline import keys
from hotline.app import create_app
from hotline.auth import create_token
from hotline.db import create_pool
from hotline.disputes.scheduled import sweep_cases
from models.enums import Role
from routing.calendar import add_working_days

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 6, 1, 9, 0, tzinfo=TZ)  # a Monday the holiday calendar covers
NEIGHBOURS = "如城街道海阳社区5幢两户邻居因为楼上卫生间漏水发生争吵，民警已到场处置，双方情绪平稳，需属地调解"


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
async def env(own_database, settings):
    s = settings.model_copy(update={"database_url": own_database})
    app = create_app(s)
    clock = Clock()
    app[keys.CLOCK] = clock
    pool = await create_pool(own_database, min_size=1, max_size=4)

    async def token(role: Role, **kw) -> dict:
        async with pool.acquire() as conn:
            _, secret = await create_token(conn, role, **kw)
        return {"Authorization": f"Bearer {secret}"}

    async def org(code: str) -> int:
        return await pool.fetchval("SELECT id FROM mediation_orgs WHERE code = $1", code)

    async with TestClient(TestServer(app)) as client:
        yield {"client": client, "pool": pool, "clock": clock, "token": token, "org": org, "app": app}
    await pool.close()


async def ok(resp, status=200):
    body = await resp.json()
    assert resp.status == status, body
    return body


async def test_110_neighbour_dispute_from_handoff_to_report(env):
    c, pool, clock, token = env["client"], env["pool"], env["clock"], env["token"]
    linkage, agent = await token(Role.LINKAGE), await token(Role.AGENT)
    supervisor = await token(Role.SUPERVISOR, area_code="320682")
    handoff = {"incident_no": "JQ20260601001", "content": NEIGHBOURS, "address": "江苏省如皋市如城街道海阳社区5幢",
               "area_code": "320682", "requester": {"name": "吴女士", "phone": "13912340001"}, "mediation": True}
    ticket = await ok(await c.post("/api/v1/linkage/110/handoffs", json=handoff, headers=linkage), 201)
    # pushed twice: still one ticket and one case
    await ok(await c.post("/api/v1/linkage/110/handoffs", json=handoff, headers=linkage), 200)
    page = await ok(await c.get("/api/v1/disputes/cases?area=320682", headers=supervisor))
    assert len(page["items"]) == 1
    case = page["items"][0]
    detail = await ok(await c.get(f"/api/v1/disputes/cases/{case['id']}", headers=agent))
    assert detail["source"] == "110" and detail["dispute_type"] == "neighbour" and detail["risk"] == "low"
    assert detail["status"] == "assigned"
    assert [o["name"] for o in detail["orgs"] if o["role"] == "lead"] == ["海阳社区人民调解委员会"]
    assert detail["tickets"][0]["id"] == ticket["id"] and detail["tickets"][0]["police_incident_no"] == "JQ20260601001"
    assert detail["parties"][0]["phone"] == "13912340001"
    sup_view = await ok(await c.get(f"/api/v1/disputes/cases/{case['id']}", headers=supervisor))
    assert sup_view["parties"][0]["phone"] != "13912340001"  # masked for supervisors

    # The community committee ignores it: warn, chase, then 挂牌督办 at the town with its 包案 leader.
    due = datetime.fromisoformat(detail["due_at"])
    listed_at = add_working_days(due, 2) + timedelta(hours=1)
    result = await sweep_cases(pool, listed_at, redis=env["app"][keys.REDIS])
    assert result.steps == {"warn": 1, "chase": 1, "list": 1}
    again = await sweep_cases(pool, listed_at)
    assert again.steps == {}  # exactly once
    clock.now = listed_at
    detail = await ok(await c.get(f"/api/v1/disputes/cases/{case['id']}", headers=agent))
    assert detail["listed"] and detail["listed_leader"] == "如城街道党工委副书记 陈建国"
    lead = [o for o in detail["orgs"] if o["role"] == "lead"]
    assert lead[0]["name"] == "如城街道人民调解委员会" and detail["tier"] == "town"
    assert "海阳社区人民调解委员会" in [o["name"] for o in detail["orgs"] if o["role"] == "support"]
    assert [e["step"] for e in detail["escalations"]] == ["warn", "chase", "list"]
    assert datetime.fromisoformat(detail["due_at"]) > listed_at  # a new clock at the town

    town = await token(Role.MEDIATOR, org_id=await env["org"]("320682-rucheng"))
    community = await token(Role.MEDIATOR, org_id=await env["org"]("320682-rucheng-haiyang"))
    elsewhere = await token(Role.MEDIATOR, org_id=await env["org"]("320682-baipu"))
    cid = case["id"]
    assert (await c.get(f"/api/v1/disputes/cases/{cid}", headers=elsewhere)).status == 404
    assert (await ok(await c.get("/api/v1/disputes/cases", headers=elsewhere)))["items"] == []
    session = {"scheduled_at": (listed_at + timedelta(days=1)).isoformat(), "place": "如城街道调解室",
               "attendees": ["吴女士", "楼上住户"], "mediator": "周海燕"}
    refused = await c.post(f"/api/v1/disputes/cases/{cid}/sessions", json=session, headers=community)
    assert refused.status == 403  # the community committee now supports; the town leads
    s1 = await ok(await c.post(f"/api/v1/disputes/cases/{cid}/sessions", json=session, headers=town), 201)
    assert s1["case"]["status"] == "mediating"
    await ok(await c.post(f"/api/v1/disputes/cases/{cid}/minutes", headers=community,
                          json={"session_id": s1["data"]["session_id"], "minutes": "双方同意由楼上住户维修防水层"}))
    settled = await ok(await c.post(f"/api/v1/disputes/cases/{cid}/settle", headers=town, json={
        "terms": "楼上住户十日内修复防水层并赔偿吴女士墙面修复费2000元", "amount": 2000, "perform_by": "2026-07-20"}))
    assert settled["case"]["status"] == "settled" and settled["data"]["legality_review"] == "not_needed"
    conflict = await c.post(f"/api/v1/disputes/cases/{cid}/settle", headers=town,
                            json={"terms": "再签一次", "perform_by": "2026-07-20"})
    body = await conflict.json()
    assert conflict.status == 409 and body["current_status"] == "settled" and "follow_up" in body["allowed_actions"]
    closed = await ok(await c.post(f"/api/v1/disputes/cases/{cid}/follow-up", headers=agent,
                                   json={"performed": "yes", "note": "回访：已修复，双方满意"}))
    assert closed["case"]["status"] == "closed" and closed["case"]["performed"] == "yes"

    report = await ok(await c.get("/api/v1/reports/disputes?from=2026-06-01&to=2026-06-30&by=org",
                                  headers=supervisor))
    t = report["totals"]
    assert t["cases"] == 1 and t["settled"] == 1 and t["listed"] == 1
    assert t["success_rate"] == 1.0 and t["performance_rate"] == 1.0 and t["substantive_rate"] == 1.0
    assert report["items"][0]["label"] == "如城街道人民调解委员会"
    events = await ok(await c.get(f"/api/v1/disputes/cases/{cid}/events", headers=agent))
    assert [e["action"] for e in events["items"]] == ["open", "accept", "assign", "warn", "chase", "list",
                                                      "schedule_session", "record_session", "settle", "follow_up"]


async def test_high_risk_case_alerts_110_and_supervisors(env):
    c, pool, token = env["client"], env["pool"], env["token"]
    agent = await token(Role.AGENT)
    redis = env["app"][keys.REDIS]
    last = await redis.xrevrange("hotline:escalations", count=1)
    since = last[0][0] if last else "0-0"
    body = {"source": "walk_in", "summary": "白蒲镇李家村两家因宅基地地界争执多年，昨天一方喝酒后拿着菜刀扬言要砍死对方",
            "address": "如皋市白蒲镇李家村", "area_code": "320682",
            "parties": [{"role": "applicant", "name": "李某", "phone": "13800001111"},
                        {"role": "respondent", "name": "张某"}]}
    case = await ok(await c.post("/api/v1/disputes/cases", json=body, headers=agent), 201)
    assert case["risk"] == "major" and case["dispute_type"] == "land"
    assert {r["code"] for r in case["risk_reasons"]} >= {"weapon", "kill_threat", "drinking", "duration"}
    row = await pool.fetchrow("SELECT kind, payload FROM linkage_outbox WHERE case_id = $1", case["id"])
    assert row["kind"] == "risk_alert" and row["payload"]["risk"] == "major"
    entries = await redis.xrange("hotline:escalations", min=f"({since}")
    assert any(f.get("case_no") == case["case_no"] and f["step"] == "risk_alert" for _, f in entries)
    # a person confirms (or lowers) the level; the scored level stays for the record
    confirmed = await ok(await c.post(f"/api/v1/disputes/cases/{case['id']}/risk", headers=agent,
                                      json={"level": "high", "reason": "已由派出所训诫，刀具收缴"}))
    assert confirmed["case"]["risk"] == "high" and confirmed["case"]["risk_scored"] == "major"
    # the desk assigns: high risk starts at the town with the village helping
    assigned = await ok(await c.post(f"/api/v1/disputes/cases/{case['id']}/accept", headers=agent))
    assert assigned["case"]["status"] == "accepted"
    assigned = await ok(await c.post(f"/api/v1/disputes/cases/{case['id']}/assign", headers=agent, json={}))
    names = {o["role"]: o["name"] for o in assigned["case"]["orgs"]}
    assert names == {"lead": "白蒲镇人民调解委员会", "support": "李家村人民调解委员会"}


async def test_repeat_call_from_the_same_party_joins_the_case_and_raises_risk(env):
    c, token = env["client"], env["token"]
    agent = await token(Role.AGENT)
    body = {"source": "walk_in", "summary": "城南街道平园池社区楼下邻居养狗扰民，协商未果", "address": "如皋市城南街道平园池社区",
            "area_code": "320682", "parties": [{"role": "applicant", "name": "许先生", "phone": "13700002222"}]}
    first = await ok(await c.post("/api/v1/disputes/cases", json=body, headers=agent), 201)
    assert first["risk"] == "low"
    again = await ok(await c.post("/api/v1/disputes/cases", json={**body, "summary": "狗又叫了一夜，对方还骂人"},
                                  headers=agent), 200)
    assert again["id"] == first["id"] and again["gathered"] == "gather" and again["repeat_calls"] == 1
    assert again["risk"] == "medium"


async def test_bad_input_gets_the_json_error_shape(env):
    c, token = env["client"], env["token"]
    agent = await token(Role.AGENT)
    for body in ({"source": "walk_in"}, {"source": "moon", "summary": "x"},
                 {"source": "walk_in", "summary": "x", "dispute_type": "nope"},
                 {"source": "walk_in", "summary": "x", "area_code": "999999"},
                 {"source": "ticket", "ticket_id": 1, "parties": [{"role": "x", "name": ""}]}):
        resp = await c.post("/api/v1/disputes/cases", json=body, headers=agent)
        data = await resp.json()
        assert resp.status == 422 and set(data) >= {"message", "details"}, (body, data)
    resp = await c.post("/api/v1/disputes/cases/abc/settle", json={}, headers=agent)
    assert resp.status in (403, 404)
    resp = await c.post("/api/v1/disputes/cases", data=b"{not json",
                        headers={**agent, "Content-Type": "application/json"})
    assert resp.status == 400 and "message" in await resp.json()
