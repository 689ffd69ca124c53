"""Working-day arithmetic on China's statutory holidays and 调休 make-up days.

Official data comes from the `chinese-calendar` package, which transcribes the
State Council's yearly holiday notice (法定节假日 and 调休上班日). Until a package
release carries a new year, operators may transcribe that year's notice into a
CSV (`date,kind,name`; kind = holiday | workday), named by `HOTLINE_CALENDAR_EXTRA`
(default `routing/data/calendar_extra.csv`). A year in that file counts as
official, so it must list every holiday and every make-up working day of the
year; years must follow the package's last year without gaps.

Years after the official data are **provisional** (up to PROVISIONAL_YEARS
further): the statutory holidays that the law itself fixes (全国年节及纪念日放假办法,
2025 revision: 元旦 1 day, 春节 4 days from 除夕, 清明 1, 劳动节 2, 端午 1, 中秋 1,
国庆 3), computed with the `lunar_python` library (lunar dates and the 清明 solar
term), plus weekends, plus the 补假 the law requires for a statutory day that falls
on a weekend (or on another festival's day): the first following weekdays. The
调休 arrangement (make-up working weekends) is unknown until the State Council's
notice, so provisional years have none. `is_provisional(...)` says whether a
date lies beyond the official data; callers mark deadlines computed from
provisional days and recompute them when official data arrives
(`reload_extra`, or a package upgrade and restart).

Rules (see docs/deadlines.md):
- All datetimes are timezone-aware and are handled in Asia/Shanghai.
- A working day is a weekday that is not a holiday, or a weekend day that is a
  调休 make-up working day.
- `add_working_days(start, n)`: the start day is not counted (次日起算); the
  deadline is the end (23:59:59) of the n-th working day after the start date.
- Working time (`working_time_between`, `add_working_time`) is the clock that
  only runs on working days, 24 hours a day; it measures pauses and ladder
  periods so that weekends and holidays never consume time.
- Deadlines set in "hours" are plain calendar hours (no working-day clock).
"""
from __future__ import annotations

import csv
import os
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
from chinese_calendar import constants as _cc_data
from lunar_python import Lunar, Solar

TZ = ZoneInfo("Asia/Shanghai")
DAY = timedelta(days=1)
END_OF_DAY = time(23, 59, 59)

FIRST_DAY = date(min(_cc_data.holidays).year, 1, 1)
PACKAGE_LAST_DAY = date(max(_cc_data.holidays).year, 12, 31)
EXTRA_PATH = Path(__file__).resolve().parent / "data" / "calendar_extra.csv"
KINDS = ("holiday", "workday")
# How many years past the official data the provisional (statutory-only) calendar reaches.
PROVISIONAL_YEARS = 5


def load_extra(path: str | Path | None = None) -> dict[date, tuple[str, str]]:
    """Operator-transcribed days beyond the package's data: {date: (kind, name)}."""
    path = Path(path or os.environ.get("HOTLINE_CALENDAR_EXTRA") or EXTRA_PATH)
    if not path.exists():
        return {}
    days: dict[date, tuple[str, str]] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for n, row in enumerate(csv.DictReader(line for line in fh if not line.startswith("#")), start=2):
            day, kind = date.fromisoformat(row["date"].strip()), row["kind"].strip()
            if kind not in KINDS:
                raise ValueError(f"{path}:{n}: kind must be holiday or workday, not {kind!r}")
            if day > PACKAGE_LAST_DAY:
                days[day] = (kind, (row.get("name") or "").strip())
    return days


def _last_day(extra: dict[date, tuple[str, str]]) -> date:
    """The package's last day, extended by each following year the extra file covers, without gaps."""
    year, years = PACKAGE_LAST_DAY.year, {d.year for d in extra}
    while year + 1 in years:
        year += 1
    return date(year, 12, 31)


def _provisional_last(last: date) -> date:
    return date(last.year + PROVISIONAL_YEARS, 12, 31)


