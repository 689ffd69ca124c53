"""The ticket state machine as data, plus pure functions over it.

`ACTIONS` is the single source of truth: for each action the states it may be
taken from, the state it leads to (None = state unchanged), the roles allowed
to take it and its effect on the handling clock. `VALID_TRANSITIONS` (derived)
lists every (from, to) status change for a database CHECK or trigger.

Admins may take the hotline-side actions (triage, dispatch, review, close...)
but not the handling unit's own ones (sign, reply, return...): a unit's
accountability for its answer is not delegated.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from models.enums import Role, Status

S, R = Status, Role


class TransitionError(ValueError):
    """An action that is not allowed from this status, or not for this role."""

    def __init__(self, current: Status | str, action: str, allowed: list[str], reason: str = "state"):
        self.current, self.action, self.allowed, self.reason = current, action, allowed, reason
        super().__init__(
            f"action {action!r} is not allowed ({reason}) in status {current!s}; allowed: {allowed or 'none'}"
        )


class ReturnWindowError(ValueError):
    """A return (退单) attempted after the return window closed."""


@dataclass(frozen=True)
class Action:
    """One action of the workflow and who may take it from where."""

    code: str
    label: str
    sources: frozenset[Status]
    target: Status | None
    roles: frozenset[Role]
    clock: str | None = None

    def leads_to(self, current: Status) -> Status:
        """The status after taking this action from `current`."""
        return self.target or current


def _a(code: str, label: str, sources, target, roles, clock: str | None = None) -> Action:
    """Shorthand constructor for the table below."""
    return Action(code, label, frozenset(sources), target, frozenset(roles), clock)


_HOTLINE = (R.AGENT, R.SUPERVISOR, R.ADMIN)
# A call not yet answered: it can still be folded into another ticket (追加 / 并单).
_UNANSWERED = (S.RECEIVED, S.TRIAGE, S.DISPATCHED, S.SIGNED, S.IN_PROGRESS, S.RETURNED)

ACTIONS: dict[str, Action] = {a.code: a for a in (
    _a("triage", "分拣", [S.RECEIVED], S.TRIAGE, [R.AGENT, R.ADMIN]),
    _a("dispatch", "派单", [S.RECEIVED, S.TRIAGE], S.DISPATCHED, [R.AGENT, R.ADMIN]),
    _a("sign", "签收", [S.DISPATCHED], S.SIGNED, [R.HANDLER]),
    _a("start", "开始办理", [S.SIGNED], S.IN_PROGRESS, [R.HANDLER]),
    _a("note", "过程记录", [S.SIGNED, S.IN_PROGRESS], None, [R.HANDLER, R.AGENT, R.SUPERVISOR]),
    _a("request_info", "补充材料(计时暂停)", [S.IN_PROGRESS], None, [R.HANDLER], clock="pause"),
    _a("info_received", "材料已补齐(恢复计时)", [S.IN_PROGRESS], None, [R.HANDLER, R.AGENT], clock="resume"),
    _a("return_ticket", "退单", [S.DISPATCHED, S.SIGNED], S.RETURNED, [R.HANDLER]),
    _a("uphold", "维持原派", [S.RETURNED], S.DISPATCHED, [R.SUPERVISOR, R.ADMIN]),
    _a("redispatch", "改派",
       [S.TRIAGE, S.DISPATCHED, S.SIGNED, S.IN_PROGRESS, S.RETURNED], S.DISPATCHED, _HOTLINE),
    _a("request_extension", "申请延期", [S.SIGNED, S.IN_PROGRESS], None, [R.HANDLER]),
    _a("decide_extension", "延期审批", [S.SIGNED, S.IN_PROGRESS], None, [R.SUPERVISOR, R.ADMIN]),
    _a("reply", "办结回复", [S.SIGNED, S.IN_PROGRESS], S.REPLIED, [R.HANDLER]),
    _a("reopen", "重办", [S.REPLIED, S.CLOSED], S.DISPATCHED, _HOTLINE),
    _a("close", "归档", [S.REPLIED], S.CLOSED, _HOTLINE),
    _a("transfer_110", "移交110", [S.RECEIVED, S.TRIAGE], S.TRANSFERRED, [R.AGENT, R.LINKAGE, R.ADMIN]),
    # Repeat calls and merged tickets (#16): this ticket is closed into a lead ticket, or only linked;
    # unmerge undoes a 追加/并单 and sends the call back to triage to be dispatched on its own.
    _a("add_repeat", "追加(重复来电)", _UNANSWERED, S.CLOSED, _HOTLINE),
    _a("merge", "并单", _UNANSWERED, S.CLOSED, _HOTLINE),
    _a("link", "关联", [*_UNANSWERED, S.REPLIED, S.CLOSED], None, _HOTLINE),
    _a("unmerge", "撤销并单", [S.CLOSED], S.TRIAGE, _HOTLINE),
    # 热线百科 (#15): the hotline answers a call itself from an article (直接答复), or refers a request
    # outside its remit to another hotline / tells the caller the right channel (转办/告知). Both close
    # a call that was never dispatched, so it never reaches a unit's inbox or the escalation sweep.
    # A direct answer the callback finds unsolved goes back to triage to be dispatched (pipeline only).
    _a("answer", "直接答复", [S.RECEIVED, S.TRIAGE], S.CLOSED, _HOTLINE),
    _a("refer", "转办/告知", [S.RECEIVED, S.TRIAGE], S.CLOSED, _HOTLINE),
    _a("retriage", "答复未解决转派单", [S.CLOSED], S.TRIAGE, [R.AGENT, R.SUPERVISOR, R.ADMIN]),
)}

# Taken by the system itself, never by a caller (no role, no endpoint): the escalation sweep's 提级
# moves an overdue ticket to the same kind of unit one tier up, with a fresh clock.
SYSTEM_ACTIONS: dict[str, Action] = {a.code: a for a in (
    _a("raise", "提级", [S.DISPATCHED, S.SIGNED, S.IN_PROGRESS], S.DISPATCHED, []),
)}

ACTION_LABELS: dict[str, str] = {code: a.label for code, a in (*ACTIONS.items(), *SYSTEM_ACTIONS.items())}

VALID_TRANSITIONS: tuple[tuple[str, str], ...] = tuple(sorted({
    (str(src), str(a.target)) for a in (*ACTIONS.values(), *SYSTEM_ACTIONS.values()) if a.target
    for src in a.sources if src != a.target
}))

TERMINAL: frozenset[Status] = frozenset(s for s in Status if not any(s in a.sources for a in ACTIONS.values()))


def transitions_sql() -> str:
    """VALID_TRANSITIONS as a SQL VALUES list: ('received','triage'), ..."""
    return ", ".join(f"('{a}', '{b}')" for a, b in VALID_TRANSITIONS)


def allowed_actions(status: Status | str, role: Role | str) -> list[str]:
    """Actions `role` may take on a ticket in `status`, in table order."""
    status, role = Status(status), Role(role)
    return [code for code, a in ACTIONS.items() if status in a.sources and role in a.roles]


# Taken by the intake pipeline itself, never through an endpoint: not offered to callers.
PIPELINE_ONLY = frozenset({"triage", "transfer_110", "retriage"})


@dataclass(frozen=True)
class Situation:
    """What besides status and role decides whether an action would succeed now."""

    paused: bool = False                 # a 补充材料 pause is open
    pending_extension: bool = False      # an extension request waits for a decision
    extension_days_left: int = 0         # working days the policy still allows
    open_return: bool = False            # a 退单 waits for a decision
    return_window_open: bool = False     # still within the return window of this dispatch
    upheld: bool = False                 # a supervisor upheld this dispatch (维持原派): no second return
    has_unit: bool = True                # a unit to reopen the ticket with
    supporting_only: bool = False        # the caller's unit only supports (协办): notes only
    merged: bool = False                 # closed as a repeat call or merged into a lead ticket


def _possible(action: str, s: Situation) -> bool:
    """The per-action preconditions the flows check, beyond the state machine."""
    return {
        "request_info": not s.paused,
        "info_received": s.paused,
        "request_extension": not s.pending_extension and s.extension_days_left > 0,
        "decide_extension": s.pending_extension,
        "return_ticket": s.return_window_open and not s.upheld,
        "uphold": s.open_return,
        "reopen": s.has_unit and not s.merged,
        "unmerge": s.merged,
    }.get(action, True)


def available_actions(status: Status | str, role: Role | str, situation: Situation) -> list[str]:
    """The actions `role` could take successfully now: allowed_actions narrowed by the situation."""
    actions = [a for a in allowed_actions(status, role) if a not in PIPELINE_ONLY]
    if situation.supporting_only:
        actions = [a for a in actions if a == "note"]
    return [a for a in actions if _possible(a, situation)]


def apply(status: Status | str, action: str, role: Role | str) -> Status:
    """The status after `role` takes `action`; TransitionError if not allowed."""
    status, role = Status(status), Role(role)
    allowed = allowed_actions(status, role)
    spec = ACTIONS.get(action)
    if spec is None or status not in spec.sources:
        raise TransitionError(status, action, allowed, "state")
    if role not in spec.roles:
        raise TransitionError(status, action, allowed, "role")
    return spec.leads_to(status)


def apply_system(status: Status | str, action: str) -> Status:
    """The status after the system takes `action` (SYSTEM_ACTIONS); TransitionError if not from here."""
    status = Status(status)
    spec = SYSTEM_ACTIONS.get(action)
    if spec is None or status not in spec.sources:
        raise TransitionError(status, action, [], "state")
    return spec.leads_to(status)


def return_queue(dispatched_at: datetime, now: datetime, return_window: timedelta, contest: bool = False) -> str:
    """Where a 退单 goes: 'dispatch' (agent re-dispatches) or 'supervisor_review' if contested."""
    if now - dispatched_at > return_window:
        raise ReturnWindowError(
            f"退单时限已过: dispatched {dispatched_at.isoformat()}, window {return_window}, now {now.isoformat()}"
        )
    return "supervisor_review" if contest else "dispatch"
