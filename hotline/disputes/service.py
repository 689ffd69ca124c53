"""Data access for dispute cases (plain SQL, asyncpg): one short function per query."""
from __future__ import annotations

from datetime import datetime

import asyncpg

from hotline.auth import Principal
from routing.disputes.network import Org

FINISHED = ("settled", "failed", "terminated", "closed")


# --- the network ------------------------------------------------------------------------------

ORGS = """
SELECT o.id, o.code, o.name, o.kind, o.tier, o.area_code, o.town, o.community, o.dispute_types, o.leader,
       o.phone, a.parent_code AS city_code
FROM mediation_orgs o JOIN areas a ON a.code = o.area_code WHERE o.active
"""


def org_of(row) -> Org:
    return Org(row["code"], row["name"], row["kind"], row["tier"], row["area_code"], row["town"], row["community"],
               tuple(row["dispute_types"]), row["leader"], row["phone"], (), row["city_code"] or "")


async def load_orgs(conn) -> tuple[list[Org], dict[str, int]]:
    """Every active organisation as a routing Org, and ids by code."""
    rows = await conn.fetch(ORGS)
    return [org_of(r) for r in rows], {r["code"]: r["id"] for r in rows}


async def orgs_by_code(conn, codes: list[str]) -> list[asyncpg.Record]:
    rows = await conn.fetch("SELECT id, code, name, tier FROM mediation_orgs WHERE code = ANY($1) AND active", codes)
    by = {r["code"]: r for r in rows}
    return [by[c] for c in codes if c in by]


LIST_ORGS = """
SELECT o.id, o.code, o.name, o.kind, o.tier, o.area_code, o.town, o.community, o.dispute_types, o.leader, o.phone,
       coalesce((SELECT json_agg(json_build_object('name', m.name, 'title', m.title) ORDER BY m.id)
                 FROM mediators m WHERE m.org_id = o.id AND m.active), '[]') AS mediators
FROM mediation_orgs o JOIN areas a ON a.code = o.area_code
WHERE o.active AND ($1::text IS NULL OR o.area_code = $1 OR a.parent_code = $1)
  AND ($2::text IS NULL OR o.tier = $2) AND ($3::text IS NULL OR o.dispute_types = '{}' OR $3 = ANY(o.dispute_types))
ORDER BY o.area_code, array_position(ARRAY['city','county','town','community'], o.tier), o.code
LIMIT $4
"""


async def list_orgs(pool, area: str | None, tier: str | None, dtype: str | None, limit: int) -> list[dict]:
    rows = await pool.fetch(LIST_ORGS, area, tier, dtype, limit)
    return [{**dict(r), "dispute_types": list(r["dispute_types"]), "mediators": _json(r["mediators"])} for r in rows]


def _json(v):
    from hotline import jsoncodec

    return jsoncodec.loads(v) if isinstance(v, (str, bytes)) else v


# --- cases ------------------------------------------------------------------------------------

INSERT_CASE = """
INSERT INTO dispute_cases (case_no, source, source_ref, dispute_type, summary, address, area_code, city_code,
                           county_code, amount, people, repeat_calls, risk, risk_scored, risk_reasons, created_by,
                           created_at, updated_at)
VALUES ('TJ' || to_char($16 AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || lpad(nextval('case_no_seq')::text, 6, '0'),
        $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14, $15, $16)
ON CONFLICT (source, source_ref) DO NOTHING
RETURNING id
"""


async def insert_case(conn, f: dict, principal: Principal | None, at: datetime) -> int | None:
    """A new case row (None when the same external reference already has one)."""
    return await conn.fetchval(INSERT_CASE, f["source"], f.get("source_ref"), f["dispute_type"], f["summary"],
                               f["address"], f["area_code"], f["city_code"], f["county_code"], f.get("amount"),
                               f["people"], f.get("repeat_calls", 0), f["risk"], f["risk_reasons"],
                               principal.token_id if principal else None, at, at)


async def insert_parties(conn, case_id: int, parties: list[dict]) -> None:
    await conn.executemany("INSERT INTO case_parties (case_id, role, kind, name, phone, id_number) "
                           "VALUES ($1, $2, $3, $4, $5, $6)",
                           [(case_id, p["role"], p.get("kind", "person"), p["name"], p.get("phone", ""),
                             p.get("id_number", "")) for p in parties])


