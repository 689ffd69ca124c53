"""The escalation sweep: 预警 → 催办 → 督办 → 提级 for tickets whose time has come.

The ladder itself is pure (routing.escalation); this module loads only due tickets
(partial index on tickets.next_escalation_at), applies every step that is due at
`now` and stores the next due time. Exactly once, even with several sweepers:

- a batch of due tickets is claimed with FOR UPDATE SKIP LOCKED, so two sweepers
  never work on the same ticket at the same time;
- each step is an `escalations` row under UNIQUE (ticket_id, tier, step, clock_start)
  and is inserted with ON CONFLICT DO NOTHING: a step already stored is never
  written (nor announced) twice;
- the step rows, the audit events and the ticket's new escalation_steps /
  next_escalation_at commit in one transaction per batch, so a sweeper killed
  half-way leaves nothing behind and the next sweep does the work again.

Valkey only carries announcements (after commit, best effort).
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import asyncpg
from redis.exceptions import RedisError

from hotline.escalation import calendar_sync
from hotline.escalation.plan import Plan, plan_ticket, reason_for
from hotline.jsoncodec import iso
from hotline.notify import GLOBAL_STREAM, STREAM_MAXLEN, unit_stream
from hotline.tickets.assign import assign
from routing import clock as ticket_clock
from routing.calendar import CalendarRangeError
from routing.escalation import Ladder, Step, StepCode
from routing.sla import Policy

log = logging.getLogger(__name__)

ESCALATION_STREAM = "hotline:escalations"
OPEN_STATUSES = ("dispatched", "signed", "in_progress")
# A ticket whose ladder cannot be computed (calendar data ends, unknown class) is
# looked at again after this long instead of on every sweep.
RETRY_AFTER = timedelta(hours=6)

CLAIM = """
SELECT t.id, t.ticket_no, t.status::text AS status, t.tier::text AS tier, t.urgency::text AS urgency,
       t.category_class, t.dispatched_at, t.pauses, t.extension_days, t.escalation_steps,
       t.unit_id, t.next_escalation_at, t.area_code, t.county_code, t.city_code, t.province_code
FROM tickets t
WHERE t.next_escalation_at <= $1 AND t.status IN ('dispatched', 'signed', 'in_progress')
ORDER BY t.next_escalation_at
LIMIT $2
FOR UPDATE SKIP LOCKED
"""

# Closed, replied or returned tickets keep no escalation time: clearing it keeps the
# partial index (and so the sweep's cost) down to the tickets that can still escalate.
CLEAR_STALE = """
UPDATE tickets SET next_escalation_at = NULL
WHERE id IN (SELECT id FROM tickets
             WHERE next_escalation_at <= $1 AND status NOT IN ('dispatched', 'signed', 'in_progress')
             LIMIT $2 FOR UPDATE SKIP LOCKED)
"""

UNITS = "SELECT id, code, name, unit_type, area_code, tier::text AS tier FROM units WHERE id = ANY($1::int[])"

INSERT_STEPS = """
INSERT INTO escalations (ticket_id, step, tier, by_tier, unit_id, due_at, at, clock_start, reason)
SELECT u.ticket_id, u.step, u.tier::tier, u.by_tier::tier, u.unit_id, u.due_at, $7, u.clock_start, u.reason
FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::int[], $6::timestamptz[],
            $8::timestamptz[], $9::text[])
     AS u(ticket_id, step, tier, by_tier, unit_id, due_at, clock_start, reason)
ON CONFLICT (ticket_id, tier, step, clock_start) DO NOTHING
RETURNING id, ticket_id, step
"""

INSERT_EVENTS = """
INSERT INTO ticket_events (ticket_id, at, action, reason, data)
SELECT u.ticket_id, $1, u.action, u.reason, u.data::jsonb
FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[]) AS u(ticket_id, action, reason, data)
"""

UPDATE_TICKETS = """
UPDATE tickets t
SET escalation_steps = CASE WHEN u.steps = '' THEN '{}'::text[] ELSE string_to_array(u.steps, ',') END,
    next_escalation_at = u.next_at
