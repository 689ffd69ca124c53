"""Slow clients and open streams must not starve everyone else (#21 item 5), over a real server.

Slowloris: many connections trickling a body (or a request head) a byte at a time, with a token,
without one, and at the public survey endpoint. Meanwhile another client's normal requests must be
served (>= 95 %), and the trickling connections must be cut after the body / header timeouts.
"""
from __future__ import annotations

import asyncio
import secrets
import time

import aiohttp

from models.enums import Role

SLOW = 40  # per kind of slow client


async def _trickle(port: int, head: bytes, source: str, every: float, until: float) -> float | None:
    """Send head, then one body byte every `every` s; the seconds until the server cut us off (None: never)."""
    started = time.monotonic()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    except OSError:
        return 0.0
    try:
        writer.write(head)
        await writer.drain()
        while time.monotonic() - started < until:
            try:
                data = await asyncio.wait_for(reader.read(4096), every)
                if not data or b"HTTP/1.1" in data:
                    return time.monotonic() - started
            except asyncio.TimeoutError:
                pass
            writer.write(b" ")
            await writer.drain()
        return None
    except (ConnectionError, OSError):
        return time.monotonic() - started
    finally:
        writer.close()


def _head(path: str, extra: str = "", length: int = 4000) -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{extra}"
            f"Content-Length: {length}\r\n\r\n").encode()


async def _normal_load(base: str, headers: dict, seconds: float, live) -> list[int]:
    statuses: list[int] = []
    timeout = aiohttp.ClientTimeout(total=5)
    async with live.session_from("127.0.0.41") as http:
        async def one_client():
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                try:
                    async with http.get(f"{base}/api/v1/tickets?limit=1", headers=headers, timeout=timeout) as r:
                        statuses.append(r.status)
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    statuses.append(0)
                await asyncio.sleep(0.05)
        await asyncio.gather(*(one_client() for _ in range(4)))
    return statuses


async def test_slowloris_bodies_do_not_hold_request_slots(settings, live, tokens):
    agent = await tokens.make(Role.AGENT)
    reader = await tokens.make(Role.AGENT)
    guarded = settings.model_copy(update={"max_inflight": 16, "body_timeout_seconds": 3.0,
                                          "header_timeout_seconds": 3.0, "rate_limit_per_minute": 0})
    async with live.server(guarded) as (base, _):
        port = live.port_of(base)
        token_line = f"Authorization: {agent['Authorization']}\r\n"
        kinds = [(_head("/api/v1/tickets", token_line), "127.0.0.42"),
                 (_head("/api/v1/tickets"), "127.0.0.43"),
                 (_head(f"/api/v1/survey/sv_{secrets.token_urlsafe(24)}"), "127.0.0.44"),
                 (b"GET /api/v1/tickets HTTP/1.1\r\nHost: x\r\nX-Slow: ", "127.0.0.45")]  # a head that never ends
        slow = [asyncio.create_task(_trickle(port, head, source, 1.0, 12.0))
                for head, source in kinds for _ in range(SLOW)]
        await asyncio.sleep(1.5)  # every slow connection is in
        statuses = await _normal_load(base, reader, 6.0, live)
        cut = await asyncio.gather(*slow)
    served = sum(s == 200 for s in statuses) / len(statuses)
    assert served >= 0.95, f"{served:.0%} of {len(statuses)} normal requests served: {sorted(set(statuses))}"
    assert all(c is not None and c < 8.0 for c in cut), f"slow connections still open: {cut}"


async def test_survey_post_checks_the_link_before_reading_the_body(settings, live):
    async with live.server(settings) as (base, _):
        for path in (f"/api/v1/survey/sv_{secrets.token_urlsafe(24)}", f"/survey/sv_{secrets.token_urlsafe(24)}"):
            reader, writer = await asyncio.open_connection("127.0.0.1", live.port_of(base))
            writer.write(_head(path, length=5000))  # the body never comes
            await writer.drain()
            try:
                answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 3.0)
            finally:
                writer.close()
            assert answer.startswith(b"HTTP/1.1 404"), (path, answer[:100])


async def test_event_streams_have_their_own_slots_and_a_cap_per_token(settings, live, tokens):
    agent = await tokens.make(Role.AGENT)
    watcher = await tokens.make(Role.SUPERVISOR, area_code="320600")
    guarded = settings.model_copy(update={"max_inflight": 2, "max_streams_per_token": 3,
                                          "sse_heartbeat_seconds": 1.0})
    async with live.server(guarded) as (base, _):
        async with live.session_from("127.0.0.46") as http:
            opened = []
            for _ in range(5):
                r = await http.get(f"{base}/api/v1/reports/escalations/stream", headers=watcher)
                opened.append(r)
            statuses = [r.status for r in opened]
            refused = [await r.json() for r in opened if r.status == 429]
            # with three streams open, normal requests still find their slots
            normal = []
            for _ in range(10):
                async with http.get(f"{base}/api/v1/tickets?limit=1", headers=agent) as r:
                    normal.append(r.status)
            for r in opened:
                r.close()
    assert statuses == [200, 200, 200, 429, 429], statuses
    assert all(body["message"] and body["details"] for body in refused)
    assert normal == [200] * 10, normal
