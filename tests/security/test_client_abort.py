"""A client hanging up mid-body (#21 item 10): one info line, a 499 in the access log, no 5xx, no traceback."""
from __future__ import annotations

import asyncio
import logging


async def _hang_up_mid_body(port: int, agent: dict, chunked: bool) -> None:
    length = "Transfer-Encoding: chunked" if chunked else "Content-Length: 5000"
    head = (f"POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Authorization: {agent['Authorization']}\r\n{length}\r\n\r\n").encode()
    part = b'{"channel": "phone", "content": "'
    if chunked:
        part = f"{len(part):x}\r\n".encode() + part + b"\r\n"
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head + part)
    await writer.drain()
    await asyncio.sleep(0.3)  # the server now waits for the rest of the body
    writer.transport.abort()
    await asyncio.sleep(0.3)


async def test_client_hanging_up_mid_body_is_logged_as_an_abort(settings, agent, live, caplog):
    caplog.set_level(logging.INFO)
    async with live.server(settings) as (base, _):
        for chunked in (False, True):
            await _hang_up_mid_body(live.port_of(base), agent, chunked)
        await asyncio.sleep(0.2)
    access = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    aborts = [r for r in caplog.records if "client aborted" in r.getMessage()]
    assert len(aborts) == 2 and all(r.levelno in (logging.INFO, logging.WARNING) for r in aborts), caplog.text
    assert all('" 5' not in line for line in access), access
    assert sum('" 499 ' in line for line in access) == 2, access
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text[-3000:]
    assert "Traceback" not in caplog.text and "backend unavailable" not in caplog.text
