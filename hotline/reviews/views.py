"""HTTP handlers of bad-review handling (差评处置): list, ruling, rectification, reply, rates.

A review is visible when its ticket is (hotline.scope); a handler acts only on its own unit's
reviews. Each decision also goes on the ticket's audit trail, in the same transaction.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from hotline import keys, scope
from hotline.endpoints import parse_body, parse_id, parse_query
from hotline.escalation import rectify
from hotline.errors import ApiError, json_response
from hotline.jsoncodec import iso
from hotline.replica import lag_tolerant, read_pool
from hotline.reviews import service
from hotline.reviews.schemas import ReviewQuery, ReviewRatesQuery, RulingIn, TextIn
from hotline.tickets import service as tickets
from hotline.wallclock import now as app_now
from models.enums import Role
from routing.calendar import add_working_days

SHANGHAI = ZoneInfo("Asia/Shanghai")
RULING_LABELS = {"pending": "待认定", "valid": "有效差评", "invalid": "无效差评"}
TIMES = ("opened_at", "ruled_at", "rectify_by", "rectified_at", "replied_at", "next_chase_at")


def review_out(r, now: datetime) -> dict:
    out = {**dict(r), **{k: iso(r[k]) for k in TIMES}, "ruling_label": RULING_LABELS[r["ruling"]],
           "needs_rectification": r["ruling"] == "valid" and r["rectified_at"] is None,
           "needs_reply": r["real_name"] and r["ruling"] != "invalid" and r["replied_at"] is None}
    out["rectification_overdue"] = out["needs_rectification"] and r["rectify_by"] < now
    return out


def not_found(review_id: int) -> ApiError:
    return ApiError(404, "差评记录不存在或无权查看", [{"field": "id", "message": str(review_id)}])


def conflict(message: str, field: str, detail: str) -> ApiError:
    return ApiError(409, message, [{"field": field, "message": detail}])


async def _visible(conn, request: web.Request, lock: bool = False):
    """The review in the path, locked when asked; 404 when missing or its ticket is out of scope."""
    review_id = parse_id(request.match_info["id"])
    r = await service.get(conn, review_id, lock=lock)
    if r is None:
        raise not_found(review_id)
    principal = request[keys.PRINCIPAL]
    ticket = await tickets.get(conn, r["ticket_id"])
    if not scope.can_see(principal, ticket):
        raise not_found(review_id)
    if principal.role == Role.HANDLER and principal.unit_id != r["unit_id"]:
        raise not_found(review_id)  # a supporting unit sees the ticket, not the lead unit's review
    return r


async def list_reviews(request: web.Request) -> web.Response:
    q = parse_query(request, ReviewQuery)
    principal = request[keys.PRINCIPAL]
    rows = await service.listing(request.app[keys.POOL], principal, q.ruling, q.todo, q.limit)
    now = app_now(request.app)
    items = [review_out(r, now) for r in rows
             if principal.role != Role.HANDLER or r["unit_id"] == principal.unit_id]
    return json_response({"items": items})


async def _act(request: web.Request, body_model, act) -> web.Response:
    body = await parse_body(request, body_model, request.app[keys.SETTINGS].max_body_bytes)
    now = app_now(request.app)
    async with request.app[keys.POOL].acquire() as conn, conn.transaction():
        r = await _visible(conn, request, lock=True)
        action, reason = await act(conn, r, body, now)
        await tickets.add_event(conn, r["ticket_id"], request[keys.PRINCIPAL], action, reason=reason,
                                data={"bad_review_id": r["id"], "round": r["round"]})
        r = await service.get(conn, r["id"])
    return json_response(review_out(r, now))


async def rule_review(request: web.Request) -> web.Response:
    days = request.app[keys.SETTINGS].bad_review_rectify_days
    actor = request[keys.PRINCIPAL].token_id

    async def act(conn, r, body: RulingIn, now):
        if r["ruling"] != "pending":
            raise conflict("该差评已认定", "ruling", RULING_LABELS[r["ruling"]])
        rectify_by = add_working_days(now, days) if body.valid else None
        tier = await conn.fetchval("SELECT tier::text FROM units WHERE id = $1", r["unit_id"])
        chase_at = rectify.first_due(now, rectify_by, tier) if body.valid else None
        await service.rule(conn, r["id"], body.valid, body.reason, actor, now, rectify_by, chase_at)
        return "bad_review_ruling", f"差评认定：{'有效' if body.valid else '无效'}。{body.reason}"
    return await _act(request, RulingIn, act)


async def rectify_review(request: web.Request) -> web.Response:
    actor = request[keys.PRINCIPAL].token_id

    async def act(conn, r, body: TextIn, now):
        if r["ruling"] != "valid":
            raise conflict("仅有效差评需要整改", "ruling", RULING_LABELS[r["ruling"]])
        if r["rectified_at"] is not None:
            raise conflict("整改情况已提交", "rectification", "不能重复提交")
        await service.rectify(conn, r["id"], body.text, actor, now)
        return "bad_review_rectified", f"差评整改：{body.text}"
    return await _act(request, TextIn, act)


async def reply_review(request: web.Request) -> web.Response:
    actor = request[keys.PRINCIPAL].token_id

    async def act(conn, r, body: TextIn, now):
        if not r["real_name"]:
            raise conflict("匿名差评无需回复", "real_name", "诉求人未留姓名")
        if r["ruling"] == "invalid":
            raise conflict("无效差评无需回复", "ruling", RULING_LABELS["invalid"])
        if r["replied_at"] is not None:
            raise conflict("已回复诉求人", "reply", "不能重复提交")
        await service.reply(conn, r["id"], body.text, actor, now)
        return "bad_review_replied", f"差评回复诉求人：{body.text}"
    return await _act(request, TextIn, act)


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


@lag_tolerant
async def review_rates(request: web.Request) -> web.Response:
    q = parse_query(request, ReviewRatesQuery)
    now = app_now(request.app)
    last = q.to or now.astimezone(SHANGHAI).date()
    first = q.from_ or last - timedelta(days=29)
    if last < first:
        raise ApiError(422, "请求参数校验失败", [{"field": "to", "message": "不能早于 from"}])
    start = datetime.combine(first, time(0), SHANGHAI)
    end = datetime.combine(last + timedelta(days=1), time(0), SHANGHAI)
    rows = await service.rates(read_pool(request), request[keys.PRINCIPAL], start, end, now)
    items = [{**dict(r), "rectification_rate": _rate(r["rectified"], r["valid"]),
              "reply_rate": _rate(r["replied"], r["real_name"])} for r in rows]
    counts = ("opened", "pending", "valid", "rectified", "rectify_overdue", "real_name", "replied")
    total = {c: sum(i[c] for i in items) for c in counts}
    total.update(rectification_rate=_rate(total["rectified"], total["valid"]),
                 reply_rate=_rate(total["replied"], total["real_name"]))
    return json_response({"from": first.isoformat(), "to": last.isoformat(),
                          "labels": {"rectification_rate": "整改率", "reply_rate": "回复率"},
                          "items": items, "total": total})
