"""Tokens and roles: who may file, who sees what, and masked personal data."""
from __future__ import annotations

from models.enums import Role

BODY = {"channel": "web", "requester": {"name": "赵先生", "phone": "13812345678", "id_number": "32068219900101123X"},
        "content": "小区电梯经常困人，物业不管。", "area_code": "320682"}


async def test_requests_without_or_with_bad_token_get_401(client):
    assert (await client.post("/api/v1/tickets", json=BODY)).status == 401
    resp = await client.get("/api/v1/tickets", headers={"Authorization": "Bearer hl_nope"})
    assert resp.status == 401 and (await resp.json())["message"]


async def test_roles_that_may_not_file_get_403(client, tokens):
    for role in (Role.SUPERVISOR, Role.LINKAGE):
        headers = await tokens.make(role, area_code="320600" if role == Role.SUPERVISOR else None)
        assert (await client.post("/api/v1/tickets", json=BODY, headers=headers)).status == 403


async def test_tokens_are_stored_hashed(pool, tokens):
    headers = await tokens.make(Role.AGENT)
    secret = headers["Authorization"].split()[1]
    rows = await pool.fetch("SELECT token_hash FROM api_tokens")
    assert all(secret.encode() not in bytes(r["token_hash"]) for r in rows)
    assert all(len(r["token_hash"]) == 32 for r in rows)


async def test_supervisor_sees_only_its_area_subtree(client, agent, tokens):
    created = await (await client.post("/api/v1/tickets", json=BODY, headers=agent)).json()
    nantong = await tokens.make(Role.SUPERVISOR, area_code="320600")
    nanjing = await tokens.make(Role.SUPERVISOR, area_code="320100")
    assert (await client.get(f"/api/v1/tickets/{created['id']}", headers=nantong)).status == 200
    assert (await client.get(f"/api/v1/tickets/{created['id']}", headers=nanjing)).status == 404
    listed = await (await client.get("/api/v1/tickets", headers=nanjing)).json()
    assert created["id"] not in [t["id"] for t in listed["items"]]


async def test_handler_sees_only_its_units_tickets(client, agent, tokens, pool):
    created = await (await client.post("/api/v1/tickets", json=BODY, headers=agent)).json()
    unit = await tokens.unit_id("如皋市住房和城乡建设局")
    other = await tokens.unit_id("如皋市城市管理局")
    await pool.execute("UPDATE tickets SET unit_id = $1 WHERE id = $2", unit, created["id"])
    own = await tokens.make(Role.HANDLER, unit_id=unit)
    stranger = await tokens.make(Role.HANDLER, unit_id=other)
    assert (await client.get(f"/api/v1/tickets/{created['id']}", headers=own)).status == 200
    assert (await client.get(f"/api/v1/tickets/{created['id']}", headers=stranger)).status == 404


async def test_phone_and_id_masked_for_supervisors_not_agents(client, agent, tokens):
    created = await (await client.post("/api/v1/tickets", json=BODY, headers=agent)).json()
    assert created["requester"]["phone"] == "13812345678"
    sup = await tokens.make(Role.SUPERVISOR, area_code="320000")
    seen = await (await client.get(f"/api/v1/tickets/{created['id']}", headers=sup)).json()
    assert seen["requester"]["phone"] == "138****5678"
    assert seen["requester"]["id_number"] == "320682********123X"


async def test_openapi_describes_every_endpoint(client):
    doc = await (await client.get("/api/v1/openapi.json")).json()
    assert doc["openapi"].startswith("3.")
    for route in client.app.router.routes():
        info = route.resource.get_info()
        path = info.get("path") or info.get("formatter")
        if route.method != "HEAD":
            assert route.method.lower() in doc["paths"][path], path


async def test_health_and_ready(client):
    assert (await client.get("/health")).status == 200
    ready = await client.get("/ready")
    body = await ready.json()
    assert ready.status == 200, body
    assert body["checks"]["postgres"]["ok"] and body["checks"]["valkey"]["ok"]


def test_ready_warns_when_holiday_data_runs_out():
    from datetime import date

    from hotline.system_views import _check_calendar

    assert _check_calendar(date(2026, 1, 10))["ok"] is True
    late = _check_calendar(date(2026, 12, 1))
    assert late["ok"] is False and "chinese-calendar" in late["detail"]


async def test_supporting_unit_handler_sees_the_ticket(client, agent, tokens, pool):
    created = await (await client.post("/api/v1/tickets", json=BODY, headers=agent)).json()
    lead = await tokens.unit_id("如皋市住房和城乡建设局")
    support = await tokens.unit_id("如皋市市场监督管理局")
    await pool.execute("UPDATE tickets SET unit_id = $1 WHERE id = $2", lead, created["id"])
    await pool.execute("INSERT INTO ticket_units (ticket_id, unit_id, role) VALUES ($1, $2, 'support')",
                       created["id"], support)
    headers = await tokens.make(Role.HANDLER, unit_id=support)
    assert (await client.get(f"/api/v1/tickets/{created['id']}", headers=headers)).status == 200
    listed = await (await client.get("/api/v1/tickets", headers=headers)).json()
    assert created["id"] in [t["id"] for t in listed["items"]]


async def test_concurrent_lookups_of_an_uncached_token_share_one_query(pool, tokens):
    import asyncio

    from hotline.auth import TokenCache

    class CountingPool:  # the real pool, with its token queries counted
        def __init__(self) -> None:
            self.queries = 0

        async def fetchrow(self, *args):
            self.queries += 1
            await asyncio.sleep(0.05)  # a slow database: every caller arrives while the query runs
            return await pool.fetchrow(*args)

    secret = (await tokens.make(Role.AGENT))["Authorization"].split()[1]
    counting, cache = CountingPool(), TokenCache()
    found = await asyncio.gather(*(cache.lookup(counting, secret) for _ in range(20)))
    assert counting.queries == 1
    assert len({p.token_id for p in found}) == 1 and found[0].role == Role.AGENT
    assert await cache.lookup(counting, "hl_" + "x" * 43) is None and counting.queries == 2
    assert await cache.lookup(counting, "hl_" + "x" * 43) is None and counting.queries == 2, "remembered unknown"
    assert await cache.lookup(counting, "hl_unknown") is None and counting.queries == 2, "not our shape: no query"
    await cache.lookup(counting, secret)
    assert counting.queries == 2, "cached"
