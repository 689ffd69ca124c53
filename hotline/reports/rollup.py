"""The rate rollup: counters per day x unit x area x category x channel x requester type.

Triggers (migrations/repeatable.sql) append deltas to `rate_rollup_delta` in the
same transaction as every change that moves a count: the ticket row (dispatch,
sign, reply, reopen, close), `ticket_returns`, `escalations` and
`callback_results`. Writers only insert, so they never wait on each other.
`fold()` moves the committed deltas into `rate_rollup` in one statement under an
advisory lock; reports fold before they read, and the scheduler may fold on a
timer (`fold_job`) so the delta table stays small.
"""
from __future__ import annotations

import logging

import asyncpg

log = logging.getLogger(__name__)

COUNTERS: tuple[str, ...] = (
    "received", "dispatched", "signed", "signed_on_time", "replied", "replied_on_time", "claimed_solved",
    "overdue", "returned", "reopened", "escalated", "supervised", "closed", "cb_reached", "cb_unreachable",
    "cb_satisfied", "cb_basic", "cb_unsatisfied", "cb_solved", "cb_unsolved",
)

COUNTER_LABELS: dict[str, str] = {
    "received": "受理量", "dispatched": "派单数", "signed": "签收数", "signed_on_time": "按时签收数",
    "replied": "办结数", "replied_on_time": "按时办结数", "claimed_solved": "单位自报解决数",
    "overdue": "超时数", "returned": "退单数", "reopened": "重办数", "escalated": "提级数",
    "supervised": "督办数", "closed": "归档数", "cb_reached": "回访联系上", "cb_unreachable": "回访无法联系",
    "cb_satisfied": "满意", "cb_basic": "基本满意", "cb_unsatisfied": "不满意", "cb_solved": "回访已解决",
    "cb_unsolved": "回访未解决",
}


async def fold(conn: asyncpg.Connection | asyncpg.Pool) -> int:
    """Move pending deltas into rate_rollup; returns the rollup rows touched."""
    return await conn.fetchval("SELECT rollup_fold()")


async def pending(conn: asyncpg.Connection | asyncpg.Pool) -> int:
    return await conn.fetchval("SELECT count(*) FROM rate_rollup_delta")


async def fold_job(pool: asyncpg.Pool) -> None:
    """For the scheduler: fold, logging instead of raising."""
    try:
        n = await fold(pool)
        if n:
            log.debug("rate rollup: folded into %d rows", n)
    except Exception:  # a scheduler job must not die
        log.exception("rate rollup fold failed")
