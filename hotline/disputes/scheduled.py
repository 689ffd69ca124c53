"""The cases' escalation ladder, run by the service's scheduler beside the ticket sweep.

预警 at 80% of the mediation time, 催办 at the deadline, and 挂牌督办 two working days
later: the case's lead moves to the next tier covering its address (community →
town → county → city), the organisation it leaves stays on as support, the new
tier's 包案 leader is named on the case and a new clock starts. Exactly once, as
the ticket sweep: due cases are claimed FOR UPDATE SKIP LOCKED, each step is a
`case_escalations` row under UNIQUE (case, step, clock_start), and steps, events
and the case's new state commit together per batch. Announcements go on the
supervisors' stream (hotline:escalations) after commit.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import asyncpg
from redis.exceptions import RedisError

from hotline import wallclock
from hotline.disputes import service
from hotline.disputes.flows import clock_fields
from hotline.notify import STREAM_MAXLEN
from routing.calendar import CalendarRangeError
from routing.disputes import catalogue, deadlines, network

log = logging.getLogger(__name__)

ESCALATION_STREAM = "hotline:escalations"
RETRY_AFTER = timedelta(hours=6)
CLAIM = """
SELECT c.id, c.case_no, c.status::text AS status, c.dispute_type, c.assigned_at, c.escalation_steps, c.lead_org_id,
       c.address, c.area_code, c.county_code, c.city_code, c.due_at, o.code AS org_code, o.name AS org_name,
       o.leader AS org_leader
FROM dispute_cases c LEFT JOIN mediation_orgs o ON o.id = c.lead_org_id
WHERE c.next_escalation_at <= $1 AND c.status IN ('assigned', 'mediating')
ORDER BY c.next_escalation_at LIMIT $2
FOR UPDATE OF c SKIP LOCKED
"""
CLEAR_STALE = """
UPDATE dispute_cases SET next_escalation_at = NULL
WHERE next_escalation_at <= $1 AND status NOT IN ('assigned', 'mediating')
"""
INSERT_STEP = """
INSERT INTO case_escalations (case_id, step, clock_start, org_id, to_org_id, leader, due_at, at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (case_id, step, clock_start) DO NOTHING RETURNING id
"""


@dataclass
class CaseSweep:
    claimed: int = 0
    steps: dict = field(default_factory=dict)
    records: list = field(default_factory=list)


def _record(row, step: str, now: datetime, **extra) -> dict:
    return {"kind": "dispute", "case_id": row["id"], "case_no": row["case_no"], "step": step,
            "label": deadlines.STEP_LABELS[step], "area_code": row["area_code"], "county_code": row["county_code"],
            "city_code": row["city_code"], "province_code": "", "org_name": row["org_name"],
            "due_at": row["due_at"].isoformat() if row["due_at"] else "", "at": now.isoformat(), **extra}


async def _list(conn, row, orgs, ids, now: datetime) -> tuple[dict, dict]:
    """挂牌督办: the next tier leads with its 包案 leader; a new clock starts."""
    current = next((o for o in orgs if o.code == row["org_code"]), None)
    up = network.above(orgs, current, county=row["county_code"], city=row["city_code"], address=row["address"],
                       dtype=row["dispute_type"]) if current else None
    target = up or current
    leader = (target.leader if target else "") or (f"{target.name}负责人" if target else "")
    fields = {"listed": True, "listed_leader": leader}
    if up is not None:
        supports = [r["org_id"] for r in await conn.fetch(
            "SELECT org_id FROM case_orgs WHERE case_id = $1 AND active", row["id"])]
        await service.set_orgs(conn, row["id"], ids[up.code], supports, now)
        fields.update(lead_org_id=ids[up.code], tier=up.tier, assigned_at=now, **clock_fields(now, row["dispute_type"]))
    extra = {"to_org": target.name if target else "", "to_org_code": target.code if target else "",
             "leader": leader, "tier": target.tier if target else ""}
    return fields, extra


async def _apply(conn, row, now: datetime, orgs, ids, result: CaseSweep) -> None:
    days = catalogue.load_types()[row["dispute_type"]].limit_days
    try:
        lad = deadlines.ladder(row["assigned_at"], days)
    except CalendarRangeError as exc:
        await service.update_case(conn, row["id"], {"next_escalation_at": now + RETRY_AFTER, "clock_error": str(exc)})
        return
    taken = list(row["escalation_steps"])
    fields: dict = {}
    for step in lad.pending(taken, now):
        extra, changes = {}, {}
        if step == "list":
            changes, extra = await _list(conn, row, orgs, ids, now)
        esc = await conn.fetchval(INSERT_STEP, row["id"], step, row["assigned_at"], row["lead_org_id"],
                                  ids.get(extra.get("to_org_code", "")), extra.get("leader", ""), lad.at[step], now)
        taken.append(step)
        if esc is None:
            continue
        reason = {"warn": f"调解期限将至（{lad.due:%m月%d日}）", "chase": "调解期限已到，催办",
                  "list": f"逾期未化解，挂牌督办，由{extra.get('to_org', '')}牵头，包案领导：{extra.get('leader', '')}"}[step]
        await service.add_event(conn, row["id"], None, step, now, from_status=row["status"], to_status=row["status"],
                                reason=reason, data={"due_at": lad.due.isoformat(), **extra})
        result.steps[step] = result.steps.get(step, 0) + 1
        result.records.append(_record(row, step, now, **extra))
        fields.update(changes)
        if step == "list" and "assigned_at" in changes:
            break  # a new clock: its own ladder starts from scratch
    if "assigned_at" not in fields:
        fields.update(escalation_steps=taken, next_escalation_at=lad.next_at(taken), due_at=lad.due, clock_error="")
    await service.update_case(conn, row["id"], fields)


async def publish(redis, records: list[dict]) -> None:
    if redis is None or not records:
        return
    try:
        async with redis.pipeline(transaction=False) as pipe:
            for rec in records:
                pipe.xadd(ESCALATION_STREAM, {k: "" if v is None else str(v) for k, v in rec.items()},
                          maxlen=STREAM_MAXLEN, approximate=True)
            await pipe.execute()
    except (RedisError, OSError) as exc:
        log.warning("valkey publish of %d dispute step(s) failed (%s)", len(records), type(exc).__name__)


async def sweep_cases(pool: asyncpg.Pool, now: datetime, *, redis=None, batch: int = 200) -> CaseSweep:
    """Apply every ladder step due at `now`; one transaction per batch."""
    result = CaseSweep()
    async with pool.acquire() as conn:
        await conn.execute(CLEAR_STALE, now)
        orgs, ids = await service.load_orgs(conn)
        while True:
            async with conn.transaction():
                rows = await conn.fetch(CLAIM, now, batch)
                for row in rows:
                    await _apply(conn, row, now, orgs, ids, result)
            result.claimed += len(rows)
            if len(rows) < batch:
                break
    await publish(redis, result.records)
    return result


async def job(app) -> None:
    """The scheduled job: never raises into the scheduler."""
    from hotline import keys

    try:
        await sweep_cases(app[keys.POOL], wallclock.now(app), redis=app.get(keys.REDIS))
    except Exception:
        log.exception("dispute escalation sweep failed; the next run retries")
