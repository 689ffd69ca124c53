"""Lookup indexes of classifier.segment's dictionary tables, built and probed with numpy (moved out of segment.py)."""

from __future__ import annotations

import numpy as np

HASH_MUL = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit multiplier of the rolling hash


class HashIndex:
    """Linear-probing hash index of distinct non-zero uint64 keys, built and probed with numpy.

    Probes run forwards without wrapping: clusters at the end spill into extra
    slots, and the last slot is always empty, so every probe sequence ends.
    ``slots[i]`` is the slot of the i-th key; payload arrays are indexed by slot.
    """

    def __init__(self, keys: np.ndarray):
        """Index keys (distinct, non-zero, uint64)."""
        bits = max(4, int(len(keys) * 2 - 1).bit_length())  # load factor <= 1/2
        self.shift = np.uint64(64 - bits)
        self.slots = self._place(self._home(keys))
        self.size = max(1 << bits, int(self.slots.max(initial=0)) + 1) + 1
        self.keys = np.zeros(self.size, dtype=np.uint64)  # 0 = empty slot
        self.keys[self.slots] = keys

    def _home(self, keys: np.ndarray) -> np.ndarray:
        """Home slot of each key (multiplicative hashing)."""
        return ((keys * HASH_MUL) >> self.shift).view(np.int64)

    @staticmethod
    def _place(home: np.ndarray) -> np.ndarray:
        """Slot of each key: inserted in home order, each takes the first free slot at or after home."""
        order = np.argsort(home)
        rank = np.arange(len(home))
        slot = np.empty_like(home)
        slot[order] = np.maximum.accumulate(home[order] - rank) + rank if len(home) else home
        return slot

    def payload(self, values: np.ndarray, fill) -> np.ndarray:
        """Array indexed by slot holding values[i] at the slot of key i, fill elsewhere."""
        out = np.full(self.size, fill, dtype=values.dtype)
        out[self.slots] = values
        return out

    def find(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(hit mask, slot of each hit) for uint64 query keys."""
        slot = self._home(query)
        found = self.keys[slot]
        hit = found == query
        todo = np.flatnonzero((found != 0) & ~hit)
        while len(todo):
            nxt = slot[todo] + 1
            slot[todo] = nxt
            found = self.keys[nxt]
            match = found == query[todo]
            hit[todo[match]] = True
            todo = todo[(found != 0) & ~match]
        return hit, slot[hit]


class DirectIndex:
    """Index of single characters: the slot is the dense id itself."""

    def __init__(self, keys: np.ndarray, n_ids: int):
        """Index the ids in keys (all < n_ids)."""
        self.slots = keys.view(np.int64)
        self.size = n_ids
        self.present = self.payload(np.ones(len(keys), dtype=bool), False)

    def payload(self, values: np.ndarray, fill) -> np.ndarray:
        """Array indexed by id holding values[i] at id keys[i], fill elsewhere."""
        out = np.full(self.size, fill, dtype=values.dtype)
        out[self.slots] = values
        return out

    def find(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(hit mask, slot = id of each hit) for query ids."""
        query = query.view(np.int64)
        hit = self.present[query]
        return hit, query[hit]


class LengthTable:
    """Dictionary entries of one length: key index, log-prob (NaN = prefix only), extension flag."""

    def __init__(self, index, logp: np.ndarray):
        """Payload arrays for the keys of index; extension flags are set by mark_prefixes."""
        self.index = index
        self.logp = index.payload(logp, np.nan)
        self.extends = index.payload(np.zeros(len(logp), dtype=bool), False)

    def mark_prefixes(self, prefix_keys: np.ndarray) -> None:
        """Flag the entries that are prefixes of longer entries (only those are probed further)."""
        hit, slot = self.index.find(prefix_keys)
        self.extends[slot] = True
