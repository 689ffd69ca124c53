"""Data access for the handling workflow (plain SQL, asyncpg): one short function per query."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg
from aiohttp import web

from hotline import keys
from hotline import scope
from hotline.auth import Principal
from hotline.jsoncodec import iso
from hotline.tickets.serialize import deadline_provisional
from models.enums import Role, Status
from routing import clock, destination, sla, workflow

OPEN = ("dispatched", "signed", "in_progress")


# --- reference data for destination decisions ------------------------------------------------

async def reference(app: web.Application) -> destination.Places:
    """The intake pipeline's loaded reference data, or a fresh load when it is not running."""
    data = app.get(keys.REFERENCE)
    if data is not None:
        return data
    from hotline.pipeline import load_areas, load_units

    units, _ = await load_units(app[keys.POOL])
    return destination.Places(await load_areas(app[keys.POOL]), destination.load_catalogue(), units)


# --- one ticket -------------------------------------------------------------------------------

LOCK_TICKET = """
SELECT t.*, u.code AS unit_code, u.name AS unit_name, u.tier AS unit_tier
FROM tickets t LEFT JOIN units u ON u.id = t.unit_id
WHERE t.id = $1
FOR UPDATE OF t
"""


async def lock_ticket(conn: asyncpg.Connection, ticket_id: int) -> asyncpg.Record | None:
    """The ticket row, locked until the transaction ends."""
    return await conn.fetchrow(LOCK_TICKET, ticket_id)


async def update_ticket(conn: asyncpg.Connection, ticket_id: int, fields: dict) -> None:
    """Set columns of one ticket (column names come from code, never from requests)."""
    names = list(fields)
    sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(names, start=2))
    await conn.execute(f"UPDATE tickets SET {sets} WHERE id = $1", ticket_id, *fields.values())


SUPPORT_CODES = """
SELECT u.code FROM ticket_units tu JOIN units u ON u.id = tu.unit_id
WHERE tu.ticket_id = $1 AND tu.role = 'support' AND tu.active ORDER BY tu.assigned_at, u.code
"""


async def support_codes(conn: asyncpg.Connection, ticket_id: int) -> tuple[str, ...]:
    """Codes of the ticket's active supporting units."""
    return tuple(r["code"] for r in await conn.fetch(SUPPORT_CODES, ticket_id))


# 提级: the same kind of unit at the parent area (county → city → province); when the
# parent has no such unit, its 12345 supervision office takes the ticket.
UNIT_ABOVE = """
SELECT p.id, p.code, p.name, p.tier::text AS tier
FROM units u
JOIN areas a ON a.code = u.area_code
JOIN units p ON p.area_code = a.parent_code AND p.active
WHERE u.id = $1 AND (p.unit_type = u.unit_type OR p.unit_type = 'supervision')
ORDER BY (p.unit_type = u.unit_type) DESC
LIMIT 1
"""


async def unit_above(conn: asyncpg.Connection, unit_id: int | None) -> asyncpg.Record | None:
    """The unit a ticket of unit_id is raised (提级) to, or None at the top."""
    return await conn.fetchrow(UNIT_ABOVE, unit_id)


UNIT_BY_CODE = "SELECT id, code, name, tier, area_code, unit_type FROM units WHERE code = $1 AND active"


