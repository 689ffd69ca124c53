"""A chase can raise the lead's urgency: the rule, and its record on the lead.

Rule (settings `chase_urgent_calls`, `chase_urgent_hours`): when a lead of normal urgency has received
at least N repeat calls (追加, not undone) within the last M hours, this one included, it becomes
urgent (紧急). Its deadlines are recomputed with the urgent time limits from its dispatch time and
taken only where they are earlier (a chase never gives the unit more time; a deadline already past
stays past and the sweep escalates it). Undoing a chase does not lower the urgency back: a person
decides that. Recorded as an `urgency_raised` event on the lead, in the 追加's transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from hotline.auth import Principal
from hotline.tickets.service import add_event
from hotline.workflow import service as workflow
from routing import clock

OPEN_CLOCK = frozenset({"dispatched", "signed", "in_progress"})
RECENT_CHASES = """
SELECT count(*) FROM ticket_links WHERE lead_id = $1 AND kind = 'repeat' AND undone_at IS NULL AND at >= $2
"""


@dataclass(frozen=True)
class ChaseRule:
    calls: int = 2          # repeat calls ...
    hours: float = 72.0     # ... within this many hours make the lead urgent

    @property
    def label(self) -> str:
        return f"{self.hours:g} 小时内追加来电 {self.calls} 次及以上转为紧急"


def earlier_deadlines(lead) -> dict:
    """The lead's deadline columns under the urgent limits, where they are earlier than today's."""
    if lead["status"] not in OPEN_CLOCK:
        return {}
    c = clock.for_ticket({**dict(lead), "urgency": "urgent"})
    if c is None or c.error:
        return {}
    out = {}
    if lead["status"] == "dispatched" and c.sign_by and (lead["sign_by"] is None or c.sign_by < lead["sign_by"]):
        out["sign_by"] = c.sign_by
    if c.reply_by and (lead["reply_by"] is None or c.reply_by < lead["reply_by"]):
        out["reply_by"] = c.reply_by
        out["next_escalation_at"] = c.next_escalation_at   # the ladder on the new deadline (steps taken kept)
    return out


async def maybe_raise(conn: asyncpg.Connection, lead, principal: Principal | None, rule: ChaseRule,
                      now: datetime) -> dict | None:
    """Apply the rule to a lead that just received a repeat call (locked); what changed, or None."""
    if lead["urgency"] != "normal":
        return None
    calls = await conn.fetchval(RECENT_CHASES, lead["id"], now - timedelta(hours=rule.hours))
    if calls < rule.calls:
        return None
    fields = {"urgency": "urgent", **earlier_deadlines(lead), "updated_at": now}
    await workflow.update_ticket(conn, lead["id"], fields)
    data = {"from": "normal", "to": "urgent", "repeat_calls_in_window": calls, "rule": rule.label,
            **{k: v.isoformat() for k, v in fields.items() if k in ("sign_by", "reply_by")}}
    await add_event(conn, lead["id"], principal, "urgency_raised", at=now, data=data,
                    reason=f"催办来电：{rule.label}（{rule.hours:g} 小时内 {calls} 次）")
    return data
