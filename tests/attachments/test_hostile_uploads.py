"""Hostile uploads (#17): refused by content, size and name, never stored, never served as a page."""
from __future__ import annotations

import asyncio
import time

from hotline.attachments.storage import STORES
from models.enums import Role
from tests.attachments import files
from tests.attachments.test_attachments import _dispatched, _upload

MIB = 1024 * 1024


def _spool_files(client) -> list:
    return list(client.server.app[STORES].spool_dir.iterdir())


async def test_html_svg_text_and_empty_files_are_refused_whatever_they_are_called(client, agent, tokens):
    t, _ = await _dispatched(client, agent, tokens)
    cases = [(files.HTML, "photo.jpg", "image/jpeg", 415), (files.SVG, "map.svg", "image/svg+xml", 415),
             (files.SVG, "map.png", "image/png", 415), (b"just some words\n" * 10, "note.pdf", "application/pdf", 415),
             (b"MZ\x90\x00" + b"\x00" * 200, "photo.jpg", "image/jpeg", 415), (b"", "empty.jpg", "image/jpeg", 422)]
    for data, name, ctype, status in cases:
        resp = await _upload(client, t["id"], data, agent, filename=name, content_type=ctype)
        body = await resp.json()
        assert resp.status == status, (name, body)
        assert body["details"][0]["field"] == "file"
    listed = await (await client.get(f"/api/v1/tickets/{t['id']}/attachments", headers=agent)).json()
    assert listed["items"] == []
    assert _spool_files(client) == []


async def test_path_tricks_in_names_stay_names(client, agent, tokens):
    t, _ = await _dispatched(client, agent, tokens)
    root = client.server.app[STORES].local.root
    for name, shown in [("../../../../etc/passwd", "passwd.png"), ("..\\..\\boot.ini", "boot.png"),
                        ("/tmp/x.html", "x.png"), ("<img src=x onerror=alert(1)>.png", "img src_x onerror_alert(1).png"),
                        ("....", "附件.png"), ("evil.html", "evil.png")]:
        body = await (await _upload(client, t["id"], files.png(), agent, filename=name)).json()
        assert body["filename"] == shown, (name, body)
        got = await client.get(body["url"], headers=agent)
        assert got.headers["Content-Type"] == "image/png"
        assert '"attachment-' in got.headers["Content-Disposition"] and "/" not in got.headers["Content-Disposition"]
    stored = [p for p in root.rglob("*") if p.is_file()]
    assert stored and all(p.resolve().is_relative_to(root) for p in stored)
    assert not any(p.name in ("passwd", "boot.ini", "x.html") for p in root.parent.rglob("*"))
    assert (await _upload(client, t["id"], files.png(), agent, filename="a\x00b.png")).status == 422


async def test_html_behind_a_jpeg_header_is_never_served_as_a_page(client, agent, tokens):
    t, _ = await _dispatched(client, agent, tokens)
    polyglot = files.jpeg(files.HTML)
    body = await (await _upload(client, t["id"], polyglot, agent, filename="x.html")).json()
    got = await client.get(body["url"], headers=agent)
    assert await got.read() == polyglot
    assert got.headers["Content-Type"] == "image/jpeg" and got.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in got.headers["Content-Security-Policy"]


async def test_a_declared_oversize_body_is_refused_before_it_is_sent(client, agent, tokens):
    t, _ = await _dispatched(client, agent, tokens)
    status, sent = await _raw_upload(client, t["id"], agent, declared=200 * MIB, send=0)
    assert status == 413 and sent == 0


async def test_an_oversize_stream_is_cut_off_at_the_limit_without_reading_the_rest(client, agent, tokens):
    """A chunked 'photo' of 300 MiB: refused once it passes the photo limit (10 MiB), so the server reads
    little more than the limit, never the whole body, and keeps nothing of it."""
    t, _ = await _dispatched(client, agent, tokens)
    status, sent = await _raw_upload(client, t["id"], agent, declared=None, send=300 * MIB)
    assert status == 413
    assert 10 * MIB < sent < 40 * MIB, sent
    assert _spool_files(client) == []
    # a document may be larger than a photo, but not larger than 20 MiB either
    big_pdf = files.pdf() + b" " * (12 * MIB)
    assert (await _upload(client, t["id"], big_pdf, agent)).status == 201
    assert (await _upload(client, t["id"], files.jpeg(b"\x00" * (11 * MIB)), agent)).status == 413


async def test_a_supporting_unit_may_not_attach(client, agent, tokens, pool):
    t, _ = await _dispatched(client, agent, tokens)
    other = await pool.fetchval("SELECT id FROM units WHERE id <> $1 ORDER BY id LIMIT 1", t["unit"]["id"])
    await pool.execute("INSERT INTO ticket_units (ticket_id, unit_id, role, assigned_at) VALUES ($1, $2, 'support', now())",
                       t["id"], other)
    helper = await tokens.make(Role.HANDLER, unit_id=other)
    assert (await client.get(f"/api/v1/tickets/{t['id']}/attachments", headers=helper)).status == 200
    assert (await _upload(client, t["id"], files.png(), helper)).status == 403


async def _raw_upload(client, ticket_id, headers, *, declared: int | None, send: int) -> tuple[int, int]:
    """POST a JPEG-headed body over a raw connection (chunked when declared is None), stopping as soon as
    an answer arrives; (status, bytes of body sent)."""
    port = client.server.port
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    length = f"Content-Length: {declared}\r\n" if declared is not None else "Transfer-Encoding: chunked\r\n"
    writer.write((f"POST /api/v1/tickets/{ticket_id}/attachments HTTP/1.1\r\nHost: x\r\n"
                  f"Authorization: {headers['Authorization']}\r\n{length}\r\n").encode())
    answer = asyncio.ensure_future(reader.readline())
    sent, piece = 0, files.jpeg() + b"\x00" * (256 * 1024)
    deadline = time.monotonic() + 60
    try:
        while sent < send and not answer.done() and time.monotonic() < deadline:
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            sent += len(piece)
            try:
                await asyncio.wait_for(writer.drain(), 5)
            except (ConnectionError, asyncio.TimeoutError):
                break
        line = await asyncio.wait_for(answer, 10)
    finally:
        writer.close()
    return int(line.split()[1]), sent
