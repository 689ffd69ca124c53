"""Intake and reading tickets through HTTP on real PostgreSQL."""
from __future__ import annotations

import uuid

import pytest


RUGAO = "320682"  # 如皋市


def ticket_body(**over) -> dict:
    body = {
        "channel": "phone",
        "requester": {"type": "citizen", "name": "王女士", "phone": "13912345678"},
        "content": "小区门口烧烤摊每晚占道经营到凌晨两点，油烟很大。",
        "address": "如皋市如城街道海阳路18号",
        "area_code": RUGAO,
    }
    body.update(over)
    return body


async def test_create_ticket_returns_201_and_is_stored(client, agent, pool):
    resp = await client.post("/api/v1/tickets", json=ticket_body(), headers=agent)
    assert resp.status == 201, await resp.text()
    data = await resp.json()
    assert data["status"] in ("dispatched", "triage") and data["status_label"] in ("已派单", "待分拣")
    assert data["disposition"] == "12345"
    assert data["ticket_no"].isdigit() and len(data["ticket_no"]) == 16
    assert (data["province_code"], data["city_code"], data["county_code"]) == ("320000", "320600", RUGAO)
    row = await pool.fetchrow("SELECT content, requester_phone FROM tickets WHERE id = $1", data["id"])
    assert row["content"] == ticket_body()["content"]
    events = await pool.fetch("SELECT action, to_status FROM ticket_events WHERE ticket_id = $1", data["id"])
    assert [(e["action"], e["to_status"]) for e in events] == [
        ("receive", "received"), ("dispatch" if data["status"] == "dispatched" else "triage", data["status"])]
    assert resp.headers["Location"] == f"/api/v1/tickets/{data['id']}"


async def test_enterprise_request_needs_org_and_valid_credit_code(client, agent):
    body = ticket_body(channel="enterprise", requester={"type": "enterprise", "name": "李经理"})
    resp = await client.post("/api/v1/tickets", json=body, headers=agent)
    assert resp.status == 422
    body["requester"].update(org="如皋某机械有限公司", credit_code="91320682MA1XXXXXX0")
    resp = await client.post("/api/v1/tickets", json=body, headers=agent)
    err = await resp.json()
    assert resp.status == 422 and err["details"][0]["field"] == "requester.credit_code"
    body["requester"]["credit_code"] = "91350100M000100Y43"
    resp = await client.post("/api/v1/tickets", json=body, headers=agent)
    assert resp.status == 201, await resp.text()
    assert (await resp.json())["requester"]["type_label"] == "企业"


async def test_idempotency_key_returns_the_same_ticket(client, agent, pool):
    key = str(uuid.uuid4())
    headers = {**agent, "Idempotency-Key": key}
    first = await client.post("/api/v1/tickets", json=ticket_body(), headers=headers)
    second = await client.post("/api/v1/tickets", json=ticket_body(), headers=headers)
    assert first.status == second.status == 201
    assert (await first.json())["id"] == (await second.json())["id"]
    assert second.headers.get("Idempotent-Replayed") == "true"
    n = await pool.fetchval("SELECT count(*) FROM tickets WHERE idempotency_key = $1", key)
    assert n == 1
    other = await client.post("/api/v1/tickets", json=ticket_body(content="另一件事：路灯不亮"), headers=headers)
    assert other.status == 422


@pytest.mark.parametrize("body, status, field", [
    ({"requester": {"name": "x"}, "content": "路灯坏了"}, 422, "channel"),
    ({"channel": "phone"}, 422, "content"),
    ({"channel": "phone", "content": ""}, 422, "content"),
    ({"channel": "phone", "content": "   "}, 422, "content"),
    ({"channel": "fax", "content": "路灯坏了"}, 422, "channel"),
    ({"channel": "phone", "content": 123}, 422, "content"),
    ({"channel": "phone", "content": "a" * 5001}, 422, "content"),
    ({"channel": "phone", "content": "路灯坏了", "area_code": "999999"}, 422, "area_code"),
    ({"channel": "phone", "content": "路灯坏了", "area_code": "32a"}, 422, "area_code"),
    ({"channel": "phone", "content": "路灯坏了", "urgency": "very"}, 422, "urgency"),
    ({"channel": "phone", "content": "路灯坏了", "requester": {"phone": "12345"}}, 422, "requester.phone"),
    ({"channel": "phone", "content": "路灯坏了", "colour": "red"}, 422, "colour"),
    ({"channel": "phone", "content": "路灯\x00坏了"}, 422, "content"),
])
async def test_bad_input_gets_a_clear_4xx(client, agent, body, status, field):
    resp = await client.post("/api/v1/tickets", json=body, headers=agent)
    assert resp.status == status
    err = await resp.json()
    assert err["message"] and field in [d["field"] for d in err["details"]]


