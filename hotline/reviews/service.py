"""Data access for bad reviews (plain SQL, asyncpg)."""
from __future__ import annotations

from datetime import date, datetime

import asyncpg

from hotline import scope
from hotline.auth import Principal

COLUMNS = """
b.id, b.ticket_id, t.ticket_no, b.round, b.unit_id, u.name AS unit_name, b.via, b.comment, b.real_name,
b.opened_at, b.ruling, b.ruling_reason, b.ruled_at, b.rectify_by, b.rectification, b.rectified_at, b.reply,
b.replied_at, b.chase_steps, b.next_chase_at
"""
FROM = "FROM bad_reviews b JOIN tickets t ON t.id = b.ticket_id LEFT JOIN units u ON u.id = b.unit_id"
TODO = {
    "rectify": "b.ruling = 'valid' AND b.rectified_at IS NULL",
    "reply": "b.real_name AND b.ruling <> 'invalid' AND b.replied_at IS NULL",
}


async def listing(pool: asyncpg.Pool, principal: Principal, ruling: str | None, todo: str | None,
                  limit: int) -> list[asyncpg.Record]:
    """Bad reviews of the tickets the principal may see (a handler: its unit's), newest first."""
    args: list = [ruling, limit]
    where = ["($1::text IS NULL OR b.ruling = $1)", scope.clause(principal, args)]
    if todo:
        where.append(TODO[todo])
    sql = f"SELECT {COLUMNS} {FROM} WHERE {' AND '.join(where)} ORDER BY b.id DESC LIMIT $2"
    return await pool.fetch(sql, *args)


async def get(conn, review_id: int, lock: bool = False) -> asyncpg.Record | None:
    suffix = " FOR UPDATE OF b" if lock else ""
    return await conn.fetchrow(f"SELECT {COLUMNS} {FROM} WHERE b.id = $1{suffix}", review_id)


async def rule(conn, review_id: int, valid: bool, reason: str, actor: int, now: datetime,
               rectify_by: datetime | None, next_chase_at: datetime | None) -> None:
    """The ruling; a valid review gets its deadline and the sweep's first chase time."""
    await conn.execute(
        "UPDATE bad_reviews SET ruling = $2, ruling_reason = $3, ruled_by = $4, ruled_at = $5, rectify_by = $6, "
        "next_chase_at = $7 WHERE id = $1", review_id, "valid" if valid else "invalid", reason, actor, now,
        rectify_by, next_chase_at)


async def rectify(conn, review_id: int, text: str, actor: int, now: datetime) -> None:
    """The unit's rectification: nothing left for the sweep to chase."""
    await conn.execute("UPDATE bad_reviews SET rectification = $2, rectified_by = $3, rectified_at = $4, "
                       "next_chase_at = NULL WHERE id = $1", review_id, text, actor, now)


async def reply(conn, review_id: int, text: str, actor: int, now: datetime) -> None:
    await conn.execute("UPDATE bad_reviews SET reply = $2, replied_by = $3, replied_at = $4 WHERE id = $1",
                       review_id, text, actor, now)


# 整改率: valid reviews rectified / valid reviews; 回复率: real-name reviews answered / real-name reviews
# (those ruled invalid need no reply); both over the reviews opened in the period, per unit.
RATES = """
SELECT b.unit_id, u.name AS unit_name, count(*) AS opened,
       count(*) FILTER (WHERE b.ruling = 'pending') AS pending,
       count(*) FILTER (WHERE b.ruling = 'valid') AS valid,
       count(*) FILTER (WHERE b.ruling = 'valid' AND b.rectified_at IS NOT NULL) AS rectified,
       count(*) FILTER (WHERE b.ruling = 'valid' AND b.rectified_at IS NULL AND b.rectify_by < $3) AS rectify_overdue,
       count(*) FILTER (WHERE b.real_name AND b.ruling <> 'invalid') AS real_name,
       count(*) FILTER (WHERE b.real_name AND b.ruling <> 'invalid' AND b.replied_at IS NOT NULL) AS replied
{from_} WHERE b.opened_at >= $1 AND b.opened_at < $2 AND {scope}
GROUP BY b.unit_id, u.name ORDER BY b.unit_id
"""


async def rates(pool: asyncpg.Pool, principal: Principal, start: datetime, end: datetime,
                now: datetime) -> list[asyncpg.Record]:
    args: list = [start, end, now]
    return await pool.fetch(RATES.format(from_=FROM, scope=scope.clause(principal, args)), *args)
