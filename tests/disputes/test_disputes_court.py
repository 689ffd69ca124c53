"""诉调对接: a failed mediation referred to the court through the outbox, the court down then up.

A real little aiohttp server stands in for the court's platform; it deduplicates by
Idempotency-Key, as the real one must. Delivered once, then the court's acceptance and
outcome come back and are recorded on the case.
"""
from __future__ import annotations

import socket

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from hotline.disputes.court import deliver_due
from hotline.outbox import Target
from models.enums import Role


class FakeCourt:
    def __init__(self) -> None:
        self.calls = 0
        self.received: dict[str, dict] = {}
        self.app = web.Application()
        self.app.router.add_post("/referrals", self.handle)
        self.server: TestServer | None = None

    async def handle(self, request: web.Request) -> web.Response:
        self.calls += 1
        key = request.headers["Idempotency-Key"]
        self.received.setdefault(key, await request.json())
        return web.json_response({"ref": f"(2026)苏0682诉前调{len(self.received)}号"})

    async def start(self, port: int) -> None:
        self.server = TestServer(self.app, port=port)
        await self.server.start_server()

    async def stop(self) -> None:
        await self.server.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def ok(resp, status=200):
    body = await resp.json()
    assert resp.status == status, body
    return body


async def test_failed_mediation_reaches_the_court_once_and_its_outcome_comes_back(client, tokens, pool):
    agent, court = await tokens.make(Role.AGENT), await tokens.make(Role.COURT)
    org = await pool.fetchval("SELECT id FROM mediation_orgs WHERE code = '320682-labour'")
    mediator = await tokens.make(Role.MEDIATOR, org_id=org)
    case = await ok(await client.post("/api/v1/disputes/cases", headers=agent, json={
        "source": "walk_in", "summary": "某建筑公司拖欠十二名农民工工资共计三十六万元，多次讨要未果", "address": "如皋市长江镇",
        "area_code": "320682", "amount": 360000, "people": 12,
        "parties": [{"role": "applicant", "name": "农民工代表赵某", "phone": "13600003333"},
                    {"role": "respondent", "kind": "org", "name": "某建筑工程有限公司"}]}), 201)
    cid = case["id"]
    await ok(await client.post(f"/api/v1/disputes/cases/{cid}/accept", headers=agent))
    assigned = await ok(await client.post(f"/api/v1/disputes/cases/{cid}/assign", headers=agent,
                                          json={"org_codes": ["320682-labour", "320682-changjiang", "320682-lawyer"]}))
    assert [o["code"] for o in assigned["case"]["orgs"] if o["role"] == "lead"] == ["320682-labour"]
    assert len(assigned["case"]["orgs"]) == 3  # 联调: lead plus two
    await ok(await client.post(f"/api/v1/disputes/cases/{cid}/sessions", headers=mediator,
                               json={"scheduled_at": "2026-12-03T09:00:00+08:00", "attendees": ["赵某", "公司代表"]}), 201)
    failed = await ok(await client.post(f"/api/v1/disputes/cases/{cid}/fail", headers=mediator, json={
        "way_out": "litigation", "reason": "公司否认欠薪数额，调解不成", "refer_court": True}))
    assert failed["case"]["status"] == "failed" and failed["case"]["way_out"] == "litigation"
    key = failed["data"]["court_referral"]
    # referring again is a no-op: same idempotency key
    again = await ok(await client.post(f"/api/v1/disputes/cases/{cid}/court-referral", headers=mediator, json={}))
    assert again["data"]["court_referral"] == key
    assert await pool.fetchval("SELECT count(*) FROM court_outbox WHERE case_id = $1", cid) == 1

    fake, port = FakeCourt(), free_port()
    target = Target(f"http://127.0.0.1:{port}/referrals", timeout=2.0, backoff_max=0.1)
    async with aiohttp.ClientSession() as session:
        assert await deliver_due(pool, session, target) == 0  # the court is down
        row = await pool.fetchrow("SELECT state, attempts, last_error FROM court_outbox WHERE idempotency_key = $1", key)
        assert row["state"] == "pending" and row["attempts"] == 1 and row["last_error"]
        await fake.start(port)
        try:
            await pool.execute("UPDATE court_outbox SET next_attempt_at = now() WHERE idempotency_key = $1", key)
            assert await deliver_due(pool, session, target) == 1
            assert await deliver_due(pool, session, target) == 0
        finally:
            await fake.stop()
    assert fake.calls == 1 and list(fake.received) == [key]
    sent = fake.received[key]
    assert sent["kind"] == "referral" and sent["case_no"] == case["case_no"] and len(sent["parties"]) == 2

    for state, outcome in (("accepted", ""), ("concluded", "判决被告支付工资三十六万元")):
        await ok(await client.post("/api/v1/disputes/court/callbacks", headers=court, json={
            "idempotency_key": key, "state": state, "court_case_no": "(2026)苏0682民初1234号", "outcome": outcome}))
    detail = await ok(await client.get(f"/api/v1/disputes/cases/{cid}", headers=agent))
    assert detail["court"][0]["state"] == "concluded" and "三十六万元" in detail["court"][0]["court_outcome"]
    events = await ok(await client.get(f"/api/v1/disputes/cases/{cid}/events", headers=agent))
    assert [e["action"] for e in events["items"]][-3:] == ["court_delivered", "court_accepted", "court_concluded"]
    late = await client.post("/api/v1/disputes/court/callbacks", headers=court,
                             json={"idempotency_key": key, "state": "accepted"})
    assert late.status == 409
    missing = await client.post("/api/v1/disputes/court/callbacks", headers=court,
                                json={"idempotency_key": "court:nope", "state": "accepted"})
    assert missing.status == 404


async def test_court_pre_litigation_referral_opens_one_case_and_assigns_it(client, tokens):
    court = await tokens.make(Role.COURT)
    body = {"court_ref": "SQWP-2026-0001", "summary": "物业公司起诉业主拖欠物业费两年，法院诉前委派调解",
            "address": "如皋市如城街道龙游社区", "area_code": "320682", "amount": 6400,
            "parties": [{"role": "applicant", "kind": "org", "name": "某物业服务有限公司"},
                        {"role": "respondent", "name": "业主钱某", "phone": "13500004444"}]}
    case = await ok(await client.post("/api/v1/disputes/court/referrals", headers=court, json=body), 201)
    assert case["source"] == "court" and case["status"] == "assigned" and case["dispute_type"] == "property"
    assert [o["code"] for o in case["orgs"] if o["role"] == "lead"] == ["320682-property"]
    assert case["parties"][1]["phone"] != "13500004444"  # the court sees contacts masked
    same = await ok(await client.post("/api/v1/disputes/court/referrals", headers=court, json=body), 200)
    assert same["id"] == case["id"]
    other_court = await tokens.make(Role.COURT)
    assert (await client.get(f"/api/v1/disputes/cases/{case['id']}", headers=other_court)).status == 404
