"""The acceptance SMS is written in the same transaction as its ticket (intake's group commit, #17)."""
from __future__ import annotations

import asyncio

BODY = {"channel": "phone", "area_code": "320682", "content": "小区门口路灯坏了一个月没人修",
        "requester": {"name": "周先生", "phone": "13655550000"}}


async def test_concurrent_intakes_each_get_their_text_in_the_tickets_transaction(client, agent, pool):
    resps = await asyncio.gather(*(client.post("/api/v1/tickets", json=BODY, headers=agent) for _ in range(12)))
    assert all(r.status == 201 for r in resps)
    bodies = [await r.json() for r in resps]
    rows = await pool.fetch(
        "SELECT t.id, o.params, o.created_at = t.created_at AS same_tx FROM tickets t "
        "JOIN sms_outbox o ON o.ticket_id = t.id AND o.kind = 'accepted' WHERE t.id = ANY($1::bigint[])",
        [b["id"] for b in bodies])
    assert len(rows) == 12
    # now() is the transaction's start: equal times mean one transaction wrote both
    assert all(r["same_tx"] for r in rows)
    codes = {b["id"]: b["lookup_code"] for b in bodies}
    assert all(r["params"]["code"] == codes[r["id"]] for r in rows)


async def test_no_text_for_a_landline_and_a_retry_takes_the_new_code(client, agent, pool):
    landline = {**BODY, "requester": {"name": "周先生", "phone": "051388880000"}}
    t = await (await client.post("/api/v1/tickets", json=landline, headers=agent)).json()
    assert await pool.fetchval("SELECT count(*) FROM sms_outbox WHERE ticket_id = $1", t["id"]) == 0
    key = {**agent, "Idempotency-Key": "acceptance-sms-retry-1"}
    first = await (await client.post("/api/v1/tickets", json=BODY, headers=key)).json()
    again = await client.post("/api/v1/tickets", json=BODY, headers=key)
    second = await again.json()
    assert again.headers["Idempotent-Replayed"] == "true" and second["id"] == first["id"]
    params = await pool.fetch("SELECT params FROM sms_outbox WHERE ticket_id = $1 AND kind = 'accepted'", first["id"])
    assert [p["params"]["code"] for p in params] == [second["lookup_code"]]
