"""质检 of evaluation results: the checks (set-based SQL), the flags, the rulings (plain SQL, asyncpg).

Three checks flag single reached results (callback_results) in a period:
- same_phone: at least `quality_phone_ratings` rated results from one requester phone;
- before_reply: a result recorded before the reply it rates (the round's reply event), or with
  no reply at all for its round;
- rapid_callbacks: reached phone callbacks recorded by one agent less than `quality_callback_seconds`
  apart (both of the pair): nobody asks the survey's questions that fast.
A flag is a rating_flags row (one per result and check, so a scan is idempotent) and a
`quality_flag` event on the ticket, written together. The flagged result keeps counting in the
rates until a supervisor rules: upheld takes it out (exclude_callback_result: marked, its
counts subtracted from the rollup), dismissed keeps it; either writes a `quality_ruling` event.
The fourth check, a unit's pattern against its peers, is a test on counts (routing.quality).
"""
from __future__ import annotations

from datetime import datetime

import asyncpg

from hotline import scope
from hotline.auth import Principal
from hotline.tickets.service import Event, add_events

CHECK_LABELS = {"same_phone": "同一号码多次评价", "before_reply": "先评价后答复",
                "rapid_callbacks": "同一话务员回访间隔过短"}
RULING_LABELS = {"pending": "待认定", "upheld": "属实（评价不予采信，不计入考核）", "dismissed": "不属实（评价有效）"}

_FLAG = """
INSERT INTO rating_flags (callback_result_id, ticket_id, unit_id, check_code, detail)
SELECT id, ticket_id, unit_id, '{code}', detail FROM hits
ON CONFLICT (callback_result_id, check_code) DO NOTHING
RETURNING id, ticket_id, check_code, detail
"""
REACHED = "cr.outcome = 'reached' AND cr.at >= $1 AND cr.at < $2"

SAME_PHONE = """
WITH r AS (
    SELECT cr.id, cr.ticket_id, cr.unit_id, count(*) OVER (PARTITION BY t.requester_phone) AS n,
           right(t.requester_phone, 4) AS tail
    FROM callback_results cr JOIN tickets t ON t.id = cr.ticket_id
    WHERE {reached} AND t.requester_phone <> ''
), hits AS (
    SELECT id, ticket_id, unit_id, jsonb_build_object('ratings', n, 'phone_tail', tail) AS detail FROM r WHERE n >= $3
)""".format(reached=REACHED) + _FLAG.format(code="same_phone")

BEFORE_REPLY = """
WITH hits AS (
    SELECT cr.id, cr.ticket_id, cr.unit_id,
           jsonb_build_object('round', cr.round, 'rated_at', cr.at, 'replied_at', rp.at) AS detail
    FROM callback_results cr
    LEFT JOIN LATERAL (SELECT e.at FROM ticket_events e WHERE e.ticket_id = cr.ticket_id AND e.action = 'reply'
                       ORDER BY e.id OFFSET cr.round LIMIT 1) rp ON true
    WHERE {reached} AND (rp.at IS NULL OR cr.at < rp.at)
)""".format(reached=REACHED) + _FLAG.format(code="before_reply")

RAPID = """
WITH c AS (
    SELECT cr.id, cr.ticket_id, cr.unit_id, cr.actor_id, cr.at,
           cr.at - lag(cr.at) OVER w AS since_prev, lead(cr.at) OVER w - cr.at AS until_next
    FROM callback_results cr
    WHERE cr.via = 'phone' AND cr.actor_id IS NOT NULL AND cr.outcome = 'reached'
      AND cr.at >= $1::timestamptz - make_interval(secs => $3::float8)
      AND cr.at < $2::timestamptz + make_interval(secs => $3::float8)
    WINDOW w AS (PARTITION BY cr.actor_id ORDER BY cr.at, cr.id)
), hits AS (
    SELECT id, ticket_id, unit_id,
           jsonb_build_object('seconds', round(extract(epoch FROM least(since_prev, until_next))::numeric, 1),
                              'actor_id', actor_id) AS detail
    FROM c
    WHERE at >= $1 AND at < $2
      AND (since_prev < make_interval(secs => $3::float8) OR until_next < make_interval(secs => $3::float8))
)""" + _FLAG.format(code="rapid_callbacks")


