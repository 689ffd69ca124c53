"""Deadlines past the official holiday data (issue 20, item 2), over real HTTP and PostgreSQL.

The app's clock is set to mid-December of the last officially covered year: deadlines that cross
the year end come from the provisional calendar, are marked so, and become official (recomputed)
when the operator file brings the next year's notice.
"""
from __future__ import annotations

from datetime import date, datetime

import pytest
from aiohttp.test_utils import TestClient, TestServer

from hotline import db, keys
from hotline.app import create_app
from hotline.auth import create_token
from hotline.escalation.sweep import sweep
from models.enums import Role
from routing import calendar as cal
from routing import clock as ticket_clock

YEAR = cal.LAST_DAY.year
RUGAO = "320682"
pytestmark = pytest.mark.skipif(cal.EXTRA != {}, reason="an operator calendar file is configured")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(YEAR, 12, 15, 10, tzinfo=cal.TZ)

    def __call__(self) -> datetime:
        return self.now


CLOCK = Clock()


def when(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def end_of(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 23, 59, 59, tzinfo=cal.TZ)


@pytest.fixture(scope="module")
async def pool(own_database):
    p = await db.create_pool(own_database, min_size=1, max_size=4)
    yield p
    await p.close()


@pytest.fixture(scope="module")
async def app_client(settings, own_database):
    app = create_app(settings.model_copy(update={"database_url": own_database}))
    app[keys.CLOCK] = CLOCK
    async with TestClient(TestServer(app)) as c:
        yield c


async def token(pool, role: Role, **kw) -> dict:
    async with pool.acquire() as conn:
        _, secret = await create_token(conn, role, **kw)
    return {"Authorization": f"Bearer {secret}"}


async def call(client, method: str, path: str, headers: dict, body: dict | None = None, status: int = 200):
    resp = await client.request(method, f"/api/v1{path}", json=body, headers=headers)
    data = await resp.json()
    assert resp.status == status, (path, data)
    return data


async def dispatched(client, pool, agent: dict) -> tuple[int, dict]:
    body = {"channel": "phone", "content": "小区楼下烧烤摊每天晚上占道经营到凌晨，油烟很大", "area_code": RUGAO}
    tid = (await call(client, "POST", "/tickets", agent, body, status=201))["id"]
    out = await call(client, "POST", f"/tickets/{tid}/dispatch", agent, {"category": "城市管理/占道经营"})
    handler = await token(pool, Role.HANDLER, unit_id=out["unit"]["id"])
    return tid, handler


async def test_extension_across_the_year_end_is_provisional_then_official(app_client, pool, monkeypatch,
                                                                           tmp_path):
    c = app_client
    agent = await token(pool, Role.AGENT)
    supervisor = await token(pool, Role.SUPERVISOR, area_code="320600")
    CLOCK.now = datetime(YEAR, 12, 15, 10, tzinfo=cal.TZ)
    tid, handler = await dispatched(c, pool, agent)
    ticket = await call(c, "GET", f"/tickets/{tid}", agent)
    assert when(ticket["reply_by"]) == end_of(YEAR, 12, 22) and ticket["deadline_provisional"] is False

    await call(c, "POST", f"/tickets/{tid}/sign", handler)
    await call(c, "POST", f"/tickets/{tid}/start", handler)
    eid = (await call(c, "POST", f"/tickets/{tid}/extensions", handler, {"days": 10, "reason": "需多部门联合执法"},
                      status=201))["data"]["extension_id"]
    decided = await call(c, "POST", f"/tickets/{tid}/extensions/{eid}/decision", supervisor, {"approve": True})
    # Ten working days after Dec 22, across 元旦 and two weekends: provisional, not silently unchanged.
    assert when(decided["reply_by"]) == end_of(YEAR + 1, 1, 6), decided
    assert decided["deadline_provisional"] is True and decided["data"]["extension_days"] == 10
    ticket = await call(c, "GET", f"/tickets/{tid}", agent)
    assert ticket["deadline_provisional"] is True and when(ticket["reply_by"]) == end_of(YEAR + 1, 1, 6)
    inbox = await call(c, "GET", "/inbox", handler)
    assert [t["deadline_provisional"] for t in inbox["in_progress"] if t["id"] == tid] == [True]

    # The State Council's notice arrives; the operator transcribes it (a made-up extra day off on Jan 4).
    notice = tmp_path / "calendar_extra.csv"
    notice.write_text(f"date,kind,name\n{YEAR + 1}-01-01,holiday,元旦\n{YEAR + 1}-01-04,holiday,测试假日\n",
                      encoding="utf-8")
    monkeypatch.setenv("HOTLINE_CALENDAR_EXTRA", str(notice))
    try:
        await sweep(pool, CLOCK.now)
        ticket = await call(c, "GET", f"/tickets/{tid}", agent)
        assert when(ticket["reply_by"]) == end_of(YEAR + 1, 1, 7), ticket["reply_by"]
        assert ticket["deadline_provisional"] is False
        assert await pool.fetchval("SELECT official_until FROM calendar_state") == cal.LAST_DAY
    finally:
        monkeypatch.delenv("HOTLINE_CALENDAR_EXTRA")
        cal.reload_extra()
        ticket_clock.clear_cache()


async def test_deadline_beyond_any_calendar_is_refused_with_an_error(app_client, pool):
    c = app_client
    agent = await token(pool, Role.AGENT)
    CLOCK.now = datetime(cal.PROVISIONAL_LAST_DAY.year, 12, 28, 10, tzinfo=cal.TZ)
    try:
        body = {"channel": "phone", "content": "小区楼下烧烤摊每天晚上占道经营到凌晨，油烟很大", "area_code": RUGAO}
        tid = (await call(c, "POST", "/tickets", agent, body, status=201))["id"]
        err = await call(c, "POST", f"/tickets/{tid}/dispatch", agent, {"category": "城市管理/占道经营"}, status=422)
        assert err["message"] == "无法计算办理时限，操作未执行"
        assert err["details"][0]["field"] == "calendar" and "暂定日历" in err["details"][0]["message"]
        ticket = await call(c, "GET", f"/tickets/{tid}", agent)
        assert ticket["status"] == "triage" and ticket["unit"] is None       # nothing half done
    finally:
        CLOCK.now = datetime(YEAR, 12, 15, 10, tzinfo=cal.TZ)


async def test_start_up_after_a_package_upgrade_recomputes_provisional_deadlines(settings, own_database, pool,
                                                                                 app_client):
    """As if the running version had only official data to the year before: its deadlines in this year
    were provisional. A new start with the newer calendar package recomputes them."""
    c = app_client
    agent = await token(pool, Role.AGENT)
    CLOCK.now = datetime(YEAR, 3, 2, 10, tzinfo=cal.TZ)
    try:
        tid, _ = await dispatched(c, pool, agent)
    finally:
        CLOCK.now = datetime(YEAR, 12, 15, 10, tzinfo=cal.TZ)
    right = await pool.fetchrow("SELECT sign_by, reply_by, next_escalation_at FROM tickets WHERE id = $1", tid)
    await pool.execute("UPDATE tickets SET reply_by = reply_by + interval '2 days', "
                       "next_escalation_at = next_escalation_at + interval '2 days' WHERE id = $1", tid)
    await pool.execute("UPDATE calendar_state SET official_until = $1", date(YEAR - 1, 12, 31))

    app = create_app(settings.model_copy(update={"database_url": own_database}))
    async with TestClient(TestServer(app)):
        pass
    after = await pool.fetchrow("SELECT sign_by, reply_by, next_escalation_at FROM tickets WHERE id = $1", tid)
    assert dict(after) == dict(right)
    assert await pool.fetchval("SELECT official_until FROM calendar_state") == cal.LAST_DAY


async def test_intake_beyond_any_calendar_goes_to_a_person_not_dispatched_without_deadlines(settings,
                                                                                            own_database, pool):
    from hotline.settings import Settings

    agent = await token(pool, Role.AGENT)
    app = create_app(settings.model_copy(update={"database_url": own_database,
                                                 "triage_threshold": Settings().triage_threshold}))
    app[keys.CLOCK] = lambda: datetime(cal.PROVISIONAL_LAST_DAY.year, 12, 28, 10, tzinfo=cal.TZ)
    body = {"channel": "phone", "area_code": RUGAO,
            "content": "我家楼下菜市场门口每天早上流动摊贩占道经营，把整条路都堵了，希望城管来管一管。"}
    async with TestClient(TestServer(app)) as c:
        t = await call(c, "POST", "/tickets", agent, body, status=201)
    assert t["status"] == "triage" and "办理时限无法计算" in t["triage_reason"]
    assert t["unit"] is None and t["reply_by"] is None


async def test_recompute_runs_in_batches_and_only_once(app_client, pool, monkeypatch, tmp_path):
    from hotline.escalation import calendar_sync

    c = app_client
    agent = await token(pool, Role.AGENT)
    CLOCK.now = datetime(YEAR, 12, 28, 10, tzinfo=cal.TZ)
    tids = [(await dispatched(c, pool, agent))[0] for _ in range(3)]
    for tid in tids:
        assert (await call(c, "GET", f"/tickets/{tid}", agent))["deadline_provisional"] is True
    notice = tmp_path / "calendar_extra.csv"
    notice.write_text(f"date,kind,name\n{YEAR + 1}-01-01,holiday,元旦\n", encoding="utf-8")
    monkeypatch.setenv("HOTLINE_CALENDAR_EXTRA", str(notice))
    try:
        assert await calendar_sync.sync(pool, batch=1) >= 3
        assert await calendar_sync.sync(pool, batch=1) == 0          # recorded: nothing more to do
        for tid in tids:
            assert (await call(c, "GET", f"/tickets/{tid}", agent))["deadline_provisional"] is False
    finally:
        monkeypatch.delenv("HOTLINE_CALENDAR_EXTRA")
        cal.reload_extra()
        ticket_clock.clear_cache()
        CLOCK.now = datetime(YEAR, 12, 15, 10, tzinfo=cal.TZ)