EXTRA = load_extra()
LAST_DAY = _last_day(EXTRA)                       # the last day of official data
PROVISIONAL_LAST_DAY = _provisional_last(LAST_DAY)  # the last day any deadline can be computed


def reload_extra(path: str | Path | None = None) -> bool:
    """Read the operator file again; True when the official range changed (callers then recompute
    the deadlines that were computed from provisional days)."""
    global EXTRA, LAST_DAY, PROVISIONAL_LAST_DAY
    extra = load_extra(path)
    if extra == EXTRA:
        return False
    before = LAST_DAY
    EXTRA, LAST_DAY = extra, _last_day(extra)
    PROVISIONAL_LAST_DAY = _provisional_last(LAST_DAY)
    _is_workday.cache_clear()
    return LAST_DAY != before


class CalendarRangeError(ValueError):
    """A date lies outside the years the calendar can compute, even provisionally."""

    def __init__(self, day: date):
        self.day = day
        super().__init__(
            f"{day.isoformat()} is outside the holiday calendar, which covers {FIRST_DAY.isoformat()} to "
            f"{LAST_DAY.isoformat()} officially (chinese-calendar {chinese_calendar.__version__}"
            f"{' and HOTLINE_CALENDAR_EXTRA' if EXTRA else ''}) and provisionally "
            f"(statutory holidays only) to {PROVISIONAL_LAST_DAY.isoformat()}"
        )


def covered_range() -> tuple[date, date]:
    """First and last date of official holiday data (the State Council's notices)."""
    return FIRST_DAY, LAST_DAY


def provisional_until() -> date:
    """The last date a deadline can be computed at all (statutory holidays only after LAST_DAY)."""
    return PROVISIONAL_LAST_DAY


def is_provisional(d: date | datetime | None) -> bool:
    """True when a date (or aware datetime, in Shanghai) lies beyond the official holiday data."""
    if d is None:
        return False
    day = local(d).date() if isinstance(d, datetime) else d
    return day > LAST_DAY


# --- the statutory holidays, for provisional years --------------------------------------------

def _festivals(year: int) -> list[tuple[str, list[date]]]:
    """The statutory days of a year (全国年节及纪念日放假办法, 2025 revision), in date order."""
    def ymd(solar: Solar) -> date:
        return date(solar.getYear(), solar.getMonth(), solar.getDay())

    spring = ymd(Lunar.fromYmd(year, 1, 1).getSolar())
    qingming = ymd(Lunar.fromYmd(year, 3, 1).getJieQiTable()["清明"])
    found = [
        ("元旦", [date(year, 1, 1)]),
        ("春节", [spring + timedelta(days=i) for i in range(-1, 3)]),  # 除夕 and 正月初一至初三
        ("清明节", [qingming]),
        ("劳动节", [date(year, 5, 1), date(year, 5, 2)]),
        ("端午节", [ymd(Lunar.fromYmd(year, 5, 5).getSolar())]),
        ("中秋节", [ymd(Lunar.fromYmd(year, 8, 15).getSolar())]),
        ("国庆节", [date(year, 10, 1), date(year, 10, 2), date(year, 10, 3)]),
    ]
    return sorted(found, key=lambda f: f[1][0])


@lru_cache(maxsize=32)
def statutory_days(year: int) -> dict[date, str]:
    """Provisional holidays of a year: the statutory days, and 补假 on the first weekdays after a
    festival for each of its days that fell on a weekend or on another festival's day (法 第六条)."""
    days: dict[date, str] = {}
    owed: list[tuple[date, str]] = []
    for name, dates in _festivals(year):
        for day in dates:
            if day in days or day.weekday() >= 5:
                owed.append((dates[-1], name))
            days.setdefault(day, name)
    for after, name in owed:
        day = after + DAY
        while day.weekday() >= 5 or day in days:
            day += DAY
        days[day] = name
    return days


def local(dt: datetime) -> datetime:
    """Convert an aware datetime to Asia/Shanghai; reject naive ones."""
    if dt.tzinfo is TZ:  # already local (the walks below pass these around a lot)
        return dt
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime {dt.isoformat()}: pass a timezone-aware value")
    return dt.astimezone(TZ)


