"""The dashboard's map (一图全览, #16) in a real headless Chromium: county polygons coloured by the tickets in
them, read back from a screenshot, and a click on a county filtering the lists.

Runs on a database of its own (fresh, seeded), so the counts per county are exactly the tickets made here.
Needs Debian's chromium and the `playwright` package, as tests/browser/test_dashboard.py.
"""
from __future__ import annotations

import io
import os
import shutil
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from aiohttp.test_utils import TestClient, TestServer

from hotline import db
from hotline.app import create_app
from hotline.hotspots.detect import detect
from models.enums import Role

CHROMIUM = os.environ.get("HOTLINE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]

async_api = pytest.importorskip("playwright.async_api", reason="pip install playwright (the Python package only)")
Image = pytest.importorskip("PIL.Image", reason="pip install pillow (reads the screenshot)")
if not os.path.exists(CHROMIUM):
    pytest.skip(f"chromium not installed at {CHROMIUM} (apt-get install -y chromium)", allow_module_level=True)

QIDONG, RUDONG, HAIAN, HAIMEN, RUGAO, NANTONG = "320681", "320623", "320685", "320614", "320682", "320600"
# Calls already answered (closed: they add nothing to the open counts) for the hotspot detector's history.
SEED = """
INSERT INTO tickets (ticket_no, channel, requester_type, title, content, area_code, province_code, city_code,
                     county_code, category_code, status, created_at)
SELECT 'M' || lpad(nextval('ticket_no_seq')::text, 12, '0'), 'phone', 'citizen', '来电', '路灯不亮', $1, '320000',
       '320600', $1, $3, 'closed', t
FROM unnest($2::timestamptz[]) AS t
"""


@pytest.fixture(scope="module")
async def world(own_database, settings):
    """The app on a fresh database, tokens, and tickets: 启东市 4 open (2 overdue), 如东县 2 open, 海安市 none;
    a hotspot in 海门区 (closed calls: history and a spike)."""
    from tests.conftest import Tokens

    pool = await db.create_pool(own_database, min_size=1, max_size=4)
    app_settings = settings.model_copy(update={"database_url": own_database})
    client = TestClient(TestServer(create_app(app_settings), host="127.0.0.1"))
    await client.start_server()
    try:
        tokens = Tokens(pool)
        agent = await tokens.make(Role.AGENT)
        supervisor = (await tokens.make(Role.SUPERVISOR, area_code=NANTONG))["Authorization"].split()[1]
        # a hotspot in 海门区: street lights, about one call in two days for four weeks, then 8 in half a day
        # (seeded first, so the latest-tickets list shows the tickets made below)
        now = datetime.now(timezone.utc)
        window = now - timedelta(hours=24)
        await pool.execute(SEED, HAIMEN, [window - timedelta(days=28) * (i + 0.5) / 14 for i in range(14)],
                           "urban.municipal")
        await pool.execute(SEED, HAIMEN, [now - timedelta(hours=12) * (i + 0.5) / 8 for i in range(8)],
                           "urban.municipal")
        # a call surge in 如皋市: 12 calls (no category yet: not a hotspot) in the last 50 minutes, none before
        await pool.execute(SEED, RUGAO, [now - timedelta(minutes=50) * (i + 0.5) / 12 for i in range(12)], None)
        made: dict[str, list[dict]] = {QIDONG: [], RUDONG: []}
        for county, n in ((QIDONG, 4), (RUDONG, 2)):   # 4: below the hotspot minimum (5)
            for i in range(n):
                body = {"channel": "phone", "requester": {"name": "钱先生", "phone": "13500000000"},
                        "content": f"路边烧烤摊占道经营，油烟很大，第{i + 1}次反映", "area_code": county}
                resp = await client.post("/api/v1/tickets", json=body, headers=agent)
                t = await resp.json()
                assert resp.status == 201, t
                resp = await client.post(f"/api/v1/tickets/{t['id']}/dispatch", headers=agent,
                                         json={"category": "城市管理/占道经营", "unit_code": f"{county}-urban_mgmt"})
                assert resp.status == 200, await resp.text()
                made[county].append(t)
        past = datetime.now(timezone.utc) - timedelta(days=10)
        for t in made[QIDONG][:2]:   # long past both deadlines: overdue
            await pool.execute("UPDATE tickets SET sign_by = $2::timestamptz, reply_by = $2::timestamptz + interval '3 days' WHERE id = $1",
                               t["id"], past)
        found = await detect(pool, app_settings, datetime.now(timezone.utc))
        assert found.ran and found.hotspots == 1 and found.surges == 1, found
        yield {"client": client, "pool": pool, "supervisor": supervisor, "made": made, "agent": agent}
    finally:
        await client.close()
        await pool.close()


@pytest.fixture
async def page():
    async with async_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            pg = await browser.new_page(locale="zh-CN", viewport={"width": 1400, "height": 1000})
            errors: list[str] = []
            pg.on("pageerror", lambda exc: errors.append(str(exc)))
            # a 404 for /reports/hotspots is expected on a service without that report: the layer stays off
            pg.on("console", lambda msg: errors.append(msg.text)
                  if msg.type == "error" and "status of 404" not in msg.text else None)
            pg.errors = errors
            yield pg
        finally:
            await browser.close()


def fill_colour(png: bytes, x: float, y: float, half: int = 7) -> tuple[int, int, int]:
    """The most common colour in a small square around (x, y): the polygon's fill, not a label's strokes."""
    img = Image.open(io.BytesIO(png)).convert("RGB")
    pixels = [img.getpixel((int(x) + dx, int(y) + dy)) for dx in range(-half, half + 1) for dy in range(-half, half + 1)]
    return Counter(pixels).most_common(1)[0][0]


def darkness(rgb: tuple[int, int, int]) -> int:
    return 765 - sum(rgb)


def share_of(png: bytes, x: float, y: float, rgb: tuple[int, int, int], half: int = 7, tol: int = 40) -> float:
    """The share of pixels near (x, y) within `tol` of a colour."""
    img = Image.open(io.BytesIO(png)).convert("RGB")
    near = [img.getpixel((int(x) + dx, int(y) + dy)) for dx in range(-half, half + 1) for dy in range(-half, half + 1)]
    return sum(all(abs(a - b) <= tol for a, b in zip(p, rgb)) for p in near) / len(near)


async def county_colours(page) -> dict[str, tuple[int, int, int]]:
    png = await page.locator("#map").screenshot()
    out = {}
    for code in (QIDONG, RUDONG, HAIAN):
        x, y = await page.evaluate("(c) => HotlineMap.pixelOf(c)", code)
        out[code] = fill_colour(png, x, y)
    return out


async def test_the_map_colours_counties_by_count_and_a_click_filters_the_lists(world, page):
    client, made = world["client"], world["made"]
    data = await (await client.get("/api/v1/reports/map",
                                   headers={"Authorization": f"Bearer {world['supervisor']}"})).json()
    counts = {c["code"]: (c["open"], c["overdue"]) for c in data["counties"]}
    assert data["area"]["code"] == NANTONG and len(counts) == 7, data
    assert counts[QIDONG] == (4, 2) and counts[RUDONG] == (2, 0) and counts[HAIAN] == (0, 0), counts

    await page.goto(str(client.make_url("/dashboard?poll=60")))
    await page.fill("#token", world["supervisor"])
    await page.click("#save-token")
    await page.locator("#county-table tbody tr").nth(6).wait_for(timeout=20000)
    await page.wait_for_function("() => document.querySelector('#map').dataset.rendered", timeout=20000)
    assert await page.locator("#map canvas").count() >= 1   # drawn by ECharts, not hand-made SVG

    # 在办 layer: 4 > 2 > 0 tickets, darker to lighter
    colours = await county_colours(page)
    assert darkness(colours[QIDONG]) > darkness(colours[RUDONG]) > darkness(colours[HAIAN]), colours
    assert colours[HAIAN] == (0xEE, 0xF3, 0xF8), colours    # the scale's zero colour
    if os.environ.get("HOTLINE_SCREENSHOTS"):
        await page.screenshot(path=os.path.join(os.environ["HOTLINE_SCREENSHOTS"], "map.png"), full_page=True)

    # the hotspot layer: a purple marker on 海门区 (whose own fill is the zero colour), its category in the table
    await page.wait_for_function("() => document.querySelector('#map').dataset.hotspots === '1'", timeout=15000)
    png = await page.locator("#map").screenshot()
    x, y = await page.evaluate("(c) => HotlineMap.pixelOf(c)", HAIMEN)
    assert share_of(png, x, y, (0x7B, 0x2C, 0xBF)) > 0.3
    x, y = await page.evaluate("(c) => HotlineMap.pixelOf(c)", HAIAN)
    assert share_of(png, x, y, (0x7B, 0x2C, 0xBF)) == 0
    assert "城市管理" in await page.locator("#county-table tbody tr", has_text="海门区").inner_text()
    assert "热点：1 个区县" in await page.inner_text("#hotspot-note")

    # the surge: the dashboard says so
    assert (await page.inner_text("#surge-banner")).startswith("话务激增：如皋市 近 1 小时 12 件")

    # 超期 layer: only 启东市 has overdue tickets
    await page.click(".layers button[data-layer='overdue']")
    await page.wait_for_function("() => document.querySelector('#map').dataset.layer === 'overdue'")
    colours = await county_colours(page)
    assert darkness(colours[QIDONG]) > darkness(colours[RUDONG]) == darkness(colours[HAIAN]), colours

    # a click on 启东市 filters the lists to it
    box = await page.locator("#map").bounding_box()
    x, y = await page.evaluate("(c) => HotlineMap.pixelOf(c)", QIDONG)
    await page.mouse.click(box["x"] + x, box["y"] + y)
    await page.locator("#area-chip").wait_for(state="visible", timeout=10000)
    assert await page.inner_text("#area-name") == "启东市"
    qidong = [t["ticket_no"] for t in made[QIDONG]]
    rudong = [t["ticket_no"] for t in made[RUDONG]]
    await page.wait_for_function(
        "([yes, no]) => { const t = document.querySelector('#tickets tbody').textContent;"
        " return yes.every((n) => t.includes(n)) && !no.some((n) => t.includes(n)); }", arg=[qidong, rudong],
        timeout=15000)
    await page.wait_for_function(   # the overdue worklist: 启东's two overdue tickets
        "(yes) => { const t = document.querySelector('#attention tbody').textContent;"
        " return yes.every((n) => t.includes(n)); }", arg=qidong[:2], timeout=15000)
    assert await page.locator("#county-table tbody tr.selected").inner_text() == "启东市\t4\t2\t—"

    # the table's row for 如东县 selects it instead; 全部地区 clears the filter
    await page.locator("#county-table tbody tr", has_text="如东县").click()
    await page.wait_for_function(
        "([yes, no]) => { const t = document.querySelector('#tickets tbody').textContent;"
        " return yes.every((n) => t.includes(n)) && !no.some((n) => t.includes(n)); }", arg=[rudong, qidong],
        timeout=15000)
    assert await page.inner_text("#area-name") == "如东县"
    assert await page.evaluate("HotlineMap.selected") == RUDONG
    await page.click("#area-clear")
    await page.wait_for_function(
        "(all) => { const t = document.querySelector('#tickets tbody').textContent;"
        " return all.every((n) => t.includes(n)); }", arg=qidong + rudong, timeout=15000)
    assert await page.locator("#area-chip").is_hidden()
    assert page.errors == []
