"""Turn handled tickets into extra training rows (human corrections only)."""

from __future__ import annotations

import csv
import os
from typing import Iterable, Mapping


def _fields(record) -> tuple:
    """(text, final_category, predicted_category) from a tuple or a mapping."""
    if isinstance(record, Mapping):
        return record.get("text"), record.get("final_category"), record.get("predicted_category")
    text, final, predicted = record
    return text, final, predicted


def export_rows(records: Iterable, include_confirmed: bool = False,
                allowed_labels: set[str] | None = None) -> list[dict]:
    """Training rows ``{text, label, source}`` for tickets whose category a human changed.

    records: (text, final_category, predicted_category) tuples or mappings with those keys.
    Rows with empty text/final category, or a label outside allowed_labels, are skipped;
    exact duplicates (same text and label) are kept once.
    """
    seen: set[tuple[str, str]] = set()
    rows = []
    for rec in records:
        text, final, predicted = _fields(rec)
        text = (text or "").strip()
        final = (final or "").strip()
        if not text or not final:
            continue
        corrected = final != (predicted or "").strip()
        if not (corrected or include_confirmed):
            continue
        if allowed_labels is not None and final not in allowed_labels:
            continue
        if (text, final) in seen:
            continue
        seen.add((text, final))
        rows.append({"text": text, "label": final, "source": "corrected" if corrected else "confirmed"})
    return rows


def write_rows_csv(rows: Iterable[Mapping], path: str | os.PathLike) -> int:
    """Write rows as a ``text,label,source`` CSV usable by ``train --data``; returns row count."""
    n = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["text", "label", "source"], extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({"source": "", **row})
            n += 1
    return n
