"""Training rows from the service's own history: tickets whose category a human corrected."""
from __future__ import annotations

from datetime import datetime

import asyncpg

from classifier.history import export_rows

CORRECTED = """
SELECT t.content AS text, c.name AS final_category,
       e.data -> 'classification' ->> 'category' AS predicted_category
FROM tickets t
JOIN categories c ON c.code = t.category_code
JOIN ticket_events e ON e.ticket_id = t.id AND e.action = 'receive'
WHERE t.status = 'closed' AND t.category_source = 'human' AND ($1::timestamptz IS NULL OR t.closed_at >= $1)
ORDER BY t.id
"""


async def corrected_rows(conn: asyncpg.Connection, since: datetime | None = None,
                         include_confirmed: bool = False) -> list[dict]:
    """Closed tickets whose final category came from a person (triage or 改派), as text,label rows."""
    records = [dict(r) for r in await conn.fetch(CORRECTED, since)]
    labels = {r["name"] for r in await conn.fetch("SELECT name FROM categories")}
    return export_rows(records, include_confirmed=include_confirmed, allowed_labels=labels)
