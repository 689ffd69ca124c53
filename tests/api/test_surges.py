"""Surge mode (#16) over real HTTP, PostgreSQL and Valkey (own database): a county far above the same hours
of the week before is a surge; while it lasts a same-matter request is grouped under the group's lead (still
visible on its own, undoable), unrelated requests and other counties are not; GET /reports/surges says so."""
from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from hotline import db, keys
from hotline.app import create_app
from hotline.auth import create_token
from hotline.hotspots.detect import detect
from hotline.wallclock import now
from models.enums import Role

HAIAN, RUGAO = "320685", "320682"
DRAIN = "海安市长江路菜场门口的下水道井盖缺了两个礼拜，晚上骑电瓶车的差点摔进去，请赶紧补上"
DRAIN_AGAIN = "长江路菜场门口下水道井盖缺了两个礼拜了，晚上骑电瓶车差点摔进去，赶紧补上井盖"
OTHER = ["海安市人民医院门口天天有车乱停，救护车都开不进去", "小区楼上每天夜里装修，吵得孩子没法睡觉"]


@pytest.fixture(scope="module")
async def sg_pool(own_database):
    pool = await db.create_pool(own_database, min_size=1, max_size=4)
    yield pool
    await pool.close()


@pytest.fixture(scope="module")
async def sg_client(own_database, settings):
    app = create_app(settings.model_copy(update={"database_url": own_database, "scheduler_enabled": False}))
    async with TestClient(TestServer(app)) as c:
        yield c


async def token(pool, role: Role, **kw) -> dict:
    async with pool.acquire() as conn:
        _, secret = await create_token(conn, role, **kw)
    return {"Authorization": f"Bearer {secret}"}


async def intake(client, headers, content: str, area: str = HAIAN) -> dict:
    body = {"channel": "phone", "requester": {"name": "孙女士", "phone": "135" + str(uuid.uuid4().int)[:8]},
            "content": content, "area_code": area}
    resp = await client.post("/api/v1/tickets", json=body, headers=headers)
    data = await resp.json()
    assert resp.status == 201, data
    return data


async def get(client, headers, path: str) -> dict:
    resp = await client.get(path, headers=headers)
    data = await resp.json()
    assert resp.status == 200, data
    return data


async def test_surge_groups_same_matter_requests_under_one_lead(sg_client, sg_pool, settings):
    agent = await token(sg_pool, Role.AGENT)
    # the week before: one call a day in the same hour (baseline 1 an hour)
    await sg_pool.execute("""
        INSERT INTO tickets (ticket_no, channel, requester_type, title, content, area_code, province_code, city_code,
                             county_code, status, created_at)
        SELECT 'S' || lpad(nextval('ticket_no_seq')::text, 12, '0'), 'phone', 'citizen', '来电', '种子数据',
               $1, '320000', '320600', $1, 'triage', now() - make_interval(days => d) - interval '30 minutes'
        FROM generate_series(1, 7) AS d""", HAIAN)
    # this hour: ten calls about one drain and two others, before the surge is known (nothing grouped)
    first = await intake(sg_client, agent, DRAIN)
    early = [await intake(sg_client, agent, DRAIN_AGAIN if i % 2 else DRAIN) for i in range(9)]
    early += [await intake(sg_client, agent, text) for text in OTHER]
    assert all(t["grouped"] is None and t["status"] != "closed" for t in [first, *early])

    s = settings.model_copy(update={"database_url": ""})
    found = await detect(sg_pool, s, now())
    assert found.surges == 1 and len(found.opened_surges) == 1
    [record] = [a for a in found.announcements if a["kind"] == "surge"]
    assert record["area_code"] == HAIAN and record["label"] == "话务激增" and record["count"] == 12

    finder = sg_client.app[keys.CANDIDATES]
    for _ in range(30):                     # every worker learns open surges with its refresh (1 s)
        if HAIAN in finder.surging:
            break
        await asyncio.sleep(0.2)
    assert HAIAN in finder.surging and RUGAO not in finder.surging

    grouped = await intake(sg_client, agent, DRAIN_AGAIN)
    assert grouped["grouped"]["lead_id"] == first["id"] and grouped["status"] == "closed"
    assert grouped["grouped"]["surge_id"] == found.opened_surges[0] and "话务激增" in grouped["grouped"]["reason"]
    again = await intake(sg_client, agent, DRAIN)
    assert again["grouped"]["lead_id"] == first["id"]                        # one lead for the group
    unrelated = await intake(sg_client, agent, "海安市长江路有家饭店油烟直排，熏得窗户都不能开")
    assert unrelated["grouped"] is None and unrelated["status"] != "closed"
    elsewhere = await intake(sg_client, agent, DRAIN.replace("海安市", "如皋市"), area=RUGAO)
    assert elsewhere["grouped"] is None                                      # no surge in 如皋

    # still visible one by one, on the lead and on its own
    links = await get(sg_client, agent, f"/api/v1/tickets/{first['id']}/links")
    assert {grouped["id"], again["id"]} <= {lk["ticket"]["id"] for lk in links["links"]}
    detail = await get(sg_client, agent, f"/api/v1/tickets/{grouped['id']}")
    assert detail["status"] == "closed"
    history = (await get(sg_client, agent, f"/api/v1/tickets/{grouped['id']}/events"))["events"]
    merge = next(e for e in history if e["action"] == "merge")
    assert merge["actor_role"] is None and "话务激增" in merge["reason"]

    report = await get(sg_client, agent, "/api/v1/reports/surges")
    [item] = report["items"]
    assert (item["area_code"], item["grouped"], item["count"]) == (HAIAN, 2, 12)
    assert item["baseline"] == pytest.approx(1.0) and report["window_hours"] == 1

    # an agent can undo a grouping like any 并单
    resp = await sg_client.post(f"/api/v1/tickets/{again['id']}/unmerge", json={"reason": "不是同一个井盖"},
                                headers=agent)
    assert resp.status == 200 and (await resp.json())["status"] == "triage"

    # the surge ends when the hour is ordinary again (cool-down 1 hour)
    later = await detect(sg_pool, s, now() + timedelta(hours=3))
    assert later.surges == 0 and later.ended >= 1
    assert (await get(sg_client, agent, "/api/v1/reports/surges"))["items"] == []
