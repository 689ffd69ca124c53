"""Provisional deadlines become official: recompute them when the holiday data reaches further.

Deadlines past the official holiday data are computed from the provisional calendar
(statutory holidays and weekends, routing.calendar). `calendar_state` stores the
official range the stored deadlines were computed under. At start-up and before
each escalation sweep, `sync` re-reads the operator file (HOTLINE_CALENDAR_EXTRA);
when the official range reaches further than the stored one (that file, or a
chinese-calendar upgrade and restart), every open ticket whose clock ran past the
old range is recomputed and written back, one set-based UPDATE per batch of tickets; then the
open dispute cases the same way (hotline.disputes.recompute: mediation deadlines and ladders).

Replied and closed tickets keep the deadline they were judged against.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import asyncpg

from hotline.disputes import recompute as case_clock
from routing import calendar, clock

log = logging.getLogger(__name__)

LOCK = "SELECT pg_try_advisory_lock(hashtext('calendar_sync'))"
UNLOCK = "SELECT pg_advisory_unlock(hashtext('calendar_sync'))"
STATE = "SELECT official_until FROM calendar_state"
SAVE_STATE = """
INSERT INTO calendar_state (id, official_until, at) VALUES (true, $1, now())
ON CONFLICT (id) DO UPDATE SET official_until = EXCLUDED.official_until, at = now()
"""
# Open tickets whose clock used days past `$1` (the old official end), or that have no clock because
# the calendar could not compute it; a batch at a time, in id order.
AFFECTED = """
SELECT id, dispatched_at, tier::text AS tier, urgency::text AS urgency, category_class, pauses,
       extension_days, escalation_steps
FROM tickets
WHERE status IN ('dispatched', 'signed', 'in_progress') AND dispatched_at IS NOT NULL AND tier IS NOT NULL
  AND (greatest(sign_by, reply_by, next_escalation_at) > $1 OR sign_by IS NULL) AND id > $2
ORDER BY id LIMIT $3
FOR UPDATE
"""
RECOMPUTE = """
UPDATE tickets t SET sign_by = u.sign_by, reply_by = u.reply_by, next_escalation_at = u.next_at
FROM unnest($1::bigint[], $2::timestamptz[], $3::timestamptz[], $4::timestamptz[])
     AS u(id, sign_by, reply_by, next_at)
WHERE t.id = u.id
"""
SHANGHAI = ZoneInfo("Asia/Shanghai")
BATCH = 1000  # tickets per transaction: row locks are held for one batch only


def _end(day: date) -> datetime:
    return datetime.combine(day, time.max, SHANGHAI)


async def sync(pool: asyncpg.Pool, *, reload: bool = True, batch: int = BATCH) -> int:
    """Recompute provisional deadlines if the official calendar grew; returns how many tickets and cases changed.

    One process at a time (a session advisory lock; the others skip). The new range is recorded only
    after every batch committed, so an interrupted run starts over the next time."""
    if reload and calendar.reload_extra():
        clock.clear_cache()
    official = calendar.covered_range()[1]
    async with pool.acquire() as conn:
        if not await conn.fetchval(LOCK):
            return 0
        try:
            stored = await conn.fetchval(STATE)
            if stored == official:
                return 0
            changed = 0
            if stored is None or official > stored:
                since = _end(stored or official)
                for one_batch in (_recompute, case_clock.recompute):
                    after = 0
                    while after is not None:
                        async with conn.transaction():
                            n, after = await one_batch(conn, since, after, batch)
                        changed += n
                log.info("holiday calendar official until %s (was %s): %d provisional deadline(s) recomputed",
                         official, stored, changed)
            await conn.execute(SAVE_STATE, official)
            return changed
        finally:
            await conn.execute(UNLOCK)


async def _recompute(conn: asyncpg.Connection, since: datetime, after: int, batch: int) -> tuple[int, int | None]:
    """One batch: (tickets updated, last id seen or None when this was the last batch)."""
    rows = await conn.fetch(AFFECTED, since, after, batch)
    ids, sign, reply, nxt = [], [], [], []
    for row in rows:
        c = clock.for_ticket(row)
        if c is None or c.error:
            continue
        ids.append(row["id"])
        sign.append(c.sign_by)
        reply.append(c.reply_by)
        nxt.append(c.next_escalation_at)
    if ids:
        await conn.execute(RECOMPUTE, ids, sign, reply, nxt)
    return len(ids), (rows[-1]["id"] if len(rows) == batch else None)
