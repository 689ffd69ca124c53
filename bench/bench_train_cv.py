"""`hotline train` against a plain jieba TF-IDF + LinearSVC baseline, on the same outer folds.

Each outer fold trains exactly as `hotline train` does (its own inner CV selection, the corpus
prior folded onto the labels) on the other folds and is scored on the held-back fold; the
baseline is trained on the same rows. So the selection never sees the rows it is scored on.

    python3 bench/bench_train_cv.py --data classifier/data/web_messages.csv --label label7 [--folds 5]
    python3 bench/bench_train_cv.py --data classifier/data/web_messages.csv --label label7 --exclude-split web
        # only the web messages' training part (the fixed 30 % held out for the shipped model stays unseen)
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sklearn.metrics import accuracy_score, f1_score  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402

from classifier.pipeline import build_baseline  # noqa: E402
from classifier.text import init_jieba, training_cache  # noqa: E402
from classifier.training import train  # noqa: E402


def read_rows(path: str, label: str, exclude_split: str | None) -> list[dict]:
    """text + the chosen label column (rows of the excluded split left out; 'web' = the web messages'
    fixed held-out part, classifier.webdata)."""
    from classifier.webdata import is_heldout

    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if not exclude_split or r.get("split") != exclude_split]
    if exclude_split == "web":
        rows = [r for r in rows if not is_heldout(r["text"])]
    return [{"text": r["text"], "label": r[label]} for r in rows]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True)
    p.add_argument("--label", default="label")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--exclude-split", default=None, help="leave out rows whose split column has this value")
    p.add_argument("--prior", choices=["auto", "off"], default="auto")
    p.add_argument("--fold-model", default=None, metavar="DIR",
                   help="model whose predictions fold the corpus onto the labels (default: the shipped one); "
                        "give one never trained on --data for an honest figure")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    init_jieba()
    rows = read_rows(args.data, args.label, args.exclude_split)
    labels = np.array([r["label"] for r in rows])
    prior = None
    if args.prior == "auto":
        from classifier.model import DEFAULT_MODEL_DIR, Classifier
        from classifier.prior import Prior, corpus_rows
        folder = Classifier.load(args.fold_model or DEFAULT_MODEL_DIR)
        prior = Prior(corpus_rows(), None, predict=lambda texts: [p.category for p in folder.predict(list(texts))])
    skf = StratifiedKFold(n_splits=args.folds, shuffle=True, random_state=args.seed)
    ours, base, acc_ours, acc_base, winners = [], [], [], [], []
    t0 = time.perf_counter()
    cache = training_cache()
    cache.__enter__()  # the same texts are segmented once across the outer folds too
    for k, (tr, te) in enumerate(skf.split(np.zeros(len(rows)), labels)):
        train_rows = [rows[i] for i in tr]
        test_texts, test_y = [rows[i]["text"] for i in te], labels[te]
        res = train(train_rows, progress=False, prior=prior)
        pred = res.pipeline.predict(test_texts)
        bpred = build_baseline().fit([r["text"] for r in train_rows], [r["label"] for r in train_rows]).predict(test_texts)
        ours.append(f1_score(test_y, pred, average="macro"))
        base.append(f1_score(test_y, bpred, average="macro"))
        acc_ours.append(accuracy_score(test_y, pred))
        acc_base.append(accuracy_score(test_y, bpred))
        winners.append(res.metrics["selection"]["winner"])
        print(f"fold {k + 1}: train {ours[-1]:.4f}  baseline {base[-1]:.4f}  winner {winners[-1]}", file=sys.stderr)
    out = {"rows": len(rows), "labels": len(set(labels)), "folds": args.folds,
           "train_macro_f1": round(float(np.mean(ours)), 4), "baseline_macro_f1": round(float(np.mean(base)), 4),
           "gain": round(float(np.mean(ours) - np.mean(base)), 4),
           "train_accuracy": round(float(np.mean(acc_ours)), 4), "baseline_accuracy": round(float(np.mean(acc_base)), 4),
           "per_fold_gain": [round(a - b, 4) for a, b in zip(ours, base)], "winners": winners,
           "seconds": round(time.perf_counter() - t0, 1)}
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(f"| rows | train macro-F1 | baseline macro-F1 | gain | train acc | baseline acc |\n|---:|---:|---:|---:|---:|---:|\n"
              f"| {out['rows']} | {out['train_macro_f1']:.4f} | {out['baseline_macro_f1']:.4f} | {out['gain']:+.4f} | "
              f"{out['train_accuracy']:.4f} | {out['baseline_accuracy']:.4f} |")
        print(f"per-fold gain {out['per_fold_gain']}; winners {winners}; {out['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
