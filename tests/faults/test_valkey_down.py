"""Valkey stopped: intake carries on, /ready says degraded (still 200), and everything flows again after restart.

Stops the session's shared Valkey; it is started again (on its previous port) in a
finally block so the tests after this one find it running.
"""
from __future__ import annotations

import asyncio
import time
import uuid

import pytest
import redis.asyncio as aioredis

from hotline.notify import GLOBAL_STREAM
from models.enums import Role

BODY = {"channel": "phone", "content": "小区门口路灯不亮已经一周了", "area_code": "320682"}


async def _ready(client) -> tuple[int, dict]:
    resp = await client.get("/ready")
    return resp.status, await resp.json()


async def test_valkey_down_then_back(servers, client, tokens, pool):
    if servers.valkey is None:
        pytest.skip("REDIS_URL is set: the test cannot stop that server")
    headers = await tokens.make(Role.AGENT)
    port_before = servers.valkey.port
    status, body = await _ready(client)
    assert status == 200, body
    try:
        await asyncio.to_thread(servers.valkey.stop)
        started = time.monotonic()
        created = []
        for i in range(5):
            resp = await client.post("/api/v1/tickets", json={**BODY, "content": f"{BODY['content']}（{i}）"},
                                     headers={**headers, "Idempotency-Key": f"vk-{uuid.uuid4()}"})
            assert resp.status == 201, await resp.text()
            created.append((await resp.json())["id"])
        assert time.monotonic() - started < 10, "intake must not hang on Valkey timeouts"
        # reads and the rate limit (local fallback) keep working too
        assert (await client.get(f"/api/v1/tickets/{created[0]}", headers=headers)).status == 200
        # still ready (this instance takes tickets), flagged degraded: a load balancer keeps it in
        status, body = await _ready(client)
        assert status == 200, body
        assert body["status"] == "degraded" and body["degraded"] is True, body
        assert body["checks"]["valkey"]["ok"] is False
        assert body["checks"]["postgres"]["ok"] is True
        assert await pool.fetchval("SELECT count(*) FROM tickets WHERE id = ANY($1::bigint[])", created) == 5
    finally:
        if servers.valkey.server is None:
            await asyncio.to_thread(servers.valkey.start)
    assert servers.valkey.port == port_before, (
        f"Valkey came back on port {servers.valkey.port}, not {port_before}: the app's client cannot follow")

    # ready again, not degraded, once the client has reconnected
    deadline = time.monotonic() + 15
    while True:
        status, body = await _ready(client)
        if body["status"] == "ready" or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.25)
    assert status == 200 and body["degraded"] is False, body

    # notifications flow again, once the circuit breaker's probe has seen Valkey answer (one cooldown)
    r = aioredis.from_url(servers.redis_url, decode_responses=True)
    try:
        deadline = time.monotonic() + 10
        while True:
            last = await r.xrevrange(GLOBAL_STREAM, count=1)
            last_id = last[0][0] if last else "0-0"
            resp = await client.post("/api/v1/tickets", json=BODY, headers=headers)
            assert resp.status == 201
            tid = (await resp.json())["id"]
            events = await r.xrange(GLOBAL_STREAM, min=f"({last_id}", max="+")
            published = any(fields.get("ticket_id") == str(tid) for _, fields in events)
            if published or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        assert published, events[-3:]
    finally:
        await r.aclose()
