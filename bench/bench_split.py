"""Benchmark the 12345–110 split on the held-out table (tests/routing/data/split_cases.csv).

Prints police recall (110+joint cases sent to 110 or joint), 12345 accuracy,
joint accuracy and a confusion matrix for three modes in the same run —
rules only, model only, rules+model combined — plus time per decision.

    python3 bench/bench_split.py [--cases PATH] [--misses]
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.enums import Disposition  # noqa: E402
from routing.split import SplitModel, decide_split, load_split_model, police_probability  # noqa: E402
from routing.split_train import read_rows  # noqa: E402

CASES = ROOT / "tests" / "routing" / "data" / "split_cases.csv"
LABELS = ("110", "joint", "12345")


@dataclass(frozen=True)
class Scores:
    """Headline figures for one mode."""

    police_recall: float
    hotline_accuracy: float
    joint_accuracy: float
    exact_accuracy: float
    review_rate: float
    ms_per_decision: float


def decide_model_only(text: str, model: SplitModel) -> tuple[str, bool]:
    """Model alone: police prob ≥ threshold → 110/joint by the larger class, else 12345."""
    probs = model.probabilities(text)
    if police_probability(probs) >= model.police_threshold:
        return ("joint" if probs.get("joint", 0) > probs.get("110", 0) else "110"), False
    return "12345", police_probability(probs) >= model.review_threshold


def run(mode: str, rows: list[tuple[str, str]], model: SplitModel | None) -> tuple[list[tuple[str, str, bool]], float]:
    """Decide every row in one mode; return (expected, got, review) triples and seconds elapsed."""
    out, start = [], time.perf_counter()
    for text, expected in rows:
        if mode == "model-only":
            got, review = decide_model_only(text, model)
        else:
            d = decide_split(text, model=model if mode == "combined" else None)
            got, review = d.disposition.value, d.review
        out.append((expected, got, review))
    return out, time.perf_counter() - start


def score(results: list[tuple[str, str, bool]], seconds: float) -> Scores:
    """Compute headline figures from (expected, got, review) triples."""
    police = [(e, g) for e, g, _ in results if e != "12345"]
    hotline = [(e, g) for e, g, _ in results if e == "12345"]
    joint = [(e, g) for e, g, _ in results if e == "joint"]
    return Scores(
        police_recall=sum(g != "12345" for _, g in police) / len(police),
        hotline_accuracy=sum(g == "12345" for _, g in hotline) / len(hotline),
        joint_accuracy=sum(g == "joint" for _, g in joint) / len(joint),
        exact_accuracy=sum(e == g for e, g, _ in results) / len(results),
        review_rate=sum(r for _, _, r in results) / len(results),
        ms_per_decision=1000 * seconds / len(results),
    )


def confusion(results: list[tuple[str, str, bool]]) -> str:
    """Confusion matrix text, rows = expected, columns = decided."""
    lines = ["expected\\got " + "".join(f"{c:>8}" for c in LABELS)]
    for e in LABELS:
        lines.append(f"{e:<13}" + "".join(f"{sum(1 for x, g, _ in results if x == e and g == c):>8}" for c in LABELS))
    return "\n".join(lines)


def main() -> None:
    """Run all three modes and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=CASES)
    parser.add_argument("--misses", action="store_true", help="list misclassified cases")
    args = parser.parse_args()
    rows = read_rows(args.cases)
    model = load_split_model()
    decide_split(rows[0][0], model=model)  # warm up jieba and the model
    counts = {lab: sum(1 for _, e in rows if e == lab) for lab in LABELS}
    print(f"cases: {len(rows)} ({', '.join(f'{k}={v}' for k, v in counts.items())}); "
          f"model thresholds police={model.police_threshold} review={model.review_threshold}")
    for mode in ("rules-only", "model-only", "combined"):
        results, seconds = run(mode, rows, model)
        s = score(results, seconds)
        print(f"\n== {mode} ==")
        print(f"police recall (110+joint caught) {s.police_recall:.3f}   12345 accuracy {s.hotline_accuracy:.3f}   "
              f"joint accuracy {s.joint_accuracy:.3f}   exact accuracy {s.exact_accuracy:.3f}   "
              f"review flagged {s.review_rate:.3f}   {s.ms_per_decision:.2f} ms/decision "
              f"({1000 / s.ms_per_decision:.0f}/s)")
        print(confusion(results))
        if args.misses:
            for (text, _), (e, g, r) in zip(rows, results):
                if (e == "12345") != (g == "12345") or (e == "joint" and g != "joint"):
                    print(f"  MISS expected={e} got={g} review={r}: {text}")


if __name__ == "__main__":
    main()
