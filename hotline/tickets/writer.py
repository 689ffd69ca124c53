"""Group commit for intake: concurrent requests' tickets written by one statement.

Each worker process gathers the tickets of requests that arrive while a write is
running and writes them together (RECEIVE_TICKETS: one round trip, one commit,
one WAL flush for the lot). Every caller still hears back only after the commit,
so a 201 always means the ticket is durable. When the batch is refused because
of one request's data, the requests are written one by one so the others go in
and only that one gets its error. Connection failures reach every caller of the
batch (nothing was committed: the statement is atomic).
"""
from __future__ import annotations

import asyncpg

from hotline.batching import Batcher
from hotline.tickets import service

# SQLSTATE classes that mean the server or the connection went away, not a bad row.
_UNAVAILABLE_CLASSES = ("08", "53", "57")


class IntakeWriter:
    """Writes intake documents (service.intake_doc) in batches; one per worker process."""

    def __init__(self, pool: asyncpg.Pool, max_batch: int = 32) -> None:
        self.pool = pool
        self.batcher: Batcher[dict, asyncpg.Record | None] = Batcher(self._write, max_batch=max_batch)

    async def write(self, doc: dict) -> asyncpg.Record | None:
        """The new ticket row, or None when the document's idempotency key was already used."""
        return await self.batcher.submit(doc)

    async def _write(self, docs: list[dict]) -> list:
        async with self.pool.acquire() as conn:
            try:
                return await service.receive_tickets(conn, docs)
            except asyncpg.PostgresError as exc:
                if len(docs) == 1 or (exc.sqlstate or "")[:2] in _UNAVAILABLE_CLASSES:
                    raise
            return [await _write_one(conn, doc) for doc in docs]


async def _write_one(conn: asyncpg.Connection, doc: dict):
    """One document alone: its row, or the PostgreSQL error that refused it (for its caller only)."""
    try:
        return (await service.receive_tickets(conn, [doc]))[0]
    except asyncpg.PostgresError as exc:
        return exc
