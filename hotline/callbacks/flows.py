"""Callback outcomes and what they do to the ticket: close (归档) or reopen (重办).

The state change itself goes through hotline.workflow.flows (close / reopen),
inside the same transaction as the callback rows, so the ticket, its events,
the callback result and the rate rollup deltas commit together.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg

from hotline.auth import Principal
from hotline.callbacks import service
from hotline.callbacks.schemas import Satisfaction, Solved
from hotline.errors import ApiError
from hotline.jsoncodec import iso
from hotline.knowledge import answers
from hotline.notify import Notifier
from hotline.tickets.service import add_event, get
from hotline.workflow import flows as workflow
from models.enums import Status

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class Outcome:
    ticket_id: int
    round: int
    outcome: str            # pending | reached | unreachable
    attempts: int
    decision: str | None    # close | reopen | None while pending
    notify: bool = False


def not_awaiting(row: asyncpg.Record) -> ApiError:
    status = Status(row["status"])
    return ApiError(409, f"工单当前状态为「{status.label}」，不在待回访状态", [
        {"field": "status", "message": "仅「已办结」（待回访）的工单可以回访"}],
        extra={"current_status": status.value, "current_status_label": status.label})


def decide(satisfaction: Satisfaction, solved: Solved) -> str:
    """Unsatisfied or unsolved goes back to the unit (重办); otherwise the ticket is archived."""
    if satisfaction == Satisfaction.UNSATISFIED or solved == Solved.UNSOLVED:
        return "reopen"
    return "close"


async def _check_spacing(conn: asyncpg.Connection, ticket_id: int, round_: int, min_spacing: timedelta,
                         now: datetime) -> None:
    last = await service.last_unreached(conn, ticket_id, round_)
    if last is None or now - last >= min_spacing:
        return
    earliest = (last + min_spacing).astimezone(SHANGHAI)
    minutes = f"{min_spacing.total_seconds() / 60:g}"
    raise ApiError(409, f"两次未联系上的回访须间隔至少 {minutes} 分钟", [{"field": "reached", "message":
                   f"上次未联系上在 {last.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}，"
                   f"最早可于 {earliest:%Y-%m-%d %H:%M:%S} 再次回访"}],
                   extra={"next_attempt_at": earliest.isoformat(timespec="seconds")})


async def record(conn: asyncpg.Connection, ticket_id: int, principal: Principal | None, *, via: str,
                 reached: bool, satisfaction: Satisfaction | None, solved: Solved | None, comment: str,
                 max_attempts: int, now: datetime, min_spacing: timedelta = timedelta(0)) -> Outcome:
    """One callback attempt; the round's outcome once reached or after max_attempts unreachable tries.

    Unreachable attempts of one round must be at least min_spacing apart (409 otherwise), so
    that a round is not closed as unreachable by calls made within a minute.
    Runs in its own transaction (a savepoint inside the caller's)."""
    async with conn.transaction():
        row = await service.lock_ticket(conn, ticket_id)
        if row is None:
            raise ApiError(404, "工单不存在或无权查看", [{"field": "id", "message": str(ticket_id)}])
        # a call the hotline answered itself (直接答复, hotline.knowledge.answers) is called back while closed
        direct = row["status"] == Status.CLOSED.value and await answers.is_direct(conn, ticket_id)
        if row["status"] != Status.REPLIED.value and not direct:
            raise not_awaiting(row)
        round_ = row["reopen_count"]
        if not reached:
            await _check_spacing(conn, ticket_id, round_, min_spacing, now)
        actor = principal.token_id if principal else None
        unreached = await service.add_attempt(
            conn, ticket_id, round_, via, reached, satisfaction.value if satisfaction else None,
            None if solved is None else solved == Solved.SOLVED, comment, actor, now)
        attempts = await conn.fetchval(
            "SELECT count(*) FROM callback_attempts WHERE ticket_id = $1 AND round = $2", ticket_id, round_)
        if not reached and unreached < max_attempts:
            await add_event(conn, ticket_id, principal, "callback_attempt", reason="回访未联系上",
                            data={"round": round_, "via": via, "unreached": unreached, "max_attempts": max_attempts})
            return Outcome(ticket_id, round_, "pending", attempts, None)

        if reached:
            decision = decide(satisfaction, solved)
            outcome = "reached"
            reason = f"回访：{satisfaction.label}，{solved.label}" + (f"。{comment}" if comment else "")
        else:
            decision, outcome = "close", "unreachable"
            reason = f"回访 {unreached} 次均未联系上，按无法联系归档"
        rid = await service.add_result(
            conn, row, outcome=outcome, via=via, satisfaction=satisfaction.value if satisfaction else None,
            solved=None if solved is None else solved == Solved.SOLVED, comment=comment, attempts=attempts,
            decision=decision, actor_id=actor, at=now)
        if rid is None:
            raise ApiError(409, "本轮回访结果已记录", [{"field": "round", "message": str(round_)}])
        await add_event(conn, ticket_id, principal, "callback", reason=reason, data={
            "round": round_, "via": via, "outcome": outcome, "attempts": attempts,
            "satisfaction": satisfaction.value if satisfaction else None,
            "solved": solved.value if solved else None, "decision": decision})
        if direct and decision == "close":  # the answer held: the call stays closed
            return Outcome(ticket_id, round_, outcome, attempts, decision)
        if direct:  # unsolved: back to triage, to be dispatched to a unit
            done = await answers.retriage(conn, ticket_id, principal, reason, now)
        elif decision == "reopen":
            done = await workflow.reopen(conn, ticket_id, principal, reason, now)
        else:
            done = await workflow.close(conn, ticket_id, principal, reason, now)
        return Outcome(ticket_id, round_, outcome, attempts, decision, notify=done.notify)


async def create_link(conn: asyncpg.Connection, ticket_id: int, principal: Principal,
                      expires: datetime) -> tuple[asyncpg.Record, str]:
    """A one-time survey link for a replied ticket's current round, with its event; returns (ticket, token)."""
    t = await service.lock_ticket(conn, ticket_id)
    if t["status"] != "replied":
        raise not_awaiting(t)
    token = await service.create_link(conn, t["id"], t["reopen_count"], principal.token_id, expires)
    await add_event(conn, t["id"], principal, "callback_link", reason="发送回访评价链接",
                    data={"round": t["reopen_count"], "expires_at": iso(expires)})
    return t, token


async def announce(pool: asyncpg.Pool, notifier: Notifier, out: Outcome) -> None:
    """After commit: a reopened ticket is new work on the unit's stream (best effort)."""
    if out.decision is None:
        return
    row = await get(pool, out.ticket_id)
    if row is not None:
        await notifier.ticket_event(row, out.decision)
