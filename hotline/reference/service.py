"""Reading the reference tables; every filter travels as a parameter."""
from __future__ import annotations

import asyncpg

from hotline.reference.schemas import AreaQuery, CategoryQuery, UnitQuery


def _like(q: str | None) -> str | None:
    """A LIKE pattern matching q anywhere, with LIKE's own wildcards taken literally."""
    if not q:
        return None
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


AREAS = """
SELECT code, name, short_name, level::text AS level, parent_code FROM areas
WHERE ($1::text IS NULL OR name LIKE $1 OR short_name LIKE $1 OR code LIKE $1)
  AND ($2::text IS NULL OR parent_code = $2)
  AND ($3::text IS NULL OR level::text = $3)
ORDER BY code LIMIT $4
"""


async def areas(pool: asyncpg.Pool, q: AreaQuery) -> list[asyncpg.Record]:
    """Areas matching the search, by code."""
    return await pool.fetch(AREAS, _like(q.q), q.parent, q.level.value if q.level else None, q.limit)


CATEGORIES = """
SELECT code, name, unit_type, scope FROM categories
WHERE ($1::text IS NULL OR name LIKE $1 OR code LIKE $1)
ORDER BY name LIMIT $2
"""


async def categories(pool: asyncpg.Pool, q: CategoryQuery) -> list[asyncpg.Record]:
    """Categories matching the search, by name (the names group by department: 城市管理/…)."""
    return await pool.fetch(CATEGORIES, _like(q.q), q.limit)


UNITS = """
SELECT u.id, u.code, u.name, u.unit_type, u.area_code, a.name AS area_name, u.tier::text AS tier, u.active
FROM units u JOIN areas a ON a.code = u.area_code
WHERE ($1::text IS NULL OR u.name LIKE $1 OR u.code LIKE $1)
  AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM area_ancestors x WHERE x.code = u.area_code AND x.ancestor = $2))
  AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM unit_categories uc JOIN categories c ON c.code = uc.category_code
                                   WHERE uc.unit_id = u.id AND (c.code = $3 OR c.name = $3)))
  AND ($4::text IS NULL OR u.tier::text = $4)
ORDER BY u.area_code, u.code LIMIT $5
"""


async def units(pool: asyncpg.Pool, q: UnitQuery) -> list[asyncpg.Record]:
    """Units matching the search, by area then code."""
    return await pool.fetch(UNITS, _like(q.q), q.area, q.category, q.tier.value if q.tier else None, q.limit)
