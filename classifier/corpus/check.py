"""Sanity checks for the generated corpus and the hand-written eval set.

Run: ``python3 -m classifier.corpus.check``.  Prints counts per label and
split, checks for duplicate texts, group / frame leakage between splits and
the taxonomy coverage, then fits a quick TF-IDF (char 1-3 gram) + logistic
regression on ``train`` and scores it on ``heldout`` and on
``handwritten_eval.csv``.
"""

import collections
import csv
import sys

from .build import DATA, generate, load_taxonomy


def read(name):
    with open(DATA / name, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def main():
    labels = set(load_taxonomy().values())
    rows = read("corpus.csv")
    hand = read("handwritten_eval.csv")
    problems = []

    per = collections.Counter((r["label"], r["split"]) for r in rows)
    print(f"{'label':24s} train heldout hand")
    hand_per = collections.Counter(r["label"] for r in hand)
    for lab in sorted(labels):
        print(f"{lab:24s} {per[(lab, 'train')]:5d} {per[(lab, 'heldout')]:7d} {hand_per[lab]:4d}")
        if per[(lab, "train")] + per[(lab, "heldout")] < 100 or hand_per[lab] < 5:
            problems.append(f"too few rows for {lab}")
    n_split = collections.Counter(r["split"] for r in rows)
    print("rows:", dict(n_split), "handwritten:", len(hand))

    for name, data in (("corpus", rows), ("handwritten", hand)):
        dup = [t for t, c in collections.Counter(r["text"] for r in data).items() if c > 1]
        if dup:
            problems.append(f"{len(dup)} duplicate texts in {name}")
        bad = {r["label"] for r in data} - labels
        if bad:
            problems.append(f"unknown labels in {name}: {bad}")
    overlap = {r["text"] for r in rows} & {r["text"] for r in hand}
    if overlap:
        problems.append(f"{len(overlap)} handwritten texts also in corpus")

    groups = collections.defaultdict(set)
    for r in rows:
        groups[r["group"]].add(r["split"])
    leaked = [g for g, s in groups.items() if len(s) > 1]
    if leaked:
        problems.append(f"groups in both splits: {leaked[:5]}")
    frames = collections.defaultdict(set)
    for r in generate():  # regenerate to see frame ids (not stored in csv)
        frames[r["frame"]].add(r["split"])
    if any(len(s) > 1 for s in frames.values()):
        problems.append("a frame is used in both splits")
    print(f"groups: {len(groups)}, frames: {len(frames)}")

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.pipeline import make_pipeline

    train = [r for r in rows if r["split"] == "train"]
    held = [r for r in rows if r["split"] == "heldout"]
    model = make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2),
                          LogisticRegression(C=10, max_iter=2000))
    model.fit([r["text"] for r in train], [r["label"] for r in train])
    for name, data in (("heldout", held), ("handwritten", hand)):
        pred = model.predict([r["text"] for r in data])
        gold = [r["label"] for r in data]
        print(f"{name:12s} acc={accuracy_score(gold, pred):.3f} "
              f"macroF1={f1_score(gold, pred, average='macro'):.3f} n={len(data)}")
        if "-v" in sys.argv and name == "handwritten":
            for r, p in zip(data, pred):
                if p != r["label"]:
                    print(f"  MISS {r['label']} -> {p}: {r['text'][:70]}")

    print("PROBLEMS:" if problems else "all checks passed", *problems, sep="\n  ")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
