"""The supervisors' dashboard in a real headless Chromium against the real app on a loopback port.

Needs Debian's chromium (`apt-get install -y chromium`) and the `playwright` Python
package; no browser is downloaded. Skipped, with the reason, when either is absent.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from hotline.app import create_app
from hotline.resources import open_redis
from models.enums import Role

CHROMIUM = os.environ.get("HOTLINE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]

async_api = pytest.importorskip("playwright.async_api", reason="pip install playwright (the Python package only)")
if not os.path.exists(CHROMIUM):
    pytest.skip(f"chromium not installed at {CHROMIUM} (apt-get install -y chromium)", allow_module_level=True)


async def _ok(resp, status=200):
    body = await resp.json()
    assert resp.status == status, body
    return body


async def new_unit(pool, label: str) -> tuple[int, str, str]:
    code = f"b-{uuid.uuid4().hex[:8]}"
    name = f"浏览器测试单位{label}{code[-4:]}"
    uid = await pool.fetchval("INSERT INTO units (code, name, unit_type, area_code, tier) "
                              "VALUES ($1, $2, 'test_dashboard', '320682', 'county') RETURNING id", code, name)
    return uid, code, name


async def file_and_dispatch(client, agent, unit_code: str, content: str) -> dict:
    body = {"channel": "phone", "requester": {"name": "吴先生", "phone": "13600000000"},
            "content": content, "area_code": "320682"}
    t = await _ok(await client.post("/api/v1/tickets", json=body, headers=agent), 201)
    await _ok(await client.post(f"/api/v1/tickets/{t['id']}/dispatch", headers=agent,
                                json={"category": "housing.property", "unit_code": unit_code}))
    return t


async def escalate(pool, settings, ticket_id: int) -> None:
    """Make the ticket long overdue and run the real escalation sweep on it alone."""
    past = datetime.now(timezone.utc) - timedelta(days=20)
    await pool.execute("UPDATE tickets SET dispatched_at = $2::timestamptz, sign_by = $2::timestamptz + interval '2 hours', "
                       "reply_by = $2::timestamptz + interval '5 days', next_escalation_at = '2000-01-01' WHERE id = $1",
                       ticket_id, past)
    try:
        from hotline.escalation.sweep import sweep
    except ImportError:  # the sweep is not there: record the step the way it would
        await pool.execute("INSERT INTO escalations (ticket_id, step, tier, by_tier, due_at) "
                           "VALUES ($1, 'supervise', 'county', 'city', now())", ticket_id)
        await pool.execute("UPDATE tickets SET escalation_count = escalation_count + 1 WHERE id = $1", ticket_id)
        return
    from hotline.notify import Notifier

    redis = open_redis(settings)
    try:
        result = await sweep(pool, datetime.now(timezone.utc), max_tickets=1, notifier=Notifier(redis))
    finally:
        await redis.aclose()
    assert result.total_steps >= 1, result
    assert await pool.fetchval("SELECT count(*) FROM escalations WHERE ticket_id = $1", ticket_id) >= 1


@pytest.fixture
async def live_client(settings):
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as c:
        yield c


@pytest.fixture
async def page():
    async with async_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            pg = await browser.new_page(locale="zh-CN")
            errors: list[str] = []
            pg.on("pageerror", lambda exc: errors.append(str(exc)))
            pg.errors = errors
            yield pg
        finally:
            await browser.close()


async def test_dashboard_shows_tickets_escalation_and_filters_by_unit(live_client, page, pool, tokens, agent,
                                                                       settings):
    client = live_client
    _, code_a, name_a = await new_unit(pool, "甲")
    _, code_b, name_b = await new_unit(pool, "乙")
    a = await file_and_dispatch(client, agent, code_a, "<b>楼道</b>消防通道被<img src=x>杂物堵塞 " + uuid.uuid4().hex[:6])
    b = await file_and_dispatch(client, agent, code_b, "小区路灯不亮已有两周 " + uuid.uuid4().hex[:6])
    supervisor = (await tokens.make(Role.SUPERVISOR, area_code="320600"))["Authorization"].split()[1]
    base = str(client.make_url("/dashboard"))

    resp = await client.get("/dashboard")
    assert resp.status == 200 and "script-src 'self'" in resp.headers["Content-Security-Policy"]

    await page.goto(base + "?poll=1")
    await page.fill("#token", supervisor)
    await page.click("#save-token")
    tickets = page.locator("#tickets tbody")
    await tickets.get_by_text(a["ticket_no"]).wait_for(timeout=15000)
    await tickets.get_by_text(b["ticket_no"]).wait_for(timeout=15000)
    assert await page.evaluate("sessionStorage.getItem('hotline.token')") == supervisor

    # data is text, never markup
    cell = page.locator("#tickets tbody tr", has_text=a["ticket_no"]).locator("td.title")
    assert "<b>楼道</b>" in await cell.text_content()
    assert await page.locator("#tickets tbody img, #tickets tbody b").count() == 0

    # the escalation report answers here, so its panel is shown
    await page.locator("#esc-panel").wait_for(state="visible", timeout=15000)
    attention = page.locator("#attention tbody")
    assert await attention.get_by_text(a["ticket_no"]).count() == 0

    # unit filter: only unit 甲's tickets
    await page.locator(f"#unit-filter option", has_text=name_a).wait_for(state="attached", timeout=15000)
    await page.select_option("#unit-filter", label=name_a)
    await page.wait_for_function(
        "([a, b]) => { const t = document.querySelector('#tickets tbody').textContent;"
        " return t.includes(a) && !t.includes(b); }", arg=[a["ticket_no"], b["ticket_no"]], timeout=15000)
    await page.wait_for_function(   # the rates by unit follow the same filter
        "([a, b]) => { const t = document.querySelector('#unit-table tbody').textContent;"
        " return t.includes(a) && !t.includes(b); }", arg=[name_a, name_b], timeout=15000)

    # it escalates: the page updates by itself (live feed or polling)
    await page.select_option("#unit-filter", value="")
    await escalate(pool, settings, a["id"])
    await page.wait_for_function(
        "(no) => [...document.querySelectorAll('#attention tbody tr')].some(tr => tr.textContent.includes(no)"
        " && /预警|催办|督办|提级/.test(tr.textContent))", arg=a["ticket_no"], timeout=20000)
    assert await attention.get_by_text(b["ticket_no"]).count() == 0

    # charts were drawn as inline SVG
    assert await page.locator("#unit-chart svg").count() == 1
    assert await page.locator("#trend-chart svg").count() == 1

    # CSV export button downloads a file
    async with page.expect_download() as info:
        await page.click("button.csv[data-csv='unit']")
    download = await info.value
    assert download.suggested_filename.endswith(".csv")

    assert page.errors == []


async def test_panels_stay_hidden_before_login_and_the_font_stack_is_cjk(live_client, page):
    await page.goto(str(live_client.make_url("/dashboard")))
    await page.locator("#token").wait_for(state="visible", timeout=15000)
    for hidden in ("#main", "#esc-panel", "#logout"):
        assert await page.locator(hidden).is_hidden(), f"{hidden} shows before login"
    family = await page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "Noto Sans CJK SC" in family and "Microsoft YaHei" in family
    assert page.errors == []


def test_the_font_stack_names_an_installed_cjk_font():
    """Without one every Chinese character renders as a box (the test command installs fonts-noto-cjk)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        pytest.skip("fontconfig's fc-list is not installed")
    css = (Path(__file__).resolve().parents[2] / "hotline" / "static" / "dashboard.css").read_text(encoding="utf-8")
    stack = re.findall(r'"([^"]+)"', re.search(r"body \{[^}]*?font:([^;]*);", css, re.S).group(1))
    installed = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True).stdout
    assert any(name in installed for name in stack), \
        f"no font of {stack} is installed (apt-get install fonts-noto-cjk); CJK fonts here: {installed[:300]!r}"
