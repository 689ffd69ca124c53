"""Train the shipped split model on the project-written corpus (built by routing/split_corpus.py).

Usage:
    python3 -m routing.split_train corpus   # (re)write routing/data/split_corpus.csv
    python3 -m routing.split_train train    # train → routing/data/split_model/
    python3 -m routing.split_train all

All corpus text is original, written for this project: scenario "cores" are
combined with call framings (first person, agent phone summary) and slot
values, seeded, plus hand-written rows. Thresholds are tuned on out-of-fold
probabilities of the corpus (never on tests/routing/data/split_cases.csv).
"""
from __future__ import annotations

import csv
import json
import random
import sys
from datetime import datetime, timezone
from pathlib import Path

from routing.split import MODEL_DIR, MODEL_FILE, META_FILE, POLICE_VALUE, JOINT_VALUE, SILENT_RULES_THRESHOLD

from routing.split_corpus import (CORPUS_PATH, HOTLINE, JOINT, POLICE, SEED,  # noqa: F401
                                  build_corpus, build_grouped_corpus, write_corpus)


def read_rows(path: Path) -> list[tuple[str, str]]:
    """Read a two-column CSV (text, label/expected) without its header."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        return [(r[0], r[1]) for r in reader if r]


def build_pipeline(C: float = 4.0):
    """TF-IDF over classifier.text tokens (1-2 grams) + char 1-3 grams → logistic regression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    from classifier.text import normalize, tokenize

    features = FeatureUnion([
        ("word", TfidfVectorizer(tokenizer=tokenize, token_pattern=None, lowercase=False, ngram_range=(1, 2),
                                 min_df=2, max_features=20_000, sublinear_tf=True)),
        ("char", TfidfVectorizer(analyzer="char", preprocessor=normalize, lowercase=False, ngram_range=(1, 3),
                                 min_df=2, max_features=30_000, sublinear_tf=True)),
    ])
    clf = LogisticRegression(C=C, max_iter=3000, class_weight="balanced")
    return Pipeline([("features", features), ("clf", clf)])


def scenario_groups(texts: list[str]) -> list[str]:
    """Scenario group per text (generated rows share their core's group; others stand alone)."""
    known = {text: group for text, _, group in build_grouped_corpus()}
    return [known.get(text, f"row:{i}") for i, text in enumerate(texts)]


HOTLINE_AUGMENT_PATH = Path(__file__).resolve().parent.parent / "classifier" / "data" / "corpus.csv"
HOTLINE_AUGMENT_ROWS = 2500


def hotline_augment(path: Path = HOTLINE_AUGMENT_PATH, n: int = HOTLINE_AUGMENT_ROWS) -> list[tuple[str, str, str]]:
    """Seeded sample of the department classifier's training complaints as extra 12345 rows.

    Every row of that project-written corpus is a 12345 matter (it is labelled by
    department), so it widens the 12345 side far beyond this module's own scenarios.
    """
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r.get("split", "train") == "train" and r.get("text")]
    rng = random.Random(SEED)
    rng.shuffle(rows)
    return [(r["text"], HOTLINE, "clf:" + r.get("group", r["label"])) for r in rows[:n]]


def training_rows(corpus: Path = CORPUS_PATH) -> list[tuple[str, str, str]]:
    """Corpus rows with scenario groups, plus the 12345 augmentation."""
    rows = read_rows(corpus)
    groups = scenario_groups([t for t, _ in rows])
    return [(t, y, g) for (t, y), g in zip(rows, groups)] + hotline_augment()


def oof_police_probs(texts: list[str], labels: list[str], groups: list[str], folds: int = 5) -> list[float]:
    """Out-of-fold P(110)+P(joint), folds split by scenario so unseen scenarios are scored."""
    from sklearn.model_selection import GroupKFold, cross_val_predict

    cv = GroupKFold(n_splits=folds)
    proba = cross_val_predict(build_pipeline(), texts, labels, groups=groups, cv=cv, method="predict_proba")
    classes = sorted(set(labels))
    idx = [classes.index(POLICE_VALUE), classes.index(JOINT_VALUE)]
    return [float(row[idx[0]] + row[idx[1]]) for row in proba]


MISS_COST = 5.0  # a police matter left on 12345 costs five wrong escalations


def tune_thresholds(labels: list[str], probs: list[float]) -> dict:
    """Police threshold minimising MISS_COST·missed + wrongly escalated on scenario-grouped OOF model probs.

    Rules are left out on purpose: their lexicons were written against this corpus,
    so only the model's out-of-fold scores say how it behaves on unseen scenarios.
    """
    def cost(t: float) -> float:
        """Weighted error count of model-only decisions at threshold t."""
        missed = sum(1 for p, y in zip(probs, labels) if y != HOTLINE and p < t)
        wrong = sum(1 for p, y in zip(probs, labels) if y == HOTLINE and p >= t)
        return MISS_COST * missed + wrong

    grid = [x / 100 for x in range(15, 86, 5)]
    best = min(grid, key=lambda t: (cost(t), -t))
    return {"police_threshold": best, "review_threshold": round(best / 2, 3), "oof_cost": cost(best)}



def train(corpus: Path = CORPUS_PATH, out_dir: Path = MODEL_DIR) -> dict:
    """Train on the corpus, tune thresholds out-of-fold, write joblib + metadata.json."""
    import joblib
    import sklearn

    rows = training_rows(corpus)
    texts, labels, groups = [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]
    probs = oof_police_probs(texts, labels, groups)
    thresholds = tune_thresholds(labels, probs)
    # Not tuned: the rules were written against this corpus, so rule-silent corpus rows are
    # almost all 12345 and any OOF tuning drives this bar to the top of the grid (measured: 0.95),
    # which then misses novel police phrasings. A fixed judgment value is used instead.
    thresholds["silent_rules_threshold"] = SILENT_RULES_THRESHOLD
    augment = sum(1 for g in groups if g.startswith("clf:"))
    pipeline = build_pipeline().fit(texts, labels)
    out_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump(pipeline, out_dir / MODEL_FILE, compress=3)
    meta = {
        "name": "hotline-split", "version": 1, "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "corpus": str(corpus.relative_to(Path(__file__).resolve().parent.parent)), "rows": len(rows), "hotline_augment_rows": augment,
        "hotline_augment_source": str(HOTLINE_AUGMENT_PATH.relative_to(Path(__file__).resolve().parent.parent)),
        "label_counts": {y: labels.count(y) for y in sorted(set(labels))}, "classes": [str(c) for c in pipeline.classes_],
        "features": "tfidf(classifier.text.tokenize, 1-2gram) + tfidf(char 1-3gram)", "estimator": "LogisticRegression(C=4, balanced)",
        "sklearn": sklearn.__version__, "seed": SEED, **thresholds,
    }
    (out_dir / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return meta


def main(argv: list[str]) -> None:
    """CLI entry point."""
    cmd = argv[1] if len(argv) > 1 else "all"
    if cmd in ("corpus", "all"):
        print("corpus rows:", write_corpus())
    if cmd in ("train", "all"):
        print(json.dumps(train(), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main(sys.argv)
