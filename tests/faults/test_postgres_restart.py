"""PostgreSQL stopped and restarted under concurrent intake.

Every 201 is in the database afterwards; every other answer is 503 with
Retry-After (or the connection failed); never a 500; and the service recovers by
itself once PostgreSQL is back, without restarting the app.

This stops the session's shared server: it is restarted (same port) in a finally
block, and the pools used by other tests are expired so they reconnect.
"""
from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter

import aiohttp
import pytest

from models.enums import Role

WORKERS = 4
DOWN_SECONDS = 2.0
RECOVERY_DEADLINE = 15.0


async def _file(client, headers, run: str, n: int) -> tuple[str, int | None, dict, str]:
    key = f"{run}-{n}"
    body = {"channel": "phone", "content": f"故障演练 {run} 第{n}单：小区门口路灯不亮", "area_code": "320682"}
    try:
        resp = await asyncio.wait_for(
            client.post("/api/v1/tickets", json=body, headers={**headers, "Idempotency-Key": key}), timeout=10)
        data = await resp.json() if resp.content_type == "application/json" else {}
        return key, resp.status, dict(resp.headers), data
    except (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError) as exc:
        return key, None, {}, {"error": type(exc).__name__}


async def test_postgres_restart_during_intake(servers, client, tokens, pool):
    if servers.pg is None:
        pytest.skip("DATABASE_URL is set: the test cannot stop that server")
    headers = await tokens.make(Role.AGENT)
    run = f"pgfault-{uuid.uuid4().hex[:8]}"
    results: list[tuple[str, int | None, dict, dict]] = []
    stop = asyncio.Event()
    counter = iter(range(1_000_000))

    async def worker():
        while not stop.is_set():
            results.append(await _file(client, headers, run, next(counter)))
            await asyncio.sleep(0.01)

    port_before = servers.pg.port
    started = time.monotonic()
    tasks = [asyncio.create_task(worker()) for _ in range(WORKERS)]
    try:
        await asyncio.sleep(1.0)
        before_stop = len(results)
        await asyncio.to_thread(servers.pg.stop)
        await asyncio.sleep(DOWN_SECONDS)
        during = len(results) - before_stop
        await asyncio.to_thread(servers.pg.restart)
        assert servers.pg.port == port_before, "restart must reuse the port (the app's URL is fixed)"
        # recovery by itself: a 201 after the restart, within the deadline
        restarted_at = len(results)
        deadline = time.monotonic() + RECOVERY_DEADLINE
        while time.monotonic() < deadline:
            if any(r[1] == 201 for r in results[restarted_at:]):
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(0.5)
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        if servers.pg is not None and not _pg_up(servers):
            await asyncio.to_thread(servers.pg.restart)
        await pool.expire_connections()
    elapsed = time.monotonic() - started

    statuses = Counter(r[1] for r in results)
    print(f"{len(results)} requests in {elapsed:.1f}s: {dict(statuses)}; {during} while PostgreSQL was down")
    assert elapsed < 30
    assert before_stop > 0 and during > 0
    assert 500 not in statuses, [r for r in results if r[1] == 500][:3]
    assert set(statuses) <= {201, 503, None}, statuses
    for key, status, hdrs, data in results:
        if status == 503:
            assert "Retry-After" in hdrs, (key, hdrs)
            assert data.get("message"), data
    after = results[restarted_at:]
    assert any(r[1] == 201 for r in after), f"no 201 after the restart: {Counter(r[1] for r in after)}"

    # every 201 is in the database, with the id it was given
    created = {key: data["id"] for key, status, _, data in results if status == 201}
    rows = await pool.fetch("SELECT id, idempotency_key FROM tickets WHERE idempotency_key = ANY($1::text[])",
                            list(created))
    stored = {r["idempotency_key"]: r["id"] for r in rows}
    missing = {k: v for k, v in created.items() if stored.get(k) != v}
    assert not missing, f"answered 201 but not stored: {missing}"

    # and the app keeps serving: a fresh request succeeds without restarting anything
    key, status, _, data = await _file(client, headers, run, 10**6)
    assert status == 201, data
    ready = await client.get("/ready")
    assert ready.status == 200, await ready.text()


def _pg_up(servers) -> bool:
    from hotline.embedded import port_open

    return servers.pg.port is not None and port_open(servers.pg.port)
