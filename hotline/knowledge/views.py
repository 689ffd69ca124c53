"""HTTP handlers of 热线百科 for staff: articles, their review flow, search, versions and history."""
from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from aiohttp import web

from hotline import keys, scope, wallclock
from hotline.endpoints import parse_body, parse_id, parse_query
from hotline.errors import ApiError, json_response
from hotline.jsoncodec import iso
from hotline.knowledge import flows, service
from hotline.knowledge.lexicon import context
from hotline.knowledge.schemas import ActionIn, ArticleIn, ArticleQuery, SearchQuery
from hotline.knowledge.search import search
from routing import knowledge

BEIJING = ZoneInfo("Asia/Shanghai")


def today(request: web.Request) -> date:
    """The calendar day in Beijing: what effective and expiry dates are compared with."""
    return wallclock.now(request.app).astimezone(BEIJING).date()


def article_out(row, principal=None, manages: bool = False) -> dict:
    """An article as the API shows it, with the actions the caller could take now."""
    unit = {"id": row["unit_id"], "code": row["unit_code"], "name": row["unit_name"]} if row["unit_id"] else None
    actions = knowledge.article_actions(row["status"], principal.role) if principal is not None and manages else []
    return {"id": row["id"], "slug": row["slug"], "title": row["title"], "question": row["question"],
            "answer": row["answer"], "basis_name": row["basis_name"], "basis_number": row["basis_number"],
            "category": row["category_code"], "area_code": row["area_code"], "area_name": row["area_name"],
            "unit": unit, "public": row["public"], "effective_from": iso(row["effective_from"]),
            "expires_on": iso(row["expires_on"]), "keywords": row["keywords"], "status": row["status"],
            "status_label": service.status_label(row["status"]), "version": row["version"],
            "source_ticket_id": row["source_ticket_id"], "opened_count": row["opened_count"],
            "last_opened_at": iso(row["last_opened_at"]), "published_at": iso(row["published_at"]),
            "created_at": iso(row["created_at"]), "updated_at": iso(row["updated_at"]), "allowed_actions": actions}


async def visible(request: web.Request) -> tuple:
    """The article in the path: published ones to every staff role, others to those who manage them."""
    article_id = parse_id(request.match_info["id"])
    pool, principal = request.app[keys.POOL], request[keys.PRINCIPAL]
    row = await service.get(pool, article_id)
    if row is None:
        raise scope.article_not_found(article_id)
    manages = await scope.manages_article(pool, principal, row)
    if row["status"] != "published" and not manages:
        raise scope.article_not_found(article_id)
    return row, manages


async def create_article(request: web.Request) -> web.Response:
    pool, principal = request.app[keys.POOL], request[keys.PRINCIPAL]
    data = await parse_body(request, ArticleIn)
    content = await flows.resolve_content(pool, principal, data)
    async with pool.acquire() as conn:
        row = await flows.create(conn, principal, content, wallclock.now(request.app), reason=data.reason)
    full = await service.get(pool, row["id"])
    return json_response(article_out(full, principal, True), status=201,
                         headers={"Location": f"/api/v1/kb/articles/{row['id']}"})


async def revise_article(request: web.Request) -> web.Response:
    pool, principal = request.app[keys.POOL], request[keys.PRINCIPAL]
    article_id = parse_id(request.match_info["id"])
    data = await parse_body(request, ArticleIn)
    current = await service.get(pool, article_id)
    if current is None or not await scope.manages_article(pool, principal, current):
        raise scope.article_not_found(article_id)
    content = await flows.resolve_content(pool, principal, data, unit_id=current["unit_id"])
    async with pool.acquire() as conn:
        await flows.revise(conn, principal, article_id, content, wallclock.now(request.app), data.reason)
    return json_response(article_out(await service.get(pool, article_id), principal, True))


def action_handler(action: str):
    """The handler of one review-flow action (审核通过、退回修改、发布、下线)."""

    async def handler(request: web.Request) -> web.Response:
        pool, principal = request.app[keys.POOL], request[keys.PRINCIPAL]
        article_id = parse_id(request.match_info["id"])
        data = await parse_body(request, ActionIn) if request.body_exists else ActionIn()
        async with pool.acquire() as conn:
            await flows.act(conn, context(pool), principal, article_id, action, wallclock.now(request.app),
                            data.reason)
        return json_response(article_out(await service.get(pool, article_id), principal, True))

    handler.__name__ = f"article_{action}"
    return handler


async def get_article(request: web.Request) -> web.Response:
    row, manages = await visible(request)
    if row["status"] == "published":
        await service.opened(request.app[keys.POOL], row["id"], wallclock.now(request.app))
    return json_response(article_out(row, request[keys.PRINCIPAL], manages))


async def list_articles(request: web.Request) -> web.Response:
    q = parse_query(request, ArticleQuery)
    principal = request[keys.PRINCIPAL]
    args: list = []
    clause = scope.article_clause(principal, args)
    rows = await service.page(request.app[keys.POOL], clause, args, q.model_dump(), q.after, q.limit)
    items = [article_out(r, principal, r["manages"]) for r in rows]
    return json_response({"items": items, "next_after": rows[-1]["id"] if len(rows) == q.limit else None})


async def article_versions(request: web.Request) -> web.Response:
    row, _ = await visible(request)
    rows = await service.versions(request.app[keys.POOL], row["id"])
    return json_response({"article_id": row["id"], "versions": [
        {"version": r["version"], "at": iso(r["at"]), "content": r["content"]} for r in rows]})


async def article_events(request: web.Request) -> web.Response:
    row, _ = await visible(request)
    rows = await service.events(request.app[keys.POOL], row["id"])
    return json_response({"article_id": row["id"], "events": [{**dict(r), "at": iso(r["at"])} for r in rows]})


async def staff_search(request: web.Request) -> web.Response:
    """Ranked search for staff: public and internal articles that apply in the area, in force today."""
    q = parse_query(request, SearchQuery)
    pool = request.app[keys.POOL]
    if q.area is not None and not await scope.area_exists(pool, q.area):
        raise ApiError(422, "行政区划代码不存在", [{"field": "area", "message": f"未知代码 {q.area}"}])
    found = await search(pool, context(pool), q.q, area=q.area, category=q.category, limit=q.limit,
                         on=q.on or today(request), source="staff")
    return json_response({"query": q.q, "terms": list(found.plan.terms), "items": found.items})
