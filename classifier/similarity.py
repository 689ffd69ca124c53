"""Near-duplicate texts: TF-IDF cosine over the classifier's own jieba tokens.

The tokens are the classifier's (normalised, personal numbers masked, segmented by
``segment.lcut_many``, the batch form of ``text.tokenize``), so a phone number or an ID in
the text never makes two calls look alike. IDF is fitted on the compared texts themselves:
words every nearby call uses (小区, 反映) weigh little, the specific ones (路灯, 井盖) much.
"""
from __future__ import annotations

from typing import Sequence

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
