"""诉调对接: the court's platform as a receiver of its own, beside the 110 one.

Referrals of failed mediations and 司法确认 requests are written to `court_outbox` in
the case's transaction, with an idempotency key per case, kind and reopening, and
delivered by the shared delivery loop (hotline/outbox.py: leases, capped exponential
backoff, the key sent as `Idempotency-Key` so the court deduplicates a retry whose
answer was lost); this module is the court's receiver. The court posts back acceptance (立案/受理) and the
outcome, which are recorded on the row and in the case's trail.
"""
from __future__ import annotations

from datetime import datetime, timezone
from functools import partial

import aiohttp
import asyncpg
from aiohttp import web

from hotline import keys
from hotline import outbox
from hotline.outbox import Target


ENQUEUE = """
INSERT INTO court_outbox (case_id, kind, idempotency_key, payload) VALUES ($1, $2, $3, $4)
ON CONFLICT (idempotency_key) DO NOTHING
"""
DELIVERED = """
UPDATE court_outbox SET state = 'delivered', attempts = attempts + 1, delivered_at = now(), remote_ref = $2,
    last_error = '', updated_at = now()
WHERE id = $1 AND state = 'pending'
"""


async def enqueue(conn, row: dict, kind: str, extra: dict) -> str:
    """Queue a referral or confirmation request for the case; returns its idempotency key."""
    key = f"court:{kind}:{row['case_no']}:{row['reopen_count']}"
    parties = await conn.fetch("SELECT role, kind, name FROM case_parties WHERE case_id = $1 ORDER BY id", row["id"])
    payload = {"case_no": row["case_no"], "kind": kind, "dispute_type": row["dispute_type"],
               "summary": row["summary"], "area_code": row["area_code"],
               "amount": float(row["amount"]) if row["amount"] is not None else None,
               "parties": [dict(p) for p in parties], **extra}
    await conn.execute(ENQUEUE, row["id"], kind, key, payload)
    return key


async def _body(pool: asyncpg.Pool, row) -> dict:
    return row["payload"]


async def _done(pool: asyncpg.Pool, row, answer: dict) -> None:
    """Delivered: on the row and in the case's trail, in one transaction."""
    ref = str(answer["ref"]) if answer.get("ref") is not None else None
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(DELIVERED, row["id"], ref)
        await conn.execute(EVENT, row["case_id"], "court_delivered", "已送达法院诉调对接平台",
                           {"kind": row["kind"], "idempotency_key": row["idempotency_key"], "ref": ref})


EVENT = """
INSERT INTO case_events (case_id, at, action, reason, data) VALUES ($1, now(), $2, $3, $4)
"""
RECEIVER = outbox.Receiver("court", "court_outbox", "case_id, kind, payload", _body, _done,
                           touch=", updated_at = now()")


async def deliver_due(pool: asyncpg.Pool, session: aiohttp.ClientSession, target: Target, batch: int = 20) -> int:
    """Send what is due to the court; returns how many were delivered."""
    return await outbox.deliver_due(pool, session, RECEIVER, target, batch)


async def delivery_ctx(app: web.Application):
    """Run the worker with the app when the court's platform is configured."""
    s = app[keys.SETTINGS]
    if not s.court_url:
        yield
        return
    target = Target(s.court_url, s.court_token, s.linkage_timeout_seconds, s.linkage_max_attempts,
                    s.linkage_backoff_max_seconds)
    async for _ in outbox.running(app[keys.POOL], partial(deliver_due, app[keys.POOL], target=target), "court",
                                  s.linkage_poll_seconds):
        yield


CALLBACK = """
UPDATE court_outbox SET state = $2, remote_ref = coalesce(nullif($3, ''), remote_ref),
    court_outcome = CASE WHEN $4 <> '' THEN $4 ELSE court_outcome END, updated_at = now()
WHERE idempotency_key = $1 AND state IN ('pending', 'delivered', 'accepted')
RETURNING id, case_id, kind
"""


async def record_callback(pool: asyncpg.Pool, body, at: datetime | None = None) -> dict:
    """The court's acceptance or outcome, on the row and in the case's trail (one transaction)."""
    at = at or datetime.now(timezone.utc)
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(CALLBACK, body.idempotency_key, body.state, body.court_case_no, body.outcome)
        if row is None:
            state = await conn.fetchval("SELECT state FROM court_outbox WHERE idempotency_key = $1",
                                        body.idempotency_key)
            return {"found": state is not None, "state": state, "changed": False}
        label = {"accepted": "法院已受理", "concluded": "法院已审结"}[body.state]
        await conn.execute("INSERT INTO case_events (case_id, at, action, reason, data) VALUES ($1, $2, $3, $4, $5)",
                           row["case_id"], at, f"court_{body.state}", label,
                           {"kind": row["kind"], "court_case_no": body.court_case_no, "outcome": body.outcome})
        if row["kind"] == "confirmation" and body.state == "concluded":
            confirmed = "refused" if any(w in body.outcome for w in ("驳回", "不予确认")) else "confirmed"
            await conn.execute("UPDATE case_agreements SET confirmation = $2 WHERE id = (SELECT max(id) FROM "
                               "case_agreements WHERE case_id = $1 AND confirmation = 'requested')",
                               row["case_id"], confirmed)
        return {"found": True, "state": body.state, "changed": True, "case_id": row["case_id"]}


OUTBOX = """
SELECT o.id, o.case_id, c.case_no, o.kind, o.state, o.attempts, o.last_error, o.remote_ref, o.court_outcome,
       o.created_at, o.delivered_at, o.next_attempt_at
FROM court_outbox o JOIN dispute_cases c ON c.id = o.case_id
WHERE ($1::text IS NULL OR o.state = $1) AND {scope}
ORDER BY o.id DESC LIMIT $2
"""
