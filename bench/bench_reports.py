"""Rates report speed: the rollup at province-year scale against a full scan of raw tickets.

Generates `--scale` tickets' worth of rate_rollup rows (a year, the sample
province's units, counties, categories, channels and requester types) in an
embedded PostgreSQL in a temporary state dir, then times the real report code
(hotline.reports.rates.run) for one month across the province: by unit, by area
rolled up from counties to cities, and the daily trend. Beside it, the same
by-unit report computed by a full scan of `--raw` raw tickets (with their
callback results), and that time extrapolated linearly to `--scale`.

    python3 bench/bench_reports.py                      # 10,000,000 tickets' worth, 500,000 raw
    python3 bench/bench_reports.py --scale 1000000 --raw 100000 --runs 3

Prints a markdown table; the target is a median under 1 s for the rollup reports.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402

from hotline import db  # noqa: E402
from hotline.embedded import EmbeddedPostgres  # noqa: E402
from hotline.reports import rates  # noqa: E402
from hotline.seed import seed_all  # noqa: E402

YEAR = 2025
MONTH = (date(YEAR, 6, 1), date(YEAR, 6, 30))
WEIGHTS = (0.2, 0.4, 0.4)
TICKETS_PER_ROW = 2.5   # mean dispatched per generated rollup row (1..4)

# One day's rollup rows: random unit (its own area, or a county of its city for city/province units),
# category, channel, requester type; counters consistent with each other.
GEN_ROLLUP = """
WITH u AS (
    SELECT array_agg(id ORDER BY id) AS ids, array_agg(area_code ORDER BY id) AS areas FROM units
), c AS (SELECT array_agg(code ORDER BY code) AS codes FROM categories),
ch AS (SELECT enum_range(NULL::channel) AS v),
g AS (
    SELECT 1 + floor(random() * array_length(u.ids, 1))::int AS ui,
           c.codes[1 + floor(random() * array_length(c.codes, 1))::int] AS cat,
           ch.v[1 + floor(random() * 6)::int] AS chan,
           (CASE WHEN random() < 0.12 THEN 'enterprise' ELSE 'citizen' END)::requester_type AS rt,
           1 + floor(random() * 4)::int AS d, u.ids, u.areas
    FROM u, c, ch, generate_series(1, $2)
)
INSERT INTO rate_rollup (day, unit_id, area_code, category_code, channel, requester_type, received, dispatched,
    signed, signed_on_time, replied, replied_on_time, claimed_solved, overdue, returned, reopened, escalated,
    supervised, closed, cb_reached, cb_unreachable, cb_satisfied, cb_basic, cb_unsatisfied, cb_solved, cb_unsolved)
SELECT $1::date, ids[ui], areas[ui], cat, chan, rt, d, d,
       d, d - (random() < 0.08)::int, d, d - (random() < 0.1)::int, d - (random() < 0.1)::int,
       (random() < 0.15)::int, (random() < 0.04)::int, (random() < 0.06)::int, (random() < 0.01)::int,
       (random() < 0.03)::int, d, d - (random() < 0.2)::int, (random() < 0.2)::int,
       greatest(d - 1 - (random() < 0.2)::int, 0), 1 - (random() < 0.3)::int, (random() < 0.2)::int,
       greatest(d - 1 - (random() < 0.4)::int, 0), (random() < 0.3)::int
FROM g
ON CONFLICT DO NOTHING
"""

GEN_RAW = """
WITH u AS (SELECT array_agg(id ORDER BY id) AS ids, array_agg(area_code ORDER BY id) AS areas FROM units),
c AS (SELECT array_agg(code ORDER BY code) AS codes FROM categories),
g AS (
    SELECT i, 1 + floor(random() * array_length(u.ids, 1))::int AS ui,
           c.codes[1 + floor(random() * array_length(c.codes, 1))::int] AS cat,
           timestamptz '{year}-01-01 08:00+08' + random() * interval '364 days' AS disp,
           random() AS r, u.ids, u.areas
    FROM u, c, generate_series($1::bigint, $2::bigint) i
)
INSERT INTO tickets (ticket_no, channel, requester_type, requester_org, title, content, area_code, province_code,
                     city_code, county_code, category_code, unit_id, status, created_at, dispatched_at, sign_by,
                     signed_at, reply_by, replied_at, claimed_solved)
