"""The handling workflow's actions, each one transaction with its ticket_events row.

Every function takes a connection, the ticket id, the acting principal (None for
the system, which acts with the hotline's rights), its inputs and `now`, and
returns a `Done` once committed. It opens its own transaction: called inside a
caller's transaction it becomes a savepoint and commits with the caller. When
`Done.notify` is set, the caller announces the new work after commit
(`hotline.workflow.views.announce`).

The dispatching stage (派单/改派/退单/维持原派) lives in `dispatching.py` and is
re-exported here, so `flows` is the one entry point for other modules.
"""
from __future__ import annotations

from datetime import datetime

import asyncpg

from hotline.attachments import service as attachments
from hotline.auth import Principal
from hotline.errors import ApiError
from hotline.jsoncodec import iso
from hotline.tickets.assign import assign
from hotline.workflow import service
from hotline.workflow.dispatching import dispatch, redispatch, return_ticket, uphold
from hotline.workflow.steps import Done, begin, check_placed, clock_fields, finish, recompute, refuse
from routing import clock, sla

__all__ = ["Done", "dispatch", "redispatch", "return_ticket", "uphold", "sign", "start", "note",
           "request_info", "info_received", "request_extension", "decide_extension", "reply", "close",
           "reopen"]


async def sign(conn: asyncpg.Connection, ticket_id: int, principal: Principal | None, now: datetime,
               reason: str = "") -> Done:
    """签收 by the lead unit."""
    async with conn.transaction():
        step = await begin(conn, ticket_id, principal, "sign", now)
        sign_by = step.row["sign_by"]
        return await finish(conn, step, reason=reason, fields={"signed_at": now},
                            data={"sign_by": sign_by, "late": bool(sign_by and now > sign_by)})


async def start(conn: asyncpg.Connection, ticket_id: int, principal: Principal | None, now: datetime,
                reason: str = "") -> Done:
    """开始办理."""
    async with conn.transaction():
        step = await begin(conn, ticket_id, principal, "start", now)
        return await finish(conn, step, reason=reason)


async def note(conn: asyncpg.Connection, ticket_id: int, principal: Principal | None, text: str,
               now: datetime) -> Done:
    """过程记录 by the lead or a supporting unit, an agent or a supervisor; the status stays."""
    async with conn.transaction():
        step = await begin(conn, ticket_id, principal, "note", now)
        by = "lead" if principal is not None and principal.unit_id == step.row["unit_id"] else None
        if by is None and principal is not None and principal.unit_id is not None:
            by = "support"
        return await finish(conn, step, reason=text, data={"unit_id": principal.unit_id if principal else None,
                                                            "unit_role": by})


async def request_info(conn: asyncpg.Connection, ticket_id: int, principal: Principal | None, reason: str,
                       now: datetime) -> Done:
    """补充材料: pause the clock until the requester answers (reply_by and escalation go NULL)."""
    async with conn.transaction():
        step = await begin(conn, ticket_id, principal, "request_info", now)
        if service.is_paused(step.row["pauses"]):
            raise refuse(step, "工单已在等待补充材料（计时已暂停）")
        pauses = [*step.row["pauses"], service.pause_entry(now)]
        c = recompute(step.row, pauses=pauses)
        fields = {"pauses": pauses, "reply_by": None, "next_escalation_at": None, **clock_fields(c, strict=False)}
        return await finish(conn, step, reason=reason, fields=fields,
                            data={"paused_at": now, "reply_by": fields["reply_by"]})


async def info_received(conn: asyncpg.Connection, ticket_id: int, principal: Principal | None, reason: str,
                        now: datetime) -> Done:
    """材料已补齐: close the open pause and recompute the deadline."""
    async with conn.transaction():
        step = await begin(conn, ticket_id, principal, "info_received", now)
        pauses = [list(p) for p in step.row["pauses"]]
        if not service.is_paused(pauses):
            raise refuse(step, "工单未处于暂停计时状态")
        pauses[-1][1] = iso(now)
        c = recompute(step.row, pauses=pauses)
        fields = {"pauses": pauses, **clock_fields(c)}
        return await finish(conn, step, reason=reason, fields=fields, data={
            "paused_at": pauses[-1][0], "resumed_at": now, "reply_by": fields.get("reply_by")})


def _limits(row: asyncpg.Record) -> sla.TimeLimits:
    return clock.default_policy().limits(row["urgency"], row["category_class"])


def _extension_error(exc: sla.ExtensionError, limits: sla.TimeLimits, granted: int) -> ApiError:
    left = max(limits.max_extension_days - granted, 0)
    return ApiError(422, "延期天数超过上限", [{"field": "days", "message":
                    f"累计延期不得超过 {limits.max_extension_days} 个工作日，已批准 {granted} 个，剩余 {left} 个"}],
                    extra={"max_extension_days": limits.max_extension_days, "granted_days": granted})


