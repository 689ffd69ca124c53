"""Locate the administrative area (province → city → county) named in free address text.

Pure functions over the shipped area table (``models/data/areas_320000.csv``).
A small substring matcher on our own table: no pandas, no third-party parser
(see docs/dispatch.md for the reasoning).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

from models.enums import Tier
from routing.areas import (AREAS_CSV, Area, AreaTable, Chain, Outcome, Resolution, UnknownAreaCode,  # noqa: F401
                           load_areas, table)

# Names abolished or renamed since ~2009 that still turn up in callers' addresses.
LEGACY_NAMES: dict[str, str] = {
    "海门市": "320614", "港闸区": "320613", "海安县": "320685", "通州市": "320612",
    "白下区": "320104", "下关区": "320106", "溧水县": "320117", "高淳县": "320118",
    "崇安区": "320213", "南长区": "320213", "北塘区": "320213",
    "平江区": "320508", "沧浪区": "320508", "金阊区": "320508", "吴江市": "320509",
    "戚墅堰区": "320412", "金坛市": "320413", "楚州区": "320803", "清河区": "320812",
    "清浦区": "320812", "洪泽县": "320813", "新浦区": "320706", "赣榆县": "320707",
    "大丰市": "320904", "姜堰市": "321204", "江都市": "321012", "铜山县": "320312",
    "淮阴市": "320800",
}
# Codes retired by the 2018–2020 Nantong changes (old code → current code).
LEGACY_CODES: dict[str, str] = {
    "320602": "320613", "320611": "320613", "320684": "320614", "320621": "320685",
}
# Other provincial-level divisions: only used to say "not ours" instead of "unknown".
OTHER_PROVINCES: tuple[str, ...] = (
    "北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省",
    "上海市", "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省",
    "广东省", "广西壮族自治区", "海南省", "重庆市", "四川省", "贵州省", "云南省",
    "西藏自治区", "陕西省", "甘肃省", "青海省", "宁夏回族自治区", "新疆维吾尔自治区",
    "台湾省", "香港特别行政区", "澳门特别行政区",
)
# A short name followed by one of these is a road named after a place ("扬州路").
_ROAD_SUFFIXES = ("路", "街", "巷", "弄")


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    area: Area
    full: bool     # matched the full (or legacy) name, not the short name
    legacy: str = ""


def chain_for(code: str, areas: Sequence[Area]) -> Chain:
    """Build the province/city/county chain for a known area code."""
    return _chain(code, table(areas))


@lru_cache(maxsize=4096)
def _chain(code: str, areas: AreaTable) -> Chain:
    """chain_for, memoised per table."""
    by_code = _by_code(areas)
    area = by_code.get(code)
    if area is None:
        raise UnknownAreaCode(code)
    found: dict[Tier, Area] = {}
    while area is not None:
        found[area.level] = area
        area = by_code.get(area.parent_code) if area.parent_code else None
    county = found.get(Tier.COUNTY)
    label = "".join(found[t].name for t in (Tier.PROVINCE, Tier.CITY, Tier.COUNTY) if t in found)
    return Chain(province=_code(found.get(Tier.PROVINCE)), city=_code(found.get(Tier.CITY)),
                 county=_code(county), district=bool(county and county.is_district), label=label)


def resolve(address_text: str | None, areas: Sequence[Area], home_province: str = "320000",
            area_code: str | None = None) -> Resolution:
    """Find province, city and county in address text; an explicit area_code wins."""
    areas = table(areas)
    text = _normalise(address_text)
    if area_code:
        return _from_code(area_code, text, areas, home_province)
    return _from_text(text, areas, home_province)


def canonical_code(area_code: str, areas: Sequence[Area]) -> tuple[str, str]:
    """The table's code for an area code as callers type it (12-digit and street-level codes map to
    their county, retired codes to their successor) and a note saying so; UnknownAreaCode if none.
    Intake and dispatch both go through here, so a code accepted by one is accepted by the other."""
    by_code = _by_code(table(areas))
    code, note = _normalise_code(area_code.strip(), by_code)
    if code not in by_code:
        raise UnknownAreaCode(area_code)
    return code, note


def _from_code(area_code: str, text: str, areas: tuple[Area, ...], home: str) -> Resolution:
    """Resolution for an explicit code (raises UnknownAreaCode when not in the table)."""
    code, note = canonical_code(area_code, areas)
    chain = chain_for(code, areas)
    reason = f"按所选区划代码{code}定位：{chain.label}{note}"
    textual = _from_text(text, areas, home) if text else None
    if textual and textual.chain.deepest and not _compatible(chain, textual.chain):
        reason += f"（地址文本指向{textual.chain.label}，以所选代码为准）"
    outcome = Outcome.RESOLVED if chain.county else Outcome.PARTIAL
    return Resolution(chain, outcome, 1.0, reason)


def _from_text(text: str, areas: tuple[Area, ...], home: str) -> Resolution:
    """Resolution from text alone."""
    hits = _hits(text, areas)
    if not hits:
        return _nothing(text)
    by_level = {tier: _prefer_full([h for h in hits if h.area.level is tier])
                for tier in (Tier.PROVINCE, Tier.CITY, Tier.COUNTY)}
    provinces = {h.area.code for h in by_level[Tier.PROVINCE]}
    cities = _within(by_level[Tier.CITY], provinces, areas)
    counties = _within(by_level[Tier.COUNTY], provinces, areas)
    city_codes = {h.area.code for h in cities}
    if counties:
        in_city = [h for h in counties if h.area.parent_code in city_codes]
        if city_codes and not in_city and counties[0].full:
            return _conflict(cities, counties, areas)
        if in_city or not city_codes:
            return _pick_county(_home_first(in_city or counties, home, areas), bool(in_city), areas)
    if cities:
        return _pick_city(_home_first(cities, home, areas), areas)
    province = by_level[Tier.PROVINCE][0].area
    chain = chain_for(province.code, areas)
    return Resolution(chain, Outcome.PARTIAL, 0.3,
                      f"地址仅提到{province.name}，未能定位到市、县（市、区），请人工确认属地")


def _pick_county(hits: list[_Hit], city_named: bool, areas: tuple[Area, ...]) -> Resolution:
    """Choose among county hits: one place, same-name ambiguity, or several places."""
    first = min(hits, key=lambda h: h.start)
    same_text = [h for h in hits if h.start == first.start]
    places = _unique_areas(same_text)
    if len(places) > 1:
        chains = tuple(chain_for(a.code, areas) for a in places)
        common = _common_chain(chains, areas)
        names = "、".join(c.label for c in chains)
        return Resolution(common, Outcome.AMBIGUOUS, 0.3,
                          f"「{_text_of(first)}」有多处（{names}），地址未指明所属市，请人工确认",
                          alternatives=chains)
    chain = chain_for(first.area.code, areas)
    others = tuple(chain_for(a.code, areas) for a in _unique_areas(hits) if a.code != first.area.code)
    confidence = (0.95 if first.full else 0.85) if city_named else (0.9 if first.full else 0.75)
    reason = f"地址识别为{chain.label}" + _legacy_note(first)
    if others:
        confidence = min(confidence, 0.6)
        reason += f"；文本还提到{'、'.join(c.label for c in others)}，按首个提及的地点定位，请核实"
    return Resolution(chain, Outcome.RESOLVED, confidence, reason, alternatives=others)


def _pick_city(hits: list[_Hit], areas: tuple[Area, ...]) -> Resolution:
    """Only city-level names found: partial resolution to the first one."""
    first = min(hits, key=lambda h: h.start)
    chain = chain_for(first.area.code, areas)
    others = tuple(chain_for(a.code, areas) for a in _unique_areas(hits) if a.code != first.area.code)
    reason = f"地址仅定位到{chain.label}，未指明县（市、区）" + _legacy_note(first)
    if others:
        reason += f"；文本还提到{'、'.join(c.label for c in others)}，请核实"
    return Resolution(chain, Outcome.PARTIAL, 0.6 if first.full else 0.55, reason,
                      alternatives=others)


def _conflict(cities: list[_Hit], counties: list[_Hit], areas: tuple[Area, ...]) -> Resolution:
    """County named does not belong to the city named."""
    chains = tuple(chain_for(a.code, areas) for a in _unique_areas(counties))
    city_names = "、".join(a.name for a in _unique_areas(cities))
    common = _common_chain(chains + tuple(chain_for(a.code, areas) for a in _unique_areas(cities)),
                           areas)
    return Resolution(common, Outcome.AMBIGUOUS, 0.2,
                      f"地址中的市（{city_names}）与县（市、区）（{'、'.join(c.label for c in chains)}）"
                      "不一致，请人工确认", alternatives=chains)


def _nothing(text: str) -> Resolution:
    """No area of ours in the text: out of area or unresolvable."""
    other = next((p for p in OTHER_PROVINCES if p in text), None)
    if other:
        return Resolution(Chain(), Outcome.OUT_OF_AREA, 0.0,
                          f"地址位于{other}，不属本热线辖区，请人工核实后转办")
    return Resolution(Chain(), Outcome.UNRESOLVED, 0.0,
                      "未能从地址中识别出市、县（市、区），转人工分拣" if text else "未提供地址，转人工分拣")


def _hits(text: str, areas: tuple[Area, ...]) -> list[_Hit]:
    """All name occurrences, minus those inside a longer match and roads named after places.

    Ordered by alias (table order), then position.
    """
    index = _alias_index(areas)
    found: list[tuple[int, _Hit]] = []
    for start, ch in enumerate(text):
        for order, (alias, area, full, legacy) in index.get(ch, ()):
            if text.startswith(alias, start):
                end = start + len(alias)
                if full or not text.startswith(_ROAD_SUFFIXES, end):
                    found.append((order, _Hit(start, end, area, full, legacy)))
    found.sort(key=lambda pair: pair[0])  # stable: positions stay ascending within an alias
    raw = [h for _, h in found]
    return [h for h in raw if not any(_inside(h, o) for o in raw)]


@lru_cache(maxsize=8)
def _alias_index(areas: tuple[Area, ...]) -> dict[str, tuple]:
    """Aliases (with their ordinal) by first character, so a text is scanned once."""
    index: dict[str, list] = {}
    for order, item in enumerate(_aliases(areas)):
        index.setdefault(item[0][0], []).append((order, item))
    return {ch: tuple(items) for ch, items in index.items()}


def _inside(hit: _Hit, other: _Hit) -> bool:
    """True when hit lies within a strictly longer other hit."""
    return (other.start <= hit.start and hit.end <= other.end
            and other.end - other.start > hit.end - hit.start)


@lru_cache(maxsize=8)
def _aliases(areas: tuple[Area, ...]) -> tuple[tuple[str, Area, bool, str], ...]:
    """(alias, area, is_full_name, legacy_name) for every matchable name."""
    by_code = _by_code(areas)
    out = []
    for area in areas:
        out.append((area.name, area, True, ""))
        if area.short_name != area.name and len(area.short_name) >= 2:
            out.append((area.short_name, area, False, ""))
    for old, code in LEGACY_NAMES.items():
        if code in by_code and old not in {a.name for a in areas}:
            out.append((old, by_code[code], True, old))
    return tuple(out)


@lru_cache(maxsize=8)
def _by_code(areas: tuple[Area, ...]) -> dict[str, Area]:
    """Index areas by code."""
    return {a.code: a for a in areas}


def _prefer_full(hits: list[_Hit]) -> list[_Hit]:
    """Within one level, full-name hits beat short-name hits."""
    full = [h for h in hits if h.full]
    return full or hits


def _within(hits: list[_Hit], provinces: set[str], areas: tuple[Area, ...]) -> list[_Hit]:
    """Keep hits under a named province, if any province was named and any hit fits."""
    if not provinces:
        return hits
    kept = [h for h in hits if _province_of(h.area, areas) in provinces]
    return kept or hits


def _home_first(hits: list[_Hit], home: str, areas: tuple[Area, ...]) -> list[_Hit]:
    """Prefer hits in the home province."""
    kept = [h for h in hits if _province_of(h.area, areas) == home]
    return kept or hits


def _province_of(area: Area, areas: tuple[Area, ...]) -> str:
    """Code of the province an area belongs to."""
    by_code = _by_code(areas)
    while area.parent_code and area.parent_code in by_code:
        area = by_code[area.parent_code]
    return area.code


def _unique_areas(hits: Iterable[_Hit]) -> list[Area]:
    """Distinct areas in order of first mention."""
    seen: dict[str, Area] = {}
    for h in sorted(hits, key=lambda h: h.start):
        seen.setdefault(h.area.code, h.area)
    return list(seen.values())


def _common_chain(chains: Sequence[Chain], areas: tuple[Area, ...]) -> Chain:
    """The deepest chain shared by all candidates (may be empty)."""
    for tier in (Tier.CITY, Tier.PROVINCE):
        codes = {c.code_at(tier) for c in chains}
        if len(codes) == 1 and None not in codes:
            return chain_for(codes.pop(), areas)
    return Chain()


def _compatible(a: Chain, b: Chain) -> bool:
    """True when one chain is an ancestor of (or equal to) the other."""
    return all(x is None or y is None or x == y
               for x, y in ((a.province, b.province), (a.city, b.city), (a.county, b.county)))


def _legacy_note(hit: _Hit) -> str:
    """Operator note when an old name was used."""
    return f"（「{hit.legacy}」为旧称，已调整为{hit.area.name}）" if hit.legacy else ""


def _normalise(text: str | None) -> str:
    """Drop whitespace (incl. full-width) from the text."""
    return "".join((text or "").split())


def _normalise_code(code: str, by_code: dict[str, Area]) -> tuple[str, str]:
    """Map 12-digit, street-level and retired codes to a code of the table; return (code, note)."""
    if code in by_code:
        return code, ""
    if code.isdigit() and len(code) in (9, 12):
        county = code[:6]
        if code[6:].strip("0"):
            return (_normalise_code(county, by_code)[0],
                    f"（乡镇（街道）代码{code}，按所属县（市、区）定位）")
        code = county
    if code in LEGACY_CODES:
        return LEGACY_CODES[code], f"（原代码{code}已撤销，按现行代码{LEGACY_CODES[code]}处理）"
    return code, ""


def _code(area: Area | None) -> str | None:
    """Code of an optional area."""
    return area.code if area else None


def _text_of(hit: _Hit) -> str:
    """The matched name of a hit."""
    return hit.legacy or (hit.area.name if hit.full else hit.area.short_name)
