"""Address resolution: table-driven cases on the shipped Jiangsu area table."""
import pytest

from models.enums import Tier
from routing.address import (Area, Outcome, UnknownAreaCode, chain_for, load_areas,
                             resolve)

AREAS = load_areas()

# Other provinces' same-named areas, to check home-province-first.
ELSEWHERE = [
    Area("350000", "福建省", "福建", Tier.PROVINCE, None),
    Area("350100", "福州市", "福州", Tier.CITY, "350000"),
    Area("350102", "鼓楼区", "鼓楼", Tier.COUNTY, "350100"),
    Area("110000", "北京市", "北京", Tier.PROVINCE, None),
    Area("110112", "通州区", "通州", Tier.COUNTY, "110000"),
]


@pytest.mark.parametrize("text, outcome, county, city", [
    ("江苏省南通市如皋市如城街道海阳路", Outcome.RESOLVED, "320682", "320600"),
    ("如皋市海阳路18号", Outcome.RESOLVED, "320682", "320600"),
    ("南通如皋", Outcome.RESOLVED, "320682", "320600"),
    ("崇川区某小区", Outcome.RESOLVED, "320613", "320600"),
    ("徐州市鼓楼区中山北路", Outcome.RESOLVED, "320302", "320300"),
    ("南京鼓楼区", Outcome.RESOLVED, "320106", "320100"),
    ("淮安市淮安区", Outcome.RESOLVED, "320803", "320800"),
    ("连云港市连云区", Outcome.RESOLVED, "320703", "320700"),
    ("丰县某村", Outcome.RESOLVED, "320321", "320300"),
    ("海门市三厂镇", Outcome.RESOLVED, "320614", "320600"),      # legacy name
    ("港闸区", Outcome.RESOLVED, "320613", "320600"),             # merged into 崇川区
    ("南通市崇川区扬州路", Outcome.RESOLVED, "320613", "320600"),  # road named after a city
    ("南通市", Outcome.PARTIAL, None, "320600"),
    ("南通市钟楼广场", Outcome.PARTIAL, None, "320600"),           # stray short name ignored
    ("江苏省", Outcome.PARTIAL, None, None),
    ("市民称在鼓楼区中山路", Outcome.AMBIGUOUS, None, None),
    ("南京市如皋市", Outcome.AMBIGUOUS, None, None),
    ("浙江省杭州市西湖区", Outcome.OUT_OF_AREA, None, None),
    ("asdf1234", Outcome.UNRESOLVED, None, None),
    ("", Outcome.UNRESOLVED, None, None),
    (None, Outcome.UNRESOLVED, None, None),
])
def test_resolve_text(text, outcome, county, city):
    res = resolve(text, AREAS)
    assert (res.outcome, res.chain.county, res.chain.city) == (outcome, county, city)
    assert res.reason


@pytest.mark.parametrize("text, county, district", [
    ("如皋市", "320682", False), ("崇川区", "320613", True), ("如东县", "320623", False),
])
def test_chain_district_flag(text, county, district):
    chain = resolve(text, AREAS).chain
    assert (chain.county, chain.district, chain.province) == (county, district, "320000")


def test_ambiguous_lists_both_candidates():
    res = resolve("市民称在鼓楼区…", AREAS)
    assert res.ambiguous and res.needs_triage
    assert {c.county for c in res.alternatives} == {"320106", "320302"}
    assert res.chain.province == "320000" and "南京市鼓楼区" in res.reason


@pytest.mark.parametrize("text, county", [
    ("鼓楼区某小区", None),          # still ambiguous between 南京/徐州, Fujian dropped
    ("福州市鼓楼区", "350102"),      # named city wins over home province
    ("通州区", "320612"),            # Beijing also has one: home province first
    ("北京市通州区", "110112"),
])
def test_home_province_first(text, county):
    assert resolve(text, AREAS + ELSEWHERE).chain.county == county


@pytest.mark.parametrize("code, county, city", [
    ("320682", "320682", "320600"),
    ("320682000000", "320682", "320600"),
    ("320600", None, "320600"),
    ("320602", "320613", "320600"),   # retired code of the old 崇川区
    ("320682001000", "320682", "320600"),  # a street code: its county
])
def test_explicit_code_wins(code, county, city):
    res = resolve("南京市鼓楼区", AREAS, area_code=code)
    assert (res.chain.county, res.chain.city, res.confidence) == (county, city, 1.0)


def test_explicit_code_notes_conflicting_text():
    assert "以所选代码为准" in resolve("南京市鼓楼区", AREAS, area_code="320682").reason


@pytest.mark.parametrize("code", ["999999", "abc", "330106"])
def test_unknown_code_raises(code):
    with pytest.raises(UnknownAreaCode):
        resolve("如皋市", AREAS, area_code=code)


def test_several_places_keep_first_and_list_others():
    res = resolve("如皋市民反映海安市某工地欠薪", AREAS)
    assert res.chain.county == "320682" and res.confidence <= 0.6
    assert [c.county for c in res.alternatives] == ["320685"]


def test_confidence_orders_evidence():
    full = resolve("南通市如皋市", AREAS).confidence
    bare = resolve("如皋市", AREAS).confidence
    short = resolve("如皋", AREAS).confidence
    assert full > bare > short > resolve("南通市", AREAS).confidence


def test_area_table_shape():
    levels = [a.level for a in AREAS]
    assert levels.count(Tier.PROVINCE) == 1 and levels.count(Tier.CITY) == 13
    assert levels.count(Tier.COUNTY) == 95
    assert len({a.code for a in AREAS}) == len(AREAS)
    by_code = {a.code: a for a in AREAS}
    assert all(by_code[a.parent_code].level is Tier.CITY for a in AREAS if a.level is Tier.COUNTY)


def test_chain_for_label():
    assert chain_for("320613", AREAS).label == "江苏省南通市崇川区"
