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

The warn/chase/supervise steps of a whole batch are written set-based (one statement each
for the steps, the audit events and the escalation columns). A 提级 changes the ticket's
unit and status, so it is a workflow action (`raise`, hotline.workflow.raising) applied
through the same steps as every other transition, one savepoint per raised ticket.
SQL: hotline/escalation/service.py. Valkey only carries announcements (after commit, best effort).

After the tickets, the same loop runs the rectification ladder of valid bad reviews (整改预警 →
整改催办, hotline/escalation/rectify.py): claimed, planned by routing.escalation, written with
their events and announced the same way, counted apart in SweepResult.reviews / .rectify.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import asyncpg
from redis.exceptions import RedisError

from hotline.escalation import calendar_sync
from hotline.errors import ApiError
from hotline.escalation import rectify, service
from hotline.escalation.plan import Plan, plan_ticket, reason_for
from hotline.jsoncodec import iso
from hotline.notify import GLOBAL_STREAM, STREAM_MAXLEN, unit_stream
from hotline.tickets.service import Event, add_events
from hotline.workflow.raising import NoUnitAbove, raise_ticket
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
    reviews: int = 0            # valid bad reviews claimed for their rectification ladder
    rectify: Counter = field(default_factory=Counter)  # 整改预警/催办 applied (rectify_warn, rectify_chase)
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
            for r in await service.units(conn, missing):
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
                       units: _Units, result: SweepResult, retry_after: timedelta,
                       announce: bool = True) -> list[dict]:
    """Apply the due steps of the claimed rows (inside the caller's transaction); the announcements of
    the steps (only built when announce: someone publishes or keeps them)."""
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
        inserted = await service.insert_steps(conn, now, cols)
        result.conflicts += len(cols[0]) - len(inserted)
    by_key = {(r["ticket_id"], r["step"]): r["id"] for r in inserted}

    events: list[Event] = []
    for p in plans:
        for s in p.steps:
            esc_id = by_key.get((p.row["id"], s.code.value))
            if esc_id is None:
                continue
            reason = reasons[(p.row["id"], s.code.value)]
            data = {"escalation_id": esc_id, "tier": s.tier.value, "by_tier": s.by_tier.value,
                    "due_at": iso(s.at), "unit_id": p.row["unit_id"],
                    "reply_by": iso(p.deadline)}
            events.append(Event(p.row["id"], s.code.value, reason=reason, data=data, at=now))
            result.steps[s.code.value] += 1
            if announce:
                records.append(_record(p.row, esc_id, s, units.name(p.row["unit_id"]), reason, now))
    await add_events(conn, events)

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
    await service.set_escalation(conn, ids, steps, nexts)

    # 3. 提级, one ticket at a time (each in a savepoint: one failure does not undo the batch).
    for p in plans:
        if p.raise_step is not None:
            rec = await _raise(conn, p, now, units, result)
            if rec is not None:
                records.append(rec)
    return records


async def _raise(conn: asyncpg.Connection, p: Plan, now: datetime, units: _Units,
                 result: SweepResult) -> dict | None:
    """提级 through the workflow (hotline.workflow.raising); the announcement, or None."""
    row, step = p.row, p.raise_step
    unit_name = units.name(row["unit_id"])
    try:
        raised = await raise_ticket(conn, row["id"], step, deadline=p.deadline, clock_start=p.start,
                                    unit_name=unit_name, now=now)
    except NoUnitAbove:
        result.raise_failed += 1
        log.warning("提级 due for ticket %s but unit %s has no unit one tier up", row["ticket_no"], row["unit_id"])
        return None
    except (asyncpg.PostgresError, LookupError, CalendarRangeError, ValueError, ApiError) as exc:
        result.raise_failed += 1
        log.warning("提级 failed for ticket %s: %s", row["ticket_no"], exc)
        return None
    if raised is None:
        result.conflicts += 1
        return None
    result.steps["raise"] += 1
    return _record(row, raised.escalation_id, step, unit_name, raised.reason, now, to_unit_id=raised.target["id"],
                   to_unit_name=raised.target["name"], new_tier=raised.target["tier"])


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


async def _chase_rectifications(conn: asyncpg.Connection, now: datetime, batch: int, stop: asyncio.Event | None,
                                redis, result: SweepResult, keep_records: bool) -> None:
    """The rectification ladder of valid bad reviews (hotline.escalation.rectify), batch by batch."""
    while not (stop is not None and stop.is_set()):
        async with conn.transaction():
            n, records, counts = await rectify.chase_batch(conn, now, batch)
        result.reviews += n
        result.rectify.update(counts)
        await publish(redis, records, result)
        if keep_records:
            result.records.extend(records)
        if n < batch:
            break


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
        result.cleared = await service.clear_stale(conn, now, 10_000)
        while True:
            if stop is not None and stop.is_set():
                result.stopped = True
                break
            limit = batch if max_tickets is None else min(batch, max_tickets - result.claimed)
            if limit <= 0:
                break
            async with conn.transaction():
                rows = await service.claim(conn, now, limit)
                if rows:
                    again = seen.intersection(r["id"] for r in rows)
                    if again:  # cannot happen: every claimed ticket leaves with next_escalation_at > now
                        log.error("escalation sweep saw tickets %s twice; stopping", sorted(again)[:5])
                        rows = [r for r in rows if r["id"] not in again]
                    seen.update(r["id"] for r in rows)
                    records = await _apply_batch(conn, rows, now, ladder, policy, units, result, retry_after,
                                                 announce=keep_records or redis is not None)
            if not rows:
                break
            result.claimed += len(rows)
            result.batches += 1
            await publish(redis, records, result)
            if keep_records:
                result.records.extend(records)
            if len(rows) < limit or again:
                break
        await _chase_rectifications(conn, now, batch, stop, redis, result, keep_records)
    result.seconds = time.perf_counter() - t0
    if result.total_steps or result.skipped or result.rectify:
        log.info("escalation sweep at %s: %d due, steps %s, %d skipped, %d conflicts, rectifications %s in %.3fs",
                 now.isoformat(), result.claimed, dict(result.steps), result.skipped, result.conflicts,
                 dict(result.rectify), result.seconds)
    return result