FROM unnest($1::bigint[], $2::text[], $3::timestamptz[]) AS u(id, steps, next_at)
WHERE t.id = u.id
"""

# 提级: the same kind of unit at the parent area (county → city → province); when the
# parent has no such unit, its 12345 supervision office takes the ticket.
RAISE_TARGET = """
SELECT p.id, p.code, p.name, p.tier::text AS tier
FROM units u
JOIN areas a ON a.code = u.area_code
JOIN units p ON p.area_code = a.parent_code AND p.active
WHERE u.id = $1 AND (p.unit_type = u.unit_type OR p.unit_type = 'supervision')
ORDER BY (p.unit_type = u.unit_type) DESC
LIMIT 1
"""
SUPPORT_CODES = """
SELECT u.code FROM ticket_units tu JOIN units u ON u.id = tu.unit_id
WHERE tu.ticket_id = $1 AND tu.active AND tu.role = 'support'
"""
INSERT_RAISE = """
INSERT INTO escalations (ticket_id, step, tier, by_tier, unit_id, due_at, at, clock_start, reason, to_unit_id)
VALUES ($1, 'raise', $2::tier, $3::tier, $4, $5, $6, $7, $8, $9)
ON CONFLICT (ticket_id, tier, step, clock_start) DO NOTHING
RETURNING id
"""
AFTER_RAISE = """
UPDATE tickets SET status = 'dispatched', escalation_count = escalation_count + 1
WHERE id = $1
RETURNING next_escalation_at, reply_by
"""
INSERT_EVENT = """
INSERT INTO ticket_events (ticket_id, at, action, from_status, to_status, reason, data)
VALUES ($1, $2, $3, $4::ticket_status, $5::ticket_status, $6, $7::jsonb)
"""


@dataclass
class SweepResult:
    """What one sweep did."""

    claimed: int = 0            # due tickets locked and examined
    steps: Counter = field(default_factory=Counter)   # applied steps by code
    skipped: int = 0            # ladder could not be computed (e.g. CalendarRangeError)
    conflicts: int = 0          # steps already stored (another sweeper, or a retry)
    raise_failed: int = 0       # 提级 due but no unit one tier up
    cleared: int = 0            # non-open tickets whose stale next_escalation_at was cleared
    batches: int = 0
    published: int = 0
    publish_failed: int = 0
    seconds: float = 0.0
    stopped: bool = False       # stopped early (lease lost, shutdown)
    records: list[dict] = field(default_factory=list)  # what was announced, in order

    @property
    def total_steps(self) -> int:
        return sum(self.steps.values())


class _Units:
    """Unit rows, fetched once per sweep."""

    def __init__(self) -> None:
        self.rows: dict[int, dict] = {}

    async def load(self, conn: asyncpg.Connection, ids) -> None:
        missing = [i for i in set(ids) if i is not None and i not in self.rows]
        if missing:
            for r in await conn.fetch(UNITS, missing):
                self.rows[r["id"]] = dict(r)

    def name(self, unit_id: int | None) -> str:
        return self.rows.get(unit_id, {}).get("name", "")


def _record(row, esc_id: int, step: Step, unit_name: str, reason: str, now: datetime, **extra) -> dict:
    """The announcement of one applied step (no personal data)."""
    return {"escalation_id": esc_id, "ticket_id": row["id"], "ticket_no": row["ticket_no"],
            "step": step.code.value, "label": step.label, "tier": step.tier.value, "by_tier": step.by_tier.value,
            "unit_id": row["unit_id"], "unit_name": unit_name, "area_code": row["area_code"],
            "county_code": row["county_code"], "city_code": row["city_code"],
            "province_code": row["province_code"], "due_at": iso(step.at), "at": iso(now),
            "reason": reason, **extra}


async def _apply_batch(conn: asyncpg.Connection, rows, now: datetime, ladder: Ladder, policy: Policy,
                       units: _Units, result: SweepResult, retry_after: timedelta) -> list[dict]:
    """Apply the due steps of the claimed rows (inside the caller's transaction)."""
    await units.load(conn, [r["unit_id"] for r in rows])
    plans = [plan_ticket(r, now, ladder, policy) for r in rows]
    records: list[dict] = []

    # 1. The non-raise steps of every ticket, in one statement.
    cols: list[list] = [[] for _ in range(8)]
    reasons: dict[tuple[int, str], str] = {}
    for p in plans:
        if p.error:
            result.skipped += 1
            log.warning("escalation skipped for ticket %s: %s (retry after %s)", p.row["ticket_no"], p.error,
                        retry_after)
            continue
        for s in p.steps:
            if s.code is StepCode.RAISE:
                continue
            reason = reason_for(s, units.name(p.row["unit_id"]), p.deadline)
            reasons[(p.row["id"], s.code.value)] = reason
            for col, v in zip(cols, (p.row["id"], s.code.value, s.tier.value, s.by_tier.value, p.row["unit_id"],
                                     s.at, p.start, reason)):
                col.append(v)
    inserted = []
    if cols[0]:
        inserted = await conn.fetch(INSERT_STEPS, *cols[:6], now, *cols[6:])
        result.conflicts += len(cols[0]) - len(inserted)
    by_key = {(r["ticket_id"], r["step"]): r["id"] for r in inserted}

    ev: list[list] = [[] for _ in range(4)]
    for p in plans:
        for s in p.steps:
            esc_id = by_key.get((p.row["id"], s.code.value))
            if esc_id is None:
                continue
            reason = reasons[(p.row["id"], s.code.value)]
            data = {"escalation_id": esc_id, "tier": s.tier.value, "by_tier": s.by_tier.value,
                    "due_at": iso(s.at), "unit_id": p.row["unit_id"],
                    "reply_by": iso(p.deadline)}
            for col, v in zip(ev, (p.row["id"], s.code.value, reason, json.dumps(data, ensure_ascii=False))):
                col.append(v)
            result.steps[s.code.value] += 1
            records.append(_record(p.row, esc_id, s, units.name(p.row["unit_id"]), reason, now))
    if ev[0]:
        await conn.execute(INSERT_EVENTS, now, *ev)

    # 2. Each ticket's steps at this tier and its next due time.
    ids, steps, nexts = [], [], []
    for p in plans:
        ids.append(p.row["id"])
        if p.error:
            steps.append(",".join(p.row["escalation_steps"] or []))
            nexts.append(now + retry_after)
        else:
            steps.append(",".join(p.taken))
            nexts.append(now + retry_after if p.raise_step else p.next_at)
    await conn.execute(UPDATE_TICKETS, ids, steps, nexts)

    # 3. 提级, one ticket at a time (each in a savepoint: one failure does not undo the batch).
    for p in plans:
        if p.raise_step is not None:
            rec = await _raise(conn, p, now, units, result)
            if rec is not None:
                records.append(rec)
    return records


async def _raise(conn: asyncpg.Connection, p: Plan, now: datetime, units: _Units,
                 result: SweepResult) -> dict | None:
    """Move the ticket to the same kind of unit one tier up, with a fresh clock."""
    row, step = p.row, p.raise_step
    try:
        async with conn.transaction():
            target = await conn.fetchrow(RAISE_TARGET, row["unit_id"])
            if target is None:
                result.raise_failed += 1
                log.warning("提级 due for ticket %s but unit %s has no unit one tier up", row["ticket_no"],
                            row["unit_id"])
                return None
            unit_name = units.name(row["unit_id"])
            support = tuple(r["code"] for r in await conn.fetch(SUPPORT_CODES, row["id"]))
            # The new clock is what assign() will store; computed first for the reason text.
            new_clock = ticket_clock.compute(now, row["urgency"], row["category_class"], target["tier"])
            info = {"tier": target["tier"], "name": target["name"], "reply_by": new_clock.reply_by}
            reason = reason_for(step, unit_name, p.deadline, info)
            esc_id = await conn.fetchval(INSERT_RAISE, row["id"], step.tier.value, step.by_tier.value,
                                         row["unit_id"], step.at, now, p.start, reason, target["id"])
            if esc_id is None:
                result.conflicts += 1
                return None
            assigned = await assign(conn, row["id"], lead_code=target["code"], support_codes=support,
                                    tier=target["tier"], urgency=row["urgency"],
                                    category_class=row["category_class"], now=now)
            if assigned.get("clock_error"):
                log.warning("ticket %s raised but its new clock failed: %s", row["ticket_no"],
                            assigned["clock_error"])
            after = await conn.fetchrow(AFTER_RAISE, row["id"])
            data = {"escalation_id": esc_id, "tier": step.tier.value, "by_tier": step.by_tier.value,
                    "due_at": iso(step.at), "from_unit_id": row["unit_id"], "to_unit_id": target["id"],
                    "to_unit_code": target["code"], "new_tier": target["tier"],
                    "reply_by": iso(after["reply_by"])}
            await conn.execute(INSERT_EVENT, row["id"], now, "raise", row["status"], "dispatched", reason,
                               json.dumps(data, ensure_ascii=False))
    except (asyncpg.PostgresError, LookupError, CalendarRangeError, ValueError) as exc:
        result.raise_failed += 1
        log.warning("提级 failed for ticket %s: %s", row["ticket_no"], exc)
        return None
    result.steps["raise"] += 1
    return _record(row, esc_id, step, unit_name, reason, now, to_unit_id=target["id"],
                   to_unit_name=target["name"], new_tier=target["tier"])


async def publish(redis, records: list[dict], result: SweepResult) -> None:
    """Announce applied steps on hotline:escalations, the global stream and the unit's stream."""
    if redis is None or not records:
        return
    try:
        async with redis.pipeline(transaction=False) as pipe:
            for rec in records:
                clean = {k: "" if v is None else str(v) for k, v in rec.items()}
                pipe.xadd(ESCALATION_STREAM, clean, maxlen=STREAM_MAXLEN, approximate=True)
                event = {"ticket_id": clean["ticket_id"], "ticket_no": clean["ticket_no"],
                         "action": clean["step"], "status": "", "unit_id": clean["unit_id"]}
                pipe.xadd(GLOBAL_STREAM, event, maxlen=STREAM_MAXLEN, approximate=True)
                if rec.get("unit_id") is not None:
                    pipe.xadd(unit_stream(rec["unit_id"]), event, maxlen=STREAM_MAXLEN, approximate=True)
                if rec.get("to_unit_id") is not None:
                    pipe.xadd(unit_stream(rec["to_unit_id"]), event, maxlen=STREAM_MAXLEN, approximate=True)
            await pipe.execute()
        result.published += len(records)
    except (RedisError, OSError) as exc:
        result.publish_failed += len(records)
        log.warning("valkey publish of %d escalation(s) failed (%s); kept in database only", len(records),
                    type(exc).__name__)


async def sweep(pool: asyncpg.Pool, now: datetime, *, batch: int = 500, ladder: Ladder | None = None,
                policy: Policy | None = None, notifier=None, stop: asyncio.Event | None = None,
                max_tickets: int | None = None, retry_after: timedelta = RETRY_AFTER,
                keep_records: bool = True) -> SweepResult:
    """Apply every escalation step due at `now`; one transaction per batch of `batch` tickets.

    Loops until no due ticket is left (or `max_tickets`, or `stop` is set between
    batches). `notifier` (hotline.notify.Notifier) announces the steps after commit.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    ladder = ladder or ticket_clock.default_ladder()
    policy = policy or ticket_clock.default_policy()
    redis = getattr(notifier, "redis", None)
    result, units, seen = SweepResult(), _Units(), set()
    t0 = time.perf_counter()
    # Official holiday data that arrived since the last sweep makes provisional deadlines final.
    await calendar_sync.sync(pool)
    async with pool.acquire() as conn:
        status = await conn.execute(CLEAR_STALE, now, 10_000)
        result.cleared = int(status.split()[-1])
        while True:
            if stop is not None and stop.is_set():
                result.stopped = True
                break
            limit = batch if max_tickets is None else min(batch, max_tickets - result.claimed)
            if limit <= 0:
                break
            async with conn.transaction():
                rows = await conn.fetch(CLAIM, now, limit)
                if rows:
                    again = seen.intersection(r["id"] for r in rows)
                    if again:  # cannot happen: every claimed ticket leaves with next_escalation_at > now
                        log.error("escalation sweep saw tickets %s twice; stopping", sorted(again)[:5])
                        rows = [r for r in rows if r["id"] not in again]
                    seen.update(r["id"] for r in rows)
                    records = await _apply_batch(conn, rows, now, ladder, policy, units, result, retry_after)
            if not rows:
                break
            result.claimed += len(rows)
            result.batches += 1
            await publish(redis, records, result)
            if keep_records:
                result.records.extend(records)
            if len(rows) < limit or again:
                break
    result.seconds = time.perf_counter() - t0
    if result.total_steps or result.skipped:
        log.info("escalation sweep at %s: %d due, steps %s, %d skipped, %d conflicts in %.3fs",
                 now.isoformat(), result.claimed, dict(result.steps), result.skipped, result.conflicts,
                 result.seconds)
    return result
