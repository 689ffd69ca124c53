"""The hotspot rule on plain numbers (routing.hotspots): Poisson upper tail against the key's own baseline."""
from __future__ import annotations

import pytest

from routing.hotspots import Rule, judge, upper_tail

DAY = Rule(window_hours=24, baseline_hours=28 * 24, min_count=5, alpha=0.001, floor=0.2)


def test_upper_tail_matches_the_poisson_sums():
    assert upper_tail(0, 3.0) == 1.0
    assert upper_tail(1, 2.0) == pytest.approx(1 - 2.718281828 ** -2)
    assert upper_tail(3, 1.0) == pytest.approx(1 - 2.5 * 2.718281828 ** -1)


def test_a_spike_against_a_low_baseline_is_flagged():
    j = judge(8, 14, DAY)                     # 0.5 a day expected, 8 today
    assert j.flagged and j.expected == pytest.approx(0.5) and j.p_value < 1e-6 and j.score > 6


def test_ordinary_variation_of_a_busy_key_is_not():
    assert not judge(7, 140, DAY).flagged     # 5 a day expected, 7 today: p ~ 0.24
    assert judge(15, 140, DAY).flagged        # 15 against 5 is


@pytest.mark.parametrize("count,baseline", [(1, 0), (2, 0), (2, 1), (4, 0)])
def test_one_or_a_few_extra_calls_in_a_quiet_key_never_are(count, baseline):
    assert not judge(count, baseline, DAY).flagged      # below min_count, whatever the probability


def test_the_floor_keeps_a_key_without_history_from_being_certain():
    j = judge(5, 0, DAY)
    assert 0 < j.p_value < 1e-4 and j.flagged           # 5 calls where none ever came: flagged, p finite
    assert judge(5, 0, Rule(24, 672, 5, 0.001, floor=3.0)).flagged is False
