"""One rule for a supervisor naming an area outside its own (#20.15): 403 with field `area` on every list
and report that takes `area`; its own subtree answers 200; an unknown code is 422 for everyone."""
from __future__ import annotations

import pytest

from models.enums import Role

AREA_ENDPOINTS = ["/api/v1/tickets", "/api/v1/reports/rates", "/api/v1/reports/rates.csv",
                  "/api/v1/reports/overdue", "/api/v1/reports/escalations", "/api/v1/reports/linkage",
                  "/api/v1/reports/map"]


@pytest.mark.parametrize("path", AREA_ENDPOINTS)
async def test_out_of_area_is_403_inside_is_200(client, tokens, path):
    nanjing = await tokens.make(Role.SUPERVISOR, area_code="320100")
    nantong = await tokens.make(Role.SUPERVISOR, area_code="320600")
    outside = await client.get(path, headers=nanjing, params={"area": "320682"})
    body = await outside.json()
    assert outside.status == 403 and body["details"][0]["field"] == "area", body
    inside = await client.get(path, headers=nantong, params={"area": "320682"})
    assert inside.status == 200, await inside.text()


@pytest.mark.parametrize("path", AREA_ENDPOINTS)
async def test_unknown_area_is_422(client, agent, path):
    resp = await client.get(path, headers=agent, params={"area": "329999"})
    assert resp.status == 422 and (await resp.json())["details"][0]["field"] == "area"


async def test_the_rule_is_in_the_openapi_descriptions(client):
    doc = await (await client.get("/api/v1/openapi.json")).json()
    for path in AREA_ENDPOINTS:
        area = next(p for p in doc["paths"][path]["get"]["parameters"] if p["name"] == "area")
        assert "403" in area["description"], path
