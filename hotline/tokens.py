"""Creating tokens bound to a unit or an area, by code."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import asyncpg

from hotline.auth import create_token, hash_token
from models.enums import Role


class TokenError(ValueError):
    """The token's role and binding do not fit together."""


async def unit_id_for(conn: asyncpg.Connection, ref: str) -> int | None:
    """A unit's id from its code or numeric id."""
    return await conn.fetchval("SELECT id FROM units WHERE code = $1 OR id::text = $1", ref)


DURATION = re.compile(r"(\d{1,7})([smhd]?)")
SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """'90d', '12h', '30m', '45s' or plain seconds, as a timedelta (for --expires-in)."""
    match = DURATION.fullmatch(text.strip().lower())
    if not match or int(match.group(1)) == 0:
        raise TokenError(f"invalid duration {text!r}: use e.g. 90d, 12h, 30m or 3600")
    return timedelta(seconds=int(match.group(1)) * SECONDS[match.group(2)])


async def revoke(conn: asyncpg.Connection, ref: str) -> int:
    """Revoke a token by its secret or its id; every worker stops accepting it at once. Returns the id."""
    if ref.isdigit():
        token_id = await conn.fetchval(
            "UPDATE api_tokens SET revoked_at = now() WHERE id = $1::int AND revoked_at IS NULL RETURNING id", ref)
    else:
        token_id = await conn.fetchval(
            "UPDATE api_tokens SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL RETURNING id",
            hash_token(ref))
    if token_id is None:
        raise TokenError("no such active token")
    return token_id


async def create_token_for(conn: asyncpg.Connection, role: str, *, unit: str | None = None,
                           area: str | None = None, name: str = "",
                           expires_in: timedelta | None = None, org: str | None = None) -> str:
    """Create a token for role; handlers need a unit, supervisors an area, mediators an organisation;
    optionally expiring."""
    role_ = Role(role)
    unit_id = org_id = None
    if role_ == Role.MEDIATOR:
        org_id = await conn.fetchval("SELECT id FROM mediation_orgs WHERE code = $1 OR id::text = $1", org or "")
        if org_id is None:
            raise TokenError(f"mediator tokens need --org (a mediation organisation code); unknown: {org}")
    if role_ == Role.HANDLER:
        if not unit:
            raise TokenError("handler tokens need --unit")
        unit_id = await unit_id_for(conn, unit)
        if unit_id is None:
            raise TokenError(f"unknown unit {unit}")
    if role_ == Role.SUPERVISOR:
        if not area:
            raise TokenError("supervisor tokens need --area")
        if not await conn.fetchval("SELECT 1 FROM areas WHERE code = $1", area):
            raise TokenError(f"unknown area {area}")
    expires_at = datetime.now(timezone.utc) + expires_in if expires_in else None
    _, secret = await create_token(conn, role_, unit_id=unit_id,
                                   area_code=area if role_ == Role.SUPERVISOR else None, name=name,
                                   expires_at=expires_at, org_id=org_id)
    return secret
