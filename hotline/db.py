"""PostgreSQL pool and the migration runner (numbered plain SQL files)."""
from __future__ import annotations

import logging
from pathlib import Path

import asyncpg

from hotline import jsoncodec

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# Any constant will do: it only serialises concurrent migrators.
MIGRATION_LOCK = 0x12345

CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=jsoncodec.dumps, decoder=jsoncodec.loads, schema="pg_catalog")


async def create_pool(url: str, *, min_size: int = 2, max_size: int = 20, connect_timeout: float = 60.0,
                      server_settings: dict | None = None) -> asyncpg.Pool:
    """Open a pool whose connections speak jsonb as Python objects."""
    return await asyncpg.create_pool(url, min_size=min_size, max_size=max_size, init=_init_connection,
                                     reset=_keep_session, command_timeout=30, timeout=connect_timeout,
                                     server_settings=server_settings)


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Pool release hook: nothing to undo, so no round trip per release.

    asyncpg's default reset sends `RESET ALL; UNLISTEN *; CLOSE ALL; pg_advisory_unlock_all()`
    on every release. The service keeps no session state on pooled connections (settings are
    SET LOCAL, locks are transaction-scoped, no LISTEN); asyncpg still rolls back a transaction
    left open before it calls this hook.
    """


def migration_files(directory: Path = MIGRATIONS_DIR) -> list[Path]:
    """Numbered migrations in order (0001_x.sql, 0002_y.sql, ...)."""
    return sorted(p for p in directory.glob("[0-9][0-9][0-9][0-9]_*.sql"))


async def applied_versions(conn: asyncpg.Connection) -> set[str]:
    """Versions recorded in schema_migrations (empty before the first run)."""
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    if not exists:
        return set()
    return {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}


async def pending(conn: asyncpg.Connection, directory: Path = MIGRATIONS_DIR) -> list[Path]:
    """Migration files not yet applied."""
    done = await applied_versions(conn)
    return [p for p in migration_files(directory) if p.stem not in done]


async def migrate(conn: asyncpg.Connection, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply pending migrations, each in its own transaction; return what was applied."""
    applied: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        await conn.execute(CREATE_LEDGER)
        for path in await pending(conn, directory):
            async with conn.transaction():
                await conn.execute(path.read_text(encoding="utf-8"))
                await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", path.stem)
            log.info("applied migration %s", path.stem)
            applied.append(path.stem)
        repeatable = directory / "repeatable.sql"
        if repeatable.exists():
            async with conn.transaction():
                await conn.execute(repeatable.read_text(encoding="utf-8"))
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
    return applied


async def connect(url: str) -> asyncpg.Connection:
    """One connection for CLI work."""
    conn = await asyncpg.connect(url)
    await _init_connection(conn)
    return conn
