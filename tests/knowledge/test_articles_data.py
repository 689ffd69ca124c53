"""The shipped 热线百科 articles (hotline/knowledge/data/articles.csv): a file check, no server.

The file is demo data written by the project; these checks keep it loadable by whatever imports it:
the header, unique slugs, codes that exist in the catalogue/unit/area tables, sane lengths and dates,
and the mix the demo relies on (local overrides, staff-only notes, expired and future articles).
"""
from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTICLES = ROOT / "hotline/knowledge/data/articles.csv"
TOPICS = ROOT / "tests/knowledge/data/kb_topics.txt"
HEADER = ("slug,title,question,answer,basis_name,basis_number,category,area_code,unit_type,"
          "public,effective_from,expires_on,keywords").split(",")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _table(path: str) -> list[dict[str, str]]:
    with open(ROOT / path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with open(ARTICLES, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == HEADER
        found = list(reader)
    for row in found:
        assert None not in row and None not in row.values(), f"ragged row {row.get('slug')}"
    return found


def test_enough_articles_with_unique_slugs(rows):
    slugs = [r["slug"] for r in rows]
    assert len(rows) >= 220
    assert len(set(slugs)) == len(slugs), {s for s in slugs if slugs.count(s) > 1}
    assert [s for s in slugs if not SLUG.match(s) or len(s) > 60] == []


def test_category_unit_type_and_area_exist(rows):
    lead = {r["category"]: r["lead_unit_type"] for r in _table("routing/data/catalogue.csv")}
    unit_types = {r["unit_type"] for r in _table("routing/data/unit_types.csv")}
    areas = {r["code"]: r for r in _table("models/data/areas_320000.csv")}
    for r in rows:
        assert r["category"] in lead, r["slug"]
        assert r["unit_type"] == lead[r["category"]] and r["unit_type"] in unit_types, r["slug"]
        assert r["area_code"] in areas, r["slug"]
    assert {r["category"] for r in rows} == set(lead), "every catalogue category has an article"


def test_text_fields_and_lengths(rows):
    for r in rows:
        assert 2 <= len(r["title"]) <= 40 and CJK.search(r["title"]), r["slug"]
        assert 6 <= len(r["question"]) <= 80 and CJK.search(r["question"]), r["slug"]
        assert 80 <= len(r["answer"]) <= 300, (r["slug"], len(r["answer"]))
        assert r["basis_name"].startswith("《"), r["slug"]
        assert r["public"] in ("true", "false"), r["slug"]
        words = r["keywords"].split(" ")
        assert 3 <= len(words) <= 6 and all(words), r["slug"]
        assert all(v == v.strip() and "\n" not in v for v in r.values()), r["slug"]


def test_dates(rows):
    for r in rows:
        start = date.fromisoformat(r["effective_from"])
        assert date(2020, 1, 1) <= start <= date(2026, 12, 31), r["slug"]
        if r["expires_on"]:
            assert date.fromisoformat(r["expires_on"]) > start, r["slug"]


def test_demo_mix(rows):
    """Local articles and overrides, staff-only notes, expired and not-yet-effective ones are all present."""
    by_slug = {r["slug"]: r for r in rows}
    local = [r for r in rows if r["area_code"] != "320000"]
    assert len(local) >= 25 and {"320600", "320682"} <= {r["area_code"] for r in local}
    # a local override repeats a province article's topic: same category, slug = <prefix>-<province slug>
    overrides = [r for r in local
                 if (base := by_slug.get(r["slug"].split("-", 1)[1])) is not None
                 and base["area_code"] == "320000" and base["category"] == r["category"]]
    assert len(overrides) >= 8
    assert sum(r["public"] == "false" for r in rows) >= 10
    assert sum(bool(r["expires_on"]) and r["expires_on"] < "2026-01-01" for r in rows) >= 6
    assert sum(r["effective_from"] > "2026-12-06" for r in rows) >= 4


def test_topic_list_matches_articles(rows):
    lines = TOPICS.read_text(encoding="utf-8").splitlines()
    assert lines == [f"{r['slug']}\t{r['title']}" for r in rows]
