"""Build the shipped model (classifier/model/): the corpus plus the web messages' training part.

    python3 -m classifier.ship [--out classifier/model]

The corpus's held-out rows score the model first (printed and kept in metadata.json), then it is
refitted on every corpus row plus the web messages' training part. The web messages' fixed held-out
~30 % (classifier.webdata) is never trained on: bench/bench_shipped.py scores it, folded onto 7 labels.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from classifier import artifact
from classifier.model import DEFAULT_MODEL_DIR
from classifier.training import read_training_csv, train
from classifier.webdata import WEB_MESSAGES, web_rows

CORPUS = Path(__file__).resolve().parent / "data" / "corpus.csv"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(DEFAULT_MODEL_DIR))
    args = p.parse_args(argv)
    corpus = read_training_csv(CORPUS)
    web_train, web_held = web_rows(WEB_MESSAGES, label="category")
    rows = corpus + [{**r, "split": "train"} for r in web_train]
    result = train(rows, progress=True, select=False, refit_all=True)
    metrics = {k: v for k, v in result.metrics.items() if k != "confusion"}
    metrics.update(n_train=result.n_train, n_heldout=result.n_heldout, web_train=len(web_train),
                   web_heldout_never_trained=len(web_held))
    meta = artifact.new_metadata(result.pipeline.classes_, result.rows_sha256, len(rows), metrics, result.params)
    out = artifact.save(result.pipeline, meta, args.out)
    print(f"{meta.version} -> {out}: corpus held-out accuracy {metrics['accuracy']:.4f}, macro-F1 "
          f"{metrics['macro_f1']:.4f} (before the refit on all rows); web rows trained {len(web_train)}, "
          f"held out {len(web_held)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
