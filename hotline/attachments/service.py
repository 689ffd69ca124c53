"""Data access for attachments (plain SQL, asyncpg)."""
from __future__ import annotations

import asyncpg

from hotline.attachments.kinds import KIND_LABELS, PURPOSE_LABELS
from hotline.jsoncodec import iso

COLUMNS = """id, ticket_id, purpose, kind, media_type, size_bytes, sha256, filename, storage, storage_key, unit_id,
uploaded_by, uploaded_role, created_at"""

INSERT = f"""
INSERT INTO attachments (ticket_id, purpose, kind, media_type, size_bytes, sha256, filename, storage, storage_key,
                         unit_id, uploaded_by, uploaded_role)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::api_role)
RETURNING {COLUMNS}
"""
LIST = f"SELECT {COLUMNS} FROM attachments WHERE ticket_id = $1 ORDER BY id"
GET = f"SELECT {COLUMNS} FROM attachments WHERE id = $1 AND ticket_id = $2"
COUNT = "SELECT count(*) FROM attachments WHERE ticket_id = $1"
OWNED = """
SELECT array_agg(id ORDER BY id) FROM attachments
WHERE ticket_id = $1 AND id = ANY($2::bigint[]) AND purpose = 'evidence' AND unit_id = $3
"""


async def insert(conn: asyncpg.Connection, values: tuple) -> asyncpg.Record:
    """Record a stored file (values in INSERT's order)."""
    return await conn.fetchrow(INSERT, *values)


async def for_ticket(db, ticket_id: int) -> list[asyncpg.Record]:
    return await db.fetch(LIST, ticket_id)


async def get(db, ticket_id: int, attachment_id: int) -> asyncpg.Record | None:
    return await db.fetchrow(GET, attachment_id, ticket_id)


async def count(db, ticket_id: int) -> int:
    return await db.fetchval(COUNT, ticket_id)


async def evidence_of(db, ticket_id: int, ids: list[int], unit_id: int | None) -> list[int]:
    """Which of ids are evidence the unit attached to the ticket."""
    return list(await db.fetchval(OWNED, ticket_id, ids, unit_id) or [])


def out(row: asyncpg.Record) -> dict:
    """The API shape of one attachment (no storage details)."""
    return {"id": row["id"], "ticket_id": row["ticket_id"], "purpose": row["purpose"],
            "purpose_label": PURPOSE_LABELS[row["purpose"]], "kind": row["kind"],
            "kind_label": KIND_LABELS[row["kind"]], "media_type": row["media_type"],
            "size_bytes": row["size_bytes"], "sha256": bytes(row["sha256"]).hex(), "filename": row["filename"],
            "unit_id": row["unit_id"], "uploaded_role": row["uploaded_role"], "created_at": iso(row["created_at"]),
            "url": f"/api/v1/tickets/{row['ticket_id']}/attachments/{row['id']}"}
