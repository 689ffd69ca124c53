"""The sample province's mediation network: written organisations plus generated ones, with mediators."""
from __future__ import annotations

import asyncpg

from routing.address import load_areas
from routing.disputes.network import generated_orgs, read_orgs

UPSERT_ORG = """
INSERT INTO mediation_orgs (code, name, kind, tier, area_code, town, community, dispute_types, leader, phone)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, tier = EXCLUDED.tier,
    area_code = EXCLUDED.area_code, town = EXCLUDED.town, community = EXCLUDED.community,
    dispute_types = EXCLUDED.dispute_types, leader = EXCLUDED.leader, phone = EXCLUDED.phone
"""
UPSERT_MEDIATOR = """
INSERT INTO mediators (org_id, name, title) SELECT id, $2, $3 FROM mediation_orgs WHERE code = $1
ON CONFLICT (org_id, name) DO UPDATE SET title = EXCLUDED.title
"""


async def seed_network(conn: asyncpg.Connection) -> dict[str, int]:
    """Upsert every organisation and mediator (re-runnable)."""
    written = read_orgs()
    orgs = written + generated_orgs(load_areas(), written)
    await conn.executemany(UPSERT_ORG, [(o.code, o.name, o.kind, o.tier, o.area_code, o.town, o.community,
                                         list(o.dispute_types), o.leader, o.phone) for o in orgs])
    people = [(o.code, name, title) for o in orgs for name, title in o.mediators]
    await conn.executemany(UPSERT_MEDIATOR, people)
    return {"mediation_orgs": len(orgs), "mediators": len(people)}
