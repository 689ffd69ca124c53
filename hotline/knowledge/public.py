"""政务问答台: the public, read-only search of published public articles, as JSON and as a plain page.

No token, no personal data: only articles that are published, public and in force today are shown,
without their owning unit's staff or history. Every request takes from the per-client bucket of
tokenless routes (hotline.admission, hotline.limits: HOTLINE_PUBLIC_RATE_PER_MINUTE).
"""
from __future__ import annotations

from html import escape

from aiohttp import web
from pydantic import ValidationError

from hotline import keys, scope, wallclock
from hotline.endpoints import parse_id, parse_query
from hotline.errors import ApiError, json_response, validation_error
from hotline.jsoncodec import iso
from hotline.knowledge import service
from hotline.knowledge.lexicon import context
from hotline.knowledge.schemas import PublicSearchQuery
from hotline.knowledge.search import search
from hotline.knowledge.views import today

TITLE = "12345 政务问答台"
HEADERS = {"Cache-Control": "public, max-age=60", "Referrer-Policy": "no-referrer",
           "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"}
STYLE = ("body{font-family:sans-serif;max-width:44em;margin:1em auto;padding:0 1em;line-height:1.7}"
         "input{font-size:1.1em;padding:.2em;width:70%}button{font-size:1.1em;padding:.3em 1.2em}"
         "mark{background:#ffe58a}li{margin:.8em 0}.meta{color:#666;font-size:.9em}.err{color:#b00}")
PUBLIC_FIELDS = ("id", "slug", "title", "snippet", "highlights", "snippet_html", "area_code", "area_name",
                 "category", "basis")

PUBLIC_ARTICLE = """
SELECT a.id, a.slug, a.title, a.question, a.answer, a.basis_name, a.basis_number, a.category_code, a.area_code,
       ar.name AS area_name, a.effective_from, a.expires_on, a.published_at, a.updated_at
FROM kb_articles a JOIN areas ar ON ar.code = a.area_code
WHERE a.id = $1 AND a.status = 'published' AND a.public
  AND (a.effective_from IS NULL OR a.effective_from <= $2) AND (a.expires_on IS NULL OR a.expires_on >= $2)
"""


def not_found(article_id: int) -> ApiError:
    return ApiError(404, "问答不存在或已下线", [{"field": "id", "message": str(article_id)}])


async def _search(request: web.Request, q: PublicSearchQuery) -> dict:
    pool = request.app[keys.POOL]
    if q.area is not None and not await scope.area_exists(pool, q.area[:6]):
        raise ApiError(422, "行政区划代码不存在", [{"field": "area", "message": f"未知代码 {q.area}"}])
    found = await search(pool, context(pool), q.q, area=q.area, limit=q.limit, on=today(request),
                         public_only=True, source="public")
    return {"query": q.q, "terms": list(found.plan.terms),
            "items": [{k: item[k] for k in PUBLIC_FIELDS} for item in found.items]}


async def _article(request: web.Request, article_id: int) -> dict:
    pool = request.app[keys.POOL]
    row = await pool.fetchrow(PUBLIC_ARTICLE, article_id, today(request))
    if row is None:
        raise not_found(article_id)
    await service.opened(pool, article_id, wallclock.now(request.app))
    return {"id": row["id"], "slug": row["slug"], "title": row["title"], "question": row["question"],
            "answer": row["answer"], "basis_name": row["basis_name"], "basis_number": row["basis_number"],
            "category": row["category_code"], "area_code": row["area_code"], "area_name": row["area_name"],
            "effective_from": iso(row["effective_from"]), "expires_on": iso(row["expires_on"]),
            "updated_at": iso(row["updated_at"])}


async def search_json(request: web.Request) -> web.Response:
    return json_response(await _search(request, parse_query(request, PublicSearchQuery)),
                         headers={"Cache-Control": "public, max-age=60"})


async def article_json(request: web.Request) -> web.Response:
    return json_response(await _article(request, parse_id(request.match_info["id"])),
                         headers={"Cache-Control": "public, max-age=60"})


def _page(body: str, status: int = 200, headers: dict | None = None) -> web.Response:
    html = (f"<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{TITLE}</title>"
            f"<style>{STYLE}</style></head><body><h1><a href=\"/qa\">{TITLE}</a></h1>{body}</body></html>")
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8",
                        headers={**HEADERS, **(headers or {})})


def _form(q: str = "", area: str = "") -> str:
    return ("<form method=\"get\" action=\"/qa\">"
            f"<input name=\"q\" value=\"{escape(q[:200])}\" maxlength=\"200\" placeholder=\"请输入您的问题，如：新生儿怎么参加医保\">"
            f"<input type=\"hidden\" name=\"area\" value=\"{escape(area[:12])}\">"
            "<button type=\"submit\">查询</button></form>")


async def page(request: web.Request) -> web.Response:
    """The search page: a form, and the results when a question was asked (no script)."""
    raw_q, raw_area = request.query.get("q", ""), request.query.get("area", "")
    if not raw_q.strip():
        return _page(_form(area=raw_area) + "<p>可查询社保、医保、公积金、户籍、教育等常见政策问答。"
                     "未找到答案时请拨打 12345。</p>")
    try:  # the form sends an empty area when none was chosen
        try:
            q = PublicSearchQuery.model_validate({k: v for k, v in request.query.items() if v != ""})
        except ValidationError as exc:
            raise validation_error(exc, "query") from None
        result = await _search(request, q)
    except ApiError as exc:
        return _page(_form(raw_q, raw_area) + f"<p class=\"err\">{escape(exc.message)}</p>", exc.status, exc.headers)
    items = "".join(
        f"<li><a href=\"/qa/{i['id']}\">{escape(i['title'])}</a><br>{i['snippet_html']}"
        f"<div class=\"meta\">{escape(i['area_name'])}{(' · ' + escape(i['basis'])) if i['basis'] else ''}</div></li>"
        for i in result["items"])
    body = f"<ol>{items}</ol>" if items else "<p>没有找到相关问答，请换个说法，或拨打 12345 咨询。</p>"
    return _page(_form(q.q, q.area or "") + body)


async def article_page(request: web.Request) -> web.Response:
    try:
        a = await _article(request, parse_id(request.match_info["id"]))
    except ApiError as exc:
        return _page(f"<p class=\"err\">{escape(exc.message)}</p>", exc.status)
    basis = " ".join(x for x in (a["basis_name"], a["basis_number"]) if x)
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in a["answer"].splitlines() if p.strip())
    return _page(f"<h2>{escape(a['title'])}</h2>"
                 + (f"<p><strong>问：</strong>{escape(a['question'])}</p>" if a["question"] else "")
                 + paragraphs
                 + f"<p class=\"meta\">适用地区：{escape(a['area_name'])}及下辖地区"
                 + (f" · 政策依据：{escape(basis)}" if basis else "")
                 + (f" · 有效期至 {escape(a['expires_on'])}" if a["expires_on"] else "") + "</p>"
                 + "<p><a href=\"/qa\">返回查询</a></p>")
