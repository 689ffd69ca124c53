"""Near-duplicate texts: TF-IDF cosine over the classifier's own jieba tokens.

The tokens are the classifier's (normalised, personal numbers masked, segmented by
``segment.lcut_many``, the batch form of ``text.tokenize``), so a phone number or an ID in
the text never makes two calls look alike. IDF is fitted on the compared texts themselves:
words every nearby call uses (小区, 反映) weigh little, the specific ones (路灯, 井盖) much.
"""
from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from sklearn.feature_extraction.text import TfidfVectorizer

from classifier import segment, text


def token_lists(docs: Sequence[str]) -> list[list[str]]:
    """Content tokens of each text, exactly as the classifier segments them."""
    return segment.lcut_many(text.normalize_many(docs))


def similarities(query: str, others: Sequence[str]) -> list[float]:
    """Cosine similarity (0..1) of query's TF-IDF vector with each of others'."""
    if not others:
        return []
    tokens = token_lists([query, *others])
    if not tokens[0]:
        return [0.0] * len(others)
    vec = TfidfVectorizer(analyzer=lambda toks: toks, sublinear_tf=True)  # rows are L2-normalised
    m = vec.fit_transform(tokens)
    return (m[1:] @ m[0].T).toarray().ravel().round(4).tolist()


# --- the cheap sketch intake uses (MinHash over character bigrams) ---------------------------------
# Intake cannot afford TF-IDF against hundreds of texts per request. A MinHash signature of the text's
# set of character bigrams (numbers masked by text.normalize, punctuation dropped) estimates their
# Jaccard similarity: the share of equal positions between two signatures. On the corpus, pairs with
# TF-IDF cosine >= 0.5 had bigram Jaccard 0.25-0.34 (median 0.28), other pairs 0.009 (99.9th percentile
# 0.21): docs/workflow.md. 64 positions of 16 bits each (b-bit MinHash): 128 bytes per ticket.
SKETCH_SIZE = 64
_PRIME = (1 << 61) - 1
_RNG = np.random.default_rng(16)
_A = _RNG.integers(1, _PRIME, SKETCH_SIZE, dtype=np.uint64)
_B = _RNG.integers(0, _PRIME, SKETCH_SIZE, dtype=np.uint64)
_KEEP = re.compile(r"[0-9a-z\u3400-\u9fff]+")


def bigrams(doc: str) -> np.ndarray:
    """The distinct character bigrams of the normalised text, as integers (two code points)."""
    joined = "".join(_KEEP.findall(text.normalize(doc)))
    if len(joined) < 2:
        return np.zeros(0, dtype=np.uint64)
    cps = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    return np.unique((cps[:-1] << np.uint64(21)) | cps[1:])


def sketch(doc: str) -> bytes | None:
    """The text's MinHash signature (SKETCH_SIZE little-endian uint16), None for a text without bigrams."""
    grams = bigrams(doc)
    if grams.size == 0:
        return None
    # (a * x + b) mod 2^64, then the high bits: a universal-enough hash per position, vectorised.
    hashed = grams[:, None] * _A[None, :] + _B[None, :]
    return (hashed.min(axis=0) >> np.uint64(48)).astype("<u2").tobytes()


def sketch_matrix(sketches: Sequence[bytes]) -> np.ndarray:
    """Signatures as rows of a uint16 matrix."""
    if not sketches:
        return np.zeros((0, SKETCH_SIZE), dtype=np.uint16)
    return np.frombuffer(b"".join(sketches), dtype="<u2").reshape(len(sketches), SKETCH_SIZE)


def estimated_jaccard(query: bytes, matrix: np.ndarray) -> np.ndarray:
    """Estimated bigram Jaccard of the query's signature with each row of matrix."""
    q = np.frombuffer(query, dtype="<u2")
    return np.count_nonzero(matrix == q, axis=1) / SKETCH_SIZE
