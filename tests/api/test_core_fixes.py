"""Issue 20, items 4-8, as a user meets them: real HTTP, PostgreSQL and Valkey."""
from __future__ import annotations

import pytest

from models.enums import Role
from routing.address import LEGACY_CODES

RUGAO, NANTONG = "320682", "320600"
BODY = {"channel": "phone", "requester": {"name": "张先生", "phone": "13800000000"},
        "content": "小区楼下烧烤摊每天晚上占道经营到凌晨，油烟很大"}


async def call(client, method: str, path: str, headers: dict, body: dict | None = None, status: int = 200):
    resp = await client.request(method, f"/api/v1{path}", json=body, headers=headers)
    data = await resp.json()
    assert resp.status == status, (method, path, data)
    return data


async def file(client, agent: dict, **over) -> dict:
    return await call(client, "POST", "/tickets", agent, {**BODY, "area_code": RUGAO, **over}, status=201)


# --- item 4: retired area codes ------------------------------------------------------------------

@pytest.mark.parametrize("old", sorted(LEGACY_CODES))
async def test_retired_area_code_maps_the_same_at_dispatch_as_at_intake(client, agent, old):
    taken = await file(client, agent, area_code=old)
    assert taken["area_code"] == LEGACY_CODES[old]
    other = await file(client, agent)
    out = await call(client, "POST", f"/tickets/{other['id']}/dispatch", agent,
                     {"category": "城市管理/占道经营", "area_code": old})
    assert out["status"] == "dispatched"
    ticket = await call(client, "GET", f"/tickets/{other['id']}", agent)
    assert ticket["area_code"] == LEGACY_CODES[old] and ticket["city_code"] == old[:4] + "00"
