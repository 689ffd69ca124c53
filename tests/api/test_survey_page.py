"""The requester's survey page behind the SMS link: HTML form, one answer, then closed."""
from __future__ import annotations

import re

from models.enums import Role


async def _replied_ticket(client, agent, tokens) -> dict:
    body = {"channel": "phone", "area_code": "320682", "title": "<b>路灯</b>不亮",
            "content": "小区门口路灯坏了两个星期，晚上走路很危险。"}
    t = await (await client.post("/api/v1/tickets", json=body, headers=agent)).json()
    if t["status"] == "triage":
        assert (await client.post(f"/api/v1/tickets/{t['id']}/dispatch", json={"category": "城市管理/市政设施"},
                                  headers=agent)).status == 200
    t = await (await client.get(f"/api/v1/tickets/{t['id']}", headers=agent)).json()
    handler = await tokens.make(Role.HANDLER, unit_id=t["unit"]["id"])
    assert (await client.post(f"/api/v1/tickets/{t['id']}/sign", json={}, headers=handler)).status == 200
    reply = {"resolution": "已更换灯泡并恢复照明", "claimed_solved": True}
    assert (await client.post(f"/api/v1/tickets/{t['id']}/reply", json=reply, headers=handler)).status == 200
    return t


async def test_sms_link_opens_a_page_that_records_one_answer(client, agent, tokens, pool):
    t = await _replied_ticket(client, agent, tokens)
    link = await (await client.post(f"/api/v1/tickets/{t['id']}/callback-link", json={}, headers=agent)).json()
    path = re.sub(r"^https?://[^/]+", "", link["url"])
    assert path.startswith("/survey/") and path in link["sms_text"]

    page = await client.get(path)
    html = await page.text()
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    assert 'name="satisfaction"' in html and "&lt;b&gt;路灯&lt;/b&gt;" in html and "<b>路灯" not in html

    incomplete = await client.post(path, data={"comment": "还行"})
    assert incomplete.status == 422 and "请选择" in await incomplete.text()

    done = await client.post(path, data={"satisfaction": "satisfied", "solved": "solved", "comment": "很及时"})
    assert done.status == 200 and "感谢" in await done.text()
    assert await pool.fetchval("SELECT status FROM tickets WHERE id = $1", t["id"]) == "closed"

    again = await client.get(path)
    assert again.status == 409 and "已完成评价" in await again.text()


async def test_unknown_link_page_is_404_html(client):
    resp = await client.get("/survey/sv_nothing_here")
    assert resp.status == 404 and "评价链接无效" in await resp.text()
