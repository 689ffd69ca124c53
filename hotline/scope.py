"""Who sees what: the one rule, in the forms its callers need.

- agents and admins: every ticket;
- a handler: tickets its unit leads, or supports (协办) while active;
- a supervisor: tickets in its area subtree (the ticket's province, city, county or area code);
- the 110 linkage token: the tickets it handed over, and those 12345 handed to 110 (110 or joint);
- mediators and the court: no tickets.

Dispute cases (hotline/disputes): agents and admins every case; a supervisor the cases in its
area subtree; a mediator the cases its organisation leads or supports (acting, beyond notes,
minutes and risk confirmation, only where it leads: hotline.disputes.steps); the court the
cases it referred. The 110 outbox: a ticket's deliveries as the ticket, a case's risk alerts as
the case, and every risk alert for the 110 platform (outbox_clause).

Out of scope answers 404, as if the ticket did not exist. Workflow actions add one rule:
a supporting unit may only add notes (403 otherwise). Lists and reports: a supervisor's
covers at most its own subtree, and naming an area outside it is 403 (report_area).
"""
from __future__ import annotations

import asyncpg

from hotline.auth import Principal
from hotline.errors import ApiError
from models.enums import Role

EVERYTHING = (Role.AGENT, Role.ADMIN)
AREA_FIELDS = ("province_code", "city_code", "county_code", "area_code")

Db = asyncpg.Pool | asyncpg.Connection


def not_found(ticket_id: int) -> ApiError:
    """The answer for a ticket that does not exist or is out of scope."""
    return ApiError(404, "工单不存在或无权查看", [{"field": "id", "message": str(ticket_id)}])


def clause(principal: Principal, args: list) -> str:
    """SQL restricting tickets `t` to what the principal may see (appends its parameters to args)."""
    if principal.role in EVERYTHING:
        return "TRUE"
    if principal.role == Role.HANDLER:  # lead unit, or a supporting unit (协办)
        args.append(principal.unit_id)
        n = len(args)
        return (f"(t.unit_id = ${n} OR EXISTS (SELECT 1 FROM ticket_units tu WHERE tu.ticket_id = t.id "
                f"AND tu.unit_id = ${n} AND tu.active))")
    if principal.role == Role.SUPERVISOR:
        args.append(principal.area_code)
        n = len(args)
        return f"(t.province_code = ${n} OR t.city_code = ${n} OR t.county_code = ${n} OR t.area_code = ${n})"
    if principal.role != Role.LINKAGE:  # mediators and the court see no tickets
        return "FALSE"
    # linkage (the 110 platform): what it handed over, and what 12345 handed to 110 (transferred or joint)
    args.append(principal.token_id)
    return (f"(t.created_by = ${len(args)} OR t.disposition IN ('110', 'joint') "
            "OR t.police_incident_no IS NOT NULL)")


def in_area(principal: Principal, fields) -> bool:
    """Whether a ticket (row or announcement with the area fields) lies in a supervisor's subtree."""
    return principal.area_code in {fields.get(f) for f in AREA_FIELDS}


def can_see(principal: Principal, row) -> bool:
    """The same rule as clause(), for one fetched ticket (with support_unit_ids)."""
    if principal.role in EVERYTHING:
        return True
    if principal.role == Role.HANDLER:
        return row["unit_id"] == principal.unit_id or principal.unit_id in (row["support_unit_ids"] or ())
    if principal.role == Role.SUPERVISOR:
        return in_area(principal, row)
    if principal.role != Role.LINKAGE:
        return False
    return (row["created_by"] == principal.token_id or row["disposition"] in ("110", "joint")
            or row["police_incident_no"] is not None)


def sees_escalation(principal: Principal, fields: dict) -> bool:
    """Escalation announcements (the live feed): agents and admins all, a supervisor its subtree."""
    return principal.role != Role.SUPERVISOR or in_area(principal, fields)


IS_SUPPORTING = """
SELECT EXISTS (SELECT 1 FROM ticket_units
               WHERE ticket_id = $1 AND unit_id = $2 AND role = 'support' AND active)
"""


async def is_supporting(conn: Db, ticket_id: int, unit_id: int | None) -> bool:
    """True when the unit is an active supporting unit (协办) of the ticket."""
    return unit_id is not None and await conn.fetchval(IS_SUPPORTING, ticket_id, unit_id)


async def check_action(conn: Db, principal: Principal | None, row, action: str) -> None:
    """404 outside the caller's scope; 403 for a supporting unit doing more than notes.

    System callers (no principal) act everywhere. Roles that may not act on tickets at all
    (110 linkage) get 404 here, before the state machine's role check.
    """
    if principal is None or principal.role in EVERYTHING:
        return
    if principal.role == Role.SUPERVISOR and in_area(principal, row):
        return
    if principal.role == Role.HANDLER:
        if row["unit_id"] is not None and row["unit_id"] == principal.unit_id:
            return
        if await is_supporting(conn, row["id"], principal.unit_id):
            if action == "note":
                return
            raise ApiError(403, "协办单位只能添加过程记录，其他操作由主办单位办理",
                           [{"field": "unit", "message": "当前单位为该工单的协办单位"}])
    raise not_found(row["id"])


async def area_exists(db: Db, code: str) -> bool:
    return bool(await db.fetchval("SELECT 1 FROM areas WHERE code = $1", code))


