"""HTTP handlers for callbacks (回访): the agent's phone record, one-time survey links, the public survey.

The reports' routes (hotline.reports.views) are served from this table too, so
the app's route list needs no extra entry.
"""
from __future__ import annotations

import re
from datetime import timedelta

from aiohttp import web

from hotline import keys
from hotline.callbacks import flows, service
from hotline.callbacks.models import (CallbackIn, CallbackLinkIn, CallbackLinkOut, CallbackOut, Satisfaction,
                                      Solved, SurveyIn, SurveyOut, option)
from hotline.endpoints import Endpoint, parse_body
from hotline.errors import ApiError, json_response
from hotline.callbacks import survey_page
from hotline.reports import views as reports
from hotline.tickets import service as tickets
from hotline.tickets.views import get_visible
from hotline.workflow.service import now as app_now
from models.enums import Role

CALLERS = frozenset({Role.AGENT, Role.ADMIN})
STAFF = frozenset({Role.AGENT, Role.HANDLER, Role.SUPERVISOR, Role.ADMIN})
TOKEN_RE = re.compile(r"^sv_[A-Za-z0-9_-]{20,64}$")


async def _announce(app: web.Application, out: flows.Outcome) -> None:
    """After commit: a reopened ticket is new work on the unit's stream (best effort)."""
    if out.decision is None:
        return
    row = await tickets.get(app[keys.POOL], out.ticket_id)
    if row is not None:
        await app[keys.NOTIFIER].ticket_event(row, out.decision)


async def _answer(app: web.Application, out: flows.Outcome) -> dict:
    row = await app[keys.POOL].fetchrow("SELECT status, reply_by FROM tickets WHERE id = $1", out.ticket_id)
    return {"ticket_id": out.ticket_id, "round": out.round, "outcome": out.outcome, "attempts": out.attempts,
            "decision": out.decision, "status": row["status"],
            "reply_by": row["reply_by"].isoformat() if row["reply_by"] else None}


async def record_callback(request: web.Request) -> web.Response:
    app = request.app
    body = await parse_body(request, CallbackIn, app[keys.SETTINGS].max_body_bytes)
    if body.reached:
        missing = [f for f in ("satisfaction", "solved") if getattr(body, f) is None]
        if missing:
            raise ApiError(422, "请求参数校验失败", [{"field": f, "message": "联系上诉求人时必填"} for f in missing])
    elif body.satisfaction is not None or body.solved is not None:
        raise ApiError(422, "请求参数校验失败", [{"field": "reached", "message": "未联系上时不能填写满意度和解决情况"}])
    row = await get_visible(request)
    async with app[keys.POOL].acquire() as conn:
        out = await flows.record(conn, row["id"], request[keys.PRINCIPAL], via="phone", reached=body.reached,
                                 satisfaction=body.satisfaction, solved=body.solved, comment=body.comment,
                                 max_attempts=option(app[keys.SETTINGS], "callback_max_attempts"),
                                 now=app_now(app))
    await _announce(app, out)
    return json_response(await _answer(app, out))


async def callback_history(request: web.Request) -> web.Response:
    row = await get_visible(request)
    return json_response({"ticket_id": row["id"], **await service.history(request.app[keys.POOL], row["id"])})


async def optional_body(request: web.Request, model):
    if not request.can_read_body or request.content_length == 0:
        return model()
    return await parse_body(request, model, request.app[keys.SETTINGS].max_body_bytes)


async def create_link(request: web.Request) -> web.Response:
    app = request.app
    body = await optional_body(request, CallbackLinkIn)
    row = await get_visible(request)
    hours = body.hours or option(app[keys.SETTINGS], "callback_link_hours")
    now = app_now(app)
    async with app[keys.POOL].acquire() as conn, conn.transaction():
        t = await service.lock_ticket(conn, row["id"])
        if t["status"] != "replied":
            raise flows.not_awaiting(t)
        expires = now + timedelta(hours=hours)
        token = await service.create_link(conn, t["id"], t["reopen_count"], request[keys.PRINCIPAL].token_id,
                                          expires)
        await tickets.add_event(conn, t["id"], request[keys.PRINCIPAL], "callback_link",
                                reason="发送回访评价链接", data={"round": t["reopen_count"],
                                                           "expires_at": expires.isoformat()})
    url = f"{request.url.origin()}/survey/{token}"  # the requester's page; /api/v1/survey/{token} is its JSON twin
    sms = (f"【12345热线】您反映的问题（工单号 {t['ticket_no']}）已办结，请对办理结果进行评价：{url} "
           f"（{hours} 小时内有效）")
    return json_response({"token": token, "url": url, "expires_at": expires.isoformat(), "sms_text": sms},
                         status=201)


