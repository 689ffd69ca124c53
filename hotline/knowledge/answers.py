"""Tickets answered from 热线百科: 直接答复, 转办/告知, a direct answer found unsolved, a reply made a draft.

直接答复 and 转办/告知 are workflow actions (routing.workflow.ACTIONS: answer, refer) on a call that was
never dispatched (received or triage): begin/finish lock the ticket, check the caller and write the
event, and the answer or referral row is written in the same transaction. The ticket is closed with no
unit and no deadline, so no inbox lists it and the escalation sweep (next_escalation_at) never sees it.
A direct answer stays open to a callback (hotline.callbacks); found unsolved, the call goes back to
triage (retriage) to be dispatched like any other.
"""
from __future__ import annotations

import re
from datetime import date, datetime

import asyncpg

from hotline import scope
from hotline.auth import Principal
from hotline.errors import ApiError
from hotline.knowledge import flows as articles, service as kb
from hotline.workflow.steps import Done, begin, finish, refuse

INSERT_ANSWER = """
INSERT INTO ticket_answers (ticket_id, article_id, article_version, answer, at, actor_id)
VALUES ($1, $2, $3, $4, $5, $6)
"""
INSERT_REFERRAL = """
INSERT INTO ticket_referrals (ticket_id, kind, target, channel, reason, at, actor_id)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""
KIND_LABELS = {"transfer": "转办", "inform": "告知"}
CLOSED = {"closed_at": None, "next_escalation_at": None, "sign_by": None, "reply_by": None}


async def answer(conn: asyncpg.Connection, ticket_id: int, principal: Principal | None, article_id: int | None,
                 text: str, now: datetime, today: date) -> Done:
    """直接答复: record the article and the answer given, close the call as answered by the hotline."""
    async with conn.transaction():
        step = await begin(conn, ticket_id, principal, "answer", now)
        version = None
        if article_id is not None:
            row = await kb.get(conn, article_id)
            if row is None or row["status"] != "published":
                raise ApiError(422, "知识条目不存在或未发布", [{"field": "article_id", "message": str(article_id)}])
            if not articles.in_force(row, today):
                raise ApiError(422, "知识条目不在有效期内", [{"field": "article_id", "message": str(article_id)}])
            version = row["version"]
        await conn.execute(INSERT_ANSWER, ticket_id, article_id, version, text, now,
                           principal.token_id if principal else None)
        return await finish(conn, step, reason=text, fields={**CLOSED, "closed_at": now, "resolution": text},
                            data={"article_id": article_id, "article_version": version, "answered_by": "hotline"})


async def refer(conn: asyncpg.Connection, ticket_id: int, principal: Principal | None, kind: str, target: str,
                channel: str, reason: str, now: datetime) -> Done:
    """转办 / 告知: the request is outside this hotline's remit; recorded and closed, not left in triage."""
    async with conn.transaction():
        step = await begin(conn, ticket_id, principal, "refer", now)
        await conn.execute(INSERT_REFERRAL, ticket_id, kind, target, channel, reason, now,
                           principal.token_id if principal else None)
        said = f"{KIND_LABELS[kind]}：{target}" + (f"（{channel}）" if channel else "")
        return await finish(conn, step, reason=reason or said,
                            fields={**CLOSED, "closed_at": now, "resolution": said},
                            data={"kind": kind, "target": target, "channel": channel})


async def is_direct(conn, ticket_id: int) -> bool:
    """Whether the ticket was closed by a direct answer (and not dispatched since)."""
    return bool(await conn.fetchval(
        "SELECT 1 FROM ticket_answers a JOIN tickets t ON t.id = a.ticket_id "
        "WHERE a.ticket_id = $1 AND t.status = 'closed' AND t.unit_id IS NULL", ticket_id))


async def retriage(conn: asyncpg.Connection, ticket_id: int, principal: Principal | None, reason: str,
                   now: datetime) -> Done:
    """A direct answer the callback found unsolved: back to triage (a new round) to be dispatched."""
    async with conn.transaction():
        step = await begin(conn, ticket_id, principal, "retriage", now)
        if not await is_direct(conn, ticket_id):
            raise refuse(step, "只有直接答复的工单可转人工派单")
        fields = {"closed_at": None, "reopen_count": step.row["reopen_count"] + 1, "resolution": "",
                  "triage_reason": f"直接答复回访未解决：{reason}"}
        return await finish(conn, step, reason=reason, fields=fields, data={"round": step.row["reopen_count"] + 1})


# --- a reply becomes a draft article -----------------------------------------------------------------

TICKET = """
SELECT id, ticket_no, status::text AS status, title, content, resolution, category_code, province_code, city_code,
       county_code, unit_id
FROM tickets WHERE id = $1
"""
_NUMBERS = re.compile(r"[0-9]{7,}")
_SLUG_SAFE = re.compile(r"[^a-z0-9._-]")


def _question(text: str) -> str:
    """The caller's words as a typical question: long numbers (phones, ids) removed."""
    return _NUMBERS.sub("", " ".join(text.split()))[:2000]


async def draft_from_reply(conn: asyncpg.Connection, principal: Principal | None, ticket, data,
                           now: datetime) -> asyncpg.Record:
    """A draft article from a ticket's reply (its answer) and request (its question), in one step."""
    if not ticket["resolution"]:
        raise ApiError(409, "工单尚无办结回复，无法生成知识条目", [{"field": "status", "message": ticket["status"]}],
                       extra={"current_status": ticket["status"]})
    area = data.area_code or ticket["county_code"] or ticket["city_code"] or ticket["province_code"]
    if area is None:
        raise ApiError(422, "工单没有所在地区，请指定 area_code", [{"field": "area_code", "message": "必填"}])
    if not await scope.area_exists(conn, area):
        raise ApiError(422, "行政区划代码不存在", [{"field": "area_code", "message": f"未知代码 {area}"}])
    title = data.title or (ticket["title"] or ticket["content"])[:60]
    slug = data.slug or _SLUG_SAFE.sub("-", f"ticket-{ticket['ticket_no']}".lower())
    content = {"slug": slug, "title": title, "question": _question(ticket["content"]),
               "answer": ticket["resolution"][:20000], "basis_name": "", "basis_number": "",
               "category_code": ticket["category_code"], "area_code": area, "unit_id": ticket["unit_id"],
               "public": data.public, "effective_from": None, "expires_on": None, "keywords": ""}
    if principal is not None and principal.role.value == "handler":
        content["unit_id"] = principal.unit_id
    return await articles.create(conn, principal, content, now, reason=f"由工单 {ticket['ticket_no']} 的办结回复生成",
                                 source_ticket_id=ticket["id"])
