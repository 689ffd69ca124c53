"""The requester's status lookup (#17): ticket number + query code, JSON and the plain page, no personal data."""
from __future__ import annotations

import re

from models.enums import Role

REQUEST = {"channel": "phone", "area_code": "320682", "title": "路灯不亮",
           "requester": {"name": "王小明", "phone": "13812345678", "id_number": "110101199003071234"},
           "address": "如皋市海阳路18号", "content": "小区门口路灯坏了两个星期，晚上走路很危险。请联系王小明 13812345678"}
PERSONAL = ("王小明", "13812345678", "110101199003071234", "海阳路", "小区门口")


async def _intake(client, agent, **kw) -> dict:
    resp = await client.post("/api/v1/tickets", json=REQUEST, headers={**agent, **kw})
    assert resp.status == 201
    return await resp.json()


async def _lookup(client, ticket_no, code):
    resp = await client.post("/api/v1/lookup", json={"ticket_no": ticket_no, "code": code})
    return resp.status, await resp.json()


async def test_intake_gives_a_code_whose_hash_alone_is_stored(client, agent, pool):
    t = await _intake(client, agent)
    code = t["lookup_code"]
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{6}", code), code
    stored = await pool.fetchval("SELECT lookup_code_hash FROM tickets WHERE id = $1", t["id"])
    assert stored is not None and len(stored) == 48 and code.encode() not in stored
    again = await (await client.get(f"/api/v1/tickets/{t['id']}", headers=agent)).json()
    assert again.get("lookup_code") is None, "the code is told once, at intake"


async def test_lookup_shows_status_unit_and_deadline(client, agent):
    t = await _intake(client, agent)
    status, view = await _lookup(client, t["ticket_no"], t["lookup_code"].lower())  # case does not matter
    assert status == 200, view
    assert view["ticket_no"] == t["ticket_no"] and view["status_label"] == "已受理，正在分派"
    assert view["reply"] is None and view["unit_name"] is None

    assert (await client.post(f"/api/v1/tickets/{t['id']}/dispatch", json={"category": "城市管理/市政设施"},
                              headers=agent)).status == 200
    detail = await (await client.get(f"/api/v1/tickets/{t['id']}", headers=agent)).json()
    status, view = await _lookup(client, t["ticket_no"], t["lookup_code"])
    assert status == 200 and view["status_label"] == "已转承办单位" and view["unit_name"] == detail["unit"]["name"]
    assert view["reply_by"] == detail["reply_by"] and view["reply_by"] is not None


async def test_lookup_follows_the_ticket_to_its_reply(client, agent, tokens):
    t = await _intake(client, agent)
    code = t["lookup_code"]
    assert (await client.post(f"/api/v1/tickets/{t['id']}/dispatch", json={"category": "城市管理/市政设施"},
                              headers=agent)).status == 200
    detail = await (await client.get(f"/api/v1/tickets/{t['id']}", headers=agent)).json()
    handler = await tokens.make(Role.HANDLER, unit_id=detail["unit"]["id"])
    assert (await client.post(f"/api/v1/tickets/{t['id']}/sign", json={}, headers=handler)).status == 200
    status, view = await _lookup(client, t["ticket_no"], code)
    assert status == 200 and view["status_label"] == "承办单位办理中"
    assert view["unit_name"] == detail["unit"]["name"] and view["reply_by"] == detail["reply_by"]
    reply = {"resolution": "已更换灯泡并恢复照明", "claimed_solved": True}
    assert (await client.post(f"/api/v1/tickets/{t['id']}/reply", json=reply, headers=handler)).status == 200
    status, view = await _lookup(client, t["ticket_no"], f" {code[:3]}-{code[3:]} ")
    assert status == 200 and view["status_label"] == "承办单位已答复，待回访"
    assert view["reply"]["resolution"] == "已更换灯泡并恢复照明" and view["reply"]["replied_at"]
    text = str(view)
    assert not any(p in text for p in PERSONAL), view
    assert set(view) == {"ticket_no", "status", "status_label", "category", "unit_name", "received_at", "reply_by",
                         "deadline_provisional", "reply"}


async def test_wrong_code_and_unknown_number_answer_the_same_404(client, agent):
    t = await _intake(client, agent)
    wrong = "ABCDEF" if t["lookup_code"] != "ABCDEF" else "ABCDEG"
    s1, b1 = await _lookup(client, t["ticket_no"], wrong)
    s2, b2 = await _lookup(client, "2099010199999999", t["lookup_code"])
    s3, b3 = await _lookup(client, "../../etc", "x")
    assert s1 == s2 == s3 == 404 and b1 == b2 == b3
    bad = await client.post("/api/v1/lookup", json={"ticket_no": 123, "code": None})
    assert bad.status == 422 and (await bad.json())["details"]


async def test_intake_retry_gets_a_new_code_the_old_one_stops_working(client, agent):
    key = {"Idempotency-Key": "lookup-retry-1"}
    first = await _intake(client, agent, **key)
    second = await _intake(client, agent, **key)
    assert second["id"] == first["id"] and second["lookup_code"]
    assert (await _lookup(client, first["ticket_no"], second["lookup_code"]))[0] == 200
    if second["lookup_code"] != first["lookup_code"]:
        assert (await _lookup(client, first["ticket_no"], first["lookup_code"]))[0] == 404


async def test_lookup_page_is_plain_html_with_escaped_values(client, agent):
    t = await _intake(client, agent)
    form = await client.get(f"/lookup?no={t['ticket_no']}")
    html = await form.text()
    assert form.status == 200 and form.headers["Content-Type"].startswith("text/html")
    assert "<script" not in html and f'value="{t["ticket_no"]}"' in html
    assert "default-src 'none'" in form.headers["Content-Security-Policy"]
    hostile = await client.get('/lookup?no="><script>alert(1)</script>')
    assert "<script>" not in await hostile.text()

    ok = await client.post("/lookup", data={"ticket_no": t["ticket_no"], "code": t["lookup_code"]})
    html = await ok.text()
    assert ok.status == 200 and "已受理，正在分派" in html and t["ticket_no"] in html
    assert not any(p in html for p in PERSONAL)
    wrong = await client.post("/lookup", data={"ticket_no": t["ticket_no"], "code": "<b>x</b>"})
    html = await wrong.text()
    assert wrong.status == 404 and "工单号或查询码不正确" in html and "<b>x" not in html
