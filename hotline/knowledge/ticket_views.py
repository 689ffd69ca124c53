"""HTTP side of tickets and 热线百科: 直接答复, 转办/告知, a reply turned into a draft article."""
from __future__ import annotations

from aiohttp import web

from hotline import keys, wallclock
from hotline.endpoints import parse_body
from hotline.errors import json_response
from hotline.knowledge import answers, service
from hotline.knowledge.schemas import DraftFromTicketIn
from hotline.knowledge.views import BEIJING, article_out
from hotline.tickets.views import get_visible



def _p(request: web.Request):
    return request[keys.PRINCIPAL]


async def run_answer(conn, tid, req, body, now):
    return await answers.answer(conn, tid, _p(req), body.article_id, body.answer, now,
                                now.astimezone(BEIJING).date())


async def run_refer(conn, tid, req, body, now):
    return await answers.refer(conn, tid, _p(req), body.kind, body.target, body.channel, body.reason, now)


async def draft_from_ticket(request: web.Request) -> web.Response:
    """A unit's reply turned into a draft article in one step (a person reviews it before it is published)."""
    visible = await get_visible(request)
    data = await parse_body(request, DraftFromTicketIn) if request.body_exists else DraftFromTicketIn()
    pool = request.app[keys.POOL]
    async with pool.acquire() as conn:
        ticket = await conn.fetchrow(answers.TICKET, visible["id"])
        row = await answers.draft_from_reply(conn, _p(request), ticket, data, wallclock.now(request.app))
    return json_response(article_out(await service.get(pool, row["id"]), _p(request), True), status=201,
                         headers={"Location": f"/api/v1/kb/articles/{row['id']}"})
