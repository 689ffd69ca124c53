"""Vectorised batch segmentation, token for token identical to ``text.tokenize_normalized``.

``tokenize_normalized`` walks jieba's DAG in pure Python, one dictionary probe
per candidate word.  For large batches this module does the same work with
numpy over the concatenation of all documents (joined by a newline, which is
neither a block nor a content character, so blocks never span documents):

1. every character of jieba's block class gets a dense 15-bit id;
2. dictionary entries (words and mere prefixes) of length 1..4 are looked up
   as exactly packed integer keys, longer ones by a 64-bit rolling hash whose
   hits are confirmed against the real dictionary; like jieba's prefix scan,
   length L+1 is probed only where the length-L substring can be extended;
3. the max-probability route is computed right to left for all blocks at once,
   grouped by the distance to the block end, with jieba's scoring and
   tie-breaking (same float64 operations, ties go to the longer word);
4. the route is walked from the block starts, single latin/digit tokens are
   merged and tokens without a content character are dropped.

Tables are built once per process from ``text._logp`` (see ``prepare``).
"""

from __future__ import annotations

import threading
from typing import Iterator

import numpy as np

from classifier import text
from classifier.segment_index import HASH_MUL, DirectIndex, HashIndex, LengthTable

ID_BITS = 15  # 21,019 block characters fit in 15 bits, so 4 ids pack exactly into 60 bits
EXACT_LEN = 4  # keys of entries up to this length are exact; longer ones are hashed
CHUNK_CHARS = 1 << 16  # documents are segmented in chunks of about this many characters
CJK_LO, CJK_HI = 0x4E00, 0x9FD5  # jieba's Han range
CONTENT_LO, CONTENT_HI = 0x3400, 0x9FFF  # CJK part of text._CONTENT_RE
BLOCK_ASCII = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+#&._%-"
ENG_ASCII = BLOCK_ASCII[:62]
LONE_TAG = 1 << 62  # key tag of lone characters (content chars outside jieba's blocks)
SEPARATOR = "\n"  # joins documents; not a block character, never a token

_lock = threading.Lock()
_tables: "_Tables | None" = None


