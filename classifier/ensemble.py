"""Soft voting over linear models fitted on the same TF-IDF features.

Each member sees the same matrix; the vote is the weighted mean of the members' calibrated
probabilities. Members are linear (calibrated LinearSVC, LogisticRegression, ComplementNB), so
``classifier.fastpath`` computes the vote from stacked coefficients with one product.
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone


class SoftVote(ClassifierMixin, BaseEstimator):
    """Weighted mean of members' predict_proba; members: list of (name, estimator, weight)."""

    def __init__(self, members=()):
        self.members = members

    def fit(self, X, y, sample_weight=None):
        """Fit a clone of every member on (X, y)."""
        self.fitted_ = []
        for name, est, weight in self.members:
            est = clone(est)
            if sample_weight is not None:
                est.fit(X, y, sample_weight=sample_weight)
            else:
                est.fit(X, y)
            self.fitted_.append((name, est, float(weight)))
        self.classes_ = self.fitted_[0][1].classes_
        return self

    def predict_proba(self, X):
        """Weighted mean of the members' probabilities."""
        total = sum(w for _, _, w in self.fitted_)
        return sum(w * est.predict_proba(X) for _, est, w in self.fitted_) / total

    def predict(self, X):
        """Class with the highest voted probability."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class Blend:
    """Mean of several fitted pipelines' probabilities (each with its own features): the selection's blend.

    Not compiled by classifier.fastpath (different feature sets); the pipelines' own predict_proba runs.
    """

    def __init__(self, pipelines):
        self.pipelines = list(pipelines)
        self.classes_ = np.asarray(self.pipelines[0].classes_)
        for pipe in self.pipelines[1:]:
            if not np.array_equal(np.asarray(pipe.classes_), self.classes_):
                raise ValueError("blended pipelines must share their classes")

    def predict_proba(self, texts):
        """Mean of the pipelines' probabilities."""
        return sum(p.predict_proba(texts) for p in self.pipelines) / len(self.pipelines)

    def predict(self, texts):
        """Class with the highest mean probability."""
        return self.classes_[np.argmax(self.predict_proba(texts), axis=1)]
