"""Benchmark the department classifier against the plain TF-IDF + LinearSVC baseline.

Usage: python3 bench/bench_classifier.py [--quick] [--corpus classifier/data/corpus.csv]

Runs single-threaded (BLAS threads pinned to 1) so throughput is per core.
Prints a markdown table; timings are medians over --repeats runs.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sklearn.metrics import accuracy_score, f1_score  # noqa: E402

from classifier.artifact import Metadata  # noqa: E402
from classifier.model import DEFAULT_MODEL_DIR, Classifier  # noqa: E402
from classifier.pipeline import build_baseline  # noqa: E402
from classifier.text import init_jieba  # noqa: E402
from classifier.training import fit, read_training_csv, split_rows  # noqa: E402

PREFIXES = ["", "", "您好，", "市民来电反映：", "我想反映个问题，", "来电人称，", "网友留言："]
SUFFIXES = ["", "", "请尽快处理。", "希望有关部门重视。", "谢谢！", "已经反映多次没人管。", "请回电。"]


def parse_args(argv=None):
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", default=str(ROOT / "classifier/data/corpus.csv"))
    p.add_argument("--handwritten", default=str(ROOT / "classifier/data/handwritten_eval.csv"))
    p.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    p.add_argument("--repeats", type=int, default=None, help="repeats for timing medians")
    p.add_argument("--train-rows", type=int, default=None, help="rows for the training-time test")
    p.add_argument("--train-repeats", type=int, default=1, help="repeats of the big training run")
    return p.parse_args(argv)


def macro(y_true, y_pred) -> tuple[float, float]:
    """(accuracy, macro-F1)."""
    return accuracy_score(y_true, y_pred), f1_score(y_true, y_pred, average="macro", zero_division=0)


def perturb(text: str, rng: random.Random) -> str:
    """Cheap text augmentation: filler prefix/suffix, char drop, number insertion."""
    chars = list(text)
    for _ in range(rng.randint(0, 2)):
        if len(chars) > 8:
            del chars[rng.randrange(len(chars))]
    if rng.random() < 0.3:
        chars.insert(rng.randrange(len(chars) + 1), str(rng.randint(1, 300)))
    return rng.choice(PREFIXES) + "".join(chars) + rng.choice(SUFFIXES)


def synth_rows(rows: list[dict], n: int, seed: int = 0) -> list[dict]:
    """n training rows resampled from rows with perturbation."""
    rng = random.Random(seed)
    return [{"text": perturb(r["text"], rng), "label": r["label"]} for r in (rng.choice(rows) for _ in range(n))]


def texts_of_length(rows: list[dict], n: int, length: int = 200, seed: int = 1) -> list[str]:
    """n texts of exactly `length` chars built by concatenating random corpus texts."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        buf = ""
        while len(buf) < length:
            buf += rng.choice(rows)["text"] + "。"
        out.append(buf[:length])
    return out


def timed(fn, repeats: int) -> float:
    """Median wall time of fn() over repeats."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def latency_ms(clf, texts: list[str], repeats: int) -> tuple[float, float]:
    """Median (over repeats) of single-request p50 and p99 latency in ms."""
    p50s, p99s = [], []
    for _ in range(repeats):
        lat = []
        for t in texts:
            t0 = time.perf_counter()
            clf.predict([t])
            lat.append((time.perf_counter() - t0) * 1000)
        lat.sort()
        p50s.append(lat[len(lat) // 2])
        p99s.append(lat[min(len(lat) - 1, int(len(lat) * 0.99))])
    return statistics.median(p50s), statistics.median(p99s)


def wrap(pipeline) -> Classifier:
    """Wrap a fitted pipeline as a Classifier (for the same predict path as the service)."""
    labels = [str(c) for c in pipeline.classes_]
    return Classifier(pipeline, Metadata("bench", labels, "", 0, {}, ""))


def main(argv=None) -> int:
    """Run the benchmark and print a markdown report."""
    args = parse_args(argv)
    repeats = args.repeats or (2 if args.quick else 5)
    n_batch = 500 if args.quick else 2000
    n_lat = 200 if args.quick else 1000
    n_big = args.train_rows or (20_000 if args.quick else 100_000)
    init_jieba()

    rows = read_training_csv(args.corpus)
    train_rows, held_rows = split_rows(rows)
    hand = read_training_csv(args.handwritten) if Path(args.handwritten).is_file() else []
    print(f"corpus: {len(rows)} rows, train {len(train_rows)}, heldout {len(held_rows)}, "
          f"handwritten {len(hand)}, labels {len({r['label'] for r in rows})}", file=sys.stderr)

    t0 = time.perf_counter()
    ours = fit(train_rows)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    base = build_baseline().fit([r["text"] for r in train_rows], [r["label"] for r in train_rows])
    t_base = time.perf_counter() - t0

    quality = []
    for name, ev in (("heldout", held_rows), ("handwritten", hand)):
        if not ev:
            continue
        texts, y = [r["text"] for r in ev], [r["label"] for r in ev]
        a1, f1 = macro(y, ours.predict(texts))
        a0, f0 = macro(y, base.predict(texts))
        quality.append((name, len(ev), a1, f1, a0, f0))

    batch = texts_of_length(rows, n_batch)
    clf, base_clf = wrap(ours), base
    clf.predict(batch[:10])
    t_batch = timed(lambda: clf.predict(batch), repeats)
    t_batch_base = timed(lambda: base_clf.predict(batch), repeats)
    p50, p99 = latency_ms(clf, batch[:n_lat], repeats)
    shipped = Classifier.load(DEFAULT_MODEL_DIR)  # the model the service serves (classifier/model/)
    shipped.predict(batch[:10])
    t_shipped = timed(lambda: shipped.predict(batch), repeats)
    s50, _ = latency_ms(shipped, batch[:n_lat], repeats)

    big = synth_rows(train_rows, n_big)
    t_big = timed(lambda: fit(big), args.train_repeats)

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\n## Classifier benchmark ({'quick' if args.quick else 'full'}, single-threaded, "
          f"median of {repeats} repeats; {os.cpu_count()} CPUs, load average {load})\n")
    print("| eval set | n | ours acc | ours macro-F1 | baseline acc | baseline macro-F1 | Δ macro-F1 (pts) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, n, a1, f1, a0, f0 in quality:
        print(f"| {name} | {n} | {a1:.4f} | {f1:.4f} | {a0:.4f} | {f0:.4f} | {100 * (f1 - f0):+.1f} |")
    print("\n| metric | value | target |")
    print("|---|---:|---:|")
    print(f"| batch throughput, 200-char texts (ours) | {n_batch / t_batch:,.0f} /s | ≥ 2,000 /s |")
    print(f"| batch throughput, 200-char texts (baseline) | {n_batch / t_batch_base:,.0f} /s | – |")
    print(f"| batch throughput, 200-char texts (shipped model {shipped.version}) | {n_batch / t_shipped:,.0f} /s | ≥ 2,000 /s |")
    print(f"| single-request latency p50 | {p50:.2f} ms | < 2 ms |")
    print(f"| single-request latency p50 (shipped model) | {s50:.2f} ms | < 2 ms |")
    print(f"| single-request latency p99 | {p99:.2f} ms | – |")
    print(f"| train time, corpus train split ({len(train_rows):,} rows, ours) | {t_ours:.1f} s | – |")
    print(f"| train time, corpus train split (baseline) | {t_base:.1f} s | – |")
    print(f"| train time, {n_big:,} synthetic rows (ours, median of {args.train_repeats}) | {t_big:.1f} s | < 120 s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
