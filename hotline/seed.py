"""Sample data: a real province's areas, the category taxonomy and demo units."""
from __future__ import annotations

import csv
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
AREAS_CSV = ROOT / "models" / "data" / "areas_320000.csv"
TAXONOMY_CSV = ROOT / "classifier" / "data" / "taxonomy.csv"


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


UPSERT_AREA = """
INSERT INTO areas (code, name, short_name, level, parent_code) VALUES ($1, $2, $3, $4, NULLIF($5, ''))
ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, short_name = EXCLUDED.short_name,
    level = EXCLUDED.level, parent_code = EXCLUDED.parent_code
"""
UPSERT_CATEGORY = """
INSERT INTO categories (code, name, unit_type, scope) VALUES ($1, $2, $3, $4)
ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, unit_type = EXCLUDED.unit_type, scope = EXCLUDED.scope
"""
UPSERT_UNIT = """
INSERT INTO units (code, name, unit_type, area_code, tier) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, unit_type = EXCLUDED.unit_type,
    area_code = EXCLUDED.area_code, tier = EXCLUDED.tier
"""
LINK_UNIT_CATEGORIES = """
INSERT INTO unit_categories (unit_id, category_code)
SELECT u.id, c.code FROM units u JOIN categories c ON c.unit_type = u.unit_type
ON CONFLICT DO NOTHING
"""


def _level_order(row: dict) -> int:
    return {"province": 0, "city": 1, "county": 2, "street": 3}[row["level"]]


async def seed_reference(conn: asyncpg.Connection) -> dict[str, int]:
    """Areas and categories (re-runnable)."""
    areas = sorted(read_csv(AREAS_CSV), key=_level_order)
    await conn.executemany(UPSERT_AREA, [(a["code"], a["name"], a["short_name"], a["level"], a["parent_code"])
                                         for a in areas])
    cats = read_csv(TAXONOMY_CSV)
    await conn.executemany(UPSERT_CATEGORY, [(c["code"], c["category"], c["unit_type"], c["scope"]) for c in cats])
    return {"areas": len(areas), "categories": len(cats)}


async def seed_units(conn: asyncpg.Connection) -> int:
    """One unit per unit type per area of the sample province (re-runnable)."""
    from routing.units import demo_units, load_unit_types
    from routing.address import load_areas

    units = demo_units(load_areas(AREAS_CSV), load_unit_types())
    await conn.executemany(UPSERT_UNIT, [(u.code, u.name, u.unit_type, u.area_code, u.tier) for u in units])
    await conn.execute(LINK_UNIT_CATEGORIES)
    return len(units)


async def seed_all(conn: asyncpg.Connection) -> dict[str, int]:
    """All sample data in one transaction."""
    async with conn.transaction():
        counts = await seed_reference(conn)
        counts["units"] = await seed_units(conn)
        from hotline.disputes.seed import seed_network

        counts.update(await seed_network(conn))
        from hotline.knowledge.transfer import seed_articles

        counts["articles"] = await seed_articles(conn)
    return counts


def database_url(admin_url: str, name: str) -> str:
    """The same server's URL for another database."""
    from urllib.parse import urlsplit, urlunsplit

    return urlunsplit(urlsplit(admin_url)._replace(path="/" + name))


async def drop_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def fresh_database(admin_url: str, name: str) -> str:
    """Drop and recreate a database, migrate it and load the sample data; returns its URL.

    For tests and benchmarks, which each want a clean database on a shared server."""
    from hotline import db

    await drop_database(admin_url, name)
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = database_url(admin_url, name)
    conn = await db.connect(url)
    try:
        await db.migrate(conn)
        await seed_all(conn)
    finally:
        await conn.close()
    return url
