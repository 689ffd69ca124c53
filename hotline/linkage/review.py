"""三方研判: calls whose 12345/110 reading is uncertain wait for an agent's decision.

At intake a call the split flags for review (`split_review`) is not handed to 110 on a guess:
if the split leaned to 110 or joint it waits in triage with no hand-off written; if it leaned
to 12345 it is dispatched as usual (先行受理) and still listed here. An agent clears each one:

* transfer-110 — the state machine's 移交110 (only from received/triage): the ticket leaves 12345
  and a police-only hand-off is written in the same transaction;
* keep — not a police matter: stays on 12345 (a held ticket goes on to the triage desk);
* joint — police first *and* the government matter: a joint hand-off is written and the ticket
  stays on 12345 so the underlying matter (a leak, a boundary, unpaid fees) is still dispatched.

Each decision is recorded on the ticket (split_decision, by whom, when) and in its history.
"""
from __future__ import annotations

from datetime import datetime

import asyncpg

from hotline import scope
from hotline.auth import Principal
from hotline.errors import ApiError
from hotline.linkage import outbox
from hotline.pipeline import HELD_REASON
from hotline.tickets.service import add_event
from hotline.workflow import service as wf
from hotline.workflow.steps import begin, conflict, finish, role_of

DECISIONS = {"transfer-110": "transfer_110", "keep": "keep", "joint": "joint"}
LABELS = {"transfer_110": "三方研判：移交110", "keep": "三方研判：非警情，留12345办理",
          "joint": "三方研判：联动处置（110先行，事项照常派办）"}

QUEUE = """
SELECT {brief}, t.disposition AS split_disposition, t.split_reasons, t.created_at
{frm}
WHERE t.split_review AND t.split_decision IS NULL AND t.status NOT IN ('closed', 'transferred')
  AND {where} AND t.id > ${after}
ORDER BY t.id LIMIT ${limit}
"""


async def queue(pool: asyncpg.Pool, principal: Principal, after: int | None, limit: int) -> dict:
    """Undecided split reviews, oldest first: held calls (in triage) and 先行受理 ones."""
    args: list = []
    where = scope.clause(principal, args)
    args += [after or 0, limit]
    sql = QUEUE.format(brief=wf.BRIEF_COLUMNS, frm=wf.BRIEF_FROM, where=where, after=len(args) - 1, limit=len(args))
    items = [{"id": r["id"], "ticket": wf.brief(r),
              "split": {"disposition": r["split_disposition"], "reasons": list(r["split_reasons"] or []),
                        "held": r["status"] == "triage" and (r["triage_reason"] or "").startswith(HELD_REASON)}}
             for r in await pool.fetch(sql, *args)]
    return {"items": items, "next_after": items[-1]["id"] if len(items) == limit else None}


def _open_or_refuse(row: asyncpg.Record, principal: Principal | None) -> None:
    """409 unless the ticket still waits for a split decision."""
    if not row["split_review"]:
        raise conflict("该工单不在三方研判队列中", row["status"], role_of(principal),
                       "只有被标记为需三方研判（split_review）的工单可以研判")
    if row["split_decision"] is not None:
        raise conflict(f"该工单已研判（{LABELS[row['split_decision']]}）", row["status"], role_of(principal))


def _decided(principal: Principal | None, decision: str, now: datetime) -> dict:
    return {"split_decision": decision, "split_decided_at": now,
            "split_decided_by": principal.token_id if principal is not None else None}


async def decide(conn: asyncpg.Connection, ticket_id: int, principal: Principal | None, decision: str,
                 reason: str, now: datetime) -> dict:
    """Apply one decision in one transaction; returns what the client sees."""
    async with conn.transaction():
        if decision == "transfer_110":
            return await _transfer(conn, ticket_id, principal, reason, now)
        row = await wf.lock_ticket(conn, ticket_id)
        if row is None:
            raise scope.not_found(ticket_id)
        await scope.check_action(conn, principal, row, "split_review")
        _open_or_refuse(row, principal)
        fields = {**_decided(principal, decision, now), "updated_at": now,
                  "disposition": "joint" if decision == "joint" else "12345"}
        if row["status"] == "triage":
            fields["triage_reason"] = LABELS[decision] + "，请分拣派单"
        await wf.update_ticket(conn, ticket_id, fields)
        reasons = list(row["split_reasons"] or [])
        if decision == "joint":
            await outbox.enqueue_handoff(conn, ticket_id, reasons + ([reason] if reason else []), True)
        await add_event(conn, ticket_id, principal, "split_review", from_status=row["status"],
                        to_status=row["status"], reason=reason or LABELS[decision],
                        data={"split_decision": decision})
        return {"ticket_id": ticket_id, "decision": decision, "decision_label": LABELS[decision],
                "status": row["status"], "disposition": fields["disposition"], "handoff": decision == "joint"}


async def _transfer(conn, ticket_id: int, principal: Principal | None, reason: str, now: datetime) -> dict:
    """移交110 through the state machine, with a police-only hand-off."""
    step = await begin(conn, ticket_id, principal, "transfer_110", now)
    _open_or_refuse(step.row, principal)
    done = await finish(conn, step, reason=reason or LABELS["transfer_110"], data={"split_decision": "transfer_110"},
                        fields={**_decided(principal, "transfer_110", now), "disposition": "110"})
    await outbox.enqueue_handoff(conn, ticket_id, list(step.row["split_reasons"] or []) + ([reason] if reason else []),
                                 False)
    return {"ticket_id": ticket_id, "decision": "transfer_110", "decision_label": LABELS["transfer_110"],
            "status": done.to_status.value, "disposition": "110", "handoff": True}