def _day(d: date | datetime) -> date:
    """The Shanghai calendar date of a date or aware datetime, range-checked."""
    day = local(d).date() if isinstance(d, datetime) else d
    if not FIRST_DAY <= day <= PROVISIONAL_LAST_DAY:
        raise CalendarRangeError(day)
    return day


@lru_cache(maxsize=8192)
def _midnight(day: date) -> datetime:
    """00:00 Shanghai time at the start of a day."""
    return datetime.combine(day, time(0), TZ)


def end_of_day(day: date) -> datetime:
    """23:59:59 Shanghai time on a day: the moment a day-based deadline falls due."""
    return datetime.combine(day, END_OF_DAY, TZ)


def is_working_day(d: date | datetime) -> bool:
    """True on a working day (incl. 调休 make-up days), False on weekends and holidays."""
    return _is_workday(_day(d))


def _working(day: date) -> bool:
    """is_working_day for a date the walks below reach (range-checked like _day)."""
    if not FIRST_DAY <= day <= PROVISIONAL_LAST_DAY:
        raise CalendarRangeError(day)
    return _is_workday(day)


@lru_cache(maxsize=8192)
def _is_workday(day: date) -> bool:
    # chinese_calendar scans its holiday table on every call; the sweep asks about the same days a lot.
    if day > LAST_DAY:  # provisional: statutory days and weekends, no 调休
        return day.weekday() < 5 and day not in statutory_days(day.year)
    if day > PACKAGE_LAST_DAY:
        kind = EXTRA.get(day, ("", ""))[0]
        return kind == "workday" or (kind != "holiday" and day.weekday() < 5)
    return bool(chinese_calendar.is_workday(day))


def holiday_name(d: date | datetime) -> str | None:
    """The statutory holiday a day belongs to (or is made up for), else None."""
    day = _day(d)
    if day > LAST_DAY:
        return statutory_days(day.year).get(day)
    if day > PACKAGE_LAST_DAY:
        return EXTRA.get(day, ("", ""))[1] or None
    return chinese_calendar.get_holiday_detail(day)[1]


def next_working_day(d: date | datetime) -> date:
    """The first working day strictly after a day."""
    day = _day(d) + DAY
    while not _working(day):
        day += DAY
    return day


def add_working_days(start: datetime, n: int) -> datetime:
    """End (23:59:59) of the n-th working day after start's date; n=0 returns start."""
    if n < 0:
        raise ValueError("n must be >= 0")
    start = local(start)
    if n == 0:
        return start
    day = start.date()
    for _ in range(n):
        day = next_working_day(day)
    return end_of_day(day)


def working_days_between(a: datetime | date, b: datetime | date) -> int:
    """Working days after a's date up to and including b's date (negative if b < a)."""
    first, last = _day(a), _day(b)
    if last < first:
        return -working_days_between(b, a)
    count, day = 0, first + DAY
    while day <= last:
        count += is_working_day(day)
        day += DAY
    return count


def working_time_between(a: datetime, b: datetime) -> timedelta:
    """Time in [a, b) that falls on working days (zero if b <= a)."""
    a, b = local(a), local(b)
    total, day = timedelta(0), _day(a)
    while a < b:
        following = day + DAY
        day_end = _midnight(following)
        if _working(day):
            total += min(b, day_end) - a
        if day_end >= b:
            break
        a, day = day_end, following   # range-checked by _working on the next pass
    return total


def add_working_time(start: datetime, amount: timedelta) -> datetime:
    """The earliest instant at which `amount` of working time has run since start."""
    if amount < timedelta(0):
        raise ValueError("amount must be >= 0")
    t, day = local(start), _day(start)
    while True:
        following = day + DAY
        day_end = _midnight(following)
        if _working(day):
            if amount <= day_end - t:
                return t + amount
            amount -= day_end - t
        t, day = day_end, following   # range-checked by _working on the next pass
