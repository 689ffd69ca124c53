"""Sending a ticket to a unit and back: 派单, 改派, 退单 and the supervisor's 维持原派."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from hotline.auth import Principal
from hotline.errors import ApiError
from hotline.jsoncodec import iso
from hotline.tickets.assign import assign
from hotline.workflow import service
from hotline.workflow.schemas import DispatchIn, RedispatchIn
from hotline.workflow.steps import Done, Step, begin, check_placed, finish, refuse
from models.enums import Status, Tier
from routing import address, clock, destination
from routing.workflow import ReturnWindowError, return_queue


@dataclass(frozen=True)
class Choice:
    """Where the ticket goes: lead unit (主办), supporting units (协办), tier and why."""

    lead_code: str
    lead_name: str
    tier: str
    supports: tuple[str, ...]
    reason: str


DISPATCH_INVALID = "派单参数无效"
REDISPATCH_INVALID = "改派参数无效"


def invalid(field: str, message: str, summary: str = DISPATCH_INVALID) -> ApiError:
    return ApiError(422, summary, [{"field": field, "message": message}])


def _same_unit(body: RedispatchIn, choice: Choice, row: asyncpg.Record) -> ApiError:
    """改派 that would land on the current unit, blamed on what the caller asked for."""
    current = row["unit_name"]
    if body.unit_code:
        return invalid("unit_code", f"改派目标与当前承办单位（{current}）相同", REDISPATCH_INVALID)
    if body.tier is not None and choice.tier != Tier(body.tier).value:
        return invalid("tier", f"无法改派至{Tier(body.tier).label}：{choice.reason}；结果仍为当前承办单位（{current}）",
                       REDISPATCH_INVALID)
    if body.tier is not None:
        return invalid("tier", f"{Tier(body.tier).label}的承办单位就是当前承办单位（{current}），"
                               "请指定其他层级或承办单位", REDISPATCH_INVALID)
    return invalid("category", f"按该事项分类派单仍为当前承办单位（{current}），请指定承办单位或层级",
                   REDISPATCH_INVALID)


async def resolve_category(conn: asyncpg.Connection, value: str) -> str:
    """A category code from its code or Chinese name; 422 when unknown or not in the catalogue."""
    row = await service.category(conn, value)
    if row is None:
        raise invalid("category", f"未知的事项分类「{value}」")
    return row["code"]


def place(row: asyncpg.Record, area_code: str | None, ref: destination.Places) -> tuple[address.Chain, dict]:
    """The ticket's area chain (from the body's area_code when given) and columns to store."""
    codes = [area_code] if area_code else [row[k] for k in ("area_code", "county_code", "city_code",
                                                            "province_code") if row[k]]
    if not codes:
        raise invalid("area_code", "工单缺少事发地，请提供 area_code")
    for code in codes:
        try:
            code = address.canonical_code(code, ref.areas)[0]   # retired and street codes, as at intake
            chain = address.chain_for(code, ref.areas)
        except address.UnknownAreaCode:
            continue
        fields = {"area_code": code, "province_code": chain.province, "city_code": chain.city,
                  "county_code": chain.county} if area_code else {}
        return chain, fields
    raise invalid("area_code", f"未知的行政区划代码 {codes[0]}")


async def _supports(conn: asyncpg.Connection, codes: list[str], lead_code: str) -> tuple[str, ...]:
    """Validate operator-named supporting units."""
    found: list[str] = []
    for i, code in enumerate(codes):
        if await service.unit_by_code(conn, code) is None:
            raise invalid(f"support_codes.{i}", f"承办单位 {code} 不存在或已停用")
        if code != lead_code and code not in found:
            found.append(code)
    return tuple(found)


async def choose(conn: asyncpg.Connection, ref: destination.Places, *, category: str | None, chain_of,
                 unit_code: str | None, tier: Tier | None, support_codes: list[str]) -> Choice:
    """The operator's unit (checked against the no-street rule) or the catalogue's decision."""
    if unit_code:
        unit = await service.unit_by_code(conn, unit_code)
        if unit is None:
            raise invalid("unit_code", f"承办单位 {unit_code} 不存在或已停用")
        ok, why = destination.forward_allowed(category or "", unit["tier"], ref.catalogue)
        if not ok:
            raise invalid("unit_code", why, "不得下派至乡镇（街道）")
        supports = await _supports(conn, support_codes, unit["code"])
        return Choice(unit["code"], unit["name"], str(unit["tier"]), supports, f"人工指定{unit['name']}主办。")
    if category is None:
        raise invalid("category", "请指定承办单位（unit_code）或事项分类（category）")
    d = destination.decide(category, chain_of(), ref.catalogue, ref.units, override_tier=tier)
    if d.triage:
        raise invalid("category", d.reason, "无法按派单目录确定承办单位")
    auto = tuple(u.code for u in d.supporting)
    supports = await _supports(conn, [*auto, *support_codes], d.lead.code)
    return Choice(d.lead.code, d.lead.name, str(d.tier), supports, d.reason)


async def _assign(conn: asyncpg.Connection, step: Step, choice: Choice, category_class: str) -> dict:
    placed = check_placed(await assign(conn, step.ticket_id, lead_code=choice.lead_code,
                                       support_codes=choice.supports, tier=choice.tier,
                                       urgency=step.row["urgency"], category_class=category_class, now=step.now))
    return {"unit_code": choice.lead_code, "lead": choice.lead_name, "support": list(choice.supports),
            "tier": choice.tier, "sign_by": placed["sign_by"], "reply_by": placed["reply_by"],
            "clock_error": placed["clock_error"], "deadline_provisional": placed["deadline_provisional"]}


def _category_class(value: str | None, current: str) -> str:
    if value is None:
        return current
    if value not in clock.default_policy().classes:
        raise invalid("category_class", f"可选值：{'、'.join(clock.default_policy().classes)}")
    return value


async def dispatch(conn: asyncpg.Connection, ticket_id: int, principal: Principal | None, body: DispatchIn,
                   ref: destination.Places, now: datetime) -> Done:
    """派单 from triage (or received): a human picks the category; the catalogue or the human picks the unit."""
    async with conn.transaction():
        step = await begin(conn, ticket_id, principal, "dispatch", now)
        category = await resolve_category(conn, body.category)
        chain, area_fields = place(step.row, body.area_code, ref)
        cls = _category_class(body.category_class, step.row["category_class"])
        choice = await choose(conn, ref, category=category, chain_of=lambda: chain, unit_code=body.unit_code,
                              tier=body.tier, support_codes=body.support_codes)
        placed = await _assign(conn, step, choice, cls)
        fields = {**area_fields, "category_code": category, "category_source": "human", "category_class": cls}
        return await finish(conn, step, reason=body.reason or choice.reason, notify=True, fields=fields,
                            data={"category": category, "category_source": "human", "category_class": cls,
                                  "decision": choice.reason, **placed})


async def redispatch(conn: asyncpg.Connection, ticket_id: int, principal: Principal | None, body: RedispatchIn,
                     ref: destination.Places, now: datetime) -> Done:
    """改派 to another unit (by code, or by category/tier); decides the open return, if any."""
    async with conn.transaction():
        step = await begin(conn, ticket_id, principal, "redispatch", now)
        row = step.row
        if not (body.unit_code or body.category or body.tier):
            raise invalid("unit_code", "请指定承办单位（unit_code）、事项分类（category）或层级（tier）", REDISPATCH_INVALID)
        try:
            category = await resolve_category(conn, body.category) if body.category else row["category_code"]
            choice = await choose(conn, ref, category=category, chain_of=lambda: place(row, None, ref)[0],
                                  unit_code=body.unit_code, tier=body.tier, support_codes=body.support_codes)
        except ApiError as exc:
            if exc.message == DISPATCH_INVALID:  # the same checks as 派单, titled as what the caller did
                exc.message = REDISPATCH_INVALID
            raise
        if choice.lead_code == row["unit_code"] and step.status in (Status.DISPATCHED, Status.SIGNED,
                                                                   Status.IN_PROGRESS):
            raise _same_unit(body, choice, row)
        placed = await _assign(conn, step, choice, row["category_class"])
        decided = await service.open_return(conn, ticket_id)
        if decided is not None:
            await service.decide_return(conn, decided["id"], "redispatch", principal, now)
        await service.lapse_extensions(conn, ticket_id, "工单已改派，延期申请失效", now)
        fields = {"category_code": category, "category_source": "human"} if body.category else {}
        return await finish(conn, step, reason=body.reason, notify=True, fields=fields, data={
            "from_unit": row["unit_code"], "category": category, "decision": choice.reason,
            "return_id": decided["id"] if decided else None, **placed})


async def return_ticket(conn: asyncpg.Connection, ticket_id: int, principal: Principal | None, reason: str,
                        contest: bool, now: datetime) -> Done:
    """退单 by the lead unit within the return window; contested (派单异议) ones go to a supervisor."""
    async with conn.transaction():
        step = await begin(conn, ticket_id, principal, "return_ticket", now)
        row = step.row
        if await service.upheld(conn, ticket_id):
            # the supervisor already ruled on this dispatch: a second return (or 异议) would reopen it
            raise refuse(step, "督办已维持原派，不能再次退单", "维持原派后请按派单办理；确需调整请联系热线改派")
        limits = clock.default_policy().limits(row["urgency"], row["category_class"])
        try:
            queue = return_queue(row["dispatched_at"] or now, now, limits.return_window, contest)
        except ReturnWindowError:
            deadline = iso(row["dispatched_at"] + limits.return_window)
            raise refuse(step, f"已超过退单时限（派单后 {limits.return_window_hours:g} 小时内可退单）",
                         f"退单截止时间 {deadline}", return_deadline=deadline) from None
        return_id = await service.insert_return(conn, ticket_id, row["unit_id"], reason, contest, now)
        await service.lapse_extensions(conn, ticket_id, "工单已退回，延期申请失效", now)
        fields = {"return_count": row["return_count"] + 1, "next_escalation_at": None}
        return await finish(conn, step, reason=reason, fields=fields, data={
            "return_id": return_id, "contest": contest, "queue": queue, "unit_code": row["unit_code"]})


async def uphold(conn: asyncpg.Connection, ticket_id: int, principal: Principal | None, reason: str,
                 now: datetime) -> Done:
    """维持原派: the supervisor sends the returned ticket back to the same unit, with a new clock."""
    async with conn.transaction():
        step = await begin(conn, ticket_id, principal, "uphold", now)
        ret = await service.open_return(conn, ticket_id)
        if ret is None:
            raise refuse(step, "该工单没有待审核的退单")
        unit = await service.unit_by_id(conn, ret["unit_id"])
        lead_code = unit["code"]
        supports = await service.support_codes(conn, ticket_id)
        placed = check_placed(await assign(conn, ticket_id, lead_code=lead_code, support_codes=supports,
                                           tier=str(unit["tier"]), urgency=step.row["urgency"],
                                           category_class=step.row["category_class"], now=now))
        await service.decide_return(conn, ret["id"], "uphold", principal, now)
        return await finish(conn, step, reason=reason or "维持原派单", notify=True, data={
            "return_id": ret["id"], "return_reason": ret["reason"], "unit_code": lead_code,
            "support": list(supports), "sign_by": placed["sign_by"], "reply_by": placed["reply_by"],
            "clock_error": placed["clock_error"]})
