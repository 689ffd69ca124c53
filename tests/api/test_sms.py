"""SMS to requesters through the outbox (#17): acceptance with the query code, reply with the survey link,
reopen; a real little gateway that fails, goes down and comes back; every message sent once."""
from __future__ import annotations

import asyncio
import re

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from hotline.app import create_app
from hotline.requester.sms_worker import Gateway, deliver_due
from hotline.wallclock import now
from models.enums import Role

BASE = "https://12345.example.gov.cn"
PHONE = "13900001111"


class FakeGateway:
    """A little SMS gateway: can fail or be down, then recover; keeps one message per Idempotency-Key."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.calls = 0
        self.sent: dict[str, dict] = {}
        self.app = web.Application()
        self.app.router.add_post("/sms", self.handle)
        self.server: TestServer | None = None

    async def handle(self, request: web.Request) -> web.Response:
        self.calls += 1
        assert request.headers.get("Authorization") == "Bearer gw-secret"
        if self.mode == "error":
            return web.json_response({"error": "busy"}, status=503)
        key = request.headers["Idempotency-Key"]
        self.sent.setdefault(key, await request.json())
        if self.mode == "lost":  # sent, but the answer never arrives in time
            await asyncio.sleep(2)
        return web.json_response({"id": f"gw-{len(self.sent)}"})

    async def start(self, port: int | None = None) -> None:
        self.server = TestServer(self.app, port=port) if port else TestServer(self.app)
        await self.server.start_server()

    async def stop(self) -> None:
        await self.server.close()

    @property
    def url(self) -> str:
        return str(self.server.make_url("/sms"))


async def _intake(client, agent, phone=PHONE) -> dict:
    body = {"channel": "phone", "area_code": "320682", "requester": {"name": "李女士", "phone": phone},
            "content": "小区门口路灯坏了两个星期，晚上走路很危险。"}
    resp = await client.post("/api/v1/tickets", json=body, headers=agent)
    assert resp.status == 201
    return await resp.json()


async def _reply(client, agent, tokens, t) -> None:
    assert (await client.post(f"/api/v1/tickets/{t['id']}/dispatch", json={"category": "城市管理/市政设施"},
                              headers=agent)).status == 200
    detail = await (await client.get(f"/api/v1/tickets/{t['id']}", headers=agent)).json()
    handler = await tokens.make(Role.HANDLER, unit_id=detail["unit"]["id"])
    assert (await client.post(f"/api/v1/tickets/{t['id']}/sign", json={}, headers=handler)).status == 200
    reply = {"resolution": "已更换灯泡并恢复照明", "claimed_solved": True}
    assert (await client.post(f"/api/v1/tickets/{t['id']}/reply", json=reply, headers=handler)).status == 200


async def _rows(pool, ticket_id):
    return await pool.fetch("SELECT kind, state, attempts, params, idempotency_key FROM sms_outbox "
                            "WHERE ticket_id = $1 ORDER BY id", ticket_id)


async def _all_rows(pool, tickets) -> list:
    return [r for t in tickets for r in await _rows(pool, t["id"])]


async def _drain(pool, session, gw, rounds=40):
    for _ in range(rounds):
        await pool.execute("UPDATE sms_outbox SET next_attempt_at = now() WHERE state = 'pending'")
        await deliver_due(pool, session, gw, now(), batch=500)


async def test_without_a_gateway_messages_wait(client, agent, pool):
    t = await _intake(client, agent)
    rows = await _rows(pool, t["id"])
    assert [(r["kind"], r["state"]) for r in rows] == [("accepted", "pending")]
    landline = await _intake(client, agent, phone="0513-87654321")
    assert await _rows(pool, landline["id"]) == [], "no text to a landline"


async def test_gateway_down_then_up_every_message_sent_once(client, agent, tokens, pool):
    gw_server = FakeGateway()
    await gw_server.start()
    port = gw_server.server.port
    gw = Gateway(gw_server.url, "gw-secret", timeout=0.5, max_attempts=50, backoff_max=0.01, base=BASE, link_hours=48)
    accepted_only = await _intake(client, agent)
    replied = await _intake(client, agent)
    await _reply(client, agent, tokens, replied)
    reopened = await _intake(client, agent)
    await _reply(client, agent, tokens, reopened)
    mine = [accepted_only, replied, reopened]
    async with aiohttp.ClientSession() as session:
        gw_server.mode = "error"
        await _drain(pool, session, gw, rounds=2)
        gw_server.mode = "lost"
        await _drain(pool, session, gw, rounds=1)
        await gw_server.stop()  # down
        await _drain(pool, session, gw, rounds=2)
        assert all(r["state"] == "pending" for r in await _all_rows(pool, mine))
        await gw_server.start(port)  # back up
        gw_server.mode = "ok"
        await _drain(pool, session, gw, rounds=3)
        # the replied ticket's requester is unhappy: reopened, and told so
        cb = {"reached": True, "satisfaction": "unsatisfied", "solved": "unsolved", "comment": "灯还是不亮"}
        assert (await client.post(f"/api/v1/tickets/{reopened['id']}/callback", json=cb, headers=agent)).status == 200
        await _drain(pool, session, gw, rounds=3)
    await gw_server.stop()

    kinds = {t["id"]: [(r["kind"], r["state"]) for r in await _rows(pool, t["id"])] for t in mine}
    assert kinds[accepted_only["id"]] == [("accepted", "sent")]
    assert kinds[replied["id"]] == [("accepted", "sent"), ("replied", "sent")]
    assert kinds[reopened["id"]] == [("accepted", "sent"), ("replied", "sent"), ("reopened", "sent")]
    keys = [r["idempotency_key"] for r in await _all_rows(pool, mine)]
    assert all(k in gw_server.sent for k in keys), "every message reached the gateway, each key once"
    assert all(gw_server.sent[k]["phone"] == PHONE for k in keys)
    assert gw_server.calls > len(keys), "the outage made the worker retry"
    assert all("code" not in r["params"] and "token" not in r["params"]
               for r in await _all_rows(pool, mine)), "secrets leave the outbox once sent"

    accepted_text = gw_server.sent[f"sms:accepted:{accepted_only['ticket_no']}"]["text"]
    assert accepted_only["ticket_no"] in accepted_text and accepted_only["lookup_code"] in accepted_text
    assert f"{BASE}/lookup?no={accepted_only['ticket_no']}" in accepted_text
    lookup = await client.post("/api/v1/lookup", json={"ticket_no": accepted_only["ticket_no"],
                                                       "code": accepted_only["lookup_code"]})
    assert lookup.status == 200

    replied_text = gw_server.sent[f"sms:replied:{replied['ticket_no']}:0"]["text"]
    url = re.search(r"https://\S+/survey/sv_[A-Za-z0-9_-]+", replied_text).group(0)
    assert url.startswith(BASE + "/survey/") and "48小时" in replied_text
    page = await client.get(url.removeprefix(BASE))
    assert page.status == 200 and 'name="satisfaction"' in await page.text()
    assert "重新办理" in gw_server.sent[f"sms:reopened:{reopened['ticket_no']}:1"]["text"]


async def test_failed_after_max_attempts_is_visible(client, agent, pool, tokens):
    t = await _intake(client, agent, phone="13900002222")
    gw = Gateway("http://127.0.0.1:9/sms", "gw-secret", timeout=0.2, max_attempts=2, backoff_max=0.01, base=BASE)
    async with aiohttp.ClientSession() as session:
        await _drain(pool, session, gw, rounds=3)
    assert [r["state"] for r in await _rows(pool, t["id"])] == ["failed"]
    supervisor = await tokens.make(Role.SUPERVISOR, area_code="320000")
    resp = await client.get(f"/api/v1/sms/outbox?state=failed&ticket_id={t['id']}", headers=supervisor)
    body = await resp.json()
    assert resp.status == 200 and len(body["items"]) == 1
    item = body["items"][0]
    assert item["state_label"] == "发送失败" and item["attempts"] == 2 and item["last_error"]
    assert item["phone"] == "139****2222" and "params" not in item and "text" not in item
    handler = await tokens.make(Role.HANDLER, unit_id=1)
    assert (await client.get("/api/v1/sms/outbox", headers=handler)).status == 403
    assert (await client.get("/api/v1/sms/outbox?state=nope", headers=supervisor)).status == 422


async def test_the_services_own_worker_sends(settings, agent, pool):
    gw_server = FakeGateway()
    await gw_server.start()
    app = create_app(settings.model_copy(update={"sms_gateway_url": gw_server.url, "sms_gateway_token": "gw-secret",
                                                 "sms_poll_seconds": 0.1, "public_base_url": BASE}))
    async with TestClient(TestServer(app)) as c:
        t = await _intake(c, agent, phone="13900003333")
        for _ in range(100):
            if f"sms:accepted:{t['ticket_no']}" in gw_server.sent:
                break
            await asyncio.sleep(0.1)
    await gw_server.stop()
    assert t["lookup_code"] in gw_server.sent[f"sms:accepted:{t['ticket_no']}"]["text"]


async def test_an_intake_retry_gives_the_waiting_text_the_new_code(client, agent, pool):
    body = {"channel": "phone", "area_code": "320682", "requester": {"phone": "13900004444"},
            "content": "小区门口路灯坏了两个星期，晚上走路很危险。"}
    key = {**agent, "Idempotency-Key": "sms-retry-1"}
    first = await (await client.post("/api/v1/tickets", json=body, headers=key)).json()
    second = await (await client.post("/api/v1/tickets", json=body, headers=key)).json()
    assert second["id"] == first["id"]
    rows = await _rows(pool, first["id"])
    assert len(rows) == 1 and rows[0]["params"]["code"] == second["lookup_code"]
