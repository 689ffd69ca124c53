"""Restart persistence: tickets survive stopping and starting the embedded servers."""
from __future__ import annotations

import pytest
import redis.asyncio as aioredis

BODY = {"channel": "app", "content": "重启持久化测试：小区路灯三天不亮。", "area_code": "320682"}


async def test_ticket_survives_postgres_restart(servers, client, agent):
    if servers.pg is None:
        pytest.skip("external PostgreSQL: restart is the operator's business")
    created = await (await client.post("/api/v1/tickets", json=BODY, headers=agent)).json()
    servers.pg.restart()
    # The pool's old connections died with the server; the next request must recover by itself.
    for _ in range(3):
        resp = await client.get(f"/api/v1/tickets/{created['id']}", headers=agent)
        if resp.status == 200:
            break
        assert resp.status == 503 and resp.headers["Retry-After"]
    assert resp.status == 200
    assert (await resp.json())["content"] == BODY["content"]


async def test_valkey_appendonly_survives_restart(servers):
    if servers.valkey is None:
        pytest.skip("external Valkey")
    r = aioredis.from_url(servers.redis_url, decode_responses=True)
    await r.set("hotline:test:persist", "1")
    await r.aclose()
    servers.valkey.stop()
    url = servers.valkey.start()
    r = aioredis.from_url(url, decode_responses=True)
    try:
        assert await r.get("hotline:test:persist") == "1"
    finally:
        await r.aclose()
