"""Benchmark the escalation sweep on 1,000,000 open tickets of which 10,000 are due.

Usage: python3 bench/bench_sweep.py [--scale 0.1] [--runs 3] [--batch 500]

Uses DATABASE_URL (a database `hotline_bench_sweep` is created there and dropped
afterwards) or an embedded PostgreSQL in a temporary state dir. Every ticket is
open and has a next_escalation_at (so all of them are in the partial index); the
due ones get their 预警 (warn) step. Each run resets the due tickets and times
hotline.escalation.sweep.sweep; the baseline is the same sweep with the partial
index dropped (the planner falls back to a sequential / status-index scan).
Prints a markdown table.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402

from hotline import db  # noqa: E402
from hotline.escalation import calendar_sync  # noqa: E402
from hotline.escalation.service import CLAIM  # noqa: E402
from hotline.escalation.sweep import sweep  # noqa: E402
from hotline.seed import fresh_database  # noqa: E402
from routing import calendar, clock  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
DB_NAME = "hotline_bench_sweep"
DUE_START = datetime(2026, 6, 1, 10, tzinfo=TZ)       # warn due Fri 06-05 21:12, deadline 06-08
LATER_START = datetime(2026, 6, 8, 10, tzinfo=TZ)     # warn due 06-12: in the index, not due
NOW = datetime(2026, 6, 6, 12, tzinfo=TZ)

LOAD = """
INSERT INTO tickets (ticket_no, channel, requester_type, title, content, area_code, province_code, city_code,
                     county_code, urgency, status, unit_id, tier, category_class, dispatched_at, sign_by, reply_by,
                     next_escalation_at, created_at)
SELECT 'B' || lpad(g::text, 10, '0'), 'phone', 'citizen', '路灯不亮', '小区路灯坏了', '320682', '320000', '320600',
       '320682', 'normal', (ARRAY['dispatched', 'signed', 'in_progress']::ticket_status[])[1 + g % 3], $1,
       'county', 'ordinary',
       CASE WHEN g <= $3 THEN $4::timestamptz ELSE $5::timestamptz END,
       NULL,
       CASE WHEN g <= $3 THEN $6::timestamptz ELSE $7::timestamptz END,
       CASE WHEN g <= $3 THEN $8::timestamptz - (g % 600) * interval '1 minute'
            ELSE $9::timestamptz + (g % 600) * interval '1 minute' END,
       $4::timestamptz
