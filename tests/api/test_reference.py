"""Read-only reference endpoints: areas, categories, units, with search (#20.9)."""
from __future__ import annotations

from models.enums import Role


async def test_areas_search_and_children(client, tokens):
    handler = await tokens.make(Role.HANDLER, unit_id=await tokens.unit_id("如皋市城市管理局"))
    found = await (await client.get("/api/v1/reference/areas", params={"q": "如皋"}, headers=handler)).json()
    assert [(a["code"], a["level"], a["level_label"]) for a in found["items"]] == [("320682", "county", "县级")]
    kids = await (await client.get("/api/v1/reference/areas", params={"parent": "320600"}, headers=handler)).json()
    assert "320682" in {a["code"] for a in kids["items"]} and all(a["parent_code"] == "320600" for a in kids["items"])


async def test_categories_search(client, agent):
    found = await (await client.get("/api/v1/reference/categories", params={"q": "占道"}, headers=agent)).json()
    assert [c["name"] for c in found["items"]] == ["城市管理/占道经营"]


async def test_units_by_area_and_category(client, tokens):
    supervisor = await tokens.make(Role.SUPERVISOR, area_code="320600")
    resp = await client.get("/api/v1/reference/units", headers=supervisor,
                            params={"area": "320682", "category": "城市管理/占道经营"})
    names = [u["name"] for u in (await resp.json())["items"]]
    assert resp.status == 200 and "如皋市城市管理局" in names
    assert all("如皋" in n for n in names)


async def test_search_wildcards_are_literal_and_bad_filters_are_422(client, agent):
    none = await (await client.get("/api/v1/reference/units", params={"q": "%"}, headers=agent)).json()
    assert none["items"] == []
    bad = await client.get("/api/v1/reference/areas", params={"parent": "abc"}, headers=agent)
    assert bad.status == 422 and (await bad.json())["details"][0]["field"] == "parent"
    assert (await client.get("/api/v1/reference/units")).status == 401