async def scan(conn: asyncpg.Connection, start: datetime, end: datetime, settings) -> int:
    """Flag the suspicious results of [start, end) not flagged yet, each with its ticket event; how many."""
    async with conn.transaction():
        rows = [*await conn.fetch(SAME_PHONE, start, end, settings.quality_phone_ratings),
                *await conn.fetch(BEFORE_REPLY, start, end),
                *await conn.fetch(RAPID, start, end, float(settings.quality_callback_seconds))]
        await add_events(conn, [Event(r["ticket_id"], "quality_flag", reason=f"质检：{CHECK_LABELS[r['check_code']]}",
                                      data={"flag_id": r["id"], "check": r["check_code"],
                                            **r["detail"]}) for r in rows])
    return len(rows)


LIST = """
SELECT f.id, f.check_code, f.detail, f.flagged_at, f.ruling, f.ruling_reason, f.ruled_at, f.ticket_id, t.ticket_no,
       f.unit_id, u.name AS unit_name, cr.id AS result_id, cr.round, cr.via, cr.satisfaction, cr.solved, cr.at AS rated_at,
       cr.excluded_at
FROM rating_flags f
JOIN callback_results cr ON cr.id = f.callback_result_id
JOIN tickets t ON t.id = f.ticket_id
LEFT JOIN units u ON u.id = f.unit_id
WHERE cr.at >= $1 AND cr.at < $2 AND ($3::text IS NULL OR f.ruling = $3) AND ($4::text IS NULL OR f.check_code = $4)
  AND {scope}
ORDER BY f.id DESC
LIMIT $5
"""


async def flags(db, principal: Principal, start: datetime, end: datetime, ruling: str | None,
                check: str | None, limit: int) -> list[asyncpg.Record]:
    """Flags on results of [start, end) within the principal's tickets, newest first."""
    args: list = [start, end, ruling, check, limit]
    return await db.fetch(LIST.format(scope=scope.clause(principal, args)), *args)


UNIT_COUNTS = """
SELECT cr.unit_id, count(*) FILTER (WHERE cr.satisfaction = 'satisfied') AS satisfied,
       count(*) FILTER (WHERE cr.satisfaction = 'basically_satisfied') AS basic,
       count(*) FILTER (WHERE cr.satisfaction = 'unsatisfied') AS unsatisfied
FROM callback_results cr JOIN tickets t ON t.id = cr.ticket_id
WHERE {reached} AND cr.excluded_at IS NULL AND cr.unit_id IS NOT NULL AND {{scope}}
GROUP BY cr.unit_id
""".format(reached=REACHED)


async def unit_counts(db, principal: Principal, start: datetime, end: datetime) -> dict[int, tuple[int, int, int]]:
    """Rated results per unit (satisfied, basic, unsatisfied), results ruled out excluded."""
    args: list = [start, end]
    rows = await db.fetch(UNIT_COUNTS.format(scope=scope.clause(principal, args)), *args)
    return {r["unit_id"]: (r["satisfied"], r["basic"], r["unsatisfied"]) for r in rows}


GET = """
SELECT f.*, t.province_code, t.city_code, t.county_code, t.area_code
FROM rating_flags f JOIN tickets t ON t.id = f.ticket_id WHERE f.id = $1 FOR UPDATE OF f
"""
COUNTED = "SELECT excluded_at IS NULL FROM callback_results WHERE id = $1"
RULE = "UPDATE rating_flags SET ruling = $2, ruling_reason = $3, ruled_by = $4, ruled_at = $5 WHERE id = $1"


async def get_locked(conn: asyncpg.Connection, flag_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(GET, flag_id)


async def rule(conn: asyncpg.Connection, flag, principal: Principal, upheld: bool, reason: str,
               now: datetime) -> bool:
    """Record the ruling and its event (inside the caller's transaction); whether the result still counts."""
    ruling = "upheld" if upheld else "dismissed"
    await conn.execute(RULE, flag["id"], ruling, reason, principal.token_id, now)
    excluded = bool(upheld and await conn.fetchval("SELECT exclude_callback_result($1)", flag["callback_result_id"]))
    await add_events(conn, [Event(flag["ticket_id"], "quality_ruling", principal,
                                  reason=f"质检认定：{RULING_LABELS[ruling]}。{reason}",
                                  data={"flag_id": flag["id"], "check": flag["check_code"], "ruling": ruling,
                                        "excluded": excluded})])
    return await conn.fetchval(COUNTED, flag["callback_result_id"])
