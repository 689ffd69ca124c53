"""Which open or recently closed tickets are probably the same matter as this one, and why.

Asked for by an agent looking at a ticket (GET .../candidates); intake answers its own, cheaper form
(hotline.duplicates.intake: the same reasons, similar text by a MinHash sketch). Three reasons here,
each a bounded, indexed query:
- same caller: the same phone number within PHONE_WINDOW;
- same place: the same county and category within PLACE_WINDOW;
- similar text: TF-IDF cosine over the classifier's jieba tokens (classifier.similarity) against
  the county's TEXT_POOL most recent tickets within TEXT_WINDOW, kept from TEXT_THRESHOLD up.
"""
from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg

from classifier.similarity import similarities
from hotline.auth import Principal
from hotline.duplicates import service
from hotline.jsoncodec import iso
from hotline.tickets.serialize import mask_phone
from models.enums import Status

PHONE_WINDOW = timedelta(days=7)
PLACE_WINDOW = timedelta(days=3)
TEXT_WINDOW = timedelta(days=7)
TEXT_POOL = 500
TEXT_THRESHOLD = 0.5
COLUMNS_SQL = service.CANDIDATE_COLUMNS

REASONS = {
    "same_caller": f"同一来电号码（{PHONE_WINDOW.days} 日内）",
    "same_place": f"同一区县、同一类别（{PLACE_WINDOW.days} 日内）",
    "similar_text": f"诉求内容相近（{TEXT_WINDOW.days} 日内）",
}


def reason(code: str, score: float | None = None) -> dict:
    """One reason as the API shows it (code, Chinese label, score for similar text)."""
    out = {"code": code, "label": REASONS[code]}
    if score is not None:
        out["score"] = score
    return out


async def find(db: asyncpg.Pool, principal: Principal, row, limit: int) -> list[dict]:
    """The candidates for ticket `row`, those with more reasons (then more similar, newer) first."""
    found: dict[int, dict] = {}

    def add(r, why: dict) -> None:
        found.setdefault(r["id"], {"row": r, "reasons": []})["reasons"].append(why)

    tid, at = row["id"], row["created_at"]
    if row["requester_phone"]:
        for r in await service.same_caller(db, principal, tid, at - PHONE_WINDOW, row["requester_phone"], limit):
            add(r, reason("same_caller"))
    if row["county_code"] and row["category_code"]:
        for r in await service.same_place(db, principal, tid, at - PLACE_WINDOW, row["county_code"],
                                          row["category_code"], limit):
            add(r, reason("same_place"))
    if row["county_code"]:
        nearby = await service.nearby(db, principal, tid, at - TEXT_WINDOW, row["county_code"], TEXT_POOL)
        texts = [f"{r['title']} {r['content']}" for r in nearby]
        scores = await asyncio.get_running_loop().run_in_executor(
            None, similarities, f"{row['title']} {row['content']}", texts)
        for r, score in zip(nearby, scores):
            if score >= TEXT_THRESHOLD:
                add(r, reason("similar_text", score))
    return ranked(found.values(), limit)


def ranked(found, limit: int) -> list[dict]:
    """Candidates ({row, reasons}, optionally "shown": the row already rendered) with more reasons first,
    then more similar, then newer."""
    best = sorted(found, key=lambda c: (-len(c["reasons"]), -_score(c), -c["row"]["id"]))
    return [{**(c.get("shown") or render(c["row"])), "reasons": c["reasons"]} for c in best[:limit]]


def _score(c: dict) -> float:
    return max((x.get("score", 0.0) for x in c["reasons"]), default=0.0)


def render(r) -> dict:
    """A candidate ticket as the API shows it, without its reasons."""
    return {"id": r["id"], "ticket_no": r["ticket_no"], "title": r["title"], "status": r["status"],
            "status_label": Status(r["status"]).label, "created_at": iso(r["created_at"]),
            "closed_at": iso(r["closed_at"]), "area_code": r["area_code"], "category": r["category_code"],
            "caller": {"name": r["requester_name"], "phone": mask_phone(r["requester_phone"])},
            "repeat_calls": r["repeat_calls"]}
