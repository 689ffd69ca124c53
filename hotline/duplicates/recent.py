"""Each worker's memory of recent tickets, for intake's candidates: same place and similar text.

Intake must not pay a query per request for candidates. Same place (county + category) and similar
text (MinHash of character bigrams, classifier.similarity.sketch) are answered from memory:

- per county, a ring of the TEXT_POOL newest tickets with their sketches (a numpy matrix, compared
  in one vectorised step);
- per county + category, the PLACE_KEEP newest ticket ids and times.

The worker adds the tickets it writes at once, and learns the other workers' tickets by reading the
ticket ids above the highest it has seen, every REFRESH_SECONDS (hotline.duplicates.intake). What it
answers are ids; their rows (status, title, still open?) come from PostgreSQL, which has the last word.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from classifier.similarity import SKETCH_SIZE, estimated_jaccard

TEXT_POOL = 200          # a county's newest tickets are the pool (GET /candidates looks at 500)
PLACE_KEEP = 20
TEXT_THRESHOLD = 0.25    # estimated bigram Jaccard (docs/workflow.md: how it was chosen)
SEEN_KEEP = 4096         # recently added ids, so a re-read never adds a ticket twice
ROWS_KEEP = 20_000       # tickets whose answer row is kept (the newest); an older one is read from PostgreSQL
ROW_FIELDS = ("id", "ticket_no", "title", "status", "created_at", "closed_at", "area_code", "category_code",
              "requester_name", "requester_phone", "repeat_calls", "merged_into")


@dataclass
class _Ring:
    ids: np.ndarray = field(default_factory=lambda: np.zeros(TEXT_POOL, dtype=np.int64))
    times: np.ndarray = field(default_factory=lambda: np.zeros(TEXT_POOL, dtype=np.float64))
    sketches: np.ndarray = field(default_factory=lambda: np.zeros((TEXT_POOL, SKETCH_SIZE), dtype=np.uint16))
    size: int = 0
    at: int = 0

    def add(self, ticket_id: int, ts: float, sketch: bytes) -> None:
        self.ids[self.at], self.times[self.at] = ticket_id, ts
        self.sketches[self.at] = np.frombuffer(sketch, dtype="<u2")
        self.at = (self.at + 1) % TEXT_POOL
        self.size = min(self.size + 1, TEXT_POOL)


class Hit(NamedTuple):
    ticket_id: int
    reason: str                      # same_place or similar_text
    score: float | None = None


class RecentIndex:
    """Recent tickets by county (text) and county + category (place); one per worker."""

    def __init__(self) -> None:
        self.rings: dict[str, _Ring] = {}
        self.places: dict[tuple[str, str], deque] = {}
        self.high_water = 0
        self._seen: deque[int] = deque(maxlen=SEEN_KEEP)
        self._seen_set: set[int] = set()
        self.rows: dict[int, dict] = {}   # id -> what the answer shows, oldest first (a cache: may be stale ~1 s)

    def keep_row(self, row) -> None:
        """Keep (or refresh) a ticket's answer row; the oldest go beyond ROWS_KEEP."""
        tid = row["id"]
        self.rows.pop(tid, None)
        self.rows[tid] = {f: row[f] for f in ROW_FIELDS}
        while len(self.rows) > ROWS_KEEP:
            del self.rows[next(iter(self.rows))]

    def update_rows(self, changes) -> int:
        """New status, fold and repeat count of kept tickets (rows with id, status, closed_at, repeat_calls,
        merged_into); returns how many were kept."""
        n = 0
        for c in changes:
            row = self.rows.get(c["id"])
            if row is not None:
                row.update(status=c["status"], closed_at=c["closed_at"], repeat_calls=c["repeat_calls"],
                           merged_into=c["merged_into"])
                row.pop("shown", None)   # the answer's rendering of the old state
                n += 1
        return n

    def add(self, ticket_id: int, county: str | None, category: str | None, ts: float,
            sketch: bytes | None) -> None:
        """Remember one ticket (idempotent for the SEEN_KEEP most recent ids)."""
        self.high_water = max(self.high_water, ticket_id)
        if ticket_id in self._seen_set or not county:
            return
        if len(self._seen) == SEEN_KEEP:
            self._seen_set.discard(self._seen[0])
        self._seen.append(ticket_id)
        self._seen_set.add(ticket_id)
        if category:
            self.places.setdefault((county, category), deque(maxlen=PLACE_KEEP)).append((ticket_id, ts))
        if sketch is not None and len(sketch) == SKETCH_SIZE * 2:
            self.rings.setdefault(county, _Ring()).add(ticket_id, ts, sketch)

    def same_place(self, county: str | None, category: str | None, since: float, limit: int) -> list[Hit]:
        """The newest tickets of the county and category since `since` (epoch seconds)."""
        if not county or not category:
            return []
        out: list[Hit] = []
        for i, ts in reversed(self.places.get((county, category), ())):
            if len(out) == limit:
                break
            if ts >= since:   # (another worker's ticket may be learnt after newer ones of this worker)
                out.append(Hit(i, "same_place"))
        return out

    def similar_text(self, county: str | None, sketch: bytes | None, since: float, limit: int) -> list[Hit]:
        """The county's recent tickets whose estimated bigram Jaccard reaches TEXT_THRESHOLD, best first."""
        ring = self.rings.get(county or "")
        if ring is None or sketch is None or ring.size == 0:
            return []
        n = ring.size
        scores = estimated_jaccard(sketch, ring.sketches[:n])
        keep = np.flatnonzero((scores >= TEXT_THRESHOLD) & (ring.times[:n] >= since))
        best = keep[np.argsort(-scores[keep], kind="stable")][:limit]
        return [Hit(int(ring.ids[i]), "similar_text", round(float(scores[i]), 4)) for i in best]