async def request_extension(conn: asyncpg.Connection, ticket_id: int, principal: Principal | None, days: int,
                            reason: str, now: datetime) -> Done:
    """申请延期 by the lead unit: N working days, within the policy's maximum; one pending at a time."""
    async with conn.transaction():
        step = await begin(conn, ticket_id, principal, "request_extension", now)
        limits = _limits(step.row)
        try:
            sla.validate_extension(days, step.row["extension_days"], limits)
        except sla.ExtensionError as exc:
            raise _extension_error(exc, limits, step.row["extension_days"]) from None
        if await service.pending_extension(conn, ticket_id) is not None:
            raise refuse(step, "已有待审批的延期申请")
        ext = await service.insert_extension(conn, ticket_id, step.row["unit_id"], days, reason, now)
        return await finish(conn, step, reason=reason,
                            data={"extension_id": ext["id"], "days": days, "extension": service.extension_out(ext)})


async def decide_extension(conn: asyncpg.Connection, ticket_id: int, extension_id: int,
                           principal: Principal | None, approve: bool, note: str, now: datetime) -> Done:
    """延期审批: approval moves reply_by by the extra working days (routing.clock)."""
    async with conn.transaction():
        step = await begin(conn, ticket_id, principal, "decide_extension", now)
        ext = await service.lock_extension(conn, extension_id, ticket_id)
        if ext is None:
            raise ApiError(404, "延期申请不存在", [{"field": "eid", "message": str(extension_id)}])
        if ext["state"] != "pending":
            raise refuse(step, "该延期申请已处理", f"申请状态：{ext['state']}")
        fields: dict = {}
        if approve:
            limits = _limits(step.row)
            try:
                total = sla.validate_extension(ext["days"], step.row["extension_days"], limits)
            except sla.ExtensionError as exc:
                raise _extension_error(exc, limits, step.row["extension_days"]) from None
            fields = {"extension_days": total, **clock_fields(recompute(step.row, extension_days=total))}
        decided = await service.decide_extension(conn, extension_id, "approved" if approve else "refused",
                                                 principal, note, now)
        return await finish(conn, step, reason=note, fields=fields, data={
            "extension_id": extension_id, "approved": approve, "days": ext["days"],
            "extension_days": fields.get("extension_days", step.row["extension_days"]),
            "reply_by": fields.get("reply_by", step.row["reply_by"]), "extension": service.extension_out(decided)})


async def reply(conn: asyncpg.Connection, ticket_id: int, principal: Principal | None, resolution: str,
                claimed_solved: bool, now: datetime, evidence: list[int] = ()) -> Done:
    """办结回复: the unit's answer, citing the evidence it attached; the clock stops."""
    async with conn.transaction():
        step = await begin(conn, ticket_id, principal, "reply", now)
        evidence = sorted(set(evidence))
        if evidence and await attachments.evidence_of(conn, ticket_id, evidence, step.row["unit_id"]) != evidence:
            raise ApiError(422, "办理佐证须为本单位上传到该工单的附件",
                           [{"field": "evidence", "message": "附件编号不存在或不属于本单位"}])
        pauses = [list(p) for p in step.row["pauses"]]
        if service.is_paused(pauses):
            pauses[-1][1] = iso(now)
        await service.lapse_extensions(conn, ticket_id, "工单已办结，延期申请失效", now)
        reply_by = step.row["reply_by"]
        fields = {"replied_at": now, "resolution": resolution, "claimed_solved": claimed_solved,
                  "pauses": pauses, "next_escalation_at": None}
        return await finish(conn, step, reason=resolution, fields=fields, data={
            "claimed_solved": claimed_solved, "reply_by": reply_by, "late": bool(reply_by and now > reply_by),
            **({"evidence": evidence} if evidence else {})})


async def close(conn: asyncpg.Connection, ticket_id: int, principal: Principal | None, reason: str,
                now: datetime) -> Done:
    """归档 a replied ticket (after the callback, or by the hotline)."""
    async with conn.transaction():
        step = await begin(conn, ticket_id, principal, "close", now)
        return await finish(conn, step, reason=reason, fields={"closed_at": now, "next_escalation_at": None})


async def reopen(conn: asyncpg.Connection, ticket_id: int, principal: Principal | None, reason: str,
                 now: datetime) -> Done:
    """重办: back to the same lead unit (and its supporting units) with a new clock."""
    async with conn.transaction():
        step = await begin(conn, ticket_id, principal, "reopen", now)
        row = step.row
        if row["closed_as"] is not None:  # a repeat call or merged ticket: its matter is the lead's
            raise refuse(step, "工单已追加或并入其他工单，请重办主工单或先撤销并单")
        if row["unit_code"] is None:
            raise refuse(step, "工单没有承办单位，无法重办")
        supports = await service.support_codes(conn, ticket_id)
        placed = check_placed(await assign(conn, ticket_id, lead_code=row["unit_code"], support_codes=supports,
                                           tier=str(row["unit_tier"] or row["tier"]), urgency=row["urgency"],
                                           category_class=row["category_class"], now=now))
        fields = {"reopen_count": row["reopen_count"] + 1, "replied_at": None, "closed_at": None,
                  "resolution": "", "claimed_solved": None}
        return await finish(conn, step, reason=reason, fields=fields, notify=True, data={
            "unit_code": row["unit_code"], "support": list(supports), "reopen_count": row["reopen_count"] + 1,
            "previous_resolution": row["resolution"], "sign_by": placed["sign_by"], "reply_by": placed["reply_by"],
            "clock_error": placed["clock_error"]})
