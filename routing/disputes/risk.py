"""Risk scoring of a dispute (矛盾纠纷风险研判): 低 / 中 / 高 / 重大, with the reasons.

Rules (routing/data/risk_rules.csv) read the description; the facts a desk records
(people involved, repeat calls, amount, how long it has gone on) add their own signals;
the 110 split model's police probability, when given, lifts a quiet-looking case that
reads like a police matter. A person confirms or changes the level afterwards; the
score is advice, the confirmed level is what counts.

Levels: points 0–1 低, 2–3 中, 4–6 高, 7+ 重大; each signal may also set a floor, and a
few combinations (a weapon with a threat or an injury, a party in crisis who threatens
others, has a weapon or stands at a height, a crowd of 30 or more) are 重大 whatever the points.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from models.enums import RiskLevel

RULES_CSV = Path(__file__).resolve().parent.parent / "data" / "risk_rules.csv"
NEGATION = re.compile(r"(没有|没|未|无|不|并未|不曾|别)(人|有人)?$")
LEVEL_POINTS = ((7, RiskLevel.MAJOR), (4, RiskLevel.HIGH), (2, RiskLevel.MEDIUM), (0, RiskLevel.LOW))
GROUP_PEOPLE, CROWD_PEOPLE, MASS_PEOPLE = 5, 10, 30
BIG_AMOUNT = 500_000
POLICE_P = 0.6


class RuleError(ValueError):
    """The risk rule file is malformed."""


@dataclass(frozen=True)
class Rule:
    code: str
    label: str
    points: int
    floor: RiskLevel | None
    pattern: re.Pattern


@dataclass(frozen=True)
class Reason:
    code: str
    label: str
    evidence: str = ""

    def as_dict(self) -> dict:
        return {"code": self.code, "label": self.label, "evidence": self.evidence}


@dataclass(frozen=True)
class Facts:
    """What the desk knows besides the text."""

    people: int = 2
    repeat_calls: int = 0
    amount: float | None = None
    police_p: float | None = None  # the 110 split model's police probability for the text


@dataclass(frozen=True)
class Risk:
    level: RiskLevel
    points: int
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict:
        return {"risk": self.level.value, "risk_label": self.level.label, "points": self.points,
                "reasons": [r.as_dict() for r in self.reasons]}


def parse_rules(lines) -> tuple[Rule, ...]:
    rules = []
    for i, raw in enumerate(csv.DictReader(line for line in lines if not line.startswith("#")), start=2):
        try:
            floor = RiskLevel(raw["floor"]) if raw["floor"].strip() else None
            rules.append(Rule(raw["code"], raw["label"], int(raw["points"]), floor, re.compile(raw["pattern"])))
        except (KeyError, ValueError, re.error) as exc:
            raise RuleError(f"line {i}: {exc}") from None
    return tuple(rules)


@lru_cache(maxsize=4)
def load_rules(path: str | None = None) -> tuple[Rule, ...]:
    with open(path or RULES_CSV, encoding="utf-8", newline="") as fh:
        return parse_rules(fh)


def _hit(rule: Rule, text: str) -> str | None:
    """The first match of the rule not negated just before it."""
    for m in rule.pattern.finditer(text):
        if not NEGATION.search(text[max(0, m.start() - 4):m.start()]):
            return m.group(0)
    return None


def _from_points(points: int) -> RiskLevel:
    return next(level for bar, level in LEVEL_POINTS if points >= bar)


def _fact_signals(facts: Facts) -> list[tuple[Reason, int, RiskLevel | None]]:
    out = []
    if facts.people >= MASS_PEOPLE:
        out.append((Reason("crowd", "人员众多/群体性", f"{facts.people}人"), 4, RiskLevel.MAJOR))
    elif facts.people >= CROWD_PEOPLE:
        out.append((Reason("crowd", "人员众多/群体性", f"{facts.people}人"), 3, RiskLevel.HIGH))
    elif facts.people >= GROUP_PEOPLE:
        out.append((Reason("crowd", "人员较多", f"{facts.people}人"), 2, RiskLevel.MEDIUM))
    if facts.repeat_calls >= 3:
        out.append((Reason("repeat_110", "多次报警", f"{facts.repeat_calls}次"), 3, RiskLevel.HIGH))
    elif facts.repeat_calls >= 1:
        out.append((Reason("repeat_110", "多次报警", f"{facts.repeat_calls}次"), 2, RiskLevel.MEDIUM))
    if facts.amount is not None and facts.amount >= BIG_AMOUNT:
        out.append((Reason("amount", "争议金额大", f"{facts.amount:g}元"), 1, None))
    return out


def score(text: str, facts: Facts = Facts(), rules: tuple[Rule, ...] | None = None) -> Risk:
    """The risk of a dispute from its description and facts, with one reason per signal."""
    rules = rules if rules is not None else load_rules()
    found: dict[str, tuple[Reason, int, RiskLevel | None]] = {}
    for rule in rules:
        evidence = _hit(rule, text)
        if evidence is not None:
            found[rule.code] = (Reason(rule.code, rule.label, evidence), rule.points, rule.floor)
    for reason, points, floor in _fact_signals(facts):
        if reason.code not in found or points > found[reason.code][1]:
            found[reason.code] = (reason, points, floor)
    points = sum(p for _, p, _ in found.values())
    level = _from_points(points)
    for _, _, floor in found.values():
        if floor is not None and floor.rank > level.rank:
            level = floor
    codes = set(found)
    if "weapon" in codes and codes & {"threat", "kill_threat", "injury", "serious_injury"} \
            or "crisis" in codes and codes & {"kill_threat", "weapon", "at_height"} \
            or "kill_threat" in codes and codes & {"fight", "injury", "serious_injury", "drinking"}:
        level = RiskLevel.MAJOR
    if facts.police_p is not None and facts.police_p >= POLICE_P and level is RiskLevel.LOW:
        found["model"] = (Reason("model", "文本模型：疑似涉警冲突", f"{facts.police_p:.2f}"), 0, None)
        level = RiskLevel.MEDIUM
    return Risk(level, points, tuple(r for r, _, _ in found.values()))


def needs_alert(level: RiskLevel | str) -> bool:
    """高/重大: notify 110 and the area's supervisors at once (民转刑 prevention)."""
    return RiskLevel(level).rank >= RiskLevel.HIGH.rank