async def link_ticket(conn, case_id: int, ticket_id: int, at: datetime) -> bool:
    """Gather a ticket into a case; False when it already belongs to one."""
    done = await conn.fetchval("INSERT INTO case_tickets (case_id, ticket_id, at) VALUES ($1, $2, $3) "
                               "ON CONFLICT DO NOTHING RETURNING case_id", case_id, ticket_id, at)
    return done is not None


async def case_of_ticket(conn, ticket_id: int) -> int | None:
    return await conn.fetchval("SELECT case_id FROM case_tickets WHERE ticket_id = $1", ticket_id)


async def case_by_ref(conn, source: str, ref: str) -> int | None:
    return await conn.fetchval("SELECT id FROM dispute_cases WHERE source = $1 AND source_ref = $2", source, ref)


SAME_PARTIES = """
SELECT c.id, c.status::text AS status FROM dispute_cases c JOIN case_parties p ON p.case_id = c.id
WHERE p.phone = ANY($1::text[]) AND c.county_code IS NOT DISTINCT FROM $2
ORDER BY (c.status::text IN ('settled', 'failed', 'terminated', 'closed')), c.id DESC LIMIT 1
"""


async def same_parties(conn, phones: list[str], county: str | None) -> asyncpg.Record | None:
    """An earlier case of the same parties (by phone) in the same county; open ones first."""
    phones = [p for p in phones if p]
    return await conn.fetchrow(SAME_PARTIES, phones, county) if phones else None


LOCK_CASE = "SELECT * FROM dispute_cases WHERE id = $1 FOR UPDATE"


async def lock_case(conn, case_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(LOCK_CASE, case_id)


async def get_case(conn, case_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM dispute_cases WHERE id = $1", case_id)


async def update_case(conn, case_id: int, fields: dict) -> None:
    """Set columns of one case (names come from code, never from requests)."""
    sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(fields, start=2))
    await conn.execute(f"UPDATE dispute_cases SET {sets} WHERE id = $1", case_id, *fields.values())


INSERT_EVENT = """
INSERT INTO case_events (case_id, at, actor_id, actor_role, action, from_status, to_status, reason, data)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id
"""


async def add_event(conn, case_id: int, principal: Principal | None, action: str, at: datetime, *,
                    from_status: str | None = None, to_status: str | None = None, reason: str = "",
                    data: dict | None = None) -> int:
    """Append one row to the case's audit trail."""
    return await conn.fetchval(INSERT_EVENT, case_id, at, principal.token_id if principal else None,
                               principal.role.value if principal else None, action, from_status, to_status,
                               reason, data or {})


async def events(pool, case_id: int) -> list[dict]:
    rows = await pool.fetch("SELECT id, at, actor_role, action, from_status, to_status, reason, data "
                            "FROM case_events WHERE case_id = $1 ORDER BY id", case_id)
    return [dict(r) for r in rows]


# --- organisations on a case ------------------------------------------------------------------

async def set_orgs(conn, case_id: int, lead_id: int, support_ids: list[int], at: datetime) -> None:
    """The case's lead and supporting organisations from now on (earlier ones inactive)."""
    await conn.execute("UPDATE case_orgs SET active = false WHERE case_id = $1", case_id)
    rows = [(case_id, lead_id, "lead", at)] + [(case_id, s, "support", at) for s in support_ids if s != lead_id]
    await conn.executemany("INSERT INTO case_orgs (case_id, org_id, role, active, at) VALUES ($1, $2, $3, true, $4) "
                           "ON CONFLICT (case_id, org_id) DO UPDATE SET role = EXCLUDED.role, active = true, "
                           "at = EXCLUDED.at", rows)


CASE_ORGS = """
SELECT o.id, o.code, o.name, o.tier, o.kind, co.role, o.leader FROM case_orgs co JOIN mediation_orgs o ON o.id = co.org_id
WHERE co.case_id = $1 AND co.active ORDER BY co.role, o.code
"""


async def case_orgs(conn, case_id: int) -> list[dict]:
    return [dict(r) for r in await conn.fetch(CASE_ORGS, case_id)]
