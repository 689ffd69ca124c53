"""Titles made from the content: the first sentence or whole clauses, an ellipsis when cut (#20.12)."""
from __future__ import annotations

import re

import pytest

from hotline.tickets.titles import MAX_TITLE, make_title
from models.enums import Role

LONG = "我家门口的路灯已经坏了一个多月了，晚上出门非常不方便，邻居们都很有意见，希望尽快修好。谢谢"


@pytest.mark.parametrize("content, title", [
    ("楼下饭店油烟直排，熏得窗户都不敢开。楼上也受影响", "楼下饭店油烟直排，熏得窗户都不敢开"),
    (LONG, "我家门口的路灯已经坏了一个多月了，晚上出门非常不方便…"),
    ("你好。小区路灯坏了！", "小区路灯坏了"),
    ("噪音扰民", "噪音扰民"),
    ("  第一行没有句号\n第二行", "第一行没有句号"),
])
def test_title_is_the_first_sentence_or_its_whole_clauses(content, title):
    assert make_title(content) == title


def test_a_clause_longer_than_a_title_is_cut_with_an_ellipsis():
    title = make_title("这是一段没有任何标点符号的很长很长的诉求内容用来测试标题截断是否正确以及是否带省略号")
    assert len(title) == MAX_TITLE and title.endswith("…")


async def test_the_survey_page_shows_the_title_without_a_mid_word_cut(client, agent, tokens):
    t = await (await client.post("/api/v1/tickets", headers=agent, json={
        "channel": "phone", "area_code": "320682", "content": LONG})).json()
    assert t["title"] == "我家门口的路灯已经坏了一个多月了，晚上出门非常不方便…"
    if t["status"] == "triage":
        assert (await client.post(f"/api/v1/tickets/{t['id']}/dispatch", json={"category": "城市管理/市政设施"},
                                  headers=agent)).status == 200
    t = await (await client.get(f"/api/v1/tickets/{t['id']}", headers=agent)).json()
    handler = await tokens.make(Role.HANDLER, unit_id=t["unit"]["id"])
    assert (await client.post(f"/api/v1/tickets/{t['id']}/sign", json={}, headers=handler)).status == 200
    assert (await client.post(f"/api/v1/tickets/{t['id']}/reply", headers=handler,
                              json={"resolution": "已修复", "claimed_solved": True})).status == 200
    link = await (await client.post(f"/api/v1/tickets/{t['id']}/callback-link", json={}, headers=agent)).json()
    page = await (await client.get(re.sub(r"^https?://[^/]+", "", link["url"]))).text()
    assert "晚上出门非常不方便…" in page
