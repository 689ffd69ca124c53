"""质检: is a unit's rating pattern far from its peers? Pure: counts in, a stated test out.

The test: for each unit with at least `min_n` rated results, a chi-square test of homogeneity on
the 2 × 3 table (this unit / all other units in the report) × (满意 / 基本满意 / 不满意). Columns that
are empty in both rows are dropped (df = columns − 1). The p-value is exact for the chi-square
distribution (df 2: e^(−x/2); df 1: erfc(√(x/2))), the statistic approximate when expected counts
are small, hence the minimum. With k units tested, a unit is flagged when p < alpha / k
(Bonferroni), so that testing many units does not by itself flag one. The direction says whether
the unit is rated better or worse than its peers: a unit far *better* than its peers is the
pattern of ratings collected by the unit itself, far worse one of a unit in trouble.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

Counts = tuple[int, int, int]  # satisfied, basically satisfied, unsatisfied

TEST = ("卡方齐性检验：本单位与同报表内其他单位的（满意/基本满意/不满意）分布之比较，"
        "仅检验评价数不少于 {min_n} 的单位；共检验 {k} 个单位，p < {alpha}/{k}（Bonferroni 校正）即标记")


@dataclass(frozen=True)
class Pattern:
    unit_id: int
    n: int
    counts: Counts
    peers: Counts
    rate: float          # (满意 + 基本满意) / n
    peers_rate: float | None
    chi2: float
    df: int
    p_value: float
    flagged: bool
    direction: str       # better / worse / same


def chi_square(own: Counts, rest: Counts) -> tuple[float, int]:
    """The statistic and degrees of freedom of the 2 × c homogeneity test (empty columns dropped)."""
    cols = [(a, b) for a, b in zip(own, rest) if a + b > 0]
    n1, n2 = sum(a for a, _ in cols), sum(b for _, b in cols)
    if len(cols) < 2 or n1 == 0 or n2 == 0:
        return 0.0, 0
    total = n1 + n2
    chi2 = 0.0
    for a, b in cols:
        col = a + b
        for observed, row in ((a, n1), (b, n2)):
            expected = row * col / total
            chi2 += (observed - expected) ** 2 / expected
    return chi2, len(cols) - 1


def p_value(chi2: float, df: int) -> float:
    """P(X ≥ chi2) for X ~ chi-square(df), df 1 or 2 (the 2 × 3 table's cases)."""
    if df <= 0:
        return 1.0
    if df == 1:
        return math.erfc(math.sqrt(chi2 / 2))
    if df == 2:
        return math.exp(-chi2 / 2)
    raise ValueError("only 2 x 2 and 2 x 3 tables are tested")


def _good(c: Counts) -> int:
    return c[0] + c[1]


def outliers(by_unit: dict[int, Counts], *, min_n: int = 20, alpha: float = 0.01) -> list[Pattern]:
    """Every unit with at least min_n results, tested against the others; most significant first."""
    total = tuple(sum(c[i] for c in by_unit.values()) for i in range(3))
    tested = {u: c for u, c in by_unit.items() if sum(c) >= min_n}
    k = len(tested)
    out = []
    for unit, own in tested.items():
        rest = tuple(t - o for t, o in zip(total, own))
        chi2, df = chi_square(own, rest)
        p = p_value(chi2, df)
        n, m = sum(own), sum(rest)
        rate, peers = _good(own) / n, (_good(rest) / m if m else None)
        direction = "same" if peers is None or abs(rate - peers) < 1e-9 else "better" if rate > peers else "worse"
        out.append(Pattern(unit, n, own, rest, round(rate, 4), None if peers is None else round(peers, 4),
                           round(chi2, 3), df, p, bool(k) and p < alpha / k, direction))
    return sorted(out, key=lambda x: (x.p_value, x.unit_id))


def describe(min_n: int, alpha: float, k: int) -> str:
    """The test as the report states it."""
    return TEST.format(min_n=min_n, alpha=alpha, k=max(k, 1))
