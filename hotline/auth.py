"""API tokens (stored hashed) and the role check applied to every endpoint."""
from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from aiohttp import web

from models.enums import Role
from hotline.errors import ApiError

TOKEN_PREFIX = "hl_"
CACHE_SECONDS = 10.0


@dataclass(frozen=True)
class Principal:
    """Who is calling: a token's role and the unit or area it is bound to."""

    token_id: int
    role: Role
    unit_id: int | None = None
    area_code: str | None = None
    name: str = ""
    org_id: int | None = None  # a mediator's mediation organisation


def hash_token(secret: str) -> bytes:
    """sha256 of the token: tokens are random and long, so a plain hash suffices."""
    return hashlib.sha256(secret.encode()).digest()


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


CREATE_TOKEN = """
INSERT INTO api_tokens (token_hash, role, unit_id, area_code, name, expires_at, org_id)
VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id
"""


async def create_token(conn: asyncpg.Connection, role: Role, *, unit_id: int | None = None,
                       area_code: str | None = None, name: str = "",
                       expires_at: datetime | None = None, org_id: int | None = None) -> tuple[int, str]:
    """Store a new token's hash and return (id, secret); the secret is shown once."""
    secret = new_secret()
    token_id = await conn.fetchval(CREATE_TOKEN, hash_token(secret), role.value, unit_id, area_code, name,
                                   expires_at, org_id)
    return token_id, secret


GET_TOKEN = """
SELECT id, role, unit_id, area_code, name, expires_at, org_id FROM api_tokens
WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
"""
# Every secret we issue has this shape; anything else is refused without a lookup.
ISSUED_SHAPE = re.compile(TOKEN_PREFIX + r"[A-Za-z0-9_-]{43}")
NEGATIVE_MAX = 100_000


class TokenCache:
    """A short-lived in-process cache so each request does not query the token table.

    When an entry expires under load, the requests that find it expired wait for one query
    instead of each sending its own (dozens at once, every CACHE_SECONDS, otherwise). Unknown
    tokens are remembered apart (a flood of made-up tokens never evicts the real ones), tokens
    past their expiry stop working at once, and forget() drops a token the moment the database
    announces it was revoked (hotline.revocation), in every worker.
    """

    def __init__(self) -> None:
        self._items: dict[bytes, tuple[float, Principal, float]] = {}  # hash -> (fresh until, who, expires)
        self._unknown: dict[bytes, float] = {}
        self._loading: dict[bytes, asyncio.Task] = {}
        self._epoch = 0  # bumped by forget/clear: a lookup that started before one is not cached

    async def lookup(self, pool: asyncpg.Pool, secret: str) -> Principal | None:
        if not ISSUED_SHAPE.fullmatch(secret):
            return None
        key = hash_token(secret)
        now = time.monotonic()
        hit = self._items.get(key)
        if hit and hit[0] > now:
            return hit[1] if hit[2] > time.time() else None
        if self._unknown.get(key, 0.0) > now:
            return None
        task = self._loading.get(key)
        if task is None:
            task = asyncio.ensure_future(self._load(pool, key))
            self._loading[key] = task
            task.add_done_callback(lambda t: self._loaded(key, t))
        return await asyncio.shield(task)  # one caller giving up does not cancel the others' query

    def forget(self, key: bytes) -> None:
        """Drop one token (by hash) from the cache: the next request reads the table again."""
        self._items.pop(key, None)
        self._epoch += 1

    def clear(self) -> None:
        self._items.clear()
        self._unknown.clear()
        self._epoch += 1

    def _loaded(self, key: bytes, task: asyncio.Task) -> None:
        self._loading.pop(key, None)
        if not task.cancelled():
            task.exception()  # retrieved here too, in case every caller gave up

    async def _load(self, pool: asyncpg.Pool, key: bytes) -> Principal | None:
        epoch = self._epoch
        row = await pool.fetchrow(GET_TOKEN, key)
        fresh_until = time.monotonic() + CACHE_SECONDS
        if epoch != self._epoch:  # revoked meanwhile, perhaps: answer, but do not remember
            fresh_until = 0.0
        if row is None:
            if len(self._unknown) > NEGATIVE_MAX:
                self._unknown.clear()
            self._unknown[key] = fresh_until
            return None
        principal = Principal(row["id"], Role(row["role"]), row["unit_id"], row["area_code"], row["name"],
                              row["org_id"])
        if len(self._items) > 10_000:
            self._items.clear()
        expires = row["expires_at"].timestamp() if row["expires_at"] else float("inf")
        self._items[key] = (fresh_until, principal, expires)
        return principal


# RFC 6750's token68 characters; our tokens use a subset. Anything else (bytes that are not
# ASCII, which aiohttp hands over as surrogate escapes) cannot be a token of ours.
TOKEN_CHARS = re.compile(r"[A-Za-z0-9._~+/=-]{1,512}")


def bearer(request: web.Request) -> str | None:
    """The token from `Authorization: Bearer ...`; 401 when it cannot be a token at all."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    value = value.strip()
    if not TOKEN_CHARS.fullmatch(value):
        raise ApiError(401, "访问令牌无效或已吊销", [{"field": "Authorization", "message": "令牌格式无效"}],
                       headers={"WWW-Authenticate": "Bearer"})
    return value


async def authenticate(request: web.Request, pool: asyncpg.Pool, cache: TokenCache) -> Principal:
    """The caller's principal, or 401."""
    secret = bearer(request)
    if not secret:
        raise ApiError(401, "缺少访问令牌", [{"field": "Authorization", "message": "需要 Bearer 令牌"}],
                       headers={"WWW-Authenticate": "Bearer"})
    principal = await cache.lookup(pool, secret)
    if principal is None:
        raise ApiError(401, "访问令牌无效或已吊销", headers={"WWW-Authenticate": "Bearer"})
    return principal


def require_role(principal: Principal, roles: frozenset[Role]) -> None:
    """403 unless the principal's role is one of roles."""
    if principal.role not in roles:
        allowed = "、".join(r.label for r in sorted(roles))
        raise ApiError(403, f"当前角色（{principal.role.label}）无权执行此操作", [
            {"field": "role", "message": f"允许的角色：{allowed}"}])
