"""The shipped classifier (classifier/model/) on every evaluation set, folded onto 7 labels where asked.

    python3 bench/bench_shipped.py [--model DIR] [--web classifier/data/web_messages.csv]

- corpus held-out: classifier/data/corpus.csv rows with split=heldout (37 categories);
- hand-written: classifier/data/handwritten_eval.csv (37 categories);
- web held-out: the fixed ~30 % of classifier/data/web_messages.csv no shipped model is trained on
  (classifier.webdata), scored on the 37 categories and folded onto the seven board labels
  (classifier/data/fold7.csv): accuracy and macro-F1.
"""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sklearn.metrics import accuracy_score, f1_score  # noqa: E402

from classifier.model import DEFAULT_MODEL_DIR, Classifier  # noqa: E402
from classifier.webdata import WEB_MESSAGES, fold7, web_rows  # noqa: E402


def figures(y, pred) -> tuple[float, float]:
    """(accuracy, macro-F1)."""
    return accuracy_score(y, pred), f1_score(y, pred, average="macro", zero_division=0)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default=str(DEFAULT_MODEL_DIR))
    p.add_argument("--web", default=str(WEB_MESSAGES))
    args = p.parse_args(argv)
    clf = Classifier.load(args.model)
    with open(ROOT / "classifier/data/corpus.csv", encoding="utf-8") as fh:
        corpus_held = [r for r in csv.DictReader(fh) if r["split"] == "heldout"]
    with open(ROOT / "classifier/data/handwritten_eval.csv", encoding="utf-8") as fh:
        hand = list(csv.DictReader(fh))
    _, web_held = web_rows(args.web, label="category")
    fold = fold7()
    print(f"model {clf.version}\n")
    print("| eval set | n | accuracy | macro-F1 |\n|---|---:|---:|---:|")
    for name, rows in (("corpus held-out (37)", corpus_held), ("hand-written (37)", hand),
                       ("web held-out (37)", web_held)):
        pred = [x.category for x in clf.predict([r["text"] for r in rows])]
        acc, f1 = figures([r["label"] for r in rows], pred)
        print(f"| {name} | {len(rows)} | {acc:.4f} | {f1:.4f} |")
        if name.startswith("web"):
            acc7, f17 = figures([fold[r["label"]] for r in rows], [fold[c] for c in pred])
            print(f"| web held-out folded onto 7 labels | {len(rows)} | {acc7:.4f} | {f17:.4f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
