"""Hotspots (#16) over HTTP on real PostgreSQL and Valkey, with seeded history (own database, injected
clock): the spike is flagged, ordinary variation and one extra call in a quiet place are not; the episode
is announced once on the supervisors' stream, listed in the report in scope, and ends when it calms."""
from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient, TestServer

from hotline import db, keys
from hotline.app import create_app
from hotline.auth import create_token
from hotline.hotspots.detect import announce, detect
from models.enums import Role

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 15, 12, tzinfo=TZ)
RUGAO, HAIAN, RUDONG, XUANWU = "320682", "320685", "320623", "320102"

INSERT = """
INSERT INTO tickets (ticket_no, channel, requester_type, title, content, area_code, province_code, city_code,
                     county_code, category_code, status, created_at)
SELECT 'H' || lpad(nextval('ticket_no_seq')::text, 12, '0'), 'phone', 'citizen', '来电', '种子数据', $1, '320000',
       $2, $1, $3, 'triage', t
FROM unnest($4::timestamptz[]) AS t
RETURNING id
"""


@pytest.fixture(scope="module")
async def hs_pool(own_database):
    pool = await db.create_pool(own_database, min_size=1, max_size=4)
    yield pool
    await pool.close()


@pytest.fixture
async def hs_app(own_database, settings):
    app = create_app(settings.model_copy(update={"database_url": own_database, "scheduler_enabled": False,
                                                 "sse_heartbeat_seconds": 0.3}))
    app[keys.CLOCK] = lambda: NOW
    async with TestClient(TestServer(app)) as c:
        yield c


async def token(pool, role: Role, **kw) -> dict:
    async with pool.acquire() as conn:
        _, secret = await create_token(conn, role, **kw)
    return {"Authorization": f"Bearer {secret}"}


async def seed(pool, county: str, category: str, times: list[datetime]) -> list[int]:
    city = "320100" if county.startswith("3201") else "320600"
    return [r["id"] for r in await pool.fetch(INSERT, county, city, category, times)]


def spread(n: int, days: float, end: datetime) -> list[datetime]:
    """n calls spread evenly over the `days` before end."""
    step = timedelta(days=days) / n
    return [end - step * (i + 0.5) for i in range(n)]


@pytest.fixture(scope="module")
async def history(hs_pool):
    """28 days of history, then the last 24 hours."""
    window = NOW - timedelta(hours=24)
    # the spike: street lights in 如皋, about one call every two days, then 8 in a day
    await seed(hs_pool, RUGAO, "urban.municipal", spread(14, 28, window))
    spike = await seed(hs_pool, RUGAO, "urban.municipal", spread(8, 0.5, NOW))
    # busy and normal: sanitation in 海安, 5 a day, 7 today (well within its variation)
    await seed(hs_pool, HAIAN, "urban.sanitation", spread(140, 28, window))
    await seed(hs_pool, HAIAN, "urban.sanitation", spread(7, 1, NOW))
    # quiet: prices in 如东, one call in four weeks, then two today (one more than "usual")
    await seed(hs_pool, RUDONG, "market.price", spread(1, 28, window))
    await seed(hs_pool, RUDONG, "market.price", spread(2, 1, NOW))
    # another spike, outside 南通: for the scope checks
    await seed(hs_pool, XUANWU, "eco.noise", spread(6, 0.5, NOW))
    return {"spike": spike}


async def get(client, headers, path: str, status: int = 200) -> dict:
    resp = await client.get(path, headers=headers)
    data = await resp.json()
    assert resp.status == status, data
    return data


async def _read_kind(resp, kind: str, timeout: float = 10.0) -> list[dict]:
    """SSE frames of one event kind, until a heartbeat follows at least one of them."""
    found, buf = [], ""

    async def pump():
        nonlocal buf
        while True:
            chunk = await resp.content.readany()
            if not chunk:
                return
            buf += chunk.decode()
            while "\n\n" in buf:
                frame, buf = buf.split("\n\n", 1)
                data = [ln[6:] for ln in frame.splitlines() if ln.startswith("data: ")]
                if f"event: {kind}" in frame and data:
                    found.append(json.loads(data[0]))
                if frame.startswith(": heartbeat") and found:
                    return

    await asyncio.wait_for(pump(), timeout)
    return found


