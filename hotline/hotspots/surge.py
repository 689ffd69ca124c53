"""Surge mode (话务激增): while a county's intake is far above its baseline, same-matter requests are grouped.

The detector (hotline.hotspots.detect) opens a surge episode for the county; every worker learns the open
surges with its candidate refresh (hotline.duplicates.intake). A request registered in a surging county
whose intake candidates include an open ticket with similar text (estimated bigram Jaccard >= GROUP_SCORE)
is folded into that ticket at once, as a 并单 by the system (actor: none, reason 话务激增自动归并):
the unit works one ticket, the call stays visible on its own (GET /tickets/{id}, the lead's /links), its
requester gets the lead's reply text, and an agent can undo it like any 并单 (POST .../unmerge). The lead is
the group's first ticket: the oldest qualifying candidate (candidates are never folded calls themselves).
"""
from __future__ import annotations

import logging
from datetime import datetime

import asyncpg

from hotline.duplicates import flows
from hotline.errors import ApiError

log = logging.getLogger(__name__)

GROUP_SCORE = 0.4
GROUPABLE = frozenset({"received", "triage", "dispatched", "signed", "in_progress", "returned", "replied"})
REASON = "话务激增自动归并：同一区县相同诉求并入主工单"
COUNT_GROUPED = "UPDATE surges SET grouped = grouped + 1 WHERE id = $1"


def pick_lead(candidates: list[dict]) -> dict | None:
    """The oldest open candidate with similar enough text (the group's lead), or None."""
    def similar(c: dict) -> bool:
        return any(r["code"] == "similar_text" and (r.get("score") or 0) >= GROUP_SCORE for r in c["reasons"])

    fit = [c for c in candidates if c["status"] in GROUPABLE and similar(c)]
    return min(fit, key=lambda c: c["id"]) if fit else None


async def group(pool: asyncpg.Pool, row, candidates: list[dict], surge_id: int, now: datetime) -> dict | None:
    """Fold a new ticket into its group's lead during a surge; the grouping's record, or None."""
    if row["status"] not in GROUPABLE:
        return None
    lead = pick_lead(candidates)
    if lead is None:
        return None
    async with pool.acquire() as conn, conn.transaction():
        try:
            done = await flows.fold(conn, row["id"], None, "merge", lead["id"], REASON, now)
        except ApiError as exc:  # the lead moved on meanwhile (archived, folded): the call stays on its own
            log.info("surge grouping of ticket %s skipped: %s", row["id"], exc.message)
            return None
        await conn.execute(COUNT_GROUPED, surge_id)
    return {"lead_id": lead["id"], "lead_ticket_no": lead["ticket_no"], "surge_id": surge_id,
            "reason": REASON, "status": done.to_status.value}
