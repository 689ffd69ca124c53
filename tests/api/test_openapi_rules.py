"""The OpenAPI document states the rules the service applies (#21.12): the text rule, year windows,
cross-field requirements; schemathesis then finds no schema-valid request refused for its shape."""
from __future__ import annotations

import re

from hotline.endpoints import NONBLANK_PATTERN, TEXT_PATTERN


async def _doc(client) -> dict:
    return await (await client.get("/api/v1/openapi.json")).json()


async def test_text_fields_state_the_control_character_rule(client, agent):
    doc = await _doc(client)
    schemas = doc["components"]["schemas"]
    assert schemas["TicketIn"]["properties"]["content"]["pattern"] == NONBLANK_PATTERN
    assert schemas["TicketIn"]["properties"]["address"]["pattern"] == TEXT_PATTERN
    assert schemas["NoteIn"]["properties"]["text"]["pattern"] == NONBLANK_PATTERN
    unit = next(p for p in doc["paths"]["/api/v1/reports/rates"]["get"]["parameters"] if p["name"] == "unit")
    assert unit["schema"]["pattern"] == TEXT_PATTERN
    # what the pattern refuses, the service refuses; what it allows, the service takes
    for content, status in [("路灯坏了\x01", 422), ("   ", 422), ("路灯\t坏了\n一个月", 201)]:
        assert bool(re.search(NONBLANK_PATTERN, content)) == (status == 201)
        resp = await client.post("/api/v1/tickets", headers=agent,
                                 json={"channel": "phone", "content": content, "area_code": "320682"})
        assert resp.status == status, await resp.text()


async def test_dates_state_the_year_window_and_callbacks_their_required_answers(client):
    doc = await _doc(client)
    rates = {p["name"]: p["schema"] for p in doc["paths"]["/api/v1/reports/rates"]["get"]["parameters"]}
    assert rates["from"]["pattern"] == "^20[0-9]{2}-"
    then = doc["components"]["schemas"]["CallbackIn"]["then"]
    assert set(then["required"]) == {"satisfaction", "solved"}


async def test_a_whole_number_of_days_may_be_written_5_0_but_not_as_text(client, agent, tokens):
    from models.enums import Role

    t = await (await client.post("/api/v1/tickets", headers=agent, json={
        "channel": "phone", "content": "小区门口烧烤摊占道经营", "area_code": "320682"})).json()
    assert (await client.post(f"/api/v1/tickets/{t['id']}/dispatch", headers=agent, json={
        "category": "城市管理/占道经营", "unit_code": "320682-urban_mgmt"})).status == 200
    handler = await tokens.make(Role.HANDLER, unit_id=await tokens.unit_id("如皋市城市管理局"))
    assert (await client.post(f"/api/v1/tickets/{t['id']}/sign", headers=handler, json={})).status == 200
    text = await client.post(f"/api/v1/tickets/{t['id']}/extensions", headers=handler,
                             json={"days": "2", "reason": "需协调"})
    assert text.status == 422 and (await text.json())["details"][0]["field"] == "days"
    whole = await client.post(f"/api/v1/tickets/{t['id']}/extensions", headers=handler,
                              json={"days": 2.0, "reason": "需协调"})
    assert whole.status in (200, 201), await whole.text()
