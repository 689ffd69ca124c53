"""追加, 并单, 关联 and 撤销并单: workflow actions over two tickets, each one transaction with its events.

The acting ticket goes through the workflow's begin/finish (lock, scope, state machine, event);
the other ticket is locked with it (in id order), must be in the caller's scope too, and gets
its own event row, in the same transaction.
"""
from __future__ import annotations

from datetime import datetime

import asyncpg

from hotline import scope
from hotline.auth import Principal
from hotline.duplicates import service
from hotline.duplicates.chase import ChaseRule, maybe_raise
from hotline.errors import ApiError
from hotline.tickets.service import add_event
from hotline.workflow import service as workflow
from hotline.workflow.steps import Done, Step, begin, finish, refuse

# A repeat call is added to a matter still being worked; a merge may also join one already answered.
OPEN_FOR_REPEAT = frozenset({"received", "triage", "dispatched", "signed", "in_progress", "returned"})
CLOSED_FOR_MERGE = frozenset({"closed", "transferred"})
KIND = {"add_repeat": "repeat", "merge": "merged"}
LEAD_EVENT = {"repeat": "repeat_call", "merged": "merged_in"}


async def _other(conn: asyncpg.Connection, step: Step, other_id: int, field: str) -> asyncpg.Record:
    """The other ticket (already locked), in the caller's scope; 422 when it is the ticket itself."""
    if other_id == step.ticket_id:
        raise ApiError(422, "不能与工单自身并单或关联", [{"field": field, "message": str(other_id)}])
    row = await workflow.lock_ticket(conn, other_id)
    if row is None:
        raise scope.not_found(other_id)
    await scope.check_action(conn, step.principal, row, step.action)
    return row


async def fold(conn: asyncpg.Connection, ticket_id: int, principal: Principal | None, action: str, lead_id: int,
               reason: str, now: datetime, chase: ChaseRule | None = None) -> Done:
    """追加 (add_repeat) or 并单 (merge): close this call into the lead ticket (a 追加 may make it urgent)."""
    kind = KIND[action]
    async with conn.transaction():
        await service.lock_pair(conn, ticket_id, lead_id)
        step = await begin(conn, ticket_id, principal, action, now)
        lead = await _other(conn, step, lead_id, "lead_id")
        if lead["merged_into"] is not None:
            raise refuse(step, "目标工单本身已并入其他工单，请选择主工单",
                         f"工单 {lead['ticket_no']} 已并入工单 {lead['merged_into']}", lead_id=lead["merged_into"])
        if kind == "repeat" and lead["status"] not in OPEN_FOR_REPEAT:
            raise refuse(step, "目标工单已办结，不能追加来电；可并单或关联", f"目标工单状态：{lead['status']}")
        if kind == "merged" and lead["status"] in CLOSED_FOR_MERGE:
            raise refuse(step, "目标工单已归档或已移交，不能并单；可关联", f"目标工单状态：{lead['status']}")
        if await service.has_folded_calls(conn, ticket_id):
            raise refuse(step, "本工单已有追加或并入的工单，请先撤销后再并入其他工单")
        if await service.linked(conn, ticket_id, lead_id):
            raise refuse(step, "两张工单已关联或已并单", "先撤销原有关系")
        link_id = await service.insert_link(conn, ticket_id, lead_id, kind, reason, now, principal)
        row = step.row
        count = await service.count_repeat(conn, lead_id, 1, now) if kind == "repeat" else lead["repeat_calls"]
        await add_event(conn, lead_id, principal, LEAD_EVENT[kind], reason=reason, at=now,
                        data={"ticket_id": ticket_id, "ticket_no": row["ticket_no"], "repeat_calls": count,
                              "caller": row["requester_name"]})
        raised = await maybe_raise(conn, lead, principal, chase, now) if kind == "repeat" and chase else None
        fields = {"closed_as": kind, "merged_into": lead_id, "closed_at": now, "next_escalation_at": None}
        return await finish(conn, step, reason=reason, fields=fields,
                            data={"lead_id": lead_id, "lead_ticket_no": lead["ticket_no"], "link_id": link_id,
                                  "repeat_calls": count, "lead_urgency_raised": raised is not None})


async def link(conn: asyncpg.Connection, ticket_id: int, principal: Principal | None, other_id: int, reason: str,
               now: datetime) -> Done:
    """关联: record that two tickets concern related matters; both keep their own handling."""
    async with conn.transaction():
        await service.lock_pair(conn, ticket_id, other_id)
        step = await begin(conn, ticket_id, principal, "link", now)
        other = await _other(conn, step, other_id, "other_id")
        if await service.linked(conn, ticket_id, other_id):
            raise refuse(step, "两张工单已关联或已并单")
        link_id = await service.insert_link(conn, ticket_id, other_id, "link", reason, now, principal)
        await add_event(conn, other_id, principal, "linked", reason=reason, at=now,
                        data={"ticket_id": ticket_id, "ticket_no": step.row["ticket_no"]})
        return await finish(conn, step, reason=reason,
                            data={"other_id": other_id, "other_ticket_no": other["ticket_no"], "link_id": link_id})


async def unmerge(conn: asyncpg.Connection, ticket_id: int, principal: Principal | None, reason: str,
                  now: datetime) -> Done:
    """撤销并单: undo a 追加 or 并单; the call goes back to triage to be dispatched on its own."""
    async with conn.transaction():
        lead_id = await service.merged_into(conn, ticket_id)
        if lead_id is not None:
            await service.lock_pair(conn, ticket_id, lead_id)
        step = await begin(conn, ticket_id, principal, "unmerge", now)
        if step.row["merged_into"] is None or step.row["merged_into"] != lead_id:
            raise refuse(step, "工单不是追加或并单归档的，无需撤销")
        lead = await _other(conn, step, lead_id, "id")
        undone = await service.undo_link(conn, ticket_id, lead_id, now, reason)
        kind = undone["kind"] if undone else step.row["closed_as"]
        count = await service.count_repeat(conn, lead_id, -1, now) if kind == "repeat" else lead["repeat_calls"]
        await add_event(conn, lead_id, principal, "unmerged", reason=reason, at=now,
                        data={"ticket_id": ticket_id, "ticket_no": step.row["ticket_no"], "kind": kind,
                              "repeat_calls": count})
        fields = {"closed_as": None, "merged_into": None, "closed_at": None, "sign_by": None, "reply_by": None,
                  "next_escalation_at": None, "triage_reason": f"撤销并单：{reason}"}
        return await finish(conn, step, reason=reason, fields=fields,
                            data={"lead_id": lead_id, "lead_ticket_no": lead["ticket_no"], "kind": kind})
