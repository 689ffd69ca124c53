"""The requester's survey page behind the SMS link: plain HTML, a form, no script, no login."""
from __future__ import annotations

from html import escape

from aiohttp import web
from pydantic import ValidationError

from hotline import keys
from hotline.callbacks import service, survey
from hotline.callbacks.schemas import Satisfaction, Solved, SurveyIn
from hotline.errors import ApiError
from hotline.wallclock import now as app_now

HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
           "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"}
STYLE = ("body{font-family:sans-serif;max-width:32em;margin:1em auto;padding:0 1em;line-height:1.6}"
         "fieldset{border:1px solid #ccc;margin:1em 0}button{font-size:1.1em;padding:.4em 1.5em}"
         ".err{color:#b00}")


def _page(title: str, body: str, status: int = 200) -> web.Response:
    html = (f"<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{escape(title)}</title>"
            f"<style>{STYLE}</style></head><body><h1>{escape(title)}</h1>{body}</body></html>")
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8", headers=HEADERS)


def _choices(name: str, options) -> str:
    return "".join(f'<label><input type="radio" name="{name}" value="{escape(o.value)}" required> '
                   f"{escape(o.label)}</label><br>" for o in options)


def _form(link, error: str = "") -> str:
    err = f'<p class="err">{escape(error)}</p>' if error else ""
    return (f"<p>工单号：{escape(link['ticket_no'])}<br>诉求：{escape(link['title'])}<br>"
            f"承办单位：{escape(link['unit_name'] or '')}</p>"
            f"<p>办理结果：{escape(link['resolution'] or '')}</p>{err}"
            '<form method="post">'
            f"<fieldset><legend>您对办理结果是否满意？</legend>{_choices('satisfaction', Satisfaction)}</fieldset>"
            f"<fieldset><legend>您反映的问题是否已解决？</legend>{_choices('solved', Solved)}</fieldset>"
            '<p><label>其他意见（选填）<br><textarea name="comment" rows="4" cols="30" maxlength="1000">'
            "</textarea></label></p><button type=\"submit\">提交评价</button></form>")


async def _link_or_page(request: web.Request):
    """The valid link for the path's token, or the page explaining why there is none."""
    try:
        token = survey.link_token(request)
        link = await service.get_link(request.app[keys.POOL], token)
        survey.check_link(link, app_now(request.app))
    except ApiError as exc:
        return None, _page("12345 热线回访评价", f"<p>{escape(exc.message)}</p>", exc.status)
    return link, None


async def show(request: web.Request) -> web.Response:
    link, page = await _link_or_page(request)
    return page or _page("12345 热线回访评价", _form(link))


async def precheck(request: web.Request) -> web.Response | None:
    """Before the form is read: the page explaining why the link cannot be answered, or None."""
    _, page = await _link_or_page(request)
    return page


async def submit(request: web.Request) -> web.Response:
    link, page = await _link_or_page(request)
    if page is not None:
        return page
    form = await request.post()
    try:
        body = SurveyIn(satisfaction=form.get("satisfaction"), solved=form.get("solved"),
                        comment=str(form.get("comment", "")).replace("\x00", ""))
    except ValidationError:
        return _page("12345 热线回访评价", _form(link, "请选择满意度和是否解决后再提交。"), 422)
    try:
        await survey.record_answer(request.app, survey.link_token(request), body)
    except ApiError as exc:
        return _page("12345 热线回访评价", f"<p>{escape(exc.message)}</p>", exc.status)
    return _page("感谢您的评价", "<p>您的评价已记录。如问题仍未解决，热线将安排承办单位重新办理。</p>")
