"""The retrain gate: a candidate model replaces the serving one only if it is not worse.

Both models are scored on the same held-out rows (the newest human-corrected tickets, which
neither was trained on). The candidate passes when its macro-F1 and its accuracy are each no
more than `tolerance` below the serving model's; too few held-out rows decide nothing. Pure:
the caller loads the models, records the decision and swaps.
"""
from __future__ import annotations

from dataclasses import dataclass

from sklearn.metrics import accuracy_score, f1_score

MIN_HELDOUT = 20
SWAPPED, KEPT, PENDING = "swapped", "kept", "pending"


@dataclass(frozen=True)
class Verdict:
    """What the gate decided, why (Chinese, for the admin), and both models' figures."""

    decision: str
    reason: str
    candidate: dict
    current: dict | None


def score(classifier, rows: list[dict]) -> dict:
    """Accuracy and macro-F1 of a loaded Classifier (its served categories) on labelled rows."""
    if not rows:
        return {"n": 0, "accuracy": None, "macro_f1": None}
    y = [r["label"] for r in rows]
    pred = [p.category for p in classifier.predict([r["text"] for r in rows])]
    labels = sorted(set(y))  # macro over the held-out set's own categories
    return {"n": len(rows), "accuracy": round(float(accuracy_score(y, pred)), 4),
            "macro_f1": round(float(f1_score(y, pred, labels=labels, average="macro", zero_division=0)), 4)}


def judge(candidate: dict, current: dict | None, *, tolerance: float = 0.0, min_heldout: int = MIN_HELDOUT,
          require_approval: bool = False) -> Verdict:
    """Swap, keep, or wait for an admin: candidate/current are score() results on the same rows."""
    if candidate["n"] < min_heldout:
        return Verdict(KEPT, f"留出样本仅 {candidate['n']} 条（至少 {min_heldout} 条），不切换", candidate, current)
    if current is not None:
        worse = [(name, key) for name, key in (("macro-F1", "macro_f1"), ("准确率", "accuracy"))
                 if candidate[key] < current[key] - tolerance]
        if worse:
            detail = "，".join(f"{name} {candidate[key]:.4f} 低于当前 {current[key]:.4f}" for name, key in worse)
            return Verdict(KEPT, f"候选模型{detail}，保留当前模型", candidate, current)
    summary = (f"候选 macro-F1 {candidate['macro_f1']:.4f} / 准确率 {candidate['accuracy']:.4f}"
               + (f"，当前 {current['macro_f1']:.4f} / {current['accuracy']:.4f}" if current else "，当前无模型"))
    if require_approval:
        return Verdict(PENDING, summary + "：不低于当前模型，待管理员批准", candidate, current)
    return Verdict(SWAPPED, summary + "：不低于当前模型，已切换", candidate, current)
