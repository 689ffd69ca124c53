"""The rectification ladder of a valid bad review (整改预警 → 整改催办), pure."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from routing.calendar import add_working_days
from routing.escalation import StepCode, rectification_due
from routing.sla import time_at_fraction

TZ = ZoneInfo("Asia/Shanghai")
RULED = datetime(2026, 11, 2, 10, 0, tzinfo=TZ)   # a Monday, no holiday in the following weeks
DUE = add_working_days(RULED, 5)                    # the end of the fifth working day


def test_warning_at_four_fifths_of_the_working_time_then_chase_at_the_deadline():
    assert DUE == datetime(2026, 11, 9, 23, 59, 59, tzinfo=TZ)
    steps, nxt = rectification_due(RULED, DUE, [], "county", RULED)
    # 80 % of the working time (weekend excluded): Friday evening, not Sunday
    assert steps == [] and nxt == time_at_fraction(RULED, DUE, (), 0.8, "working_days")
    assert nxt.date().isoformat() == "2026-11-06"
    steps, nxt = rectification_due(RULED, DUE, [], "county", nxt)
    assert [s.code for s in steps] == [StepCode.WARN] and steps[0].label == "整改预警" and nxt == DUE
    steps, nxt = rectification_due(RULED, DUE, ["warn"], "county", DUE)
    assert [(s.code, s.label) for s in steps] == [(StepCode.CHASE, "整改催办")] and nxt is None
    assert rectification_due(RULED, DUE, ["warn", "chase"], "county", DUE) == ([], None)


def test_a_sweep_that_comes_late_chases_without_the_stale_warning():
    steps, nxt = rectification_due(RULED, DUE, [], "city", datetime(2026, 11, 20, tzinfo=TZ))
    assert [s.code for s in steps] == [StepCode.CHASE] and nxt is None
    assert steps[0].tier.value == "city" and steps[0].at == DUE
