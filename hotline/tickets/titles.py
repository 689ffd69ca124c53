"""A ticket's title when the caller gave none: its first sentence, or as many whole clauses as fit.

Titles are shown to requesters on the survey page, so they never end mid-word
without saying so: a title shorter than its sentence ends with an ellipsis.
"""
from __future__ import annotations

import re

MAX_TITLE = 30
ELLIPSIS = "…"
GREETING = 3  # a first sentence this short (你好。) is passed over when more follows
SENTENCE_END = "。！？!?；;\n"
CLAUSE_END = "，,、：:"
_PIECES = re.compile(rf"[^{SENTENCE_END}{CLAUSE_END}]*[{SENTENCE_END}{CLAUSE_END}]*")
_TRAILING = SENTENCE_END + CLAUSE_END + " \t\r…"


def make_title(content: str, limit: int = MAX_TITLE) -> str:
    """The first sentence of content if it fits in limit characters, else its leading whole clauses + '…'."""
    sentence = _first_sentence(content)
    if len(sentence) <= limit:
        return sentence
    title = ""
    for piece in _PIECES.findall(sentence):
        if not piece or len(title + piece.rstrip(_TRAILING)) > limit - 1:
            break
        title += piece
    title = title.rstrip(_TRAILING)
    if not title:  # the first clause alone is too long: cut it, and say so
        title = sentence[:limit - 1].rstrip(_TRAILING)
    return title + ELLIPSIS


def _first_sentence(content: str) -> str:
    """The first non-empty sentence (up to 。！？; or a line break), whitespace folded, end marks dropped."""
    heads = [h for h in (" ".join(h.split()).rstrip(_TRAILING) for h in re.split(rf"[{SENTENCE_END}]", content))
             if h]
    for i, head in enumerate(heads):
        if len(head) > GREETING or i == len(heads) - 1:  # skip a leading 你好 / 您好
            return head
    return " ".join(content.split())[:MAX_TITLE]
