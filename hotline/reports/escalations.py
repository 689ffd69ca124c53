"""The supervisors' escalation report (督办报表): overdue tickets and steps taken.

Overdue = open (dispatched / signed / in_progress) with reply_by before `now`.
Ageing is measured in **working days** overdue (the working-time clock of
routing.calendar: 24 h per working day, weekends and holidays do not count), so
a ticket overdue since Friday evening is still "< 1 working day" on Monday
morning. When `now` lies beyond the holiday calendar's data the buckets fall back
to calendar days and `ageing_unit` says so.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

import asyncpg
from hotline.endpoints import AREA_RULE, Moment
from pydantic import BaseModel, ConfigDict, Field, field_validator

from hotline import scope
from hotline.auth import Principal
from hotline.jsoncodec import iso
from models.enums import Tier
from routing.calendar import TZ, CalendarRangeError, is_working_day, local
from routing.escalation import StepCode

BUCKETS = (("lt1", 1, "超时不足1个工作日"), ("1to3", 3, "超时1–3个工作日"), ("3to7", 7, "超时3–7个工作日"),
           ("gt7", None, "超时7个工作日以上"))
CAL_LABELS = {"lt1": "超时不足1天", "1to3": "超时1–3天", "3to7": "超时3–7天", "gt7": "超时7天以上"}
DEFAULT_PERIOD = timedelta(days=30)


class ReportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    from_: Moment | None = Field(None, alias="from", description="统计区间起点（含），默认 to 前 30 天")
    to: Moment | None = Field(None, description="统计区间终点（不含），默认当前时间")
    area: str | None = Field(None, max_length=12, pattern=r"^[0-9]{6,12}$", description="再限定到某行政区划。" + AREA_RULE)
    top: int = Field(10, ge=1, le=100, description="督办最多的单位取前几名")

    @field_validator("from_", "to")
    @classmethod
    def aware(cls, v: datetime | None) -> datetime | None:
        return v.replace(tzinfo=TZ) if v is not None and v.tzinfo is None else v


class ReportOut(BaseModel):
    as_of: datetime
    ageing_unit: str
    overdue: dict
    steps: dict
    most_supervised_units: list[dict]


def working_time_before(now: datetime, days: int) -> datetime:
    """The instant b with `days` × 24 h of working time in [b, now) (earliest such instant)."""
    remaining = timedelta(days=days)
    t = local(now)
    day = t.date()
    while True:
        start = datetime.combine(day, time.min, tzinfo=TZ)
        if is_working_day(day):
            if remaining <= t - start:
                return t - remaining
            remaining -= t - start
        t, day = start, day - timedelta(days=1)


def bucket_bounds(now: datetime) -> tuple[list[datetime], str]:
    """reply_by bounds between the ageing buckets (1, 3, 7 days overdue) and their unit."""
    try:
        return [working_time_before(now, d) for _, d, _ in BUCKETS if d], "working_days"
    except CalendarRangeError:
        return [now - timedelta(days=d) for _, d, _ in BUCKETS if d], "calendar_days"


OPEN_OVERDUE = "t.status IN ('dispatched', 'signed', 'in_progress') AND t.reply_by IS NOT NULL AND t.reply_by < $1"
AREA_FILTER = "(t.province_code = {0} OR t.city_code = {0} OR t.county_code = {0} OR t.area_code = {0})"

OVERDUE_SQL = """
SELECT GROUPING(tier, area, unit_id, bucket) AS g, tier, area, unit_id, bucket, count(*) AS n
FROM (
    SELECT t.tier::text AS tier, COALESCE(t.county_code, t.city_code, t.province_code) AS area, t.unit_id,
           CASE WHEN t.reply_by > $2 THEN 'lt1' WHEN t.reply_by > $3 THEN '1to3'
                WHEN t.reply_by > $4 THEN '3to7' ELSE 'gt7' END AS bucket
    FROM tickets t
    WHERE {where}
) o
GROUP BY GROUPING SETS ((tier), (area), (unit_id), (bucket), ())
"""

STEPS_SQL = """
SELECT e.step, e.by_tier::text AS by_tier, count(*) AS n
FROM escalations e JOIN tickets t ON t.id = e.ticket_id
WHERE e.at >= $1 AND e.at < $2 AND {where}
GROUP BY e.step, e.by_tier
"""

SUPERVISED_SQL = """
SELECT e.unit_id, u.code AS unit_code, u.name AS unit_name, u.tier::text AS tier, count(*) AS n
FROM escalations e JOIN tickets t ON t.id = e.ticket_id LEFT JOIN units u ON u.id = e.unit_id
WHERE e.step = 'supervise' AND e.at >= $1 AND e.at < $2 AND {where}
GROUP BY e.unit_id, u.code, u.name, u.tier
ORDER BY n DESC, e.unit_id
LIMIT {top}
"""


def _where(principal: Principal, args: list, area: str | None) -> str:
    clauses = [scope.clause(principal, args)]
    if area:
        args.append(area)
        clauses.append(AREA_FILTER.format(f"${len(args)}"))
    return " AND ".join(clauses)


async def escalation_report(pool: asyncpg.Pool, principal: Principal, q: ReportQuery, now: datetime) -> dict:
    """Everything the report shows, within the principal's scope."""
    to = q.to or now
    frm = q.from_ or to - DEFAULT_PERIOD
    bounds, unit = bucket_bounds(now)

    args: list = [now, *bounds]
    where = OPEN_OVERDUE + " AND " + _where(principal, args, q.area)
    rows = await pool.fetch(OVERDUE_SQL.format(where=where), *args)

    args2: list = [frm, to]
    where2 = _where(principal, args2, q.area)
    steps = await pool.fetch(STEPS_SQL.format(where=where2), *args2)
    supervised = await pool.fetch(SUPERVISED_SQL.format(where=where2, top=int(q.top)), *args2)

    # GROUPING() bit order: tier=8, area=4, unit_id=2, bucket=1 (1 = not grouped by it).
    by = {"tier": [], "area": [], "unit": [], "bucket": {}}
    total = 0
    for r in rows:
        g = r["g"]
        if g == 0b0111:
            by["tier"].append(r)
        elif g == 0b1011:
            by["area"].append(r)
        elif g == 0b1101:
            by["unit"].append(r)
        elif g == 0b1110:
            by["bucket"][r["bucket"]] = r["n"]
        elif g == 0b1111:
            total = r["n"]

    area_names, unit_info = await _names(pool, [r["area"] for r in by["area"]], [r["unit_id"] for r in by["unit"]])
    tier_order = {t.value: i for i, t in enumerate(Tier)}
    by_step = {s.value: 0 for s in StepCode}
    by_tier: dict[str, dict[str, int]] = {}
    for r in steps:
        by_step[r["step"]] = by_step.get(r["step"], 0) + r["n"]
        by_tier.setdefault(r["by_tier"], {})[r["step"]] = r["n"]
    return {
        "as_of": iso(now),
        "scope": {"role": principal.role.value, "area_code": principal.area_code if principal.role == "supervisor"
                  else None, "area": q.area},
        "ageing_unit": unit,
        "overdue": {
            "total": total,
            "by_tier": [{"tier": r["tier"], "label": Tier(r["tier"]).label if r["tier"] else "未定", "count": r["n"]}
                        for r in sorted(by["tier"], key=lambda r: tier_order.get(r["tier"], 9))],
            "by_area": [{"area_code": r["area"], "area_name": area_names.get(r["area"], ""), "count": r["n"]}
                        for r in sorted(by["area"], key=lambda r: (-r["n"], r["area"] or ""))],
            "by_unit": [{"unit_id": r["unit_id"], **unit_info.get(r["unit_id"], {}), "count": r["n"]}
                        for r in sorted(by["unit"], key=lambda r: (-r["n"], r["unit_id"] or 0))],
            "ageing": [{"bucket": key, "label": label if unit == "working_days" else CAL_LABELS[key],
                        "count": by["bucket"].get(key, 0)} for key, _, label in BUCKETS],
        },
        "steps": {
            "from": iso(frm), "to": iso(to), "total": sum(by_step.values()),
            "by_step": [{"step": k, "label": StepCode(k).label, "count": v} for k, v in by_step.items()],
            "by_acting_tier": [{"tier": t, "label": Tier(t).label, "steps": v}
                               for t, v in sorted(by_tier.items(), key=lambda kv: tier_order.get(kv[0], 9))],
        },
        "most_supervised_units": [{"unit_id": r["unit_id"], "unit_code": r["unit_code"], "unit_name": r["unit_name"],
                                   "tier": r["tier"], "count": r["n"]} for r in supervised],
    }


async def _names(pool: asyncpg.Pool, areas: list, units: list) -> tuple[dict, dict]:
    area_rows = await pool.fetch("SELECT code, name FROM areas WHERE code = ANY($1::text[])",
                                 [a for a in areas if a])
    unit_rows = await pool.fetch("SELECT id, code, name, tier::text AS tier FROM units WHERE id = ANY($1::int[])",
                                 [u for u in units if u is not None])
    return ({r["code"]: r["name"] for r in area_rows},
            {r["id"]: {"unit_code": r["code"], "unit_name": r["name"], "tier": r["tier"]} for r in unit_rows})
