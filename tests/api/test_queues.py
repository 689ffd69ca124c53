"""Reading the workflow: a unit's inbox and the hotline's triage, return and extension queues.

Everything here happens in 如东县 (320623), which no other test uses, so the
queues and inboxes can be compared exactly.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from hotline.workflow.schemas import InboxOut, QueuePage
from models.enums import Role

RUDONG, NANTONG, NANJING = "320623", "320600", "320100"
URBAN, HOUSING, ECO = f"{RUDONG}-urban_mgmt", f"{RUDONG}-housing", f"{RUDONG}-eco_env"

INSERT = """
INSERT INTO tickets (ticket_no, channel, requester_type, title, content, area_code, province_code, city_code,
                     county_code, status, unit_id, tier, dispatched_at, sign_by, reply_by, triage_reason)
VALUES ('QU' || lpad(nextval('ticket_no_seq')::text, 10, '0'), 'web', 'citizen', $1, '队列测试', $2, '320000',
        '320600', $2, $3, $4, 'county', $5, $6, $7, $8)
RETURNING id
"""


async def unit_id(pool, code: str) -> int:
    return await pool.fetchval("SELECT id FROM units WHERE code = $1", code)


async def ticket(pool, status: str, *, unit: str | None = URBAN, sign_in: timedelta = timedelta(days=1),
                 reply_in: timedelta = timedelta(days=5), title: str = "队列测试") -> int:
    now = datetime.now(timezone.utc)
    uid = await unit_id(pool, unit) if unit else None
    return await pool.fetchval(INSERT, title, RUDONG, status, uid, now if uid else None,
                               now + sign_in if uid else None, now + reply_in if uid else None,
                               "地址无法定位" if status == "triage" else "")


async def support(pool, ticket_id: int, code: str) -> None:
    await pool.execute("INSERT INTO ticket_units (ticket_id, unit_id, role) VALUES ($1, $2, 'support')",
                       ticket_id, await unit_id(pool, code))


async def get(client, path: str, headers: dict, status: int = 200, **params):
    resp = await client.get(path, params=params, headers=headers)
    body = await resp.json()
    assert resp.status == status, body
    return body


def ids(items: list[dict]) -> list[int]:
    return [i["id"] if "ticket_no" in i else i["ticket"]["id"] for i in items]


@pytest.fixture(scope="module")
async def rudong(pool):
    """Tickets of 如东县 in every inbox group, once for the module."""
    t = {
        "to_sign": await ticket(pool, "dispatched"),
        "late_sign": await ticket(pool, "dispatched", sign_in=-timedelta(hours=1)),
        "signed": await ticket(pool, "signed"),
        "due": await ticket(pool, "in_progress", reply_in=timedelta(hours=5)),
        "replied": await ticket(pool, "replied"),
        "other_unit": await ticket(pool, "dispatched", unit=HOUSING),
        "triage_1": await ticket(pool, "triage", unit=None),
        "triage_2": await ticket(pool, "triage", unit=None),
        "triage_3": await ticket(pool, "triage", unit=None),
    }
    await support(pool, t["other_unit"], URBAN)
    return t


async def test_inbox_groups_a_units_open_tickets(client, tokens, pool, rudong):
    handler = await tokens.make(Role.HANDLER, unit_id=await unit_id(pool, URBAN))
    box = await get(client, "/api/v1/inbox", handler)
    assert box["unit_id"] == await unit_id(pool, URBAN)
    InboxOut.model_validate(box)  # the documented shape
    assert sorted(ids(box["to_sign"])) == sorted([rudong["to_sign"], rudong["late_sign"]])
    assert sorted(ids(box["in_progress"])) == sorted([rudong["signed"], rudong["due"]])
    assert sorted(ids(box["due_soon"])) == sorted([rudong["late_sign"], rudong["due"]])
    assert ids(box["supporting"]) == [rudong["other_unit"]]
    item = box["to_sign"][0]
    assert {"ticket_no", "status_label", "sign_by", "reply_by", "paused"} <= item.keys()
    assert "requester" not in item
    assert (await get(client, "/api/v1/inbox", handler, limit="1"))["to_sign"][0]["id"] == rudong["late_sign"]


async def test_inbox_is_for_handlers_only(client, agent, tokens):
    await get(client, "/api/v1/inbox", agent, status=403)
    await get(client, "/api/v1/inbox", await tokens.make(Role.SUPERVISOR, area_code=NANTONG), status=403)


async def test_triage_queue_scoped_and_paged(client, agent, tokens, pool, rudong):
    triage = [rudong["triage_1"], rudong["triage_2"], rudong["triage_3"]]
    local = await tokens.make(Role.SUPERVISOR, area_code=RUDONG)
    page = await get(client, "/api/v1/queues/triage", local, limit="2")
    assert ids(page["items"]) == triage[:2] and page["next_after"] == triage[1]
    QueuePage.model_validate(page)
    rest = await get(client, "/api/v1/queues/triage", local, limit="2", after=str(page["next_after"]))
    assert ids(rest["items"]) == triage[2:] and rest["next_after"] is None
    assert page["items"][0]["ticket"]["triage_reason"] == "地址无法定位"
    everything = await get(client, "/api/v1/queues/triage", agent, limit="200")
    assert set(triage) <= set(ids(everything["items"]))
    nanjing = await get(client, "/api/v1/queues/triage", await tokens.make(Role.SUPERVISOR, area_code=NANJING))
    assert not set(triage) & set(ids(nanjing["items"]))
    handler = await tokens.make(Role.HANDLER, unit_id=await unit_id(pool, URBAN))
    await get(client, "/api/v1/queues/triage", handler, status=403)
    await get(client, "/api/v1/queues/triage", agent, status=422, limit="0")


async def test_return_queues_split_contested_from_plain(client, agent, tokens, pool):
    handler = await tokens.make(Role.HANDLER, unit_id=await unit_id(pool, ECO))
    contested, plain = await ticket(pool, "dispatched", unit=ECO), await ticket(pool, "signed", unit=ECO)
    for tid, contest in ((contested, True), (plain, False)):
        resp = await client.post(f"/api/v1/tickets/{tid}/return", json={"reason": "非本单位职责", "contest": contest},
                                 headers=handler)
        assert resp.status == 200, await resp.json()
    local = await tokens.make(Role.SUPERVISOR, area_code=RUDONG)
    review = await get(client, "/api/v1/queues/returns", local)
    assert ids(review["items"]) == [contested]
    QueuePage.model_validate(review)
    item = review["items"][0]
    assert item["return"]["contest"] is True and item["return"]["unit"]["code"] == ECO
    assert item["return"]["reason"] == "非本单位职责"
    assert ids((await get(client, "/api/v1/queues/returns", local, queue="dispatch"))["items"]) == [plain]
    nanjing = await tokens.make(Role.SUPERVISOR, area_code=NANJING)
    assert contested not in ids((await get(client, "/api/v1/queues/returns", nanjing))["items"])
    await get(client, "/api/v1/queues/returns", agent, status=422, queue="other")


async def test_extension_queue_lists_pending_requests_in_scope(client, agent, tokens, pool):
    handler = await tokens.make(Role.HANDLER, unit_id=await unit_id(pool, HOUSING))
    tid = await ticket(pool, "in_progress", unit=HOUSING)
    resp = await client.post(f"/api/v1/tickets/{tid}/extensions", json={"days": 2, "reason": "等待检测报告"},
                             headers=handler)
    assert resp.status == 201
    eid = (await resp.json())["data"]["extension_id"]
    local = await tokens.make(Role.SUPERVISOR, area_code=RUDONG)
    queue = await get(client, "/api/v1/queues/extensions", local)
    assert ids(queue["items"]) == [tid] and queue["items"][0]["extension"]["days"] == 2
    assert queue["items"][0]["id"] == eid
    QueuePage.model_validate(queue)
    nanjing = await tokens.make(Role.SUPERVISOR, area_code=NANJING)
    assert tid not in ids((await get(client, "/api/v1/queues/extensions", nanjing))["items"])
    resp = await client.post(f"/api/v1/tickets/{tid}/extensions/{eid}/decision", json={"approve": True},
                             headers=local)
    assert resp.status == 200
    assert (await get(client, "/api/v1/queues/extensions", local))["items"] == []
