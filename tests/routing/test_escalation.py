"""The escalation ladder: each step once, in order, and tier raises."""
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from models.enums import Tier, Urgency
from routing.calendar import TZ, working_time_between
from routing.escalation import (
    EscalationInput,
    LadderError,
    StepCode,
    due_at,
    load_ladder,
    next_step,
    parse_ladder,
    schedule,
    supervising_tier,
    tier_above,
)
from routing.sla import deadlines, elapsed_fraction, load_policy


def at(y, m, d, hh=0, mm=0, ss=0):
    """An Asia/Shanghai datetime."""
    return datetime(y, m, d, hh, mm, ss, tzinfo=TZ)


POLICY = load_policy()
LADDER = load_ladder()
START = at(2026, 11, 2, 10)  # Monday
DEADLINE = at(2026, 11, 9, 23, 59, 59)  # 5 working days later


def ticket(tier=Tier.COUNTY, **kw):
    """A normal/ordinary ticket started on START at the given tier."""
    return EscalationInput(tier, Urgency.NORMAL, "ordinary", START, DEADLINE, **kw)


def take(state, step):
    """Record a taken step (as the sweep would)."""
    return replace(state, steps_taken=state.steps_taken | {step.code})


def test_default_ladder_order_and_labels():
    assert [r.code for r in LADDER.rungs] == ["warn", "chase", "supervise", "raise"]
    assert [r.label for r in LADDER.rungs] == ["预警", "催办", "督办", "提级"]
    assert StepCode.SUPERVISE.label == "督办"


def test_deadline_matches_policy():
    assert deadlines(START, "normal", "ordinary", POLICY).reply_by == DEADLINE


def test_schedule_times():
    times = {r.code: t for r, t in schedule(ticket(), LADDER, POLICY)}
    assert elapsed_fraction(times["warn"], START, DEADLINE) == pytest.approx(0.8)
    assert times["chase"] == DEADLINE
    assert times["supervise"] == at(2026, 11, 10, 23, 59, 59)  # +1 working day
    assert times["raise"] == at(2026, 11, 13, 23, 59, 59)  # +3 working days


def test_each_step_once_in_order():
    state = ticket()
    times = {r.code: t for r, t in schedule(state, LADDER, POLICY)}
    seen = []
    for code in ["warn", "chase", "supervise", "raise"]:
        assert due_at(state, LADDER, POLICY) == times[code]
        assert next_step(state, times[code] - timedelta(seconds=1), LADDER, POLICY) is None
        step = next_step(state, times[code], LADDER, POLICY)
        assert step.code == code
        assert next_step(take(state, step), times[code], LADDER, POLICY) is None
        seen.append(step.code)
        state = take(state, step)
    assert seen == ["warn", "chase", "supervise", "raise"]
    assert next_step(state, at(2026, 12, 31), LADDER, POLICY) is None
    assert due_at(state, LADDER, POLICY) is None


def test_who_acts():
    times = {r.code: t for r, t in schedule(ticket(), LADDER, POLICY)}
    chase = next_step(ticket(steps_taken=frozenset({StepCode.WARN})), times["chase"], LADDER, POLICY)
    assert chase.by_tier == Tier.COUNTY
    sup = next_step(ticket(steps_taken=frozenset({StepCode.CHASE})), times["supervise"], LADDER, POLICY)
    assert sup.by_tier == Tier.CITY and sup.new_tier is None


def test_late_sweep_skips_warning_but_not_chase():
    late = at(2026, 11, 12)  # after supervise is due, before raise
    step = next_step(ticket(), late, LADDER, POLICY)
    assert step.code == "chase"
    state = take(ticket(), step)
    assert next_step(state, late, LADDER, POLICY).code == "supervise"
    state = take(state, next_step(state, late, LADDER, POLICY))
    assert next_step(state, late, LADDER, POLICY) is None


def test_warning_sent_when_only_it_is_due():
    step = next_step(ticket(), at(2026, 11, 9, 12), LADDER, POLICY)
    assert step.code == "warn" and step.label == "预警"


