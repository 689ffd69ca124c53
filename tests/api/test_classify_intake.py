"""The department classifier on the real intake path: confident → dispatched, unsure → triage."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone

from aiohttp.test_utils import TestClient, TestServer

from hotline import keys
from hotline.app import create_app
from hotline.settings import Settings

VENDING = {"channel": "phone", "area_code": "320682",
           "content": "我家楼下菜市场门口每天早上流动摊贩占道经营，把整条路都堵了，希望城管来管一管。"}


async def test_confident_prediction_is_stored_and_dispatched(settings, agent, pool):
    app = create_app(settings.model_copy(update={"triage_threshold": Settings().triage_threshold}))
    async with TestClient(TestServer(app)) as c:
        t = await (await c.post("/api/v1/tickets", json=VENDING, headers=agent)).json()
    assert t["status"] == "dispatched", t["triage_reason"]
    assert t["category"] == "城市管理/占道经营" and t["category_confidence"] >= 0.45
    assert t["model_version"] and t["unit"]["name"] == "如皋市城市管理局"
    event = await pool.fetchrow("SELECT data FROM ticket_events WHERE ticket_id = $1 AND action = 'receive'", t["id"])
    cls = event["data"]["classification"]
    assert cls["category"] == t["category"] and cls["model_version"] == t["model_version"]
    assert len(cls["alternatives"]) == 3


async def test_intake_reads_the_injected_clock(settings, agent, pool):
    """One now for the whole service: a ticket dispatched at intake starts its clock at the app's time."""
    app = create_app(settings.model_copy(update={"triage_threshold": Settings().triage_threshold}))
    moved = datetime.now(timezone.utc) + timedelta(days=3)
    app[keys.CLOCK] = lambda: moved
    async with TestClient(TestServer(app)) as c:
        t = await (await c.post("/api/v1/tickets", json=VENDING, headers=agent)).json()
    assert t["status"] == "dispatched", t["triage_reason"]
    assert await pool.fetchval("SELECT dispatched_at FROM tickets WHERE id = $1", t["id"]) == moved


async def test_low_confidence_goes_to_triage_never_a_silent_guess(settings, agent, pool):
    app = create_app(settings.model_copy(update={"triage_threshold": 0.999}))
    async with TestClient(TestServer(app)) as c:
        t = await (await c.post("/api/v1/tickets", json=VENDING, headers=agent)).json()
        queue = await (await c.get("/api/v1/queues/triage", headers=agent)).json()
    assert t["status"] == "triage" and t["category"] is None
    assert "置信度" in t["triage_reason"]
    assert t["id"] in [item["id"] for item in queue["items"]]


def test_classify_cli_prints_category_and_disposition():
    out = subprocess.run([sys.executable, "-m", "hotline.cli", "classify"], input="有人拿刀在楼下砍人，地上全是血\n",
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    obj = json.loads(out.stdout.splitlines()[0])
    assert obj["category"] and 0 <= obj["confidence"] <= 1 and obj["disposition"] == "110"
