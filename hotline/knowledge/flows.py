"""Changes to articles, each one transaction with its version and its kb_events row.

Create and revise write the whole content as a new version in draft; review, send back, publish and
retire move the status (routing.knowledge.ARTICLE_ACTIONS). Publishing puts the article into the
search index; any other change takes it out. Who may touch which article is hotline.scope.
"""
from __future__ import annotations

from datetime import date, datetime

import asyncpg

from hotline import scope
from hotline.auth import Principal
from hotline.errors import ApiError
from hotline.knowledge import service
from hotline.knowledge.lexicon import Context, lexicon
from models.enums import Role
from routing import knowledge
from routing.knowledge_text import tsvector_text


def _refused(exc: knowledge.ArticleFlowError, role: Role, row=None) -> ApiError:
    label = knowledge.ARTICLE_ACTIONS[exc.action].label if exc.action in knowledge.ARTICLE_ACTIONS else exc.action
    if exc.reason == "role":
        return ApiError(403, f"当前角色（{role.label}）不能执行「{label}」",
                        [{"field": "role", "message": f"「{label}」不对该角色开放"}])
    status = service.status_label(exc.status)
    return ApiError(409, f"条目当前状态为「{status}」，不能执行「{label}」",
                    [{"field": "status", "message": f"「{label}」仅适用于："
                      + "、".join(service.status_label(s) for s in sorted(knowledge.ARTICLE_ACTIONS[exc.action].sources))}],
                    extra={"current_status": exc.status,
                           "allowed_actions": knowledge.article_actions(exc.status, role)})


def _role(principal: Principal | None) -> Role:
    return principal.role if principal is not None else Role.ADMIN


async def resolve_content(db, principal: Principal | None, data, *, unit_id: int | None = None) -> dict:
    """The columns of an article from its request shape: category and unit codes checked (422 if unknown)."""
    category = None
    if data.category:
        category = await service.category_code(db, data.category)
        if category is None:
            raise ApiError(422, "事项分类不存在", [{"field": "category", "message": f"未知分类 {data.category}"}])
    if not await scope.area_exists(db, data.area_code):
        raise ApiError(422, "行政区划代码不存在", [{"field": "area_code", "message": f"未知代码 {data.area_code}"}])
    if data.effective_from and data.expires_on and data.expires_on < data.effective_from:
        raise ApiError(422, "失效日期早于生效日期", [{"field": "expires_on", "message": "不能早于 effective_from"}])
    if principal is not None and principal.role == Role.HANDLER:
        unit_id = principal.unit_id  # a unit maintains its own articles
    elif data.unit_code:
        unit = await service.unit_by_code(db, data.unit_code)
        if unit is None:
            raise ApiError(422, "承办单位不存在", [{"field": "unit_code", "message": f"未知单位 {data.unit_code}"}])
        unit_id = unit["id"]
    return {"slug": data.slug, "title": data.title, "question": data.question, "answer": data.answer,
            "basis_name": data.basis_name, "basis_number": data.basis_number, "category_code": category,
            "area_code": data.area_code, "unit_id": unit_id, "public": data.public,
            "effective_from": data.effective_from, "expires_on": data.expires_on,
            "keywords": " ".join(data.keywords.split())}


def _duplicate(content: dict) -> ApiError:
    return ApiError(409, "该地区已有同一主题的条目", [{"field": "slug", "message":
                    f"主题 {content['slug']} 在 {content['area_code']} 已有未下线的条目，请修订该条目"}])


async def create(conn: asyncpg.Connection, principal: Principal | None, content: dict, now: datetime, *,
                 reason: str = "", source_ticket_id: int | None = None) -> asyncpg.Record:
    """A new article in draft (version 1)."""
    async with conn.transaction():
        if principal is not None and not await scope.manages_article(conn, principal, {**content, "id": 0}):
            raise ApiError(403, "只能为本单位或本辖区编写条目", [{"field": "area_code", "message": "超出管理范围"}])
        try:
            row = await service.insert(conn, content, principal, now, source_ticket_id)
        except asyncpg.UniqueViolationError:
            raise _duplicate(content) from None
        await service.add_version(conn, row, principal, now)
        await service.add_event(conn, row, principal, "create", from_status=None, reason=reason, now=now,
                                data={"source_ticket_id": source_ticket_id} if source_ticket_id else None)
        return row


async def _locked(conn: asyncpg.Connection, principal: Principal | None, article_id: int) -> asyncpg.Record:
    row = await service.lock(conn, article_id)
    if row is None or (principal is not None and not await scope.manages_article(conn, principal, row)):
        raise scope.article_not_found(article_id)
    return row


async def revise(conn: asyncpg.Connection, principal: Principal | None, article_id: int, content: dict,
                 now: datetime, reason: str = "") -> asyncpg.Record:
    """修订: the whole content as a new version, back in draft (out of the index until published again)."""
    async with conn.transaction():
        row = await _locked(conn, principal, article_id)
        try:
            knowledge.apply_article(row["status"], "revise", _role(principal))
        except knowledge.ArticleFlowError as exc:
            raise _refused(exc, _role(principal)) from None
        if principal is not None and principal.role == Role.HANDLER:
            content = {**content, "unit_id": row["unit_id"]}
        if principal is not None and not await scope.manages_article(conn, principal, {**content, "id": row["id"]}):
            raise ApiError(403, "只能为本单位或本辖区编写条目", [{"field": "area_code", "message": "超出管理范围"}])
        await service.unindex(conn, article_id)
        try:
            new = await service.update(conn, article_id, {**content, "status": "draft",
                                                          "version": row["version"] + 1, "updated_at": now})
        except asyncpg.UniqueViolationError:
            raise _duplicate(content) from None
        await service.add_version(conn, new, principal, now)
        await service.add_event(conn, new, principal, "revise", from_status=row["status"], reason=reason, now=now,
                                data={"changed": [c for c in service.CONTENT if row[c] != new[c]]})
        return new


async def act(conn: asyncpg.Connection, ctx: Context, principal: Principal | None, article_id: int, action: str,
              now: datetime, reason: str = "") -> asyncpg.Record:
    """审核通过 / 退回修改 / 发布 / 下线."""
    async with conn.transaction():
        row = await _locked(conn, principal, article_id)
        try:
            target = knowledge.apply_article(row["status"], action, _role(principal))
        except knowledge.ArticleFlowError as exc:
            raise _refused(exc, _role(principal)) from None
        changes: dict = {"status": target, "updated_at": now}
        if target == "published":
            changes["published_at"] = now
        try:
            new = await service.update(conn, article_id, changes)
        except asyncpg.UniqueViolationError:  # retired while a newer one of the topic was made live
            raise _duplicate(dict(row)) from None
        await service.unindex(conn, article_id)
        if target == "published":
            await index_row(conn, ctx, new)
        await service.add_event(conn, new, principal, action, from_status=row["status"], reason=reason, now=now)
        return new


async def index_row(conn: asyncpg.Connection, ctx: Context, row) -> None:
    """Segment a published article and put it into the search index."""
    lex = lexicon()
    tsv = tsvector_text([row["title"], f"{row['question']} {row['keywords']}", row["answer"]], lex)
    depth = await ctx.areas.depth(conn, row["area_code"])
    await service.index(conn, row, depth, tsv)
    ctx.terms.forget()


def in_force(row, today: date) -> bool:
    return knowledge.live_on(today, row["effective_from"], row["expires_on"])
