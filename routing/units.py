"""Demo handling units: one unit per unit type per area, named from templates.

Pure functions; the lead's seeding turns ``UnitSeed`` rows into database rows.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from models.enums import Tier
from routing.address import Area

UNIT_TYPES_CSV = Path(__file__).resolve().parent / "data" / "unit_types.csv"
PLACEHOLDERS = ("area", "area_short", "province", "province_short", "city", "city_short",
                "county", "county_short", "county_stem")


@dataclass(frozen=True)
class UnitType:
    unit_type: str
    label: str
    province_name: str
    city_name: str
    county_name: str
    district_name: str = ""  # used for a 市辖区 when set; else county_name

    def template(self, area: Area) -> str:
        """Name template that applies to this area."""
        if area.level is Tier.PROVINCE:
            return self.province_name
        if area.level is Tier.CITY:
            return self.city_name
        return (area.is_district and self.district_name) or self.county_name


@dataclass(frozen=True)
class UnitSeed:
    code: str
    name: str
    unit_type: str
    area_code: str
    tier: Tier


def load_unit_types(path: str | Path | None = None) -> list[UnitType]:
    """Read the unit type name templates (default: routing/data/unit_types.csv)."""
    with open(path or UNIT_TYPES_CSV, encoding="utf-8", newline="") as fh:
        return [UnitType(r["unit_type"], r["label"], r["province_name"], r["city_name"],
                         r["county_name"], r.get("district_name") or "")
                for r in csv.DictReader(fh)]


def unit_code(area_code: str, unit_type: str) -> str:
    """Stable unit code, e.g. 320682-housing."""
    return f"{area_code}-{unit_type}"


def demo_units(areas: Sequence[Area], unit_types: Sequence[UnitType]) -> list[UnitSeed]:
    """One unit per unit type per province/city/county area (empty template → none)."""
    by_code = {a.code: a for a in areas}
    seeds = []
    for area in areas:
        if area.level is Tier.STREET:
            continue
        values = _placeholders(area, by_code)
        for ut in unit_types:
            template = ut.template(area)
            if template:
                seeds.append(UnitSeed(unit_code(area.code, ut.unit_type),
                                      template.format(**values), ut.unit_type, area.code, area.level))
    return seeds


def qualified_name(area: Area, by_code: dict[str, Area]) -> str:
    """Official prefix of an area: a 市辖区 carries its city (南通市崇川区), others do not."""
    parent = by_code.get(area.parent_code or "")
    if area.is_district and parent is not None:
        return parent.name + area.name
    return area.name


def _placeholders(area: Area, by_code: dict[str, Area]) -> dict[str, str]:
    """Values for the name template placeholders of one area."""
    found = {area.level: area}
    node = area
    while node.parent_code and node.parent_code in by_code:
        node = by_code[node.parent_code]
        found[node.level] = node
    province, city, county = (found.get(t) for t in (Tier.PROVINCE, Tier.CITY, Tier.COUNTY))
    return {
        "area": qualified_name(area, by_code), "area_short": area.short_name,
        "province": _name(province), "province_short": _short(province),
        "city": _name(city), "city_short": _short(city),
        "county": _name(county), "county_short": _short(county),
        "county_stem": _stem(county),
    }


def _name(area: Area | None) -> str:
    """Full name or empty."""
    return area.name if area else ""


def _short(area: Area | None) -> str:
    """Short name or empty."""
    return area.short_name if area else ""


def _stem(area: Area | None) -> str:
    """Name without its 市/区/县 suffix, kept whole for two-character names (丰县)."""
    if area is None:
        return ""
    return area.name[:-1] if len(area.name) > 2 and area.name[-1] in "市区县" else area.name
