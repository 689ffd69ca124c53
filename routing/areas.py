"""The area table's types: areas, their province/city/county chains and an address's resolution
(the matching itself is routing/address.py, which re-exports these names)."""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Iterable

from models.enums import Tier

AREAS_CSV = Path(__file__).resolve().parent.parent / "models" / "data" / "areas_320000.csv"


class UnknownAreaCode(ValueError):
    """An explicit area code that is not in the area table."""


class Outcome(StrEnum):
    RESOLVED = "resolved"        # county found
    PARTIAL = "partial"          # only city or province found
    AMBIGUOUS = "ambiguous"      # same name in several places, or contradictory names
    UNRESOLVED = "unresolved"    # nothing recognisable
    OUT_OF_AREA = "out_of_area"  # names another province only


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    short_name: str
    level: Tier
    parent_code: str | None

    @property
    def is_district(self) -> bool:
        """True for a 市辖区 (county-level district of a city)."""
        return self.level is Tier.COUNTY and self.name.endswith("区")


@dataclass(frozen=True)
class Chain:
    province: str | None = None
    city: str | None = None
    county: str | None = None
    district: bool = False  # county is a 市辖区
    label: str = ""         # e.g. 江苏省南通市如皋市

    def code_at(self, tier: Tier) -> str | None:
        """Area code at the given tier (None for street or unknown)."""
        return {Tier.PROVINCE: self.province, Tier.CITY: self.city,
                Tier.COUNTY: self.county}.get(tier)

    @property
    def deepest(self) -> Tier | None:
        """Lowest tier this chain knows."""
        for tier in (Tier.COUNTY, Tier.CITY, Tier.PROVINCE):
            if self.code_at(tier):
                return tier
        return None


@dataclass(frozen=True)
class Resolution:
    chain: Chain
    outcome: Outcome
    confidence: float
    reason: str
    alternatives: tuple[Chain, ...] = field(default=())

    @property
    def ambiguous(self) -> bool:
        """True when several places fit and a human must choose."""
        return self.outcome is Outcome.AMBIGUOUS

    @property
    def needs_triage(self) -> bool:
        """True when the ticket should go to human triage instead of dispatch."""
        return self.outcome in (Outcome.AMBIGUOUS, Outcome.UNRESOLVED, Outcome.OUT_OF_AREA)


class AreaTable(tuple):
    """An immutable area table that hashes once: it keys the lookup caches below, and hashing
    a plain tuple of areas on every call would cost more than the lookup it saves."""

    def __hash__(self) -> int:
        cached = self.__dict__.get("hash")
        if cached is None:
            cached = self.__dict__["hash"] = tuple.__hash__(self)
        return cached

    def __add__(self, other: Iterable[Area]) -> "AreaTable":
        return AreaTable((*self, *other))


def table(areas: Iterable[Area]) -> AreaTable:
    """The areas as an AreaTable (returned as is when it already is one)."""
    return areas if isinstance(areas, AreaTable) else AreaTable(areas)


def load_areas(path: str | Path | None = None) -> AreaTable:
    """Read the area CSV (default: the shipped Jiangsu table)."""
    with open(path or AREAS_CSV, encoding="utf-8", newline="") as fh:
        return AreaTable(Area(r["code"], r["name"], r["short_name"] or r["name"], Tier(r["level"]),
                              r["parent_code"] or None) for r in csv.DictReader(fh))
