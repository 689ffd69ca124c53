"""提级 (raise): the escalation sweep's one transition, applied through the same steps as every action.

The sweep decides that a raise is due (routing.escalation.due_steps) and calls raise_ticket inside
its batch transaction; this opens a savepoint, so one failed raise does not undo the batch. Like
every workflow action it locks the ticket, checks the state machine (routing.workflow's
SYSTEM_ACTIONS), writes units, clock, status and the event through workflow.steps.finish.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from hotline.escalation import service as escalations
from hotline.escalation.plan import reason_for
from hotline.jsoncodec import iso
from hotline.tickets.assign import assign
from hotline.workflow import service
from hotline.workflow.steps import Done, begin, finish
from routing import clock
from routing.escalation import Step as EscalationStep

log = logging.getLogger(__name__)


class NoUnitAbove(LookupError):
    """提级 is due but the unit has no unit one tier up."""


@dataclass
class Raised:
    """A committed 提级: the workflow's outcome, its escalations row, the new unit and the reason."""

    done: Done
    escalation_id: int
    target: dict
    reason: str


async def raise_ticket(conn: asyncpg.Connection, ticket_id: int, esc: EscalationStep, *,
                       deadline: datetime | None, clock_start: datetime | None, unit_name: str,
                       now: datetime) -> Raised | None:
    """Move the ticket to the same kind of unit one tier up, with a fresh clock; None when this raise
    is already stored (another sweeper, or a retry)."""
    async with conn.transaction():
        step = await begin(conn, ticket_id, None, "raise", now)
        row = step.row
        target = await service.unit_above(conn, row["unit_id"])
        if target is None:
            raise NoUnitAbove(row["unit_id"])
        supports = await service.support_codes(conn, ticket_id)
        # The new clock is what assign() will store; computed first for the reason text.
        new_clock = clock.compute(now, row["urgency"], row["category_class"], target["tier"])
        reason = reason_for(esc, unit_name, deadline,
                            {"tier": target["tier"], "name": target["name"], "reply_by": new_clock.reply_by})
        esc_id = await escalations.record_raise(conn, ticket_id, esc, row["unit_id"], now, clock_start, reason,
                                                target["id"])
        if esc_id is None:
            return None
        placed = await assign(conn, ticket_id, lead_code=target["code"], support_codes=supports,
                              tier=target["tier"], urgency=row["urgency"], category_class=row["category_class"],
                              now=now)
        if placed["clock_error"]:
            log.warning("ticket %s raised but its new clock failed: %s", row["ticket_no"], placed["clock_error"])
        done = await finish(conn, step, reason=reason, event_at=now,
                            fields={"escalation_count": row["escalation_count"] + 1},
                            data={"escalation_id": esc_id, "tier": esc.tier.value, "by_tier": esc.by_tier.value,
                                  "due_at": iso(esc.at), "from_unit_id": row["unit_id"],
                                  "to_unit_id": target["id"], "to_unit_code": target["code"],
                                  "new_tier": target["tier"], "reply_by": iso(placed["reply_by"])})
    return Raised(done, esc_id, dict(target), reason)
