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


async def test_concurrent_takes_share_one_batch_and_each_caller_gets_its_own_answer(servers):
    import uuid

    import redis.asyncio as aioredis

    from hotline.limits import RateLimiter

    redis = aioredis.from_url(servers.redis_url, decode_responses=True)
    run = uuid.uuid4().hex[:8]
    try:
        limiter = RateLimiter(redis)
        keys = [f"{run}-a", f"{run}-b", f"{run}-a", f"{run}-a", f"{run}-b", f"{run}-c"]
        first = await asyncio.gather(*(limiter.take(k, 2) for k in keys))
    finally:
        await redis.aclose()
    assert limiter.batcher.batches == 1 and limiter.local.buckets == {}, "taken in Valkey, one batch"
    by_key = {k[-1]: [w for kk, w in zip(keys, first) if kk == k] for k in set(keys)}
    assert by_key["a"][:2] == [0, 0] and by_key["a"][2] >= 1, "the third of a bucket of 2 waits"
    assert by_key["b"] == [0, 0] and by_key["c"] == [0]


async def test_rate_limiter_falls_back_to_this_process_when_valkey_is_down():
    import redis.asyncio as aioredis

    from hotline.limits import RateLimiter

    dead = aioredis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2, socket_timeout=0.2)
    try:
        limiter = RateLimiter(dead)
        waits = await asyncio.gather(limiter.take("k", 2), limiter.take("k", 2), limiter.take("k", 2),
                                     limiter.take("j", 2))
    finally:
        await dead.aclose()
    assert waits[:2] == [0, 0] and waits[2] >= 1 and waits[3] == 0


async def test_notifications_of_concurrent_requests_share_a_pipeline(servers):
    import redis.asyncio as aioredis

    from hotline.notify import GLOBAL_STREAM, Notifier, unit_stream

    redis = aioredis.from_url(servers.redis_url, decode_responses=True)
    try:
        notifier = Notifier(redis)
        before = await redis.xlen(unit_stream(987654))
        marks = [f"batch-{i}" for i in range(5)]
        ok = await asyncio.gather(*(notifier.publish({"mark": m, "none": None}, 987654) for m in marks))
        unit = await redis.xrange(unit_stream(987654))
        recent = await redis.xrevrange(GLOBAL_STREAM, count=5)
    finally:
        await redis.aclose()
    assert ok == [True] * 5 and notifier.batcher.batches == 1
    assert len(unit) == before + 5 and [e[1]["mark"] for e in unit[-5:]] == marks
    assert [e[1]["mark"] for e in reversed(recent)] == marks and recent[0][1]["none"] == ""
