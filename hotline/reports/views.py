"""HTTP handlers: rates (JSON and CSV), the attention list, and the dashboard's static files."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from hotline import keys
from hotline.auth import Principal
from hotline.callbacks.models import rate_weights
from hotline.endpoints import Endpoint, parse_query
from hotline.errors import ApiError, json_response
from hotline.reports import rates, rollup
from hotline.tickets.service import scope_clause
from hotline.workflow.service import now as app_now
from models.enums import Role, Status

REPORT_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})
TZ = ZoneInfo("Asia/Shanghai")
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
STATIC_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
STATIC_NAME = re.compile(r"^[a-z0-9_-]{1,64}\.(html|js|css|svg)$")
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


async def _area_exists(pool, code: str) -> bool:
    return bool(await pool.fetchval("SELECT 1 FROM areas WHERE code = $1", code))


async def _within(pool, code: str, ancestor: str) -> bool:
    return bool(await pool.fetchval("SELECT 1 FROM area_ancestors WHERE code = $1 AND ancestor = $2",
                                    code, ancestor))


async def report_area(pool, principal: Principal, area: str | None) -> str | None:
    """The area the report is limited to: a supervisor's own subtree at most."""
    if area is not None and not await _area_exists(pool, area):
        raise ApiError(422, "行政区划代码不存在", [{"field": "area", "message": f"未知代码 {area}"}])
    if principal.role == Role.SUPERVISOR:
        if area is None:
            return principal.area_code
        if not await _within(pool, area, principal.area_code):
            raise ApiError(403, "只能查看本辖区的统计", [{"field": "area", "message": f"辖区：{principal.area_code}"}])
    return area


async def resolve_unit(pool, unit: str | None) -> int | None:
    if unit is None or unit == "":
        return None
    row = await pool.fetchval("SELECT id FROM units WHERE code = $1 OR ($1 ~ '^[0-9]{1,9}$' AND id = $1::int)",
                              unit)
    if row is None:
        raise ApiError(422, "承办单位不存在", [{"field": "unit", "message": f"未知单位 {unit}"}])
    return row


async def rates_report(request: web.Request) -> dict:
    app = request.app
    pool = app[keys.POOL]
    q = parse_query(request, rates.RatesQuery)
    principal = request[keys.PRINCIPAL]
    today = app_now(app).astimezone(TZ).date()
    to = q.to or today
    frm = q.from_ or to - timedelta(days=29)
    if frm > to:
        raise ApiError(422, "请求参数校验失败", [{"field": "from", "message": "from 不能晚于 to"}])
    area = await report_area(pool, principal, q.area)
    if q.group_by == "area" and area is None:
        area = app[keys.SETTINGS].home_province
    weights = rate_weights(app[keys.SETTINGS])
    filters = {"from": frm, "to": to, "weights": weights, "area": area, "unit_id": await resolve_unit(pool, q.unit),
               "category": q.category, "channel": q.channel.value if q.channel else None,
               "requester_type": q.requester_type.value if q.requester_type else None}
    await rollup.fold(pool)
    rows = await rates.run(pool, q.group_by, q.period, filters)
    total = await rates.run(pool, "total", "all", filters)
    area_name = await pool.fetchval("SELECT name FROM areas WHERE code = $1", area) if area else None
    return {
        "from": frm.isoformat(), "to": to.isoformat(), "group_by": q.group_by, "period": q.period,
        "area": {"code": area, "name": area_name} if area else None,
        "filters": {k: filters[k] for k in ("unit_id", "category", "channel", "requester_type")},
        "weights": dict(zip(("response", "resolution", "satisfaction"), weights)),
        "columns": rates.COLUMN_LABELS, "rows": rows, "total": total[0] if total else None,
    }


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


class AttentionQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    area: str | None = Field(None, pattern=r"^[0-9]{6,12}$", description="地区（含下级）")
    unit: str | None = Field(None, max_length=64, description="承办单位（编码或编号）")
    limit: int = Field(50, ge=1, le=200)


