"""The sweep's second ladder: 整改预警 → 整改催办 for valid bad reviews whose rectification is not in.

The same machinery as the tickets' ladder (hotline/escalation/sweep.py): due rows claimed in batches
with FOR UPDATE SKIP LOCKED, the pure ladder decides (routing.escalation.rectification_due, timed by
routing/data/rectify_ladder.csv on the working-day clock from the ruling to rectify_by), the steps
taken and the next due time stored on the row in the same transaction as the audit events (so a
step is never written twice), announcements after commit on the escalation streams. Nothing here
changes a ticket's state: the chase is addressed to the unit, on the review.
"""
from __future__ import annotations

from datetime import datetime

import asyncpg

from hotline.jsoncodec import iso
from hotline.tickets.service import Event, add_events
from routing.calendar import local
from routing.escalation import rectification_due

ACTIONS = {"warn": "bad_review_warn", "chase": "bad_review_chase"}

CLAIM = """
SELECT b.id, b.ticket_id, b.round, b.unit_id, b.ruled_at, b.rectify_by, b.chase_steps, t.ticket_no,
       t.area_code, t.county_code, t.city_code, t.province_code, coalesce(u.tier, t.tier)::text AS tier,
       u.name AS unit_name
FROM bad_reviews b
JOIN tickets t ON t.id = b.ticket_id
LEFT JOIN units u ON u.id = b.unit_id
WHERE b.next_chase_at <= $1 AND b.ruling = 'valid' AND b.rectified_at IS NULL
ORDER BY b.next_chase_at
LIMIT $2
FOR UPDATE OF b SKIP LOCKED
"""
SET_CHASE = """
UPDATE bad_reviews b
SET chase_steps = CASE WHEN u.steps = '' THEN '{}'::text[] ELSE string_to_array(u.steps, ',') END,
    next_chase_at = u.next_at
FROM unnest($1::bigint[], $2::text[], $3::timestamptz[]) AS u(id, steps, next_at)
WHERE b.id = u.id
"""
# Rectified (or, impossibly, re-ruled) reviews keep no chase time.
CLEAR = "UPDATE bad_reviews SET next_chase_at = NULL WHERE next_chase_at <= $1 AND (ruling <> 'valid' OR rectified_at IS NOT NULL)"


def first_due(ruled_at: datetime, rectify_by: datetime, tier: str | None) -> datetime | None:
    """When a review just ruled valid is first due to be chased (its next_chase_at)."""
    return rectification_due(ruled_at, rectify_by, [], tier or "county", ruled_at)[1]


def _reason(label: str, unit_name: str | None, rectify_by: datetime) -> str:
    unit = unit_name or "承办单位"
    when = local(rectify_by).strftime("%Y-%m-%d %H:%M")
    if label.endswith("预警"):
        return f"{label}：有效差评整改时限将于 {when} 届满，提醒{unit}提交整改情况"
    return f"{label}：有效差评已超过整改时限 {when}，催促{unit}整改并提交整改情况"


async def chase_batch(conn: asyncpg.Connection, now: datetime, limit: int) -> tuple[int, list[dict], dict]:
    """One batch inside the caller's transaction: (rows claimed, announcements, steps by code)."""
    await conn.execute(CLEAR, now)
    rows = await conn.fetch(CLAIM, now, limit)
    events, records, counts = [], [], {}
    ids, steps_col, nexts = [], [], []
    for r in rows:
        steps, nxt = rectification_due(r["ruled_at"], r["rectify_by"], r["chase_steps"], r["tier"] or "county", now)
        taken = list(r["chase_steps"]) + [s.code.value for s in steps]
        ids.append(r["id"])
        steps_col.append(",".join(taken))
        nexts.append(nxt)
        for s in steps:
            reason = _reason(s.label, r["unit_name"], r["rectify_by"])
            data = {"bad_review_id": r["id"], "round": r["round"], "step": s.code.value, "due_at": iso(s.at),
                    "rectify_by": iso(r["rectify_by"]), "unit_id": r["unit_id"]}
            events.append(Event(r["ticket_id"], ACTIONS[s.code.value], reason=reason, data=data, at=now))
            counts[f"rectify_{s.code.value}"] = counts.get(f"rectify_{s.code.value}", 0) + 1
            records.append({"subject": "bad_review", "bad_review_id": r["id"], "ticket_id": r["ticket_id"],
                            "ticket_no": r["ticket_no"], "step": s.code.value, "label": s.label,
                            "tier": s.tier.value, "by_tier": s.by_tier.value, "unit_id": r["unit_id"],
                            "unit_name": r["unit_name"] or "", "area_code": r["area_code"],
                            "county_code": r["county_code"], "city_code": r["city_code"],
                            "province_code": r["province_code"], "due_at": iso(s.at), "at": iso(now),
                            "reason": reason})
    if ids:
        await conn.execute(SET_CHASE, ids, steps_col, nexts)
        await add_events(conn, events)
    return len(rows), records, counts
