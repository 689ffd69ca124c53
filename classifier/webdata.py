"""The long web messages (classifier/data/web_messages.csv) and their fixed held-out part.

About 30 % of the rows, chosen by a hash of the text (so the choice does not move when rows are
added), are never trained on: they give an honest figure for the shipped model on long
first-person messages, folded onto the seven board labels (classifier/data/fold7.csv).
"""
from __future__ import annotations

import csv
import hashlib
import os
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
WEB_MESSAGES = DATA / "web_messages.csv"
FOLD7 = DATA / "fold7.csv"
HELDOUT_TENTHS = 3


def is_heldout(text: str) -> bool:
    """True for the fixed ~30 % of texts that no shipped model is trained on."""
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest(), 16) % 10 < HELDOUT_TENTHS


def web_rows(path: str | os.PathLike = WEB_MESSAGES, label: str = "category") -> tuple[list[dict], list[dict]]:
    """(train, held-out) rows of the web messages, labelled by `category` (catalogue name) or `label7`."""
    names = category_names()
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = [{"text": r["text"], "label": names.get(r[label], r[label]) if label == "category" else r[label]}
                for r in csv.DictReader(fh)]
    return [r for r in rows if not is_heldout(r["text"])], [r for r in rows if is_heldout(r["text"])]


def category_names() -> dict[str, str]:
    """Catalogue code -> category name (taxonomy.csv)."""
    with open(DATA / "taxonomy.csv", encoding="utf-8-sig", newline="") as fh:
        return {r["code"]: r["category"] for r in csv.DictReader(fh)}


def fold7() -> dict[str, str]:
    """Category name -> one of the seven board labels."""
    names = category_names()
    with open(FOLD7, encoding="utf-8-sig", newline="") as fh:
        return {names[r["category"]]: r["label7"] for r in csv.DictReader(fh)}
