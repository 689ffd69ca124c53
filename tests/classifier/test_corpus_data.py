"""File checks on the hand-written web-message corpus, the 7-label fold and the split hard cases.

Pure reads of the shipped CSVs: they parse, their labels are valid, the fold covers the
catalogue, texts have the lengths of real board messages, no text appears twice, and each
label keeps enough rows to be measured on.
"""
import csv
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "routing" / "data" / "catalogue.csv"
FOLD = ROOT / "classifier" / "data" / "fold7.csv"
WEB = ROOT / "classifier" / "data" / "web_messages.csv"
SPLIT = ROOT / "routing" / "data" / "split_hard_cases.csv"

LABELS7 = {"城乡建设", "环境保护", "交通运输", "教育文体", "劳动和社会保障", "商贸旅游", "卫生计生"}
DISPOSITIONS = {"12345", "110", "joint"}
MIN_WEB, MIN_PER_LABEL7 = 700, 80
MIN_SPLIT = 250
# Shares of the split set (target about 45 / 35 / 20 %), with slack either way.
SPLIT_SHARES = {"12345": (0.38, 0.52), "110": (0.28, 0.42), "joint": (0.14, 0.26)}
CJK = re.compile(r"[\u4e00-\u9fff]")


def _read(path: Path, header: list[str]) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == header, f"{path.name}: header {reader.fieldnames}"
        rows = list(reader)
    for number, row in enumerate(rows, start=2):
        assert None not in row and all(v is not None for v in row.values()), f"{path.name}:{number} column count"
    return rows


@pytest.fixture(scope="module")
def catalogue() -> set[str]:
    with CATALOGUE.open(encoding="utf-8", newline="") as fh:
        return {row["category"] for row in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def fold() -> dict[str, str]:
    rows = _read(FOLD, ["category", "label7"])
    categories = [row["category"] for row in rows]
    assert len(categories) == len(set(categories)), "a category folded twice"
    return {row["category"]: row["label7"] for row in rows}


@pytest.fixture(scope="module")
def web() -> list[dict]:
    return _read(WEB, ["text", "category", "label7"])


@pytest.fixture(scope="module")
def split() -> list[dict]:
    return _read(SPLIT, ["text", "disposition", "note"])


def test_fold_covers_every_catalogue_category_with_a_valid_label(catalogue, fold):
    assert set(fold) == catalogue
    assert set(fold.values()) <= LABELS7
    assert set(fold.values()) == LABELS7, "every label reached by some category"


def test_web_messages_labels_are_catalogue_categories_and_their_fold(web, catalogue, fold):
    for number, row in enumerate(web, start=2):
        assert row["category"] in catalogue, f"line {number}: {row['category']}"
        assert row["label7"] == fold[row["category"]], f"line {number}: label7 is not the fold"


def test_web_messages_have_board_lengths(web):
    for number, row in enumerate(web, start=2):
        text = row["text"]
        assert text == text.strip() and "\n" not in text, f"line {number}: stray whitespace"
        assert 80 <= len(text) <= 400, f"line {number}: {len(text)} characters"
        assert len(CJK.findall(text)) >= 70, f"line {number}: too little Chinese text"


def test_web_messages_are_long_on_average_and_varied_in_length(web):
    lengths = sorted(len(row["text"]) for row in web)
    assert lengths[len(lengths) // 2] >= 110, "median message too short for a web board"
    assert sum(n >= 180 for n in lengths) >= len(lengths) // 20, "too few long, several-matter messages"
    assert lengths[-1] - lengths[0] >= 200, "lengths should vary"


def test_web_messages_have_no_duplicate_texts(web):
    dupes = [t for t, n in Counter(row["text"] for row in web).items() if n > 1]
    assert not dupes, dupes[:3]


def test_web_messages_balance_across_the_seven_labels(web):
    counts = Counter(row["label7"] for row in web)
    assert len(web) >= MIN_WEB
    assert set(counts) == LABELS7
    assert min(counts.values()) >= MIN_PER_LABEL7, counts


def test_web_messages_do_not_start_alike(web):
    openings = Counter(row["text"][:6] for row in web)
    assert openings.most_common(1)[0][1] <= len(web) // 10, openings.most_common(3)


def test_split_cases_parse_with_valid_dispositions_and_notes(split):
    for number, row in enumerate(split, start=2):
        assert row["disposition"] in DISPOSITIONS, f"line {number}: {row['disposition']}"
        assert len(row["text"].strip()) >= 8, f"line {number}: text too short"
        assert row["note"].strip(), f"line {number}: note missing"


def test_split_cases_have_no_duplicate_texts(split):
    dupes = [t for t, n in Counter(row["text"] for row in split).items() if n > 1]
    assert not dupes, dupes[:3]


def test_split_cases_keep_their_mix(split):
    assert len(split) >= MIN_SPLIT
    counts = Counter(row["disposition"] for row in split)
    for disposition, (low, high) in SPLIT_SHARES.items():
        share = counts[disposition] / len(split)
        assert low <= share <= high, f"{disposition}: {share:.2f}"
