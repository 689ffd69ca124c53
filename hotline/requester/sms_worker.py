"""Sends the SMS outbox through the gateway: retries with backoff, idempotency keys, a visible failed state.

The gateway is one receiver of the shared delivery loop (hotline/outbox.py: leases, retries,
idempotency keys the gateway deduplicates, so a retry after a lost answer sends nothing twice).
After sms_max_attempts failures a row is `failed` (listed at /api/v1/sms/outbox).
Without HOTLINE_SMS_GATEWAY_URL no worker runs and messages wait as `pending`.

Gateway adapter: POST {url} {"phone", "text"} with Idempotency-Key (and a bearer token when set);
any 2xx is sent, its JSON "id" kept as remote_ref.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import aiohttp
import asyncpg
from aiohttp import web

from hotline import keys, outbox
from hotline.callbacks import service as callbacks
from hotline.requester import sms
from hotline.outbox import Skip, Target
from hotline.wallclock import now as app_now


SENT = """
UPDATE sms_outbox SET state = 'sent', attempts = attempts + 1, sent_at = now(), remote_ref = $2, last_error = '',
    params = params - 'code' - 'token'
WHERE id = $1 AND state = 'pending'
"""
SKIPPED = "UPDATE sms_outbox SET state = 'skipped', last_error = $2, params = params - 'code' - 'token' WHERE id = $1"


@dataclass(frozen=True)
class Gateway(Target):
    """The SMS gateway: where texts are posted, and what the texts' links need."""

    base: str = ""            # the public base URL of links in texts
    link_hours: int = 72      # lifetime of the survey link a reply text carries


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


async def _skip(pool: asyncpg.Pool, row, why: str) -> None:
    await pool.execute(SKIPPED, row["id"], why)


async def _done(pool: asyncpg.Pool, row, answer: dict) -> None:
    await pool.execute(SENT, row["id"], str(answer["id"]) if answer.get("id") is not None else None)


def receiver(gw: Gateway, now: datetime) -> outbox.Receiver:
    """The gateway as a receiver: the text is rendered at send time (a reply's survey link made then)."""
    async def body(pool: asyncpg.Pool, row) -> dict:
        return {"phone": row["phone"], "text": await text_of(pool, row, gw, now)}
    return outbox.Receiver("sms", "sms_outbox", "ticket_id, kind, phone, params", body, _done, _skip)


async def deliver_due(pool: asyncpg.Pool, session: aiohttp.ClientSession, gw: Gateway, now: datetime,
                      batch: int = 20) -> int:
    """Send what is due; returns how many were sent."""
    return await outbox.deliver_due(pool, session, receiver(gw, now), gw, batch)


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
    pool = app[keys.POOL]

    async def deliver(session: aiohttp.ClientSession) -> int:
        return await deliver_due(pool, session, gw, app_now(app))
    async for _ in outbox.running(pool, deliver, "sms", app[keys.SETTINGS].sms_poll_seconds):
        yield
