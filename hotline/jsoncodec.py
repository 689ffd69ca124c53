"""JSON for responses and jsonb columns, with orjson (several times faster than the json module).

Chinese text stays readable (UTF-8, no \\u escapes), datetimes are ISO 8601 in Beijing time
(+08:00, the one offset of every API answer and stored event), numpy numbers are numbers, and
anything else is written as its str() as before.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import orjson

BEIJING = ZoneInfo("Asia/Shanghai")
_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_PASSTHROUGH_DATETIME


def iso(value: datetime | date | None) -> str | None:
    """A time as the API writes it: ISO 8601 in Beijing time (+08:00); a date as YYYY-MM-DD."""
    if value is None:
        return None
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
        return aware.astimezone(BEIJING).isoformat()
    return value.isoformat()


def _default(value):
    return iso(value) if isinstance(value, date) else str(value)


def dumps_bytes(value) -> bytes:
    return orjson.dumps(value, default=_default, option=_OPTIONS)


def dumps(value) -> str:
    return orjson.dumps(value, default=_default, option=_OPTIONS).decode()


loads = orjson.loads
