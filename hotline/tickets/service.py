"""Data access for tickets and their events (plain SQL, asyncpg)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Sequence

import asyncpg

from hotline import jsoncodec, scope
from hotline.auth import Principal
from hotline.errors import ApiError
from hotline.tickets.schemas import TicketIn, TicketQuery
from hotline.tickets.titles import make_title

BASE_COLUMNS = """
t.id, t.ticket_no, t.channel, t.requester_type, t.requester_name, t.requester_phone,
t.requester_id_number, t.requester_org, t.requester_credit_code, t.confidential,
t.title, t.content, t.address, t.area_code, t.province_code, t.city_code, t.county_code,
t.urgency, t.status, t.category_code, c.name AS category_name, t.category_confidence,
t.model_version, t.disposition, t.unit_id, u.code AS unit_code, u.name AS unit_name,
t.created_by, t.created_at, t.updated_at, t.split_reasons, t.split_review, t.triage_reason, t.tier,
t.police_incident_no, t.sign_by, t.reply_by, t.category_source
"""
TICKET_COLUMNS = BASE_COLUMNS + """,
ARRAY(SELECT tu.unit_id FROM ticket_units tu WHERE tu.ticket_id = t.id AND tu.active AND tu.role = 'support')
    AS support_unit_ids
"""
TICKET_FROM = """
FROM tickets t
LEFT JOIN categories c ON c.code = t.category_code
LEFT JOIN units u ON u.id = t.unit_id
"""


def request_hash(data: TicketIn) -> bytes:
    """A fingerprint of the request body, to tell a retry from a different request."""
    return hashlib.sha256(data.model_dump_json().encode()).digest()


# The columns intake fills: the keys of each intake document's ticket, and RECEIVE_TICKETS's column list.
INTAKE_COLUMNS = (
    "channel", "requester_type", "requester_name", "requester_phone", "requester_id_number",
    "requester_org", "requester_credit_code", "confidential", "title", "content", "address",
    "area_code", "province_code", "city_code", "county_code", "urgency", "status",
    "category_code", "category_confidence", "model_version", "disposition", "unit_id",
    "created_by", "idempotency_key", "request_hash",
    "category_source", "split_reasons", "split_review", "triage_reason", "police_incident_no",
    "tier", "dispatched_at", "sign_by", "reply_by", "next_escalation_at", "lookup_code_hash", "text_sketch",
)

# Intake's write for one or several requests: each ticket with its units, events and acceptance SMS
# (when the document carries `sms_code`), in one statement
# (one round trip, one commit, atomic), answering with the tickets as `get` would, each with its
# position in the input (n). $1 is a JSON array of documents {ticket, units, events, actor_role};
# jsonb_populate_record types each ticket as the table does. Ids are drawn first so units and events
# can follow their ticket; the sibling inserts are not visible to the final SELECT (one snapshot), so
# the supporting units come from the document. A missing n: that idempotency key was already used.
RECEIVE_TICKETS = f"""
WITH i AS MATERIALIZED (
    SELECT nextval('tickets_id_seq') AS id, d.n, d.doc
    FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS d(doc, n)
), t AS (
    INSERT INTO tickets (id, ticket_no, {", ".join(INTAKE_COLUMNS)})
    SELECT i.id,
           to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || lpad(nextval('ticket_no_seq')::text, 8, '0'),
           {", ".join("r." + c for c in INTAKE_COLUMNS)}
    FROM i, jsonb_populate_record(NULL::tickets, i.doc -> 'ticket') AS r
    ORDER BY i.n
    ON CONFLICT (created_by, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING *
), tu AS (
    INSERT INTO ticket_units (ticket_id, unit_id, role, assigned_at)
    SELECT t.id, u.unit_id::int, CASE WHEN u.k = 1 THEN 'lead' ELSE 'support' END, t.dispatched_at
    FROM t JOIN i USING (id), jsonb_array_elements_text(i.doc -> 'units') WITH ORDINALITY AS u(unit_id, k)
), ev AS (
    INSERT INTO ticket_events (ticket_id, actor_id, actor_role, action, from_status, to_status, reason, data)
    SELECT t.id, t.created_by, (i.doc ->> 'actor_role')::api_role, e.ev ->> 'action',
           (e.ev ->> 'from_status')::ticket_status, (e.ev ->> 'to_status')::ticket_status,
           coalesce(e.ev ->> 'reason', ''), coalesce(e.ev -> 'data', '{{}}')
    FROM t JOIN i USING (id), jsonb_array_elements(i.doc -> 'events') WITH ORDINALITY AS e(ev, k)
    ORDER BY i.n, e.k
), sms AS (
    -- the acceptance text (ticket number + query code, hotline/requester/sms.py) for a mobile number
    INSERT INTO sms_outbox (ticket_id, kind, idempotency_key, phone, params)
    SELECT t.id, 'accepted', 'sms:accepted:' || t.ticket_no, t.requester_phone,
           jsonb_build_object('ticket_no', t.ticket_no, 'code', i.doc ->> 'sms_code')
    FROM t JOIN i USING (id)
    WHERE i.doc ->> 'sms_code' IS NOT NULL AND t.requester_phone ~ '^1[3-9][0-9]{{9}}$'
    ON CONFLICT (idempotency_key) DO NOTHING
)
SELECT i.n, {BASE_COLUMNS},
       ARRAY(SELECT x::int FROM jsonb_array_elements_text(i.doc -> 'units') WITH ORDINALITY AS s(x, k) WHERE k > 1)
           AS support_unit_ids
FROM t
JOIN i USING (id)
LEFT JOIN categories c ON c.code = t.category_code
LEFT JOIN units u ON u.id = t.unit_id
"""

# The one statement that appends to the audit trail (besides intake's group commit, which writes a
# new ticket's first events in its own statement for speed): the workflow's actions one row at a
# time, the escalation sweep a batch at a time. `at` NULL means the transaction's time.
INSERT_EVENTS = """
INSERT INTO ticket_events (ticket_id, at, actor_id, actor_role, action, from_status, to_status, reason, data)
SELECT e.ticket_id, coalesce(e.at, now()), e.actor_id, e.actor_role::api_role, e.action,
       e.from_status::ticket_status, e.to_status::ticket_status, e.reason, e.data::jsonb
FROM unnest($1::bigint[], $2::timestamptz[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[],
            $8::text[], $9::text[])
     AS e(ticket_id, at, actor_id, actor_role, action, from_status, to_status, reason, data)
RETURNING id
"""


@dataclass(frozen=True)
class Event:
    """One row of a ticket's audit trail (principal None: the system)."""

    ticket_id: int
    action: str
    principal: Principal | None = None
    from_status: str | None = None
    to_status: str | None = None
    reason: str = ""
    data: dict = field(default_factory=dict)
    at: datetime | None = None


async def add_events(conn: asyncpg.Connection, events: Sequence[Event]) -> list[int]:
    """Append rows to the audit trail in one statement; returns their ids in order."""
    if not events:
        return []
    cols = ([e.ticket_id for e in events], [e.at for e in events],
            [e.principal.token_id if e.principal else None for e in events],
            [e.principal.role.value if e.principal else None for e in events], [e.action for e in events],
            [e.from_status for e in events], [e.to_status for e in events], [e.reason for e in events],
            [jsoncodec.dumps(e.data) for e in events])
    return [r["id"] for r in await conn.fetch(INSERT_EVENTS, *cols)]


async def add_event(conn: asyncpg.Connection, ticket_id: int, principal: Principal | None, action: str, *,
                    from_status: str | None = None, to_status: str | None = None,
                    reason: str = "", data: dict | None = None, at: datetime | None = None) -> int:
    """Append one row to the ticket's audit trail."""
    ids = await add_events(conn, [Event(ticket_id, action, principal, from_status, to_status, reason,
                                        data or {}, at)])
    return ids[0]


def intake_doc(principal: Principal, data: TicketIn, *, chain: dict[str, str], fields: dict,
               idempotency_key: str | None, unit_ids: list[int], events: list[dict]) -> dict:
    """One request as RECEIVE_TICKETS takes it: ticket columns, units (lead first), events in order."""
    r = data.requester
    values = {
        "channel": data.channel.value, "requester_type": r.type.value, "requester_name": r.name,
        "requester_phone": r.phone, "requester_id_number": r.id_number, "requester_org": r.org,
        "requester_credit_code": r.credit_code, "confidential": data.confidential,
        "title": data.title or make_title(data.content), "content": data.content, "address": data.address,
        "area_code": chain.get("area"), "province_code": chain.get("province"), "city_code": chain.get("city"),
        "county_code": chain.get("county"), "urgency": data.urgency.value, "status": "received",
        "split_reasons": [], "split_review": False, "triage_reason": "",
        "created_by": principal.token_id, "idempotency_key": idempotency_key,
        "request_hash": "\\x" + request_hash(data).hex(), **fields,
    }
    ticket = {c: values.get(c) for c in INTAKE_COLUMNS}
    return {"ticket": ticket, "units": unit_ids, "events": events, "actor_role": principal.role.value}


async def receive_tickets(conn: asyncpg.Connection, docs: list[dict]) -> list[asyncpg.Record | None]:
    """Insert the tickets of intake_doc() documents in one statement; for each, the new row, or
    None when its idempotency key was already used."""
    rows = await conn.fetch(RECEIVE_TICKETS, docs)
    by_n = {r["n"]: r for r in rows}
    return [by_n.get(n) for n in range(1, len(docs) + 1)]


async def set_lookup_code(pool: asyncpg.Pool, ticket_id: int, code_hash: bytes) -> None:
    """A new query code for a ticket (an intake retry: the first answer, with its code, was lost)."""
    await pool.execute("UPDATE tickets SET lookup_code_hash = $2 WHERE id = $1", ticket_id, code_hash)


GET_BY_KEY = "SELECT id, request_hash FROM tickets WHERE created_by = $1 AND idempotency_key = $2"


async def get_by_idempotency_key(conn: asyncpg.Connection, principal: Principal, key: str,
                                 data: TicketIn) -> int:
    """The ticket a key already created; 422 if the key was used for a different request."""
    row = await conn.fetchrow(GET_BY_KEY, principal.token_id, key)
    if row["request_hash"] != request_hash(data):
        raise ApiError(422, "幂等键已用于另一个不同的请求", [
            {"field": "Idempotency-Key", "message": "同一幂等键只能用于内容相同的重试"}])
    return row["id"]


async def get(conn: asyncpg.Connection | asyncpg.Pool, ticket_id: int) -> asyncpg.Record | None:
    """One ticket with its category and unit names."""
    return await conn.fetchrow(f"SELECT {TICKET_COLUMNS} {TICKET_FROM} WHERE t.id = $1", ticket_id)


async def list_tickets(pool: asyncpg.Pool, principal: Principal, q: TicketQuery) -> list[asyncpg.Record]:
    """A page of tickets, newest first, after the keyset cursor, within the principal's scope."""
    args: list = []
    where = [scope.clause(principal, args)]
    filters = {
        "t.status = ${}": q.status.value if q.status else None,
        "(t.province_code = ${0} OR t.city_code = ${0} OR t.county_code = ${0} OR t.area_code = ${0})": q.area,
        "(u.code = ${0} OR u.id::text = ${0})": q.unit,
        "(t.category_code = ${0} OR c.name = ${0})": q.category,
        "t.created_at >= ${}": q.created_from,
        "t.created_at < ${}": q.created_to,
        "t.id < ${}": q.after,
    }
    for clause, value in filters.items():
        if value is not None:
            args.append(value)
            where.append(clause.replace("${0}", f"${len(args)}").replace("${}", f"${len(args)}"))
    args.append(q.limit)
    sql = f"SELECT {TICKET_COLUMNS} {TICKET_FROM} WHERE {' AND '.join(where)} ORDER BY t.id DESC LIMIT ${len(args)}"
    return await pool.fetch(sql, *args)


async def events(pool: asyncpg.Pool, ticket_id: int) -> list[asyncpg.Record]:
    """The ticket's audit trail, oldest first."""
    return await pool.fetch(
        "SELECT id, at, action, actor_role, from_status, to_status, reason, data "
        "FROM ticket_events WHERE ticket_id = $1 ORDER BY id", ticket_id)


def event_payload(data: TicketIn) -> dict:
    """What the receive event records about the request (no phone or ID numbers)."""
    return {"channel": data.channel.value, "requester_type": data.requester.type.value,
            "urgency": data.urgency.value, "area_code": data.area_code}


DETAIL_REPLY = "SELECT resolution, claimed_solved, replied_at FROM tickets WHERE id = $1"
DETAIL_NOTES = """
SELECT e.id, e.at, e.actor_role::text AS actor_role, e.reason AS text, (e.data->>'unit_id')::int AS unit_id,
       u.name AS unit_name, e.data->>'unit_role' AS unit_role
FROM ticket_events e LEFT JOIN units u ON u.id = (e.data->>'unit_id')::int
WHERE e.ticket_id = $1 AND e.action = 'note' ORDER BY e.id
"""
DETAIL_EXTENSIONS = """
SELECT x.id, x.days, x.reason, x.state, x.requested_at, x.decided_at, x.note, x.unit_id, u.name AS unit_name
FROM extension_requests x JOIN units u ON u.id = x.unit_id
WHERE x.ticket_id = $1 ORDER BY x.id
"""


async def detail(pool: asyncpg.Pool, ticket_id: int) -> dict:
    """What the ticket's detail adds to its row: the unit's reply, the notes and the extension requests."""
    async with pool.acquire() as conn:
        reply = await conn.fetchrow(DETAIL_REPLY, ticket_id)
        notes = await conn.fetch(DETAIL_NOTES, ticket_id)
        extensions = await conn.fetch(DETAIL_EXTENSIONS, ticket_id)
    return {"reply": dict(reply) if reply["replied_at"] is not None else None,
            "notes": [dict(n) for n in notes], "extensions": [dict(x) for x in extensions]}
