"""Delivers the linkage outbox to the 110 platform: retries with backoff, idempotency keys.

The 110 platform as one receiver of the shared delivery loop (hotline/outbox.py: leases,
retries, idempotency keys). The platform deduplicates by the Idempotency-Key header,
so a retry after a lost response is harmless: each hand-off is delivered once.
"""
from __future__ import annotations

from functools import partial

import aiohttp
import asyncpg
from aiohttp import web

from hotline import keys, outbox
from hotline.outbox import Target

DELIVERED = """
UPDATE linkage_outbox SET state = $2, attempts = attempts + 1, delivered_at = now(), remote_ref = $3,
    acknowledged_at = CASE WHEN $2 = 'acknowledged' THEN now() END, last_error = ''
WHERE id = $1 AND state = 'pending'
"""


async def _body(pool: asyncpg.Pool, row) -> dict:
    return {"kind": row["kind"], **row["payload"]}


async def _done(pool: asyncpg.Pool, row, answer: dict) -> None:
    """Delivered, or acknowledged when the platform says so at once; its reference kept."""
    state = "acknowledged" if answer.get("status") == "acknowledged" else "delivered"
    ref = str(answer["ref"]) if answer.get("ref") is not None else None
    await pool.execute(DELIVERED, row["id"], state, ref)


RECEIVER = outbox.Receiver("110", "linkage_outbox", "kind, payload", _body, _done)


async def deliver_due(pool: asyncpg.Pool, session: aiohttp.ClientSession, target: Target, batch: int = 20) -> int:
    """Send what is due to the 110 platform; returns how many were delivered."""
    return await outbox.deliver_due(pool, session, RECEIVER, target, batch)


async def delivery_ctx(app: web.Application):
    """Run the worker with the app when a 110 endpoint is configured."""
    s = app[keys.SETTINGS]
    if not s.linkage_110_url:
        yield
        return
    target = Target(s.linkage_110_url, s.linkage_110_token, s.linkage_timeout_seconds,
                    s.linkage_max_attempts, s.linkage_backoff_max_seconds)
    async for _ in outbox.running(app[keys.POOL], partial(deliver_due, app[keys.POOL], target=target), "110",
                                  s.linkage_poll_seconds):
        yield
