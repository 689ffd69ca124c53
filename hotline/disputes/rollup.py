"""The disputes report over the rollup (migration 0020): whole months from `dispute_rollup`, the days of a
partial first or last month from the cases themselves, and open cases past their limit counted live.

`dispute_rollup` holds counters per month (Beijing) × lead organisation × place × type × tier for the
cases registered in the month. Statement triggers on `dispute_cases` write deltas (old contribution
taken back, new added; inserts aggregated per statement); `fold()` moves them in under an advisory
lock, and the report folds before it reads. Every counter but one is a property of the case: "overdue"
(open and past `due_at` at the time of asking) is counted from the open cases (covering
index `dispute_cases_open_due_cover`, repeatable.sql). Mediators and the court are scoped by the organisations on a case and by who
referred it, which the rollup does not carry: their reports read the cases (hotline.disputes.reports).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import asyncpg

SHANGHAI = ZoneInfo("Asia/Shanghai")
COUNTERS = ("cases", "resolved", "settled", "failed", "followed_up", "performed", "substantive", "days_sum",
            "days_n", "listed", "repeats", "high_risk_open", "turned_violent", "violent_flagged")
KEYS = "month, lead_org_id, area_code, city_code, county_code, dispute_type, tier"
OPEN = "c.status NOT IN ('settled', 'failed', 'terminated', 'closed')"
UNION = f"""
WITH u AS (
    SELECT {KEYS}, {", ".join(COUNTERS)}, 0 AS overdue
    FROM dispute_rollup c WHERE c.month >= ${{m_from}} AND c.month < ${{m_to}} AND {{where}}
    UNION ALL
    SELECT x.*, 0 FROM dispute_cases c CROSS JOIN LATERAL dispute_rollup_rows(c, 1) x
    WHERE ((c.created_at >= $1 AND c.created_at < ${{full_start}}) OR (c.created_at >= ${{full_end}} AND c.created_at < $2))
      AND {{where}}
    UNION ALL
    SELECT dispute_rollup_month(c.created_at), c.lead_org_id, c.area_code, c.city_code, c.county_code, c.dispute_type,
           c.tier, {", ".join("0" for _ in COUNTERS)}, 1
    FROM dispute_cases c WHERE {OPEN} AND c.due_at < $3 AND c.created_at >= $1 AND c.created_at < $2 AND {{where}}
), g AS (
    SELECT {{inner}} AS k, GROUPING({{inner}}) = 1 AS is_total,
           coalesce(sum(c.cases), 0)::bigint AS cases, coalesce(sum(c.resolved), 0)::bigint AS resolved,
           coalesce(sum(c.settled), 0)::bigint AS settled, coalesce(sum(c.failed), 0)::bigint AS failed,
           coalesce(sum(c.followed_up), 0)::bigint AS followed_up, coalesce(sum(c.performed), 0)::bigint AS performed,
           coalesce(sum(c.substantive), 0)::bigint AS substantive,
           round(sum(c.days_sum) / nullif(sum(c.days_n), 0), 2) AS avg_days,
           coalesce(sum(c.overdue), 0)::bigint AS overdue, coalesce(sum(c.listed), 0)::bigint AS listed,
           coalesce(sum(c.repeats), 0)::bigint AS repeat, coalesce(sum(c.high_risk_open), 0)::bigint AS high_risk_open,
           coalesce(sum(c.turned_violent), 0)::bigint AS turned_violent,
           coalesce(sum(c.violent_flagged), 0)::bigint AS violent_flagged
    FROM u c GROUP BY GROUPING SETS (({{inner}}), ())
)
SELECT {{key}} AS key, {{label}} AS label, g.is_total, g.cases, g.resolved, g.settled, g.failed, g.followed_up,
       g.performed, g.substantive, g.avg_days, g.overdue, g.listed, g.repeat, g.high_risk_open, g.turned_violent,
       g.violent_flagged
FROM g {{join}}
ORDER BY 3, 1
"""
# The report's groupings over the union's columns (hotline.disputes.reports.GROUPS reads the cases): what to
# group by, then (on the few grouped rows only) the key and label shown and the join that names them.
GROUPS = {
    "org": ("c.lead_org_id", "coalesce(o.code, '')", "coalesce(o.name, '未分派')",
            "LEFT JOIN mediation_orgs o ON o.id = g.k AND NOT g.is_total"),
    "area": ("coalesce(c.county_code, c.city_code, '')", "g.k", "coalesce(a.name, '未知地区')",
             "LEFT JOIN areas a ON a.code = g.k AND NOT g.is_total"),
    "type": ("c.dispute_type", "g.k", "''", ""),
    "tier": ("coalesce(c.tier, '')", "g.k", "''", ""),
    "month": ("to_char(c.month, 'YYYY-MM')", "g.k", "''", ""),
}
REPORT_WORK_MEM = "64MB"   # the grouping of the union's rows stays in memory (as the rates report does)


def full_months(frm: date, to: date) -> tuple[date, date]:
    """[first, end) of the whole months inside the days frm..to (inclusive); empty as (end, end)."""
    first = frm if frm.day == 1 else (frm.replace(day=1) + timedelta(days=32)).replace(day=1)
    after = to + timedelta(days=1)
    end = after.replace(day=1)
    return (first, end) if first < end else (end, end)


def _at(day: date) -> datetime:
    return datetime.combine(day, time.min, SHANGHAI)


async def fold(conn: asyncpg.Connection | asyncpg.Pool) -> int:
    """Move pending deltas into dispute_rollup; returns the rollup rows touched."""
    return await conn.fetchval("SELECT dispute_rollup_fold()")


async def fetch(conn: asyncpg.Connection, args: list, where: str, by: str, frm: date, to: date) -> tuple[list, dict]:
    """Grouped rows and the totals row. args starts with [start, end, now] and the scope's parameters
    (`where` refers to them); the month bounds are appended here."""
    m_from, m_to = full_months(frm, to)
    args = [*args, m_from, m_to, _at(m_from) if m_from < m_to else args[1], _at(m_to) if m_from < m_to else args[1]]
    n = len(args)
    inner, key, label, join = GROUPS[by]
    sql = UNION.format(m_from=n - 3, m_to=n - 2, full_start=n - 1, full_end=n, where=where, inner=inner, key=key,
                       label=label, join=join)
    async with conn.transaction(readonly=True):
        await conn.execute(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
        rows = await conn.fetch(sql, *args)
    items = [r for r in rows if not r["is_total"]]
    total = next(r for r in rows if r["is_total"])   # the grand total: one row even over no cases
    return items, {k: v for k, v in dict(total).items() if k not in ("key", "label")}
