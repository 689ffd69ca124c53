"""Delivers the linkage outbox to the 110 platform: retries with backoff, idempotency keys.

Rows are claimed by pushing next_attempt_at forward (a short lease) under
FOR UPDATE SKIP LOCKED, so several workers never send the same row at once and
a worker that dies mid-send leaves the row to be retried after the lease. The
110 platform deduplicates by the Idempotency-Key header, so a retry after a
lost response is harmless: each hand-off is delivered once.
"""
from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass

import aiohttp
import asyncpg
from aiohttp import web

from hotline import keys

log = logging.getLogger(__name__)

LEASE_SECONDS = 30
CLAIM = """
UPDATE linkage_outbox SET next_attempt_at = now() + make_interval(secs => $2)
WHERE id IN (SELECT id FROM linkage_outbox WHERE state = 'pending' AND next_attempt_at <= now()
             ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
RETURNING id, kind, idempotency_key, payload, attempts
"""
DELIVERED = """
UPDATE linkage_outbox SET state = $2, attempts = attempts + 1, delivered_at = now(), remote_ref = $3,
    acknowledged_at = CASE WHEN $2 = 'acknowledged' THEN now() END, last_error = ''
WHERE id = $1 AND state = 'pending'
"""
FAILED_ATTEMPT = """
UPDATE linkage_outbox SET attempts = attempts + 1, last_error = $2,
    state = CASE WHEN attempts + 1 >= $3 THEN 'failed' ELSE 'pending' END,
    next_attempt_at = now() + make_interval(secs => $4)
WHERE id = $1 AND state = 'pending'
"""


@dataclass(frozen=True)
class Target:
    url: str
    token: str = ""
    timeout: float = 5.0
    max_attempts: int = 8
    backoff_max: float = 300.0


def backoff(attempts: int, cap: float) -> float:
    """Exponential backoff with jitter: 1, 2, 4, ... seconds, capped."""
    return min(cap, 2 ** attempts) * random.uniform(0.75, 1.0)


async def _send(session: aiohttp.ClientSession, target: Target, row) -> tuple[str, str | None]:
    """POST one row; returns (new state, remote reference). Raises on failure."""
    headers = {"Idempotency-Key": row["idempotency_key"]}
    if target.token:
        headers["Authorization"] = f"Bearer {target.token}"
    body = {"kind": row["kind"], **row["payload"]}
    async with session.post(target.url, json=body, headers=headers,
                            timeout=aiohttp.ClientTimeout(total=target.timeout)) as resp:
        if resp.status >= 300:
            raise RuntimeError(f"HTTP {resp.status}")
        data = await resp.json(content_type=None) if resp.content_length != 0 else {}
    data = data if isinstance(data, dict) else {}
    state = "acknowledged" if data.get("status") == "acknowledged" else "delivered"
    return state, str(data.get("ref")) if data.get("ref") is not None else None


async def deliver_due(pool: asyncpg.Pool, session: aiohttp.ClientSession, target: Target, batch: int = 20) -> int:
    """Send what is due; returns how many were delivered."""
    rows = await pool.fetch(CLAIM, batch, LEASE_SECONDS)
    delivered = 0
    for row in rows:
        try:
            state, ref = await _send(session, target, row)
        except (aiohttp.ClientError, asyncio.TimeoutError, RuntimeError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
            await pool.execute(FAILED_ATTEMPT, row["id"], error, target.max_attempts,
                               backoff(row["attempts"], target.backoff_max))
            log.warning("110 delivery %s failed (attempt %s): %s", row["idempotency_key"], row["attempts"] + 1, error)
            continue
        await pool.execute(DELIVERED, row["id"], state, ref)
        delivered += 1
    return delivered


async def run(pool: asyncpg.Pool, target: Target, poll: float, stop: asyncio.Event) -> None:
    """The worker loop: deliver, sleep, repeat; database outages only delay it."""
    async with aiohttp.ClientSession() as session:
        while not stop.is_set():
            try:
                await deliver_due(pool, session, target)
            except (asyncpg.PostgresError, OSError, asyncpg.InterfaceError) as exc:
                log.warning("outbox worker: database unavailable (%s)", type(exc).__name__)
            try:
                await asyncio.wait_for(stop.wait(), timeout=poll)
            except asyncio.TimeoutError:
                pass


async def delivery_ctx(app: web.Application):
    """Run the worker with the app when a 110 endpoint is configured."""
    s = app[keys.SETTINGS]
    if not s.linkage_110_url:
        yield
        return
    target = Target(s.linkage_110_url, s.linkage_110_token, s.linkage_timeout_seconds,
                    s.linkage_max_attempts, s.linkage_backoff_max_seconds)
    stop = asyncio.Event()
    task = asyncio.create_task(run(app[keys.POOL], target, s.linkage_poll_seconds, stop))
    yield
    stop.set()
    await task
