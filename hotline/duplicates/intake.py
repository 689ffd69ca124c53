"""Candidates in the intake response, from each worker's memory, with PostgreSQL only for the caller's phone.

For a new request: same place (county + category, 3 days) and similar text (MinHash sketch, 7 days) come
from the worker's memory of recent tickets (hotline.duplicates.recent), and so do the rows the answer
shows (ticket number, title, status...); same caller (phone, 7 days) comes from PostgreSQL's phone index,
one statement per batch of concurrent requests (hotline.batching), run while the group commit writes the
ticket, so intake's latency is the longer of the two, not their sum. A candidate whose row memory no
longer keeps is read in the same statement.

Memory is refreshed every REFRESH_SECONDS: the tickets written since (by any worker), and the tickets
whose events moved on (ticket_events above the last id seen: a sign, a reply, a merge). So candidates are
advice up to a second old: a ticket another worker wrote, or closed, in the last second may be missing
or show its former status; 追加/并单 check the lead's state when the agent acts.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from hotline.batching import Batcher
from hotline.duplicates import candidates as reasons
from hotline.duplicates.recent import RecentIndex

log = logging.getLogger(__name__)

INTAKE_LIMIT = 5            # candidates in the intake response (the agent sees the rest on GET /candidates)
PHONE_LIMIT = 3
REFRESH_SECONDS = 1.0
REFRESH_BATCH = 5000
# Ids are drawn before the commit: re-read this many below the highest seen, so a batch that committed
# a little after a later one is still picked up (the index ignores ids it already has).
OVERLAP = 256
WARM_LIMIT = 50_000
OPEN_SURGES = "SELECT county_code, id FROM surges WHERE ended_at IS NULL"   # hotline.hotspots.surge groups there

# What the answer shows (no content: intake compares sketches, not texts).
COLS = """t.id, t.ticket_no, t.title, t.status::text AS status, t.created_at, t.closed_at, t.area_code,
t.category_code, t.requester_name, t.requester_phone, t.repeat_calls"""
# Open, or closed within the caller window; never a call already folded into a lead (its lead is the matter).
LIVE = "t.merged_into IS NULL AND t.status <> 'transferred' AND (t.status <> 'closed' OR t.closed_at >= $3)"
LOOKUP = f"""
SELECT q.n, c.* FROM unnest($1::int[], $2::text[]) AS q(n, phone)
CROSS JOIN LATERAL (
    SELECT {COLS} FROM tickets t
    WHERE q.phone <> '' AND t.requester_phone <> '' AND t.requester_phone = q.phone AND t.created_at >= $3 AND {LIVE}
    ORDER BY t.created_at DESC LIMIT {PHONE_LIMIT}
) c
UNION ALL
SELECT 0, {COLS} FROM tickets t WHERE t.id = ANY($4::bigint[]) AND {LIVE}
"""
ROW_SQL = """t.id, t.ticket_no, t.title, t.status::text AS status, t.created_at, t.closed_at, t.area_code,
t.category_code, t.requester_name, t.requester_phone, t.repeat_calls, t.merged_into, t.county_code,
extract(epoch FROM t.created_at)::float8 AS ts, t.text_sketch"""
RECENT = f"SELECT {ROW_SQL} FROM tickets t WHERE t.id > $1 ORDER BY t.id LIMIT $2"
WARM = f"""
SELECT * FROM (SELECT {ROW_SQL} FROM tickets t WHERE t.created_at >= $1 AND t.county_code IS NOT NULL
               ORDER BY t.id DESC LIMIT $2) r
