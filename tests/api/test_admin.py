"""Operator tools: training rows from human corrections, classifier version and hot swap."""
from __future__ import annotations

from hotline.admin.training import corrected_rows
from models.enums import Role

TEXT = "菜市场门口早上一堆流动摊贩把路都堵死了，电动车都过不去。"


async def _close_with_human_category(client, agent, tokens) -> tuple[int, str]:
    t = await (await client.post("/api/v1/tickets", json={"channel": "phone", "content": TEXT,
                                                           "area_code": "320682"}, headers=agent)).json()
    category = "交通运输/公路与运输" if t["category"] != "交通运输/公路与运输" else "公安/交通管理"
    if t["status"] == "triage":
        resp = await client.post(f"/api/v1/tickets/{t['id']}/dispatch", json={"category": category}, headers=agent)
    else:
        resp = await client.post(f"/api/v1/tickets/{t['id']}/redispatch",
                                 json={"category": category, "reason": "分类更正"}, headers=agent)
    assert resp.status == 200, await resp.text()
    unit_id = (await (await client.get(f"/api/v1/tickets/{t['id']}", headers=agent)).json())["unit"]["id"]
    handler = await tokens.make(Role.HANDLER, unit_id=unit_id)
    assert (await client.post(f"/api/v1/tickets/{t['id']}/sign", json={}, headers=handler)).status == 200
    reply = {"resolution": "已组织执法队员清理", "claimed_solved": True}
    assert (await client.post(f"/api/v1/tickets/{t['id']}/reply", json=reply, headers=handler)).status == 200
    assert (await client.post(f"/api/v1/tickets/{t['id']}/close", json={}, headers=agent)).status == 200
    return t["id"], category


async def test_human_corrected_closed_tickets_become_training_rows(client, agent, tokens, pool):
    ticket_id, category = await _close_with_human_category(client, agent, tokens)
    async with pool.acquire() as conn:
        rows = await corrected_rows(conn, include_confirmed=True)
    mine = [r for r in rows if r["text"] == TEXT]
    assert mine and mine[0]["label"] == category
    predicted = await pool.fetchval("SELECT data->'classification'->>'category' FROM ticket_events "
                                    "WHERE ticket_id = $1 AND action = 'receive'", ticket_id)
    assert mine[0]["source"] == ("confirmed" if predicted == category else "corrected")


async def test_classifier_endpoints_are_admin_only_and_paths_are_confined(client, tokens, agent):
    admin = await tokens.make(Role.ADMIN)
    assert (await client.get("/api/v1/admin/classifier", headers=agent)).status == 403
    info = await client.get("/api/v1/admin/classifier", headers=admin)
    assert info.status == 200 and "version" in await info.json()
    bad = await client.post("/api/v1/admin/classifier/reload", json={"model_dir": "/etc"}, headers=admin)
    assert bad.status in (409, 422)