async def within(db: Db, code: str, ancestor: str) -> bool:
    """Whether area code lies in ancestor's subtree (itself included)."""
    return bool(await db.fetchval("SELECT 1 FROM area_ancestors WHERE code = $1 AND ancestor = $2",
                                  code, ancestor))


OUT_OF_AREA = "只能查看本辖区（含下级地区）的数据"
# The one rule for an `area` parameter, in every list and report that takes one (OpenAPI says it too).
AREA_RULE = "督办人员只能指定本辖区及其下级地区，辖区以外返回 403；未知代码返回 422；不指定时为本辖区"


async def report_area(db: Db, principal: Principal, area: str | None) -> str | None:
    """The area a list or report is limited to: a supervisor's own subtree at most.

    Every endpoint with an `area` parameter (tickets, rates, overdue, escalations, linkage)
    applies it: an unknown code is 422; a supervisor naming an area outside its subtree is
    403 (field area), never an empty answer that reads like "nothing happened there".
    """
    if area is not None and not await area_exists(db, area):
        raise ApiError(422, "行政区划代码不存在", [{"field": "area", "message": f"未知代码 {area}"}])
    if principal.role == Role.SUPERVISOR:
        if area is None:
            return principal.area_code
        if not await within(db, area, principal.area_code):
            raise ApiError(403, OUT_OF_AREA, [{"field": "area", "message": f"辖区：{principal.area_code}"}])
    return area


# --- dispute cases (alias c) ------------------------------------------------------------------

CASE_404 = "案件不存在或无权查看"
CASE_ORG = "SELECT role FROM case_orgs WHERE case_id = $1 AND org_id = $2 AND active"


def case_not_found(case_id: int) -> ApiError:
    return ApiError(404, CASE_404, [{"field": "id", "message": str(case_id)}])


def case_clause(principal: Principal, args: list) -> str:
    """SQL restricting dispute cases `c` to what the principal may see (appends its parameters)."""
    if principal.role in EVERYTHING:
        return "TRUE"
    if principal.role == Role.SUPERVISOR:
        args.append(principal.area_code)
        n = len(args)
        return (f"(c.city_code = ${n} OR c.county_code = ${n} OR c.area_code = ${n} "
                f"OR left(coalesce(c.county_code, c.city_code), 2) || '0000' = ${n})")
    if principal.role == Role.MEDIATOR:
        args.append(principal.org_id)
        return (f"EXISTS (SELECT 1 FROM case_orgs co WHERE co.case_id = c.id AND co.org_id = ${len(args)} "
                "AND co.active)")
    if principal.role == Role.COURT:
        args.append(principal.token_id)
        return f"(c.source = 'court' AND c.created_by = ${len(args)})"
    return "FALSE"


def outbox_clause(principal: Principal, args: list) -> str:
    """SQL restricting 110 linkage_outbox rows `o` (left-joined to tickets `t` and cases `c`).

    A ticket's hand-off or outcome follows the ticket's rule; a high-risk case's alert (no ticket)
    follows the case's rule, except that the 110 platform sees every alert: they are addressed to it."""
    cases = "TRUE" if principal.role == Role.LINKAGE else case_clause(principal, args)
    return f"((o.ticket_id IS NOT NULL AND {clause(principal, args)}) OR (o.case_id IS NOT NULL AND {cases}))"


async def case_org_role(conn: Db, case_id: int, org_id: int | None) -> str | None:
    """'lead' or 'support' when the organisation is active on the case."""
    return None if org_id is None else await conn.fetchval(CASE_ORG, case_id, org_id)


async def sees_case(conn: Db, principal: Principal, row) -> bool:
    """The same rule as case_clause, for one case row."""
    if principal.role in EVERYTHING:
        return True
    if principal.role == Role.SUPERVISOR:
        county = row["county_code"] or row["city_code"] or ""
        return principal.area_code in (row["city_code"], row["county_code"], row["area_code"], county[:2] + "0000")
    if principal.role == Role.MEDIATOR:
        return await case_org_role(conn, row["id"], principal.org_id) is not None
    if principal.role == Role.COURT:
        return row["source"] == "court" and row["created_by"] == principal.token_id
    return False


# --- 热线百科 articles (alias a) ---------------------------------------------------------------
# Every staff role reads published articles. Managing one (its drafts, revising, the review flow):
# agents and admins every article; a unit (handler) its own unit's; a supervisor those whose area
# lies in its subtree. Out of scope answers 404, as for tickets.

ARTICLE_404 = "知识条目不存在或无权查看"


def article_not_found(article_id: int) -> ApiError:
    return ApiError(404, ARTICLE_404, [{"field": "id", "message": str(article_id)}])


def article_clause(principal: Principal, args: list) -> str:
    """SQL restricting articles `a` to those the principal manages (appends its parameters to args)."""
    if principal.role in EVERYTHING:
        return "TRUE"
    if principal.role == Role.HANDLER:
        args.append(principal.unit_id)
        return f"a.unit_id = ${len(args)}"
    if principal.role == Role.SUPERVISOR:
        args.append(principal.area_code)
        return f"a.area_code IN (SELECT code FROM area_ancestors WHERE ancestor = ${len(args)})"
    return "FALSE"


async def manages_article(db: Db, principal: Principal, row) -> bool:
    """The same rule as article_clause, for one article row."""
    if principal.role in EVERYTHING:
        return True
    if principal.role == Role.HANDLER:
        return row["unit_id"] is not None and row["unit_id"] == principal.unit_id
    if principal.role == Role.SUPERVISOR:
        return await within(db, row["area_code"], principal.area_code)
    return False
