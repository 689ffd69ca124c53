"""热线百科 text: jieba terms for the index and the query, synonyms, and highlighted snippets (pure).

Both sides go through the same steps, so a caller's word meets an article's word whatever form
either uses:
1. jieba segmentation (classifier.text: the same dictionary and normalisation as the classifier);
2. synonyms: every variant's token sequence becomes its group's canonical term (社保 -> 社会保险),
   from a data file (hotline/knowledge/data/synonyms.csv);
3. stop words are dropped (怎么, 哪里, 需要, 的, 了 ... carry no topic); single characters that do
   (车, 水, 税) stay.
The index also gets the dictionary words inside long words (jieba's search mode: 住房公积金 ->
住房, 公积金), so a short query word finds an article written with the long one.

The query becomes an OR of its terms; terms nearly every article has are dropped while enough
others remain (they find everything and rank nothing), and a query word the index has never
seen is replaced by the dictionary words inside it.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from classifier.text import init_jieba, normalize, tokenize

# Words of consultation questions that name no topic (asked in every call).
STOPWORDS = frozenset("""
的 了 吗 呢 吧 啊 呀 么 是 在 有 和 与 或 及 等 我 你 他 她 它 我们 你们 他们 这 那 这个 那个 这些 那些 哪个 哪些
怎么 怎么办 怎样 怎么样 如何 什么 为什么 为何 哪里 哪儿 哪 哪家 多少 几 是否 能否 能不能 可不可以 可以 能 会 要 想 想要
需要 应该 应当 必须 请问 请 问 咨询 一下 一些 有没有 没有 有关 关于 相关 问题 情况 事情 事项 方面 现在 目前 已经 还是 还
就 都 也 又 再 才 吧 哦 嗯 您好 你好 谢谢 麻烦 自己 本人 家里 一个 个 去 到 从 对 把 被 让 给 为 以 及其 其他 如果 但是
可是 所以 因为 然后 时候 的话 之后 以后 之前 以前 里 上 下 中 内 外 吗 呐 啦 吧 嘛 呗 该 怎 要求 告诉 知道 了解 办 弄
说 做 叫 用 拿 找 帮 过 没 不 很 太 多 少 好 大 小 些 点 次 天 年 月 日 号 时 后 前 可 已 着 地 得 之 其 但 而 且 则 所 如 若
这样 那样 这么 那么 一样 一直 还有 然后 已经 到底 究竟 一般 怎么弄 咋 咋办 啥 什么样 哪种 有人 别人
""".split())
WEIGHTS = ("A", "B", "C")           # title, question + keywords, answer
MAX_POSITION = 16383                # PostgreSQL's highest tsvector position
COMMON_SHARE = 0.25                 # a term in more than this share of articles is dropped from the query...
COMMON_MIN_DOCS = 40                # ...once the index holds this many articles...
KEEP_TERMS = 2                      # ...while at least this many other terms remain
RARE_SHARE, RARE_MIN_DOCS = 0.002, 200  # a term in more articles finds them only by title/question or in pairs
HEAD = "^"                          # prefix of a title/question/keywords term in the index (never in a word)
MAX_PAIRS = 15
_SAFE = re.compile(r"[^0-9a-z\u3400-\u9fff]")
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Lexicon:
    """Synonym groups as token sequences -> canonical term, plus the longest sequence length."""

    canonical: Mapping[tuple[str, ...], str] = field(default_factory=dict)
    variants: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # canonical -> surface forms
    longest: int = 1
    places: frozenset[str] = frozenset()  # place names: the area filter places a question, not its words


def build_lexicon(groups: Iterable[Sequence[str]], places: Iterable[str] = ()) -> Lexicon:
    """A Lexicon from synonym groups (the first word of each group is its canonical term)."""
    canonical: dict[tuple[str, ...], str] = {}
    variants: dict[str, tuple[str, ...]] = {}
    for group in groups:
        words = [normalize(w) for w in group if w and w.strip()]
        if len(words) < 2:
            continue
        head = lexeme(words[0])
        variants[head] = tuple(dict.fromkeys([*variants.get(head, ()), *words]))
        for w in words:
            seq = tuple(lexeme(t) for t in tokenize(w))
            seq = tuple(t for t in seq if t)
            if seq:
                canonical.setdefault(seq, head)
    longest = max((len(s) for s in canonical), default=1)
    return Lexicon(canonical, variants, longest, frozenset(lexeme(p) for p in places if p))


def lexeme(token: str) -> str:
    """A token as stored in the index: lower case, letters, digits and CJK only."""
    return _SAFE.sub("", token.lower())


def _synonyms(tokens: list[str], lex: Lexicon) -> list[str]:
    """Greedy longest match of synonym variants over the token sequence."""
    if not lex.canonical:
        return tokens
    out, i = [], 0
    while i < len(tokens):
        for n in range(min(lex.longest, len(tokens) - i), 0, -1):
            hit = lex.canonical.get(tuple(tokens[i:i + n]))
            if hit is not None:
                out.append(hit)
                i += n
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


def _kept(term: str) -> bool:
    return bool(term) and term not in STOPWORDS


def terms(text: str, lex: Lexicon) -> list[str]:
    """The topic terms of a text, in order (jieba, synonyms, stop words removed; repeats kept)."""
    tokens = [lexeme(t) for t in tokenize(text)]
    return [t for t in _synonyms([t for t in tokens if t], lex) if _kept(t)]


def inner_words(term: str, lex: Lexicon) -> list[str]:
    """Dictionary words of two or three characters inside a longer word (jieba's search mode)."""
    if len(term) < 3 or not _CJK.match(term):
        return []
    freq = _dictionary()
    found = []
    for n in (2, 3):
        for i in range(len(term) - n + 1):
            piece = term[i:i + n]
            if piece != term and freq.get(piece):
                found.append(lex.canonical.get((piece,), piece))
    return [w for w in dict.fromkeys(found) if w != term and _kept(w)]


def _dictionary() -> Mapping[str, int]:
    import jieba

    init_jieba()
    return jieba.dt.FREQ


def tsvector_text(fields: Sequence[str], lex: Lexicon) -> str:
    """The tsvector literal of an article: fields in WEIGHTS order, each term at its position.

    Terms of the title, question and keywords are also stored as HEAD + term: the exact (GIN) way for a
    query to find articles *about* a common word, without reading every article that mentions it."""
    positions: dict[str, list[str]] = {}
    pos = 0
    for text, weight in zip(fields, WEIGHTS):
        for term in terms(text, lex):
            pos = min(pos + 1, MAX_POSITION)
            for word in (term, *inner_words(term, lex)):
                positions.setdefault(word, []).append(f"{pos}{weight}")
                if weight != "C":
                    positions.setdefault(HEAD + word, []).append(f"{pos}{weight}")
    return " ".join(f"'{w}':{','.join(p[:256])}" for w, p in positions.items())


@dataclass(frozen=True)
class QueryPlan:
    """What a question searches for: its terms, the tsqueries that find and rank, the words to highlight.

    `match` finds the candidates, `tsquery` ranks them. They differ once terms are common: a common
    term finds an article only where it stands in the title, question or keywords (its HEAD lexeme),
    or together with another of the question's terms; it still counts in the ranking everywhere. So a
    search reads the articles that are about the question, not every article that mentions a word.
    """

    terms: tuple[str, ...]
    tsquery: str
    highlight: tuple[str, ...]
    dropped: tuple[str, ...] = ()
    match: str = ""

    @property
    def empty(self) -> bool:
        return not self.terms


def query_terms(text: str, lex: Lexicon) -> list[str]:
    """The distinct topic terms of a question, in order; place names (南通, 上海) only when nothing else
    is asked: where the caller is is the area filter's business, and they match every local article."""
    found = list(dict.fromkeys(terms(text, lex)))
    topical = [t for t in found if t not in lex.places]
    return topical or found


def rare_limit(total: int) -> int:
    """Articles a term may be in and still find articles anywhere in their text."""
    return max(RARE_MIN_DOCS, int(total * RARE_SHARE))


def plan(text: str, lex: Lexicon, df: Mapping[str, int] | None = None, total: int = 0) -> QueryPlan:
    """The search for a question, given each term's document frequency in the index (df) when known."""
    found = query_terms(text, lex)
    df = df or {}
    chosen: list[str] = []
    for t in found:
        inside = [w for w in inner_words(t, lex) if df.get(w, 0) > 0] if df and df.get(t, 0) == 0 else []
        chosen.extend(inside or [t])  # an unseen whole word: the words inside it, when the index has them
    chosen = list(dict.fromkeys(chosen))
    dropped: list[str] = []
    if total >= COMMON_MIN_DOCS:
        common = [t for t in chosen if df.get(t, 0) > COMMON_SHARE * total]
        rare = [t for t in chosen if t not in common]
        if len(rare) >= KEEP_TERMS:
            chosen, dropped = rare, common
    tsquery = " | ".join(f"'{t}'" for t in chosen)
    limit = rare_limit(total)
    rare = [t for t in chosen if df.get(t, 0) <= limit]
    frequent = [t for t in chosen if df.get(t, 0) > limit]
    parts = [f"'{t}'" for t in rare] + [f"'{HEAD}{t}'" for t in frequent]
    parts += [f"'{a}' & '{b}'" for i, a in enumerate(frequent) for b in frequent[i + 1:]][:MAX_PAIRS]
    surface = set(found) | set(chosen)
    for t in list(surface):
        surface.update(lex.variants.get(t, ()))
    highlight = tuple(sorted((w for w in surface if len(w) > 1 or not _CJK.match(w)), key=len, reverse=True))
    return QueryPlan(tuple(chosen), tsquery, highlight, tuple(dropped), " | ".join(parts))


# --- snippets ----------------------------------------------------------------------------------

def _hits(text: str, words: Sequence[str]) -> list[tuple[int, int]]:
    """Non-overlapping (start, end) spans of the words in text, longest words first, case-insensitive."""
    low = text.lower()
    taken = [False] * len(text)
    spans = []
    for w in words:
        if not w:
            continue
        start = low.find(w)
        while start >= 0:
            end = start + len(w)
            if not any(taken[start:end]):
                spans.append((start, end))
                for i in range(start, end):
                    taken[i] = True
            start = low.find(w, end)
    return sorted(spans)


def snippet(text: str, words: Sequence[str], width: int = 90) -> tuple[str, list[tuple[int, int]]]:
    """The window of `width` characters with the most hits, and the hits' spans within it."""
    text = " ".join(text.split())
    spans = _hits(text, words)
    if len(text) <= width:
        return text, spans
    best, best_count = 0, -1
    for s, _ in spans or [(0, 0)]:
        start = max(0, min(s - 10, len(text) - width))
        count = sum(1 for a, b in spans if a >= start and b <= start + width)
        if count > best_count:
            best, best_count = start, count
    end = best + width
    prefix = "…" if best > 0 else ""
    suffix = "…" if end < len(text) else ""
    shift = len(prefix) - best
    inside = [(a + shift, b + shift) for a, b in spans if a >= best and b <= end]
    return prefix + text[best:end] + suffix, inside


def marked_html(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """Text with its spans wrapped in <mark>, everything HTML-escaped."""
    out, last = [], 0
    for a, b in spans:
        out.append(html.escape(text[last:a]))
        out.append(f"<mark>{html.escape(text[a:b])}</mark>")
        last = b
    out.append(html.escape(text[last:]))
    return "".join(out)
