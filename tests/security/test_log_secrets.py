"""Secrets stay secret: no phone or ID number in any log line, tokens stored hashed, masking by role.

The logs are captured at DEBUG for the service (hotline.*), aiohttp's access log and
the root logger, with the service's RedactFilter installed as `hotline serve` does,
while a full flow runs: intake with phone and ID numbers (also in the free text and
the address), a 110 hand-off, reads, listings, a failing request, dispatch.
"""
from __future__ import annotations

import logging
import re
import uuid

import aiohttp
import pytest

from hotline.auth import hash_token
from hotline.logs import RedactFilter, redact
from models.enums import Role

RUGAO, NANTONG = "320682", "320600"
PHONE = "13912345678"
LANDLINE = "0513-87654321"
ID_NUMBER = "32068219800101123X"
PHONE_IN_TEXT = "15800001111"
ID_IN_TEXT = "320682199001012345"
SECRETS = [PHONE, LANDLINE, ID_NUMBER, PHONE_IN_TEXT, ID_IN_TEXT, ID_NUMBER.lower()]
LOGGERS = ["", "hotline", "aiohttp.access", "aiohttp.server", "aiohttp.web", "asyncpg"]


@pytest.fixture
def captured(caplog):
    """caplog at DEBUG on every relevant logger (the test installs the redaction filter)."""
    levels = {}
    for name in LOGGERS:
        lg = logging.getLogger(name)
        levels[name] = lg.level
        lg.setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    try:
        yield caplog
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def test_redact_masks_every_form():
    text = f"电话{PHONE}，座机{LANDLINE}，身份证{ID_NUMBER}，另一个{ID_NUMBER.lower()}，文本里{PHONE_IN_TEXT}"
    clean = redact(text)
    for s in SECRETS:
        assert s not in clean
    assert "20240101" in redact("工单号 2024010100000012")  # ticket numbers (16 digits) are not phone numbers


class FreshConnections:
    """Requests on new connections: aiohttp decides per connection whether to write access logs,
    so keep-alive connections opened by earlier tests (logging at WARNING) would log nothing."""

    def __init__(self, client) -> None:
        self.base = str(client.make_url("")).rstrip("/")
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True))

    def get(self, path, **kw):
        return self.session.get(self.base + path, **kw)

    def post(self, path, **kw):
        return self.session.post(self.base + path, **kw)


async def test_full_flow_leaves_no_personal_numbers_in_logs(client, tokens, pool, captured):
    captured.handler.addFilter(RedactFilter())  # as `hotline serve` installs it on its handler
    http = FreshConnections(client)
    try:
        await _full_flow(http, tokens, captured)
    finally:
        await http.session.close()


