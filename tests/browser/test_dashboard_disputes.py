"""The dashboard's disputes panel (#14) in a real headless Chromium, on a database of its own.

Three 110 joint hand-offs become cases (the real intake: accepted and assigned at once), the real ladder
(hotline.disputes.scheduled.sweep_cases) lists the two ignored ones (挂牌督办), and the service's injected
clock moves past the third's time limit: the panel shows the open cases by risk level, the high-risk case
first, the listed cases with their 包案 leader and the overdue mediation; choosing a county filters it.
"""
from __future__ import annotations

import os
import shutil
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient, TestServer

from hotline import keys
from hotline.app import create_app
from hotline.db import create_pool
from hotline.disputes.scheduled import sweep_cases
from models.enums import Role
from routing.calendar import add_working_days

CHROMIUM = os.environ.get("HOTLINE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]

async_api = pytest.importorskip("playwright.async_api", reason="pip install playwright (the Python package only)")
if not os.path.exists(CHROMIUM):
    pytest.skip(f"chromium not installed at {CHROMIUM} (apt-get install -y chromium)", allow_module_level=True)

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 6, 1, 9, 0, tzinfo=TZ)   # a Monday the holiday calendar covers
RUGAO, QIDONG = "320682", "320681"
THREAT = "两户邻居因宅基地边界争执多年，今晚一方酒后拿着菜刀扬言要砍死对方全家，民警到场后暂时控制，需属地调解"
QUIET = "楼上住户卫生间漏水，楼下住户多次协商未果，双方发生口角，民警到场后情绪平稳，需属地调解"
NOISE = "邻居家装修噪音从早到晚，协商未果发生争吵，民警到场劝解后双方情绪平稳，需属地调解"


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


async def _ok(resp, status=200):
    body = await resp.json()
    assert resp.status == status, body
    return body


@pytest.fixture(scope="module")
async def world(own_database, settings):
    app = create_app(settings.model_copy(update={"database_url": own_database}))
    clock = Clock()
    app[keys.CLOCK] = clock
    pool = await create_pool(own_database, min_size=1, max_size=4)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        from tests.conftest import Tokens

        tokens = Tokens(pool)
        linkage, agent = await tokens.make(Role.LINKAGE), await tokens.make(Role.AGENT)

        async def handoff(no: str, content: str, area: str, phone: str) -> dict:
            body = {"incident_no": no, "content": content, "area_code": area, "mediation": True,
                    "requester": {"name": "周先生", "phone": phone}}   # other parties: separate cases
            ticket = await _ok(await client.post("/api/v1/linkage/110/handoffs", json=body, headers=linkage), 201)
            page = await _ok(await client.get("/api/v1/disputes/cases", headers=agent, params={"area": area}))
            case = page["items"][0]   # the newest case of the area: this one
            return await _ok(await client.get(f"/api/v1/disputes/cases/{case['id']}", headers=agent)) | {"ticket": ticket}

        threat = await handoff("JQ-BOARD-1", THREAT, RUGAO, "13912340091")
        quiet = await handoff("JQ-BOARD-2", QUIET, RUGAO, "13912340092")
        clock.now = START + timedelta(days=14)   # the third comes two weeks later: its clock is behind
        noise = await handoff("JQ-BOARD-3", NOISE, QIDONG, "13912340093")
        # nobody mediates the first two: warn, chase, then 挂牌督办 at the next tier (the real ladder)
        listed_at = add_working_days(datetime.fromisoformat(quiet["due_at"]), 2) + timedelta(hours=1)
        result = await sweep_cases(pool, listed_at)
        assert result.steps.get("list") == 2, result.steps
        # then time passes the third's limit (before it would be listed): it is an overdue mediation
        clock.now = datetime.fromisoformat(noise["due_at"]) + timedelta(hours=2)
        supervisor = (await tokens.make(Role.SUPERVISOR, area_code="320600"))["Authorization"].split()[1]
        yield {"client": client, "pool": pool, "supervisor": supervisor, "cases": (threat, quiet, noise),
               "tokens": tokens}
    finally:
        await client.close()
        await pool.close()


