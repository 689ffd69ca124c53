"""What the escalation ladder says about one claimed ticket at `now`, and the Chinese reason of each step.

Pure: the sweep (hotline/escalation/sweep.py) claims the rows and writes what this plans.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import asyncpg

from models.enums import Tier
from routing import clock as ticket_clock
from routing.calendar import CalendarRangeError, local
from routing.escalation import EscalationInput, Ladder, Step, StepCode, due_steps
from routing.sla import Policy, PolicyError, reply_deadline


@dataclass
class Plan:
    """What the ladder says about one claimed ticket at `now`."""

    row: asyncpg.Record
    steps: list[Step] = field(default_factory=list)
    taken: list[str] = field(default_factory=list)     # escalation_steps after the non-raise steps
    next_at: datetime | None = None
    deadline: datetime | None = None
    start: datetime | None = None
    error: str = ""

    @property
    def raise_step(self) -> Step | None:
        return self.steps[-1] if self.steps and self.steps[-1].code is StepCode.RAISE else None


def _fmt(dt: datetime | None) -> str:
    return local(dt).strftime("%Y-%m-%d %H:%M") if dt else "—"


def _tier_label(tier: str | Tier | None) -> str:
    return Tier(tier).label if tier else ""


def reason_for(step: Step, unit_name: str, deadline: datetime | None, target: dict | None = None) -> str:
    """The Chinese reason of a step's event: who is warned/chased/supervised, by which tier."""
    own, by = _tier_label(step.tier), _tier_label(step.by_tier)
    unit = unit_name or "承办单位"
    if step.code is StepCode.WARN:
        return f"预警：{own}热线提醒承办单位{unit}，办理时限将于 {_fmt(deadline)} 届满"
    if step.code is StepCode.CHASE:
        return f"催办：已超过答复时限 {_fmt(deadline)}，{own}热线催促承办单位{unit}办理"
    if step.code is StepCode.SUPERVISE:
        return f"督办：超时仍未办结，由{by}热线督办部门督办{own}承办单位{unit}"
    target = target or {}
    return (f"提级：{own}承办单位{unit}超时未办结（督办后仍未办结），提级至{_tier_label(target.get('tier'))}"
            f"{target.get('name', '')}办理，新答复时限 {_fmt(target.get('reply_by'))}")


def plan_ticket(row, now: datetime, ladder: Ladder, policy: Policy) -> Plan:
    """Every step due at `now` for one ticket (stops after a raise) and the next due time."""
    plan = Plan(row)
    try:
        start, tier = row["dispatched_at"], row["tier"]
        if start is None or tier is None:
            plan.error = "工单没有派单时间或层级，无法计算时限"
            return plan
        pauses = ticket_clock.parse_pauses(row["pauses"] or [])
        deadline = reply_deadline(start, policy.limits(row["urgency"], row["category_class"]), pauses,
                                  row["extension_days"] or 0)
        plan.start, plan.deadline = start, deadline
        taken = list(row["escalation_steps"] or [])
        state = EscalationInput(tier=Tier(tier), urgency=row["urgency"], category_class=row["category_class"],
                                start=start, deadline=deadline, pauses=pauses,
                                steps_taken=frozenset(StepCode(s) for s in taken))
        plan.steps, plan.next_at = due_steps(state, now, ladder, policy)
        plan.taken = taken + [s.code.value for s in plan.steps if s.code is not StepCode.RAISE]
    except (CalendarRangeError, PolicyError, ValueError) as exc:
        plan.steps, plan.error = [], f"{type(exc).__name__}: {exc}"
    return plan
