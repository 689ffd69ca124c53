"""The split on harder requests (routing/data/split_hard_cases.csv, written by another session for #18):
police words inside ordinary matters, negations, dialect, long web messages, disputes turned violent.

The rules were tuned on this file after a first run (docs/linkage.md gives the first-run figures),
so these thresholds guard against regressions; they do not measure unseen phrasing.
"""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from routing.split import decide_split, load_split_model

HARD = Path(__file__).resolve().parents[2] / "routing" / "data" / "split_hard_cases.csv"


@pytest.fixture(scope="module")
def model():
    return load_split_model()


def test_hard_cases_police_recall_and_exact_disposition(model):
    with HARD.open(encoding="utf-8", newline="") as fh:
        rows = [(r["text"], r["disposition"]) for r in csv.DictReader(fh)]
    pairs = [(e, decide_split(t, model=model).disposition.value) for t, e in rows]
    police = [g for e, g in pairs if e != "12345"]
    assert sum(g != "12345" for g in police) / len(police) >= 0.98
    assert sum(e == g for e, g in pairs) / len(pairs) >= 0.95


@pytest.mark.parametrize("text,expected", [
    # a scuffle or a raised weapon inside a dispute over a government matter: police first, the matter dispatched
    ("楼上漏水到我家好几次了，今天上去理论，两家吵起来动了手，我老公脸被抓破了，物业也不管漏水。", "joint"),
    ("我们单元因为加装电梯闹矛盾，今天施工，一楼的人拿着菜刀出来拦，说谁动就砍谁。", "joint"),
    ("出租车司机绕路多收钱，我不给，他把车门锁了不让我下车，出租车绕路的事也要投诉。", "joint"),
    # a weapon that has hurt someone, with no matter asked for: 110's alone
    ("两家因为院墙边界争了很久，今天他们拿着锄头来拆墙，我爸上去拦，被锄头打到了头", "110"),
    ("有人拿着刀在小区门口追砍路人，已经有人受伤流血倒在地上了", "110"),
    # crimes reported now, however they were discovered
    ("有人用我的身份信息在网上贷款了，今天查征信才发现有三笔我没借过的贷款。", "110"),
    ("我爸接到电话说他的社保卡涉嫌违法，让他去宾馆开个房间接受远程审查，他已经去了，手机也不接了。", "110"),
    ("我在商场里和孩子走散了，孩子五岁，已经找了半个小时了。", "110"),
    # over, contained, asked about, or a near miss: 12345
    ("家里的插座刚才冒了火花，我把总闸拉了，现在没事了，想请电工来看看。", "12345"),
    ("小区有个井盖丢了，晚上很危险，已经有人差点掉下去，还好没受伤。", "12345"),
    ("请问被家暴了能去哪里申请人身安全保护令？我已经离开那个家半年了，现在很安全。", "12345"),
    ("想问一下，走失的宠物狗能不能登记在哪个平台上寻找？", "12345"),
    ("上个月我们楼里有家着火了，消防来灭了，现在楼道的电线都烧坏了，还没人来修。", "12345"),
    ("这两天有陌生人打电话说我涉嫌洗钱，让我配合调查，我没理他，想问问怎么举报这种号码", "12345"),
])
def test_framing_patterns(text, expected, model):
    assert decide_split(text, model=model).disposition.value == expected
