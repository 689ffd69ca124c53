"""Tests for the 12345–110 split (routing.split)."""
from __future__ import annotations

import csv
import dataclasses
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from models.enums import Disposition  # noqa: E402
from routing.split import SplitDecision, decide_split, load_split_model  # noqa: E402

CASES = Path(__file__).resolve().parent / "data" / "split_cases.csv"


def load_cases() -> list[tuple[str, str]]:
    """Held-out (text, expected) rows."""
    with CASES.open(encoding="utf-8", newline="") as fh:
        return [(r["text"], r["expected"]) for r in csv.DictReader(fh)]


@pytest.fixture(scope="module")
def model():
    """The shipped split model."""
    return load_split_model()


@pytest.fixture(scope="module")
def combined(model):
    """(expected, decided) for every case with rules + model."""
    return [(e, decide_split(t, model=model).disposition.value) for t, e in load_cases()]


@pytest.fixture(scope="module")
def rules_only():
    """(expected, decided) for every case with rules only."""
    return [(e, decide_split(t).disposition.value) for t, e in load_cases()]


def police_recall(pairs) -> float:
    """Share of 110/joint cases sent to 110 or joint."""
    pos = [g for e, g in pairs if e != "12345"]
    return sum(g != "12345" for g in pos) / len(pos)


def hotline_accuracy(pairs) -> float:
    """Share of 12345 cases kept on 12345."""
    neg = [g for e, g in pairs if e == "12345"]
    return sum(g == "12345" for g in neg) / len(neg)


def test_case_table_size():
    """The table has at least 60 cases per side and 25 joint cases."""
    counts = {k: sum(1 for _, e in load_cases() if e == k) for k in ("110", "12345", "joint")}
    assert counts["110"] + counts["joint"] >= 60 and counts["12345"] >= 60 and counts["joint"] >= 25


def test_police_recall_combined(combined):
    """Rules + model catch at least 97% of police and joint matters."""
    assert police_recall(combined) >= 0.97


def test_hotline_accuracy_combined(combined):
    """Rules + model keep at least 90% of 12345 matters on 12345."""
    assert hotline_accuracy(combined) >= 0.9


def test_hotline_accuracy_rules_only(rules_only):
    """Rules alone are precise: at least 90% of 12345 matters stay on 12345."""
    assert hotline_accuracy(rules_only) >= 0.9


def test_combining_beats_rules_alone_on_recall(combined, rules_only):
    """The model adds police recall on phrasings the lexicons miss."""
    assert police_recall(combined) > police_recall(rules_only)


@pytest.mark.parametrize("text,expected,reason", [
    ("刚刚在地铁上我的手机被偷了，小偷往出口跑了", "110", "盗窃"),
    ("有个男的拿着刀在菜市场门口追人", "110", "持械/凶器"),
    ("对面楼着火了，火很大", "110", "火情"),
    ("我五岁的儿子在超市里走丢了", "110", "人员走失/失联"),
    ("楼道里有很浓的煤气味", "joint", "燃气泄漏（联动燃气企业）"),
    ("有个喝醉的人躺在马路中间", "joint", "醉酒人员倒卧道路（联动救助）"),
    ("邻居家没拴绳的狗刚把我家孩子咬了", "joint", "犬只伤人（联动养犬管理/防疫）"),
    ("邻居因为停车位吵起来了，双方情绪激动，快要打起来了", "joint", "纠纷可能升级为冲突"),
])
def test_exact_cases(text, expected, reason):
    """Clear cases land where the rule says, with the matched signal as reason."""
    d = decide_split(text)
    assert d.disposition.value == expected
    assert reason in d.reasons


@pytest.mark.parametrize("text", [
    "小区停水了，也没有提前通知",
    "楼上装修太吵了，周末一大早就开始电钻",
    "公司拖欠我们三个月工资，想咨询怎么申请劳动仲裁",
    "路边有辆车违停，把我的车堵住了开不出去",
])
def test_ordinary_complaints_stay_on_12345(text, model):
    """Ordinary 双非 complaints stay on 12345 with and without the model."""
    assert decide_split(text).disposition is Disposition.HOTLINE
    assert decide_split(text, model=model).disposition is Disposition.HOTLINE


@pytest.mark.parametrize("text", [
    "我在小区里被一条狗追了一下，狗没咬到人，希望物业管管",
    "路口红绿灯坏了，我差点被车撞到，希望赶紧修",
    "担心楼道里飞线充电会着火，希望物业管一管",
    "燃气管道老化了，怕会漏气，想问什么时候改造",
])
def test_negation_and_hazard_framing(text):
    """Negated or merely feared signals do not send a call to 110."""
    assert decide_split(text).disposition is Disposition.HOTLINE


def test_time_framing_past_vs_now():
    """A past crime asked about is 12345; the same crime just now is 110."""
    assert decide_split("去年我的电动车被偷了，想问问案子有没有进展").disposition is Disposition.HOTLINE
    assert decide_split("刚刚我的电动车被偷了，就在楼下").disposition is Disposition.POLICE


def test_da_in_compounds_is_not_violence():
    """打 in 打电话/打扫/打车/打疫苗 is not an assault."""
    for text in ("物业打电话一直没人接", "保洁没有打扫楼道", "打车软件多收费", "想问问打疫苗要不要预约"):
        d = decide_split(text)
        assert d.disposition is Disposition.HOTLINE
        assert "人身伤害/殴打" not in d.reasons


def test_scam_consultation_without_loss_is_12345():
    """A suspected scam with no money lost is a consultation."""
    assert decide_split("接到电话说我医保卡冻结了，我没转钱，想问问是不是诈骗").disposition is Disposition.HOTLINE


def test_fraud_with_money_just_sent_is_110():
    """Money just transferred to a fraudster goes to 110."""
    assert decide_split("刚刚冒充客服的人让我转账，我转了五千，现在联系不上了").disposition is Disposition.POLICE


def test_rules_only_mode_returns_full_decision():
    """Without a model the decision is complete and the score bounded."""
    d = decide_split("有人在小区里打架")
    assert isinstance(d, SplitDecision)
    assert d.disposition is Disposition.POLICE and 0.0 <= d.police_score <= 1.0 and d.reasons
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.review = True  # type: ignore[misc]


def test_weak_rule_evidence_flags_review_in_rules_only_mode():
    """Weak, undamped police evidence keeps the call on 12345 but flags three-party review."""
    d = decide_split("房东威胁我，说不交钱就让我好看")
    assert d.disposition is Disposition.HOTLINE and d.review


def test_empty_text():
    """Empty text is a plain 12345 call."""
    d = decide_split("")
    assert d.disposition is Disposition.HOTLINE and not d.review and d.police_score == 0.0


def test_model_metadata(model):
    """The shipped model carries its tuned thresholds and classes."""
    assert model.metadata["classes"] == ["110", "12345", "joint"]
    assert 0 < model.review_threshold < model.police_threshold < 1
    assert set(model.probabilities("楼上太吵")) == {"110", "12345", "joint"}
