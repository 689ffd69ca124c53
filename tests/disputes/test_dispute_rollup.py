"""The disputes report's rollup (migration 0020) says exactly what the cases say.

On a database of its own: a few thousand cases over a year (random place, organisation, type, outcome,
follow-up, risk, listing, repeats), then the kinds of change the desk makes (outcomes, follow-ups,
挂牌 with a new lead, reopening, risk confirmation, the ladder's clock) and deletions. After each round
the report from the rollup equals the report read from the cases, for every grouping, for whole and
partial months, for agents and supervisors of a city and a county, with and without an area filter; and
the folded rollup equals one rebuilt from scratch.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from hotline import db
from hotline.auth import Principal
from hotline.disputes import reports, rollup
from hotline.disputes.schemas import ReportQuery
from models.enums import Role

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=timezone.utc)
GEN = """
WITH o AS (
    SELECT array_agg(o.id ORDER BY o.id) AS ids, array_agg(o.area_code ORDER BY o.id) AS areas,
           array_agg(a.parent_code ORDER BY o.id) AS parents, array_agg(o.tier ORDER BY o.id) AS tiers
    FROM mediation_orgs o JOIN areas a ON a.code = o.area_code WHERE o.area_code LIKE '3206%' OR o.area_code LIKE '3201%'
), g AS (
    SELECT 1 + floor(random() * array_length(o.ids, 1))::int AS oi, random() AS r1, random() AS r2, random() AS r3,
           (ARRAY['neighbour','family','labour','property','land','consumer'])[1 + floor(random() * 6)::int] AS t,
           make_timestamptz(2026, 1, 1, 0, 0, 0, 'Asia/Shanghai') + random() * interval '333 days' AS created,
           o.ids, o.areas, o.parents, o.tiers
    FROM o, generate_series(1, $1)
)
INSERT INTO dispute_cases (case_no, source, status, dispute_type, summary, area_code, city_code, county_code, risk,
    risk_scored, lead_org_id, tier, due_at, listed, outcome, performed, resolved_at, reopen_count, repeat_calls,
    turned_violent, created_at, updated_at)
SELECT 'RT' || lpad(nextval('case_no_seq')::text, 10, '0'), 'walk_in',
       (CASE WHEN r1 < 0.3 THEN 'mediating' WHEN r1 < 0.8 THEN 'settled' ELSE 'failed' END)::case_status,
       t, '汇总测试纠纷', areas[oi], CASE WHEN tiers[oi] = 'city' THEN areas[oi] ELSE parents[oi] END,
       CASE WHEN tiers[oi] = 'city' THEN NULL ELSE areas[oi] END,
       (CASE WHEN r2 < 0.6 THEN 'low' WHEN r2 < 0.85 THEN 'medium' WHEN r2 < 0.97 THEN 'high' ELSE 'major' END)::risk_level,
       (CASE WHEN r3 < 0.6 THEN 'low' WHEN r3 < 0.85 THEN 'medium' WHEN r3 < 0.97 THEN 'high' ELSE 'major' END)::risk_level,
       ids[oi], tiers[oi], created + interval '28 days', r3 > 0.95,
       CASE WHEN r1 < 0.3 THEN NULL WHEN r1 < 0.8 THEN 'settled' ELSE 'failed' END,
       CASE WHEN r1 >= 0.3 AND r1 < 0.8 AND r2 < 0.7 THEN (ARRAY['yes','partly','no'])[1 + floor(r3 * 3)::int] END,
       CASE WHEN r1 >= 0.3 THEN created + r2 * interval '20 days' END,
       CASE WHEN r2 > 0.98 THEN 1 ELSE 0 END, CASE WHEN r3 < 0.05 THEN 2 ELSE 0 END, r2 > 0.99, created, created
