"""Dispute types (routing/data/dispute_types.csv) and recognising one in a description.

The file, not code, lists the types: which tier mediates them first, which specialised
committee joins (or leads) them, their time limit and the words that give them away.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

TYPES_CSV = Path(__file__).resolve().parent.parent / "data" / "dispute_types.csv"
TIERS = ("community", "town", "county", "city")
TIER_LABELS = {"community": "村（社区）", "town": "乡镇（街道）", "county": "县（市、区）", "city": "市"}


class CatalogueError(ValueError):
    """The dispute type file is malformed."""


@dataclass(frozen=True)
class DisputeType:
    code: str
    label: str
    first_tier: str
    industry_type: str        # kind of specialised committee (property, medical, ...) or ''
    industry_leads: bool      # the specialised committee leads instead of supporting
    limit_days: int           # mediation time limit, working days
    keywords: tuple[tuple[str, int], ...]


def _row(raw: dict[str, str], line: int) -> DisputeType:
    try:
        tier = raw["first_tier"].strip()
        if tier not in TIERS:
            raise CatalogueError(f"line {line}: unknown tier {tier!r}")
        words = tuple((w.lstrip("!"), 2 if w.startswith("!") else 1)
                      for w in raw["keywords"].split("|") if w.strip("! "))
        return DisputeType(raw["code"].strip(), raw["label"].strip(), tier, raw["industry_type"].strip(),
                           raw["industry_leads"].strip() == "true", int(raw["limit_days"]), words)
    except (KeyError, ValueError, AttributeError) as exc:
        if isinstance(exc, CatalogueError):
            raise
        raise CatalogueError(f"line {line}: {exc}") from None


def parse_types(lines) -> dict[str, DisputeType]:
    rows = csv.DictReader(line for line in lines if not line.startswith("#"))
    out = {}
    for i, raw in enumerate(rows, start=2):
        t = _row(raw, i)
        out[t.code] = t
    if "other" not in out:
        raise CatalogueError("the type list needs an 'other' row")
    return out


@lru_cache(maxsize=4)
def load_types(path: str | None = None) -> dict[str, DisputeType]:
    """The dispute types, keyed by code (file order kept)."""
    with open(path or TYPES_CSV, encoding="utf-8", newline="") as fh:
        return parse_types(fh)


def classify(text: str, types: dict[str, DisputeType] | None = None) -> tuple[str, dict[str, int]]:
    """The most likely dispute type of a description and each type's keyword score.

    Ties go to the type listed first; no keyword at all gives 'other'.
    """
    types = types or load_types()
    scores = {code: sum(weight for word, weight in t.keywords if word in text)
              for code, t in types.items() if code != "other"}
    best = max(scores, key=lambda c: scores[c], default="other")
    return (best if scores.get(best, 0) > 0 else "other"), scores


def is_dispute(text: str, types: dict[str, DisputeType] | None = None) -> bool:
    """Whether a description reads as a dispute between parties (for 110 hand-offs)."""
    code, scores = classify(text, types)
    markers = ("纠纷", "矛盾", "争吵", "吵架", "打架", "争执", "调解", "协商不成", "扯皮", "闹")
    return any(m in text for m in markers) or (code != "other" and scores[code] >= 2)
