"""User-facing errors in Chinese naming the right field (#20.13); strict types and JSON only (#20.14);
bidi controls removed from text (#20.16)."""
from __future__ import annotations

import re

import pytest

from models.enums import Role

ENGLISH = re.compile(r"Input should|Expecting|Field required|should be|Extra inputs|Extra data|Unterminated|"
                     r"Invalid|valid (date|integer|boolean)|Method Not Allowed|Unsupported")
TICKET = {"channel": "phone", "content": "小区门口路灯坏了一个月没人修", "area_code": "320682"}


def assert_chinese(body: dict) -> None:
    texts = [body["message"], *(d["message"] for d in body["details"])]
    assert not any(ENGLISH.search(t) for t in texts), texts


@pytest.mark.parametrize("value", ["yes", 1, "0", "true", None])
async def test_booleans_must_be_booleans(client, agent, value):
    resp = await client.post("/api/v1/tickets", headers=agent, json={**TICKET, "confidential": value})
    body = await resp.json()
    assert resp.status == 422 and body["details"][0]["field"] == "confidential", body
    assert "布尔值" in body["details"][0]["message"]


async def test_area_code_is_a_string_as_documented(client, agent):
    resp = await client.post("/api/v1/tickets", headers=agent, json={**TICKET, "area_code": 320682})
    body = await resp.json()
    assert resp.status == 422 and body["details"][0] == {"field": "area_code", "message": "应为字符串",
                                                         "type": "string_type"}
    doc = await (await client.get("/api/v1/openapi.json")).json()
    assert "字符串" in doc["components"]["schemas"]["TicketIn"]["properties"]["area_code"]["description"]


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])
async def test_non_json_bodies_are_415(client, agent, ctype):
    import json
    resp = await client.post("/api/v1/tickets", headers={**agent, "Content-Type": ctype},
                             data=json.dumps(TICKET, ensure_ascii=False).encode())
    body = await resp.json()
    assert resp.status == 415 and body["details"][0]["field"] == "Content-Type", body
    assert_chinese(body)


async def test_json_with_a_charset_or_a_json_suffix_is_taken(client, agent):
    import json
    for ctype in ("application/json; charset=utf-8", "application/merge-patch+json"):
        resp = await client.post("/api/v1/tickets", headers={**agent, "Content-Type": ctype},
                                 data=json.dumps(TICKET).encode())
        assert resp.status == 201, await resp.text()


@pytest.mark.parametrize("raw, where", [('{"channel": "phone",', "第 1 行"), ('{"channel": \'phone\'}', "第 1 行"),
                                        ('{"a": 1} x', "多余"), ("{'a': 1}", "双引号")])
async def test_json_syntax_errors_are_chinese_with_a_position(client, agent, raw, where):
    resp = await client.post("/api/v1/tickets", headers={**agent, "Content-Type": "application/json"},
                             data=raw.encode())
    body = await resp.json()
    assert resp.status == 400 and where in body["details"][0]["message"], body
    assert_chinese(body)


@pytest.mark.parametrize("path, params, field", [
    ("/api/v1/reports/rates", {"group_by": "nothing"}, "group_by"),
    ("/api/v1/reports/rates", {"to": "yesterday"}, "to"),
    ("/api/v1/reports/overdue", {"limit": "0"}, "limit"),
    ("/api/v1/reports/overdue", {"limit": "abc"}, "limit"),
    ("/api/v1/reports/escalations", {"from": "2026-13-01T00:00:00"}, "from"),
    ("/api/v1/tickets", {"status": "lost"}, "status"),
])
async def test_query_errors_are_chinese_and_name_the_parameter(client, agent, path, params, field):
    resp = await client.get(path, headers=agent, params=params)
    body = await resp.json()
    assert resp.status == 422 and [d["field"] for d in body["details"]] == [field], body
    assert_chinese(body)


async def test_http_errors_are_chinese(client, agent):
    resp = await client.put("/api/v1/tickets", headers=agent, json={})
    assert resp.status == 405
    assert_chinese(await resp.json())


async def _county_ticket(client, agent) -> int:
    t = await (await client.post("/api/v1/tickets", headers=agent, json=TICKET)).json()
    resp = await client.post(f"/api/v1/tickets/{t['id']}/dispatch", headers=agent,
                             json={"category": "城市管理/占道经营", "unit_code": "320682-urban_mgmt"})
    assert resp.status == 200, await resp.text()
    return t["id"]


async def test_redispatch_errors_share_one_title(client, agent):
    tid = await _county_ticket(client, agent)
    for body in ({"reason": "改派", "category": "不存在的分类"}, {"reason": "改派", "unit_code": "no-such-unit"},
                 {"reason": "改派"}, {"reason": "改派", "unit_code": "320682-urban_mgmt"}):
        resp = await client.post(f"/api/v1/tickets/{tid}/redispatch", headers=agent, json=body)
        assert resp.status == 422 and (await resp.json())["message"] == "改派参数无效", await resp.text()


async def test_redispatch_to_a_tier_that_lands_on_the_same_unit_blames_the_tier(client, agent):
    tid = await _county_ticket(client, agent)
    for tier in ("street", "county"):
        resp = await client.post(f"/api/v1/tickets/{tid}/redispatch", headers=agent,
                                 json={"reason": "改派", "tier": tier})
        body = await resp.json()
        assert resp.status == 422 and body["details"][0]["field"] == "tier", body
        assert "相同" not in body["details"][0]["message"]


async def test_bidi_controls_are_removed_from_text(client, agent, tokens):
    rlo = "\u202e"
    resp = await client.post("/api/v1/tickets", headers=agent, json={
        **TICKET, "content": f"路灯坏了{rlo}修快点\u2066请\u2069", "address": f"{rlo}海阳路"})
    t = await resp.json()
    assert resp.status == 201 and t["content"] == "路灯坏了修快点请" and t["address"] == "海阳路"
    tid = await _county_ticket(client, agent)
    handler = await tokens.make(Role.HANDLER, unit_id=await tokens.unit_id("如皋市城市管理局"))
    assert (await client.post(f"/api/v1/tickets/{tid}/sign", headers=handler, json={})).status == 200
    note = await client.post(f"/api/v1/tickets/{tid}/notes", headers=handler, json={"text": f"已{rlo}记录"})
    assert note.status == 201, await note.text()
    detail = await (await client.get(f"/api/v1/tickets/{tid}", headers=agent)).json()
    assert [n["text"] for n in detail["notes"]] == ["已记录"]
