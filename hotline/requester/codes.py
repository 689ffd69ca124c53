"""Query codes (查询码) the requester hears with the ticket number: made, hashed and checked here.

A code is six characters from an alphabet without look-alikes (no 0/O, 1/I/L), about 10^9
possibilities; only 16 bytes of salt and sha256(salt || code) are stored. Wrong guesses are
limited per ticket and per client (hotline.requester.views), which is what keeps a short code safe.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 6
SALT_BYTES = 16


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def digest(code: str, salt: bytes | None = None) -> bytes:
    """salt || sha256(salt || code), with a fresh salt unless one is given."""
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    return salt + hashlib.sha256(salt + code.encode()).digest()


def normalise(raw: str) -> str | None:
    """The code as typed (spaces, dashes, lower case allowed), or None when it cannot be one of ours."""
    code = "".join(raw.split()).replace("-", "").upper()
    if len(code) != LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def matches(stored: bytes | None, raw: str) -> bool:
    """Whether raw is the code behind stored (constant-time comparison)."""
    code = normalise(raw)
    if stored is None or code is None or len(stored) != SALT_BYTES + 32:
        return False
    return hmac.compare_digest(digest(code, bytes(stored[:SALT_BYTES])), bytes(stored))
