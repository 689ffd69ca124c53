"""Pure decisions of the dispute desk: types, risk, assignment, deadlines, the state machine."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from models.enums import CaseStatus, RiskLevel, Role
from routing.address import load_areas
from routing.disputes import catalogue, deadlines, network, risk, workflow
from routing.disputes.risk import Facts

TZ = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("text, code", [
    ("楼上邻居家卫生间漏水到我家，协商多次不给修", "neighbour"),
    ("老板拖欠我们三个月工资不发", "labour"),
    ("物业公司乱收物业费，小区电梯坏了也不修", "property"),
    ("两家因为宅基地地界问题吵了好几年", "land"),
    ("丈夫要离婚，孩子抚养权谈不拢", "family"),
    ("电动车和轿车刮擦，对方不肯赔", "traffic"),
    ("在医院做完手术后感染，医院不承认责任", "medical"),
    ("健身房倒闭了预付卡不退款", "consumer"),
    ("说不清楚的事情", "other"),
])
def test_classify_dispute_type(text, code):
    assert catalogue.classify(text)[0] == code


@pytest.mark.parametrize("text, facts, level", [
    ("楼上邻居装修噪音大，协商未果", Facts(), RiskLevel.LOW),
    ("邻居两家因为漏水多次争吵，互相辱骂", Facts(), RiskLevel.MEDIUM),
    ("两人喝酒后因为停车位打了起来", Facts(), RiskLevel.HIGH),
    ("对方扬言要报复，说不让他好过", Facts(), RiskLevel.HIGH),
    ("男子拿着菜刀扬言要砍死邻居", Facts(), RiskLevel.MAJOR),
    ("欠薪工人扬言要跳楼", Facts(), RiskLevel.HIGH),
    ("几十名工人聚集在公司门口讨薪拉横幅", Facts(people=40), RiskLevel.MAJOR),
    ("双方没有动手，也没有人受伤，只是有些口角", Facts(), RiskLevel.LOW),
    ("邻里噪音纠纷", Facts(repeat_calls=3), RiskLevel.HIGH),
    ("邻里噪音纠纷", Facts(repeat_calls=1), RiskLevel.MEDIUM),
])
def test_risk_levels(text, facts, level):
    r = risk.score(text, facts)
    assert r.level is level, r
    assert (r.reasons != ()) == (level is not RiskLevel.LOW or bool(r.reasons))


def test_risk_gives_reasons_with_evidence():
    r = risk.score("喝醉后持刀威胁邻居")
    codes = {x.code for x in r.reasons}
    assert {"drinking", "weapon", "threat"} <= codes and r.level is RiskLevel.MAJOR
    assert all(x.evidence for x in r.reasons)
    assert risk.needs_alert(r.level) and not risk.needs_alert(RiskLevel.MEDIUM)


def test_model_probability_lifts_a_quiet_case():
    assert risk.score("两家有点矛盾", Facts(police_p=0.9)).level is RiskLevel.MEDIUM


@pytest.fixture(scope="module")
def orgs():
    written = network.read_orgs()
    return written + network.generated_orgs(load_areas(), written)


def test_neighbour_dispute_goes_to_the_community_committee(orgs):
    t = catalogue.load_types()["neighbour"]
    a = network.assign(orgs, t, county="320682", city="320600", address="如皋市如城街道海阳社区12幢")
    assert a.lead.name == "海阳社区人民调解委员会"


def test_high_risk_starts_at_the_town_with_the_community_helping(orgs):
    t = catalogue.load_types()["neighbour"]
    a = network.assign(orgs, t, county="320682", city="320600", address="如城街道海阳社区", risk="high")
    assert a.lead.name == "如城街道人民调解委员会"
    assert "海阳社区人民调解委员会" in [o.name for o in a.supports]


def test_property_dispute_led_by_the_property_committee(orgs):
    t = catalogue.load_types()["property"]
    a = network.assign(orgs, t, county="320682", city="320600", address="如城街道龙游社区")
    assert a.lead.code == "320682-property" and a.supports[0].name == "龙游社区人民调解委员会"


def test_medical_dispute_goes_to_the_city_committee_and_generated_counties_have_a_centre(orgs):
    types = catalogue.load_types()
    assert network.assign(orgs, types["medical"], county="320682", city="320600", address="").lead.code \
        == "320600-medical"
    a = network.assign(orgs, types["neighbour"], county="320102", city="320100", address="玄武区某小区")
    assert a.lead.code == "320102-centre" and a.lead.mediators


def test_next_tier_for_listing(orgs):
    by = {o.code: o for o in orgs}
    up = network.above(orgs, by["320682-rucheng-haiyang"], county="320682", city="320600",
                       address="如城街道海阳社区", dtype="neighbour")
    assert up.code == "320682-rucheng" and up.leader.startswith("如城街道")
    assert network.above(orgs, up, county="320682", city="320600", address="如城街道",
                         dtype="neighbour").code == "320682-centre"


def test_ladder_on_working_days():
    start = datetime(2026, 6, 1, 9, tzinfo=TZ)  # Monday
    lad = deadlines.ladder(start, 20)
    assert lad.due.date().isoformat() == "2026-06-30"  # 端午 (6-19) is a holiday
    assert lad.at["warn"] < lad.due < lad.at["list"]
    assert lad.pending((), lad.due) == ["warn", "chase"]
    assert lad.next_at(("warn", "chase")) == lad.at["list"]


def test_state_machine_and_transition_table():
    assert workflow.apply("new", "accept", "agent") is CaseStatus.ACCEPTED
    with pytest.raises(workflow.CaseTransitionError) as e:
        workflow.apply("new", "settle", "mediator")
    assert "terminate" in e.value.allowed and "settle" not in e.value.allowed
    assert "schedule_session" in workflow.allowed_actions("assigned", Role.MEDIATOR)
    from pathlib import Path
    sql = (Path(__file__).resolve().parents[2] / "migrations" / "0012_disputes.sql").read_text()
    assert workflow.transitions_sql() in sql
    assert workflow.settle_target(True) is CaseStatus.REVIEWING
