"""Creating tokens bound to a unit or an area, by code."""
from __future__ import annotations

import asyncpg

from hotline.auth import create_token
from models.enums import Role


class TokenError(ValueError):
    """The token's role and binding do not fit together."""


async def unit_id_for(conn: asyncpg.Connection, ref: str) -> int | None:
    """A unit's id from its code or numeric id."""
    return await conn.fetchval("SELECT id FROM units WHERE code = $1 OR id::text = $1", ref)


async def create_token_for(conn: asyncpg.Connection, role: str, *, unit: str | None = None,
                           area: str | None = None, name: str = "") -> str:
    """Create a token for role; handlers need a unit, supervisors an area."""
    role_ = Role(role)
    unit_id = None
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
    _, secret = await create_token(conn, role_, unit_id=unit_id,
                                   area_code=area if role_ == Role.SUPERVISOR else None, name=name)
    return secret
