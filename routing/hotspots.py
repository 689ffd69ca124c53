"""Is a count unusual against its own recent baseline? The one test behind hotspots and surges.

A count of calls in a sliding window (an area × category for hotspots, an area for surges) is
compared with what the same key received over the baseline period just before the window,
scaled to the window's length: expected = baseline_count × window / baseline_period. Calls are
taken to arrive as a Poisson process at that rate, and the window is flagged when

    count >= min_count  and  P(X >= count | λ) <= alpha,   λ = max(expected, floor)

(the upper tail of the Poisson distribution, exact, from scipy). `min_count` keeps one or two
extra calls in a quiet key from ever being a hotspot whatever its baseline; `floor` keeps a key
with no history (expected 0, where any call would have probability 0) from being flagged on its
first few calls. The score is -log10(p): 3 means one chance in a thousand.

Pure: no database, no clock. tests/routing/test_hotspots.py checks the rule on plain numbers.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import poisson


@dataclass(frozen=True)
class Rule:
    """The thresholds of one test (hotspots and surges each have theirs, see hotline/settings.py)."""

    window_hours: float
    baseline_hours: float  # the length of time the baseline count covers
    min_count: int
    alpha: float
    floor: float          # the least expected count per window (a key with no history)

    @property
    def ratio(self) -> float:
        """Window length over baseline length."""
        return self.window_hours / self.baseline_hours


@dataclass(frozen=True)
class Judgement:
    count: int
    baseline: int         # calls in the baseline period
    expected: float       # baseline scaled to the window
    p_value: float
    score: float          # -log10(p), capped at 99
    flagged: bool


def upper_tail(count: int, lam: float) -> float:
    """P(X >= count) for X ~ Poisson(lam)."""
    if count <= 0:
        return 1.0
    return float(poisson.sf(count - 1, lam))


def judge(count: int, baseline: int, rule: Rule) -> Judgement:
    """The test on one key: its window count against its baseline."""
    expected = baseline * rule.ratio
    p = upper_tail(count, max(expected, rule.floor))
    score = 99.0 if p <= 0 else min(99.0, -math.log10(p))
    flagged = count >= rule.min_count and p <= rule.alpha
    return Judgement(count, baseline, round(expected, 3), p, round(score, 2), flagged)