async def test_spike_flagged_noise_ignored_announced_once_in_scope(hs_app, hs_pool, history, servers, settings):
    agent = await token(hs_pool, Role.AGENT)
    nantong = await token(hs_pool, Role.SUPERVISOR, area_code="320600")
    s = settings.model_copy(update={"database_url": ""})
    resp = await hs_app.get("/api/v1/reports/escalations/stream", headers=nantong)
    assert resp.status == 200
    await asyncio.wait_for(resp.content.readuntil(b"\n\n"), 5)

    found = await detect(hs_pool, s, NOW)
    assert found.ran and found.hotspots == 2 and len(found.opened) == 2
    redis = aioredis.from_url(servers.redis_url, decode_responses=True)
    try:
        assert await announce(redis, found.announcements) == 2
        again = await detect(hs_pool, s, NOW + timedelta(minutes=1))   # the next run: same episodes
        assert again.hotspots == 2 and again.opened == [] and again.announcements == []
    finally:
        await redis.aclose()

    events = await _read_kind(resp, "hotspot")
    resp.close()
    assert [(e["area_code"], e["category"]) for e in events] == [(RUGAO, "urban.municipal")]   # 南通 only
    assert events[0]["label"] == "热点预警" and "如皋" in events[0]["reason"]

    body = await get(hs_app, agent, "/api/v1/reports/hotspots")
    assert body["window_hours"] == 24
    assert {(i["area_code"], i["category"]) for i in body["items"]} == {(RUGAO, "urban.municipal"),
                                                                       (XUANWU, "eco.noise")}
    item = next(i for i in body["items"] if i["area_code"] == RUGAO)
    assert item["count"] == 8 and item["baseline_calls"] == 14 and item["baseline"] == pytest.approx(0.5)
    assert item["area_name"] == "如皋市" and item["category_name"] and item["p_value"] < 0.001
    assert item["score"] > 3 and sorted(item["ticket_ids"]) == sorted(history["spike"])

    scoped = await get(hs_app, nantong, "/api/v1/reports/hotspots")
    assert [i["area_code"] for i in scoped["items"]] == [RUGAO]
    await get(hs_app, nantong, f"/api/v1/reports/hotspots?area={XUANWU}", status=403)
    assert (await get(hs_app, agent, f"/api/v1/reports/hotspots?area={HAIAN}"))["items"] == []
    only = await get(hs_app, agent, "/api/v1/reports/hotspots?category=eco.noise")
    assert [i["area_code"] for i in only["items"]] == [XUANWU]
    bad = await get(hs_app, agent, "/api/v1/reports/hotspots?limit=0", status=422)
    assert bad["details"][0]["field"] == "limit"


async def test_episode_ends_when_the_window_calms(hs_app, hs_pool, history, settings):
    agent = await token(hs_pool, Role.AGENT)
    s = settings.model_copy(update={"database_url": ""})
    await detect(hs_pool, s, NOW)
    later = NOW + timedelta(days=2)          # the spike has left the 24-hour window, cool-down passed
    found = await detect(hs_pool, s, later)
    assert found.hotspots == 0 and found.ended >= 2
    assert (await get(hs_app, agent, "/api/v1/reports/hotspots"))["items"] == []
    n = await hs_pool.fetchval("SELECT count(*) FROM hotspots WHERE county_code = $1", RUGAO)
    assert n == 1                             # one episode, now ended


async def test_second_detector_at_the_same_time_skips(hs_pool, settings):
    s = settings.model_copy(update={"database_url": ""})
    async with hs_pool.acquire() as conn, conn.transaction():
        await conn.fetchval("SELECT pg_advisory_xact_lock(hashtext('hotline-hotspots'))")
        found = await detect(hs_pool, s, NOW)
    assert not found.ran and found.opened == []