async def test_the_board_answers_by_risk_listed_and_overdue(world):
    client = world["client"]
    threat, quiet, noise = world["cases"]
    assert threat["risk"] in ("high", "major") and quiet["risk"] == noise["risk"] == "low", \
        (threat["risk"], quiet["risk"], noise["risk"])
    sup = {"Authorization": f"Bearer {world['supervisor']}"}
    board = await _ok(await client.get("/api/v1/reports/disputes/board", headers=sup))
    by_risk = {r["risk"]: r for r in board["by_risk"]}
    assert [r["risk"] for r in board["by_risk"]] == ["major", "high", "medium", "low"]
    assert by_risk[threat["risk"]]["open"] == 1 and by_risk[threat["risk"]]["listed"] == 1
    assert by_risk["low"] == {"risk": "low", "label": "低", "open": 2, "listed": 1, "overdue": 1}
    assert board["totals"] == {"open": 3, "listed": 2, "overdue": 1, "high_risk": 1}
    assert [c["case_no"] for c in board["high_risk"]] == [threat["case_no"]]
    assert [c["case_no"] for c in board["listed"]] == [threat["case_no"], quiet["case_no"]]   # higher risk first
    assert all(c["listed_leader"] for c in board["listed"])
    [late] = board["overdue"]
    assert late["case_no"] == noise["case_no"] and late["overdue"] and 0 < late["days_overdue"] < 1
    # one county: 启东市 has only the overdue case
    one = await _ok(await client.get("/api/v1/reports/disputes/board", headers=sup, params={"area": QIDONG}))
    assert one["totals"] == {"open": 1, "listed": 0, "overdue": 1, "high_risk": 0}
    # outside the supervisor's area: 403; a handler may not read the board
    nanjing = await world["tokens"].make(Role.SUPERVISOR, area_code="320100")
    resp = await client.get("/api/v1/reports/disputes/board", headers=nanjing, params={"area": QIDONG})
    assert resp.status == 403 and (await resp.json())["details"][0]["field"] == "area"
    empty = await _ok(await client.get("/api/v1/reports/disputes/board", headers=nanjing))
    assert empty["totals"]["open"] == 0


async def test_the_disputes_panel_in_chromium(world):
    client = world["client"]
    threat, quiet, noise = world["cases"]
    async with async_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = await browser.new_page(locale="zh-CN", viewport={"width": 1400, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(str(client.make_url("/dashboard?poll=60")))
            await page.fill("#token", world["supervisor"])
            await page.click("#save-token")
            panel = page.locator("#disputes-panel")
            await panel.wait_for(state="visible", timeout=20000)
            await page.locator("#cases-overdue tbody tr").first.wait_for(timeout=20000)
            tiles = {await t.get_attribute("data-risk"): await t.inner_text() for t in
                     await page.locator("#risk-tiles .risk-tile").all()}
            assert list(tiles) == ["major", "high", "medium", "low"]
            assert tiles["low"].split("\n")[1] == "2" and "挂牌 1 · 超期 1" in tiles["low"], tiles
            assert tiles[threat["risk"]].split("\n")[1] == "1", tiles
            high = await page.inner_text("#cases-high tbody")
            assert threat["case_no"] in high and quiet["case_no"] not in high
            listed_rows = page.locator("#cases-listed tbody tr")
            assert await listed_rows.count() == 2
            assert threat["case_no"] in await listed_rows.nth(0).inner_text()   # the high-risk case first
            assert quiet["case_no"] in await listed_rows.nth(1).inner_text()
            overdue = await page.inner_text("#cases-overdue tbody")
            assert noise["case_no"] in overdue and "超期" in overdue
            assert "挂牌督办 2 件" in await page.inner_text("#disputes-summary")
            # choosing 启东市 (the map's table) narrows the panel to its overdue case
            await page.locator("#county-table tbody tr", has_text="启东市").click()
            await page.wait_for_function("() => document.querySelector('#disputes-summary').textContent.includes('在办 1 件')",
                                         timeout=15000)
            assert await page.locator("#cases-listed tbody tr").count() == 0
            assert await page.locator("#cases-listed ~ p.empty").is_visible()
            assert noise["case_no"] in await page.inner_text("#cases-overdue tbody")
            if os.environ.get("HOTLINE_SCREENSHOTS"):
                await page.click("#area-clear")
                await page.wait_for_function(
                    "() => document.querySelector('#disputes-summary').textContent.includes('在办 3 件')", timeout=15000)
                await panel.screenshot(path=os.path.join(os.environ["HOTLINE_SCREENSHOTS"], "disputes.png"))
            assert errors == []
        finally:
            await browser.close()
