"""What every case action shares: lock, scope, state machine, write with its event.

`begin` locks the case, checks the caller sees it (404 otherwise, like a missing
case), asks routing.disputes.workflow whether the action is allowed (409 with the
allowed actions, or 403 for the role) and, for mediators, that their organisation
leads the case (a supporting organisation only adds notes and session minutes).
`finish` writes the new status, columns and the case_events row in the same
transaction.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from hotline import scope
from hotline.auth import Principal
from hotline.disputes import service
from hotline.errors import ApiError
from models.enums import CaseStatus, Role
from routing.disputes.workflow import ACTIONS, CaseTransitionError, allowed_actions, apply

SUPPORT_MAY = ("note", "record_session", "confirm_risk")


@dataclass
class Step:
    row: dict
    principal: Principal | None
    action: str
    now: datetime
    target: CaseStatus

    @property
    def case_id(self) -> int:
        return self.row["id"]

    @property
    def status(self) -> CaseStatus:
        return CaseStatus(self.row["status"])


@dataclass
class Done:
    case_id: int
    action: str
    from_status: CaseStatus
    to_status: CaseStatus
    data: dict = field(default_factory=dict)
    alerts: list[dict] = field(default_factory=list)  # announcements after commit


def role_of(principal: Principal | None) -> Role:
    return principal.role if principal is not None else Role.ADMIN


def not_found(case_id: int) -> ApiError:
    return ApiError(404, scope.CASE_404, [{"field": "id", "message": str(case_id)}])


def conflict(message: str, status: CaseStatus | str, role: Role, detail: str = "") -> ApiError:
    """409 with the case's current status and what this role may do now."""
    return ApiError(409, message, [{"field": "status", "message": detail or message}],
                    extra={"current_status": str(status), "current_status_label": CaseStatus(status).label,
                           "allowed_actions": allowed_actions(status, role)})


def transition(status: CaseStatus | str, action: str, role: Role) -> CaseStatus:
    try:
        return apply(status, action, role)
    except CaseTransitionError as exc:
        label = ACTIONS[action].label
        if exc.reason == "role":
            raise ApiError(403, f"当前角色（{role.label}）不能执行「{label}」",
                           [{"field": "role", "message": f"「{label}」不对该角色开放"}]) from None
        sources = "、".join(CaseStatus(s).label for s in ACTIONS[action].sources)
        raise conflict(f"案件当前状态为「{CaseStatus(status).label}」，不能执行「{label}」", status, role,
                       f"「{label}」仅适用于：{sources}") from None


async def begin(conn, case_id: int, principal: Principal | None, action: str, now: datetime) -> Step:
    """Lock the case (FOR UPDATE), check scope, the mediator's organisation, then the state machine."""
    row = await service.lock_case(conn, case_id)
    if row is None or (principal is not None and not await scope.sees_case(conn, principal, row)):
        raise not_found(case_id)
    role = role_of(principal)
    target = transition(row["status"], action, role)
    if role == Role.MEDIATOR and action not in SUPPORT_MAY:
        if await scope.case_org_role(conn, case_id, principal.org_id) != "lead":
            raise ApiError(403, "协助调解组织只能添加记录，其他操作由牵头调解组织办理",
                           [{"field": "org", "message": "当前组织为该案件的协助调解组织"}])
    return Step(dict(row), principal, action, now, target)


async def finish(conn, step: Step, *, reason: str = "", data: dict | None = None, fields: dict | None = None,
                 target: CaseStatus | None = None, alerts: list[dict] | None = None) -> Done:
    """Write the new status, columns and the event row (same transaction as begin)."""
    to = target or step.target
    changes = {**(fields or {}), "updated_at": step.now}
    if to != step.status:
        changes["status"] = to.value
    await service.update_case(conn, step.case_id, changes)
    data = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in (data or {}).items()}
    await service.add_event(conn, step.case_id, step.principal, step.action, step.now, from_status=step.status.value,
                            to_status=to.value, reason=reason, data=data)
    return Done(step.case_id, step.action, step.status, to, data, alerts or [])
