"""Fixtures for abuse tests. `live` gives a real server: the app run as `hotline serve` runs it (web.AppRunner with the
service's server options, handler_cancellation off), on a free loopback port, driven over raw sockets
or aiohttp clients bound to chosen 127.x.y.z source addresses (so each test is its own "client")."""
from __future__ import annotations

import asyncio
import contextlib
import socket

import aiohttp
import pytest
from aiohttp import web

from hotline.app import create_app, server_options


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def live_server(settings):
    """(base_url, app) of a running service; cleaned up on exit."""
    app = create_app(settings)
    runner = web.AppRunner(app, **server_options(settings))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        await runner.cleanup()


def session_from(address: str, **kw) -> aiohttp.ClientSession:
    """A client session whose connections come from address (any 127.0.0.0/8 address works on Linux)."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(address, 0), **kw))


async def raw_request(port: int, head: bytes, body: bytes = b"", source: str = "127.0.0.1",
                      timeout: float = 5.0) -> bytes:
    """Send bytes as they are and return everything the server answers before closing."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    writer.write(head + body)
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()


def port_of(base: str) -> int:
    return int(base.rsplit(":", 1)[1])


class Live:
    """The helpers above as one fixture (test modules cannot import each other here)."""

    server = staticmethod(live_server)
    session_from = staticmethod(session_from)
    raw_request = staticmethod(raw_request)
    port_of = staticmethod(port_of)
    free_port = staticmethod(free_port)


@pytest.fixture(scope="session")
def live() -> Live:
    return Live()
