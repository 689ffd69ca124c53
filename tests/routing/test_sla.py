"""Time-limit policy, deadlines, pauses, extensions and the elapsed fraction."""
from datetime import datetime

import pytest

from models.enums import Urgency
from routing.calendar import TZ
from routing.sla import (
    Deadlines,
    ExtensionError,
    PolicyError,
    Unit,
    deadlines,
    elapsed_fraction,
    load_policy,
    parse_policy,
    time_at_fraction,
    validate_extension,
)


def at(y, m, d, hh=0, mm=0, ss=0):
    """An Asia/Shanghai datetime."""
    return datetime(y, m, d, hh, mm, ss, tzinfo=TZ)


EOD = (23, 59, 59)


@pytest.fixture(scope="module")
def policy():
    return load_policy()


def test_default_table_covers_every_urgency_and_class(policy):
    assert policy.classes == ["consult", "simple", "ordinary", "complex"]
    for u in Urgency:
        for c in policy.classes:
            row = policy.limits(u, c)
            assert row.urgency is u and row.class_label
    ordinary = policy.limits("normal", "ordinary")
    assert (ordinary.handle.amount, ordinary.handle.unit) == (5, Unit.WORKING_DAYS)
    assert policy.limits("normal", "complex").handle.amount == 15
    assert ordinary.max_extension_days == 10
    emergency = policy.limits("emergency", "ordinary")
    assert (emergency.handle.amount, emergency.handle.unit) == (24, Unit.HOURS)


def test_unknown_row_raises(policy):
    with pytest.raises(PolicyError):
        policy.limits("normal", "nonexistent")
    with pytest.raises(PolicyError):
        policy.limits("whenever", "ordinary")


HEADER = "urgency,category_class,sign_limit,sign_unit,handle_limit,handle_unit,max_extension_days,return_window_hours\n"


def test_parse_rejects_bad_tables():
    good = [f"{u},x,1,hours,2,working_days,1,1\n" for u in ("normal", "urgent", "emergency")]
    assert parse_policy([HEADER, *good]).limits("urgent", "x").sign.unit is Unit.HOURS
    with pytest.raises(PolicyError, match="missing"):
        parse_policy([HEADER, good[0]])
    with pytest.raises(PolicyError, match="duplicate"):
        parse_policy([HEADER, *good, good[0]])
    with pytest.raises(PolicyError):
        parse_policy([HEADER, "normal,x,1,fortnights,2,working_days,1,1\n", *good[1:]])
    with pytest.raises(PolicyError, match="whole"):
        parse_policy([HEADER, "normal,x,1,hours,2.5,working_days,1,1\n", *good[1:]])


def test_normal_ordinary_deadlines(policy):
    d = deadlines(at(2026, 11, 20, 16), "normal", "ordinary", policy)
    assert d == Deadlines(sign_by=at(2026, 11, 23, *EOD), reply_by=at(2026, 11, 27, *EOD))
    assert not d.paused


def test_deadline_spans_national_day(policy):
    d = deadlines(at(2026, 9, 30, 10), "normal", "ordinary", policy)
    assert d.reply_by == at(2026, 10, 13, *EOD)
    assert d.sign_by == at(2026, 10, 8, *EOD)


def test_hour_limits_are_calendar_hours(policy):
    d = deadlines(at(2026, 10, 2, 22), Urgency.EMERGENCY, "simple", policy)
    assert d.sign_by == at(2026, 10, 2, 23)
    assert d.reply_by == at(2026, 10, 3, 22)


def test_closed_pause_shifts_by_paused_working_time(policy):
    start = at(2026, 11, 2, 10)  # Monday; 5 WD -> Mon Nov 9 end of day
    # Paused Fri 12:00 -> Mon 12:00: 12h + 12h of working time (weekend free).
    pauses = [(at(2026, 11, 6, 12), at(2026, 11, 9, 12))]
    d = deadlines(start, "normal", "ordinary", policy, pauses=pauses)
    assert d.reply_by == at(2026, 11, 10, 23, 59, 59)


def test_pause_over_holiday_costs_nothing(policy):
    start = at(2026, 9, 28, 9)
    base = deadlines(start, "normal", "ordinary", policy).reply_by
    paused = deadlines(start, "normal", "ordinary", policy, pauses=[(at(2026, 10, 1), at(2026, 10, 8))])
    assert paused.reply_by == base


def test_pause_on_hours_limit_shifts_by_calendar_time(policy):
    start = at(2026, 11, 21, 8)  # Saturday
    pauses = [(at(2026, 11, 21, 10), at(2026, 11, 21, 13))]
    d = deadlines(start, "emergency", "ordinary", policy, pauses=pauses)
    assert d.reply_by == at(2026, 11, 22, 11)


