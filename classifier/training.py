"""Reading training CSVs, training the pipeline and evaluating classifiers."""

from __future__ import annotations

import csv
import hashlib
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import train_test_split
from tqdm import tqdm

from classifier.pipeline import DEFAULTS, HOLDOUT_CALIBRATION_ROWS, build_pipeline, compact

REQUIRED_COLUMNS = ("text", "label")
OPTIONAL_COLUMNS = ("group", "split", "id", "source")
TRAIN_SPLITS = {"train"}
HELDOUT_SPLITS = {"heldout", "test", "eval", "valid", "validation", "dev"}
MAX_REPORTED = 10
MIN_ROWS = 40  # fewer rows: no model selection (too few per fold), the defaults are used
TAXONOMY_PATH = Path(__file__).resolve().parent / "data" / "taxonomy.csv"


class TrainingDataError(ValueError):
    """Training data is unusable; ``details`` lists the offending items."""

    def __init__(self, message: str, details: list | None = None):
        super().__init__(message)
        self.message = message
        self.details = list(details or [])

    def __str__(self) -> str:
        if not self.details:
            return self.message
        shown = "; ".join(str(d) for d in self.details[:MAX_REPORTED])
        more = f" …（共 {len(self.details)} 项）" if len(self.details) > MAX_REPORTED else ""
        return f"{self.message}: {shown}{more}"


@dataclass
class TrainResult:
    """A fitted pipeline with its held-out metrics."""

    pipeline: object
    metrics: dict
    n_train: int
    n_heldout: int
    rows_sha256: str
    params: dict = field(default_factory=dict)


def read_training_csv(path: str | os.PathLike) -> list[dict]:
    """Read and validate a UTF-8 CSV with ``text,label`` (+ optional group/split) columns."""
    path = Path(path)
    if not path.is_file():
        raise TrainingDataError(f"找不到训练数据文件: {path}")
    if path.stat().st_size == 0:
        raise TrainingDataError(f"训练数据文件为空: {path}")
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            _check_header(header)
            reader.fieldnames = header
            rows = [_clean_row(r) for r in reader]
    except UnicodeDecodeError as exc:
        raise TrainingDataError(f"文件不是 UTF-8 编码: {path}", [str(exc)]) from exc
    except csv.Error as exc:
        raise TrainingDataError(f"CSV 格式错误: {path}", [str(exc)]) from exc
    validate_rows(rows)
    return rows


