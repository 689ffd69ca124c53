"""The supervisors' escalation report and its live SSE feed (own database, injected clock)."""
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
from hotline.reports.escalations import working_time_before
from hotline.escalation.sweep import sweep
from hotline.notify import Notifier
from hotline.tickets.assign import assign
from models.enums import Role

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 15, 12, tzinfo=TZ)   # Monday noon: the report's clock


def at(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


@pytest.fixture(scope="module")
async def rep_url(own_database):
    """A database of its own: these tests sweep at invented times."""
    return own_database


@pytest.fixture(scope="module")
async def rep_pool(rep_url):
    pool = await db.create_pool(rep_url, min_size=1, max_size=4)
    yield pool
    await pool.close()


@pytest.fixture
async def rep_client(rep_url, settings):
    s = settings.model_copy(update={"database_url": rep_url, "scheduler_enabled": False,
                                    "sse_heartbeat_seconds": 0.3})
    app = create_app(s)
    app[keys.CLOCK] = lambda: NOW
    async with TestClient(TestServer(app)) as c:
        yield c


async def token(pool, role: Role, **kw) -> dict:
    async with pool.acquire() as conn:
        _, secret = await create_token(conn, role, **kw)
    return {"Authorization": f"Bearer {secret}"}


INSERT = """
INSERT INTO tickets (ticket_no, channel, requester_type, title, content, area_code, province_code, city_code,
                     county_code, status, created_at)
VALUES ('R' || lpad(nextval('ticket_no_seq')::text, 12, '0'), 'phone', 'citizen', '噪音', '夜间施工噪音扰民',
        $1, '320000', $2, $3, 'dispatched', $4)
RETURNING id
"""


async def new_ticket(pool, start: datetime, unit: str, area: str, city: str, county: str | None,
                     reply_by: datetime | None = None) -> int:
    async with pool.acquire() as conn, conn.transaction():
        tid = await conn.fetchval(INSERT, area, city, county, start)
        tier = await conn.fetchval("SELECT tier::text FROM units WHERE code = $1", unit)
        await assign(conn, tid, lead_code=unit, support_codes=(), tier=tier, urgency="normal",
                     category_class="ordinary", now=start)
        if reply_by is not None:
            # A deadline set by hand: keep the sweep away from it.
            await conn.execute("UPDATE tickets SET reply_by = $2, next_escalation_at = NULL WHERE id = $1",
                               tid, reply_by)
    return tid


RUGAO = dict(unit="320682-urban_mgmt", area="320682", city="320600", county="320682")
RUGAO_HOUSING = dict(unit="320682-housing", area="320682", city="320600", county="320682")
NANJING = dict(unit="320100-urban_mgmt", area="320100", city="320100", county=None)


@pytest.fixture(scope="module")
async def data(rep_pool):
    """Overdue tickets in every ageing bucket, one closed, one elsewhere, and steps in June."""
    ids = {
        "lt1": await new_ticket(rep_pool, at(2026, 6, 1, 9), **RUGAO, reply_by=NOW - timedelta(hours=2)),
        # Fri 06:00: 1.25 working days but 3.25 calendar days overdue.
        "1to3": await new_ticket(rep_pool, at(2026, 6, 1, 9), **RUGAO, reply_by=at(2026, 6, 12, 6)),
        "gt7": await new_ticket(rep_pool, at(2026, 5, 6, 9), **RUGAO_HOUSING, reply_by=at(2026, 5, 20, 23)),
        "closed": await new_ticket(rep_pool, at(2026, 6, 1, 9), **RUGAO, reply_by=at(2026, 6, 3)),
        "nanjing": await new_ticket(rep_pool, at(2026, 6, 1, 9), **NANJING, reply_by=at(2026, 6, 3)),
        "future": await new_ticket(rep_pool, at(2026, 6, 12, 9), **RUGAO),
    }
    for status in ("signed", "replied", "closed"):
        await rep_pool.execute("UPDATE tickets SET status = $2 WHERE id = $1", ids["closed"], status)
    # Escalation steps at known times: Rugao ticket 'stepper' and the Nanjing ticket.
    ids["stepper"] = await new_ticket(rep_pool, at(2026, 6, 1, 10), **RUGAO)     # reply_by 06-08 23:59:59
    await sweep(rep_pool, at(2026, 6, 8, 12))        # warn (stepper)
    await sweep(rep_pool, at(2026, 6, 9, 1))         # chase (stepper)
    await sweep(rep_pool, at(2026, 6, 10, 1))        # supervise (stepper)
    return ids


async def test_bucket_bounds_count_working_time():
    assert working_time_before(NOW, 1) == at(2026, 6, 12, 12)     # Mon noon - 24 working hours = Fri noon
    assert working_time_before(NOW, 3) == at(2026, 6, 10, 12)
    assert working_time_before(at(2026, 10, 8, 12), 1) == at(2026, 9, 30, 12)   # across National Day


async def test_agent_sees_every_area_supervisor_only_its_subtree(rep_client, rep_pool, data):
    agent = await token(rep_pool, Role.AGENT)
    rugao = await token(rep_pool, Role.SUPERVISOR, area_code="320682")
    nanjing = await token(rep_pool, Role.SUPERVISOR, area_code="320100")

    resp = await rep_client.get("/api/v1/reports/escalations", headers=agent,
                                params={"from": "2026-06-01", "to": "2026-06-15"})
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    od = body["overdue"]
    # stepper (06-08), lt1, 1to3, gt7 in 如皋; the Nanjing one; not the closed nor the future one.
    assert od["total"] == 5 and body["ageing_unit"] == "working_days"
    assert {b["bucket"]: b["count"] for b in od["ageing"]} == {"lt1": 1, "1to3": 1, "3to7": 1, "gt7": 2}
    assert {a["area_code"]: a["count"] for a in od["by_area"]} == {"320682": 4, "320100": 1}
    assert [(t["tier"], t["count"]) for t in od["by_tier"]] == [("city", 1), ("county", 4)]
    units = {u["unit_code"]: u["count"] for u in od["by_unit"]}
    assert units == {"320682-urban_mgmt": 3, "320682-housing": 1, "320100-urban_mgmt": 1}
    steps = {s["step"]: s["count"] for s in body["steps"]["by_step"]}
    assert steps == {"warn": 1, "chase": 1, "supervise": 1, "raise": 0}
    assert body["most_supervised_units"][0]["unit_name"] == "如皋市城市管理局"
    assert body["most_supervised_units"][0]["count"] == 1

    own = await (await rep_client.get("/api/v1/reports/escalations", headers=rugao,
                                      params={"from": "2026-06-09", "to": "2026-06-15"})).json()
    assert own["overdue"]["total"] == 4 and {a["area_code"] for a in own["overdue"]["by_area"]} == {"320682"}
    assert {s["step"]: s["count"] for s in own["steps"]["by_step"]} == \
        {"warn": 0, "chase": 1, "supervise": 1, "raise": 0}          # the warn was on 06-08

    other = await (await rep_client.get("/api/v1/reports/escalations", headers=nanjing)).json()
    assert other["overdue"]["total"] == 1 and other["overdue"]["by_unit"][0]["unit_code"] == "320100-urban_mgmt"
    assert other["steps"]["total"] == 0 and other["most_supervised_units"] == []


async def test_report_roles_and_bad_parameters(rep_client, rep_pool):
    handler = await token(rep_pool, Role.HANDLER, unit_id=await rep_pool.fetchval(
        "SELECT id FROM units WHERE code = '320682-urban_mgmt'"))
    assert (await rep_client.get("/api/v1/reports/escalations", headers=handler)).status == 403
    assert (await rep_client.get("/api/v1/reports/escalations")).status == 401
    admin = await token(rep_pool, Role.ADMIN)
    resp = await rep_client.get("/api/v1/reports/escalations", headers=admin, params={"from": "yesterday"})
    assert resp.status == 422 and (await resp.json())["details"]
    resp = await rep_client.get("/api/v1/reports/escalations/stream", headers=handler)
    assert resp.status == 403


async def _read_events(resp, want: int, timeout: float = 10.0) -> tuple[list[dict], int]:
    """Read SSE frames until `want` escalation events arrived; returns (events, heartbeats)."""
    events, beats, buf = [], 0, ""

    async def pump():
        nonlocal buf, beats
        while len(events) < want:
            chunk = await resp.content.readany()
            if not chunk:
                return
            buf += chunk.decode()
            while "\n\n" in buf:
                frame, buf = buf.split("\n\n", 1)
                if frame.startswith(": heartbeat"):
                    beats += 1
                data = [ln[6:] for ln in frame.splitlines() if ln.startswith("data: ")]
                if "event: escalation" in frame and data:
                    events.append(json.loads(data[0]))

    await asyncio.wait_for(pump(), timeout)
    return events, beats


async def test_stream_delivers_new_escalations_in_scope_with_heartbeats(rep_client, rep_pool, servers):
    nantong = await token(rep_pool, Role.SUPERVISOR, area_code="320600")
    outside = await new_ticket(rep_pool, at(2026, 3, 2, 9), **NANJING)
    inside = await new_ticket(rep_pool, at(2026, 3, 2, 9), **RUGAO)
    resp = await rep_client.get("/api/v1/reports/escalations/stream", headers=nantong)
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/event-stream")
    first = await asyncio.wait_for(resp.content.readuntil(b"\n\n"), 5)
    assert b"connected" in first

    redis = aioredis.from_url(servers.redis_url, decode_responses=True)
    try:
        await asyncio.sleep(0.4)                    # at least one heartbeat interval
        await sweep(rep_pool, at(2026, 3, 10, 1), notifier=Notifier(redis))   # Nanjing first, then 如皋
    finally:
        await redis.aclose()
    events, beats = await _read_events(resp, 1)
    assert [(e["ticket_id"], e["step"], e["by_tier"]) for e in events] == [(str(inside), "chase", "county")]
    assert events[0]["city_code"] == "320600" and "催办" in events[0]["reason"]
    assert str(outside) not in {e["ticket_id"] for e in events}
    assert beats >= 1
    resp.close()                                    # client goes away: the handler ends on its own


async def test_stream_ends_when_the_app_shuts_down(rep_url, rep_pool, settings):
    s = settings.model_copy(update={"database_url": rep_url, "scheduler_enabled": False})
    app = create_app(s)
    client = TestClient(TestServer(app))
    await client.start_server()
    agent = await token(rep_pool, Role.AGENT)
    resp = await client.get("/api/v1/reports/escalations/stream", headers=agent)
    await asyncio.wait_for(resp.content.readuntil(b"\n\n"), 5)
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    await asyncio.wait_for(client.server.close(), 15)   # server first, the client still connected
    assert loop.time() - t0 < 5                          # the stream ended; no wait for a shutdown timeout
    await client.close()