SELECT 'B' || i, (enum_range(NULL::channel))[1 + (i % 6)::int],
       (CASE WHEN r < 0.12 THEN 'enterprise' ELSE 'citizen' END)::requester_type,
       CASE WHEN r < 0.12 THEN '某企业' ELSE '' END, '基准', '基准诉求内容',
       areas[ui], '320000', NULL, NULL, cat, ids[ui], 'replied', disp - interval '1 hour', disp,
       disp + interval '2 hours', disp + random() * interval '3 hours', disp + interval '5 days',
       disp + random() * interval '7 days', random() < 0.9
FROM g
"""
GEN_RAW_CALLBACKS = """
INSERT INTO callback_results (ticket_id, round, outcome, via, satisfaction, solved, attempts, decision, unit_id,
                              requester_type, at)
SELECT id, 0, 'reached', 'phone',
       (ARRAY['satisfied', 'basically_satisfied', 'unsatisfied'])[1 + floor(random() * 3)::int],
       random() < 0.7, 1, 'close', unit_id, requester_type, replied_at + interval '1 day'
FROM tickets WHERE random() < 0.8
"""

# The by-unit report straight from raw rows: every ticket and callback scanned.
RAW_REPORT = """
WITH t AS (
    SELECT unit_id,
        count(*) FILTER (WHERE rollup_day(dispatched_at) BETWEEN $1 AND $2) AS dispatched,
        count(*) FILTER (WHERE rollup_day(dispatched_at) BETWEEN $1 AND $2 AND signed_at <= sign_by) AS signed_on_time,
        count(*) FILTER (WHERE rollup_day(replied_at) BETWEEN $1 AND $2) AS replied,
        count(*) FILTER (WHERE rollup_day(replied_at) BETWEEN $1 AND $2 AND replied_at <= reply_by) AS replied_on_time,
        count(*) FILTER (WHERE rollup_day(replied_at) BETWEEN $1 AND $2 AND claimed_solved) AS claimed_solved
    FROM tickets GROUP BY unit_id
), cb AS (
    SELECT unit_id, count(*) FILTER (WHERE outcome = 'reached') AS reached,
           count(*) FILTER (WHERE solved) AS solved,
           count(*) FILTER (WHERE satisfaction IN ('satisfied', 'basically_satisfied')) AS satisfied
    FROM callback_results WHERE rollup_day(at) BETWEEN $1 AND $2 GROUP BY unit_id
)
SELECT t.unit_id, rate(signed_on_time, dispatched) AS response_rate, rate(replied_on_time, replied) AS ontime_rate,
       rate(claimed_solved, replied) AS claimed, rate(cb.solved, cb.reached) AS real_resolution,
       rate(cb.satisfied, cb.reached) AS satisfaction