def test_raise_county_to_city_to_province_with_new_deadline():
    state, now = ticket(Tier.COUNTY), at(2026, 11, 16, 9)
    path = [state.tier]
    for _ in range(3):
        for _ in range(4):
            step = next_step(state, now, LADDER, POLICY)
            if step is None:
                break
            state = take(state, step)
            if step.code == "raise":
                assert step.new_start == now
                assert step.new_deadline == deadlines(now, "normal", "ordinary", POLICY).reply_by
                assert step.by_tier == step.new_tier == tier_above(step.tier)
                state = EscalationInput(step.new_tier, state.urgency, state.category_class,
                                        step.new_start, step.new_deadline)
                path.append(state.tier)
                break
        now = schedule(state, LADDER, POLICY)[-1][1] + timedelta(days=1)
    assert path == [Tier.COUNTY, Tier.CITY, Tier.PROVINCE]


def test_province_cannot_be_raised_stays_supervised():
    state = ticket(Tier.PROVINCE)
    assert [r.code for r, _ in schedule(state, LADDER, POLICY)] == ["warn", "chase", "supervise"]
    much_later = at(2026, 12, 30)
    codes = []
    while (step := next_step(state, much_later, LADDER, POLICY)) is not None:
        codes.append(step.code)
        state = take(state, step)
    assert codes == ["chase", "supervise"]
    assert state.steps_taken == {StepCode.CHASE, StepCode.SUPERVISE}
    assert due_at(state, LADDER, POLICY) is None
    assert supervising_tier(Tier.PROVINCE) == Tier.PROVINCE


def test_street_raises_to_county():
    assert tier_above(Tier.STREET) == Tier.COUNTY
    assert tier_above(Tier.PROVINCE) is None


def test_paused_ticket_has_no_steps():
    state = replace(ticket(), pauses=((at(2026, 11, 5, 9), None),), deadline=None)
    assert due_at(state, LADDER, POLICY) is None
    assert next_step(state, at(2026, 12, 30), LADDER, POLICY) is None


def test_pauses_delay_the_warning():
    pauses = ((at(2026, 11, 3, 10), at(2026, 11, 4, 10)),)
    deadline = deadlines(START, "normal", "ordinary", POLICY, pauses=pauses).reply_by
    plain = due_at(ticket(), LADDER, POLICY)
    paused = due_at(replace(ticket(), deadline=deadline, pauses=pauses), LADDER, POLICY)
    assert working_time_between(plain, paused) == timedelta(days=1)  # Fri -> Mon: weekend is free


def test_hours_ticket_ladder_uses_calendar_clock():
    start = at(2026, 11, 21, 8)  # Saturday, emergency 24 h
    deadline = deadlines(start, "emergency", "simple", POLICY).reply_by
    state = EscalationInput(Tier.CITY, Urgency.EMERGENCY, "simple", start, deadline)
    times = {r.code: t for r, t in schedule(state, LADDER, POLICY)}
    assert times["warn"] == at(2026, 11, 22, 3, 12)
    assert times["chase"] == at(2026, 11, 22, 8)
    assert times["supervise"] == at(2026, 11, 24, 0)  # one working day of working time: all of Monday


def test_custom_ladder_periods():
    text = ["code,label,anchor,amount,unit,skip_if_late\n",
            "chase,催办,deadline,2,hours,false\n",
            "raise,提级,previous,1,working_days,false\n"]
    ladder = parse_ladder(text)
    times = {r.code: t for r, t in schedule(ticket(), ladder, POLICY)}
    assert times["chase"] == at(2026, 11, 10, 1, 59, 59)
    assert times["raise"] == at(2026, 11, 11, 1, 59, 59)


@pytest.mark.parametrize("rows", [
    ["supervise,督办,previous,1,working_days,false\n"],
    ["warn,预警,fraction,1.5,,true\n"],
    ["chase,催办,deadline,1,,false\n"],
    ["shout,喊,deadline,1,hours,false\n"],
    ["chase,催办,deadline,0,hours,false\n", "chase,催办,deadline,0,hours,false\n"],
    [],
])
def test_bad_ladders_rejected(rows):
    with pytest.raises(LadderError):
        parse_ladder(["code,label,anchor,amount,unit,skip_if_late\n", *rows])
