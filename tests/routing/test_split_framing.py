"""The 12345–110 split judged on framing: now vs past, question vs report, hazard vs injury.

The case files are separate from the split corpus and from split_cases.csv:
split_framing_cases.csv was written before the framing rules (routing/split_framing.py),
split_fresh_cases.csv after them and run once before any further change (docs/linkage.md).
"""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from models.enums import Disposition
from routing.split import decide_split, load_split_model

DATA = Path(__file__).resolve().parent / "data"


def load(name: str) -> list[tuple[str, str]]:
    """(text, expected) rows of one case file."""
    with (DATA / name).open(encoding="utf-8", newline="") as fh:
        return [(r["text"], r["expected"]) for r in csv.DictReader(fh)]


@pytest.fixture(scope="module")
def model():
    return load_split_model()


@pytest.mark.parametrize("name", ["split_framing_cases.csv", "split_fresh_cases.csv", "split_cases.csv"])
def test_police_recall_and_exact_disposition(name, model):
    """Police recall >= 0.98 and exact disposition >= 0.95 on every held-out table."""
    pairs = [(e, decide_split(t, model=model).disposition.value) for t, e in load(name)]
    police = [g for e, g in pairs if e != "12345"]
    assert sum(g != "12345" for g in police) / len(police) >= 0.98
    assert sum(e == g for e, g in pairs) / len(pairs) >= 0.95


@pytest.mark.parametrize("text,expected", [
    ("我现在正在和自称警察的人通话，他让我把钱转到安全账户，卡里的钱一笔一笔被划走", "110"),
    ("上个月在网上刷单被骗了八千，当时没报警，现在想报案", "110"),
    ("请问家里老人走失多久才可以报警，是不是要满二十四小时", "12345"),
    ("取暖器刚才冒了一下烟，我拔掉了插头，没有着火，想问产品质量问题找谁", "12345"),
    ("老板欠我三个月工资，我去要，他说再来就报警抓我", "12345"),
    ("想申请工伤认定，去年在车间受伤了手指骨折，厂里不认", "12345"),
    ("小区门口车速太快，希望装个减速带", "12345"),
    ("楼上漏水找他理论，他推了我一把把我推倒了，现在还堵在门口骂", "joint"),
])
def test_framing_decides_not_single_words(text, expected, model):
    """The issue's patterns, with the shipped model."""
    assert decide_split(text, model=model).disposition.value == expected


def test_low_model_probability_and_one_word_in_a_question_stays_on_12345(model):
    """One rule word in a question the model reads as civil is kept for review, not sent to 110."""
    d = decide_split("想咨询一下，遇到有人偷电瓶应该怎么防范，能不能多装监控", model=model)
    assert d.disposition is Disposition.HOTLINE


def test_others_threatening_police_is_masked():
    """The boss's 'I will call the police' is not the caller's 报警 (rules only)."""
    d = decide_split("包工头欠我们工钱，我们去要，经理扬言要叫警察把我们赶走")
    assert d.disposition is Disposition.HOTLINE and "紧急求助" not in d.reasons
