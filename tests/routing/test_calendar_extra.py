"""Operator-transcribed holiday years beyond the package (HOTLINE_CALENDAR_EXTRA)."""
from __future__ import annotations

from datetime import date

import pytest

import routing.calendar as cal


@pytest.fixture
def extra_year(tmp_path, monkeypatch):
    """A made-up next year: two holidays and one make-up Saturday (not real dates)."""
    year = cal.PACKAGE_LAST_DAY.year + 1
    path = tmp_path / "extra.csv"
    path.write_text("# test\ndate,kind,name\n"
                    f"{year}-01-01,holiday,New Year's Day\n{year}-01-04,holiday,Test Day\n"
                    f"{year}-01-09,workday,Test Day\n", encoding="utf-8")
    monkeypatch.setenv("HOTLINE_CALENDAR_EXTRA", str(path))
    cal.reload_extra()   # what the sweep does with the operator file (a module reload would redefine the error class)
    yield cal, year
    monkeypatch.delenv("HOTLINE_CALENDAR_EXTRA")
    cal.reload_extra()


def test_extra_year_extends_coverage_with_its_holidays_and_make_up_days(extra_year):
    c, year = extra_year
    assert c.covered_range()[1] == date(year, 12, 31)
    assert not c.is_working_day(date(year, 1, 4))          # a listed holiday on a weekday
    assert c.is_working_day(date(year, 1, 9))               # a listed make-up working day (a Saturday or not)
    assert c.holiday_name(date(year, 1, 1)) == "New Year's Day"
    plain_saturday = next(date(year, 2, d) for d in range(1, 8) if date(year, 2, d).weekday() == 5)
    assert not c.is_working_day(plain_saturday)
    assert not c.is_provisional(date(year, 12, 31)) and c.is_provisional(date(year + 1, 1, 5))
    with pytest.raises(c.CalendarRangeError):
        c.is_working_day(date(c.PROVISIONAL_LAST_DAY.year + 1, 1, 5))


def test_a_gap_year_does_not_count(tmp_path, monkeypatch):
    path = tmp_path / "gap.csv"
    path.write_text(f"date,kind,name\n{cal.PACKAGE_LAST_DAY.year + 2}-01-01,holiday,x\n", encoding="utf-8")
    assert cal._last_day(cal.load_extra(path)) == cal.PACKAGE_LAST_DAY


def test_bad_kind_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(f"date,kind,name\n{cal.PACKAGE_LAST_DAY.year + 1}-01-01,vacation,x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="holiday or workday"):
        cal.load_extra(path)


def test_shipped_extra_file_is_empty_while_the_package_covers_this_year():
    assert cal.load_extra(cal.EXTRA_PATH) == {}
