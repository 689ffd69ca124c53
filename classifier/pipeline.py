"""Pure constructors for the department classifier and its baseline."""

from __future__ import annotations

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import ComplementNB
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from classifier.ensemble import SoftVote
from classifier.prep import clean_many, prepare_many
from classifier.text import normalize_many, tokenize, tokenize_normalized

DEFAULTS = {
    "word_ngrams": (1, 2),
    "char_ngrams": (1, 3),
    "min_df": 2,
    "max_df": 0.5,
    "word_max_features": 20_000,
    "char_max_features": 20_000,
    "C": 0.2,
    "model": "svm",
    "calibration": "cv",
    "calibration_cv": 3,
    "n_jobs": None,
    "prep": "normalize",
}
PREPS = {"normalize": normalize_many, "message": prepare_many, "clean": clean_many}
# Above this many training rows, training.fit() calibrates on a 10 % hold-out
# instead of 3-fold CV (one SVM fit instead of four).
HOLDOUT_CALIBRATION_ROWS = 20_000


def build_features(
    word_ngrams=DEFAULTS["word_ngrams"],
    char_ngrams=DEFAULTS["char_ngrams"],
    min_df=DEFAULTS["min_df"],
    max_df=DEFAULTS["max_df"],
    word_max_features=DEFAULTS["word_max_features"],
    char_max_features=DEFAULTS["char_max_features"],
    n_jobs=DEFAULTS["n_jobs"],
) -> FeatureUnion:
    """Union of TF-IDF over jieba word n-grams and over character n-grams."""
    parts = [("word", TfidfVectorizer(
        tokenizer=tokenize_normalized, token_pattern=None, lowercase=False,
        ngram_range=tuple(word_ngrams), min_df=min_df, max_df=max_df,
        max_features=word_max_features, sublinear_tf=True, dtype=_float32()))]
    if char_ngrams:
        parts.append(("char", TfidfVectorizer(
            analyzer="char", lowercase=False, ngram_range=tuple(char_ngrams),
            min_df=min_df, max_df=max_df, max_features=char_max_features,
            sublinear_tf=True, dtype=_float32())))
    return FeatureUnion(parts, n_jobs=n_jobs)


def build_estimator(model=DEFAULTS["model"], C=DEFAULTS["C"], calibration=DEFAULTS["calibration"],
                    calibration_cv=DEFAULTS["calibration_cv"]):
    """Linear classifier with calibrated probabilities.

    model='svm': LinearSVC + sigmoid calibration, either on out-of-fold decisions
    (calibration='cv', one final SVM) or on a 10 % stratified hold-out
    (calibration='holdout', one SVM fitted on the other 90 %).
    model='logreg': multinomial LogisticRegression (natively calibrated).
    model='ensemble': soft vote of the calibrated SVM, the LogisticRegression and ComplementNB.
    """
    if model == "logreg":
        return LogisticRegression(C=C * 20, max_iter=2000, class_weight="balanced")
    if model == "ensemble":
        return SoftVote([("svm", build_estimator("svm", C, calibration, calibration_cv), 1.0),
                         ("logreg", build_estimator("logreg", C), 1.0),
                         ("cnb", ComplementNB(alpha=0.3), 0.5)])
    if model != "svm":
        raise ValueError(f"unknown model {model!r}")
    svm = LinearSVC(C=C, class_weight="balanced", dual=True)
    if calibration == "holdout":
        split = StratifiedShuffleSplit(n_splits=1, test_size=0.1, random_state=0)
        return CalibratedClassifierCV(svm, cv=split, method="sigmoid", ensemble=True)
    if calibration == "cv":
        return CalibratedClassifierCV(svm, cv=calibration_cv, method="sigmoid", ensemble=False)
    raise ValueError(f"unknown calibration {calibration!r}")


def build_pipeline(**params) -> Pipeline:
    """Full pipeline: normalise -> word+char TF-IDF -> calibrated linear model."""
    feat_keys = {"word_ngrams", "char_ngrams", "min_df", "max_df", "word_max_features",
                 "char_max_features", "n_jobs"}
    est_keys = {"model", "C", "calibration", "calibration_cv"}
    unknown = set(params) - feat_keys - est_keys - {"prep"}
    if unknown:
        raise TypeError(f"unknown pipeline parameters: {sorted(unknown)}")
    feats = build_features(**{k: v for k, v in params.items() if k in feat_keys})
    est = build_estimator(**{k: v for k, v in params.items() if k in est_keys})
    return Pipeline([
        ("normalize", FunctionTransformer(PREPS[params.get("prep", DEFAULTS["prep"])])),
        ("features", feats),
        ("clf", est),
    ])


def compact(pipeline: Pipeline) -> Pipeline:
    """Float32 coefficients (half the artifact) and sequential features for inference."""
    for _, step in pipeline.steps:
        if isinstance(step, FeatureUnion):
            step.n_jobs = None
    clf = pipeline.steps[-1][1]
    members = [m for _, m, _ in getattr(clf, "fitted_", [])] or [clf]
    inner = [cc.estimator for m in members for cc in getattr(m, "calibrated_classifiers_", [])]
    for est in inner + members:
        if hasattr(est, "coef_") and not hasattr(est.coef_, "tocsr"):
            est.coef_ = np.asarray(est.coef_, dtype=np.float32)
    return pipeline


def build_baseline() -> Pipeline:
    """Baseline: plain TF-IDF over jieba tokens + LinearSVC (no calibration)."""
    return Pipeline([
        ("tfidf", TfidfVectorizer(tokenizer=tokenize, token_pattern=None, lowercase=False)),
        ("clf", LinearSVC()),
    ])


def _float32():
    """Feature dtype (float32 halves memory and artifact size)."""
    return np.float32
