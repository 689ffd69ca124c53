"""The dashboard's disputes panel (#14): open cases by risk level, 挂牌督办 cases and overdue mediations.

Open is every case without an outcome yet (new, accepted, assigned, mediating, reviewing); overdue an open
case past its mediation time limit (`due_at`, the ladder's clock). Scope: hotline.scope.case_clause (a
supervisor its area subtree), and the `area` rule of every report (hotline.scope.report_area).
The lists put the open 高/重大 cases first (the issue's "open high-risk cases first"), then 挂牌, then overdue.
"""
from __future__ import annotations

from aiohttp import web

from hotline import keys, scope
from hotline.dashboard.schemas import BoardQuery
from hotline.disputes.serialize import brief, plain
from hotline.endpoints import parse_query
from hotline.errors import json_response
from hotline.wallclock import now as app_now
from models.enums import RiskLevel

OPEN = "c.status NOT IN ('settled', 'failed', 'terminated', 'closed')"
BY_RISK = f"""
SELECT c.risk::text AS risk, count(*) AS open, count(*) FILTER (WHERE c.listed) AS listed,
       count(*) FILTER (WHERE c.due_at < $1) AS overdue
FROM dispute_cases c WHERE {OPEN} AND {{where}} GROUP BY 1
"""
LISTS = {
    "high_risk": "c.risk IN ('high', 'major')",
    "listed": "c.listed",
    "overdue": "c.due_at < $1",
}
CASES = f"""
SELECT c.*, o.name AS lead_org_name, a.name AS area_name, c.due_at < $1 AS overdue
FROM dispute_cases c
LEFT JOIN mediation_orgs o ON o.id = c.lead_org_id
LEFT JOIN areas a ON a.code = coalesce(c.county_code, c.city_code)
WHERE {OPEN} AND {{kind}} AND {{where}}
ORDER BY array_position(ARRAY['major', 'high', 'medium', 'low'], c.risk::text), c.listed DESC,
         c.due_at NULLS LAST, c.id
LIMIT {{limit}}
"""


def _case(row, now) -> dict:
    out = brief(row)
    days = (now - row["due_at"]).total_seconds() / 86400 if row["overdue"] else None
    out.update({"lead_org_name": row["lead_org_name"], "area_name": row["area_name"], "overdue": bool(row["overdue"]),
                "days_overdue": round(days, 1) if days is not None else None, "due_at": plain(row["due_at"])})
    return out


async def board(request: web.Request) -> web.Response:
    app = request.app
    pool = app[keys.POOL]
    principal = request[keys.PRINCIPAL]
    q = parse_query(request, BoardQuery)
    area = await scope.report_area(pool, principal, q.area)
    now = app_now(app)
    args: list = [now]
    where = [scope.case_clause(principal, args)]
    if area:
        args.append(area)
        n = len(args)
        where.append(f"(${n} IN (c.area_code, c.county_code, c.city_code) "
                     f"OR left(coalesce(c.county_code, c.city_code), 2) || '0000' = ${n})")
    cond = " AND ".join(where)
    async with pool.acquire() as conn:
        counts = {r["risk"]: r for r in await conn.fetch(BY_RISK.format(where=cond), *args)}
        lists = {name: [_case(r, now) for r in await conn.fetch(
                     CASES.format(kind=kind, where=cond, limit=q.limit), *args)]
                 for name, kind in LISTS.items()}
    by_risk = [{"risk": r.value, "label": r.label, **{k: counts[r.value][k] if r.value in counts else 0
                                                       for k in ("open", "listed", "overdue")}}
               for r in reversed(list(RiskLevel))]
    totals = {k: sum(b[k] for b in by_risk) for k in ("open", "listed", "overdue")}
    totals["high_risk"] = sum(b["open"] for b in by_risk if b["risk"] in ("high", "major"))
    return json_response({"as_of": plain(now), "area": area, "by_risk": by_risk, "totals": totals, **lists})
