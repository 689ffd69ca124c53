"""The retrain gate's decision (pure): not worse on the same held-out rows, enough rows, approval."""
from classifier import gate


def _s(f1, acc, n=50):
    return {"n": n, "macro_f1": f1, "accuracy": acc}


def test_worse_candidate_is_kept_and_says_which_figure_dropped():
    v = gate.judge(_s(0.80, 0.90), _s(0.82, 0.88))
    assert v.decision == gate.KEPT and "macro-F1 0.8000 低于当前 0.8200" in v.reason and "准确率" not in v.reason
    v = gate.judge(_s(0.83, 0.85), _s(0.82, 0.88))
    assert v.decision == gate.KEPT and "准确率" in v.reason


def test_equal_or_better_is_swapped_and_tolerance_allows_a_small_drop():
    assert gate.judge(_s(0.82, 0.88), _s(0.82, 0.88)).decision == gate.SWAPPED
    assert gate.judge(_s(0.85, 0.90), _s(0.82, 0.88)).decision == gate.SWAPPED
    assert gate.judge(_s(0.815, 0.88), _s(0.82, 0.88), tolerance=0.01).decision == gate.SWAPPED
    assert gate.judge(_s(0.5, 0.5), None).decision == gate.SWAPPED  # nothing serving to compare with


def test_too_few_heldout_rows_decide_nothing_and_approval_waits():
    v = gate.judge(_s(0.99, 0.99, n=5), _s(0.5, 0.5, n=5))
    assert v.decision == gate.KEPT and "留出样本仅 5 条" in v.reason
    assert gate.judge(_s(0.9, 0.9), _s(0.8, 0.8), require_approval=True).decision == gate.PENDING


def test_score_uses_the_served_categories(model_dir, small_rows):
    from classifier.model import Classifier

    s = gate.score(Classifier.load(model_dir), small_rows)
    assert s["n"] == len(small_rows) and 0.8 <= s["accuracy"] <= 1.0 and s["macro_f1"] > 0.8
    assert gate.score(Classifier.load(model_dir), []) == {"n": 0, "accuracy": None, "macro_f1": None}
