"""Working-day arithmetic against the 2026 State Council holiday notice."""
from datetime import date, datetime, timedelta, timezone

import pytest

from routing.calendar import (
    FIRST_DAY,
    LAST_DAY,
    PROVISIONAL_LAST_DAY,
    TZ,
    CalendarRangeError,
    add_working_days,
    add_working_time,
    covered_range,
    holiday_name,
    is_working_day,
    next_working_day,
    working_days_between,
    working_time_between,
)


def at(y, m, d, hh=0, mm=0, ss=0):
    """An Asia/Shanghai datetime."""
    return datetime(y, m, d, hh, mm, ss, tzinfo=TZ)


# 2026 notice: Spring Festival Feb 15-23 off, Sat Feb 14 and Sat Feb 28 worked;
# National Day + Mid-Autumn: Sep 25-27 and Oct 1-7 off, Sun Sep 20 and Sat Oct 10 worked.
SPRING_OFF = [date(2026, 2, d) for d in range(15, 24)]
NATIONAL_OFF = [date(2026, 10, d) for d in range(1, 8)]
MAKEUP_2026 = [date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28),
               date(2026, 5, 9), date(2026, 9, 20), date(2026, 10, 10)]


@pytest.mark.parametrize("day", SPRING_OFF + NATIONAL_OFF)
def test_statutory_holidays_are_not_working_days(day):
    assert not is_working_day(day)


@pytest.mark.parametrize("day", MAKEUP_2026)
def test_makeup_weekend_days_are_working_days(day):
    assert day.weekday() >= 5
    assert is_working_day(day)


def test_makeup_days_are_named_after_their_holiday():
    assert holiday_name(date(2026, 2, 14)) == "Spring Festival"
    assert holiday_name(date(2026, 10, 10)) == "National Day"
    assert holiday_name(date(2026, 11, 23)) is None


def test_plain_weekday_and_weekend():
    assert is_working_day(date(2026, 11, 23))  # Monday
    assert not is_working_day(date(2026, 11, 22))  # Sunday


def test_datetime_is_judged_by_shanghai_date():
    # 2026-02-13 17:00 UTC is 2026-02-14 01:00 in Shanghai: a make-up Saturday.
    assert is_working_day(datetime(2026, 2, 13, 17, tzinfo=timezone.utc))


def test_next_working_day_skips_spring_festival():
    assert next_working_day(date(2026, 2, 14)) == date(2026, 2, 24)


def test_add_working_days_counts_from_next_day_to_end_of_day():
    assert add_working_days(at(2026, 11, 23, 10), 1) == at(2026, 11, 24, 23, 59, 59)
    assert add_working_days(at(2026, 11, 20, 16), 5) == at(2026, 11, 27, 23, 59, 59)


def test_add_working_days_across_national_day_and_makeup_saturday():
    # Sep 30 + 5: Oct 8, 9, 10 (make-up Saturday), 12, 13.
    assert add_working_days(at(2026, 9, 30, 10), 5) == at(2026, 10, 13, 23, 59, 59)


def test_add_working_days_across_spring_festival():
    # Feb 13 (Fri) + 3: Feb 14 (make-up Saturday), Feb 24, Feb 25.
    assert add_working_days(at(2026, 2, 13, 9), 3) == at(2026, 2, 25, 23, 59, 59)


def test_add_zero_working_days_is_identity_and_negative_rejected():
    start = at(2026, 11, 23, 10)
    assert add_working_days(start, 0) == start
    with pytest.raises(ValueError):
        add_working_days(start, -1)


def test_result_is_shanghai_aware_from_utc_input():
    result = add_working_days(datetime(2026, 11, 23, 2, tzinfo=timezone.utc), 1)
    assert result.tzinfo is TZ and result == at(2026, 11, 24, 23, 59, 59)


def test_naive_datetime_rejected():
    with pytest.raises(ValueError, match="naive"):
        add_working_days(datetime(2026, 11, 23, 10), 1)


def test_working_days_between_inverts_add_working_days():
    start = at(2026, 9, 30, 10)
    for n in range(0, 25):
        assert working_days_between(start, add_working_days(start, n)) == n
    assert working_days_between(date(2026, 10, 13), date(2026, 9, 30)) == -5


def test_working_time_skips_holidays_and_counts_makeup_days():
    # Fri Oct 9 12:00 -> Mon Oct 12 12:00: 12h Fri + 24h Sat (make-up) + 12h Mon.
    assert working_time_between(at(2026, 10, 9, 12), at(2026, 10, 12, 12)) == timedelta(hours=48)
    assert working_time_between(at(2026, 10, 1), at(2026, 10, 8)) == timedelta(0)
    assert working_time_between(at(2026, 10, 9), at(2026, 10, 8)) == timedelta(0)


def test_add_working_time_jumps_over_holiday():
    assert add_working_time(at(2026, 9, 30, 20), timedelta(hours=6)) == at(2026, 10, 8, 2)
    assert add_working_time(at(2026, 10, 3, 12), timedelta(hours=1)) == at(2026, 10, 8, 1)


def test_covered_range_matches_package():
    assert covered_range() == (FIRST_DAY, LAST_DAY)
    assert FIRST_DAY.year <= 2026 <= LAST_DAY.year
    assert LAST_DAY == date(LAST_DAY.year, 12, 31)


def test_out_of_range_date_raises_with_covered_range():
    beyond = date(PROVISIONAL_LAST_DAY.year + 1, 1, 4)
    with pytest.raises(CalendarRangeError) as err:
        is_working_day(beyond)
    assert LAST_DAY.isoformat() in str(err.value) and FIRST_DAY.isoformat() in str(err.value)
    assert PROVISIONAL_LAST_DAY.isoformat() in str(err.value)
    with pytest.raises(CalendarRangeError):
        is_working_day(date(FIRST_DAY.year - 1, 6, 1))


def test_arithmetic_running_past_the_provisional_years_raises():
    with pytest.raises(CalendarRangeError):
        add_working_days(datetime.combine(PROVISIONAL_LAST_DAY, datetime.min.time(), TZ), 5)
