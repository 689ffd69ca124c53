"""The dispute case state machine as data (the ticket workflow's shape, for mediation).

accept → assign (several organisations, one lead) → sessions → outcome:
调解成功 (an agreement; a major one goes through legality review first), 调解不成
(with the way out: 诉讼, 仲裁, 行政复议, 信访) or 终止; then a follow-up visit closes a
settled case, and any finished case may be reopened when the dispute comes back.
`VALID_TRANSITIONS` feeds the database trigger (migrations/0012_disputes.sql).
"""
from __future__ import annotations

from dataclasses import dataclass

from models.enums import CaseStatus, Role

S, R = CaseStatus, Role


class CaseTransitionError(ValueError):
    """An action not allowed from this status, or not for this role."""

    def __init__(self, current: CaseStatus, action: str, allowed: list[str], reason: str = "state"):
        self.current, self.action, self.allowed, self.reason = current, action, allowed, reason
        super().__init__(f"case action {action!r} not allowed ({reason}) in status {current}; allowed: {allowed}")


@dataclass(frozen=True)
class Action:
    code: str
    label: str
    sources: frozenset[CaseStatus]
    target: CaseStatus | None  # None: the status stays
    roles: frozenset[Role]

    def leads_to(self, current: CaseStatus) -> CaseStatus:
        return self.target or current


def _a(code, label, sources, target, roles) -> Action:
    return Action(code, label, frozenset(sources), target, frozenset(roles))


DESK = (R.AGENT, R.SUPERVISOR, R.ADMIN)  # the 矛盾纠纷调处化解中心 desk and its overseers
OPEN = (S.NEW, S.ACCEPTED, S.ASSIGNED, S.MEDIATING, S.REVIEWING)
WORKING = (S.ASSIGNED, S.MEDIATING)
FINISHED = (S.SETTLED, S.FAILED, S.TERMINATED, S.CLOSED)

ACTIONS: dict[str, Action] = {a.code: a for a in (
    _a("accept", "受理", [S.NEW], S.ACCEPTED, DESK),
    _a("assign", "分派调解组织", [S.ACCEPTED, S.ASSIGNED, S.MEDIATING], S.ASSIGNED, DESK),
    _a("schedule_session", "安排调解", WORKING, S.MEDIATING, [R.MEDIATOR, R.ADMIN]),
    _a("record_session", "调解笔录", [S.MEDIATING], None, [R.MEDIATOR, R.ADMIN]),
    _a("settle", "调解成功（达成协议）", [S.MEDIATING], S.SETTLED, [R.MEDIATOR, R.ADMIN]),
    _a("review", "协议合法性审查", [S.REVIEWING], S.SETTLED, [R.SUPERVISOR, R.ADMIN]),
    _a("fail", "调解不成", WORKING, S.FAILED, [R.MEDIATOR, R.ADMIN]),
    _a("terminate", "终止调解", [S.NEW, S.ACCEPTED, S.ASSIGNED, S.MEDIATING], S.TERMINATED,
       [R.MEDIATOR, R.SUPERVISOR, R.ADMIN]),
    _a("request_confirmation", "申请司法确认", [S.SETTLED, S.CLOSED], None, [R.MEDIATOR, R.ADMIN]),
    _a("refer_court", "诉调对接（移送法院）", [S.FAILED], None, [R.MEDIATOR, R.SUPERVISOR, R.ADMIN]),
    _a("follow_up", "回访（协议履行）", [S.SETTLED], S.CLOSED, [R.MEDIATOR, R.AGENT, R.ADMIN]),
    _a("reopen", "重新受理", FINISHED, S.ACCEPTED, DESK),
    _a("note", "过程记录", OPEN, None, [R.MEDIATOR, R.AGENT, R.SUPERVISOR, R.ADMIN]),
    _a("confirm_risk", "风险研判确认", OPEN, None, [R.MEDIATOR, R.AGENT, R.SUPERVISOR, R.ADMIN]),
    _a("convene", "召开会办", OPEN, None, [R.MEDIATOR, R.SUPERVISOR, R.ADMIN]),
)}

# Outcomes that move to other statuses than the table's target: a major agreement waits
# for legality review; a review that rejects the agreement returns to mediation.
EXTRA_TRANSITIONS = ((S.MEDIATING, S.REVIEWING), (S.REVIEWING, S.MEDIATING))

VALID_TRANSITIONS: tuple[tuple[str, str], ...] = tuple(sorted({
    (str(src), str(a.target)) for a in ACTIONS.values() if a.target for src in a.sources if src != a.target
} | {(str(a), str(b)) for a, b in EXTRA_TRANSITIONS}))

WAYS_OUT = {"litigation": "诉讼", "arbitration": "仲裁", "admin_review": "行政复议", "petition": "信访",
            "none": "无"}
PERFORMED = {"yes": "已履行", "partly": "部分履行", "no": "未履行"}


def transitions_sql() -> str:
    return ",\n".join(f"    ('{a}', '{b}')" for a, b in VALID_TRANSITIONS)


def allowed_actions(status: CaseStatus | str, role: Role | str) -> list[str]:
    """Actions `role` may take on a case in `status`, in table order."""
    status, role = CaseStatus(status), Role(role)
    return [code for code, a in ACTIONS.items() if status in a.sources and role in a.roles]


def apply(status: CaseStatus | str, action: str, role: Role | str) -> CaseStatus:
    """The status after `role` takes `action`; CaseTransitionError when not allowed."""
    status, role = CaseStatus(status), Role(role)
    allowed = allowed_actions(status, role)
    spec = ACTIONS.get(action)
    if spec is None or status not in spec.sources:
        raise CaseTransitionError(status, action, allowed, "state")
    if role not in spec.roles:
        raise CaseTransitionError(status, action, allowed, "role")
    return spec.leads_to(status)


def settle_target(major: bool) -> CaseStatus:
    """调解成功: a major agreement (重大纠纷) goes to legality review before it counts."""
    return S.REVIEWING if major else S.SETTLED


def is_major_agreement(amount: float | None, people: int, risk: str, *, amount_bar: float = 100_000,
                       people_bar: int = 10) -> bool:
    """重大纠纷调解协议: a large sum, a group dispute or a high-risk case needs legality review."""
    return (amount or 0) >= amount_bar or people >= people_bar or risk in ("high", "major")
