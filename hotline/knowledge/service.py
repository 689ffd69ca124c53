"""Data access of 热线百科: articles, versions, events and the search index, SQL beside each function."""
from __future__ import annotations

from datetime import datetime

import asyncpg

from hotline.auth import Principal
from hotline.jsoncodec import iso
from routing import knowledge

Db = asyncpg.Pool | asyncpg.Connection

CONTENT = ("slug", "title", "question", "answer", "basis_name", "basis_number", "category_code", "area_code",
           "unit_id", "public", "effective_from", "expires_on", "keywords")

SELECT = """
SELECT a.*, ar.name AS area_name, u.code AS unit_code, u.name AS unit_name
FROM kb_articles a JOIN areas ar ON ar.code = a.area_code LEFT JOIN units u ON u.id = a.unit_id
"""


async def get(db: Db, article_id: int) -> asyncpg.Record | None:
    """One article with its area and unit names."""
    return await db.fetchrow(SELECT + " WHERE a.id = $1", article_id)


async def lock(conn: asyncpg.Connection, article_id: int) -> asyncpg.Record | None:
    """The article row, locked for a change."""
    return await conn.fetchrow("SELECT * FROM kb_articles WHERE id = $1 FOR UPDATE", article_id)


INSERT = f"""
INSERT INTO kb_articles ({', '.join(CONTENT)}, source_ticket_id, created_by, created_at, updated_at)
VALUES ({', '.join(f'${i}' for i in range(1, len(CONTENT) + 1))}, ${len(CONTENT) + 1}, ${len(CONTENT) + 2},
        ${len(CONTENT) + 3}, ${len(CONTENT) + 3})
RETURNING *
"""


async def insert(conn: asyncpg.Connection, content: dict, principal: Principal | None, now: datetime,
                 source_ticket_id: int | None = None) -> asyncpg.Record:
    """A new draft article."""
    return await conn.fetchrow(INSERT, *(content[c] for c in CONTENT), source_ticket_id,
                               principal.token_id if principal else None, now)


async def update(conn: asyncpg.Connection, article_id: int, changes: dict) -> asyncpg.Record:
    """Set columns (names come from this module, values travel as parameters)."""
    cols = list(changes)
    sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(cols, start=2))
    return await conn.fetchrow(f"UPDATE kb_articles SET {sets} WHERE id = $1 RETURNING *", article_id,
                               *(changes[c] for c in cols))


def snapshot(row) -> dict:
    """An article's content as its version record keeps it."""
    return {c: iso(row[c]) if hasattr(row[c], "isoformat") else row[c] for c in CONTENT}


async def add_version(conn: asyncpg.Connection, row, principal: Principal | None, now: datetime) -> None:
    await conn.execute("INSERT INTO kb_versions (article_id, version, content, at, actor_id) "
                       "VALUES ($1, $2, $3, $4, $5)", row["id"], row["version"], snapshot(row), now,
                       principal.token_id if principal else None)


async def add_event(conn: asyncpg.Connection, row, principal: Principal | None, action: str, *,
                    from_status: str | None, reason: str = "", data: dict | None = None,
                    now: datetime) -> None:
    """One audit row: every change of an article writes one, in the same transaction."""
    await conn.execute(
        "INSERT INTO kb_events (article_id, at, actor_id, actor_role, action, from_status, to_status, version, "
        "reason, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        row["id"], now, principal.token_id if principal else None,
        principal.role.value if principal else None, action, from_status, row["status"], row["version"],
        reason, data or {})


async def versions(db: Db, article_id: int) -> list[asyncpg.Record]:
    return await db.fetch("SELECT version, content, at FROM kb_versions WHERE article_id = $1 ORDER BY version",
                          article_id)


async def events(db: Db, article_id: int) -> list[asyncpg.Record]:
    return await db.fetch("SELECT id, at, actor_role, action, from_status::text, to_status::text, version, reason, "
                          "data FROM kb_events WHERE article_id = $1 ORDER BY id", article_id)


# --- the search index ---------------------------------------------------------------------------

INDEX = """
INSERT INTO kb_search (article_id, slug, area_code, depth, public, category_code, effective_from, expires_on, tsv)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::tsvector)
"""


async def index(conn: asyncpg.Connection, row, depth: int, tsv: str) -> None:
    """Put a published article into the search index."""
    await conn.execute(INDEX, row["id"], row["slug"], row["area_code"], depth, row["public"],
                       row["category_code"], row["effective_from"], row["expires_on"], tsv)


async def unindex(conn: asyncpg.Connection, article_id: int) -> None:
    await conn.execute("DELETE FROM kb_search WHERE article_id = $1", article_id)


async def opened(db: Db, article_id: int, now: datetime) -> None:
    """Count an opening (the stale report: articles nobody opened in a year)."""
    await db.execute("UPDATE kb_articles SET opened_count = opened_count + 1, last_opened_at = $2 WHERE id = $1",
                     article_id, now)


# --- listing ------------------------------------------------------------------------------------

async def page(db: Db, scope_sql: str, args: list, filters: dict, after: int | None, limit: int):
    """Articles by id, keyset paging; scope_sql restricts what is not published (and says `manages`)."""
    where = [f"(a.status = 'published' OR {scope_sql})"]

    def arg(v) -> str:
        args.append(v)
        return f"${len(args)}"

    if filters.get("status"):
        where.append(f"a.status = {arg(filters['status'])}::kb_status")
    if filters.get("area"):
        where.append(f"a.area_code IN (SELECT code FROM area_ancestors WHERE ancestor = {arg(filters['area'])})")
    if filters.get("unit"):
        where.append(f"u.code = {arg(filters['unit'])}")
    if filters.get("category"):
        where.append(f"a.category_code = {arg(filters['category'])}")
    if after:
        where.append(f"a.id > {arg(after)}")
    select = SELECT.replace("SELECT a.*,", f"SELECT a.*, ({scope_sql}) AS manages,", 1)
    sql = f"{select} WHERE {' AND '.join(where)} ORDER BY a.id LIMIT {arg(limit)}"
    return await db.fetch(sql, *args)


# --- reference lookups ----------------------------------------------------------------------------

async def area_parents(db: Db) -> dict[str, str | None]:
    return {r["code"]: r["parent_code"] for r in await db.fetch("SELECT code, parent_code FROM areas")}


async def category_code(db: Db, value: str) -> str | None:
    """A category by code or Chinese name."""
    return await db.fetchval("SELECT code FROM categories WHERE code = $1 OR name = $1", value)


async def unit_by_code(db: Db, code: str) -> asyncpg.Record | None:
    return await db.fetchrow("SELECT id, code, name, unit_type, area_code FROM units WHERE code = $1", code)


def status_label(status: str) -> str:
    return knowledge.STATUS_LABELS.get(status, status)
