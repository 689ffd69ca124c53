"""Liveness, readiness and the OpenAPI document."""
from __future__ import annotations

import asyncio
from datetime import date

from aiohttp import web

from hotline import db, keys
from hotline.errors import json_response
from hotline.openapi import build_document
from hotline.replica import readiness as replica_readiness
from routing.calendar import covered_range, provisional_until


async def health(request: web.Request) -> web.Response:
    return json_response({"status": "ok"})


async def _check_postgres(app: web.Application) -> tuple[bool, str]:
    try:
        async with app[keys.POOL].acquire(timeout=2) as conn:
            missing = await db.pending(conn)
        if missing:
            return False, "待执行迁移：" + ", ".join(p.stem for p in missing)
        return True, "ok"
    except Exception as exc:  # any failure means not ready
        return False, f"不可用：{type(exc).__name__}"


async def _check_redis(app: web.Application) -> tuple[bool, str]:
    try:
        await asyncio.wait_for(app[keys.REDIS].ping(), timeout=0.5)
        return True, "ok"
    except Exception as exc:
        return False, f"不可用：{type(exc).__name__}（通知与限流降级，受理不受影响）"


CALENDAR_WARN_DAYS = 45


def _check_calendar(today: date | None = None) -> dict:
    """Warn (without failing readiness) when the holiday data runs out soon: deadlines past it cannot be set."""
    first, last = covered_range()
    today = today or date.today()
    days_left = (last - today).days
    ok = days_left > CALENDAR_WARN_DAYS
    detail = f"节假日正式数据覆盖 {first} 至 {last}"
    if not ok:
        detail += (f"，仅剩 {max(days_left, 0)} 天：此后的时限按法定节假日暂定计算（无调休），"
                   "请升级 chinese-calendar 或录入国务院放假通知（HOTLINE_CALENDAR_EXTRA）")
    return {"ok": ok, "detail": detail, "covered_until": last.isoformat(),
            "provisional_until": provisional_until().isoformat()}


async def ready(request: web.Request) -> web.Response:
    """200 while PostgreSQL is reachable with migrations current: this instance takes tickets.

    Valkey is optional for every request (rate counts fall back to the process, notifications
    stay in the database), so Valkey down answers 200 with status "degraded" and degraded=true:
    a load balancer must keep sending traffic here. 503 only when PostgreSQL is unusable."""
    (pg_ok, pg_msg), (redis_ok, redis_msg) = await asyncio.gather(_check_postgres(request.app),
                                                                  _check_redis(request.app))
    status = "not_ready" if not pg_ok else "ready" if redis_ok else "degraded"
    body = {"status": status, "degraded": pg_ok and not redis_ok,
            "checks": {"postgres": {"ok": pg_ok, "detail": pg_msg},
                       "valkey": {"ok": redis_ok, "detail": redis_msg},
                       "calendar": _check_calendar()}}
    replica = replica_readiness(request.app)
    if replica is not None:  # reported, never a reason to be unready: the primary answers the reports
        body["checks"]["replica"] = replica
    return json_response(body, status=200 if pg_ok else 503)


async def openapi(request: web.Request) -> web.Response:
    return json_response(build_document(list(request.app[keys.ENDPOINTS].values())))
