"""Logging set-up; a filter keeps phone and ID numbers and secret tokens out of every log line."""
from __future__ import annotations

import logging
import re

# Mobile numbers, landlines with area code and 18-character ID numbers.
SENSITIVE_RE = re.compile(r"(?<!\d)(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{17}[\dXx])(?!\d)")


# Secrets that travel in paths or could be echoed: one-time survey links (/survey/sv_...) and API tokens.
TOKEN_RE = re.compile(r"\b(sv|hl)_[A-Za-z0-9_-]{8,}")


def redact(text: str) -> str:
    """Replace phone and ID numbers with a fixed marker, and secret tokens with their prefix."""
    return TOKEN_RE.sub(r"\1_[已隐去]", SENSITIVE_RE.sub("[已脱敏]", text))


class RedactFilter(logging.Filter):
    """Rewrites each record's message with sensitive numbers removed."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def setup_logging(level: int = logging.INFO) -> None:
    # The format below uses none of the caller's file/line, thread or process fields: skip collecting
    # them for every record (the optimisations the logging HOWTO lists; one access-log line per request).
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
