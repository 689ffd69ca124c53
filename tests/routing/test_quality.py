"""质检's unit test, pure: the chi-square statistic and p-value against known values."""
from __future__ import annotations

import math

import pytest

from routing.quality import chi_square, outliers, p_value


def test_chi_square_of_a_2x3_table_matches_the_textbook_computation():
    own, rest = (30, 5, 5), (50, 30, 40)
    chi2, df = chi_square(own, rest)
    # by hand: totals 40 / 120, columns 80 / 35 / 45, N 160
    expected = [[40 * 80 / 160, 40 * 35 / 160, 40 * 45 / 160], [120 * 80 / 160, 120 * 35 / 160, 120 * 45 / 160]]
    by_hand = sum((o - e) ** 2 / e for row, erow in zip((own, rest), expected) for o, e in zip(row, erow))
    assert df == 2 and chi2 == pytest.approx(by_hand)
    assert p_value(chi2, 2) == pytest.approx(math.exp(-by_hand / 2))


def test_p_value_known_points():
    assert p_value(5.991, 2) == pytest.approx(0.05, abs=1e-4)     # the 95 % point of chi-square(2)
    assert p_value(3.841, 1) == pytest.approx(0.05, abs=1e-4)     # and of chi-square(1)
    assert p_value(0.0, 2) == 1.0 and p_value(7.0, 0) == 1.0


def test_empty_columns_are_dropped():
    assert chi_square((10, 0, 10), (20, 0, 0))[1] == 1
    assert chi_square((10, 0, 0), (20, 0, 0)) == (0.0, 0)


def test_a_unit_rated_all_satisfied_among_ordinary_peers_is_flagged_better_and_peers_are_not():
    peers = {u: (60, 25, 15) for u in range(1, 9)}
    flagged = outliers({**peers, 99: (60, 0, 0), 100: (5, 0, 0)}, min_n=20, alpha=0.01)
    assert [p.unit_id for p in flagged if p.flagged] == [99]
    top = flagged[0]
    assert top.unit_id == 99 and top.direction == "better" and top.rate == 1.0 and top.p_value < 0.01 / 9
    assert 100 not in {p.unit_id for p in flagged}, "too few results to test"


def test_a_slightly_different_unit_is_not_flagged():
    units = {u: (60, 25, 15) for u in range(1, 9)}
    units[9] = (66, 22, 12)
    assert not any(p.flagged for p in outliers(units))
