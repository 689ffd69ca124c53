"""HTTP handlers of the status lookup: the JSON API and the plain server-rendered page (no script, no login).

The code travels in a POST body, never in a URL, so it stays out of access logs and browser history.
"""
from __future__ import annotations

from datetime import datetime
from html import escape

from aiohttp import web

from hotline import keys
from hotline.endpoints import parse_body, parse_query
from hotline.errors import ApiError, json_response
from hotline.jsoncodec import iso
from hotline.requester import lookup, sms
from hotline.requester.schemas import LookupIn, SmsOutboxQuery
from hotline.tickets.serialize import mask_phone

HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
           "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"}
STYLE = ("body{font-family:sans-serif;max-width:32em;margin:1em auto;padding:0 1em;line-height:1.6}"
         "label{display:block;margin:.6em 0}input{font-size:1.1em;padding:.2em}button{font-size:1.1em;"
         "padding:.4em 1.5em}.err{color:#b00}dt{font-weight:bold}dd{margin:0 0 .6em 0}")
TITLE = "12345 热线办理进度查询"


async def lookup_json(request: web.Request) -> web.Response:
    body = await parse_body(request, LookupIn, request.app[keys.SETTINGS].max_body_bytes)
    return json_response(await lookup.find(request, body.ticket_no, body.code), headers={"Cache-Control": "no-store"})


def _page(body: str, status: int = 200, headers: dict | None = None) -> web.Response:
    html = (f"<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{TITLE}</title>"
            f"<style>{STYLE}</style></head><body><h1>{TITLE}</h1>{body}</body></html>")
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8",
                        headers={**HEADERS, **(headers or {})})


def _form(ticket_no: str = "", error: str = "") -> str:
    err = f'<p class="err" role="alert">{escape(error)}</p>' if error else ""
    return (f"{err}<form method=\"post\" action=\"/lookup\">"
            f"<label>工单号<br><input name=\"ticket_no\" value=\"{escape(ticket_no[:32])}\" inputmode=\"numeric\" "
            "maxlength=\"32\" required autocomplete=\"off\"></label>"
            "<label>查询码<br><input name=\"code\" maxlength=\"16\" required autocomplete=\"off\"></label>"
            "<button type=\"submit\">查询</button></form>"
            "<p>工单号和查询码在您来电登记时告知，也见于受理短信。</p>")


def _when(value: str | None) -> str:
    if not value:
        return ""
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M")


def _result(v: dict) -> str:
    rows = [("工单号", v["ticket_no"]), ("办理状态", v["status_label"]), ("诉求类别", v["category"] or "—"),
            ("承办单位", v["unit_name"] or "—"), ("受理时间", _when(v["received_at"]))]
    if v["reply_by"] and v["status"] not in ("closed", "transferred"):
        rows.append(("办理时限", _when(v["reply_by"]) + ("（暂定）" if v["deadline_provisional"] else "")))
    if v["reply"]:
        rows += [("答复时间", _when(v["reply"]["replied_at"])), ("答复内容", v["reply"]["resolution"])]
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(str(val))}</dd>" for k, val in rows)
    return f"<dl>{items}</dl><p><a href=\"/lookup\">查询其他工单</a></p>"


async def page(request: web.Request) -> web.Response:
    number = request.query.get("no", "")
    return _page(_form(number if lookup.TICKET_NO_RE.match(number) else ""))


async def page_submit(request: web.Request) -> web.Response:
    form = await request.post()
    ticket_no, code = str(form.get("ticket_no", ""))[:32], str(form.get("code", ""))[:16]
    try:
        view = await lookup.find(request, ticket_no, code)
    except ApiError as exc:
        return _page(_form(ticket_no, exc.message), exc.status, exc.headers)
    return _page(_result(view))


async def sms_outbox(request: web.Request) -> web.Response:
    """Texts to requesters with their delivery state (failed ones need a person); phones masked, no texts."""
    q = parse_query(request, SmsOutboxQuery)
    rows = await sms.listing(request.app[keys.POOL], request[keys.PRINCIPAL], q.state, q.ticket_id, q.limit)
    items = [{**dict(r), "phone": mask_phone(r["phone"]), "kind_label": sms.KIND_LABELS[r["kind"]],
              "state_label": sms.STATE_LABELS[r["state"]],
              **{k: iso(r[k]) for k in ("created_at", "next_attempt_at", "sent_at")}} for r in rows]
    return json_response({"items": items})
