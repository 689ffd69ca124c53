"""The rates, computed in SQL over the rate rollup (definitions: docs/metrics.md)."""
from __future__ import annotations

from typing import Literal

import asyncpg
from hotline.endpoints import AREA_RULE, Day, SafeStr
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from hotline.reports.rollup import COUNTERS, COUNTER_LABELS
from models.enums import Channel, RequesterType

# Dispatches still unsigned after their sign-off deadline, counted live from tickets at report time
# (a deadline passing changes no row, so no trigger can count it), in the dispatch-day cohort.
# Calls the hotline answered itself (直接答复, #15), counted live from ticket_answers on the answer's day.
# 差评处置 (hotline/reviews): bad reviews counted live from bad_reviews in the cohort of the day each
# was opened (a ruling, a rectification or a reply days later counts for that cohort, and an overdue
# rectification depends on now), for the unit whose reply was rated. A few rows per unsatisfied
# callback, read through the opened_at index.
REVIEW_COUNTERS: tuple[str, ...] = ("br_valid", "br_rectified", "br_rectify_overdue", "br_real_name", "br_replied")
LIVE_COUNTERS: tuple[str, ...] = ("sign_lapsed", "answered", *REVIEW_COUNTERS)
REPORT_COUNTERS = COUNTERS + LIVE_COUNTERS

# name -> (numerator, denominator over the summed counters, Chinese label)
RATES: dict[str, tuple[str, str, str]] = {
    # a dispatch counts once it was signed (on time or late) or its sign-off deadline passed unsigned:
    # tickets not yet due to be signed count neither for nor against the unit
    "response_rate": ("signed_on_time", "signed + sign_lapsed", "响应率"),
    "ontime_rate": ("replied_on_time", "replied", "按时办结率"),
    "claimed_resolution_rate": ("claimed_solved", "replied", "单位自报解决率"),
    "real_resolution_rate": ("cb_solved", "cb_reached", "实际解决率"),
    "satisfaction_rate": ("cb_satisfied + cb_basic", "cb_reached", "满意率"),
    "return_rate": ("returned", "dispatched", "退单率"),
    "reopen_rate": ("reopened", "replied", "重办率"),
    "overdue_rate": ("overdue", "dispatched", "超时率"),
    "unreachable_rate": ("cb_unreachable", "cb_reached + cb_unreachable", "回访失联率"),
    "direct_rate": ("answered", "received", "直办率"),
    # 有效差评100%整改、实名差评100%回复 (the same definitions as /reports/bad-reviews)
    "rectification_rate": ("br_rectified", "br_valid", "整改率"),
    "reply_rate": ("br_replied", "br_real_name", "回复率"),
}


def rate_sql(num: str, den: str) -> str:
    """The SQL function rate(num, den) of repeatable.sql, written out so the planner need not call it per row."""
    return f"CASE WHEN ({den}) > 0 THEN round(({num})::numeric / ({den}), 4)::float8 END"


DERIVED_LABELS = {"resolution_gap": "自报与实际解决率差", "composite": "三率综合"}
REVIEW_LABELS = {"br_valid": "有效差评数", "br_rectified": "有效差评已整改数", "br_rectify_overdue": "整改逾期数",
                 "br_real_name": "需回复的实名差评数", "br_replied": "实名差评已回复数"}
COLUMN_LABELS = {"period": "期间", "key": "编码", "label": "名称", **COUNTER_LABELS, "sign_lapsed": "逾期未签收数",
                 "answered": "直接答复数", **REVIEW_LABELS,
                 **{k: v[2] for k, v in RATES.items()}, **DERIVED_LABELS}

GroupBy = Literal["unit", "area", "category", "channel", "requester_type", "total"]
Period = Literal["day", "week", "month", "all"]

PERIOD_SQL = {
    "day": "r.day",
    "week": "date_trunc('week', r.day)::date",
    "month": "date_trunc('month', r.day)::date",
    "all": "NULL::date",
}
KEY_SQL = {   # grouped on the native type, turned into text once per output row
    "unit": "r.unit_id",
    "area": "g.code",
    "category": "r.category_code",
    "channel": "r.channel",
    "requester_type": "r.requester_type",
    "total": "'all'::text",
}
MAX_DAYS = 366 * 3


class RatesQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group_by: GroupBy = Field("unit", description="分组：unit 单位 / area 地区（逐级汇总） / category 类别 / "
                                                  "channel 渠道 / requester_type 诉求人类型 / total 合计")
    period: Period = Field("all", description="时间粒度：day / week / month / all（整个区间一行）")
    from_: Day | None = Field(None, alias="from", description="起始日期（含），默认 to 前 29 天")
    to: Day | None = Field(None, description="截止日期（含），默认今天")
    area: str | None = Field(None, pattern=r"^[0-9]{6,12}$", description="地区（含下级）；按地区分组时列出其下一级。" + AREA_RULE)
    unit: SafeStr | None = Field(None, max_length=64, description="承办单位（编码或编号）")
    category: SafeStr | None = Field(None, max_length=64, description="诉求类别编码")
    channel: Channel | None = None
    requester_type: RequesterType | None = None

    @field_validator("to")
    @classmethod
    def _range(cls, to, info: ValidationInfo):
        frm = info.data.get("from_")
        if frm and to and frm > to:
            raise ValueError("不能早于 from")
        if frm and to and (to - frm).days > MAX_DAYS:
            raise ValueError(f"统计区间不能超过 {MAX_DAYS} 天")
        return to


# The rollup's rows, plus one row per dispatch whose sign-off deadline ($6, the report's now) has passed
# unsigned, and one per bad review opened between $1 and $2, with the rollup's dimensions.
_DIMS = """coalesce(t.county_code, t.city_code, t.province_code, '')::varchar(12), coalesce(t.category_code, ''),
           t.channel, t.requester_type"""
SOURCE = """(
    SELECT day, unit_id, area_code, category_code, channel, requester_type, {counters}, 0 AS sign_lapsed,
           0 AS answered, {nreview}
    FROM rate_rollup
    UNION ALL
    SELECT rollup_day(t.dispatched_at), coalesce(t.unit_id, 0), {dims}, {zeros}, 1, 0, {nreview}
    FROM tickets t
    WHERE t.status = 'dispatched' AND t.signed_at IS NULL AND t.sign_by < coalesce($6::timestamptz, now())
    UNION ALL
    SELECT rollup_day(a.at), 0, {dims}, {zeros}, 0, 1, {nreview}
    FROM ticket_answers a JOIN tickets t ON t.id = a.ticket_id
    WHERE a.at >= $1::date - 1 AND a.at < $2::date + 2
    UNION ALL
    SELECT rollup_day(b.opened_at), coalesce(b.unit_id, 0), {dims}, {zeros}, 0, 0,
           (b.ruling = 'valid')::int, (b.ruling = 'valid' AND b.rectified_at IS NOT NULL)::int,
           (b.ruling = 'valid' AND b.rectified_at IS NULL AND b.rectify_by < coalesce($6::timestamptz, now()))::int,
           (b.real_name AND b.ruling <> 'invalid')::int,
           (b.real_name AND b.ruling <> 'invalid' AND b.replied_at IS NOT NULL)::int
    FROM bad_reviews b JOIN tickets t ON t.id = b.ticket_id
    WHERE b.opened_at >= $1::date::timestamp AT TIME ZONE 'Asia/Shanghai'
      AND b.opened_at < ($2::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'
)""".format(counters=", ".join(COUNTERS), zeros=", ".join("0" for _ in COUNTERS), dims=_DIMS,
            nreview=", ".join(f"0 AS {c}" for c in REVIEW_COUNTERS))


def build_sql(group_by: str, period: str, *, area_root: bool, filters: dict) -> tuple[str, list]:
    """The report's SQL and its parameters (values only ever travel as parameters)."""
    args: list = [filters["from"], filters["to"], filters["weights"][0], filters["weights"][1],
                  filters["weights"][2], filters.get("now")]
    where = ["r.day BETWEEN $1 AND $2"]
    join = ""

    def arg(value) -> str:
        args.append(value)
        return f"${len(args)}"

    if group_by == "area":
        root = arg(filters["area"])
        join = (f"JOIN area_ancestors aa ON aa.code = r.area_code "
                f"JOIN areas g ON g.code = aa.ancestor AND (g.parent_code = {root} OR (aa.depth = 0 AND g.code = {root}))")
    elif filters.get("area"):
        where.append(f"r.area_code IN (SELECT code FROM area_ancestors WHERE ancestor = {arg(filters['area'])})")
    if filters.get("unit_id") is not None:
        where.append(f"r.unit_id = {arg(filters['unit_id'])}")
    if filters.get("category"):
        where.append(f"r.category_code = {arg(filters['category'])}")
    if filters.get("channel"):
        where.append(f"r.channel = {arg(filters['channel'])}::channel")
    if filters.get("requester_type"):
        where.append(f"r.requester_type = {arg(filters['requester_type'])}::requester_type")

    sums = ",\n       ".join(f"sum(r.{c})::bigint AS {c}" for c in REPORT_COUNTERS)
    rates = ",\n       ".join(f"{rate_sql(num, den)} AS {name}" for name, (num, den, _) in RATES.items())
    sql = f"""
WITH s AS (
    SELECT {PERIOD_SQL[period]} AS period, {KEY_SQL[group_by]} AS key,
       {sums}
    FROM {SOURCE_NOW} r {join}
    WHERE {' AND '.join(where)}
    GROUP BY 1, 2
), x AS (
    SELECT s.*, {rates} FROM s
)
SELECT x.period, x.key::text AS key, {', '.join('x.' + c for c in REPORT_COUNTERS)}, {', '.join('x.' + n for n in RATES)},
       round((claimed_resolution_rate - real_resolution_rate)::numeric, 4)::float8 AS resolution_gap,
       round(($3::float8 * response_rate + $4::float8 * real_resolution_rate
             + $5::float8 * satisfaction_rate)::numeric, 4)::float8 AS composite
FROM x
ORDER BY x.period NULLS FIRST, x.key
"""
    return sql, args