FROM t LEFT JOIN cb USING (unit_id)
"""


async def timed(fn, runs: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = await fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


async def bench(url: str, scale: int, raw: int, runs: int, explain: bool = False) -> tuple:
    conn = await db.connect(url)
    try:
        await db.migrate(conn)
        await seed_all(conn)
        t0 = time.perf_counter()
        per_day = int(scale / 365 / TICKETS_PER_ROW) + 1
        days = [date.fromordinal(date(YEAR, 1, 1).toordinal() + i) for i in range(365)]
        for d in days:
            await conn.execute(GEN_ROLLUP, d, per_day)
        await conn.execute("ANALYZE rate_rollup")
        gen_rollup = time.perf_counter() - t0
        rollup_rows = await conn.fetchval("SELECT count(*) FROM rate_rollup")
        worth = await conn.fetchval("SELECT sum(dispatched) FROM rate_rollup")

        t0 = time.perf_counter()
        await conn.execute("SET session_replication_role = replica")  # bulk load: no rollup triggers
        step = 100_000
        for lo in range(1, raw + 1, step):
            await conn.execute(GEN_RAW.format(year=YEAR), lo, min(lo + step - 1, raw))
        await conn.execute(GEN_RAW_CALLBACKS)
        await conn.execute("SET session_replication_role = origin")
        await conn.execute("ANALYZE tickets; ANALYZE callback_results")
        gen_raw = time.perf_counter() - t0
    finally:
        await conn.close()

    pool = await db.create_pool(url, min_size=1, max_size=2)
    try:
        base = {"from": MONTH[0], "to": MONTH[1], "weights": WEIGHTS, "area": None, "unit_id": None,
                "category": None, "channel": None, "requester_type": None}
        by_unit, rows_u = await timed(lambda: rates.run(pool, "unit", "all", base), runs)
        by_area, rows_a = await timed(lambda: rates.run(pool, "area", "all", {**base, "area": "320000"}), runs)
        trend, rows_t = await timed(lambda: rates.run(pool, "total", "day", base), runs)
        by_unit_week, _ = await timed(lambda: rates.run(pool, "unit", "week", base), runs)
        raw_t, raw_rows = await timed(lambda: pool.fetch(RAW_REPORT, *MONTH), runs)
        if explain:
            sql, args = rates.build_sql("unit", "all", area_root=False, filters=base)
            for r in await pool.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql, *args):
                print(r[0])
        month_rows = await pool.fetchval("SELECT count(*) FROM rate_rollup WHERE day BETWEEN $1 AND $2", *MONTH)
    finally:
        await pool.close()
    extrapolated = raw_t * worth / max(raw, 1)
    print(f"\ngenerated {rollup_rows:,} rollup rows ({worth:,} tickets' worth) in {gen_rollup:.1f} s; "
          f"{raw:,} raw tickets in {gen_raw:.1f} s; {month_rows:,} rollup rows in the month\n")
    return [
        ("rollup: June, province, by unit", f"{worth:,} tickets' worth", len(rows_u), by_unit),
        ("rollup: June, province, by area (counties rolled up to cities)", f"{worth:,} tickets' worth",
         len(rows_a), by_area),
        ("rollup: June, province, daily trend", f"{worth:,} tickets' worth", len(rows_t), trend),
        ("rollup: June, province, by unit x week", f"{worth:,} tickets' worth", None, by_unit_week),
        ("raw full scan: June, province, by unit", f"{raw:,} tickets", len(raw_rows), raw_t),
        ("raw full scan extrapolated to the same scale", f"{worth:,} tickets (linear)", None, extrapolated),
    ], by_unit, extrapolated


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", type=int, default=10_000_000, help="tickets' worth of rollup data (a year)")
    p.add_argument("--raw", type=int, default=500_000, help="raw tickets for the full-scan baseline")
    p.add_argument("--runs", type=int, default=5, help="timed runs per report (median)")
    p.add_argument("--explain", action="store_true", help="print the by-unit report's query plan")
    args = p.parse_args()

    state = Path(tempfile.mkdtemp(prefix="hotline-bench-"))
    state.chmod(0o755)
    pg = EmbeddedPostgres(state)
    pg.start()
    try:
        async def run():
            admin = await asyncpg.connect(pg.admin_url())
            await admin.execute("DROP DATABASE IF EXISTS bench_reports WITH (FORCE)")
            await admin.execute("CREATE DATABASE bench_reports")
            await admin.close()
            return await bench(pg.admin_url("bench_reports"), args.scale, args.raw, args.runs, args.explain)

        rows, rollup_t, raw_t = asyncio.run(run())
    finally:
        pg.stop()
    print("| report | data | result rows | median |")
    print("|---|---|---:|---:|")
    for name, data, n, t in rows:
        print(f"| {name} | {data} | {'' if n is None else n} | {t * 1000:,.1f} ms |")
    print(f"\nrollup by unit vs raw full scan at the same scale: {raw_t / rollup_t:,.0f}x faster "
          f"(target for the rollup: < 1 s; got {rollup_t * 1000:,.0f} ms)")


if __name__ == "__main__":
    main()
