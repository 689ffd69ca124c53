"""Data access for the dashboard: the counties a map shows and the open/overdue tickets per county.

Open (在办) is every ticket not yet answered: received, triage, dispatched, signed, in progress,
returned. Overdue (超期) is the overdue worklist's rule (hotline.reports.service.overdue): a ticket
with a unit past its reply deadline, or still unsigned past its sign deadline. Both within the
caller's scope (hotline.scope.clause) and the area asked for.
"""
from __future__ import annotations

from datetime import datetime

import asyncpg

from hotline import scope
from hotline.auth import Principal
from hotline.reports.service import OPEN as WITH_UNIT

Db = asyncpg.Pool | asyncpg.Connection
OPEN = ("received", "triage", *WITH_UNIT)

AREA = "SELECT code, name, level::text AS level, parent_code FROM areas WHERE code = $1"
# The counties at or below an area; for an area below county level, the county it lies in.
COUNTIES = """
SELECT a.code, a.name, a.parent_code AS city_code, p.name AS city_name
FROM areas a JOIN area_ancestors x ON x.code = a.code LEFT JOIN areas p ON p.code = a.parent_code
WHERE a.level = 'county' AND x.ancestor = $1
UNION
SELECT a.code, a.name, a.parent_code, p.name
FROM areas a JOIN area_ancestors x ON x.ancestor = a.code LEFT JOIN areas p ON p.code = a.parent_code
WHERE a.level = 'county' AND x.code = $1
ORDER BY 1
"""
COUNTS = """
SELECT t.county_code AS code, count(*) AS open,
       count(*) FILTER (WHERE t.status = ANY($3::ticket_status[])
                        AND (t.reply_by < $1 OR (t.status = 'dispatched' AND t.sign_by < $1))) AS overdue
FROM tickets t
WHERE t.status = ANY($2::ticket_status[]) AND {where}
GROUP BY 1
"""


async def area(db: Db, code: str) -> asyncpg.Record | None:
    return await db.fetchrow(AREA, code)


async def counties(db: Db, area_code: str) -> list[asyncpg.Record]:
    return await db.fetch(COUNTIES, area_code)


def area_filter(area_code: str, args: list) -> str:
    args.append(area_code)
    n = len(args)
    return f"(t.province_code = ${n} OR t.city_code = ${n} OR t.county_code = ${n} OR t.area_code = ${n})"


async def county_counts(db: Db, principal: Principal, now: datetime, area_code: str) -> list[asyncpg.Record]:
    """Open and overdue tickets per county code (NULL: placed above county level) in scope and area."""
    args: list = [now, list(OPEN), list(WITH_UNIT)]
    where = [scope.clause(principal, args), area_filter(area_code, args)]
    return await db.fetch(COUNTS.format(where=" AND ".join(where)), *args)