FROM g
"""
# The desk's kinds of change, each on a random slice of the cases.
CHANGES = [
    "UPDATE dispute_cases SET status = 'settled', outcome = 'settled', resolved_at = created_at + interval '9 days' "
    "WHERE status = 'mediating' AND id % 7 = 0",
    "UPDATE dispute_cases SET status = 'closed', performed = 'yes' WHERE status = 'settled' AND performed IS NULL "
    "AND id % 3 = 0",
    "UPDATE dispute_cases SET listed = true, lead_org_id = (SELECT min(id) FROM mediation_orgs WHERE tier = 'city'), "
    "tier = 'city' WHERE status = 'mediating' AND id % 11 = 0",
    "UPDATE dispute_cases SET status = 'accepted', outcome = NULL, resolved_at = NULL, performed = NULL, "
    "reopen_count = reopen_count + 1 WHERE status = 'failed' AND id % 13 = 0",
    "UPDATE dispute_cases SET risk = 'major', turned_violent = true WHERE id % 17 = 0",
    "UPDATE dispute_cases SET next_escalation_at = now(), escalation_steps = '{warn}' WHERE id % 5 = 0",  # no delta
    "UPDATE dispute_cases SET created_at = created_at + interval '20 days' WHERE id % 19 = 0",   # another month
    "DELETE FROM dispute_cases WHERE id % 23 = 0",
]
WHO = [Principal(0, Role.ADMIN), Principal(0, Role.SUPERVISOR, area_code="320600"),
       Principal(0, Role.SUPERVISOR, area_code="320682")]
RANGES = [(date(2026, 1, 1), date(2026, 12, 31)), (date(2026, 2, 10), date(2026, 5, 20)),
          (date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 7, 3), date(2026, 7, 9))]
REBUILD = """
SELECT x.month, x.lead_org_id, x.area_code, x.city_code, x.county_code, x.dispute_type, x.tier,
       sum(x.cases) AS cases, sum(x.resolved) AS resolved, sum(x.settled) AS settled, sum(x.failed) AS failed,
       sum(x.followed_up) AS followed_up, sum(x.performed) AS performed, sum(x.substantive) AS substantive,
       sum(x.days_sum) AS days_sum, sum(x.days_n) AS days_n, sum(x.listed) AS listed, sum(x.repeats) AS repeats,
       sum(x.high_risk_open) AS high_risk_open, sum(x.turned_violent) AS turned_violent,
       sum(x.violent_flagged) AS violent_flagged
FROM dispute_cases c CROSS JOIN LATERAL dispute_rollup_row(c, 1) x GROUP BY 1, 2, 3, 4, 5, 6, 7
"""


@pytest.fixture(scope="module")
async def pool(own_database):
    p = await db.create_pool(own_database, min_size=1, max_size=2)
    yield p
    await p.close()


def _rows(records) -> set:
    def norm(v):
        return v.normalize() if isinstance(v, Decimal) else v   # 0E-16 (a sum taken back) is 0
    return {tuple((k, norm(v)) for k, v in sorted(dict(r).items())) for r in records}


async def _same_reports(pool) -> int:
    compared = 0
    for who in WHO:
        for frm, to in RANGES:
            for by in ("org", "area", "type", "tier", "month"):
                for area in (None, "320682"):
                    if area and who.area_code == "320682":
                        continue
                    q = ReportQuery.model_validate({"from": frm, "to": to, "by": by, "area": area})
                    fast = await reports.report(pool, who, q, NOW)
                    slow = await reports.report(pool, who, q, NOW, raw=True)
                    assert fast == slow, (who, frm, to, by, area)
                    compared += 1
    return compared


async def test_the_rollup_report_equals_the_cases_report_through_changes(pool):
    await pool.execute(GEN, 4000)
    full = await reports.report(pool, WHO[0], ReportQuery.model_validate({"from": "2026-01-01", "to": "2026-12-31"}), NOW)
    assert full["totals"]["cases"] == 4000 and full["totals"]["overdue"] > 0 and full["totals"]["listed"] > 0
    assert await _same_reports(pool) == 100
    for change in CHANGES:
        await pool.execute(change)
    assert await pool.fetchval("SELECT count(*) FROM dispute_rollup_delta") > 0
    await _same_reports(pool)
    assert await pool.fetchval("SELECT count(*) FROM dispute_rollup_delta") == 0   # folded before reading
    assert _rows(await pool.fetch(f"SELECT {rollup.KEYS}, {', '.join(rollup.COUNTERS)} FROM dispute_rollup")) \
        == _rows(await pool.fetch(REBUILD))


async def test_a_clock_update_writes_no_delta(pool):
    await rollup.fold(pool)
    await pool.execute("UPDATE dispute_cases SET next_escalation_at = now(), clock_error = '' WHERE id % 2 = 0")
    assert await pool.fetchval("SELECT count(*) FROM dispute_rollup_delta") == 0


def test_whole_months_inside_a_day_range():
    assert rollup.full_months(date(2026, 1, 1), date(2026, 12, 31)) == (date(2026, 1, 1), date(2027, 1, 1))
    assert rollup.full_months(date(2026, 2, 10), date(2026, 5, 20)) == (date(2026, 3, 1), date(2026, 5, 1))
    assert rollup.full_months(date(2026, 2, 10), date(2026, 2, 28)) == (date(2026, 3, 1), date(2026, 3, 1))
    assert rollup.full_months(date(2026, 7, 3), date(2026, 7, 9)) == (date(2026, 7, 1), date(2026, 7, 1))
