"""Model selection inside ``train``: candidates scored by stratified cross-validation.

What wins on 7,000 short templated rows (word + char n-grams) need not win on 1,400 long real
messages, so ``train`` does not trust one configuration: it scores a few candidates — the
current default, message preparation (courtesy boilerplate removed, title repeated), other
regularisation strengths, a soft vote of SVM + logistic regression + ComplementNB, and the
project corpus as weighted prior rows — on the same stratified folds as a plain jieba TF-IDF
+ LinearSVC baseline, and keeps the best mean macro-F1. Stage 1 picks the configuration; stage
2 tries the prior (if given) on top of it, so the prior is used only when the folds say it helps.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

from classifier.pipeline import build_baseline

# Above this many rows the candidates are scored on a stratified sample of this size (time).
SELECTION_SAMPLE = 6_000
PRIOR_WEIGHTS = (0.25, 0.5)


@dataclass(frozen=True)
class Candidate:
    """A named pipeline configuration, optionally with prior rows at a weight."""

    name: str
    params: dict
    prior_weight: float = 0.0


@dataclass
class Score:
    """Cross-validated macro-F1 of one candidate, per fold and mean."""

    name: str
    folds: list[float]
    seconds: float
    params: dict = field(default_factory=dict)
    prior_weight: float = 0.0
    members: tuple = ()          # a blend: the Scores whose probabilities it averages
    oof: object = None           # out-of-fold probabilities (rows x sorted labels), for blends

    @property
    def mean(self) -> float:
        return float(np.mean(self.folds))

    def to_dict(self) -> dict:
        return {"name": self.name, "macro_f1": round(self.mean, 4), "std": round(float(np.std(self.folds)), 4),
                "folds": [round(f, 4) for f in self.folds], "seconds": round(self.seconds, 1),
                "params": self.params, "prior_weight": self.prior_weight,
                **({"members": [m.name for m in self.members]} if self.members else {})}


@dataclass
class Selection:
    """The winner and every score, beside the baseline's on the same folds."""

    winner: Score
    scores: list[Score]
    baseline: Score
    n_folds: int
    n_rows: int

    def to_dict(self) -> dict:
        return {"winner": self.winner.name, "winner_macro_f1": round(self.winner.mean, 4),
                "baseline_macro_f1": round(self.baseline.mean, 4),
                "gain": round(self.winner.mean - self.baseline.mean, 4), "folds": self.n_folds,
                "rows": self.n_rows, "candidates": [s.to_dict() for s in self.scores],
                "baseline": self.baseline.to_dict()}


CHAR14 = {"char_ngrams": (1, 4), "char_max_features": 40_000}


def stage_one() -> list[Candidate]:
    """Configurations scored first (no prior)."""
    return [
        Candidate("word+char C=0.2", {}),
        Candidate("word+char C=0.5", {"C": 0.5}),
        Candidate("clean char1-4", {"prep": "clean", **CHAR14}),
        Candidate("message C=0.2", {"prep": "message"}),
        Candidate("ensemble", {"model": "ensemble"}),
        Candidate("ensemble char1-4", {"model": "ensemble", **CHAR14}),
    ]


