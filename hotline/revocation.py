"""Token revocation reaches every worker at once: PostgreSQL announces each change to api_tokens
(trigger in migrations/0011_abuse.sql, channel hotline_tokens) and each worker listens on one
connection of its own, dropping the token from its cache (hotline.auth.TokenCache).

PostgreSQL is the record of tokens, so the announcement comes from whoever changes one (the CLI,
SQL by hand, another node) and needs no Valkey. While the listening connection is down, the
cache's short lifetime is the fallback; on reconnecting the whole cache is dropped, since
announcements may have been missed meanwhile.
"""
from __future__ import annotations

import asyncio
import logging

import asyncpg
from aiohttp import web

from hotline import keys

log = logging.getLogger(__name__)

CHANNEL = "hotline_tokens"
RETRY_SECONDS = 1.0


async def _listen_once(app: web.Application, first: bool) -> None:
    """Listen until the connection drops."""
    cache = app[keys.TOKENS]
    conn = await asyncpg.connect(app[keys.SETTINGS].database_url, timeout=5)
    closed = asyncio.Event()
    try:
        conn.add_termination_listener(lambda _conn: closed.set())

        def announced(_conn, _pid, _channel, payload: str) -> None:
            try:
                cache.forget(bytes.fromhex(payload))
            except ValueError:
                cache.clear()

        await conn.add_listener(CHANNEL, announced)
        if not first:
            cache.clear()
            log.info("token announcements resumed; token cache dropped")
        while not closed.is_set() and not conn.is_closed():
            try:
                await asyncio.wait_for(closed.wait(), timeout=5)
            except asyncio.TimeoutError:
                await conn.execute("SELECT 1")  # notice a dead server even without a FIN
    finally:
        if not conn.is_closed():
            await conn.close(timeout=2)


async def listen(app: web.Application) -> None:
    """Keep a listening connection open for the app's life, reconnecting after failures."""
    first, failing = True, False
    while True:
        try:
            await _listen_once(app, first)
            failing = False
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure: wait and listen again
            if not failing:  # once per outage
                log.warning("token announcements unavailable (%s); retrying", type(exc).__name__)
            failing = True
        first = False
        await asyncio.sleep(RETRY_SECONDS)


async def revocation_ctx(app: web.Application):
    task = asyncio.create_task(listen(app))
    yield
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
