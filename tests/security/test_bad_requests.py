"""Bad headers, ids and values from the issue's abuse run (#21 items 8, 9, 11): each answers a clean 4xx
in the one JSON error shape, with no traceback in the logs, over a real server."""
from __future__ import annotations

import json
import logging

import aiohttp

from models.enums import Role


def _status_and_body(raw: bytes) -> tuple[int, dict]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body) if body.strip().startswith(b"{") else {}


async def test_non_utf8_authorization_header_is_401_without_traceback(settings, live, caplog):
    caplog.set_level(logging.INFO)
    async with live.server(settings) as (base, _):
        port = live.port_of(base)
        for path in ("/api/v1/tickets", "/api/v1/reports/overdue"):
            raw = await live.raw_request(port, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                               .encode() + b"Authorization: Bearer \xff\xfe\xc3(\r\n\r\n")
            status, body = _status_and_body(raw)
            assert status == 401, raw[:300]
            assert body["message"] and isinstance(body["details"], list)
        # a public route ignores the header
        raw = await live.raw_request(port, b"GET /api/v1/openapi.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                           b"Authorization: Bearer \xff\xfe\r\n\r\n")
        assert raw.startswith(b"HTTP/1.1 200"), raw[:200]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text[-2000:]
    assert "Traceback" not in caplog.text


async def test_invalid_last_event_id_on_the_stream_is_400(client, tokens):
    supervisor = await tokens.make(Role.SUPERVISOR, area_code="320600")
    for query, header in (("?last_id=abc", None), ("?last_id=1-2-3", None), ("", "not-an-id"),
                          ("?last_id=99999999999999999999999-0", None), ("", "1700000000000-x")):
        headers = {**supervisor, **({"Last-Event-ID": header} if header else {})}
        resp = await client.get("/api/v1/reports/escalations/stream" + query, headers=headers)
        body = await resp.json()
        assert resp.status == 400, (query, header, body)
        assert body["details"][0]["field"] == "Last-Event-ID"
    # a well-formed id is accepted: the stream opens
    resp = await client.get("/api/v1/reports/escalations/stream?last_id=0-0", headers=supervisor,
                            timeout=aiohttp.ClientTimeout(total=5))
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/event-stream")
    assert (await resp.content.readline()).startswith(b"retry:")
    resp.close()


async def test_nul_in_a_query_value_is_a_clean_422(client, agent):
    resp = await client.get("/api/v1/reports/overdue?unit=%00", headers=agent)
    text = await resp.text()
    assert resp.status == 422, text
    body = json.loads(text)
    assert body["message"] and "Error" not in text and "CharacterNotInRepertoire" not in text