def _questions() -> list[dict]:
    return [
        {"field": "satisfaction", "label": "您对办理结果是否满意？", "required": True,
         "options": [{"value": s.value, "label": s.label} for s in Satisfaction]},
        {"field": "solved", "label": "您反映的问题是否已解决？", "required": True,
         "options": [{"value": s.value, "label": s.label} for s in Solved]},
        {"field": "comment", "label": "其他意见（选填）", "required": False, "max_length": 1000},
    ]


def _check_link(link, now) -> None:
    if link is None:
        raise ApiError(404, "评价链接无效", [{"field": "token", "message": "链接不存在"}])
    if link["used_at"] is not None or link["answered"] or link["round"] != link["reopen_count"]:
        raise ApiError(409, "该次回访已完成评价，感谢您的反馈", [{"field": "token", "message": "链接已使用"}])
    if link["expires_at"] <= now:
        raise ApiError(410, "评价链接已过期", [{"field": "token", "message": "请联系 12345 热线"}])
    if link["status"] != "replied":
        raise ApiError(409, "该工单当前不在待评价状态", [{"field": "token", "message": "链接已失效"}])


def _token(request: web.Request) -> str:
    token = request.match_info["token"]
    if not TOKEN_RE.match(token):
        raise ApiError(404, "评价链接无效", [{"field": "token", "message": "链接不存在"}])
    return token


async def show_survey(request: web.Request) -> web.Response:
    token = _token(request)
    link = await service.get_link(request.app[keys.POOL], token)
    _check_link(link, app_now(request.app))
    return json_response({
        "ticket_no": link["ticket_no"], "title": link["title"], "unit_name": link["unit_name"],
        "resolution": link["resolution"],
        "replied_at": link["replied_at"].isoformat() if link["replied_at"] else None,
        "expires_at": link["expires_at"].isoformat(), "questions": _questions()},
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


async def answer_survey(request: web.Request) -> web.Response:
    body = await parse_body(request, SurveyIn, request.app[keys.SETTINGS].max_body_bytes)
    await record_answer(request.app, _token(request), body)
    return json_response({"message": "感谢您的评价", "recorded": True}, headers={"Cache-Control": "no-store"})


async def record_answer(app: web.Application, token: str, body: SurveyIn) -> None:
    """Record the requester's answer once, in the ticket's transaction (closes or reopens it)."""
    now = app_now(app)
    async with app[keys.POOL].acquire() as conn, conn.transaction():
        link = await service.get_link(conn, token, lock=True)
        _check_link(link, now)
        out = await flows.record(conn, link["ticket_id"], None, via="link", reached=True,
                                 satisfaction=body.satisfaction, solved=body.solved, comment=body.comment,
                                 max_attempts=1, now=now)
        await service.use_link(conn, link["id"], now)
    await _announce(app, out)


ROUTES = [
    Endpoint("POST", "/api/v1/tickets/{id}/callback", record_callback,
             "记录电话回访（联系上：满意度 + 是否解决；未联系上：计次，达到上限按无法联系归档）。"
             "不满意或未解决则重办，否则归档",
             roles=CALLERS, body=CallbackIn, response=CallbackOut, tag="callbacks", scope="ticket"),
    Endpoint("GET", "/api/v1/tickets/{id}/callbacks", callback_history, "工单回访记录",
             roles=STAFF, tag="callbacks", scope="ticket"),
    Endpoint("POST", "/api/v1/tickets/{id}/callback-link", create_link,
             "生成一次性回访评价链接（短信发送；只存哈希，过期失效）",
             roles=CALLERS, body=CallbackLinkIn, response=CallbackLinkOut, status=201, tag="callbacks",
             scope="ticket"),
    Endpoint("GET", "/api/v1/survey/{token}", show_survey, "诉求人查看回访评价问卷（无需登录，凭一次性链接）",
             response=SurveyOut, tag="callbacks"),
    Endpoint("POST", "/api/v1/survey/{token}", answer_survey, "诉求人提交回访评价（每个链接仅一次）",
             body=SurveyIn, tag="callbacks"),
    *reports.ROUTES,
    *survey_page.ROUTES,
]
