"""The provisional calendar for years the official holiday data does not cover yet (issue 20, item 2)."""
from __future__ import annotations

from datetime import date, datetime

import chinese_calendar
import pytest

from routing import calendar as cal
from routing import clock

YEAR = cal.LAST_DAY.year + 1


def at(y, m, d, hh=0, mm=0, ss=0):
    return datetime(y, m, d, hh, mm, ss, tzinfo=cal.TZ)


@pytest.mark.parametrize("year", [2025, 2026])
def test_statutory_days_are_official_holidays_under_the_2025_rules(year):
    """The law's days (and the 补假 for those on weekends), computed from the lunar calendar and the
    清明 solar term, are all days off in the State Council's notices of the years the rules applied."""
    days = cal.statutory_days(year)
    names = {n for n in days.values()}
    assert names == {"元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"}
    assert sum(1 for n in days.values() if n == "春节") >= 4 and sum(1 for n in days.values() if n == "国庆节") >= 3
    not_off = [d for d in days if not chinese_calendar.is_holiday(d)]
    assert not_off == []


def test_2027_statutory_days():
    days = cal.statutory_days(2027)
    # 除夕 Fri Feb 5 and 初一 to 初三 (Sat–Mon): two fell on the weekend, made up Tue and Wed.
    assert [d for d, n in sorted(days.items()) if n == "春节"] == [date(2027, 2, d) for d in range(5, 11)]
    assert days[date(2027, 4, 5)] == "清明节"
    assert days[date(2027, 6, 9)] == "端午节" and days[date(2027, 9, 15)] == "中秋节"
    assert days[date(2027, 1, 1)] == "元旦" and date(2027, 1, 4) not in days
    assert [d for d, n in sorted(days.items()) if n == "劳动节"] == [date(2027, 5, d) for d in range(1, 5)]


def test_uncovered_year_is_provisional_statutory_days_and_weekends():
    if cal.LAST_DAY.year >= 2027:
        pytest.skip("the official data already covers 2027")
    assert cal.is_provisional(date(2027, 1, 4)) and not cal.is_provisional(date(2026, 12, 31))
    assert not cal.is_working_day(date(2027, 1, 1))       # 元旦, a Friday
    assert not cal.is_working_day(date(2027, 1, 2))       # a plain Saturday: no 调休 known
    assert cal.is_working_day(date(2027, 1, 4))
    assert not cal.is_working_day(date(2027, 2, 9))       # 补假 for 春节 days on the weekend
    assert cal.holiday_name(date(2027, 2, 6)) == "春节"


def test_ten_day_extension_across_the_year_end_is_computed():
    if cal.LAST_DAY.year >= 2027:
        pytest.skip("the official data already covers 2027")
    # The ticket due 2026-12-22 of the issue: ten working days later, skipping 元旦 and two weekends.
    assert cal.add_working_days(at(2026, 12, 22, 23, 59, 59), 10) == at(2027, 1, 6, 23, 59, 59)


def test_clock_past_the_official_data_is_marked_provisional():
    inside = clock.compute(at(cal.LAST_DAY.year, 3, 2, 9), "normal", "ordinary", "county")
    assert not inside.provisional and not inside.error
    across = clock.compute(at(cal.LAST_DAY.year, 12, 20, 9), "normal", "complex", "county")
    assert across.provisional and not across.error and cal.is_provisional(across.reply_by)


def test_reload_extra_makes_a_year_official(tmp_path):
    path = tmp_path / "extra.csv"
    path.write_text(f"date,kind,name\n{YEAR}-01-01,holiday,元旦\n{YEAR}-01-04,holiday,测试假日\n", encoding="utf-8")
    try:
        assert cal.reload_extra(path) is True
        assert cal.covered_range()[1] == date(YEAR, 12, 31) and not cal.is_provisional(date(YEAR, 1, 4))
        assert not cal.is_working_day(date(YEAR, 1, 4))
        assert cal.reload_extra(path) is False                # same data: nothing changed
    finally:
        cal.reload_extra(tmp_path / "none.csv")
    assert cal.covered_range()[1] == cal.PACKAGE_LAST_DAY and cal.is_provisional(date(YEAR, 1, 4))
