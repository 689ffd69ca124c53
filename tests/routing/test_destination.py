"""Dispatch decisions: tiers, catalogue overrides, lead/supporting units, no push-down, fallbacks."""
import csv
from pathlib import Path

import pytest

from models.enums import Tier
from routing.address import Chain, chain_for, load_areas
from routing.destination import (CatalogueEntry, decide, forward_allowed, index_units,
                              load_catalogue)
from routing.units import UnitSeed, demo_units, load_unit_types

AREAS = load_areas()
CATALOGUE = load_catalogue()
UNITS = index_units(demo_units(AREAS, load_unit_types()))
RUGAO, CHONGCHUAN, NANTONG, JIANGSU = (chain_for(c, AREAS) for c in
                                       ("320682", "320613", "320600", "320000"))


@pytest.mark.parametrize("category, chain, tier, lead", [
    ("housing.property", RUGAO, Tier.COUNTY, "320682-housing"),
    ("housing.property", CHONGCHUAN, Tier.COUNTY, "320613-housing"),
    ("transport.public", RUGAO, Tier.COUNTY, "320682-transport"),
    ("transport.public", CHONGCHUAN, Tier.CITY, "320600-transport"),   # district → city
    ("housing.real_estate", CHONGCHUAN, Tier.CITY, "320600-housing"),
    ("utility.power", RUGAO, Tier.COUNTY, "320682-power"),
    ("utility.power", CHONGCHUAN, Tier.CITY, "320600-power"),
    ("tax.fees", CHONGCHUAN, Tier.COUNTY, "320613-tax"),
    ("resources.property_reg", RUGAO, Tier.COUNTY, "320682-natural_resources"),
    ("police.traffic", RUGAO, Tier.COUNTY, "320682-traffic_police"),
    ("housing.property", NANTONG, Tier.CITY, "320600-housing"),        # address only to city
])
def test_tier_and_lead(category, chain, tier, lead):
    d = decide(category, chain, CATALOGUE, UNITS)
    assert (d.triage, d.tier, d.lead.code, d.area_code) == (False, tier, lead, lead.split("-")[0])
    assert d.lead.name in d.reason and "主办" in d.reason


@pytest.mark.parametrize("override, tier, lead", [
    (Tier.CITY, Tier.CITY, "320600-housing"),
    ("province", Tier.PROVINCE, "320000-housing"),
    (Tier.STREET, Tier.COUNTY, "320682-housing"),   # no push-down to street
])
def test_override_tier(override, tier, lead):
    d = decide("housing.property", RUGAO, CATALOGUE, UNITS, override_tier=override)
    assert (d.tier, d.lead.code) == (tier, lead) and "人工指定" in d.reason


@pytest.mark.parametrize("category, supporting", [
    ("eco.noise", ["320682-public_security", "320682-housing"]),
    ("hrss.wage_arrears", ["320682-housing"]),
    ("housing.construction", ["320682-urban_mgmt", "320682-eco_env"]),
    ("housing.property", []),
])
def test_supporting_from_catalogue(category, supporting):
    d = decide(category, RUGAO, CATALOGUE, UNITS)
    assert [u.code for u in d.supporting] == supporting


def test_supporting_from_extra_categories_and_places():
    haian = chain_for("320685", AREAS)
    d = decide("hrss.wage_arrears", RUGAO, CATALOGUE, UNITS,
               extra_categories=["market.consumer", "housing.property"], extra_chains=[haian])
    assert [u.code for u in d.supporting] == [
        "320682-housing", "320682-market", "320685-hrss"]  # housing listed once
    assert "跨区域" in d.reason


def test_support_never_duplicates_lead():
    d = decide("housing.property", RUGAO, CATALOGUE, UNITS, extra_categories=["housing.repair"])
    assert d.supporting == ()


SPARSE = index_units([
    UnitSeed("320600-housing", "南通市住房和城乡建设局", "housing", "320600", Tier.CITY),
    UnitSeed("320000-housing", "江苏省住房和城乡建设厅", "housing", "320000", Tier.PROVINCE),
    UnitSeed("320682001-housing", "如城街道住建办", "housing", "320682", Tier.STREET),
    UnitSeed("320682-urban_mgmt", "如皋市城市管理局", "urban_mgmt", "320682", Tier.COUNTY),
])


@pytest.mark.parametrize("category, chain, triage, lead, escalated", [
    ("housing.property", RUGAO, False, "320600-housing", True),     # county missing → city
    ("housing.property", JIANGSU, True, None, False),               # province-only address
    ("market.consumer", RUGAO, True, None, False),                  # no unit anywhere
    ("no.such.category", RUGAO, True, None, False),
    ("housing.property", Chain(), True, None, False),
])
def test_fallbacks_and_triage(category, chain, triage, lead, escalated):
    d = decide(category, chain, CATALOGUE, SPARSE)
    assert (d.triage, getattr(d.lead, "code", None), d.escalated) == (triage, lead, escalated)
    assert d.reason.endswith("。")
    if triage:
        assert "人工分拣" in d.reason
    else:
        assert "上提至市级" in d.reason


def test_street_units_are_never_chosen():
    d = decide("housing.property", RUGAO, CATALOGUE, SPARSE)
    assert d.lead.tier is not Tier.STREET
    assert all(u.tier is not Tier.STREET for u in d.supporting)


def test_missing_support_is_reported_not_fatal():
    d = decide("urban.illegal_building", RUGAO, CATALOGUE, SPARSE)
    assert d.lead.code == "320682-urban_mgmt" and d.supporting == ()
    assert "未找到自然资源协办单位" in d.reason


@pytest.mark.parametrize("category, allowed", [
    ("housing.property", False), ("dispute.neighbour", True), ("urban.sanitation", True),
    ("no.such.category", False),
])
def test_forward_to_street(category, allowed):
    ok, why = forward_allowed(category, Tier.STREET, CATALOGUE)
    assert ok is allowed and (allowed or "不得" in why)
    assert forward_allowed(category, Tier.COUNTY, CATALOGUE)[0]


@pytest.mark.parametrize("category, phrase", [
    ("housing.property", "不得下派乡镇（街道）"), ("dispute.neighbour", "可按乡镇（街道）履职事项清单转派"),
])
def test_reason_states_street_rule(category, phrase):
    assert phrase in decide(category, RUGAO, CATALOGUE, UNITS).reason


def test_catalogue_covers_taxonomy_and_known_unit_types():
    taxonomy = Path(__file__).resolve().parents[2] / "classifier" / "data" / "taxonomy.csv"
    with open(taxonomy, encoding="utf-8") as fh:
        rows = {r["code"]: r for r in csv.DictReader(fh)}
    assert set(CATALOGUE) == set(rows)
    types = {t.unit_type for t in load_unit_types()}
    for code, entry in CATALOGUE.items():
        assert isinstance(entry, CatalogueEntry)
        assert entry.lead_unit_type == rows[code]["unit_type"]
        assert entry.label == rows[code]["category"]
        assert {entry.lead_unit_type, *entry.support_unit_types} <= types
        assert Tier.STREET not in (entry.default_tier, entry.district_tier)


def test_every_category_dispatches_everywhere():
    for area in AREAS:
        if area.level is not Tier.COUNTY:
            continue
        chain = chain_for(area.code, AREAS)
        for category in CATALOGUE:
            d = decide(category, chain, CATALOGUE, UNITS)
            assert not d.triage and not d.escalated, (area.name, category)
