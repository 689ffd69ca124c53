"""Runtime classifier: load once, predict in batch, hot-swap versions.

Service usage (aiohttp)::

    holder = ModelHolder.from_default()          # at startup, once
    preds = await holder.predict_async(texts)     # runs in the default executor
    holder.reload("/srv/models/20250101T...")    # hot swap; old model keeps serving on failure

Prediction is CPU-bound pure Python + numpy; in a thread executor it keeps the
event loop responsive but does not run in parallel (GIL).
"""

from __future__ import annotations

import asyncio
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from classifier import artifact
from classifier.artifact import ArtifactError, Metadata
from classifier.fastpath import compile_pipeline
from classifier.text import init_jieba

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "model"
TOP_K = 3


@dataclass(frozen=True)
class Prediction:
    """One classification: best category, its probability and the top-3 alternatives."""

    category: str
    confidence: float
    alternatives: list[tuple[str, float]] = field(default_factory=list)
    model_version: str = ""

    def to_dict(self) -> dict:
        """JSON-ready dict (alternatives as [category, score] pairs)."""
        return {"category": self.category, "confidence": self.confidence,
                "alternatives": [[c, s] for c, s in self.alternatives],
                "model_version": self.model_version}


class Classifier:
    """A loaded pipeline plus its metadata."""

    def __init__(self, pipeline, metadata: Metadata):
        """Wrap an already fitted pipeline."""
        self.pipeline = pipeline
        self.metadata = metadata
        self.classes = np.asarray([str(c) for c in pipeline.classes_])
        self._fast = compile_pipeline(pipeline)
        self._fold = None
        fold = (metadata.params or {}).get("catalogue_map")
        if fold:  # trained on the deployment's own taxonomy: fold its labels onto the catalogue
            cats = sorted(set(fold.values()))
            self._fold = np.zeros((len(self.classes), len(cats)))
            for i, label in enumerate(self.classes):
                self._fold[i, cats.index(fold[label])] = 1.0
            self.classes = np.asarray(cats)

    @classmethod
    def load(cls, model_dir: str | os.PathLike) -> "Classifier":
        """Load and validate a model directory (raises ArtifactError)."""
        init_jieba()
        pipeline, meta = artifact.load(model_dir)
        clf = cls(pipeline, meta)
        clf.predict(["预热"])  # warm up caches so the first request is fast
        return clf

    @property
    def uses_fast_path(self) -> bool:
        """True when predictions bypass scikit-learn's per-call overhead."""
        return self._fast is not None

    @property
    def version(self) -> str:
        """Model version string from metadata."""
        return self.metadata.version

    @property
    def labels(self) -> list[str]:
        """All categories the model can output."""
        return list(self.classes)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities, shape (n_texts, n_classes), columns in ``labels`` order."""
        texts = [t if isinstance(t, str) else "" for t in texts]
        model = self._fast if self._fast is not None else self.pipeline
        proba = model.predict_proba(texts)
        return proba if self._fold is None else proba @ self._fold

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """Classify a batch of texts."""
        if isinstance(texts, str):
            raise TypeError("predict() expects a list of texts, not a single string")
        if len(texts) == 0:
            return []
        proba = self.predict_proba(texts)
        order = np.argsort(-proba, axis=1)[:, :TOP_K]
        out = []
        for row, idx in zip(proba, order):
            alts = [(str(self.classes[j]), round(float(row[j]), 4)) for j in idx]
            out.append(Prediction(alts[0][0], float(row[idx[0]]), alts, self.version))
        return out

    def predict_one(self, text: str) -> Prediction:
        """Classify a single text."""
        return self.predict([text])[0]


def load_default() -> Classifier:
    """Load the shipped model in classifier/model/."""
    return Classifier.load(DEFAULT_MODEL_DIR)


async def predict_async(executor, texts: Sequence[str],
                        classifier: "Classifier | ModelHolder | None" = None) -> list[Prediction]:
    """Run predict(texts) in executor (None = loop default); classifier defaults to default_holder()."""
    target = classifier if classifier is not None else default_holder()
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(executor, target.predict, list(texts))


_default_holder: "ModelHolder | None" = None
_default_lock = threading.Lock()


def default_holder() -> "ModelHolder":
    """Process-wide ModelHolder serving classifier/model/ (loaded on first use)."""
    global _default_holder
    if _default_holder is None:
        with _default_lock:
            if _default_holder is None:
                _default_holder = ModelHolder.from_default()
    return _default_holder


class ModelHolder:
    """Thread-safe holder of the current Classifier, swappable at runtime."""

    def __init__(self, classifier: Classifier | None = None):
        """Start with an optional already loaded classifier."""
        self._current = classifier
        self._lock = threading.Lock()

    @classmethod
    def from_dir(cls, model_dir: str | os.PathLike) -> "ModelHolder":
        """Holder initialised from a model directory."""
        return cls(Classifier.load(model_dir))

    @classmethod
    def from_default(cls) -> "ModelHolder":
        """Holder initialised from classifier/model/."""
        return cls(load_default())

    @property
    def current(self) -> Classifier:
        """The classifier serving right now (raises if none loaded)."""
        clf = self._current
        if clf is None:
            raise ArtifactError("尚未加载分类模型")
        return clf

    @property
    def version(self) -> str | None:
        """Version of the serving model, or None."""
        return self._current.version if self._current is not None else None

    def reload(self, model_dir: str | os.PathLike) -> str:
        """Load model_dir fully, then swap it in atomically; keeps the old model on error."""
        with self._lock:  # serialise concurrent reloads; readers never take this lock
            new = Classifier.load(model_dir)
            self._current = new
        return new.version

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """Classify with whichever model is current when the call starts."""
        return self.current.predict(texts)

    async def predict_async(self, texts: Sequence[str], executor=None) -> list[Prediction]:
        """Async wrapper: runs predict in executor (default thread pool)."""
        return await predict_async(executor, texts, self)