OPEN = ("dispatched", "signed", "in_progress", "returned")
ATTENTION_SQL = """
SELECT t.id, t.ticket_no, t.title, t.status::text AS status, t.urgency::text AS urgency, t.sign_by, t.reply_by,
       t.escalation_count, t.escalation_steps, t.reopen_count, t.tier::text AS tier,
       u.code AS unit_code, u.name AS unit_name, a.name AS area_name, e.step AS last_step, e.at AS last_step_at,
       CASE WHEN t.reply_by < $1 THEN 'reply' WHEN t.status = 'dispatched' AND t.sign_by < $1 THEN 'sign' END
           AS overdue
FROM tickets t
LEFT JOIN units u ON u.id = t.unit_id
LEFT JOIN areas a ON a.code = coalesce(t.county_code, t.city_code, t.province_code)
LEFT JOIN LATERAL (SELECT step, at FROM escalations x WHERE x.ticket_id = t.id ORDER BY x.at DESC, x.id DESC LIMIT 1) e
       ON true
WHERE t.status = ANY($2::ticket_status[])
  AND (t.reply_by < $1 OR (t.status = 'dispatched' AND t.sign_by < $1) OR t.escalation_count > 0
       OR e.step IS NOT NULL)
  AND {where}
ORDER BY e.at DESC NULLS LAST, coalesce(t.reply_by, t.sign_by) NULLS LAST, t.id DESC
LIMIT {limit}
"""
STEP_LABELS = {"warn": "预警", "chase": "催办", "supervise": "督办", "raise": "提级"}


async def attention(request: web.Request) -> web.Response:
    """Open tickets overdue for signing or reply, or with an escalation step: the supervisors' worklist."""
    app = request.app
    pool = app[keys.POOL]
    q = parse_query(request, AttentionQuery)
    principal = request[keys.PRINCIPAL]
    now = app_now(app)
    args: list = [now, list(OPEN)]
    where = [scope_clause(principal, args)]
    area = await report_area(pool, principal, q.area)
    if area:
        args.append(area)
        n = len(args)
        where.append(f"(t.province_code = ${n} OR t.city_code = ${n} OR t.county_code = ${n} OR t.area_code = ${n})")
    unit_id = await resolve_unit(pool, q.unit)
    if unit_id is not None:
        args.append(unit_id)
        where.append(f"t.unit_id = ${len(args)}")
    rows = await pool.fetch(ATTENTION_SQL.format(where=" AND ".join(where), limit=int(q.limit)), *args)
    items = []
    for r in rows:
        d = dict(r)
        for k in ("sign_by", "reply_by", "last_step_at"):
            d[k] = d[k].isoformat() if d[k] else None
        d["status_label"] = Status(r["status"]).label
        d["last_step_label"] = STEP_LABELS.get(r["last_step"]) if r["last_step"] else None
        d["overdue_label"] = {"reply": "办理超期", "sign": "签收超期"}.get(r["overdue"])
        d["escalation_steps"] = list(r["escalation_steps"] or [])
        items.append(d)
    return json_response({"as_of": now.isoformat(), "items": items})


def _static_response(name: str) -> web.Response:
    path = STATIC_DIR / name
    if not STATIC_NAME.match(name) or not path.is_file():
        raise ApiError(404, "资源不存在", [{"field": "name", "message": name}])
    return web.Response(body=path.read_bytes(), content_type=STATIC_TYPES[path.suffix], charset="utf-8",
                        headers={"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                                 "Cache-Control": "no-cache", "Referrer-Policy": "no-referrer"})


async def dashboard(request: web.Request) -> web.Response:
    return _static_response("dashboard.html")


async def static_file(request: web.Request) -> web.Response:
    return _static_response(request.match_info["name"])


ROUTES = [
    Endpoint("GET", "/api/v1/reports/rates", rates_json,
             "考核指标：响应率、按时办结率、自报/实际解决率、满意率、退单率、重办率、超时率、提级数、三率综合；"
             "按单位/地区（逐级汇总）/类别/渠道/诉求人类型 × 日/周/月",
             roles=REPORT_ROLES, query=rates.RatesQuery, tag="reports", scope="area"),
    Endpoint("GET", "/api/v1/reports/rates.csv", rates_csv, "考核指标 CSV 导出（参数同 /reports/rates）",
             roles=REPORT_ROLES, query=rates.RatesQuery, tag="reports", scope="area", media_type="text/csv"),
    Endpoint("GET", "/api/v1/reports/overdue", attention, "超期与督办中的工单清单（督办工作台）",
             roles=REPORT_ROLES, query=AttentionQuery, tag="reports", scope="area"),
    Endpoint("GET", "/dashboard", dashboard, "督办工作台页面（粘贴令牌使用）", tag="dashboard", media_type="text/html"),
    Endpoint("GET", "/static/{name}", static_file, "工作台静态文件", tag="dashboard", media_type="*/*"),
]