FROM generate_series(1, $2) AS g
"""
RESET = """
UPDATE tickets SET escalation_steps = '{}', next_escalation_at = $2::timestamptz - (id % 600) * interval '1 minute'
WHERE id <= $1
"""




async def setup(admin_url: str, rows: int, due: int) -> str:
    url = await fresh_database(admin_url, DB_NAME)
    conn = await db.connect(url)
    unit = await conn.fetchval("SELECT id FROM units WHERE code = '320682-urban_mgmt'")
    due_clock = clock.compute(DUE_START, "normal", "ordinary", "county")
    later_clock = clock.compute(LATER_START, "normal", "ordinary", "county")
    t0 = time.perf_counter()
    await conn.execute("SET session_replication_role = replica")   # bulk load: skip the rollup triggers
    await conn.execute(LOAD, unit, rows, due, DUE_START, LATER_START, due_clock.reply_by, later_clock.reply_by,
                       due_clock.next_escalation_at, later_clock.next_escalation_at)
    await conn.execute("VACUUM (ANALYZE) tickets")
    # The deadlines were computed under today's holiday data: record that, as a running service has at
    # start-up, so each sweep's calendar check is the no-op it is in production.
    await conn.execute(calendar_sync.SAVE_STATE, calendar.covered_range()[1])
    print(f"loaded {rows:,} tickets ({due:,} due) in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    await conn.close()
    return url


async def reset(url: str, due: int) -> None:
    conn = await db.connect(url)
    await conn.execute("SET session_replication_role = replica")
    await conn.execute("TRUNCATE escalations, ticket_events")
    await conn.execute(RESET, due, clock.compute(DUE_START, "normal", "ordinary", "county").next_escalation_at)
    await conn.execute("VACUUM (ANALYZE) tickets")
    await conn.close()


async def explain(pool, batch: int) -> tuple[str, float]:
    """The scan the claim query uses and its execution time (EXPLAIN ANALYZE, rolled back)."""
    async with pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        try:
            lines = [r[0] for r in await conn.fetch("EXPLAIN (ANALYZE, COSTS OFF) " + CLAIM, NOW, batch)]
        finally:
            await tx.rollback()
    scans = [ln.strip().lstrip("-> ").split("  (")[0] for ln in lines if "Scan" in ln]
    ms = next(float(ln.split(":")[1].split()[0]) for ln in lines if ln.startswith("Execution Time"))
    return "; ".join(scans), ms


async def measure(url: str, due: int, runs: int, batch: int) -> dict:
    times, steps = [], 0
    for n in range(runs):
        await reset(url, due)
        pool = await db.create_pool(url, min_size=1, max_size=2)
        if n == 0:
            plan, claim_ms = await explain(pool, batch)     # with `due` tickets due (rolled back)
        res = await sweep(pool, NOW, batch=batch, keep_records=False)
        times.append(res.seconds)
        steps = res.total_steps
        await pool.close()
    pool = await db.create_pool(url, min_size=1, max_size=2)
    idle = []
    for _ in range(max(runs, 3)):                       # nothing left due: the every-minute case
        idle.append((await sweep(pool, NOW, batch=batch)).seconds)
    await pool.close()
    return {"median": statistics.median(times), "times": times, "steps": steps, "plan": plan,
            "claim_ms": claim_ms, "idle": statistics.median(idle)}


def memoize_calendar() -> None:
    """Experiment: cache routing.calendar.is_working_day per date (the proposed fix, not applied by default)."""
    import functools

    import chinese_calendar
    import routing.calendar as cal

    @functools.lru_cache(maxsize=None)
    def workday(day):
        return bool(chinese_calendar.is_workday(day))

    cal.is_working_day = lambda d: workday(cal._day(d))


async def main(args) -> None:
    if args.memo_calendar:
        memoize_calendar()
    rows, due = int(1_000_000 * args.scale), int(10_000 * args.scale)
    pg = state = None
    admin_url = os.environ.get("DATABASE_URL")
    if not admin_url:
        from hotline.embedded import EmbeddedPostgres

        state = Path(tempfile.mkdtemp(prefix="hotline-bench-sweep-"))
        state.chmod(0o755)
        pg = EmbeddedPostgres(state)
        pg.start()
        admin_url = pg.admin_url()
    try:
        url = await setup(admin_url, rows, due)
        indexed = await measure(url, due, args.runs, args.batch)
        conn = await db.connect(url)
        await conn.execute("DROP INDEX tickets_next_escalation")
        await conn.close()
        baseline = await measure(url, due, args.runs, args.batch)
        conn = await db.connect(url)
        await conn.execute("CREATE INDEX tickets_next_escalation ON tickets (next_escalation_at) "
                           "WHERE next_escalation_at IS NOT NULL")
        await conn.close()
        admin = await asyncpg.connect(admin_url)
        await admin.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        await admin.close()
    finally:
        if pg is not None:
            pg.stop()
            shutil.rmtree(state, ignore_errors=True)

    def row(name, m):
        return (f"| {name} | {rows:,} | {due:,} | {m['steps']:,} | {m['median']:.3f} | {due / m['median']:,.0f} | "
                f"{m['claim_ms']:.2f} | {m['idle'] * 1000:.1f} | {m['plan']} |")

    memo = ", is_working_day memoized" if args.memo_calendar else ""
    print(f"\nEscalation sweep, batch {args.batch}, median of {args.runs} runs (scale {args.scale}{memo})\n")
    print("| variant | rows | due | steps | sweep s | tickets/s | claim query ms | idle sweep ms | plan (claim query) |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(row("partial index on next_escalation_at", indexed))
    print(row("baseline: index dropped", baseline))
    print(f"\nratio (baseline / indexed): sweep {baseline['median'] / indexed['median']:.1f}x, "
          f"claim query {baseline['claim_ms'] / indexed['claim_ms']:.0f}x, "
          f"idle sweep {baseline['idle'] / indexed['idle']:.0f}x")
    print(f"runs (s): indexed {[round(t, 3) for t in indexed['times']]}, "
          f"baseline {[round(t, 3) for t in baseline['times']]}")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", type=float, default=1.0, help="fraction of 1M tickets / 10k due (0.1 = quick)")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--batch", type=int, default=500)
    p.add_argument("--memo-calendar", action="store_true",
                   help="cache routing.calendar.is_working_day per date (shows the gain of that fix)")
    asyncio.run(main(p.parse_args()))
