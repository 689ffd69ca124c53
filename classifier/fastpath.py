"""Low-overhead inference for fitted ``build_pipeline()`` pipelines.

scikit-learn's per-call input validation costs several milliseconds per
request through FeatureUnion + CalibratedClassifierCV.  ``FastPredictor``
extracts vocabularies, idf weights, linear coefficients and calibrators once
and recomputes exactly the same probabilities with a few numpy/scipy calls.
``compile_pipeline`` verifies the result against the pipeline and returns
None for structures it does not know, so callers can fall back safely.
"""

from __future__ import annotations

import re

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, softmax
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer

from classifier import segment, text

PROBE_TEXTS = ["楼下烧烤摊占道经营到半夜，油烟很大", "包工头拖欠工资三个月，电话13812345678",
               "小区物业费太贵，飞线充电没人管", "", "ABC 12345"]


_WHITESPACE_RUN = re.compile(r"\s\s+")  # sklearn's char analyzer collapses these to " "
_CP_BITS = 21  # every Unicode code point fits in 21 bits, so 3 chars pack into an int64


class _Block:
    """Generic TF-IDF block: sklearn analyzer + vocabulary dict (any vectorizer options)."""

    def __init__(self, vec: TfidfVectorizer, offset: int):
        """Extract the fitted state of vec; its columns start at offset."""
        if vec.norm not in ("l2", None) or not vec.use_idf or vec.binary or vec.input != "content":
            raise ValueError("unsupported vectorizer options")
        self.vec = vec
        self.offset = offset
        self.size = len(vec.vocabulary_)
        self.idf = np.asarray(vec.idf_, dtype=np.float64)
        self.sublinear = vec.sublinear_tf
        self.l2 = vec.norm == "l2"

    def occurrences(self, docs: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(doc index, global column) for every in-vocabulary feature occurrence."""
        analyze, get, off = self.vec.build_analyzer(), self.vec.vocabulary_.get, self.offset
        rows, cols = [], []
        for i, doc in enumerate(docs):
            hits = [j + off for f in analyze(doc) if (j := get(f)) is not None]
            cols.extend(hits)
            rows.extend([i] * len(hits))
        return np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)


def _lookup(keys: np.ndarray, cols: np.ndarray, query: np.ndarray, valid: np.ndarray):
    """Columns of query keys found in sorted keys (masked by valid): (hit mask, columns)."""
    if len(keys) == 0 or len(query) == 0:
        return np.zeros(len(query), dtype=bool), cols[:0]
    idx = np.searchsorted(keys, query)
    idx[idx == len(keys)] = 0
    hit = valid & (keys[idx] == query)
    return hit, cols[idx[hit]]


def _table(pairs: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Sorted (key, column) arrays from (key, column) pairs."""
    if not pairs:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    arr = np.asarray(sorted(pairs), dtype=np.int64)
    return arr[:, 0].copy(), arr[:, 1].copy()


def _ngram_occurrences(ids: np.ndarray, lengths: np.ndarray, tables: dict, base: int):
    """Vectorised n-gram lookup over concatenated documents (ids < 0 never match)."""
    doc_of = np.repeat(np.arange(len(lengths)), lengths)
    end_of = np.repeat(np.cumsum(lengths), lengths)
    pos = np.arange(len(ids))
    rows, cols = [], []
    for n, (keys, tcols) in tables.items():
        m = len(ids) - n + 1
        if m <= 0:
            continue
        key, ok = ids[:m].copy(), ids[:m] >= 0
        for s in range(1, n):
            key = key * base + ids[s:s + m]
            ok &= ids[s:s + m] >= 0
        hit, found = _lookup(keys, tcols, key, ok & (pos[:m] + n <= end_of[:m]))
        rows.append(doc_of[:m][hit])
        cols.append(found)
    if not rows:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    return np.concatenate(rows), np.concatenate(cols)


class _CharBlock(_Block):
    """Character 1-3-gram block, looked up as packed code points with numpy."""

    def __init__(self, vec: TfidfVectorizer, offset: int):
        """Pack the vocabulary into sorted int64 keys per n."""
        super().__init__(vec, offset)
        lo, hi = vec.ngram_range
        if vec.analyzer != "char" or hi > 3:
            raise ValueError("not a char 1-3-gram vectorizer")
        # sklearn applies a given preprocessor instead of lowercase/strip_accents
        self.preprocess = vec.preprocessor
        if self.preprocess is None and (vec.lowercase or vec.strip_accents):
            raise ValueError("lowercase/strip_accents without a preprocessor are not reproduced")
        by_n: dict[int, list] = {n: [] for n in range(lo, hi + 1)}
        for feat, j in vec.vocabulary_.items():
            key = 0
            for ch in feat:
                key = (key << _CP_BITS) | ord(ch)
            by_n[len(feat)].append((key, j + offset))
        self.tables = {n: _table(p) for n, p in by_n.items()}

    def occurrences(self, docs: list[str]):
        """(doc index, column) of every char n-gram occurrence in the vocabulary."""
        if self.preprocess is not None:
            docs = [self.preprocess(d) for d in docs]
        docs = [_WHITESPACE_RUN.sub(" ", d) for d in docs]
        lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
        ids = np.frombuffer("".join(docs).encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)
        return _ngram_occurrences(ids, lengths, self.tables, 1 << _CP_BITS)


class _WordBlock(_Block):
    """Word n-gram block: tokenizer, then vectorised n-gram lookup on token ids.

    Batches of at least BATCH_MIN docs tokenised by classifier.text's jieba
    tokenizers are segmented by classifier.segment (same tokens, numpy);
    smaller ones keep the per-doc Python tokenizer for low latency.
    """

    BATCH_MIN = 16

    def __init__(self, vec: TfidfVectorizer, offset: int):
        """Map vocabulary tokens to ids and n-grams to packed id keys."""
        super().__init__(vec, offset)
        lo, hi = vec.ngram_range
        if (vec.analyzer != "word" or vec.tokenizer is None or vec.lowercase or vec.preprocessor
                or vec.strip_accents or vec.stop_words is not None or hi > 3):
            raise ValueError("not a plain tokenizer-based word vectorizer")
        self.tokenizer = vec.tokenizer
        grams = {feat: feat.split(" ") for feat in vec.vocabulary_}
        if any(len(toks) not in range(lo, hi + 1) for toks in grams.values()):
            raise ValueError("ambiguous word n-gram vocabulary")
        self.token_ids = {t: i for i, t in enumerate(sorted({t for ts in grams.values() for t in ts}))}
        self.base = max(len(self.token_ids), 1)
        by_n: dict[int, list] = {n: [] for n in range(lo, hi + 1)}
        for feat, toks in grams.items():
            key = 0
            for t in toks:
                key = key * self.base + self.token_ids[t]
            by_n[len(toks)].append((key, vec.vocabulary_[feat] + offset))
        self.tables = {n: _table(p) for n, p in by_n.items()}
        self.vocab = self._batch_vocabulary()

    def _batch_vocabulary(self):
        """segment.Vocabulary of token_ids when the tokenizer is classifier.text's jieba one, else None.

        Built at compile time, so the segmentation tables (built once per
        process) are ready before the service forks its workers.
        """
        if self.tokenizer is not text.tokenize_normalized and self.tokenizer is not text.tokenize:
            return None
        return segment.Vocabulary(self.token_ids)

    def _token_ids(self, docs: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(token id or -1 of every token, tokens per doc), batch-segmented for large batches."""
        if self.vocab is not None and len(docs) >= self.BATCH_MIN:
            if self.tokenizer is text.tokenize:
                docs = [text.normalize(d) for d in docs]
            return self.vocab.lookup(docs)
        get, tok = self.token_ids.get, self.tokenizer
        ids, lengths = [], []
        for doc in docs:
            toks = tok(doc)
            ids.extend([get(t, -1) for t in toks])
            lengths.append(len(toks))
        return np.asarray(ids, dtype=np.int64), np.asarray(lengths, dtype=np.int64)

    def occurrences(self, docs: list[str]):
        """(doc index, column) of every word n-gram occurrence in the vocabulary."""
        ids, lengths = self._token_ids(docs)
        return _ngram_occurrences(ids, lengths, self.tables, self.base)


def _make_block(vec: TfidfVectorizer, offset: int) -> _Block:
    """Fastest block implementation that supports vec's options."""
    for cls in (_CharBlock, _WordBlock):
        try:
            return cls(vec, offset)
        except ValueError:
            continue
    return _Block(vec, offset)


class _Linear:
    """Stacked decision functions of one or more linear models + calibration."""

    def __init__(self, clf, n_features: int):
        """Extract coefficients/calibrators from LogisticRegression, CalibratedClassifierCV,
        ComplementNB, or a SoftVote of those (weighted mean of their probabilities)."""
        self.classes = np.asarray(clf.classes_)
        parts = _parts(clf, len(self.classes), 1.0)
        coefs, intercepts, self.parts = [], [], []
        col = 0
        for est, kind, cc, weight in parts:
            coef = np.asarray(est.feature_log_prob_ if kind == "nb" else est.coef_, dtype=np.float64)
            if coef.shape[1] != n_features or not np.array_equal(np.asarray(est.classes_), self.classes):
                raise ValueError("coefficient shape or classes mismatch")
            coefs.append(coef)
            bias = np.zeros(coef.shape[0]) if kind == "nb" else np.asarray(est.intercept_, dtype=np.float64)
            intercepts.append(np.broadcast_to(bias, coef.shape[:1]))
            kind = "softmax" if kind == "nb" else kind
            self.parts.append((slice(col, col + coef.shape[0]), kind,
                               _sigmoids(cc) if kind == "sigmoid" else cc, weight))
            col += coef.shape[0]
        self.total_weight = sum(p[3] for p in self.parts)
        self.W = np.ascontiguousarray(np.vstack(coefs).T.astype(np.float32))
        self.b = np.concatenate(intercepts)

    def proba_from_features(self, cols: np.ndarray, vals: np.ndarray, indptr: np.ndarray) -> np.ndarray:
        """Class probabilities from CSR parts (each doc's columns and values, docs in order), without
        building a sparse matrix: scipy's construction checks cost more than this product for a few docs."""
        n_docs = len(indptr) - 1
        D = np.zeros((n_docs, self.W.shape[1]))
        filled = indptr[:-1] < indptr[1:]
        if filled.any():
            D[filled] = np.add.reduceat(self.W[cols] * vals[:, None], indptr[:-1][filled], axis=0)
        return self.proba_from_decision(D)

    def proba_from_decision(self, D: np.ndarray) -> np.ndarray:
        """Class probabilities from the stacked decision values (before intercepts)."""
        D = D + self.b
        out = np.zeros((D.shape[0], len(self.classes)))
        for sl, kind, cc, weight in self.parts:
            out += weight * self._part_proba(D[:, sl], kind, cc)
        out /= self.total_weight
        out[(1.0 < out) & (out <= 1.0 + 1e-5)] = 1.0
        return out

    def _part_proba(self, d: np.ndarray, kind: str, cc) -> np.ndarray:
        """Probabilities from one model's decision values."""
        n = len(self.classes)
        if kind == "softmax":
            return softmax(d, axis=1)
        if kind == "logistic":
            p = expit(d[:, 0])
            return np.column_stack([1.0 - p, p])
        if kind == "temperature":
            logits = np.column_stack([-d[:, 0], d[:, 0]]) if d.shape[1] == 1 else d
            return softmax(cc.calibrators[0].beta_ * logits, axis=1)
        a, b = cc  # sigmoid calibration: one (a, b) per decision column
        p = expit(-(a * d[:, :len(a)] + b))
        if n == 2:
            return np.column_stack([1.0 - p[:, 0], p[:, 0]])
        den = p.sum(axis=1, keepdims=True)
        return np.divide(p, den, out=np.full_like(p, 1.0 / n), where=den != 0)


def _parts(clf, n_classes: int, weight: float) -> list[tuple]:
    """(estimator, kind, calibrated classifier or None, weight) for every linear part of clf."""
    from classifier.ensemble import SoftVote

    if isinstance(clf, SoftVote):
        total = sum(w for _, _, w in clf.fitted_)
        return [p for _, est, w in clf.fitted_ for p in _parts(est, n_classes, weight * w / total)]
    if isinstance(clf, LogisticRegression):
        return [(clf, "softmax" if n_classes > 2 else "logistic", None, weight)]
    if isinstance(clf, ComplementNB) and n_classes > 1:
        return [(clf, "nb", None, weight)]
    if isinstance(clf, CalibratedClassifierCV) and clf.method in ("sigmoid", "temperature"):
        n = len(clf.calibrated_classifiers_)
        return [(cc.estimator, clf.method, cc, weight / n) for cc in clf.calibrated_classifiers_]
    raise ValueError(f"unsupported classifier {type(clf).__name__}")


def _sigmoids(cc) -> tuple[np.ndarray, np.ndarray]:
    """The sigmoid calibrators' slopes and intercepts as arrays (one per decision column)."""
    return (np.array([cal.a_ for cal in cc.calibrators], dtype=np.float64),
            np.array([cal.b_ for cal in cc.calibrators], dtype=np.float64))


class FastPredictor:
    """normalize -> FeatureUnion(TF-IDF...) -> linear model, without sklearn overhead."""

    def __init__(self, pipeline: Pipeline):
        """Compile a fitted pipeline (raises ValueError when unsupported)."""
        steps = list(pipeline.named_steps.values())
        if len(steps) == 2:  # no normalising step: the vectorizers see the raw text (the 110 split model)
            steps = [FunctionTransformer(list), *steps]
        if len(steps) != 3 or not isinstance(steps[0], FunctionTransformer) \
                or not isinstance(steps[1], FeatureUnion) or steps[1].transformer_weights:
            raise ValueError("unsupported pipeline layout")
        self.normalize_many = steps[0].func
        self.blocks, offset = [], 0
        for _, vec in steps[1].transformer_list:
            if not isinstance(vec, TfidfVectorizer):
                raise ValueError("unsupported feature transformer")
            self.blocks.append(_make_block(vec, offset))
            offset += self.blocks[-1].size
        self.n_features = offset
        self.starts = np.array([b.offset for b in self.blocks])
        self.idf = np.concatenate([b.idf for b in self.blocks])
        self.sublinear = np.array([b.sublinear for b in self.blocks])
        self.l2 = np.array([b.l2 for b in self.blocks])
        self.linear = _Linear(steps[2], offset)
        self.classes_ = self.linear.classes

    def transform(self, texts) -> sp.csr_matrix:
        """TF-IDF feature matrix (CSR, same values as the sklearn pipeline) for raw texts."""
        cols, vals, indptr = self._features(texts)
        return sp.csr_matrix((vals.astype(np.float32), cols, indptr), shape=(len(indptr) - 1, self.n_features))

    def _features(self, texts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The CSR parts (columns, values, row pointers) of the TF-IDF matrix for raw texts."""
        docs = self.normalize_many(texts)
        n_docs, nf = len(docs), self.n_features
        found = [b.occurrences(docs) for b in self.blocks]
        rows = np.concatenate([r for r, _ in found])
        cols = np.concatenate([c for _, c in found])
        keys, tf = np.unique(rows * nf + cols, return_counts=True)
        rows, cols = keys // nf, keys % nf
        blk = np.searchsorted(self.starts, cols, side="right") - 1
        vals = tf.astype(np.float64)
        vals = np.where(self.sublinear[blk], np.log(vals) + 1.0, vals) * self.idf[cols]
        seg = rows * len(self.blocks) + blk
        norms = np.sqrt(np.bincount(seg, weights=vals * vals, minlength=n_docs * len(self.blocks)))
        scale = np.where(self.l2[blk], norms[seg], 1.0)
        vals = np.divide(vals, scale, out=np.zeros_like(vals), where=scale > 0)
        indptr = np.searchsorted(rows, np.arange(n_docs + 1))
        return cols, vals.astype(np.float32), indptr

    def predict_proba(self, texts) -> np.ndarray:
        """Same probabilities as pipeline.predict_proba(texts)."""
        return self.linear.proba_from_features(*self._features(texts))


def compile_pipeline(pipeline, probe=PROBE_TEXTS, atol: float = 1e-4) -> FastPredictor | None:
    """FastPredictor for pipeline if supported and numerically equal on probe texts, else None."""
    try:
        fast = FastPredictor(pipeline)
        ok = np.allclose(fast.predict_proba(probe), pipeline.predict_proba(probe), atol=atol)
    except (ValueError, AttributeError, TypeError):
        return None
    return fast if ok else None
