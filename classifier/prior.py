"""The project corpus as prior knowledge for a deployment's own labels.

A deployment with a few thousand tickets in its own taxonomy (e.g. seven board labels) can
still borrow from the project's 7,000-row corpus, if each corpus category is folded onto one
of the deployment's labels. The fold comes from, in order: identical labels (a deployment
training on the catalogue itself), an explicit ``category,label`` map file, or the shipped
model: it reads the deployment's training texts, and each catalogue category goes to the
deployment label most of its predictions carry (when that label holds a clear majority).
Corpus rows whose category has no fold are left out. Whether the folded rows help, and at
what weight, is for cross-validation to say (classifier.selection).
"""
from __future__ import annotations

import csv
import os
from collections import Counter, defaultdict
from pathlib import Path

CORPUS_PATH = Path(__file__).resolve().parent / "data" / "corpus.csv"
TAXONOMY_PATH = Path(__file__).resolve().parent / "data" / "taxonomy.csv"
MIN_VOTES = 3
MIN_SHARE = 0.5
MAX_PRIOR_ROWS = 4_000


def corpus_rows(path: str | os.PathLike = CORPUS_PATH) -> list[dict]:
    """The corpus's training rows (text, label = catalogue category name)."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return [{"text": r["text"], "label": r["label"]} for r in csv.DictReader(fh)
                if r.get("split", "train") != "heldout"]


def read_fold_map(path: str | os.PathLike) -> dict[str, str]:
    """category,label (category as catalogue name or code) -> {category name: label}."""
    codes = _code_names()
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        head = {h.strip() for h in reader.fieldnames or []}
        label_col = "label" if "label" in head else next((h for h in reader.fieldnames or [] if h != "category"), None)
        if "category" not in head or label_col is None:
            raise ValueError(f"折叠映射需要 category,label 两列: {path}")
        return {codes.get(r["category"].strip(), r["category"].strip()): r[label_col].strip() for r in reader}


def _code_names() -> dict[str, str]:
    with open(TAXONOMY_PATH, encoding="utf-8-sig", newline="") as fh:
        return {r["code"]: r["category"] for r in csv.DictReader(fh)}


def learned_fold(predicted: list[str], labels: list[str]) -> dict[str, str]:
    """Catalogue category -> deployment label, where the category's predictions agree on one label."""
    votes: dict[str, Counter] = defaultdict(Counter)
    for cat, lab in zip(predicted, labels):
        votes[cat][lab] += 1
    fold = {}
    for cat, counter in votes.items():
        lab, n = counter.most_common(1)[0]
        total = sum(counter.values())
        if total >= MIN_VOTES and n / total >= MIN_SHARE:
            fold[cat] = lab
    return fold


def folded(rows: list[dict], fold: dict[str, str], limit: int = MAX_PRIOR_ROWS) -> list[dict]:
    """Corpus rows relabelled by fold (unfolded categories dropped), at most limit (evenly spread)."""
    out = [{"text": r["text"], "label": fold[r["label"]]} for r in rows if r["label"] in fold]
    if len(out) > limit:
        step = len(out) / limit
        out = [out[int(i * step)] for i in range(limit)]
    return out


class Prior:
    """Gives the folded corpus for a set of deployment training rows."""

    def __init__(self, corpus: list[dict], fold_map: dict[str, str] | None = None, predict=None):
        """predict(texts) -> catalogue categories (the shipped model), used when no fold map is given."""
        self.corpus = corpus
        self.fold_map = fold_map
        self.predict = predict
        self._predicted: dict[str, str] = {}

    def rows_for(self, train: list[dict]) -> list[dict]:
        """The folded prior for these training rows (an empty list when nothing folds)."""
        labels = {r["label"] for r in train}
        corpus_labels = {r["label"] for r in self.corpus}
        if labels <= corpus_labels:
            return folded(self.corpus, {c: c for c in labels})
        if self.fold_map is not None:
            return folded(self.corpus, {c: lab for c, lab in self.fold_map.items() if lab in labels})
        if self.predict is None:
            return []
        todo = [r["text"] for r in train if r["text"] not in self._predicted]
        if todo:
            self._predicted.update(zip(todo, self.predict(todo)))
        return folded(self.corpus, learned_fold([self._predicted[r["text"]] for r in train],
                                                [r["label"] for r in train]))
