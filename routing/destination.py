"""Destination decision: which tier and which unit leads a ticket (主办), who supports (协办).

The *dispatch* (派单) is the workflow action that sends a ticket there; this module
only decides where "there" is.

Pure functions on plain values: an event category code, the area chain where it
happened (from ``routing.address``), the dispatch catalogue
(``routing/data/catalogue.csv``) and the known units. See docs/dispatch.md.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from models.enums import Tier
from routing.address import Chain
from routing.units import UnitSeed, load_unit_types

CATALOGUE_CSV = Path(__file__).resolve().parent / "data" / "catalogue.csv"
_UP: dict[Tier, Tier | None] = {Tier.STREET: Tier.COUNTY, Tier.COUNTY: Tier.CITY,
                                Tier.CITY: Tier.PROVINCE, Tier.PROVINCE: None}
NO_STREET_TEXT = "职能部门事项，不得下派乡镇（街道）、村（社区）"
LOCAL_TEXT = "属地事项，承办单位可按乡镇（街道）履职事项清单转派"


@dataclass(frozen=True)
class CatalogueEntry:
    category: str
    label: str
    default_tier: Tier
    district_tier: Tier | None
    lead_unit_type: str
    support_unit_types: tuple[str, ...] = ()
    no_street: bool = True
    note: str = ""

    def tier_for(self, chain: Chain) -> Tier:
        """Catalogue tier for a place: district_tier applies inside a 市辖区."""
        return self.district_tier if chain.district and self.district_tier else self.default_tier


@dataclass(frozen=True)
class UnitIndex:
    by_place: Mapping[tuple[str, str], UnitSeed]

    def get(self, area_code: str | None, unit_type: str) -> UnitSeed | None:
        """Unit of a type in an area, or None."""
        return self.by_place.get((area_code, unit_type)) if area_code else None


@dataclass
class Places:
    """What a destination decision reads: the area table, the dispatch catalogue and the units."""

    areas: list
    catalogue: dict
    units: UnitIndex


@dataclass(frozen=True)
class Decision:
    category: str
    triage: bool
    reason: str
    tier: Tier | None = None
    area_code: str | None = None
    lead: UnitSeed | None = None
    supporting: tuple[UnitSeed, ...] = field(default=())
    no_street: bool = True
    escalated: bool = False  # a fallback moved the lead above the catalogue tier


@dataclass(frozen=True)
class _Placed:
    unit: UnitSeed | None
    tier: Tier | None
    notes: tuple[str, ...]
    escalated: bool


def load_catalogue(path: str | Path | None = None) -> dict[str, CatalogueEntry]:
    """Read the dispatch catalogue keyed by category code."""
    with open(path or CATALOGUE_CSV, encoding="utf-8", newline="") as fh:
        entries = [_entry(row) for row in csv.DictReader(fh)]
    return {e.category: e for e in entries}


def index_units(units: Iterable[UnitSeed]) -> UnitIndex:
    """Index units by (area_code, unit_type); street-tier units are never dispatch targets."""
    return UnitIndex({(u.area_code, u.unit_type): u for u in units if Tier(u.tier) is not Tier.STREET})


def decide(category: str, chain: Chain, catalogue: Mapping[str, CatalogueEntry],
           units: UnitIndex | Iterable[UnitSeed], *, extra_categories: Sequence[str] = (),
           extra_chains: Sequence[Chain] = (), override_tier: Tier | str | None = None) -> Decision:
    """Choose tier, lead unit (主办) and supporting units (协办) for one ticket."""
    index = units if isinstance(units, UnitIndex) else index_units(units)
    entry = catalogue.get(category)
    if entry is None:
        return Decision(category, True, _join(f"事项分类「{category}」不在派单目录中，转人工分拣"))
    tier, notes = _target_tier(entry, chain, override_tier)
    lead = _place(entry.lead_unit_type, chain, tier, index)
    if lead.unit is None:
        return Decision(category, True, _join(f"事发地{chain.label or '未知'}", *notes, *lead.notes,
                                              "未找到主办单位，转人工分拣"), no_street=entry.no_street)
    supporting, support_notes = _supporting(entry, chain, lead, index, catalogue,
                                            extra_categories, extra_chains, override_tier)
    reason = _join(f"事发地{chain.label}", f"「{entry.label}」属{tier.label}事权", *notes, *lead.notes,
                   f"派{lead.unit.name}主办",
                   f"{'、'.join(u.name for u in supporting)}协办" if supporting else "",
                   *support_notes, NO_STREET_TEXT if entry.no_street else LOCAL_TEXT)
    return Decision(category, False, reason, lead.tier, lead.unit.area_code, lead.unit,
                    supporting, entry.no_street, lead.escalated)


def forward_allowed(category: str, target_tier: Tier | str,
                    catalogue: Mapping[str, CatalogueEntry]) -> tuple[bool, str]:
    """May a handler re-dispatch this category to a unit of target_tier? (bool, reason)."""
    entry = catalogue.get(category)
    if Tier(target_tier) is Tier.STREET and (entry is None or entry.no_street):
        label = entry.label if entry else category
        return False, f"「{label}」为{NO_STREET_TEXT}"
    return True, ""


def _target_tier(entry: CatalogueEntry, chain: Chain,
                 override: Tier | str | None) -> tuple[Tier, tuple[str, ...]]:
    """Catalogue tier for this place, or the operator's override (never street)."""
    if override is not None:
        tier = Tier(override)
        if tier is Tier.STREET:
            why = "职能部门事项不得下派乡镇（街道）" if entry.no_street else "不直接派单至乡镇（街道）"
            return Tier.COUNTY, (f"人工指定乡镇（街道）级，但{why}，改按县级派单",)
        return tier, (f"人工指定{tier.label}派单",)
    tier = entry.tier_for(chain)
    if tier is not entry.default_tier:
        return tier, (entry.note or f"市辖区该类事项由{tier.label}负责",)
    return tier, ()