def folds_for(labels: list[str], n_folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified (train, test) index folds; fewer folds when the smallest class is small."""
    counts = np.unique(labels, return_counts=True)[1]
    k = int(max(2, min(n_folds, counts.min())))
    skf = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    return list(skf.split(np.zeros(len(labels)), labels))


def score_candidate(cand: Candidate, rows: list[dict], folds, prior, fit_fn) -> Score:
    """Mean macro-F1 of cand over folds (prior rows added to every training fold at cand's weight)."""
    texts = np.array([r["text"] for r in rows], dtype=object)
    labels = np.array([r["label"] for r in rows], dtype=object)
    classes = sorted(set(labels))
    oof = np.zeros((len(rows), len(classes)))
    t0, out = time.perf_counter(), []
    for train_idx, test_idx in folds:
        train = [rows[i] for i in train_idx]
        extra = prior.rows_for(train) if (prior is not None and cand.prior_weight > 0) else []
        weights = [1.0] * len(train) + [cand.prior_weight] * len(extra)
        pipe = fit_fn(train + extra, cand.params, weights if extra else None)
        proba = pipe.predict_proba(list(texts[test_idx]))
        cols = [classes.index(str(c)) for c in pipe.classes_]
        oof[np.ix_(test_idx, cols)] = proba
        pred = np.asarray(classes, dtype=object)[oof[test_idx].argmax(axis=1)]
        out.append(float(f1_score(labels[test_idx], pred, average="macro", zero_division=0)))
    return Score(cand.name, out, time.perf_counter() - t0, dict(cand.params), cand.prior_weight, oof=oof)


def blend_scores(scores: list[Score], rows: list[dict], folds, sizes=(2, 3)) -> list[Score]:
    """The top-k single candidates' out-of-fold probabilities averaged: scored on the same folds at no
    extra fitting. Averaging near-equal configurations is steadier than picking one of them."""
    labels = np.array([r["label"] for r in rows], dtype=object)
    classes = np.asarray(sorted(set(labels)), dtype=object)
    ranked, seen = [], []
    for sc in sorted((s for s in scores if s.oof is not None and not s.members), key=lambda s: -s.mean):
        if sc.params not in seen:  # distinct configurations only (one prior weight of each)
            seen.append(sc.params)
            ranked.append(sc)
    out = []
    for k in sizes:
        if len(ranked) < k:
            break
        top = ranked[:k]
        avg = sum(s.oof for s in top) / k
        f1s = [float(f1_score(labels[te], classes[avg[te].argmax(axis=1)], average="macro", zero_division=0))
               for _, te in folds]
        out.append(Score("blend: " + " + ".join(s.name for s in top), f1s, 0.0, {}, 0.0, tuple(top), avg))
    return out


def score_baseline(rows: list[dict], folds) -> Score:
    """The plain jieba TF-IDF + LinearSVC on the same folds."""
    texts = np.array([r["text"] for r in rows], dtype=object)
    labels = np.array([r["label"] for r in rows], dtype=object)
    t0, out = time.perf_counter(), []
    for train_idx, test_idx in folds:
        pipe = build_baseline().fit(list(texts[train_idx]), list(labels[train_idx]))
        out.append(float(f1_score(labels[test_idx], pipe.predict(list(texts[test_idx])),
                                  average="macro", zero_division=0)))
    return Score("baseline (jieba TF-IDF + LinearSVC)", out, time.perf_counter() - t0)


def select(rows: list[dict], fit_fn, prior=None, n_folds: int = 5, seed: int = 0,
           candidates: list[Candidate] | None = None, log=None) -> Selection:
    """Score the candidates (then the prior on the best) by stratified CV; the best mean macro-F1 wins.

    fit_fn(rows, params, sample_weight) -> fitted pipeline (classifier.training.fit); prior: a
    classifier.prior.Prior or None. Ties go to the earlier candidate (the simpler one).
    """
    rows = sample_rows(rows, SELECTION_SAMPLE, seed)
    folds = folds_for([r["label"] for r in rows], n_folds, seed)
    say = log or (lambda msg: None)
    baseline = score_baseline(rows, folds)
    say(f"{baseline.name}: {baseline.mean:.4f}")
    scores = []
    for cand in candidates or stage_one():
        scores.append(score_candidate(cand, rows, folds, None, fit_fn))
        say(f"{cand.name}: {scores[-1].mean:.4f} ({scores[-1].seconds:.0f} s)")
    best = max(scores, key=lambda s: s.mean)
    if prior is not None and prior.rows_for(rows):
        for w in PRIOR_WEIGHTS:
            cand = Candidate(f"{best.name} + prior w={w}", best.params, w)
            scores.append(score_candidate(cand, rows, folds, prior, fit_fn))
            say(f"{cand.name}: {scores[-1].mean:.4f} ({scores[-1].seconds:.0f} s)")
    for blend in blend_scores(scores, rows, folds):
        scores.append(blend)
        say(f"{blend.name}: {blend.mean:.4f}")
    winner = scores[0]
    for s in scores[1:]:
        if s.mean > winner.mean + 1e-9:
            winner = s
    return Selection(winner, scores, baseline, len(folds), len(rows))


def sample_rows(rows: list[dict], n: int, seed: int) -> list[dict]:
    """At most n rows, stratified by label (all rows when there are fewer)."""
    if len(rows) <= n:
        return rows
    rng = np.random.default_rng(seed)
    by_label: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        by_label.setdefault(r["label"], []).append(i)
    keep = []
    for idx in by_label.values():
        k = max(2, int(round(len(idx) * n / len(rows))))
        keep.extend(rng.choice(idx, size=min(k, len(idx)), replace=False).tolist())
    return [rows[i] for i in sorted(keep)]
