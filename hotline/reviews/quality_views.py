"""HTTP handlers of 质检: the supervisors' report of suspicious evaluation results, and the ruling on a flag."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from hotline import keys, scope
from hotline.endpoints import parse_body, parse_id, parse_query
from hotline.errors import ApiError, json_response
from hotline.jsoncodec import iso
from hotline.reviews import quality
from hotline.reviews.schemas import FlagRulingIn, QualityQuery
from hotline.wallclock import now as app_now
from models.enums import Role
from routing import quality as test

SHANGHAI = ZoneInfo("Asia/Shanghai")


def period(q, now: datetime) -> tuple:
    """(first day, last day, start, end) of a report: the days given, else the 30 days to today."""
    last = q.to or now.astimezone(SHANGHAI).date()
    first = q.from_ or last - timedelta(days=29)
    if last < first:
        raise ApiError(422, "请求参数校验失败", [{"field": "to", "message": "不能早于 from"}])
    return (first, last, datetime.combine(first, time(0), SHANGHAI),
            datetime.combine(last + timedelta(days=1), time(0), SHANGHAI))


def flag_out(r) -> dict:
    return {"id": r["id"], "check": r["check_code"], "check_label": quality.CHECK_LABELS[r["check_code"]],
            "detail": r["detail"], "flagged_at": iso(r["flagged_at"]), "ruling": r["ruling"],
            "ruling_label": quality.RULING_LABELS[r["ruling"]], "ruling_reason": r["ruling_reason"],
            "ruled_at": iso(r["ruled_at"]), "ticket_id": r["ticket_id"], "ticket_no": r["ticket_no"],
            "unit_id": r["unit_id"], "unit_name": r["unit_name"],
            "result": {"id": r["result_id"], "round": r["round"], "via": r["via"], "satisfaction": r["satisfaction"],
                       "solved": r["solved"], "rated_at": iso(r["rated_at"]),
                       "counted": r["excluded_at"] is None}}


def pattern_out(p: test.Pattern, names: dict) -> dict:
    return {"unit_id": p.unit_id, "unit_name": names.get(p.unit_id), "results": p.n,
            "satisfied": p.counts[0], "basically_satisfied": p.counts[1], "unsatisfied": p.counts[2],
            "satisfaction_rate": p.rate, "peers_satisfaction_rate": p.peers_rate, "chi2": p.chi2, "df": p.df,
            "p_value": float(f"{p.p_value:.3g}"), "flagged": p.flagged, "direction": p.direction,
            "direction_label": {"better": "明显好于同级", "worse": "明显差于同级", "same": "与同级相同"}[p.direction]}


async def quality_report(request: web.Request) -> web.Response:
    """Flags on the period's results (the checks run first, idempotently) and the units' pattern test."""
    app, principal = request.app, request[keys.PRINCIPAL]
    q = parse_query(request, QualityQuery)
    settings, pool = app[keys.SETTINGS], app[keys.POOL]
    first, last, start, end = period(q, app_now(app))
    area = await scope.report_area(pool, principal, q.area)
    async with pool.acquire() as conn:
        await quality.scan(conn, start, end, settings)
    # an area asked for (within the caller's, scope.report_area): the supervisor's rule for that area
    viewer = principal if area is None else replace(principal, role=Role.SUPERVISOR, area_code=area)
    rows = await quality.flags(pool, viewer, start, end, q.ruling, q.check, q.limit)
    counts = await quality.unit_counts(pool, viewer, start, end)
    patterns = test.outliers(counts, min_n=settings.quality_unit_min_results, alpha=settings.quality_alpha)
    names = {r["id"]: r["name"] for r in await pool.fetch("SELECT id, name FROM units WHERE id = ANY($1::int[])",
                                                            [p.unit_id for p in patterns])}
    return json_response({
        "from": first.isoformat(), "to": last.isoformat(), "area": area,
        "checks": {code: label for code, label in quality.CHECK_LABELS.items()},
        "thresholds": {"phone_ratings": settings.quality_phone_ratings,
                       "callback_seconds": settings.quality_callback_seconds,
                       "unit_min_results": settings.quality_unit_min_results, "alpha": settings.quality_alpha},
        "flags": [flag_out(r) for r in rows],
        "units": {"test": test.describe(settings.quality_unit_min_results, settings.quality_alpha, len(patterns)),
                  "items": [pattern_out(p, names) for p in patterns]},
    })


def not_found(flag_id: int) -> ApiError:
    return ApiError(404, "质检记录不存在或无权查看", [{"field": "id", "message": str(flag_id)}])


async def rule_flag(request: web.Request) -> web.Response:
    """A supervisor's ruling on one flag (once): upheld takes the result out of the rates."""
    body = await parse_body(request, FlagRulingIn, request.app[keys.SETTINGS].max_body_bytes)
    flag_id, principal = parse_id(request.match_info["id"]), request[keys.PRINCIPAL]
    now = app_now(request.app)
    async with request.app[keys.POOL].acquire() as conn, conn.transaction():
        flag = await quality.get_locked(conn, flag_id)
        if flag is None or (principal.role == Role.SUPERVISOR and not scope.in_area(principal, flag)):
            raise not_found(flag_id)
        if flag["ruling"] != "pending":
            raise ApiError(409, "该质检记录已认定", [{"field": "ruling", "message": quality.RULING_LABELS[flag["ruling"]]}])
        counted = await quality.rule(conn, flag, principal, body.upheld, body.reason, now)
    ruling = "upheld" if body.upheld else "dismissed"
    return json_response({"id": flag_id, "ruling": ruling, "ruling_label": quality.RULING_LABELS[ruling],
                          "ruled_at": iso(now), "result_counted": counted})
