"""The requester's one-time survey link, shared by its JSON API (callbacks/views.py) and its HTML page
(callbacks/survey_page.py): the token's shape, the link's checks, and recording the answer once."""
from __future__ import annotations

import re

from aiohttp import web

from hotline import keys
from hotline.callbacks import flows, service
from hotline.callbacks.schemas import Satisfaction, Solved, SurveyIn
from hotline.errors import ApiError
from hotline.wallclock import now as app_now

TOKEN_RE = re.compile(r"^sv_[A-Za-z0-9_-]{20,64}$")


def questions() -> list[dict]:
    """The survey's questions as the JSON API lists them."""
    return [
        {"field": "satisfaction", "label": "您对办理结果是否满意？", "required": True,
         "options": [{"value": s.value, "label": s.label} for s in Satisfaction]},
        {"field": "solved", "label": "您反映的问题是否已解决？", "required": True,
         "options": [{"value": s.value, "label": s.label} for s in Solved]},
        {"field": "comment", "label": "其他意见（选填）", "required": False, "max_length": 1000},
    ]


def check_link(link, now) -> None:
    """Raise the requester-facing error unless the link can still be answered."""
    if link is None:
        raise ApiError(404, "评价链接无效", [{"field": "token", "message": "链接不存在"}])
    if link["used_at"] is not None or link["answered"] or link["round"] != link["reopen_count"]:
        raise ApiError(409, "该次回访已完成评价，感谢您的反馈", [{"field": "token", "message": "链接已使用"}])
    if link["expires_at"] <= now:
        raise ApiError(410, "评价链接已过期", [{"field": "token", "message": "请联系 12345 热线"}])
    if link["status"] != "replied":
        raise ApiError(409, "该工单当前不在待评价状态", [{"field": "token", "message": "链接已失效"}])


def link_token(request: web.Request) -> str:
    """The path's token, or 404 when it cannot be one of ours."""
    token = request.match_info["token"]
    if not TOKEN_RE.match(token):
        raise ApiError(404, "评价链接无效", [{"field": "token", "message": "链接不存在"}])
    return token


async def record_answer(app: web.Application, token: str, body: SurveyIn) -> None:
    """Record the requester's answer once, in the ticket's transaction (closes or reopens it)."""
    now = app_now(app)
    async with app[keys.POOL].acquire() as conn, conn.transaction():
        link = await service.get_link(conn, token, lock=True)
        check_link(link, now)
        out = await flows.record(conn, link["ticket_id"], None, via="link", reached=True,
                                 satisfaction=body.satisfaction, solved=body.solved, comment=body.comment,
                                 max_attempts=1, now=now)
        await service.use_link(conn, link["id"], now)
    await flows.announce(app[keys.POOL], app[keys.NOTIFIER], out)
