"""The disputes report: 调解成功率, 协议履行率, 实质化解率, average time, overdue and 挂牌 cases,
repeat disputes and high-risk open cases, by organisation, area, type, tier or month.

Definitions (cases registered in [from, to + 1 day), Beijing time):
- 调解成功率 = settled / cases with an outcome (settled, failed, terminated);
- 协议履行率 = agreements performed in full / settled cases followed up;
- 实质化解率 = settled, performed in full and never reopened / cases with an outcome;
- average days = mean calendar days from registration to outcome;
- overdue = open cases past their mediation deadline at `now`; listed = 挂牌督办 ever;
- repeat = cases reopened or gathering repeat calls; high-risk open = 高/重大 still open;
- risk recall = cases that turned violent whose scored level was 高/重大, over all that turned violent.
Whole months come from the rollup (hotline.disputes.rollup, migration 0020), the rest from the cases;
mediators' and the court's reports read the cases (one aggregate statement and its totals row).
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from hotline import keys, scope, wallclock
from hotline.disputes import rollup, schemas as s, service
from hotline.endpoints import parse_query
from hotline.replica import lag_tolerant, primary_only, read_pool
from hotline.errors import json_response
from models.enums import Role
from routing.disputes import catalogue

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROLLUP_ROLES = (Role.ADMIN, Role.AGENT, Role.SUPERVISOR)   # scoped by place (or not at all): the rollup serves them
OPEN = "c.status NOT IN ('settled', 'failed', 'terminated', 'closed')"
METRICS = f"""
count(*) AS cases,
count(*) FILTER (WHERE c.outcome IS NOT NULL) AS resolved,
count(*) FILTER (WHERE c.outcome = 'settled') AS settled,
count(*) FILTER (WHERE c.outcome = 'failed') AS failed,
count(*) FILTER (WHERE c.performed IS NOT NULL) AS followed_up,
count(*) FILTER (WHERE c.performed = 'yes') AS performed,
count(*) FILTER (WHERE c.outcome = 'settled' AND c.performed = 'yes' AND c.reopen_count = 0) AS substantive,
round(avg(extract(epoch FROM c.resolved_at - c.created_at) / 86400.0)
      FILTER (WHERE c.resolved_at IS NOT NULL)::numeric, 2) AS avg_days,
count(*) FILTER (WHERE {OPEN} AND c.due_at < $3) AS overdue,
count(*) FILTER (WHERE c.listed) AS listed,
count(*) FILTER (WHERE c.reopen_count > 0 OR c.repeat_calls > 0) AS repeat,
count(*) FILTER (WHERE {OPEN} AND c.risk IN ('high', 'major')) AS high_risk_open,
count(*) FILTER (WHERE c.turned_violent) AS turned_violent,
count(*) FILTER (WHERE c.turned_violent AND c.risk_scored IN ('high', 'major')) AS violent_flagged
"""
GROUPS = {
    "org": ("coalesce(o.code, '')", "coalesce(max(o.name), '未分派')"),
    "area": ("coalesce(c.county_code, c.city_code, '')", "coalesce(max(a.name), '未知地区')"),
    "type": ("c.dispute_type", "''"),
    "tier": ("coalesce(c.tier, '')", "''"),
    "month": ("to_char(c.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')", "''"),
}
FROM = """
FROM dispute_cases c
LEFT JOIN mediation_orgs o ON o.id = c.lead_org_id
LEFT JOIN areas a ON a.code = coalesce(c.county_code, c.city_code)
WHERE c.created_at >= $1 AND c.created_at < $2 AND {where}
"""


def rates(row: dict) -> dict:
    def r(num, den):
        return round(num / den, 4) if den else None

    return {"success_rate": r(row["settled"], row["resolved"]),
            "performance_rate": r(row["performed"], row["followed_up"]),
            "substantive_rate": r(row["substantive"], row["resolved"]),
            "risk_recall": r(row["violent_flagged"], row["turned_violent"])}


def _out(row) -> dict:
    d = {k: (float(v) if k == "avg_days" and v is not None else v) for k, v in dict(row).items() if k != "is_total"}
    return {**d, **rates(d)}


def day_range(q: s.ReportQuery, now: datetime) -> tuple:
    """The report's days: `to` defaults to today (Beijing), `from` to 29 days before `to`."""
    to = q.to or now.astimezone(SHANGHAI).date()
    return q.from_ or to - timedelta(days=29), to


async def report(pool, principal, q: s.ReportQuery, now: datetime, *, raw: bool = False) -> dict:
    """The report; from the rollup (hotline.disputes.rollup) unless the caller is scoped by organisation or
    referral (mediators, the court) or `raw` asks for the cases themselves (the benchmark's baseline)."""
    frm, to = day_range(q, now)
    start = datetime.combine(frm, time.min, SHANGHAI)
    end = datetime.combine(to + timedelta(days=1), time.min, SHANGHAI)
    args: list = [start, end, now]
    where = [scope.case_clause(principal, args)]
    if q.area:
        args.append(q.area)
        where.append(f"${len(args)} IN (c.area_code, c.county_code, c.city_code)")
    cond = " AND ".join(where)
    async with pool.acquire() as conn:
        if raw or principal.role not in ROLLUP_ROLES:
            key, label = GROUPS[q.by]
            source = FROM.format(where=cond)
            rows = await conn.fetch(f"SELECT {key} AS key, {label} AS label, {METRICS} {source} GROUP BY 1 ORDER BY 1",
                                    *args)
            total = await conn.fetchrow(f"SELECT {METRICS} {source}", *args)
        else:
            await rollup.fold(conn)
            rows, total = await rollup.fetch(conn, args, cond, q.by, frm, to)
    items = [_out(r) for r in rows]
    if q.by == "type":
        types = catalogue.load_types()
        for i in items:
            i["label"] = types[i["key"]].label if i["key"] in types else i["key"]
    if q.by == "tier":
        for i in items:
            i["label"] = catalogue.TIER_LABELS.get(i["key"], "未分派")
    return {"from": frm.isoformat(), "to": to.isoformat(), "by": q.by, "items": items, "totals": _out(total)}


@lag_tolerant
async def disputes_report(request: web.Request) -> web.Response:
    q = parse_query(request, s.ReportQuery)
    principal = request[keys.PRINCIPAL]
    # The rollup path folds before it reads (a write) and its whole months hold no pending deltas: primary.
    # Mediators' and the court's reports read the cases themselves, which the replica has.
    pool = primary_only(request) if principal.role in ROLLUP_ROLES else read_pool(request)
    return json_response(await report(pool, principal, q, wallclock.now(request.app)))
