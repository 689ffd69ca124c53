"""Sends the SMS outbox through the gateway: retries with backoff, idempotency keys, a visible failed state.

The same pattern as the 110 outbox (hotline/linkage/worker.py), as its own receiver: rows are
claimed by pushing next_attempt_at forward (a lease) under FOR UPDATE SKIP LOCKED; each POST carries
the row's Idempotency-Key, which the gateway deduplicates, so a retry after a lost answer sends
nothing twice. After sms_max_attempts failures a row is `failed` (listed at /api/v1/sms/outbox).
Without HOTLINE_SMS_GATEWAY_URL no worker runs and messages wait as `pending`.

Gateway adapter: POST {url} {"phone", "text"} with Idempotency-Key (and a bearer token when set);
any 2xx is sent, its JSON "id" kept as remote_ref.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiohttp
import asyncpg
from aiohttp import web

from hotline import keys
from hotline.callbacks import service as callbacks
from hotline.linkage.worker import backoff
from hotline.requester import sms
from hotline.wallclock import now as app_now

log = logging.getLogger(__name__)

LEASE_SECONDS = 30
CLAIM = """
UPDATE sms_outbox SET next_attempt_at = now() + make_interval(secs => $2)
WHERE id IN (SELECT id FROM sms_outbox WHERE state = 'pending' AND next_attempt_at <= now()
             ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
RETURNING id, ticket_id, kind, idempotency_key, phone, params, attempts
"""
SENT = """
UPDATE sms_outbox SET state = 'sent', attempts = attempts + 1, sent_at = now(), remote_ref = $2, last_error = '',
    params = params - 'code' - 'token'
WHERE id = $1 AND state = 'pending'
"""
FAILED_ATTEMPT = """
UPDATE sms_outbox SET attempts = attempts + 1, last_error = $2,
    state = CASE WHEN attempts + 1 >= $3 THEN 'failed' ELSE 'pending' END,
    next_attempt_at = now() + make_interval(secs => $4)
WHERE id = $1 AND state = 'pending'
"""
SKIPPED = "UPDATE sms_outbox SET state = 'skipped', last_error = $2, params = params - 'code' - 'token' WHERE id = $1"


@dataclass(frozen=True)
class Gateway:
    url: str
    token: str = ""
    timeout: float = 5.0
    max_attempts: int = 8
    backoff_max: float = 300.0
    base: str = ""            # the public base URL of links in texts
    link_hours: int = 72      # lifetime of the survey link a reply text carries


class Skip(Exception):
    """The message is no longer wanted (the ticket moved on before it could be sent)."""


async def _survey_token(pool: asyncpg.Pool, row, gw: Gateway, now: datetime) -> str:
    """The survey token of a reply text: made once (kept in the row until sent), for the reply's round."""
    async with pool.acquire() as conn, conn.transaction():
        params = await conn.fetchval("SELECT params FROM sms_outbox WHERE id = $1 FOR UPDATE", row["id"])
        if params.get("token"):
            return params["token"]
        t = await conn.fetchrow("SELECT status, reopen_count FROM tickets WHERE id = $1 FOR UPDATE", row["ticket_id"])
        if t["status"] != "replied" or t["reopen_count"] != params.get("round"):
            raise Skip("工单已不在待评价状态")
        token = await callbacks.create_link(conn, row["ticket_id"], t["reopen_count"], None,
                                            now + timedelta(hours=gw.link_hours))
        await conn.execute("UPDATE sms_outbox SET params = params || jsonb_build_object('token', $2::text) "
                           "WHERE id = $1", row["id"], token)
        return token


async def text_of(pool: asyncpg.Pool, row, gw: Gateway, now: datetime) -> str:
    values = {**row["params"], "base": gw.base}
    if row["kind"] == "replied":
        values.update(survey_url=f"{gw.base}/survey/{await _survey_token(pool, row, gw, now)}", hours=gw.link_hours)
    return sms.render(row["kind"], values)


async def _send(session: aiohttp.ClientSession, gw: Gateway, row, text: str) -> str | None:
    headers = {"Idempotency-Key": row["idempotency_key"]}
    if gw.token:
        headers["Authorization"] = f"Bearer {gw.token}"
    async with session.post(gw.url, json={"phone": row["phone"], "text": text}, headers=headers,
                            timeout=aiohttp.ClientTimeout(total=gw.timeout)) as resp:
        if resp.status >= 300:
            raise RuntimeError(f"HTTP {resp.status}")
        data = await resp.json(content_type=None) if resp.content_length != 0 else {}
    data = data if isinstance(data, dict) else {}
    return str(data["id"]) if data.get("id") is not None else None


async def deliver_due(pool: asyncpg.Pool, session: aiohttp.ClientSession, gw: Gateway, now: datetime,
                      batch: int = 20) -> int:
    """Send what is due; returns how many were sent."""
    rows = await pool.fetch(CLAIM, batch, LEASE_SECONDS)
    sent = 0
    for row in rows:
        try:
            text = await text_of(pool, row, gw, now)
            ref = await _send(session, gw, row, text)
        except Skip as exc:
            await pool.execute(SKIPPED, row["id"], str(exc))
            continue
        except (aiohttp.ClientError, asyncio.TimeoutError, RuntimeError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
            await pool.execute(FAILED_ATTEMPT, row["id"], error, gw.max_attempts,
                               backoff(row["attempts"], gw.backoff_max))
            log.warning("sms %s failed (attempt %s): %s", row["idempotency_key"], row["attempts"] + 1, error)
            continue
        await pool.execute(SENT, row["id"], ref)
        sent += 1
    return sent


async def run(app: web.Application, gw: Gateway, poll: float, stop: asyncio.Event) -> None:
    """The worker loop: send, sleep, repeat; database outages only delay it."""
    pool = app[keys.POOL]
    async with aiohttp.ClientSession() as session:
        while not stop.is_set():
            try:
                await deliver_due(pool, session, gw, app_now(app))
            except (asyncpg.PostgresError, OSError, asyncpg.InterfaceError) as exc:
                log.warning("sms worker: database unavailable (%s)", type(exc).__name__)
            try:
                await asyncio.wait_for(stop.wait(), timeout=poll)
            except asyncio.TimeoutError:
                pass


def gateway(settings) -> Gateway | None:
    if not settings.sms_gateway_url:
        return None
    return Gateway(settings.sms_gateway_url, settings.sms_gateway_token, settings.sms_timeout_seconds,
                   settings.sms_max_attempts, settings.sms_backoff_max_seconds, settings.public_base(),
                   settings.callback_link_hours)


async def sms_ctx(app: web.Application):
    """Run the worker with the app when a gateway is configured (else messages wait in the outbox)."""
    gw = gateway(app[keys.SETTINGS])
    if gw is None:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(run(app, gw, app[keys.SETTINGS].sms_poll_seconds, stop))
    yield
    stop.set()
    await task