async def labels(pool: asyncpg.Pool | asyncpg.Connection, group_by: str, keys: list[str], root: str | None) -> dict:
    """Display names of the group keys."""
    if group_by == "unit":
        ids = [int(k) for k in keys if k and k != "0"]
        rows = await pool.fetch("SELECT id::text AS k, name FROM units WHERE id = ANY($1::int[])", ids)
        out = {r["k"]: r["name"] for r in rows}
        out["0"] = "（未派单）"
        return out
    if group_by == "area":
        rows = await pool.fetch("SELECT code AS k, name FROM areas WHERE code = ANY($1::text[])", keys)
        out = {r["k"]: r["name"] for r in rows}
        if root in out:
            out[root] = out[root] + "（本级）"
        return out
    if group_by == "category":
        rows = await pool.fetch("SELECT code AS k, name FROM categories WHERE code = ANY($1::text[])", keys)
        return {**{r["k"]: r["name"] for r in rows}, "": "（未分类）"}
    if group_by == "channel":
        return {c.value: c.label for c in Channel}
    if group_by == "requester_type":
        return {c.value: c.label for c in RequesterType}
    return {"all": "合计"}


# rate_rollup plus the deltas not folded into it yet. A fold moves deltas in one transaction, so the two
# together are exact in any snapshot: on the primary after the fold the report runs (few deltas left), and
# on a read-only replica, which cannot fold (hotline/replica.py). SOURCE reads it where it reads the rollup.
ROLLUP_NOW = """(
    SELECT day, unit_id, area_code, category_code, channel, requester_type, {counters} FROM rate_rollup
    UNION ALL
    SELECT day, unit_id, area_code, category_code, channel, requester_type, {deltas} FROM rate_rollup_delta
) rollup_now""".format(counters=", ".join(COUNTERS),
                       deltas=", ".join(f"CASE WHEN counter = '{c}' THEN n ELSE 0 END AS {c}" for c in COUNTERS))
SOURCE_NOW = SOURCE.replace("FROM rate_rollup\n", f"FROM {ROLLUP_NOW}\n", 1)
assert SOURCE_NOW != SOURCE, "SOURCE no longer reads `FROM rate_rollup` on a line of its own"


# A unit x week report of a province-month groups ~12k rows of ~35 columns: with the default
# 4 MB the hash aggregate spills to disk. Only this transaction gets the larger budget.
REPORT_WORK_MEM = "64MB"


async def _fetch_report(pool, sql: str, args: list):
    async def fetch(conn):
        async with conn.transaction(readonly=True):
            await conn.execute(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
            return await conn.fetch(sql, *args)

    if isinstance(pool, asyncpg.Pool):
        async with pool.acquire() as conn:
            return await fetch(conn)
    return await fetch(pool)


async def run(pool: asyncpg.Pool | asyncpg.Connection, group_by: str, period: str, filters: dict) -> list[dict]:
    """Rows of the report: period, key, label, the counters and the rates."""
    sql, args = build_sql(group_by, period, area_root=group_by == "area", filters=filters)
    rows = await _fetch_report(pool, sql, args)
    names = await labels(pool, group_by, [r["key"] for r in rows], filters.get("area"))
    out = []
    for r in rows:
        d = {"period": r["period"].isoformat() if r["period"] else None, "key": r["key"],
             "label": names.get(r["key"], r["key"]), **dict(r)}
        d["period"] = r["period"].isoformat() if r["period"] else None
        out.append(d)
    return out