def test_open_pause_stops_the_clock_and_resume_restarts_it(policy):
    start = at(2026, 11, 2, 10)
    open_ = deadlines(start, "normal", "ordinary", policy, pauses=[(at(2026, 11, 4, 9), None)])
    assert open_.paused and open_.reply_by is None
    assert open_.sign_by == at(2026, 11, 3, *EOD)
    resumed = deadlines(start, "normal", "ordinary", policy, pauses=[(at(2026, 11, 4, 9), at(2026, 11, 5, 9))])
    assert resumed.reply_by == at(2026, 11, 10, *EOD)


def test_overlapping_pauses_are_merged(policy):
    start = at(2026, 11, 2, 10)
    pauses = [(at(2026, 11, 4, 9), at(2026, 11, 5, 9)), (at(2026, 11, 4, 21), at(2026, 11, 5, 9))]
    d = deadlines(start, "normal", "ordinary", policy, pauses=pauses)
    assert d.reply_by == at(2026, 11, 10, *EOD)


def test_pause_opened_after_deadline_does_not_rescue(policy):
    start = at(2026, 11, 2, 10)
    late = [(at(2026, 11, 12, 9), None)]
    assert deadlines(start, "normal", "ordinary", policy, pauses=late).reply_by == at(2026, 11, 9, *EOD)


def test_extension_moves_deadline_by_working_days(policy):
    start = at(2026, 9, 24, 10)  # Thursday before Mid-Autumn/National Day
    base = deadlines(start, "normal", "ordinary", policy).reply_by
    assert base == at(2026, 10, 9, *EOD)  # Sep 25-27 and Oct 1-7 off; Sep 28-30, Oct 8, 9
    extended = deadlines(start, "normal", "ordinary", policy, extensions_days=2)
    assert extended.reply_by == at(2026, 10, 12, *EOD)  # Oct 10 is a make-up Saturday


def test_extension_on_hours_limit(policy):
    d = deadlines(at(2026, 11, 20, 10), "urgent", "consult", policy, extensions_days=1)
    assert d.reply_by == at(2026, 11, 23, *EOD)


def test_extension_and_pause_combine(policy):
    start = at(2026, 11, 2, 10)
    pauses = [(at(2026, 11, 4, 9), at(2026, 11, 5, 9))]
    d = deadlines(start, "normal", "ordinary", policy, pauses=pauses, extensions_days=3)
    assert d.reply_by == at(2026, 11, 13, *EOD)


def test_validate_extension(policy):
    row = policy.limits("normal", "ordinary")
    assert validate_extension(5, 0, row) == 5
    assert validate_extension(5, 5, row) == 10
    with pytest.raises(ExtensionError, match="at most 10"):
        validate_extension(6, 5, row)
    with pytest.raises(ExtensionError):
        validate_extension(0, 0, row)
    with pytest.raises(ExtensionError):
        validate_extension(1, 0, policy.limits("emergency", "consult"))


def test_elapsed_fraction_on_working_clock():
    start, deadline = at(2026, 11, 23), at(2026, 11, 28)  # Mon 00:00 .. Sat 00:00 = 5 WD
    assert elapsed_fraction(at(2026, 11, 27), start, deadline) == pytest.approx(0.8)
    assert elapsed_fraction(at(2026, 11, 28, 12), start, deadline) == pytest.approx(1.0)
    assert elapsed_fraction(at(2026, 11, 30, 12), start, deadline) > 1.0
    assert elapsed_fraction(at(2026, 11, 20), start, deadline) == 0.0


def test_elapsed_fraction_excludes_pauses():
    start, deadline = at(2026, 11, 23), at(2026, 12, 1)  # 6 WD incl. one paused day
    pauses = [(at(2026, 11, 24), at(2026, 11, 25))]
    assert elapsed_fraction(at(2026, 11, 25), start, deadline, pauses) == pytest.approx(0.2)
    assert elapsed_fraction(at(2026, 11, 24, 12), start, deadline, pauses) == pytest.approx(0.2)


def test_elapsed_fraction_calendar_hours():
    start, deadline = at(2026, 11, 21, 8), at(2026, 11, 22, 8)
    assert elapsed_fraction(at(2026, 11, 22, 2), start, deadline, unit="hours") == pytest.approx(0.75)


def test_time_at_fraction_is_inverse_of_elapsed_fraction(policy):
    start = at(2026, 9, 28, 9)
    pauses = [(at(2026, 9, 29, 9), at(2026, 9, 30, 9))]
    deadline = deadlines(start, "normal", "ordinary", policy, pauses=pauses).reply_by
    warn = time_at_fraction(start, deadline, pauses, 0.8)
    assert elapsed_fraction(warn, start, deadline, pauses) == pytest.approx(0.8)
    assert elapsed_fraction(deadline, start, deadline, pauses) == pytest.approx(1.0)
    assert time_at_fraction(start, deadline, pauses, 1.0) == deadline
