"""An app of its own on a database of its own: these tests sweep at invented times and count whole tables."""
from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from hotline import db
from hotline.app import create_app
from models.enums import Role
from tests.conftest import Tokens


@pytest.fixture(scope="module")
async def own(own_database, settings):
    """(client, pool, tokens) on the module's own database."""
    pool = await db.create_pool(own_database, min_size=1, max_size=4)
    app = create_app(settings.model_copy(update={"database_url": own_database}))
    async with TestClient(TestServer(app)) as client:
        yield client, pool, Tokens(pool)
    await pool.close()


async def replied_ticket(client, tokens, agent, *, name="张先生", phone="13800000000", area="320682"):
    """A ticket dispatched, signed and replied through the API; (ticket, handler headers)."""
    body = {"channel": "phone", "area_code": area, "requester": {"name": name, "phone": phone},
            "content": "小区门口路灯坏了两个星期，晚上走路很危险。"}
    resp = await client.post("/api/v1/tickets", json=body, headers=agent)
    assert resp.status == 201, await resp.text()
    t = await resp.json()
    assert (await client.post(f"/api/v1/tickets/{t['id']}/dispatch", json={"category": "城市管理/市政设施"},
                              headers=agent)).status == 200
    t = await (await client.get(f"/api/v1/tickets/{t['id']}", headers=agent)).json()
    handler = await tokens.make(Role.HANDLER, unit_id=t["unit"]["id"])
    assert (await client.post(f"/api/v1/tickets/{t['id']}/sign", json={}, headers=handler)).status == 200
    reply = {"resolution": "已派人查看并修复", "claimed_solved": True}
    assert (await client.post(f"/api/v1/tickets/{t['id']}/reply", json=reply, headers=handler)).status == 200
    return t, handler
