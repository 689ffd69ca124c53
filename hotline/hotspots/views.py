"""HTTP handlers of the hotspot and surge reports (open episodes, the caller's area at most)."""
from __future__ import annotations

from aiohttp import web

from hotline import keys, scope
from hotline.endpoints import parse_query
from hotline.errors import json_response
from hotline.hotspots import service
from hotline.hotspots.schemas import HotspotQuery, SurgeQuery
from hotline.jsoncodec import iso
from hotline.replica import lag_tolerant, read_pool

HOTSPOT_RULE = ("泊松上尾检验：窗口内来电数 ≥ {min} 且 P(X ≥ 来电数 | 基线期望) ≤ {alpha}（基线为此前 {days:g} 天"
                "同一区县同一类别的来电按窗口长度折算，最低 {floor:g}）")
SURGE_RULE = ("泊松上尾检验：区县 {window:g} 小时内来电数 ≥ {min} 且 P(X ≥ 来电数 | 此前 {days} 天同时段平均) ≤ {alpha}；"
              "激增期间相同诉求自动归并到主工单（逐件可见，可撤销）")


def _common(r) -> dict:
    return {"id": r["id"], "area_code": r["county_code"], "area_name": r["area_name"], "count": r["count"],
            "baseline": round(r["expected"], 3), "baseline_calls": r["baseline"], "score": r["score"],
            "p_value": r["p_value"], "peak_count": r["peak_count"], "started_at": iso(r["started_at"]),
            "last_seen_at": iso(r["last_seen_at"])}


@lag_tolerant
async def hotspots(request: web.Request) -> web.Response:
    """Open hotspot episodes (area x category), highest score first."""
    pool, s = read_pool(request), request.app[keys.SETTINGS]
    q = parse_query(request, HotspotQuery)
    area = await scope.report_area(pool, request[keys.PRINCIPAL], q.area)
    rows = await service.open_hotspots(pool, area, q.category, q.limit)
    items = [{**_common(r), "category": r["category_code"], "category_name": r["category_name"],
              "ticket_ids": list(r["ticket_ids"])} for r in rows]
    rule = HOTSPOT_RULE.format(min=s.hotspot_min_count, alpha=s.hotspot_alpha, days=s.hotspot_baseline_days,
                               floor=s.hotspot_floor)
    return json_response({"items": items, "window_hours": s.hotspot_window_hours,
                          "baseline_days": s.hotspot_baseline_days, "rule": rule})


@lag_tolerant
async def surges(request: web.Request) -> web.Response:
    """Open surges (话务激增) by county, with how many calls were grouped under a lead meanwhile."""
    pool, s = read_pool(request), request.app[keys.SETTINGS]
    q = parse_query(request, SurgeQuery)
    area = await scope.report_area(pool, request[keys.PRINCIPAL], q.area)
    rows = await service.open_surges(pool, area, q.limit)
    items = [{**_common(r), "grouped": r["grouped"], "label": "话务激增：相同诉求自动归并"} for r in rows]
    rule = SURGE_RULE.format(window=s.surge_window_hours, min=s.surge_min_count, days=s.surge_baseline_days,
                             alpha=s.surge_alpha)
    return json_response({"items": items, "window_hours": s.surge_window_hours,
                          "baseline_days": s.surge_baseline_days, "rule": rule})
