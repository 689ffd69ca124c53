"""What every workflow action shares: lock, scope (hotline.scope), state-machine check, write with its event.

A flow calls `begin` (locks the ticket, checks who may act, asks routing.workflow
whether the action is allowed) and `finish` (writes the new status and columns
and the ticket_events row) inside one transaction.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import asyncpg

from hotline import scope
from hotline.auth import Principal
from hotline.errors import ApiError
from hotline.jsoncodec import iso
from hotline.tickets.service import add_event
from hotline.workflow import service
from models.enums import Role, Status
from routing import calendar, clock
from routing.workflow import (ACTIONS, PIPELINE_ONLY, SYSTEM_ACTIONS, TransitionError, allowed_actions, apply,
                              apply_system)

@dataclass
class Step:
    """An action under way on a locked ticket."""

    row: asyncpg.Record
    principal: Principal | None
    action: str
    now: datetime
    target: Status
    allowed: list[str] = field(default_factory=list)   # what the caller could do before this action

    @property
    def ticket_id(self) -> int:
        return self.row["id"]

    @property
    def status(self) -> Status:
        return Status(self.row["status"])


@dataclass
class Done:
    """The outcome of an action, committed; notify=True means new work for the lead unit."""

    ticket_id: int
    action: str
    from_status: Status
    to_status: Status
    data: dict = field(default_factory=dict)
    notify: bool = False


def role_of(principal: Principal | None) -> Role:
    """System callers (no principal) act with the hotline's own rights."""
    return principal.role if principal is not None else Role.ADMIN


def conflict(message: str, status: Status | str, role: Role, detail: str = "", *,
             allowed: list[str] | None = None, **extra) -> ApiError:
    """409 with the ticket's current status and what the caller could do now."""
    if allowed is None:
        allowed = [a for a in allowed_actions(status, role) if a not in PIPELINE_ONLY]
    return ApiError(409, message, [{"field": "status", "message": detail or message}],
                    extra={"current_status": str(status), "current_status_label": Status(status).label,
                           "allowed_actions": allowed, **extra})


def refuse(step: Step, message: str, detail: str = "", **extra) -> ApiError:
    """409 for an action the ticket's situation does not allow (listing what would succeed)."""
    return conflict(message, step.status, role_of(step.principal), detail, allowed=step.allowed, **extra)


def transition(status: Status | str, action: str, role: Role, allowed: list[str] | None = None) -> Status:
    """routing.workflow.apply, answered as 409 (state) or 403 (role) for the client."""
    try:
        return apply(status, action, role)
    except TransitionError as exc:
        label = ACTIONS[action].label if action in ACTIONS else action
        if exc.reason == "role":
            raise ApiError(403, f"当前角色（{role.label}）不能执行「{label}」",
                           [{"field": "role", "message": f"「{label}」不对该角色开放"}]) from None
        raise conflict(f"工单当前状态为「{Status(status).label}」，不能执行「{label}」", status, role,
                       f"「{label}」仅适用于：{'、'.join(Status(s).label for s in ACTIONS[action].sources)}"
                       if action in ACTIONS else "", allowed=allowed) from None


def system_transition(status: Status | str, action: str) -> Status:
    """routing.workflow.apply_system, answered as 409 when the ticket is no longer in a source state."""
    try:
        return apply_system(status, action)
    except TransitionError:
        label = SYSTEM_ACTIONS[action].label
        raise conflict(f"工单当前状态为「{Status(status).label}」，不能执行「{label}」", status, Role.ADMIN,
                       allowed=[]) from None


async def begin(conn: asyncpg.Connection, ticket_id: int, principal: Principal | None, action: str,
                now: datetime) -> Step:
    """Lock the ticket (SELECT ... FOR UPDATE), check scope, then the state machine."""
    row = await service.lock_ticket(conn, ticket_id)
    if row is None:
        raise scope.not_found(ticket_id)
    await scope.check_action(conn, principal, row, action)
    if principal is None and action in SYSTEM_ACTIONS:  # the system's own action (the sweep's 提级)
        return Step(row, principal, action, now, system_transition(row["status"], action), [])
    allowed = await service.available_actions(conn, ticket_id, row["status"], principal, now)
    target = transition(row["status"], action, role_of(principal), allowed)
    return Step(row, principal, action, now, target, allowed)


async def finish(conn: asyncpg.Connection, step: Step, *, reason: str = "", data: dict | None = None,
                 fields: dict | None = None, notify: bool = False, event_at: datetime | None = None) -> Done:
    """Write the new status and columns and the event row (same transaction as begin).

    The event's time is the transaction's unless event_at is given (the sweep stamps its own `now`)."""
    changes = {**(fields or {}), "updated_at": step.now}
    if step.target != step.status:
        changes["status"] = step.target.value
    await service.update_ticket(conn, step.ticket_id, changes)
    data = {k: iso(v) if isinstance(v, datetime) else v for k, v in (data or {}).items()}
    await add_event(conn, step.ticket_id, step.principal, step.action, from_status=step.status.value,
                    to_status=step.target.value, reason=reason, data=data, at=event_at)
    return Done(step.ticket_id, step.action, step.status, step.target, data, notify)


def recompute(row: asyncpg.Record, *, pauses=None, extension_days: int | None = None) -> clock.Clock | None:
    """The unit's clock with new pauses or extension days; None when the ticket has no clock."""
    return clock.for_ticket(row, pauses=pauses, extension_days=extension_days)


def clock_refused(error: str) -> ApiError:
    """422 for a deadline the calendar cannot compute: the action is refused, never half done."""
    first, last = calendar.covered_range()
    return ApiError(422, "无法计算办理时限，操作未执行", [{"field": "calendar", "message":
                    f"时限超出节假日日历可计算的范围（正式数据 {first} 至 {last}，"
                    f"暂定日历至 {calendar.provisional_until()}）"}], extra={"clock_error": error})


def clock_fields(c: clock.Clock | None, *, strict: bool = True) -> dict:
    """Columns a recomputed clock moves (reply_by and next_escalation_at are NULL while paused).

    A clock the calendar cannot compute is refused (422) unless strict=False (a pause, whose
    deadline is NULL anyway)."""
    if c is None:
        return {}
    if c.error:
        if strict:
            raise clock_refused(c.error)
        return {}
    return {"reply_by": c.reply_by, "next_escalation_at": c.next_escalation_at}


def check_placed(placed: dict) -> dict:
    """assign()'s result, refused (422) when the new unit's clock could not be computed."""
    if placed.get("clock_error"):
        raise clock_refused(placed["clock_error"])
    return placed