ORDER BY id
"""
# Tickets whose events moved on since the last refresh (new tickets' own intake events included: harmless).
CHANGED_SINCE = """SELECT coalesce(max(id), $1) AS last, array_agg(DISTINCT ticket_id) AS ids
FROM ticket_events WHERE id > $1 AND action <> 'receive'"""
CHANGED_ROWS = """SELECT id, status::text AS status, closed_at, repeat_calls, merged_into FROM tickets
WHERE id = ANY($1::bigint[])"""


def live(row, closed_since: datetime) -> bool:
    """LIVE, on a kept row: open, or closed within the window; not folded into a lead; not handed to 110."""
    if row["merged_into"] is not None or row["status"] == "transferred":
        return False
    return row["status"] != "closed" or (row["closed_at"] is not None and row["closed_at"] >= closed_since)


@dataclass(frozen=True)
class Probe:
    """What intake knows of a new request before it is written."""

    phone: str
    county: str | None
    category: str | None
    sketch: bytes | None
    now: datetime


class IntakeCandidates:
    """One per worker: the recent-ticket memory, its refresh loop and the batched lookup."""

    def __init__(self, pool: asyncpg.Pool, max_batch: int = 32) -> None:
        self.pool = pool
        self.index = RecentIndex()
        self.batcher: Batcher[tuple[int, Probe, list[int]], list] = Batcher(self._lookup, max_batch=max_batch)
        self.events_seen = 0                # ticket_events read up to here (refresh)
        self.surging: dict[str, int] = {}   # county -> open surge id (hotline.hotspots.surge), refreshed with the index

    async def find(self, probe: Probe) -> list[dict]:
        """The request's candidates with their reasons, most reasons first (at most INTAKE_LIMIT)."""
        ts = probe.now.timestamp()
        closed_since = probe.now - reasons.PHONE_WINDOW
        hits: dict[int, list] = {}
        for h in (*self.index.same_place(probe.county, probe.category, ts - reasons.PLACE_WINDOW.total_seconds(),
                                         INTAKE_LIMIT * 2),
                  *self.index.similar_text(probe.county, probe.sketch, ts - reasons.TEXT_WINDOW.total_seconds(),
                                           INTAKE_LIMIT * 2)):
            row = self.index.rows.get(h.ticket_id)
            if row is None or live(row, closed_since):
                hits.setdefault(h.ticket_id, []).append(h)
        # only the rows that can make the answer: the best by memory's reasons (the phone adds at most PHONE_LIMIT)
        best = sorted(hits, key=lambda i: (-len(hits[i]), -max(h.score or 0 for h in hits[i]), -i))[:INTAKE_LIMIT]
        missing = [i for i in best if i not in self.index.rows]
        found: dict[int, dict] = {}
        if probe.phone or missing:
            for r in await self.batcher.submit((0, probe, missing)):
                entry = found.setdefault(r["id"], {"row": r, "reasons": []})
                if r["n"] != 0:
                    entry["reasons"].append(reasons.reason("same_caller"))
        for i in best:
            kept = self.index.rows.get(i)
            row = found[i]["row"] if i in found else kept
            if row is not None:
                entry = found.setdefault(i, {"row": row, "reasons": []})
                if row is kept:   # rendered once per state of the kept row (update_rows forgets it)
                    entry["shown"] = kept.get("shown") or kept.setdefault("shown", reasons.render(kept))
                entry["reasons"] += [reasons.reason(h.reason, h.score) for h in hits[i]]
        return reasons.ranked([f for f in found.values() if f["reasons"]], INTAKE_LIMIT)

    async def _lookup(self, items: list[tuple[int, Probe, list[int]]]) -> list[list]:
        """One statement for the batch: each request's same-caller tickets and the rows of its ids."""
        since = min(p.now for _, p, _ in items) - reasons.PHONE_WINDOW
        ids = sorted({i for _, _, got in items for i in got})
        rows = await self.pool.fetch(LOOKUP, list(range(1, len(items) + 1)), [p.phone or "" for _, p, _ in items],
                                     since, ids)
        by_n: dict[int, list] = {}
        by_id = {}
        for r in rows:
            if r["n"]:
                by_n.setdefault(r["n"], []).append(r)
            else:
                by_id[r["id"]] = r
        return [by_n.get(n, []) + [by_id[i] for i in got if i in by_id]
                for n, (_, _, got) in enumerate(items, start=1)]

    def remember(self, row, sketch: bytes | None) -> None:
        """A ticket this worker just wrote: known at once, before the next refresh."""
        self.index.add(row["id"], row["county_code"], row["category_code"], row["created_at"].timestamp(), sketch)
        if row["county_code"]:
            self.index.keep_row({**{f: None for f in ("closed_at", "merged_into")}, "repeat_calls": 0, **dict(row)})

    def _add_rows(self, rows) -> None:
        for r in rows:
            self.index.add(r["id"], r["county_code"], r["category_code"], r["ts"],
                           bytes(r["text_sketch"]) if r["text_sketch"] is not None else None)
            if r["county_code"]:
                self.index.keep_row(r)

    async def refresh(self) -> int:
        """Learn the tickets written since the last refresh (by any worker) and the kept tickets that moved on;
        returns how many new tickets were read."""
        total = 0
        fresh_from = max(0, self.index.high_water - OVERLAP)   # rows read below are fresh: no need to re-read
        while True:
            rows = await self.pool.fetch(RECENT, max(0, self.index.high_water - OVERLAP), REFRESH_BATCH)
            self._add_rows(rows)
            total += len(rows)
            if len(rows) < REFRESH_BATCH:
                break
        changed = await self.pool.fetchrow(CHANGED_SINCE, self.events_seen)
        self.events_seen = changed["last"]
        kept = [i for i in changed["ids"] or () if i <= fresh_from and i in self.index.rows]
        if kept:
            self.index.update_rows(await self.pool.fetch(CHANGED_ROWS, kept))
        return total

    async def warm(self, now: datetime) -> None:
        """At start-up: the last days' tickets (the newest WARM_LIMIT)."""
        self.events_seen = await self.pool.fetchval("SELECT coalesce(max(id), 0) FROM ticket_events")
        self._add_rows(await self.pool.fetch(WARM, now - reasons.TEXT_WINDOW, WARM_LIMIT))
        self.index.high_water = max(self.index.high_water,
                                    await self.pool.fetchval("SELECT coalesce(max(id), 0) FROM tickets"))

    async def run(self, stop: asyncio.Event, period: float = REFRESH_SECONDS) -> None:
        """The refresh loop; a database outage only delays it."""
        while not stop.is_set():
            try:
                await self.refresh()
                self.surging = {r["county_code"]: r["id"] for r in await self.pool.fetch(OPEN_SURGES)}
            except (asyncpg.PostgresError, OSError, asyncpg.InterfaceError) as exc:
                log.debug("candidate index refresh failed (%s)", type(exc).__name__)
            try:
                await asyncio.wait_for(stop.wait(), timeout=period)
            except asyncio.TimeoutError:
                pass
