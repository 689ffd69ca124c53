"""Rate limits per token and load shedding, through HTTP."""
from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient, TestServer

from hotline.app import create_app
from models.enums import Role


async def test_rate_limit_per_token_answers_429_with_retry_after(settings, tokens):
    app = create_app(settings.model_copy(update={"rate_limit_per_minute": 5}))
    a, b = await tokens.make(Role.AGENT), await tokens.make(Role.AGENT)
    async with TestClient(TestServer(app)) as c:
        statuses = [(await c.get("/api/v1/tickets", headers=a)).status for _ in range(7)]
        other = await c.get("/api/v1/tickets", headers=b)
        limited = await c.get("/api/v1/tickets", headers=a)
        limited_body = await limited.json()
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429, 429]
    assert other.status == 200, "limits are per token"
    assert limited.headers["Retry-After"].isdigit() and limited_body["message"]


async def test_burst_beyond_inflight_limit_is_shed_with_503(settings, agent, pool):
    app = create_app(settings.model_copy(update={"max_inflight": 2, "rate_limit_per_minute": 0}))
    body = {"channel": "phone", "content": "话务激增测试：小区垃圾无人清运。", "area_code": "320682"}
    async with TestClient(TestServer(app)) as c:
        responses = await asyncio.gather(*[c.post("/api/v1/tickets", json=body, headers=agent) for _ in range(30)])
        results = [(r.status, await r.json(), r.headers.get("Retry-After")) for r in responses]
    accepted = [body["id"] for status, body, _ in results if status == 201]
    shed = [(status, retry) for status, _, retry in results if status != 201]
    assert accepted and shed, "some accepted, some shed"
    assert all(status == 503 and retry for status, retry in shed)
    stored = await pool.fetchval("SELECT count(*) FROM tickets WHERE id = ANY($1::bigint[])", accepted)
    assert stored == len(accepted), "every accepted ticket is stored"