@pytest.mark.parametrize("raw, status", [
    (b"\xff\xfe\x00not utf8", 400),
    (b"{not json", 400),
    (b"", 400),
    (b"[1, 2]", 422),
    (b"[" * 100_000 + b"]" * 100_000, 413),
    (b"[" * 20_000 + b"]" * 20_000, 400),
])
async def test_bad_bodies_are_rejected_without_500(client, agent, raw, status):
    resp = await client.post("/api/v1/tickets", data=raw,
                             headers={**agent, "Content-Type": "application/json"})
    assert resp.status == status
    assert set(await resp.json()) >= {"message", "details"}


async def test_oversize_body_is_413(client, agent):
    resp = await client.post("/api/v1/tickets", json=ticket_body(content="长" * 70_000), headers=agent)
    assert resp.status == 413


async def test_get_and_list_with_filters_and_keyset_pagination(client, agent):
    ids = []
    for i in range(5):
        resp = await client.post("/api/v1/tickets", json=ticket_body(content=f"分页测试 {i}", area_code="320105"),
                                 headers=agent)
        ids.append((await resp.json())["id"])
    got = await client.get(f"/api/v1/tickets/{ids[0]}", headers=agent)
    assert (await got.json())["content"] == "分页测试 0"
    seen, after = [], None
    while True:
        params = {"area": "320105", "limit": "2", **({"after": str(after)} if after else {})}
        page = await (await client.get("/api/v1/tickets", params=params, headers=agent)).json()
        seen += [t["id"] for t in page["items"]]
        after = page["next_after"]
        if after is None:
            break
    assert seen[:5] == sorted(ids, reverse=True)
    assert all(t == sorted(seen, reverse=True)[i] for i, t in enumerate(seen))


async def test_bad_query_and_ids(client, agent):
    assert (await client.get("/api/v1/tickets", params={"limit": "0"}, headers=agent)).status == 422
    assert (await client.get("/api/v1/tickets", params={"status": "nope"}, headers=agent)).status == 422
    assert (await client.get("/api/v1/tickets/../../etc/passwd", headers=agent)).status == 404
    assert (await client.get("/api/v1/tickets/abc", headers=agent)).status == 404
    assert (await client.get("/api/v1/tickets/999999999", headers=agent)).status == 404


async def test_history_lists_events(client, agent):
    created = await (await client.post("/api/v1/tickets", json=ticket_body(), headers=agent)).json()
    hist = await (await client.get(f"/api/v1/tickets/{created['id']}/events", headers=agent)).json()
    assert hist["events"][0]["action"] == "receive"


async def test_events_are_append_only(pool, client, agent):
    created = await (await client.post("/api/v1/tickets", json=ticket_body(), headers=agent)).json()
    with pytest.raises(Exception, match="append-only"):
        await pool.execute("UPDATE ticket_events SET reason = 'x' WHERE ticket_id = $1", created["id"])


async def test_an_unseeded_database_sends_tickets_to_triage_not_500(servers, agent):
    """`hotline serve` without sample data: intake places addresses only on the areas in the database."""
    from aiohttp.test_utils import TestClient, TestServer

    from hotline import db
    from hotline.app import create_app
    from hotline.auth import create_token
    from hotline.seed import database_url, drop_database
    from hotline.settings import Settings
    from models.enums import Role

    await drop_database(servers.admin_url, "hotline_unseeded")
    admin = await db.connect(servers.admin_url)
    await admin.execute("CREATE DATABASE hotline_unseeded")
    await admin.close()
    url = database_url(servers.admin_url, "hotline_unseeded")
    conn = await db.connect(url)
    await db.migrate(conn)
    _, secret = await create_token(conn, Role.AGENT)
    await conn.close()
    app = create_app(Settings(database_url=url, redis_url=servers.redis_url, scheduler_enabled=False))
    async with TestClient(TestServer(app)) as c:
        resp = await c.post("/api/v1/tickets", headers={"Authorization": f"Bearer {secret}"},
                            json={"channel": "phone", "content": "如皋市海阳路的路灯坏了", "address": "江苏省南通市如皋市海阳路"})
        body = await resp.json()
    await drop_database(servers.admin_url, "hotline_unseeded")
    assert resp.status == 201 and body["status"] == "triage" and body["county_code"] is None
