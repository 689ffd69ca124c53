"""Surge mode (话务激增): while a county's intake is far above its baseline, same-matter requests are grouped.

The detector (hotline.hotspots.detect) opens a surge episode for the county; every worker learns the open
surges with its candidate refresh (hotline.duplicates.intake). A request registered in a surging county
with an open ticket of similar text in the worker's memory (estimated bigram Jaccard >= GROUP_SCORE) is
folded into the oldest such ticket at once, as a 并单 by the system (actor: none, reason 话务激增自动归并):
the unit works one ticket, the call stays visible on its own (GET /tickets/{id}, the lead's /links), its
requester gets the lead's reply text, and an agent can undo it like any 并单 (POST .../unmerge). The lead is
the group's first ticket: folded calls are never leads, and the oldest similar ticket stays the oldest.
"""
from __future__ import annotations

import logging
from datetime import datetime

import asyncpg

from classifier import similarity
from hotline.duplicates import flows
from hotline.duplicates.candidates import PHONE_WINDOW, TEXT_WINDOW
from hotline.duplicates.intake import live
from hotline.errors import ApiError

log = logging.getLogger(__name__)

GROUP_SCORE = 0.4
LEAD_SEARCH = 50
GROUPABLE = frozenset({"received", "triage", "dispatched", "signed", "in_progress", "returned", "replied"})
REASON = "话务激增自动归并：同一区县相同诉求并入主工单"
COUNT_GROUPED = "UPDATE surges SET grouped = grouped + 1 WHERE id = $1"


def pick_lead(finder, row, now: datetime) -> int | None:
    """The oldest open ticket of the county with similar text (the group's first ticket), or None.

    Asked of the worker's memory with a wide limit, not of the answer's five candidates: the oldest
    similar ticket stays the lead whichever five the answer shows."""
    sketch = similarity.sketch(f"{row['title']} {row['content']}")
    since = now.timestamp() - TEXT_WINDOW.total_seconds()
    closed_since = now - PHONE_WINDOW
    fit = []
    for h in finder.index.similar_text(row["county_code"], sketch, since, LEAD_SEARCH):
        known = finder.index.rows.get(h.ticket_id)
        if h.ticket_id == row["id"] or (h.score or 0) < GROUP_SCORE:
            continue
        if known is None or (known["status"] in GROUPABLE and live(known, closed_since)):
            fit.append(h.ticket_id)
    return min(fit) if fit else None


async def group(pool: asyncpg.Pool, finder, row, surge_id: int, now: datetime) -> dict | None:
    """Fold a new ticket into its group's lead during a surge; the grouping's record, or None."""
    if row["status"] not in GROUPABLE:
        return None
    lead_id = pick_lead(finder, row, now)
    if lead_id is None:
        return None
    async with pool.acquire() as conn, conn.transaction():
        try:
            done = await flows.fold(conn, row["id"], None, "merge", lead_id, REASON, now)
        except ApiError as exc:  # the lead moved on meanwhile (archived, folded): the call stays on its own
            log.info("surge grouping of ticket %s skipped: %s", row["id"], exc.message)
            return None
        await conn.execute(COUNT_GROUPED, surge_id)
    return {"lead_id": lead_id, "lead_ticket_no": done.data["lead_ticket_no"], "surge_id": surge_id,
            "reason": REASON, "status": done.to_status.value}
