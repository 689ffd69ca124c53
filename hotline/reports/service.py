"""Data access for the reports room: report scope checks, the overdue worklist and the 12345–110 counts.

(The rates are in reports/rates.py, the escalation report in reports/escalations.py.)
"""
from __future__ import annotations

from datetime import datetime

import asyncpg

from hotline import scope
from hotline.auth import Principal
from hotline.errors import ApiError

Db = asyncpg.Pool | asyncpg.Connection


async def area_name(db: Db, code: str) -> str | None:
    return await db.fetchval("SELECT name FROM areas WHERE code = $1", code)


# Two statements, not one with `$1 ~ '^[0-9]+$' AND id = $1::int`: a cached generic plan may cast before
# it tests, and a unit code such as "t-84a" then failed as invalid input (422) once a numeric id had come first.
UNIT_BY_CODE = "SELECT id FROM units WHERE code = $1"
UNIT_BY_CODE_OR_ID = "SELECT id FROM units WHERE code = $1::text OR id = $2::int ORDER BY code = $1::text DESC LIMIT 1"


async def resolve_unit(db: Db, unit: str | None) -> int | None:
    """The units.id a report filter names (by code or by id), or 422."""
    if unit is None or unit == "":
        return None
    if unit.isascii() and unit.isdigit() and len(unit) <= 9:
        row = await db.fetchval(UNIT_BY_CODE_OR_ID, unit, int(unit))
    else:
        row = await db.fetchval(UNIT_BY_CODE, unit)
    if row is None:
        raise ApiError(422, "承办单位不存在", [{"field": "unit", "message": f"未知单位 {unit}"}])
    return row


OPEN = ("dispatched", "signed", "in_progress", "returned")
OVERDUE_SQL = """
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


async def overdue(db: Db, principal: Principal, now: datetime, area: str | None, unit_id: int | None,
                  limit: int) -> list[asyncpg.Record]:
    """Open tickets overdue for signing or reply, or with an escalation step, within the caller's scope."""
    args: list = [now, list(OPEN)]
    where = [scope.clause(principal, args)]
    if area:
        args.append(area)
        n = len(args)
        where.append(f"(t.province_code = ${n} OR t.city_code = ${n} OR t.county_code = ${n} OR t.area_code = ${n})")
    if unit_id is not None:
        args.append(unit_id)
        where.append(f"t.unit_id = ${len(args)}")
    return await db.fetch(OVERDUE_SQL.format(where=" AND ".join(where), limit=int(limit)), *args)


LINKAGE_COUNTS = """
SELECT (t.created_at AT TIME ZONE 'Asia/Shanghai')::date AS day, t.city_code, t.county_code,
       count(*) FILTER (WHERE t.channel = '110') AS received_from_110,
       count(*) FILTER (WHERE t.disposition = '110') AS pushed_to_110,
       count(*) FILTER (WHERE t.disposition = 'joint') AS joint,
       count(*) FILTER (WHERE t.split_review) AS review
FROM tickets t
WHERE t.created_at >= $1 AND t.created_at < $2 AND {scope}
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""


async def linkage_counts(db: Db, principal: Principal, start: datetime, end: datetime,
                         area: str | None) -> list[asyncpg.Record]:
    """双非 received from 110, matters pushed to 110 and joint ones, by day and area, within scope."""
    args: list = [start, end]
    where = scope.clause(principal, args)
    if area:
        args.append(area)
        where += f" AND ${len(args)} IN (t.province_code, t.city_code, t.county_code)"
    return await db.fetch(LINKAGE_COUNTS.format(scope=where), *args)