class _Tables:
    """Per-process lookup tables derived from jieba's (user-extended) dictionary."""

    def __init__(self):
        """Build the character map and one sorted key table per word length."""
        self.fallback = text._fallback
        self.logp = text._logp
        self.char_id = self._char_map()
        n_ids = int(self.char_id.max()) + 1
        self.is_eng = np.zeros(n_ids, dtype=bool)
        self.is_eng[self.char_id[[ord(c) for c in ENG_ASCII]]] = True
        self.is_content = self.is_eng.copy()
        self.is_content[self.char_id[CJK_LO:CJK_HI + 1]] = True
        self.by_len = self._length_tables(self._block_entries())
        self.max_len = len(self.by_len)

    @staticmethod
    def _char_map() -> np.ndarray:
        """uint16 code point -> dense id (1..21019, 0 = not a block char) for code points <= CJK_HI + 1."""
        char_id = np.zeros(CJK_HI + 2, dtype=np.uint16)
        cps = [ord(c) for c in BLOCK_ASCII] + list(range(CJK_LO, CJK_HI + 1))
        char_id[cps] = np.arange(1, len(cps) + 1)
        return char_id

    def _block_entries(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Dictionary entries made of block chars only, by length: (id matrix, log-probs, NaN = prefix)."""
        words = list(self.logp)
        sizes = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        ids = self.ids_of("".join(words))
        logp = np.array(list(self.logp.values()), dtype=np.float64)  # None -> NaN
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        blockish = np.minimum.reduceat(ids, starts) > 0 if len(ids) else np.zeros(0, dtype=bool)
        out = {}
        for length in np.flatnonzero(np.bincount(sizes[blockish])[1:]).tolist():
            length += 1
            sel = np.flatnonzero(blockish & (sizes == length))
            out[length] = (ids[starts[sel][:, None] + np.arange(length)], logp[sel])
        return out

    def _length_tables(self, entries: dict[int, tuple[np.ndarray, np.ndarray]]) -> list:
        """Lookup table per length 1..max (index L-1): direct by id for L=1, hashed keys above."""
        max_len = max(entries, default=0)
        keys, prefix_keys, lps = [], [], []
        for length in range(1, max_len + 1):
            ids, lp = entries.get(length, (np.zeros((0, length), dtype=np.int64), np.zeros(0)))
            ks = rolling_keys(ids)
            keys.append(ks[-1])
            prefix_keys.append(ks[-2] if length > 1 else np.empty(0, dtype=np.uint64))
            lps.append(lp)
        tables = []
        for i in range(max_len):
            if i >= EXACT_LEN:  # hashed keys may collide: keep one (hits are confirmed anyway)
                keys[i], first = np.unique(keys[i], return_index=True)
                lps[i] = lps[i][first]
            index = DirectIndex(keys[i], len(self.is_eng)) if i == 0 else HashIndex(keys[i])
            tables.append(LengthTable(index, lps[i]))
        for i in range(1, max_len):
            tables[i - 1].mark_prefixes(prefix_keys[i])
        return tables

    def ids_of(self, s: str) -> np.ndarray:
        """Dense ids (int64, 0 = not a block char) of every code point of s."""
        cps = code_points(s)
        return self.char_id[np.minimum(cps, CJK_HI + 1)].astype(np.int64)


def code_points(s: str) -> np.ndarray:
    """Code points of s as a uint32 array (lone surrogates kept)."""
    return np.frombuffer(s.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def extend_key(key: np.ndarray, ids: np.ndarray, length: int) -> np.ndarray:
    """Key of a length-`length` string from the key of its first length-1 chars and its last id."""
    if length <= EXACT_LEN:
        return (key << np.uint64(ID_BITS)) | ids.astype(np.uint64)
    return np.maximum(key * HASH_MUL + ids.astype(np.uint64), np.uint64(1))  # 0 marks empty slots


def rolling_keys(ids: np.ndarray) -> list[np.ndarray]:
    """Keys of every prefix (length 1..n) of each row of an (m, n) id matrix."""
    key = ids[:, 0].astype(np.uint64) if ids.shape[1] else np.empty(0, dtype=np.uint64)
    out = [key]
    for j in range(1, ids.shape[1]):
        key = extend_key(key, ids[:, j], j + 1)
        out.append(key)
    return out


def prepare() -> _Tables:
    """Build (once per process, thread-safe) and return the segmentation tables."""
    global _tables
    if _tables is None:
        with _lock:
            if _tables is None:
                text.init_jieba()
                _tables = _Tables()
    return _tables


class _Chunk:
    """Segmentation state of one chunk of documents joined by SEPARATOR."""

    def __init__(self, tab: _Tables, docs: list[str]):
        """Classify every character of the joined chunk."""
        self.tab = tab
        self.big = SEPARATOR.join(docs)
        self.cps = cps = code_points(self.big)
        self.n = n = len(cps)
        self.ids = np.zeros(n + max(tab.max_len, EXACT_LEN) + 1, dtype=np.int64)  # zero padded
        self.ids[:n] = tab.char_id[np.minimum(cps, CJK_HI + 1)]
        self.in_block = self.ids[:n] > 0
        self.lone = ~self.in_block & (cps >= CONTENT_LO) & (cps <= CONTENT_HI)
        pos = np.arange(n + 1)
        stop = np.where(np.append(self.in_block, False), n + 1, pos)
        self.block_end = np.minimum.accumulate(stop[::-1])[::-1][:n]  # first non-block index >= p
        self.rem = self.block_end - pos[:n]  # chars left in the block (0 outside blocks)
        lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
        self.doc_start = np.concatenate(([0], np.cumsum(lengths + 1)[:-1]))

    def candidates(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per word length L (index L-1): positions where a dictionary word of length L starts, log-probs.

        Like jieba's get_DAG(), length L+1 is only probed where the length-L
        substring is a dictionary entry (word or prefix) that longer entries extend.
        """
        tab, ids = self.tab, self.ids
        pos = np.flatnonzero(self.in_block)
        key = ids[pos].astype(np.uint64)
        out = []
        for length in range(1, tab.max_len + 1):
            if length > 1:
                key = extend_key(key, ids[pos + length - 1], length)
            t = tab.by_len[length - 1]
            hit, idx = t.index.find(key)
            pos, key = pos[hit], key[hit]
            lp, ext = t.logp[idx], t.extends[idx]
            if length > EXACT_LEN:
                pos, key, lp, ext = self._confirm(pos, key, lp, ext, length)
            word = ~np.isnan(lp)
            out.append((pos[word], lp[word]))
            more = np.flatnonzero(ext & (self.rem[pos] > length))
            pos, key = pos[more], key[more]
            if len(pos) == 0:
                break
        return out

    def _confirm(self, pos, key, lp, ext, length):
        """Keep hash hits whose substring really is a dictionary entry; take its log-prob from it."""
        get, missing, big = self.tab.logp.get, text._MISSING, self.big
        real = [get(big[p:p + length], missing) for p in pos.tolist()]
        ok = np.fromiter((v is not missing for v in real), dtype=bool, count=len(real))
        vals = np.fromiter((np.nan if v is None or v is missing else v for v in real),
                           dtype=np.float64, count=len(real))
        return pos[ok], key[ok], vals[ok], ext[ok]

    def route(self) -> np.ndarray:
        """Length of the best word starting at each block position (jieba's get_DAG() + calc())."""
        n, groups = self.n, self.candidates()
        filled = np.zeros(n + 1, dtype=np.int64)  # candidates placed per position so far
        cols = [np.empty(0, dtype=np.int64)] * len(groups)
        for i in range(len(groups) - 1, -1, -1):  # longest words first: argmax keeps the first maximum
            cols[i] = filled[groups[i][0]]
            filled[groups[i][0]] += 1
        width = max(1, int(filled.max(initial=0)))
        value = np.full((n + 1) * width, -np.inf)  # (position, column) flattened
        target = np.full((n + 1) * width, n, dtype=np.int64)  # position after the word
        orphan = np.flatnonzero(self.in_block & (filled[:n] == 0))  # no word starts here
        value[orphan * width] = self.tab.fallback  # the single char, scored as unknown
        target[orphan * width] = orphan + 1
        for i, (pos, lp) in enumerate(groups):
            at = pos * width + cols[i]
            value[at], target[at] = lp, pos + i + 1
        rows, row_off = self._dp_rows()
        target = np.take(target.reshape(-1, width), rows, axis=0)  # np.take: fast row gather
        choice = self._best_choice(np.take(value.reshape(-1, width), rows, axis=0), target, row_off, rows)
        best = np.zeros(n + 1, dtype=np.int64)
        best[rows] = target.ravel()[np.arange(len(rows)) * width + choice] - rows
        return best

    def _dp_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """Block positions ordered by distance to their block end (1 first), and each distance's row range."""
        first = np.flatnonzero(self.in_block & ~np.concatenate(([False], self.in_block[:-1])))
        length = self.block_end[first] - first
        order = np.argsort(-length, kind="stable")
        ends, length = (first + length)[order], length[order]
        per_dist = np.searchsorted(-length, -np.arange(1, int(length.max(initial=0)) + 1), side="right")
        row_off = np.concatenate(([0], np.cumsum(per_dist)))
        dist = np.repeat(np.arange(1, len(per_dist) + 1), per_dist)
        block = np.arange(row_off[-1]) - np.repeat(row_off[:-1], per_dist)
        return ends[block] - dist, row_off

    def _best_choice(self, value, target, row_off, rows) -> np.ndarray:
        """Right-to-left DP over all blocks at once, one step per distance to the block end.

        score[p] = max over candidates (log-prob + score[p + length]); a row's
        columns hold its candidates longest first, so argmax's first maximum
        is jieba's choice (ties go to the longer word).
        """
        score = np.zeros(self.n + 1)
        choice = np.zeros(len(rows), dtype=np.int64)
        base = np.arange(int(np.diff(row_off).max(initial=0))) * value.shape[1]
        for lo, hi in zip(row_off[:-1].tolist(), row_off[1:].tolist()):
            tot = value[lo:hi] + score[target[lo:hi]]
            k = tot.argmax(axis=1)
            score[rows[lo:hi]] = tot.ravel()[base[:hi - lo] + k]
            choice[lo:hi] = k
        return choice

    def spans(self) -> tuple[np.ndarray, np.ndarray]:
        """Sorted (start, end) of every kept token in the joined chunk."""
        n = self.n
        best = self.route()
        start = np.zeros(n + 1, dtype=bool)
        cur = np.flatnonzero(self.in_block & ~np.concatenate(([False], self.in_block[:-1])))
        while len(cur):
            start[cur] = True
            cur = cur + best[cur]
            cur = cur[self.in_block[np.minimum(cur, n - 1)] & (cur < n)]
        single_eng = start[:n] & (best[:n] == 1) & self.tab.is_eng[self.ids[:n]]
        start[1:n] &= ~(single_eng[1:] & single_eng[:-1])  # merge latin/digit runs
        start[:n] |= self.lone
        starts = np.flatnonzero(start[:n])
        ends = np.minimum(np.append(starts[1:], n), np.where(self.lone[starts], starts + 1,
                                                             self.block_end[starts]))
        content = np.concatenate(([0], np.cumsum(self.tab.is_content[self.ids[:n]] | self.lone)))
        keep = content[ends] > content[starts]
        return starts[keep], ends[keep]

    def doc_counts(self, starts: np.ndarray, n_docs: int) -> np.ndarray:
        """Number of tokens of each document of the chunk."""
        doc = np.searchsorted(self.doc_start, starts, side="right") - 1
        return np.bincount(doc, minlength=n_docs)


def _chunks(docs: list[str]) -> Iterator[list[str]]:
    """Consecutive slices of docs of about CHUNK_CHARS characters each."""
    i, n = 0, len(docs)
    while i < n:
        j, size = i, 0
        while j < n and (j == i or size + len(docs[j]) <= CHUNK_CHARS):
            size += len(docs[j]) + 1
            j += 1
        yield docs[i:j]
        i = j


def segment_chunks(docs: list[str]) -> Iterator[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """Per chunk of normalised docs: (joined text, token starts, token ends, tokens per doc)."""
    tab = prepare()
    for part in _chunks(docs):
        chunk = _Chunk(tab, part)
        starts, ends = chunk.spans()
        yield chunk.big, starts, ends, chunk.doc_counts(starts, len(part))


def lcut_many(docs: list[str]) -> list[list[str]]:
    """Same as [text.tokenize_normalized(d) for d in docs], computed in batch."""
    out: list[list[str]] = []
    for big, starts, ends, counts in segment_chunks(docs):
        toks = [big[a:b] for a, b in zip(starts.tolist(), ends.tolist())]
        bounds = np.concatenate(([0], np.cumsum(counts))).tolist()
        out.extend(toks[a:b] for a, b in zip(bounds[:-1], bounds[1:]))
    return out


class Vocabulary:
    """Token -> id mapping compiled for batch lookups of segmented spans."""

    def __init__(self, token_ids: dict[str, int]):
        """Index the tokens segmentation can produce by packed key (longer ones stay in the dict)."""
        self.tab = prepare()
        self.get = token_ids.get
        char_id = {chr(cp): i for cp, i in enumerate(self.tab.char_id.tolist()) if i}
        pairs = [(k, i) for tok, i in token_ids.items() if (k := self._key(tok, char_id)) is not None]
        keys = np.array([k for k, _ in pairs], dtype=np.uint64)
        self.index = HashIndex(keys)
        self.ids = self.index.payload(np.array([i for _, i in pairs], dtype=np.int64), -1)

    @staticmethod
    def _key(tok: str, char_id: dict[str, int]) -> int | None:
        """Packed key of a block token of up to EXACT_LEN chars or of a lone content char, else None."""
        if len(tok) == 1 and tok not in char_id:
            return LONE_TAG | ord(tok)
        if not 1 <= len(tok) <= EXACT_LEN or any(ch not in char_id for ch in tok):
            return None
        key = 0
        for ch in tok:
            key = (key << ID_BITS) | char_id[ch]
        return key

    @staticmethod
    def _span_keys(chunk: "_Chunk", starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """Packed key of every span of at most EXACT_LEN chars (block tokens and lone characters)."""
        ids = chunk.ids.astype(np.uint64)
        window = ids[:chunk.n]  # key of the EXACT_LEN chars starting at each position
        for j in range(1, EXACT_LEN):
            window = (window << np.uint64(ID_BITS)) | ids[j:j + chunk.n]
        shift = (ID_BITS * (EXACT_LEN - (ends - starts))).astype(np.uint64)
        key = window[starts] >> shift
        lone = np.flatnonzero(chunk.lone[starts])
        key[lone] = np.uint64(LONE_TAG) | chunk.cps[starts[lone]].astype(np.uint64)
        return key

    def _chunk_ids(self, chunk: "_Chunk", starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """Vocabulary id (-1 if unknown) of every span of a chunk."""
        out = np.full(len(starts), -1, dtype=np.int64)
        short = np.flatnonzero(ends - starts <= EXACT_LEN)
        hit, slot = self.index.find(self._span_keys(chunk, starts[short], ends[short]))
        out[short[hit]] = self.ids[slot]
        get, big = self.get, chunk.big
        long_ = np.flatnonzero(ends - starts > EXACT_LEN)
        out[long_] = [get(big[a:b], -1) for a, b in zip(starts[long_].tolist(), ends[long_].tolist())]
        return out

    def lookup(self, docs: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(vocabulary id of every token, -1 if unknown; tokens per doc) for normalised docs."""
        ids, counts = [np.empty(0, dtype=np.int64)], [np.empty(0, dtype=np.int64)]
        for part in _chunks(docs):
            chunk = _Chunk(self.tab, part)
            starts, ends = chunk.spans()
            ids.append(self._chunk_ids(chunk, starts, ends))
            counts.append(chunk.doc_counts(starts, len(part)))
        return np.concatenate(ids), np.concatenate(counts)
