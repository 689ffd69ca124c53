"""热线百科 reports and files: gaps (frequent topics without an article), stale articles, import, export.

Gaps: the categories people called about most in the period that have no live article, with how many
of their calls were answered directly; and the searches (staff, public) that found nothing, by terms.
Stale: published articles past their expiry date, or not opened (staff or public) in idle_days.
"""
from __future__ import annotations

import base64
import binascii
from datetime import timedelta

from aiohttp import web

from hotline import keys, wallclock
from hotline.endpoints import parse_body, parse_query
from hotline.errors import ApiError, json_response
from hotline.jsoncodec import iso
from hotline.knowledge import transfer
from hotline.knowledge.lexicon import context
from hotline.knowledge.schemas import ExportQuery, GapsQuery, ImportIn, StaleQuery
from hotline.knowledge.views import BEIJING, today
from models.enums import Role

GAP_CATEGORIES = """
WITH calls AS (
    SELECT t.category_code, count(*) AS calls, count(a.ticket_id) AS answered
    FROM tickets t LEFT JOIN ticket_answers a ON a.ticket_id = t.id
    WHERE t.created_at >= $1 AND t.created_at < $2 AND t.category_code IS NOT NULL
    GROUP BY t.category_code
), live AS (
    SELECT category_code, count(*) AS articles FROM kb_articles WHERE status = 'published'
      AND (expires_on IS NULL OR expires_on >= $3) GROUP BY category_code
)
SELECT c.category_code, g.name, c.calls, c.answered, coalesce(l.articles, 0) AS articles
FROM calls c JOIN categories g ON g.code = c.category_code LEFT JOIN live l ON l.category_code = c.category_code
WHERE coalesce(l.articles, 0) = 0
ORDER BY c.calls DESC, c.category_code
LIMIT $4
"""
GAP_SEARCHES = """
SELECT terms, count(*) AS searches, max(at) AS last_at, array_agg(DISTINCT source) AS sources
FROM kb_misses WHERE at >= $1 AND at < $2 AND terms <> ''
GROUP BY terms ORDER BY count(*) DESC, terms LIMIT $3
"""
STALE = """
SELECT a.id, a.slug, a.title, a.area_code, a.expires_on, a.last_opened_at, a.opened_count, a.published_at,
       u.name AS unit_name,
       CASE WHEN a.expires_on < $1 THEN 'expired' ELSE 'idle' END AS reason
FROM kb_articles a LEFT JOIN units u ON u.id = a.unit_id
WHERE a.status = 'published'
  AND (a.expires_on < $1 OR coalesce(a.last_opened_at, a.published_at) < $2)
ORDER BY (a.expires_on < $1) DESC, coalesce(a.last_opened_at, a.published_at), a.id
LIMIT $3
"""
REASONS = {"expired": "已过失效日期", "idle": "长期未被查阅"}


async def gaps(request: web.Request) -> web.Response:
    q = parse_query(request, GapsQuery)
    end = q.to or today(request)
    start = q.from_ or end - timedelta(days=29)
    if start > end:
        raise ApiError(422, "起始日期晚于截止日期", [{"field": "to", "message": "不能早于 from"}])
    lo = _midnight(start)
    hi = _midnight(end + timedelta(days=1))
    pool = request.app[keys.POOL]
    cats = await pool.fetch(GAP_CATEGORIES, lo, hi, end, q.limit)
    misses = await pool.fetch(GAP_SEARCHES, lo, hi, q.limit)
    return json_response({"from": start.isoformat(), "to": end.isoformat(),
                          "categories": [{"category": r["category_code"], "label": r["name"], "calls": r["calls"],
                                          "answered_directly": r["answered"], "articles": r["articles"]} for r in cats],
                          "unanswered_searches": [{"terms": r["terms"], "searches": r["searches"],
                                                   "last_at": iso(r["last_at"]), "sources": sorted(r["sources"])}
                                                  for r in misses]})


def _midnight(day):
    from datetime import datetime, time

    return datetime.combine(day, time(0), tzinfo=BEIJING)


async def stale(request: web.Request) -> web.Response:
    q = parse_query(request, StaleQuery)
    now = wallclock.now(request.app)
    rows = await request.app[keys.POOL].fetch(STALE, today(request), now - timedelta(days=q.idle_days), q.limit)
    return json_response({"idle_days": q.idle_days, "items": [
        {"id": r["id"], "slug": r["slug"], "title": r["title"], "area_code": r["area_code"],
         "unit": r["unit_name"], "reason": r["reason"], "reason_label": REASONS[r["reason"]],
         "expires_on": iso(r["expires_on"]), "last_opened_at": iso(r["last_opened_at"]),
         "opened_count": r["opened_count"], "published_at": iso(r["published_at"])} for r in rows]})


async def import_articles(request: web.Request) -> web.Response:
    """Articles from a CSV or XLSX file: each good row a new article; a report of every refused row."""
    principal = request[keys.PRINCIPAL]
    data = await parse_body(request, ImportIn, request.app[keys.SETTINGS].max_body_bytes)
    if data.publish and principal.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise ApiError(403, "只有督办人员或管理员可以导入并直接发布", [{"field": "publish", "message": "请导入为草稿"}])
    try:
        raw = base64.b64decode("".join(data.content.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(422, "文件内容不是有效的 base64", [{"field": "content", "message": "无法解码"}]) from None
    try:
        rows = transfer.read_xlsx(raw) if data.format == "xlsx" else transfer.read_csv(raw)
    except Exception as exc:  # a damaged file is the client's problem, named as such
        raise ApiError(422, "无法读取文件", [{"field": "content", "message": f"{data.format} 文件无效：{type(exc).__name__}"}]) from None
    if rows and not {"slug", "title", "answer", "area_code"} <= set(rows[0]):
        raise ApiError(422, "缺少必需的列", [{"field": "content", "message": "须包含 slug、title、answer、area_code 列"}])
    pool = request.app[keys.POOL]
    async with pool.acquire() as conn:
        result = await transfer.load(conn, context(pool), principal, rows, publish=data.publish,
                                     now=wallclock.now(request.app))
    return json_response({"rows": len(rows), **result})


async def export_csv(request: web.Request) -> web.Response:
    return await _export(request, "csv")


async def export_xlsx(request: web.Request) -> web.Response:
    return await _export(request, "xlsx")


async def _export(request: web.Request, kind: str) -> web.Response:
    q = parse_query(request, ExportQuery)
    rows = await transfer.export_rows(request.app[keys.POOL], q.status, request[keys.PRINCIPAL])
    body = transfer.write_xlsx(rows) if kind == "xlsx" else transfer.write_csv(rows)
    ctype = transfer.XLSX_TYPE if kind == "xlsx" else "text/csv"
    return web.Response(body=body, content_type=ctype, charset="utf-8" if kind == "csv" else None,
                        headers={"Content-Disposition": f"attachment; filename=kb-articles.{kind}"})

