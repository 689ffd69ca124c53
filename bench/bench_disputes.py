"""Disputes report speed at province scale: `--cases` dispute cases (default 1,000,000) over a year.

Generates cases in an embedded PostgreSQL in a temporary state dir (the sample province's
mediation network; random county, type, lead organisation, status, outcome, follow-up,
risk, listing and repeats, consistent with each other), then times the real report code
(hotline.disputes.reports.report) for the whole year across the province, grouped by area,
organisation, type, tier and month, one county's year by organisation, and a range with
partial first and last months. Each report is timed twice in the same run: read from the cases
(`raw=True`, the code before the rollup of migration 0020) and from the rollup (whole months)
plus the cases of partial months; both answers must be equal.

    python3 bench/bench_disputes.py                       # 1,000,000 cases
    python3 bench/bench_disputes.py --cases 200000 --runs 3

Prints a markdown table; the target is a median under 1 s.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402

from hotline import db  # noqa: E402
from hotline.auth import Principal  # noqa: E402
from hotline.disputes import reports  # noqa: E402
from hotline.disputes.schemas import ReportQuery  # noqa: E402
from hotline.embedded import EmbeddedPostgres  # noqa: E402
from hotline.seed import seed_all  # noqa: E402
from models.enums import Role  # noqa: E402

YEAR = 2026
NOW = datetime(YEAR, 12, 1, tzinfo=timezone.utc)

# One batch of cases: an organisation (its county or city), a type it handles, a day of the year;
# ~85% finished (settled 70% of those, then followed up), 3% listed, 8% repeats, risk skewed low.
GEN = """
WITH o AS (
    SELECT array_agg(o.id ORDER BY o.id) AS ids, array_agg(o.area_code ORDER BY o.id) AS areas,
           array_agg(a.parent_code ORDER BY o.id) AS parents, array_agg(o.tier ORDER BY o.id) AS tiers
    FROM mediation_orgs o JOIN areas a ON a.code = o.area_code
), t AS (SELECT ARRAY['neighbour','family','labour','property','land','demolition','medical','consumer',
                     'traffic','other'] AS codes),
g AS (
    SELECT 1 + floor(random() * array_length(o.ids, 1))::int AS oi, random() AS r_out, random() AS r_perf,
           random() AS r_risk, random() AS r_misc, 1 + floor(random() * 10)::int AS ti,
           make_timestamptz($2, 1, 1, 0, 0, 0, 'Asia/Shanghai') + random() * interval '334 days' AS created,
           o.ids, o.areas, o.parents, o.tiers, t.codes
    FROM o, t, generate_series(1, $1)
)
INSERT INTO dispute_cases (case_no, source, status, dispute_type, summary, area_code, city_code, county_code, people,
    repeat_calls, risk, risk_scored, lead_org_id, tier, assigned_at, due_at, listed, outcome, way_out, performed,
    resolved_at, closed_at, reopen_count, turned_violent, created_at, updated_at)
SELECT 'B' || lpad(nextval('case_no_seq')::text, 12, '0'),
       (ARRAY['ticket','110','walk_in','patrol','court'])[1 + floor(r_misc * 5)::int]::case_source,
       (CASE WHEN r_out < 0.15 THEN (CASE WHEN r_misc < 0.5 THEN 'mediating' ELSE 'assigned' END)
             WHEN r_out < 0.75 THEN (CASE WHEN r_perf < 0.8 THEN 'closed' ELSE 'settled' END)
             WHEN r_out < 0.95 THEN 'failed' ELSE 'terminated' END)::case_status,
       codes[ti], '基准测试纠纷', areas[oi], CASE WHEN tiers[oi] = 'city' THEN areas[oi] ELSE parents[oi] END,
       CASE WHEN tiers[oi] = 'city' THEN NULL ELSE areas[oi] END,
       2 + floor(r_misc * 4)::int, CASE WHEN r_misc < 0.08 THEN 1 ELSE 0 END,
       (CASE WHEN r_risk < 0.7 THEN 'low' WHEN r_risk < 0.92 THEN 'medium' WHEN r_risk < 0.99 THEN 'high'
             ELSE 'major' END)::risk_level,
       (CASE WHEN r_risk < 0.72 THEN 'low' WHEN r_risk < 0.93 THEN 'medium' WHEN r_risk < 0.99 THEN 'high'
             ELSE 'major' END)::risk_level,
       ids[oi], tiers[oi], created, created + interval '30 days', r_misc > 0.97,
       CASE WHEN r_out < 0.15 THEN NULL WHEN r_out < 0.75 THEN 'settled' WHEN r_out < 0.95 THEN 'failed'
            ELSE 'terminated' END,
       CASE WHEN r_out >= 0.75 AND r_out < 0.95 THEN 'litigation' END,
       CASE WHEN r_out >= 0.15 AND r_out < 0.75 AND r_perf < 0.8 THEN
            (CASE WHEN r_perf < 0.7 THEN 'yes' WHEN r_perf < 0.76 THEN 'partly' ELSE 'no' END) END,
       CASE WHEN r_out >= 0.15 THEN created + r_perf * interval '25 days' END,
       CASE WHEN r_out >= 0.15 AND r_out < 0.75 AND r_perf < 0.8 THEN created + interval '40 days' END,
       CASE WHEN r_misc > 0.995 THEN 1 ELSE 0 END, r_risk > 0.995, created, created
