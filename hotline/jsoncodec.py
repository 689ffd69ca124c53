"""JSON for responses and jsonb columns, with orjson (several times faster than the json module).

Chinese text stays readable (UTF-8, no \\u escapes), datetimes are ISO 8601, numpy numbers
are numbers, and anything else is written as its str() as before.
"""
from __future__ import annotations

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def dumps_bytes(value) -> bytes:
    return orjson.dumps(value, default=str, option=_OPTIONS)


def dumps(value) -> str:
    return orjson.dumps(value, default=str, option=_OPTIONS).decode()


loads = orjson.loads
