"""Mediation deadlines past the holiday package's official data (#14), over HTTP on real PostgreSQL.

The app's clock is set late in December of the last officially covered year: a case assigned then
has its mediation deadline in the next year, computed from the provisional calendar (statutory
holidays and weekends), marked `deadline_provisional` like a ticket's, and recomputed when the
operator transcribes the State Council's notice (the sweep's calendar sync).
"""
from __future__ import annotations

from datetime import datetime

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
pytestmark = pytest.mark.skipif(cal.EXTRA != {}, reason="an operator calendar file is configured")
DISPUTE = {"source": "walk_in", "summary": "如城街道海阳社区两户邻居因楼上卫生间漏水多次协商未果，需要调解",
           "address": "江苏省如皋市如城街道海阳社区3幢", "area_code": "320682", "dispute_type": "neighbour",
           "parties": [{"role": "applicant", "name": "陈女士", "phone": "13912345670"}]}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(YEAR, 12, 21, 10, tzinfo=cal.TZ)   # a Monday, late in the last official year

    def __call__(self) -> datetime:
        return self.now


CLOCK = Clock()


def end_of(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 23, 59, 59, tzinfo=cal.TZ)


@pytest.fixture(scope="module")
async def env(settings, own_database):
    pool = await db.create_pool(own_database, min_size=1, max_size=4)
    app = create_app(settings.model_copy(update={"database_url": own_database}))
    app[keys.CLOCK] = CLOCK
    async with TestClient(TestServer(app)) as c:
        yield c, pool
    await pool.close()


async def token(pool, role: Role, **kw) -> dict:
    async with pool.acquire() as conn:
        _, secret = await create_token(conn, role, **kw)
    return {"Authorization": f"Bearer {secret}"}


async def call(client, method: str, path: str, headers: dict, body: dict | None = None, status: int = 200):
    resp = await client.request(method, f"/api/v1{path}", json=body, headers=headers)
    data = await resp.json()
    assert resp.status == status, (path, data)
    return data


@pytest.mark.skipif(YEAR != 2026, reason="the expected dates are worked out for 2026-12 → 2027-01")
async def test_case_assigned_late_in_december_gets_a_provisional_deadline_recomputed_later(env, monkeypatch,
                                                                                             tmp_path):
    c, pool = env
    agent = await token(pool, Role.AGENT)
    supervisor = await token(pool, Role.SUPERVISOR, area_code="320682")
    case = await call(c, "POST", "/disputes/cases", agent, DISPUTE, status=201)
    await call(c, "POST", f"/disputes/cases/{case['id']}/accept", agent, {})
    assigned = (await call(c, "POST", f"/disputes/cases/{case['id']}/assign", agent, {}))["case"]
    # 20 working days from Mon 2026-12-21 (次日起算): 8 in December, 元旦 off, then 5+5+2 in January.
    assert datetime.fromisoformat(assigned["due_at"]) == end_of(2027, 1, 19), assigned
    assert assigned["deadline_provisional"] is True and assigned["clock_error"] is None
    detail = await call(c, "GET", f"/disputes/cases/{case['id']}", supervisor)
    assert detail["deadline_provisional"] is True and detail["due_at"] == assigned["due_at"]
    listed = await call(c, "GET", "/disputes/cases?area=320682", supervisor)
    assert [i["deadline_provisional"] for i in listed["items"] if i["id"] == case["id"]] == [True]

    # The notice arrives; the operator transcribes it (a made-up extra day off on 2027-01-04).
    notice = tmp_path / "calendar_extra.csv"
    notice.write_text("date,kind,name\n2027-01-01,holiday,元旦\n2027-01-04,holiday,测试假日\n", encoding="utf-8")
    monkeypatch.setenv("HOTLINE_CALENDAR_EXTRA", str(notice))
    try:
        await sweep(pool, CLOCK.now)
        detail = await call(c, "GET", f"/disputes/cases/{case['id']}", supervisor)
        assert datetime.fromisoformat(detail["due_at"]) == end_of(2027, 1, 20), detail["due_at"]
        assert detail["deadline_provisional"] is False
        nxt = await pool.fetchval("SELECT next_escalation_at FROM dispute_cases WHERE id = $1", case["id"])
        assert nxt is not None and not cal.is_provisional(nxt)
    finally:
        monkeypatch.delenv("HOTLINE_CALENDAR_EXTRA")
        cal.reload_extra()
        ticket_clock.clear_cache()
