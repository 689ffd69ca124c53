"""HTTP handlers for callbacks (回访): the agent's phone record, one-time survey links, the public survey's JSON.

(The survey's HTML page is callbacks/survey_page.py; both use callbacks/survey.py.)
"""
from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from hotline import keys
from hotline.callbacks import flows, service, survey
from hotline.callbacks.schemas import CallbackIn, CallbackLinkIn, SurveyIn, option
from hotline.duplicates.callers import requester_list
from hotline.endpoints import parse_body
from hotline.errors import ApiError, json_response
from hotline.jsoncodec import iso
from hotline.tickets.views import get_visible
from hotline.wallclock import now as app_now


async def _answer(app: web.Application, out: flows.Outcome) -> dict:
    row = await service.ticket_state(app[keys.POOL], out.ticket_id)
    return {"ticket_id": out.ticket_id, "round": out.round, "outcome": out.outcome, "attempts": out.attempts,
            "decision": out.decision, "status": row["status"],
            "reply_by": iso(row["reply_by"])}


async def record_callback(request: web.Request) -> web.Response:
    app = request.app
    body = await parse_body(request, CallbackIn, app[keys.SETTINGS].max_body_bytes)
    if body.reached:
        missing = [f for f in ("satisfaction", "solved") if getattr(body, f) is None]
        if missing:
            raise ApiError(422, "请求参数校验失败", [{"field": f, "message": "联系上诉求人时必填", "type": "missing"}
                                                     for f in missing])
    elif body.satisfaction is not None or body.solved is not None:
        raise ApiError(422, "请求参数校验失败", [{"field": "reached", "message": "未联系上时不能填写满意度和解决情况"}])
    row = await get_visible(request)
    async with app[keys.POOL].acquire() as conn:
        out = await flows.record(conn, row["id"], request[keys.PRINCIPAL], via="phone", reached=body.reached,
                                 satisfaction=body.satisfaction, solved=body.solved, comment=body.comment,
                                 max_attempts=option(app[keys.SETTINGS], "callback_max_attempts"),
                                 min_spacing=timedelta(minutes=option(app[keys.SETTINGS],
                                                                      "callback_min_spacing_minutes")),
                                 now=app_now(app))
    await flows.announce(app[keys.POOL], app[keys.NOTIFIER], out)
    return json_response(await _answer(app, out))


async def callback_history(request: web.Request) -> web.Response:
    """Attempts and outcomes, and whom to call back: every requester of the matter (a lead's folded callers too)."""
    row = await get_visible(request)
    pool = request.app[keys.POOL]
    return json_response({"ticket_id": row["id"], **await service.history(pool, row["id"]),
                          "requesters": await requester_list(pool, request[keys.PRINCIPAL], row["id"])})


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
    expires = now + timedelta(hours=hours)
    async with app[keys.POOL].acquire() as conn, conn.transaction():
        t, token = await flows.create_link(conn, row["id"], request[keys.PRINCIPAL], expires)
    # the requester's page (/api/v1/survey/{token} is its JSON twin), on the configured public address:
    # the Host header is the caller's to choose
    url = f"{app[keys.SETTINGS].public_base()}/survey/{token}"
    sms = (f"【12345热线】您反映的问题（工单号 {t['ticket_no']}）已办结，请对办理结果进行评价：{url} "
           f"（{hours} 小时内有效）")
    return json_response({"token": token, "url": url, "expires_at": iso(expires), "sms_text": sms},
                         status=201)


async def show_survey(request: web.Request) -> web.Response:
    token = survey.link_token(request)
    link = await service.get_link(request.app[keys.POOL], token)
    survey.check_link(link, app_now(request.app))
    return json_response({
        "ticket_no": link["ticket_no"], "title": link["title"], "unit_name": link["unit_name"],
        "resolution": link["resolution"],
        "replied_at": iso(link["replied_at"]),
        "expires_at": iso(link["expires_at"]), "questions": survey.questions()},
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


async def survey_precheck(request: web.Request) -> None:
    """Before the body is read: the link must exist and still take an answer (else its 4xx)."""
    link = await service.get_link(request.app[keys.POOL], survey.link_token(request))
    survey.check_link(link, app_now(request.app))


async def answer_survey(request: web.Request) -> web.Response:
    body = await parse_body(request, SurveyIn, request.app[keys.SETTINGS].max_body_bytes)
    await survey.record_answer(request.app, survey.link_token(request), body)
    return json_response({"message": "感谢您的评价", "recorded": True}, headers={"Cache-Control": "no-store"})
