"""One delivery loop for every outbox: the 110 platform, the court, the SMS gateway.

Each destination is a `Receiver` (FixMyStreet's SendReport shape): its table, what
it posts for a row and how it records a delivery. The discipline is shared and
lives only here. Rows are claimed by pushing next_attempt_at forward (a short
lease) under FOR UPDATE SKIP LOCKED, so several workers (or nodes) never send the
same row at once, and a worker that dies mid-send leaves the row to be retried
after the lease. Each POST carries the row's Idempotency-Key, which the receiving
system deduplicates, so a retry after a lost answer delivers nothing twice. Failed
attempts back off exponentially (capped, with jitter); after `max_attempts` the row
is `failed`, visible in the destination's outbox listing.
"""
from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from typing import Awaitable, Callable

import aiohttp
import asyncpg

log = logging.getLogger(__name__)

LEASE_SECONDS = 30
CLAIM = """
UPDATE {table} SET next_attempt_at = now() + make_interval(secs => $2)
WHERE id IN (SELECT id FROM {table} WHERE state = 'pending' AND next_attempt_at <= now()
             ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
RETURNING id, idempotency_key, attempts, {columns}
"""
FAILED_ATTEMPT = """
UPDATE {table} SET attempts = attempts + 1, last_error = $2{touch},
    state = CASE WHEN attempts + 1 >= $3 THEN 'failed' ELSE 'pending' END,
    next_attempt_at = now() + make_interval(secs => $4)
WHERE id = $1 AND state = 'pending'
"""
SEND_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, RuntimeError, ValueError)
DB_ERRORS = (asyncpg.PostgresError, OSError, asyncpg.InterfaceError)


@dataclass(frozen=True)
class Target:
    """Where a receiver posts, and how hard it tries."""

    url: str
    token: str = ""
    timeout: float = 5.0
    max_attempts: int = 8
    backoff_max: float = 300.0


class Skip(Exception):
    """The message is no longer wanted; the receiver records why and nothing is sent."""


@dataclass(frozen=True)
class Receiver:
    """One destination: its outbox table and what differs per destination."""

    name: str                                                # in log lines
    table: str
    columns: str                                             # claimed beside id, idempotency_key, attempts
    body: Callable[[asyncpg.Pool, asyncpg.Record], Awaitable[dict]]        # may raise Skip
    done: Callable[[asyncpg.Pool, asyncpg.Record, dict], Awaitable[None]]  # record a delivery
    skip: Callable[[asyncpg.Pool, asyncpg.Record, str], Awaitable[None]] | None = None
    touch: str = ""                                          # extra SET on a failed attempt


def backoff(attempts: int, cap: float) -> float:
    """Exponential backoff with jitter: 1, 2, 4, ... seconds, capped."""
    return min(cap, 2 ** attempts) * random.uniform(0.75, 1.0)


async def post(session: aiohttp.ClientSession, target: Target, key: str, body: dict) -> dict:
    """POST one message with its idempotency key; the answer's JSON object ({} if none). Raises on failure."""
    headers = {"Idempotency-Key": key}
    if target.token:
        headers["Authorization"] = f"Bearer {target.token}"
    async with session.post(target.url, json=body, headers=headers,
                            timeout=aiohttp.ClientTimeout(total=target.timeout)) as resp:
        if resp.status >= 300:
            raise RuntimeError(f"HTTP {resp.status}")
        data = await resp.json(content_type=None) if resp.content_length != 0 else {}
    return data if isinstance(data, dict) else {}


async def _failed(pool: asyncpg.Pool, receiver: Receiver, target: Target, row, exc: Exception) -> None:
    error = f"{type(exc).__name__}: {exc}"[:500]
    sql = FAILED_ATTEMPT.format(table=receiver.table, touch=receiver.touch)
    await pool.execute(sql, row["id"], error, target.max_attempts, backoff(row["attempts"], target.backoff_max))
    log.warning("%s delivery %s failed (attempt %s): %s", receiver.name, row["idempotency_key"],
                row["attempts"] + 1, error)


async def deliver_due(pool: asyncpg.Pool, session: aiohttp.ClientSession, receiver: Receiver, target: Target,
                      batch: int = 20) -> int:
    """Send what is due to one receiver; returns how many were delivered."""
    rows = await pool.fetch(CLAIM.format(table=receiver.table, columns=receiver.columns), batch, LEASE_SECONDS)
    delivered = 0
    for row in rows:
        try:
            answer = await post(session, target, row["idempotency_key"], await receiver.body(pool, row))
        except Skip as exc:
            if receiver.skip is not None:
                await receiver.skip(pool, row, str(exc))
            continue
        except SEND_ERRORS as exc:
            await _failed(pool, receiver, target, row, exc)
            continue
        await receiver.done(pool, row, answer)
        delivered += 1
    return delivered


async def run(pool: asyncpg.Pool, deliver: Callable[[aiohttp.ClientSession], Awaitable[int]], name: str,
              poll: float, stop: asyncio.Event) -> None:
    """The worker loop: deliver, sleep, repeat; database outages only delay it."""
    async with aiohttp.ClientSession() as session:
        while not stop.is_set():
            try:
                await deliver(session)
            except DB_ERRORS as exc:
                log.warning("%s outbox worker: database unavailable (%s)", name, type(exc).__name__)
            try:
                await asyncio.wait_for(stop.wait(), timeout=poll)
            except asyncio.TimeoutError:
                pass


async def running(pool: asyncpg.Pool, deliver: Callable[[aiohttp.ClientSession], Awaitable[int]], name: str,
                  poll: float):
    """A cleanup-context body: run the worker while the app runs, stop it with the app."""
    stop = asyncio.Event()
    task = asyncio.create_task(run(pool, deliver, name, poll, stop))
    yield
    stop.set()
    await task
