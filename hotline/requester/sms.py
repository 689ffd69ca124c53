"""SMS to requesters through an outbox: what is queued, and the texts from the templates file.

Accepted (with the query code) is queued by intake in the group commit that writes the ticket
(hotline.tickets.service.RECEIVE_TICKETS; enqueue_accepted only for a retried request); replied and reopened by a database trigger on
the ticket (migrations/0016_requester.sql), in the transaction that changed it. The text is made at
send time (hotline/requester/sms_worker.py) from data/sms_templates.toml; the secrets a text carries
(the query code, the survey token) stay in the row only until it is sent.
"""
from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

import asyncpg

from hotline import scope
from hotline.auth import Principal

TEMPLATES = Path(__file__).parent / "data" / "sms_templates.toml"
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
SECRETS = ("code", "token")
KIND_LABELS = {"accepted": "受理通知", "replied": "办结评价", "reopened": "重办通知"}
STATE_LABELS = {"pending": "待发送", "sent": "已发送", "failed": "发送失败", "skipped": "无需发送"}


@lru_cache(maxsize=1)
def templates(path: Path = TEMPLATES) -> dict[str, str]:
    with open(path, "rb") as f:
        return dict(tomllib.load(f)["templates"])


def render(kind: str, values: dict) -> str:
    return templates()[kind].format(**values)


# An intake retry (same idempotency key) gives the ticket a new code: a text not sent yet takes it
# (one sent already carried the old one); a retry also queues the text if the first try never did.
ENQUEUE = """
INSERT INTO sms_outbox (ticket_id, kind, idempotency_key, phone, params)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (idempotency_key) DO UPDATE SET params = EXCLUDED.params WHERE sms_outbox.state = 'pending'
RETURNING id
"""


async def enqueue_accepted(db: asyncpg.Pool | asyncpg.Connection, row, code: str) -> int | None:
    """Queue the acceptance text (ticket number and query code) when the requester gave a mobile number."""
    phone = row["requester_phone"] or ""
    if not MOBILE_RE.match(phone):
        return None
    return await db.fetchval(ENQUEUE, row["id"], "accepted", f"sms:accepted:{row['ticket_no']}", phone,
                             {"ticket_no": row["ticket_no"], "code": code})


LIST = """
SELECT o.id, o.ticket_id, t.ticket_no, o.kind, o.phone, o.state, o.attempts, o.last_error, o.remote_ref,
       o.created_at, o.next_attempt_at, o.sent_at
FROM sms_outbox o JOIN tickets t ON t.id = o.ticket_id
WHERE ($1::text IS NULL OR o.state = $1) AND ($2::bigint IS NULL OR o.ticket_id = $2) AND {scope}
ORDER BY o.id DESC LIMIT $3
"""


async def listing(pool: asyncpg.Pool, principal: Principal, state: str | None, ticket_id: int | None,
                  limit: int) -> list[asyncpg.Record]:
    """Messages of the tickets the principal may see, newest first (no texts: they may hold secrets)."""
    args: list = [state, ticket_id, limit]
    return await pool.fetch(LIST.format(scope=scope.clause(principal, args)), *args)