def _check_header(header: list[str]) -> None:
    """Require text/label and reject unknown columns."""
    if not header or all(not h for h in header):
        raise TrainingDataError("CSV 缺少表头（需要 text,label 列）")
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise TrainingDataError("CSV 缺少必需的列", [f"缺少列 {c!r}" for c in missing] + [f"现有列: {header}"])
    unknown = [c for c in header if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        allowed = ", ".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
        raise TrainingDataError(f"CSV 含有未知的列（允许: {allowed}）", [f"未知列 {c!r}" for c in unknown])


def _clean_row(raw: dict) -> dict:
    """Strip whitespace from a csv row and drop absent optional fields."""
    if None in raw:
        raise TrainingDataError("CSV 某行的字段数多于表头", [raw[None]])
    return {k: (v or "").strip() for k, v in raw.items()}


def validate_rows(rows: list[dict]) -> None:
    """Check rows for empty texts/labels, bad split values and class count."""
    if not rows:
        raise TrainingDataError("训练数据没有任何数据行")
    bad = [f"第 {i + 2} 行: 文本为空" for i, r in enumerate(rows) if not r.get("text")]
    bad += [f"第 {i + 2} 行: 类别为空" for i, r in enumerate(rows) if not r.get("label")]
    if bad:
        raise TrainingDataError("训练数据存在空文本或空类别", bad)
    splits = {r.get("split", "") for r in rows} - {""}
    odd = sorted(splits - TRAIN_SPLITS - HELDOUT_SPLITS)
    if odd:
        raise TrainingDataError("split 列取值无效（应为 train 或 heldout）", odd)
    labels = {r["label"] for r in rows}
    if len(labels) < 2:
        raise TrainingDataError("训练数据至少需要两个类别", sorted(labels))


def taxonomy_labels(path: str | os.PathLike = TAXONOMY_PATH) -> set[str]:
    """The ``category`` values of taxonomy.csv (the valid labels)."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return {row["category"].strip() for row in csv.DictReader(fh) if row.get("category")}


def unknown_labels(rows: list[dict]) -> list[str]:
    """Labels in rows that are not categories of the taxonomy (sorted)."""
    try:
        known = taxonomy_labels()
    except OSError:
        return []
    return sorted({r["label"] for r in rows} - known)


def rows_sha256(rows: list[dict]) -> str:
    """Stable content hash of (text, label, split) rows."""
    h = hashlib.sha256()
    for r in rows:
        h.update(f"{r['text']}\t{r['label']}\t{r.get('split', '')}\n".encode("utf-8"))
    return h.hexdigest()


def split_rows(rows: list[dict], test_size: float = 0.2, seed: int = 0) -> tuple[list[dict], list[dict]]:
    """Use the ``split`` column when present (blank = train), else a stratified random split."""
    held = [r for r in rows if r.get("split") in HELDOUT_SPLITS]
    train = [r for r in rows if r.get("split") not in HELDOUT_SPLITS]
    if train and held:
        return train, held
    labels = [r["label"] for r in rows]
    counts = {lab: labels.count(lab) for lab in set(labels)}
    singles = [r for r in rows if counts[r["label"]] < 2]
    rest = [r for r in rows if counts[r["label"]] >= 2]
    n_test = max(int(round(len(rest) * test_size)), len(set(r["label"] for r in rest)))
    if n_test >= len(rest):
        return rows, []
    tr, te = train_test_split(rest, test_size=n_test, random_state=seed,
                              stratify=[r["label"] for r in rest])
    return tr + singles, te


def fit(rows: list[dict], params: dict | None = None, sample_weight: list[float] | None = None):
    """Fit a fresh pipeline on rows (optionally weighted per row) and return it."""
    texts = [r["text"] for r in rows]
    labels = [r["label"] for r in rows]
    if len(set(labels)) < 2:
        raise TrainingDataError("训练集至少需要两个类别", sorted(set(labels)))
    params = _safe_params(params or {}, labels)
    fit_params = {"clf__sample_weight": np.asarray(sample_weight, dtype=float)} if sample_weight is not None else {}
    return compact(build_pipeline(**params).fit(texts, labels, **fit_params))


def _safe_params(params: dict, labels: list[str]) -> dict:
    """Pick calibration/parallelism by data size; shrink folds and min_df for tiny data."""
    params = dict(params)
    smallest = int(min(np.unique(labels, return_counts=True)[1]))
    large = len(labels) >= HOLDOUT_CALIBRATION_ROWS
    params.setdefault("calibration", "holdout" if large else "cv")
    params.setdefault("n_jobs", min(2, os.cpu_count() or 1) if large else None)
    if params.get("model", "svm") == "svm":
        if params["calibration"] == "holdout" and smallest < 10:
            params["calibration"] = "cv"
        params["calibration_cv"] = int(max(2, min(params.get("calibration_cv", 3), smallest)))
        if smallest < 2:
            params["model"] = "logreg"
    if len(labels) < 200:
        params.setdefault("min_df", 1)
    return params


def train(rows: list[dict], progress: bool = True, params: dict | None = None,
          test_size: float = 0.2, seed: int = 0, refit_all: bool = False,
          select: bool | None = None, prior=None, n_folds: int = 5) -> TrainResult:
    """Train and report; with selection (the default unless params are given), the configuration
    is chosen by stratified CV against the baseline and fitted on every training row."""
    validate_rows(rows)
    if select is None:
        select = not params
    if select and len(rows) >= MIN_ROWS:
        from classifier.text import training_cache
        with training_cache():
            return _train_selected(rows, progress, seed, refit_all, prior, n_folds)
    stages = ["split", "fit", "evaluate"] + (["refit"] if refit_all else [])
    bar = tqdm(total=len(stages), desc="训练", unit="步", disable=not progress)
    t0 = time.perf_counter()
    train_rows, held_rows = split_rows(rows, test_size, seed)
    bar.set_postfix_str(f"train={len(train_rows)} heldout={len(held_rows)}")
    bar.update()
    pipeline = fit(train_rows, params)
    fit_seconds = time.perf_counter() - t0
    bar.update()
    metrics = evaluate(pipeline, held_rows) if held_rows else {}
    metrics["fit_seconds"] = round(fit_seconds, 2)
    bar.update()
    if refit_all:
        pipeline = fit(rows, params)
        metrics["refit_all"] = True
        bar.update()
    bar.close()
    effective = {**DEFAULTS, **_safe_params(params or {}, [r["label"] for r in train_rows])}
    return TrainResult(pipeline, metrics, len(train_rows), len(held_rows), rows_sha256(rows), effective)


def _train_selected(rows, progress, seed, refit_all, prior, n_folds) -> TrainResult:
    """Select by CV on the training rows (a split column's held-out rows are only scored), then fit."""
    from classifier.selection import select as run_selection

    t0 = time.perf_counter()
    held_given = any(r.get("split") in HELDOUT_SPLITS for r in rows)
    train_rows, held_rows = split_rows(rows) if held_given else (rows, [])
    say = (lambda msg: print(f"  交叉验证 {msg}", file=sys.stderr, flush=True)) if progress else None
    chosen = run_selection(train_rows, fit, prior=prior, n_folds=n_folds, seed=seed, log=say)
    winner = chosen.winner
    params, weight = winner.params, winner.prior_weight

    def fit_one(fit_rows, one_params, one_weight):
        extra = prior.rows_for(fit_rows) if (prior is not None and one_weight > 0) else []
        weights = [1.0] * len(fit_rows) + [one_weight] * len(extra) if extra else None
        return fit(fit_rows + extra, one_params, weights)

    def final_fit(fit_rows):
        if winner.members:  # a blend: each member fitted on every row, probabilities averaged
            from classifier.ensemble import Blend
            return Blend([fit_one(fit_rows, m.params, m.prior_weight) for m in winner.members])
        return fit_one(fit_rows, params, weight)

    pipeline = final_fit(train_rows)
    metrics = evaluate(pipeline, held_rows) if held_rows else {}
    if refit_all and held_rows:
        pipeline = final_fit(rows)
        metrics["refit_all"] = True
    metrics.update(selection=chosen.to_dict(), cv_macro_f1=round(chosen.winner.mean, 4),
                   baseline_cv_macro_f1=round(chosen.baseline.mean, 4), fit_seconds=round(time.perf_counter() - t0, 2))
    effective = {**DEFAULTS, **_safe_params(dict(params), [r["label"] for r in train_rows]), "prior_weight": weight}
    if winner.members:
        effective = {"blend": [{"name": m.name, "params": m.params, "prior_weight": m.prior_weight}
                               for m in winner.members]}
    return TrainResult(pipeline, metrics, len(train_rows), len(held_rows), rows_sha256(rows), effective)


def _predict_labels_and_proba(classifier, texts: list[str]):
    """Predicted labels plus (proba, classes) if available, for pipelines or Classifier."""
    pipe = getattr(classifier, "pipeline", classifier)
    if hasattr(pipe, "predict_proba"):
        proba = pipe.predict_proba(texts)
        classes = np.asarray(pipe.classes_)
        return classes[proba.argmax(axis=1)].tolist(), proba, classes
    return list(pipe.predict(texts)), None, None


def evaluate(classifier, rows: list[dict]) -> dict:
    """Accuracy, macro-F1, top-3 accuracy, per-class P/R/F1 and confusion matrix."""
    if not rows:
        raise TrainingDataError("评估数据没有任何数据行")
    texts = [r["text"] for r in rows]
    y_true = [r["label"] for r in rows]
    y_pred, proba, classes = _predict_labels_and_proba(classifier, texts)
    labels = sorted(set(y_true) | set(y_pred))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    out = {
        "n": len(rows),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        "per_class": {lab: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
                            "support": int(s[i])} for i, lab in enumerate(labels)},
        "confusion": {"labels": labels,
                      "matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist()},
    }
    if proba is not None:
        top3 = classes[np.argsort(-proba, axis=1)[:, :3]]
        out["top3_accuracy"] = float(np.mean([t in row for t, row in zip(y_true, top3)]))
    return out
