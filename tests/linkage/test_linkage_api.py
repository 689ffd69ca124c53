"""12345–110 linkage through HTTP: hand-offs both ways, delivery under failures, counts."""
from __future__ import annotations

import asyncio
import uuid

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from hotline.linkage.worker import deliver_due
from hotline.outbox import Target
from models.enums import Role

POLICE_TEXT = "有人拿着刀在小区门口追砍路人，已经有人受伤流血倒在地上了，快来人！"
JOINT_TEXT = "楼道里燃气味道很重，邻居家敲门没人应，担心燃气泄漏会爆炸。"
PLAIN_TEXT = "小区物业每年涨物业费，电梯坏了半个月也不修，要求住建部门督促物业。"


class Fake110:
    """A little 110 platform: can be down, slow or failing, then recover; dedupes by Idempotency-Key."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.calls = 0
        self.accepted: dict[str, dict] = {}
        self.app = web.Application()
        self.app.router.add_post("/handoffs", self.handle)
        self.server: TestServer | None = None

    async def handle(self, request: web.Request) -> web.Response:
        self.calls += 1
        if self.mode == "error":
            return web.json_response({"error": "busy"}, status=500)
        key = request.headers["Idempotency-Key"]
        body = await request.json()
        if self.mode == "slow":
            self.accepted.setdefault(key, body)  # processed, but the answer comes too late
            await asyncio.sleep(2)
        self.accepted.setdefault(key, body)
        return web.json_response({"status": "received", "ref": f"110-{len(self.accepted)}"})

    async def start(self, port: int | None = None) -> None:
        self.server = TestServer(self.app, port=port) if port else TestServer(self.app)
        await self.server.start_server()

    async def stop(self) -> None:
        await self.server.close()

    @property
    def url(self) -> str:
        return str(self.server.make_url("/handoffs"))


async def _file(client, headers, content, **over):
    body = {"channel": "phone", "content": content, "area_code": "320682", **over}
    resp = await client.post("/api/v1/tickets", json=body, headers=headers)
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def _outbox(pool, ticket_id):
    return await pool.fetch("SELECT * FROM linkage_outbox WHERE ticket_id = $1 ORDER BY id", ticket_id)


async def test_police_matter_goes_to_110_at_once(client, agent, pool):
    t = await _file(client, agent, POLICE_TEXT)
    assert t["disposition"] == "110" and t["status"] == "transferred"
    assert t["disposition_label"] == "移交110" and t["split_reasons"]
    rows = await _outbox(pool, t["id"])
    assert [(r["kind"], r["state"]) for r in rows] == [("handoff", "pending")]
    assert rows[0]["payload"]["ticket_no"] == t["ticket_no"]


async def test_joint_matter_stays_on_12345_and_is_handed_to_110(client, agent, pool):
    t = await _file(client, agent, JOINT_TEXT)
    assert t["disposition"] == "joint" and t["status"] in ("dispatched", "triage")
    rows = await _outbox(pool, t["id"])
    assert rows[0]["payload"]["joint"] is True


async def test_ordinary_complaint_stays_on_12345_without_handoff(client, agent, pool):
    t = await _file(client, agent, PLAIN_TEXT)
    assert t["disposition"] == "12345"
    assert await _outbox(pool, t["id"]) == []


async def _drain(pool, session, target, rounds=30):
    """Run the worker until nothing is pending, skipping the backoff waits."""
    for _ in range(rounds):
        await pool.execute("UPDATE linkage_outbox SET next_attempt_at = now() WHERE state = 'pending'")
        await deliver_due(pool, session, target, batch=50)
        if not await pool.fetchval("SELECT count(*) FROM linkage_outbox WHERE state = 'pending'"):
            return


async def test_handoffs_delivered_once_each_after_110_outage(client, agent, pool):
    await pool.execute("UPDATE linkage_outbox SET state = 'failed' WHERE state = 'pending'")  # earlier tests' rows
    fake = Fake110()
    await fake.start()
    port = fake.server.port
    target = Target(fake.url, timeout=0.5, max_attempts=20)
    tickets = [await _file(client, agent, POLICE_TEXT + f" 第{i}起") for i in range(6)]
    keys = {(await _outbox(pool, t["id"]))[0]["idempotency_key"] for t in tickets}
    async with aiohttp.ClientSession() as session:
        fake.mode = "error"
        await deliver_due(pool, session, target, batch=50)
        fake.mode = "slow"
        await pool.execute("UPDATE linkage_outbox SET next_attempt_at = now() WHERE state = 'pending'")
        await deliver_due(pool, session, target, batch=2)
        await fake.stop()  # down
        await pool.execute("UPDATE linkage_outbox SET next_attempt_at = now() WHERE state = 'pending'")
        await deliver_due(pool, session, target, batch=50)
        states = {r["state"] for t in tickets for r in await _outbox(pool, t["id"])}
        assert states == {"pending"}, "nothing is lost or given up while 110 is away"
        await fake.start(port)  # recovered
        fake.mode = "ok"
        await _drain(pool, session, target)
    await fake.stop()
    rows = [r for t in tickets for r in await _outbox(pool, t["id"])]
    assert {r["state"] for r in rows} == {"delivered"}
    assert set(fake.accepted) == keys, "every hand-off arrived, none twice (the 110 side keeps one per key)"
    assert all(r["attempts"] >= 2 for r in rows)


async def test_failed_after_max_attempts_is_visible_to_supervisors(client, agent, pool, tokens):
    await pool.execute("UPDATE linkage_outbox SET state = 'failed' WHERE state = 'pending'")
    t = await _file(client, agent, POLICE_TEXT + " 最大重试")
    target = Target("http://127.0.0.1:9/handoffs", timeout=0.2, max_attempts=3)
    async with aiohttp.ClientSession() as session:
        await _drain(pool, session, target, rounds=5)
    row = (await _outbox(pool, t["id"]))[0]
    assert row["state"] == "failed" and row["attempts"] == 3 and row["last_error"]
    sup = await tokens.make(Role.SUPERVISOR, area_code="320600")
    listed = await (await client.get("/api/v1/linkage/outbox", params={"state": "failed"}, headers=sup)).json()
    assert t["ticket_no"] in [i["ticket_no"] for i in listed["items"]]


async def test_inbound_110_handoff_creates_one_ticket_per_incident(client, tokens, pool):
    linkage = await tokens.make(Role.LINKAGE)
    incident = f"JQ{uuid.uuid4().hex[:12]}"
    body = {"incident_no": incident, "content": "来电称小区楼上住户装修噪音扰民，110 判定为非警务求助，移交 12345。",
            "area_code": "320682", "requester": {"name": "陈女士", "phone": "13700001111"}}
    first = await client.post("/api/v1/linkage/110/handoffs", json=body, headers=linkage)
    second = await client.post("/api/v1/linkage/110/handoffs", json=body, headers=linkage)
    assert (first.status, second.status) == (201, 200)
    a, b = await first.json(), await second.json()
    assert a["id"] == b["id"] and a["channel"] == "110" and a["police_incident_no"] == incident
    assert a["disposition"] == "12345"
    assert await pool.fetchval("SELECT count(*) FROM tickets WHERE police_incident_no = $1", incident) == 1
    agent_like = await tokens.make(Role.AGENT)
    assert (await client.post("/api/v1/linkage/110/handoffs", json=body, headers=agent_like)).status == 403


async def test_inbound_police_signals_are_kept_but_flagged_for_review(client, tokens):
    linkage = await tokens.make(Role.LINKAGE)
    body = {"incident_no": f"JQ{uuid.uuid4().hex[:12]}", "content": POLICE_TEXT, "area_code": "320682"}
    t = await (await client.post("/api/v1/linkage/110/handoffs", json=body, headers=linkage)).json()
    assert t["disposition"] == "12345" and t["split_review"] is True


async def test_outcome_reported_back_to_110_when_ticket_closes(client, tokens, pool):
    linkage = await tokens.make(Role.LINKAGE)
    incident = f"JQ{uuid.uuid4().hex[:12]}"
    body = {"incident_no": incident, "content": "路灯坏了一个月没人修，110 移交。", "area_code": "320682"}
    t = await (await client.post("/api/v1/linkage/110/handoffs", json=body, headers=linkage)).json()
    path = {"triage": ["dispatched", "signed", "replied", "closed"],
            "dispatched": ["signed", "replied", "closed"]}[t["status"]]
    for status in path:
        await pool.execute("UPDATE tickets SET status = $2 WHERE id = $1", t["id"], status)
    rows = await _outbox(pool, t["id"])
    assert [r["kind"] for r in rows] == ["outcome"]
    assert rows[0]["payload"]["incident_no"] == incident
    ack = await client.post("/api/v1/linkage/110/acks", json={"idempotency_key": rows[0]["idempotency_key"]},
                            headers=linkage)
    assert ack.status == 200
    assert (await _outbox(pool, t["id"]))[0]["state"] == "acknowledged"


async def test_linkage_counts_by_day_and_area(client, agent):
    await _file(client, agent, POLICE_TEXT + " 统计")
    today = __import__("datetime").date.today()
    resp = await client.get("/api/v1/reports/linkage", headers=agent,
                            params={"from": str(today - __import__("datetime").timedelta(days=1)),
                                    "to": str(today + __import__("datetime").timedelta(days=2))})
    data = await resp.json()
    assert resp.status == 200 and data["totals"]["pushed_to_110"] >= 1
    assert all(set(i) >= {"day", "city_code", "received_from_110", "joint"} for i in data["items"])


@pytest.mark.parametrize("body", [{"content": "x"}, {"incident_no": "a b", "content": "x"},
                                  {"incident_no": "JQ1", "content": ""}])
async def test_bad_inbound_handoffs_are_422(client, tokens, body):
    linkage = await tokens.make(Role.LINKAGE)
    assert (await client.post("/api/v1/linkage/110/handoffs", json=body, headers=linkage)).status == 422


async def test_the_services_own_worker_delivers_handoffs(settings, agent, pool):
    from aiohttp.test_utils import TestClient

    from hotline.app import create_app

    await pool.execute("UPDATE linkage_outbox SET state = 'failed' WHERE state = 'pending'")
    fake = Fake110()
    await fake.start()
    app = create_app(settings.model_copy(update={"linkage_110_url": fake.url, "linkage_poll_seconds": 0.1}))
    async with TestClient(TestServer(app)) as c:
        t = await _file(c, agent, POLICE_TEXT + " 自动投递")
        for _ in range(100):
            if f"handoff:{t['ticket_no']}" in fake.accepted:
                break
            await asyncio.sleep(0.1)
    await fake.stop()
    assert fake.accepted[f"handoff:{t['ticket_no']}"]["ticket_no"] == t["ticket_no"]
    assert (await _outbox(pool, t["id"]))[0]["state"] == "delivered"