FROM g
"""


async def timed(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = await fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


async def bench(url: str, cases: int, runs: int) -> list[tuple]:
    conn = await db.connect(url)
    try:
        await db.migrate(conn)
        await seed_all(conn)
        t0 = time.perf_counter()
        step = 100_000
        for done in range(0, cases, step):
            await conn.execute(GEN, min(step, cases - done), YEAR)
        print(f"generated {cases:,} cases in {time.perf_counter() - t0:.1f}s (rollup deltas by trigger)",
              file=sys.stderr)
        t0 = time.perf_counter()
        touched = await conn.fetchval("SELECT dispute_rollup_fold()")
        print(f"folded the deltas into {touched:,} rollup rows in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
        await conn.execute("VACUUM ANALYZE dispute_cases")   # what autovacuum does to a settled table
        await conn.execute("VACUUM ANALYZE dispute_rollup")
    finally:
        await conn.close()
    pool = await db.create_pool(url, min_size=1, max_size=2)
    admin = Principal(0, Role.ADMIN)
    supervisor = Principal(0, Role.SUPERVISOR, area_code="320682")
    rows = []
    try:
        for name, who, params in [
            ("province, year, by area", admin, {"by": "area"}),
            ("province, year, by organisation", admin, {"by": "org"}),
            ("province, year, by type", admin, {"by": "type"}),
            ("province, year, by tier", admin, {"by": "tier"}),
            ("province, year, by month", admin, {"by": "month"}),
            ("one county (supervisor), year, by organisation", supervisor, {"by": "org"}),
            ("province, 02-10..11-20 (partial months), by month", admin,
             {"by": "month", "from": date(YEAR, 2, 10), "to": date(YEAR, 11, 20)}),
        ]:
            q = ReportQuery.model_validate({"from": date(YEAR, 1, 1), "to": date(YEAR, 12, 31), **params})
            before, slow = await timed(lambda: reports.report(pool, who, q, NOW, raw=True), runs)
            after, fast = await timed(lambda: reports.report(pool, who, q, NOW), runs)
            assert fast == slow, f"{name}: the rollup's answer differs from the cases'"
            rows.append((name, len(fast["items"]), fast["totals"]["cases"], before, after))
    finally:
        await pool.close()
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cases", type=int, default=1_000_000)
    p.add_argument("--runs", type=int, default=5, help="timed runs per report (median)")
    args = p.parse_args()
    state = Path(tempfile.mkdtemp(prefix="hotline-bench-"))
    state.chmod(0o755)
    pg = EmbeddedPostgres(state)
    pg.start()
    try:
        async def run():
            admin = await asyncpg.connect(pg.admin_url())
            await admin.execute("DROP DATABASE IF EXISTS bench_disputes WITH (FORCE)")
            await admin.execute("CREATE DATABASE bench_disputes")
            await admin.close()
            return await bench(pg.admin_url("bench_disputes"), args.cases, args.runs)

        rows = asyncio.run(run())
    finally:
        pg.stop()
    print(f"| disputes report ({args.cases:,} cases, {YEAR}) | groups | cases counted "
          f"| from the cases (before) | from the rollup (after) | ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, groups, counted, before, after in rows:
        print(f"| {name} | {groups} | {counted:,} | {before * 1000:,.1f} ms | {after * 1000:,.1f} ms "
              f"| {before / after:.1f}× |")
    print(f"(medians of {args.runs} runs each; target: under 1 s)")


if __name__ == "__main__":
    main()
