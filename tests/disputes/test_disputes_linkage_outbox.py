"""High-risk dispute alerts in the 110 linkage outbox list (#14), over HTTP on real PostgreSQL.

A 高/重大 case writes a `risk_alert` row to linkage_outbox with no ticket (ticket_id NULL, case_id
set). GET /api/v1/linkage/outbox lists it with the case number and kind, beside the tickets'
hand-offs, under the scope rule: the desk sees all, a supervisor its area's cases, the 110 platform
every alert (they are addressed to it).
"""
from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from hotline import db
from hotline.app import create_app
from hotline.auth import create_token
from models.enums import Role

DANGER = {"source": "walk_in", "address": "江苏省如皋市白蒲镇李家村",
          "summary": "白蒲镇李家村两家因宅基地地界争执多年，昨天一方喝酒后拿着菜刀扬言要砍死对方", "area_code": "320682",
          "parties": [{"role": "applicant", "name": "李先生", "phone": "13912345601"}]}
POLICE_TEXT = "有人拿着刀在小区门口追砍路人，已经有人受伤流血倒在地上了，快来人！"


@pytest.fixture(scope="module")
async def env(settings, own_database):
    pool = await db.create_pool(own_database, min_size=1, max_size=4)
    app = create_app(settings.model_copy(update={"database_url": own_database}))
    async with TestClient(TestServer(app)) as c:
        yield c, pool
    await pool.close()


async def token(pool, role: Role, **kw) -> dict:
    async with pool.acquire() as conn:
        _, secret = await create_token(conn, role, **kw)
    return {"Authorization": f"Bearer {secret}"}


async def get(client, path: str, headers: dict, status: int = 200, **params):
    resp = await client.get(f"/api/v1{path}", headers=headers, params=params)
    data = await resp.json()
    assert resp.status == status, (path, data)
    return data


async def test_high_risk_case_alert_is_listed_with_its_case_number_under_the_scope_rule(env):
    c, pool = env
    agent = await token(pool, Role.AGENT)
    resp = await c.post("/api/v1/disputes/cases", json=DANGER, headers=agent)
    case = await resp.json()
    assert resp.status == 201 and case["risk"] in ("high", "major"), case
    resp = await c.post("/api/v1/tickets", headers=agent,
                        json={"channel": "phone", "content": POLICE_TEXT, "area_code": "320682"})
    ticket = await resp.json()
    assert resp.status == 201 and ticket["disposition"] == "110", ticket

    def alerts(page):
        return [i for i in page["items"] if i["kind"] == "risk_alert" and i["case_id"] == case["id"]]

    page = await get(c, "/linkage/outbox", agent)
    [alert] = alerts(page)
    assert alert["case_no"] == case["case_no"] and alert["ticket_id"] is None and alert["ticket_no"] is None
    assert alert["kind_label"] == "高风险纠纷预警" and alert["risk"] == case["risk"] and alert["state"] == "pending"
    assert alert["idempotency_key"]
    [handoff] = [i for i in page["items"] if i["ticket_id"] == ticket["id"]]      # tickets' rows still there
    assert handoff["ticket_no"] == ticket["ticket_no"] and handoff["case_no"] is None and handoff["kind"] == "handoff"
    assert alerts(await get(c, "/linkage/outbox", agent, state="pending")) == [alert]
    assert alerts(await get(c, "/linkage/outbox", agent, state="failed")) == []

    for area in ("320682", "320600", "320000"):                    # the county, its city, the province
        sup = await token(pool, Role.SUPERVISOR, area_code=area)
        assert [i["case_no"] for i in alerts(await get(c, "/linkage/outbox", sup))] == [case["case_no"]], area
    nanjing = await token(pool, Role.SUPERVISOR, area_code="320100")
    assert alerts(await get(c, "/linkage/outbox", nanjing)) == []
    assert all(i["ticket_no"] != ticket["ticket_no"] for i in (await get(c, "/linkage/outbox", nanjing))["items"])

    # the 110 platform sees the alert addressed to it and can acknowledge it by its key
    linkage = await token(pool, Role.LINKAGE)
    [seen] = alerts(await get(c, "/linkage/outbox", linkage))
    assert seen["case_no"] == case["case_no"]
    resp = await c.post("/api/v1/linkage/110/acks", headers=linkage,
                        json={"idempotency_key": seen["idempotency_key"], "ref": "110-risk-1"})
    assert resp.status == 200, await resp.json()
    assert [i["state"] for i in alerts(await get(c, "/linkage/outbox", agent))] == ["acknowledged"]

    await get(c, "/linkage/outbox", await token(pool, Role.HANDLER, unit_id=await pool.fetchval(
        "SELECT id FROM units ORDER BY id LIMIT 1")), status=403)