async def unit_by_code(conn: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    """An active unit by its code."""
    return await conn.fetchrow(UNIT_BY_CODE, code)


async def unit_by_id(conn: asyncpg.Connection, unit_id: int) -> asyncpg.Record | None:
    """A unit by id (active or not: a return names the unit it came from)."""
    return await conn.fetchrow("SELECT id, code, name, tier FROM units WHERE id = $1", unit_id)


CATEGORY = "SELECT code, name FROM categories WHERE code = $1 OR name = $1"


async def category(conn: asyncpg.Connection, code_or_name: str) -> asyncpg.Record | None:
    """A category by its code or its Chinese name."""
    return await conn.fetchrow(CATEGORY, code_or_name)


# --- what the caller could do now ---------------------------------------------------------------

SITUATION = """
SELECT t.status::text AS status, t.pauses, t.unit_id, t.dispatched_at, t.extension_days,
       t.urgency::text AS urgency, t.category_class, t.closed_as IS NOT NULL AS merged,
       EXISTS (SELECT 1 FROM extension_requests e WHERE e.ticket_id = t.id AND e.state = 'pending')
           AS pending_extension,
       EXISTS (SELECT 1 FROM ticket_returns r WHERE r.ticket_id = t.id AND r.decision IS NULL) AS open_return,
       EXISTS (SELECT 1 FROM ticket_returns r WHERE r.ticket_id = t.id AND r.decision = 'uphold'
               AND r.decided_at >= t.dispatched_at) AS upheld,
       EXISTS (SELECT 1 FROM ticket_units tu WHERE tu.ticket_id = t.id AND tu.unit_id = $2
               AND tu.role = 'support' AND tu.active) AS supporting
FROM tickets t WHERE t.id = $1
"""


async def situation(conn: asyncpg.Connection, ticket_id: int, principal: Principal | None,
                    at: datetime) -> workflow.Situation:
    """The facts that decide which actions would succeed now (routing.workflow.available_actions)."""
    unit_id = principal.unit_id if principal is not None else None
    r = await conn.fetchrow(SITUATION, ticket_id, unit_id)
    if r is None:
        return workflow.Situation()
    try:
        limits = clock.default_policy().limits(r["urgency"], r["category_class"])
        days_left = limits.max_extension_days - r["extension_days"]
        window_open = r["dispatched_at"] is not None and at - r["dispatched_at"] <= limits.return_window
    except sla.PolicyError:
        days_left, window_open = 0, False
    lead = unit_id is not None and unit_id == r["unit_id"]
    return workflow.Situation(
        paused=is_paused(r["pauses"]), pending_extension=r["pending_extension"], extension_days_left=days_left,
        open_return=r["open_return"], return_window_open=window_open, upheld=r["upheld"],
        has_unit=r["unit_id"] is not None, supporting_only=bool(r["supporting"]) and not lead,
        merged=r["merged"])


UPHELD = """
SELECT EXISTS (SELECT 1 FROM ticket_returns r JOIN tickets t ON t.id = r.ticket_id
               WHERE r.ticket_id = $1 AND r.decision = 'uphold' AND r.decided_at >= t.dispatched_at)
"""


async def upheld(conn: asyncpg.Connection, ticket_id: int) -> bool:
    """True when a supervisor upheld the ticket's current dispatch (维持原派)."""
    return await conn.fetchval(UPHELD, ticket_id)


async def available_actions(conn, ticket_id: int, status: str, principal: Principal | None, at: datetime) -> list[str]:
    """What this caller could do with the ticket now."""
    role = principal.role if principal is not None else Role.ADMIN
    return workflow.available_actions(status, role, await situation(conn, ticket_id, principal, at))


# --- returns (退单) -----------------------------------------------------------------------------

INSERT_RETURN = """
INSERT INTO ticket_returns (ticket_id, unit_id, reason, contest, at) VALUES ($1, $2, $3, $4, $5) RETURNING id
"""
OPEN_RETURN = """
SELECT id, unit_id, reason, contest, at FROM ticket_returns
WHERE ticket_id = $1 AND decision IS NULL ORDER BY id DESC LIMIT 1 FOR UPDATE
"""
DECIDE_RETURN = "UPDATE ticket_returns SET decision = $2, decided_at = $3, decided_by = $4 WHERE id = $1"


async def insert_return(conn, ticket_id: int, unit_id: int, reason: str, contest: bool, at: datetime) -> int:
    return await conn.fetchval(INSERT_RETURN, ticket_id, unit_id, reason, contest, at)


async def open_return(conn: asyncpg.Connection, ticket_id: int) -> asyncpg.Record | None:
    """The ticket's undecided return, if any (locked)."""
    return await conn.fetchrow(OPEN_RETURN, ticket_id)


async def decide_return(conn, return_id: int, decision: str, principal: Principal | None, at: datetime) -> None:
    await conn.execute(DECIDE_RETURN, return_id, decision, at, principal.token_id if principal else None)


# --- extensions (延期) ------------------------------------------------------------------------

EXTENSION_COLUMNS = "id, ticket_id, unit_id, days, reason, state, requested_at, decided_at, note"
INSERT_EXTENSION = f"""
INSERT INTO extension_requests (ticket_id, unit_id, days, reason, requested_at) VALUES ($1, $2, $3, $4, $5)
RETURNING {EXTENSION_COLUMNS}
"""
LOCK_EXTENSION = f"SELECT {EXTENSION_COLUMNS} FROM extension_requests WHERE id = $1 AND ticket_id = $2 FOR UPDATE"
DECIDE_EXTENSION = f"""
UPDATE extension_requests SET state = $2, decided_at = $3, decided_by = $4, note = $5 WHERE id = $1
RETURNING {EXTENSION_COLUMNS}
"""
PENDING_EXTENSION = "SELECT id FROM extension_requests WHERE ticket_id = $1 AND state = 'pending'"
LAPSE_EXTENSIONS = """
UPDATE extension_requests SET state = 'refused', decided_at = $2, note = $3
WHERE ticket_id = $1 AND state = 'pending'
"""


async def insert_extension(conn, ticket_id: int, unit_id: int, days: int, reason: str, at: datetime):
    return await conn.fetchrow(INSERT_EXTENSION, ticket_id, unit_id, days, reason, at)


async def lock_extension(conn, extension_id: int, ticket_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(LOCK_EXTENSION, extension_id, ticket_id)


async def pending_extension(conn, ticket_id: int) -> int | None:
    return await conn.fetchval(PENDING_EXTENSION, ticket_id)


async def decide_extension(conn, extension_id: int, state: str, principal: Principal | None, note: str,
                           at: datetime) -> asyncpg.Record:
    return await conn.fetchrow(DECIDE_EXTENSION, extension_id, state, at,
                               principal.token_id if principal else None, note)


async def lapse_extensions(conn, ticket_id: int, note: str, at: datetime) -> None:
    """Pending extension requests lapse when the ticket leaves the unit's hands."""
    await conn.execute(LAPSE_EXTENSIONS, ticket_id, at, note)


def extension_out(row: asyncpg.Record) -> dict:
    out = dict(row)
    for k in ("requested_at", "decided_at"):
        out[k] = iso(out[k])
    return out


# --- reading: state after an action, inbox and queues ------------------------------------------

BRIEF_COLUMNS = """
t.id, t.ticket_no, t.title, t.status, t.urgency, c.name AS category_name, t.area_code, t.unit_id,
u.code AS unit_code, u.name AS unit_name, t.dispatched_at, t.sign_by, t.reply_by, t.pauses, t.triage_reason
"""
BRIEF_FROM = """
FROM tickets t
LEFT JOIN categories c ON c.code = t.category_code
LEFT JOIN units u ON u.id = t.unit_id
"""


def is_paused(pauses) -> bool:
    """True while a 补充材料 pause is open."""
    return bool(pauses) and pauses[-1][1] is None


def _iso(v):
    return iso(v)


def brief(row: asyncpg.Record) -> dict:
    """A ticket line for inboxes and queues (no personal data)."""
    return {
        "id": row["id"], "ticket_no": row["ticket_no"], "title": row["title"],
        "status": row["status"], "status_label": Status(row["status"]).label, "urgency": row["urgency"],
        "category": row["category_name"], "area_code": row["area_code"],
        "unit": {"id": row["unit_id"], "code": row["unit_code"], "name": row["unit_name"]}
        if row["unit_id"] else None,
        "dispatched_at": _iso(row["dispatched_at"]), "sign_by": _iso(row["sign_by"]),
        "reply_by": _iso(row["reply_by"]), "paused": is_paused(row["pauses"]),
        "deadline_provisional": deadline_provisional(row["sign_by"], row["reply_by"]),
        "triage_reason": row["triage_reason"],
    }


async def get_brief(conn, ticket_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {BRIEF_COLUMNS} {BRIEF_FROM} WHERE t.id = $1", ticket_id)


# Most urgent first: the sign-off deadline for tickets still to sign, else the reply deadline.
INBOX_ORDER = ("ORDER BY CASE WHEN t.status = 'dispatched' THEN t.sign_by ELSE t.reply_by END NULLS LAST, t.id "
               "LIMIT $3")
INBOX_SELECT = f"SELECT {BRIEF_COLUMNS} {BRIEF_FROM}"
INBOX = {
    "to_sign": f"{INBOX_SELECT} WHERE t.unit_id = $1 AND t.status = 'dispatched' AND $2::timestamptz IS NOT NULL "
               f"{INBOX_ORDER}",
    "in_progress": f"{INBOX_SELECT} WHERE t.unit_id = $1 AND t.status IN ('signed', 'in_progress') "
                   f"AND $2::timestamptz IS NOT NULL {INBOX_ORDER}",
    "due_soon": f"{INBOX_SELECT} WHERE t.unit_id = $1 AND t.status IN ('dispatched', 'signed', 'in_progress') "
                "AND ((t.status = 'dispatched' AND t.sign_by < $2) OR t.reply_by < $2 + interval '24 hours') "
                f"{INBOX_ORDER}",
    "supporting": f"{INBOX_SELECT} JOIN ticket_units tu ON tu.ticket_id = t.id AND tu.unit_id = $1 "
                  "AND tu.role = 'support' AND tu.active WHERE t.status IN ('dispatched', 'signed', 'in_progress') "
                  f"AND $2::timestamptz IS NOT NULL {INBOX_ORDER}",
}


async def inbox(pool: asyncpg.Pool, unit_id: int, at: datetime, limit: int) -> dict[str, list[dict]]:
    """A unit's open tickets grouped for its handlers."""
    async with pool.acquire() as conn:
        return {group: [brief(r) for r in await conn.fetch(sql, unit_id, at, limit)]
                for group, sql in INBOX.items()}


def _page(rows: list, limit: int, key: str) -> dict:
    return {"items": rows, "next_after": rows[-1][key] if len(rows) == limit else None}


async def triage_queue(pool, principal: Principal, after: int | None, limit: int) -> dict:
    """Tickets waiting for a human to dispatch them, oldest first."""
    args: list = []
    where = scope.clause(principal, args)
    args += [after or 0, limit]
    rows = await pool.fetch(f"SELECT {BRIEF_COLUMNS} {BRIEF_FROM} WHERE t.status = 'triage' AND {where} "
                            f"AND t.id > ${len(args) - 1} ORDER BY t.id LIMIT ${len(args)}", *args)
    return _page([{"id": r["id"], "ticket": brief(r)} for r in rows], limit, "id")


RETURN_QUEUE = """
SELECT {brief}, r.id AS return_id, r.reason AS return_reason, r.contest, r.at AS returned_at,
       r.unit_id AS return_unit_id, ru.code AS return_unit_code, ru.name AS return_unit_name
{frm} JOIN ticket_returns r ON r.ticket_id = t.id JOIN units ru ON ru.id = r.unit_id
WHERE r.decision IS NULL AND t.status = 'returned' AND r.contest = ${contest} AND {where} AND r.id > ${after}
ORDER BY r.id LIMIT ${limit}
"""


async def return_queue(pool, principal: Principal, contested: bool, after: int | None, limit: int) -> dict:
    """Undecided returns: contested ones for supervisors, plain ones for agents to redispatch."""
    args: list = []
    where = scope.clause(principal, args)
    args += [contested, after or 0, limit]
    n = len(args)
    sql = RETURN_QUEUE.format(brief=BRIEF_COLUMNS, frm=BRIEF_FROM, where=where, contest=n - 2, after=n - 1, limit=n)
    items = [{"id": r["return_id"], "ticket": brief(r), "return": {
        "id": r["return_id"], "reason": r["return_reason"], "contest": r["contest"],
        "at": iso(r["returned_at"]),
        "unit": {"id": r["return_unit_id"], "code": r["return_unit_code"], "name": r["return_unit_name"]}}}
        for r in await pool.fetch(sql, *args)]
    return _page(items, limit, "id")


EXTENSION_QUEUE = """
SELECT {brief}, e.id AS extension_id, e.days, e.reason AS extension_reason, e.requested_at,
       eu.code AS extension_unit_code, eu.name AS extension_unit_name, t.extension_days
{frm} JOIN extension_requests e ON e.ticket_id = t.id JOIN units eu ON eu.id = e.unit_id
WHERE e.state = 'pending' AND t.status IN ('signed', 'in_progress') AND {where} AND e.id > ${after}
ORDER BY e.id LIMIT ${limit}
"""


async def extension_queue(pool, principal: Principal, after: int | None, limit: int) -> dict:
    """Pending extension requests, oldest first."""
    args: list = []
    where = scope.clause(principal, args)
    args += [after or 0, limit]
    sql = EXTENSION_QUEUE.format(brief=BRIEF_COLUMNS, frm=BRIEF_FROM, where=where, after=len(args) - 1,
                                 limit=len(args))
    items = [{"id": r["extension_id"], "ticket": brief(r), "extension": {
        "id": r["extension_id"], "days": r["days"], "reason": r["extension_reason"],
        "requested_at": iso(r["requested_at"]), "already_granted_days": r["extension_days"],
        "unit": {"code": r["extension_unit_code"], "name": r["extension_unit_name"]}}}
        for r in await pool.fetch(sql, *args)]
    return _page(items, limit, "id")


def pause_entry(start: datetime, end: datetime | None = None) -> list:
    """One stored pause: [start, end|null] as ISO strings."""
    return [iso(start), iso(end)]