async def _full_flow(client, tokens, captured):
    agent = await tokens.make(Role.AGENT)
    linkage = await tokens.make(Role.LINKAGE)
    supervisor = await tokens.make(Role.SUPERVISOR, area_code=NANTONG)
    body = {"channel": "phone",
            "requester": {"name": "李女士", "phone": PHONE, "id_number": ID_NUMBER},
            "content": f"我的电话是{PHONE_IN_TEXT}，身份证{ID_IN_TEXT}，小区门口烧烤摊占道经营到凌晨",
            "address": f"如皋市某小区，联系{LANDLINE}", "area_code": RUGAO}
    resp = await client.post("/api/v1/tickets", json=body,
                             headers={**agent, "Idempotency-Key": f"log-{uuid.uuid4()}"})
    assert resp.status == 201, await resp.text()
    ticket = await resp.json()
    tid = ticket["id"]
    assert ticket["requester"]["phone"] == PHONE  # the agent sees it (calls back)

    # the same data in a rejected request (logged as a failure), a 110 hand-off and reads
    bad = {**body, "requester": {"phone": PHONE, "id_number": ID_NUMBER + "9"}}
    assert (await client.post("/api/v1/tickets", json=bad, headers=agent)).status == 422
    handoff = {"incident_no": f"LOG-{uuid.uuid4().hex[:10]}", "content": f"噪音扰民，报警人{PHONE}",
               "address": "如皋市", "area_code": RUGAO, "requester": {"phone": PHONE, "id_number": ID_NUMBER}}
    assert (await client.post("/api/v1/linkage/110/handoffs", json=handoff, headers=linkage)).status == 201
    for path in (f"/api/v1/tickets/{tid}", f"/api/v1/tickets/{tid}/events", "/api/v1/tickets?limit=5",
                 f"/api/v1/tickets?unit={PHONE}", f"/api/v1/tickets?category={ID_NUMBER}"):
        resp = await client.get(path, headers=agent)
        assert resp.status < 500
        await resp.read()
    await client.post(f"/api/v1/tickets/{tid}/dispatch", json={"category": "城市管理/占道经营"}, headers=agent)

    # the supervisor's view is masked
    seen = await (await client.get(f"/api/v1/tickets/{tid}", headers=supervisor)).json()
    assert seen["requester"]["phone"] != PHONE and seen["requester"]["phone"].endswith(PHONE[-4:])
    assert "*" in seen["requester"]["phone"] and "*" in seen["requester"]["id_number"]
    assert seen["requester"]["id_number"] != ID_NUMBER
    listing = await (await client.get("/api/v1/tickets?limit=200", headers=supervisor)).json()
    assert listing["items"]
    for item in listing["items"]:  # structured fields only: free text is the caller's own words
        assert PHONE not in item["requester"]["phone"] and ID_NUMBER not in item["requester"]["id_number"]

    # let the pipeline's background work (notifications, 110 outbox) log what it logs
    import asyncio

    await asyncio.sleep(0.5)
    records = captured.records
    assert any(r.name == "aiohttp.access" and "unit=" in r.getMessage() for r in records), "no access log captured"
    assert records, "nothing was captured: the test would prove nothing"
    text = "\n".join(captured.handler.format(r) for r in records)
    text += "\n".join(str(r.args) for r in records if r.args)
    for secret in SECRETS:
        assert secret not in text, f"{secret} appears in the logs:\n" + "\n".join(
            line for line in text.splitlines() if secret in line)[:2000]


async def test_unfiltered_log_lines_do_not_carry_numbers(client, tokens, caplog):
    """Without the filter, what the service itself logs still holds no personal numbers

    (the filter is a safety net: access log lines carry the path and query only)."""
    agent = await tokens.make(Role.AGENT)
    caplog.set_level(logging.DEBUG, logger="hotline")
    body = {"channel": "phone", "requester": {"phone": PHONE, "id_number": ID_NUMBER},
            "content": "路灯坏了", "area_code": RUGAO}
    assert (await client.post("/api/v1/tickets", json=body, headers=agent)).status == 201
    own = [r for r in caplog.records if r.name.startswith("hotline")]
    for r in own:
        message = r.getMessage()
        assert PHONE not in message and ID_NUMBER not in message, message


async def test_tokens_are_stored_hashed(tokens, pool):
    headers = await tokens.make(Role.ADMIN)
    secret = headers["Authorization"].split(" ", 1)[1]
    rows = await pool.fetch("SELECT * FROM api_tokens")
    assert rows
    dump = "\n".join(repr(dict(r)) for r in rows)
    assert secret not in dump and secret[3:] not in dump
    row = await pool.fetchrow("SELECT * FROM api_tokens WHERE token_hash = $1", hash_token(secret))
    assert row is not None and len(row["token_hash"]) == 32
    for value in row.values():
        if isinstance(value, str):
            assert not value.startswith("hl_"), value


async def test_handler_sees_phone_unless_confidential_never_id(client, tokens, pool):
    agent = await tokens.make(Role.AGENT)
    unit = await pool.fetchval("SELECT id FROM units WHERE code = $1", f"{RUGAO}-urban_mgmt")
    handler = await tokens.make(Role.HANDLER, unit_id=unit)
    for confidential in (False, True):
        body = {"channel": "phone", "requester": {"phone": PHONE, "id_number": ID_NUMBER},
                "content": "小区门口烧烤摊占道经营", "area_code": RUGAO, "confidential": confidential}
        tid = (await (await client.post("/api/v1/tickets", json=body, headers=agent)).json())["id"]
        await pool.execute("UPDATE tickets SET unit_id = $1 WHERE id = $2", unit, tid)
        seen = await (await client.get(f"/api/v1/tickets/{tid}", headers=handler)).json()
        assert (seen["requester"]["phone"] == PHONE) is (not confidential), seen["requester"]
        assert seen["requester"]["id_number"] != ID_NUMBER
        assert re.fullmatch(r"\d{6}\*+\d{3}[\dX]", seen["requester"]["id_number"]), seen["requester"]
