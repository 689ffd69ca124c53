"""Ticket detail carries the reply, notes and extensions (#20.11); one offset everywhere, deadlines on
whole seconds (#20.10)."""
from __future__ import annotations

import asyncio
import re

from models.enums import Role

ISO = re.compile(r'"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?([+-]\d{2}:\d{2}|Z)?)"')


async def _dispatched(client, agent, tokens) -> tuple[int, dict]:
    t = await (await client.post("/api/v1/tickets", headers=agent, json={
        "channel": "phone", "area_code": "320682", "content": "小区门口烧烤摊占道经营，人行道走不通"})).json()
    if t["status"] == "triage":
        resp = await client.post(f"/api/v1/tickets/{t['id']}/dispatch", headers=agent,
                                 json={"category": "城市管理/占道经营"})
        assert resp.status == 200, await resp.text()
    t = await (await client.get(f"/api/v1/tickets/{t['id']}", headers=agent)).json()
    return t["id"], await tokens.make(Role.HANDLER, unit_id=t["unit"]["id"])


def _offsets(text: str) -> set[str]:
    return {m.group(2) for m in ISO.finditer(text)}


async def test_every_time_in_answers_and_events_is_beijing_time(client, agent, tokens):
    tid, handler = await _dispatched(client, agent, tokens)
    answers = []
    for path, body in [("sign", {}), ("start", {}), ("request-info", {"reason": "请补充照片"})]:
        resp = await client.post(f"/api/v1/tickets/{tid}/{path}", headers=handler, json=body)
        assert resp.status == 200, await resp.text()
        answers.append(await resp.text())
    await asyncio.sleep(0.01)  # a pause of a fraction of a second
    resp = await client.post(f"/api/v1/tickets/{tid}/info-received", headers=handler, json={})
    assert resp.status == 200
    answers.append(await resp.text())
    answers.append(await (await client.get(f"/api/v1/tickets/{tid}", headers=agent)).text())
    answers.append(await (await client.get(f"/api/v1/tickets/{tid}/events", headers=agent)).text())
    answers.append(await (await client.get("/api/v1/inbox", headers=handler)).text())
    for text in answers:
        assert _offsets(text) <= {"+08:00"}, text
    ticket = await (await client.get(f"/api/v1/tickets/{tid}", headers=agent)).json()
    assert ticket["reply_by"] and ticket["sign_by"]
    for deadline in (ticket["reply_by"], ticket["sign_by"]):
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00", deadline), deadline


async def test_detail_has_reply_notes_and_extensions(client, agent, tokens):
    tid, handler = await _dispatched(client, agent, tokens)
    assert (await client.post(f"/api/v1/tickets/{tid}/sign", headers=handler, json={})).status == 200
    assert (await client.post(f"/api/v1/tickets/{tid}/notes", headers=handler,
                              json={"text": "已到现场查看"})).status == 201
    ext = await client.post(f"/api/v1/tickets/{tid}/extensions", headers=handler,
                            json={"days": 2, "reason": "需协调市场监管"})
    assert ext.status in (200, 201), await ext.text()
    before = await (await client.get(f"/api/v1/tickets/{tid}", headers=agent)).json()
    assert before["reply"] is None
    assert [n["text"] for n in before["notes"]] == ["已到现场查看"]
    assert before["notes"][0]["unit_role"] == "lead" and before["notes"][0]["unit_name"]
    assert [(x["days"], x["state"], x["state_label"]) for x in before["extensions"]] == [(2, "pending", "待审批")]

    reply = {"resolution": "已取缔占道摊位", "claimed_solved": False}
    assert (await client.post(f"/api/v1/tickets/{tid}/reply", headers=handler, json=reply)).status == 200
    after = await (await client.get(f"/api/v1/tickets/{tid}", headers=agent)).json()
    assert after["reply"]["resolution"] == "已取缔占道摊位" and after["reply"]["claimed_solved"] is False
    assert after["reply"]["replied_at"].endswith("+08:00")
