"""Intake's group commit: concurrent requests share one INSERT, each still gets its own ticket."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from hotline import keys
from hotline.app import create_app
from hotline.auth import Principal
from hotline.settings import Settings
from hotline.tickets import service
from hotline.tickets.schemas import TicketIn
from hotline.tickets.writer import IntakeWriter
from models.enums import Role

BODIES = [
    {"channel": "phone", "area_code": "320682",
     "content": "我家楼下菜市场门口每天早上流动摊贩占道经营，把整条路都堵了，希望城管来管一管。"},
    {"channel": "web", "content": "如城街道海阳路路灯坏了一个多月了，晚上出行很不安全", "address": "江苏省南通市如皋市如城街道海阳路"},
    {"channel": "app", "area_code": "320682", "content": "公司拖欠三个月工资不发，老板联系不上，要求劳动部门处理"},
    {"channel": "phone", "area_code": "320682", "content": "有人在小区门口持刀打架，已经有人受伤流血了"},
    {"channel": "wechat", "content": "这个诉求没有地址也说不清楚是什么事情"},
]


async def test_concurrent_intake_is_batched_and_every_ticket_is_whole(settings, agent, pool):
    app = create_app(settings.model_copy(update={"triage_threshold": Settings().triage_threshold}))
    async with TestClient(TestServer(app)) as c:
        writer = app[keys.WRITER]
        bodies = [{**b, "content": f"{b['content']}（{i}）"} for i, b in enumerate(BODIES * 6)]
        resps = await asyncio.gather(*(c.post("/api/v1/tickets", json=b, headers=agent) for b in bodies))
        tickets = [await r.json() for r in resps]
    assert [r.status for r in resps] == [201] * len(bodies)
    assert writer.batcher.batches < writer.batcher.items  # some requests shared a statement
    assert len({t["id"] for t in tickets}) == len({t["ticket_no"] for t in tickets}) == len(bodies)
    statuses = {t["status"] for t in tickets}
    assert {"dispatched", "transferred", "triage"} <= statuses
    for body, t in zip(bodies, tickets):
        row = await pool.fetchrow("SELECT content, status, unit_id FROM tickets WHERE id = $1", t["id"])
        assert (row["content"], row["status"]) == (body["content"], t["status"])  # answers match requests
        events = await pool.fetch("SELECT action, from_status, to_status FROM ticket_events "
                                  "WHERE ticket_id = $1 ORDER BY id", t["id"])
        assert [e["action"] for e in events][0] == "receive" and len(events) == 2
        assert (events[1]["from_status"], events[1]["to_status"]) == ("received", t["status"])
        units = await pool.fetch("SELECT unit_id, role FROM ticket_units WHERE ticket_id = $1 "
                                 "ORDER BY role <> 'lead', unit_id", t["id"])
        if t["status"] == "dispatched":
            assert units[0]["role"] == "lead" and units[0]["unit_id"] == row["unit_id"] == t["unit"]["id"]
            assert all(u["role"] == "support" for u in units[1:])
        else:
            assert units == []


def _doc(principal: Principal, content: str, key: str | None = None, units: list[int] = ()) -> dict:
    data = TicketIn.model_validate({"channel": "phone", "content": "批量写入测试", "area_code": "320682"})
    fields = {"status": "dispatched", "unit_id": units[0], "dispatched_at": datetime.now(timezone.utc)} if units else {"status": "triage"}
    doc = service.intake_doc(principal, data, chain={"area": "320682"}, fields=fields,
                             idempotency_key=key, unit_ids=list(units),
                             events=[{"action": "receive", "to_status": "received", "data": {}}])
    doc["ticket"]["content"] = content  # bypasses validation: the database's own check refuses it
    return doc


async def test_one_refused_request_does_not_fail_the_others_in_its_batch(pool, agent):
    token_id = await pool.fetchval("SELECT max(id) FROM api_tokens WHERE role = 'agent'")
    principal = Principal(token_id, Role.AGENT)
    writer = IntakeWriter(pool)
    contents = ["批量一", "批量二", "超长" * 3000, "批量四"]
    results = await asyncio.gather(*(writer.write(_doc(principal, c)) for c in contents), return_exceptions=True)
    assert writer.batcher.batches == 1  # all four were in one batch, which the bad one refused
    assert isinstance(results[2], asyncpg.CheckViolationError)
    good = [results[i] for i in (0, 1, 3)]
    assert [r["content"] for r in good] == ["批量一", "批量二", "批量四"]
    stored = await pool.fetch("SELECT content FROM tickets WHERE id = ANY($1::bigint[]) ORDER BY id",
                              [r["id"] for r in good])
    assert [r["content"] for r in stored] == ["批量一", "批量二", "批量四"]


async def test_a_key_used_twice_in_one_batch_makes_one_ticket(pool):
    token_id = await pool.fetchval("SELECT max(id) FROM api_tokens WHERE role = 'agent'")
    writer = IntakeWriter(pool)
    principal = Principal(token_id, Role.AGENT)
    first, second = await asyncio.gather(writer.write(_doc(principal, "同键一", "dup-key-batch")),
                                         writer.write(_doc(principal, "同键二", "dup-key-batch")))
    assert first["content"] == "同键一" and second is None
    assert await pool.fetchval("SELECT count(*) FROM tickets WHERE idempotency_key = 'dup-key-batch'") == 1


@pytest.mark.parametrize("n", [1, 7])
async def test_rows_come_back_in_request_order(pool, n):
    token_id = await pool.fetchval("SELECT max(id) FROM api_tokens WHERE role = 'agent'")
    principal = Principal(token_id, Role.AGENT)
    unit_ids = [r["id"] for r in await pool.fetch("SELECT id FROM units ORDER BY id LIMIT 4")]
    units = [unit_ids[i % 4:i % 4 + 1 + i % 3] for i in range(n)]  # lead, then 0-2 supporting units
    async with pool.acquire() as conn:
        rows = await service.receive_tickets(conn, [_doc(principal, f"顺序{i}", units=units[i]) for i in range(n)])
    assert [r["content"] for r in rows] == [f"顺序{i}" for i in range(n)]
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)
    for row, expected in zip(rows, units):
        assert row["unit_id"] == expected[0] and list(row["support_unit_ids"]) == expected[1:]
        stored = await pool.fetch("SELECT unit_id, role FROM ticket_units WHERE ticket_id = $1", row["id"])
        assert sorted((r["role"], r["unit_id"]) for r in stored) == sorted(
            [("lead", expected[0])] + [("support", u) for u in expected[1:]])
        fetched = await service.get(pool, row["id"])
        assert sorted(fetched["support_unit_ids"]) == sorted(row["support_unit_ids"])
