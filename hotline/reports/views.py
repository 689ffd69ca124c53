"""HTTP handlers of the reports room: rates (JSON and CSV), the overdue worklist, the escalation report and
the 12345–110 linkage counts. (The live escalation feed is reports/stream.py, the dashboard hotline/dashboard/.)"""
from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from hotline import keys, scope
from hotline.callbacks.schemas import rate_weights
from hotline.endpoints import parse_query
from hotline.errors import ApiError, json_response
from hotline.jsoncodec import iso
from hotline.replica import lag_tolerant, on_replica, read_pool
from hotline.reports import rates, rollup, service
from hotline.reports.escalations import ReportQuery, escalation_report
from hotline.reports.schemas import AttentionQuery, CountsQuery
from hotline.tickets.serialize import deadline_provisional
from hotline.wallclock import now as app_now
from models.enums import Status
from routing.escalation import StepCode

TZ = ZoneInfo("Asia/Shanghai")


async def rates_report(request: web.Request) -> dict:
    app = request.app
    pool = read_pool(request)
    q = parse_query(request, rates.RatesQuery)
    principal = request[keys.PRINCIPAL]
    today = app_now(app).astimezone(TZ).date()
    to = q.to or today
    frm = q.from_ or to - timedelta(days=29)
    if frm > to:
        raise ApiError(422, "请求参数校验失败", [{"field": "to", "message": "不能早于 from"}])
    area = await scope.report_area(pool, principal, q.area)
    if q.group_by == "area" and area is None:
        area = app[keys.SETTINGS].home_province
    weights = rate_weights(app[keys.SETTINGS])
    filters = {"from": frm, "to": to, "weights": weights, "now": app_now(app), "area": area, "unit_id": await service.resolve_unit(pool, q.unit),
               "category": q.category, "channel": q.channel.value if q.channel else None,
               "requester_type": q.requester_type.value if q.requester_type else None}
    if not on_replica(request):  # a standby is read-only; the report counts the pending deltas either way
        await rollup.fold(pool)
    rows = await rates.run(pool, q.group_by, q.period, filters)
    total = await rates.run(pool, "total", "all", filters)
    area_name = await service.area_name(pool, area) if area else None
    return {
        "from": frm.isoformat(), "to": to.isoformat(), "group_by": q.group_by, "period": q.period,
        "area": {"code": area, "name": area_name} if area else None,
        "filters": {k: filters[k] for k in ("unit_id", "category", "channel", "requester_type")},
        "weights": dict(zip(("response", "resolution", "satisfaction"), weights)),
        "columns": rates.COLUMN_LABELS, "rows": rows, "total": total[0] if total else None,
    }


@lag_tolerant
async def rates_json(request: web.Request) -> web.Response:
    return json_response(await rates_report(request))


def _cell(v) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula is quoted with a leading apostrophe."""
    if v is None:
        return ""
    if isinstance(v, (int, float)):
        return repr(v) if isinstance(v, float) else str(v)
    s = str(v)
    return "'" + s if s[:1] in ("=", "+", "-", "@", "\t", "\r") else s


@lag_tolerant
async def rates_csv(request: web.Request) -> web.Response:
    report = await rates_report(request)
    cols = list(rates.COLUMN_LABELS)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([rates.COLUMN_LABELS[c] for c in cols])
    w.writerow(cols)
    for row in report["rows"]:
        w.writerow([_cell(row.get(c)) for c in cols])
    name = f"rates_{report['group_by']}_{report['period']}_{report['from']}_{report['to']}.csv"
    return web.Response(body=("\ufeff" + buf.getvalue()).encode("utf-8"), headers={
        "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": f'attachment; filename="{name}"'})


@lag_tolerant
async def attention(request: web.Request) -> web.Response:
    """Open tickets overdue for signing or reply, or with an escalation step: the supervisors' worklist."""
    app = request.app
    pool = read_pool(request)
    q = parse_query(request, AttentionQuery)
    principal = request[keys.PRINCIPAL]
    now = app_now(app)
    area = await scope.report_area(pool, principal, q.area)
    unit_id = await service.resolve_unit(pool, q.unit)
    rows = await service.overdue(pool, principal, now, area, unit_id, q.limit)
    items = []
    for r in rows:
        d = dict(r)
        for k in ("sign_by", "reply_by", "last_step_at"):
            d[k] = iso(d[k])
        d["status_label"] = Status(r["status"]).label
        d["last_step_label"] = StepCode(r["last_step"]).label if r["last_step"] else None
        d["overdue_label"] = {"reply": "办理超期", "sign": "签收超期"}.get(r["overdue"])
        d["escalation_steps"] = list(r["escalation_steps"] or [])
        d["deadline_provisional"] = deadline_provisional(r["sign_by"], r["reply_by"])
        items.append(d)
    return json_response({"as_of": iso(now), "items": items})


@lag_tolerant
async def escalations(request: web.Request) -> web.Response:
    """The supervisors' escalation report (督办报表)."""
    q = parse_query(request, ReportQuery)
    pool = read_pool(request)
    await scope.report_area(pool, request[keys.PRINCIPAL], q.area)  # 403 outside the area
    body = await escalation_report(pool, request[keys.PRINCIPAL], q, app_now(request.app))
    return json_response(body)


@lag_tolerant
async def linkage_counts(request: web.Request) -> web.Response:
    """双非 received from 110, matters pushed to 110 and joint ones, by day and area."""
    q = parse_query(request, CountsQuery)
    to = q.to or app_now(request.app).astimezone(TZ).date()
    frm = q.from_ or to - timedelta(days=29)
    if frm > to:
        raise ApiError(422, "请求参数校验失败", [{"field": "to", "message": "不能早于 from"}])
    start = datetime.combine(frm, time.min, tzinfo=TZ)
    end = datetime.combine(to + timedelta(days=1), time.min, tzinfo=TZ)  # to is inclusive, as in the rates
    pool = read_pool(request)
    if q.area:
        await scope.report_area(pool, request[keys.PRINCIPAL], q.area)
    rows = await service.linkage_counts(pool, request[keys.PRINCIPAL], start, end, q.area)
    items = [{**dict(r), "day": r["day"].isoformat()} for r in rows]
    totals = {k: sum(i[k] for i in items) for k in ("received_from_110", "pushed_to_110", "joint", "review")}
    return json_response({"from": frm.isoformat(), "to": to.isoformat(), "items": items, "totals": totals})
