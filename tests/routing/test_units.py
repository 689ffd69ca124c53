"""Demo unit generation from name templates."""
import csv
from pathlib import Path

import pytest

from models.enums import Tier
from routing.address import load_areas
from routing.units import demo_units, load_unit_types, unit_code

AREAS = load_areas()
TYPES = load_unit_types()
UNITS = {u.code: u for u in demo_units(AREAS, TYPES)}


@pytest.mark.parametrize("code, name, tier", [
    ("320682-housing", "如皋市住房和城乡建设局", Tier.COUNTY),
    ("320000-housing", "江苏省住房和城乡建设厅", Tier.PROVINCE),
    ("320600-housing", "南通市住房和城乡建设局", Tier.CITY),
    ("320613-housing", "南通市崇川区住房和城乡建设局", Tier.COUNTY),
    ("320682-eco_env", "南通市如皋生态环境局", Tier.COUNTY),
    ("320682-public_security", "如皋市公安局", Tier.COUNTY),
    ("320106-public_security", "南京市公安局鼓楼分局", Tier.COUNTY),
    ("320302-traffic_police", "徐州市公安局交通警察支队鼓楼大队", Tier.COUNTY),
    ("320682-traffic_police", "如皋市公安局交通警察大队", Tier.COUNTY),
    ("320000-power", "国网江苏省电力有限公司", Tier.PROVINCE),
    ("320600-power", "国网南通供电公司", Tier.CITY),
    ("320682-power", "国网如皋市供电公司", Tier.COUNTY),
    ("320682-tax", "国家税务总局如皋市税务局", Tier.COUNTY),
    ("320321-eco_env", "徐州市丰县生态环境局", Tier.COUNTY),
    ("320682-supervision", "如皋市人民政府办公室（12345热线督办）", Tier.COUNTY),
    ("320000-supervision", "江苏省人民政府办公厅（12345热线督办）", Tier.PROVINCE),
])
def test_unit_names(code, name, tier):
    unit = UNITS[code]
    assert (unit.name, unit.tier, unit.area_code) == (name, tier, code.split("-")[0])


def test_one_unit_per_type_per_area_with_unique_codes_and_names():
    assert len(UNITS) == len(AREAS) * len(TYPES)
    assert len({u.name for u in UNITS.values()}) == len(UNITS)


def test_codes_are_stable():
    assert unit_code("320682", "housing") == "320682-housing"
    again = demo_units(AREAS, TYPES)
    assert [u.code for u in again] == list(UNITS)


def test_no_placeholder_left():
    assert not [u.name for u in UNITS.values() if "{" in u.name or "}" in u.name]


def test_taxonomy_unit_types_have_templates():
    taxonomy = Path(__file__).resolve().parents[2] / "classifier" / "data" / "taxonomy.csv"
    with open(taxonomy, encoding="utf-8") as fh:
        needed = {row["unit_type"] for row in csv.DictReader(fh)}
    assert needed <= {t.unit_type for t in TYPES}
    assert "supervision" in {t.unit_type for t in TYPES}
