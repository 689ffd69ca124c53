"""Data access for hotspots and surges (plain SQL): window and baseline counts, episodes, the report."""
from __future__ import annotations

from datetime import datetime

import asyncpg

Db = asyncpg.Pool | asyncpg.Connection

# Several workers may run the detector at once: the one holding this lock counts, the others skip.
TRY_LOCK = "SELECT pg_try_advisory_xact_lock(hashtext('hotline-hotspots'))"

# Every call with a place and a category counts (a repeat call too: the hotspot is about calls).
WINDOW_COUNTS = """
SELECT county_code, category_code, count(*)::int AS n, (array_agg(id ORDER BY id DESC))[1:$3] AS ids
FROM tickets
WHERE created_at >= $1 AND created_at < $2 AND county_code IS NOT NULL AND category_code IS NOT NULL
GROUP BY county_code, category_code
HAVING count(*) >= $4
"""
BASELINE_COUNTS = """
SELECT k.county, k.category, count(t.id)::int AS n
FROM unnest($3::text[], $4::text[]) AS k(county, category)
LEFT JOIN tickets t ON t.county_code = k.county AND t.category_code = k.category
                   AND t.created_at >= $1 AND t.created_at < $2
GROUP BY k.county, k.category
"""


async def window_counts(conn: Db, start: datetime, end: datetime, min_count: int, max_ids: int):
    """Calls per county x category in [start, end), those with at least min_count, newest ids first."""
    return await conn.fetch(WINDOW_COUNTS, start, end, max_ids, min_count)


async def baseline_counts(conn: Db, start: datetime, end: datetime, keys: list[tuple[str, str]]) -> dict:
    """Calls of each (county, category) key in [start, end)."""
    if not keys:
        return {}
    rows = await conn.fetch(BASELINE_COUNTS, start, end, [k[0] for k in keys], [k[1] for k in keys])
    return {(r["county"], r["category"]): r["n"] for r in rows}


# A county's calls in the window (d = 0) and in the same hours of each of the days before (d > 0).
SURGE_COUNTS = """
SELECT t.county_code, count(*) FILTER (WHERE k.d = 0)::int AS n, count(*) FILTER (WHERE k.d > 0)::int AS base
FROM unnest($1::timestamptz[], $2::timestamptz[], $3::int[]) AS k(lo, hi, d)
JOIN tickets t ON t.created_at >= k.lo AND t.created_at < k.hi
WHERE t.county_code IS NOT NULL
GROUP BY t.county_code
HAVING count(*) FILTER (WHERE k.d = 0) >= $4
"""


async def surge_counts(conn: Db, spans: list[tuple[datetime, datetime, int]], min_count: int):
    return await conn.fetch(SURGE_COUNTS, [s[0] for s in spans], [s[1] for s in spans], [s[2] for s in spans],
                            min_count)


# Open or refresh an episode; `inserted` says whether this call opened it (announce only then).
UPSERT_HOTSPOT = """
INSERT INTO hotspots (county_code, category_code, window_hours, started_at, last_seen_at, count, peak_count,
                      baseline, expected, p_value, score, ticket_ids)
VALUES ($1, $2, $3, $4, $4, $5, $5, $6, $7, $8, $9, $10)
ON CONFLICT (county_code, category_code) WHERE ended_at IS NULL DO UPDATE
SET last_seen_at = EXCLUDED.last_seen_at, count = EXCLUDED.count,
    peak_count = greatest(hotspots.peak_count, EXCLUDED.count), baseline = EXCLUDED.baseline,
    expected = EXCLUDED.expected, p_value = EXCLUDED.p_value, score = EXCLUDED.score, ticket_ids = EXCLUDED.ticket_ids
RETURNING id, (xmax = 0) AS inserted
"""
UPSERT_SURGE = """
INSERT INTO surges (county_code, window_hours, started_at, last_seen_at, count, peak_count, baseline, expected,
                    p_value, score)
VALUES ($1, $2, $3, $3, $4, $4, $5, $6, $7, $8)
ON CONFLICT (county_code) WHERE ended_at IS NULL DO UPDATE
SET last_seen_at = EXCLUDED.last_seen_at, count = EXCLUDED.count, peak_count = greatest(surges.peak_count,
    EXCLUDED.count), baseline = EXCLUDED.baseline, expected = EXCLUDED.expected, p_value = EXCLUDED.p_value,
    score = EXCLUDED.score
RETURNING id, (xmax = 0) AS inserted
"""
END_QUIET = "UPDATE {table} SET ended_at = $1 WHERE ended_at IS NULL AND last_seen_at < $2 RETURNING id"


async def upsert_hotspot(conn, county: str, category: str, window_hours: float, now: datetime, j, ids):
    return await conn.fetchrow(UPSERT_HOTSPOT, county, category, window_hours, now, j.count, j.baseline,
                               j.expected, j.p_value, j.score, ids)


async def upsert_surge(conn, county: str, window_hours: float, now: datetime, j):
    return await conn.fetchrow(UPSERT_SURGE, county, window_hours, now, j.count, j.baseline, j.expected,
                               j.p_value, j.score)


async def end_quiet(conn, table: str, now: datetime, quiet_since: datetime) -> int:
    """End the episodes of `table` not flagged since quiet_since; returns how many ended."""
    assert table in ("hotspots", "surges")
    return len(await conn.fetch(END_QUIET.format(table=table), now, quiet_since))


# --- the report ---------------------------------------------------------------------------------

PLACE = """
LEFT JOIN areas a ON a.code = h.county_code
LEFT JOIN areas ci ON ci.code = a.parent_code
"""
IN_AREA = "($1::text IS NULL OR EXISTS (SELECT 1 FROM area_ancestors x WHERE x.code = h.county_code AND x.ancestor = $1))"

HOTSPOTS = f"""
SELECT h.id, h.county_code, a.name AS area_name, ci.code AS city_code, ci.parent_code AS province_code,
       h.category_code, c.name AS category_name, h.window_hours, h.started_at, h.last_seen_at, h.count,
       h.peak_count, h.baseline, h.expected, h.p_value, h.score, h.ticket_ids
FROM hotspots h {PLACE}
LEFT JOIN categories c ON c.code = h.category_code
WHERE h.ended_at IS NULL AND {IN_AREA} AND ($2::text IS NULL OR h.category_code = $2)
ORDER BY h.score DESC, h.id
LIMIT $3
"""
SURGES = f"""
SELECT h.id, h.county_code, a.name AS area_name, ci.code AS city_code, ci.parent_code AS province_code,
       h.window_hours, h.started_at, h.last_seen_at, h.ended_at, h.count, h.peak_count, h.baseline, h.expected,
       h.p_value, h.score, h.grouped
FROM surges h {PLACE}
WHERE h.ended_at IS NULL AND {IN_AREA}
ORDER BY h.score DESC, h.id
LIMIT $2
"""


async def open_hotspots(db: Db, area: str | None, category: str | None, limit: int):
    """Open hotspot episodes in the area's subtree (all when None), highest score first."""
    return await db.fetch(HOTSPOTS, area, category, limit)


async def hotspot(db: Db, hotspot_id: int):
    """One episode with its place and category names (for the announcement)."""
    return await db.fetchrow(HOTSPOTS.replace("h.ended_at IS NULL AND", "h.id = $4 AND"), None, None, 1,
                             hotspot_id)


async def open_surges(db: Db, area: str | None, limit: int):
    return await db.fetch(SURGES, area, limit)


async def surge(db: Db, surge_id: int):
    return await db.fetchrow(SURGES.replace("h.ended_at IS NULL AND", "h.id = $3 AND"), None, 1, surge_id)
