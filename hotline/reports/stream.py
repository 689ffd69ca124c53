"""The escalation report's live feed: server-sent events of new escalation steps, filtered to the caller's scope."""
from __future__ import annotations

import asyncio
import json
import logging
import re
import time

from aiohttp import web
from redis.exceptions import RedisError, ResponseError

from hotline import keys, scope
from hotline.admission import STREAMS
from hotline.auth import Principal
from hotline.errors import ApiError
from hotline.escalation.sweep import ESCALATION_STREAM
from hotline.jsoncodec import iso
from hotline.wallclock import now as app_now

log = logging.getLogger(__name__)

BLOCK_MS = 500          # one XREAD wait; below the client's 1 s socket timeout
READ_COUNT = 100
# Entries other rooms put on the same stream carry a kind; an entry without one is an escalation step.
EVENT_KINDS = {"hotspot": "hotspot", "surge": "surge"}


def _closing(request: web.Request) -> bool:
    """The client went away, or the server is shutting down (aiohttp marks the connection closing)."""
    transport = request.transport
    if transport is None or transport.is_closing():
        return True
    return bool(getattr(request.protocol, "_close", False))


STREAM_ID = re.compile(r"(\d{1,20})(?:-(\d{1,20}))?")


def resume_id(request: web.Request) -> str | None:
    """Last-Event-ID (or ?last_id=) when it is a stream entry id, else 400: Valkey would refuse it on
    every read, and the stream would retry forever."""
    raw = request.headers.get("Last-Event-ID") or request.query.get("last_id")
    if not raw:
        return None
    match = STREAM_ID.fullmatch(raw.strip())
    if not match or any(int(part) >= 2**64 for part in match.groups() if part is not None):
        raise ApiError(400, "事件编号无效", [{"field": "Last-Event-ID", "message": "应为形如 1700000000000-0 的事件编号"}])
    return raw.strip()


async def _start_id(redis, requested: str | None) -> str:
    """Resume after Last-Event-ID, else start after the newest entry ("$" resolved once)."""
    if requested:
        return requested
    try:
        last = await redis.xrevrange(ESCALATION_STREAM, count=1)
    except (RedisError, OSError):
        return "$"
    return last[0][0] if last else "0-0"


async def stream(request: web.Request) -> web.StreamResponse:
    """Server-sent events of new escalations, filtered to the caller's scope, with heartbeats.

    Each open stream holds a stream slot (hotline.admission.StreamSlots), not a request slot: 429
    when its token or this process has too many open."""
    principal = request[keys.PRINCIPAL]
    requested = resume_id(request)
    with request.app[STREAMS].slot(principal.token_id):
        return await _serve(request, principal, requested)


async def _serve(request: web.Request, principal: Principal, requested: str | None) -> web.StreamResponse:
    redis = request.app[keys.REDIS]
    heartbeat = request.app[keys.SETTINGS].sse_heartbeat_seconds
    last_id = await _start_id(redis, requested)
    failing = False
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream; charset=utf-8",
                                       "Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    await resp.prepare(request)
    await resp.write(b"retry: 3000\n: connected\n\n")
    next_beat = time.monotonic() + heartbeat
    try:
        while not _closing(request):
            try:
                reply = await redis.xread({ESCALATION_STREAM: last_id}, count=READ_COUNT, block=BLOCK_MS)
            except ResponseError as exc:  # Valkey refused the command itself: retrying cannot help
                log.warning("escalation stream ended: valkey refused the read (%s)", exc)
                break
            except (RedisError, OSError) as exc:
                if not failing:  # once per outage and stream, not once a second
                    log.warning("escalation stream: valkey read failed (%s), retrying", type(exc).__name__)
                failing = True
                await resp.write(b": valkey unavailable, retrying\n\n")
                await asyncio.sleep(1.0)
                continue
            failing = False
            for _, entries in reply or []:
                for entry_id, fields in entries:
                    last_id = entry_id
                    if scope.sees_escalation(principal, fields):
                        data = json.dumps(fields, ensure_ascii=False)
                        kind = EVENT_KINDS.get(fields.get("kind"), "escalation")
                        await resp.write(f"id: {entry_id}\nevent: {kind}\ndata: {data}\n\n".encode())
            if time.monotonic() >= next_beat:
                await resp.write(f": heartbeat {iso(app_now(request.app))}\n\n".encode())
                next_beat = time.monotonic() + heartbeat
    except ConnectionError:
        log.debug("escalation stream: client went away")
        return resp
    try:
        await resp.write_eof()
    except ConnectionError:
        pass
    return resp
