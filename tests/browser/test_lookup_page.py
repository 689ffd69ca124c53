"""The requester's status lookup page (#17) in a real headless Chromium: fill the form, read the status.

Needs Debian's chromium and the `playwright` Python package, as tests/browser/test_dashboard.py."""
from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("HOTLINE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]

async_api = pytest.importorskip("playwright.async_api", reason="pip install playwright (the Python package only)")
if not os.path.exists(CHROMIUM):
    pytest.skip(f"chromium not installed at {CHROMIUM} (apt-get install -y chromium)", allow_module_level=True)


async def test_requester_looks_up_status_in_a_browser(client, agent):
    body = {"channel": "phone", "area_code": "320682", "requester": {"name": "赵女士", "phone": "13700001234"},
            "content": "小区门口路灯坏了两个星期，晚上走路很危险。"}
    t = await (await client.post("/api/v1/tickets", json=body, headers=agent)).json()
    async with async_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = await browser.new_page(locale="zh-CN")
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(str(client.make_url(f"/lookup?no={t['ticket_no']}")))
            assert await page.input_value("input[name=ticket_no]") == t["ticket_no"]
            await page.fill("input[name=code]", "ZZZZZZ" if t["lookup_code"] != "ZZZZZZ" else "YYYYYY")
            await page.click("button[type=submit]")
            assert "工单号或查询码不正确" in await page.inner_text("body")
            await page.fill("input[name=code]", t["lookup_code"].lower())
            await page.click("button[type=submit]")
            text = await page.inner_text("body")
            assert "已受理，正在分派" in text and t["ticket_no"] in text
            assert "赵女士" not in text and "13700001234" not in text
            assert not errors
        finally:
            await browser.close()