def _place(unit_type: str, chain: Chain, tier: Tier, index: UnitIndex) -> _Placed:
    """Find the unit of a type at the tier, moving up when the place or unit is missing."""
    notes: list[str] = []
    start = tier
    if chain.code_at(tier) is None:
        tier = _known_tier(chain, tier)
        if tier is None:
            return _Placed(None, None, (f"地址未能定位到{start.label}属地",), False)
        notes.append(f"地址未定位到{start.label}，由{tier.label}主办")
    current: Tier | None = tier
    while current is not None:
        unit = index.get(chain.code_at(current), unit_type)
        if unit is not None:
            return _Placed(unit, current, tuple(notes), current is not start)
        up = _UP[current]
        notes.append(f"{current.label}无{_type_label(unit_type)}单位"
                     + (f"，上提至{up.label}" if up else ""))
        current = up
    return _Placed(None, None, tuple(notes), False)


def _known_tier(chain: Chain, tier: Tier) -> Tier | None:
    """Nearest tier above with a known code; a local matter is never sent to the province for lack of address."""
    current = _UP[tier]
    while current is not None and chain.code_at(current) is None:
        current = _UP[current]
    if current is Tier.PROVINCE and tier is not Tier.PROVINCE:
        return None
    return current


def _supporting(entry: CatalogueEntry, chain: Chain, lead: _Placed, index: UnitIndex,
                catalogue: Mapping[str, CatalogueEntry], extra_categories: Sequence[str],
                extra_chains: Sequence[Chain], override: Tier | str | None,
                ) -> tuple[tuple[UnitSeed, ...], tuple[str, ...]]:
    """Supporting units from the catalogue, extra categories and extra places."""
    found: list[UnitSeed] = []
    notes: list[str] = []
    for unit_type in entry.support_unit_types:
        placed = _place(unit_type, chain, lead.tier, index)
        if placed.unit is None:
            notes.append(f"未找到{_type_label(unit_type)}协办单位")
        else:
            _add(found, placed.unit, lead.unit)
    for extra in extra_categories:
        sub = decide(extra, chain, catalogue, index, override_tier=override)
        if sub.lead is None:
            notes.append(f"关联事项「{extra}」未能确定协办单位")
        else:
            _add(found, sub.lead, lead.unit)
    for other in extra_chains:
        tier, _ = _target_tier(entry, other, override)
        placed = _place(entry.lead_unit_type, other, tier, index)
        if placed.unit is None:
            notes.append(f"涉及{other.label or '其他地区'}，未找到当地协办单位")
        else:
            _add(found, placed.unit, lead.unit)
    if extra_chains:
        notes.append("跨区域事项，由事发首地主办、相关地区协办")
    return tuple(found), tuple(notes)


def _add(found: list[UnitSeed], unit: UnitSeed, lead: UnitSeed | None) -> None:
    """Append a supporting unit unless it is the lead or already listed."""
    if unit.code != getattr(lead, "code", None) and all(u.code != unit.code for u in found):
        found.append(unit)


def _entry(row: Mapping[str, str]) -> CatalogueEntry:
    """Parse and check one catalogue row."""
    entry = CatalogueEntry(
        category=row["category"], label=row["label"], default_tier=Tier(row["default_tier"]),
        district_tier=Tier(row["district_tier"]) if row.get("district_tier") else None,
        lead_unit_type=row["lead_unit_type"],
        support_unit_types=tuple(t for t in (row.get("support_unit_types") or "").split(";") if t),
        no_street=(row.get("no_street") or "true").strip().lower() in ("true", "1", "yes"),
        note=row.get("note") or "")
    if Tier.STREET in (entry.default_tier, entry.district_tier):
        raise ValueError(f"catalogue {entry.category}: street is not a dispatch tier")
    return entry


@lru_cache(maxsize=1)
def _type_labels() -> dict[str, str]:
    """Chinese labels of unit types from the shipped unit_types.csv."""
    return {t.unit_type: t.label for t in load_unit_types()}


def _type_label(unit_type: str) -> str:
    """Chinese label of a unit type (falls back to the code)."""
    return _type_labels().get(unit_type, unit_type)


def _join(*parts: str) -> str:
    """Join non-empty reason parts with Chinese semicolons, ending with 。"""
    return "；".join(p for p in parts if p) + "。"
