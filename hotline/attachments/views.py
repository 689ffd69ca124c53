"""HTTP handlers of ticket attachments: upload (body already spooled by hotline.attachments.receive),
list, and download with headers no browser will execute."""
from __future__ import annotations

import base64
import logging
from urllib.parse import quote

from aiohttp import web
from botocore.exceptions import BotoCoreError, ClientError

from hotline import keys, wallclock
from hotline.attachments import kinds, receive, service
from hotline.attachments.storage import STORES, new_key
from hotline.endpoints import parse_id, parse_query
from hotline.attachments.schemas import UploadQuery
from hotline.errors import ApiError, json_response
from hotline.tickets.service import add_event
from hotline.tickets.views import get_visible

log = logging.getLogger(__name__)
STORE_ERRORS = (BotoCoreError, ClientError, OSError)


def unavailable() -> ApiError:
    return ApiError(503, "附件存储暂时不可用，请稍后重试", headers={"Retry-After": "5"})


async def upload(request: web.Request) -> web.Response:
    """Keep the spooled file in the store, then its row and a ticket event in one transaction.

    The file goes first: a failure between the two leaves an unreferenced file, never a row without one."""
    app, principal = request.app, request[keys.PRINCIPAL]
    q = parse_query(request, UploadQuery)
    pool = app[keys.POOL]
    row, purpose = await receive.check(request, pool)  # again: the ticket may have moved while the body came
    spooled = request.get(receive.SPOOLED)
    if spooled is None:
        raise receive.empty()
    store = app[STORES].current
    key = new_key(wallclock.now(app))
    try:
        await store.put(spooled.path, key)
    except STORE_ERRORS as exc:
        log.warning("attachment store %s refused a file: %s", store.name, exc)
        raise unavailable() from None
    fmt = spooled.fmt
    values = (row["id"], purpose, fmt.kind, spooled.media_type, spooled.size, spooled.sha256,
              kinds.display_name(q.filename, fmt), store.name, key,
              principal.unit_id if purpose == "evidence" else None, principal.token_id, principal.role.value)
    try:
        async with pool.acquire() as conn, conn.transaction():
            rec = await service.insert(conn, values)
            await add_event(conn, row["id"], principal, "attach", from_status=row["status"],
                            to_status=row["status"], data={"attachment_id": rec["id"], "purpose": purpose,
                                                           "kind": fmt.kind, "sha256": spooled.sha256.hex()})
    except BaseException:
        await _forget(store, key)
        raise
    body = service.out(rec)
    return json_response(body, status=201, headers={"Location": body["url"]})


async def _forget(store, key: str) -> None:
    try:
        await store.delete(key)
    except STORE_ERRORS as exc:  # an orphan file, harmless; the row was never written
        log.warning("could not remove unrecorded attachment %s: %s", key, exc)


async def list_attachments(request: web.Request) -> web.Response:
    row = await get_visible(request)
    rows = await service.for_ticket(request.app[keys.POOL], row["id"])
    return json_response({"ticket_id": row["id"], "items": [service.out(r) for r in rows]})


def safe_headers(rec, fmt: kinds.Format) -> dict:
    """Allowed images inline with their own type; everything else a download of opaque bytes. Never
    HTML or SVG, no sniffing, and a sandbox CSP in case the file is opened as a page anyway."""
    ascii_name = f"attachment-{rec['id']}.{fmt.extension}"
    disposition = "inline" if fmt.inline else "attachment"
    return {
        "Content-Type": rec["media_type"] if fmt.inline else "application/octet-stream",
        "Content-Disposition": f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''"
                               f"{quote(rec['filename'], safe='')}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Cache-Control": "private, no-store",
        "Referrer-Policy": "no-referrer",
        "Repr-Digest": f"sha-256=:{base64.b64encode(bytes(rec['sha256'])).decode()}:",
    }


async def download(request: web.Request) -> web.StreamResponse:
    """The file, streamed from its store, after the ticket's scope check (404 outside it)."""
    row = await get_visible(request)
    attachment_id = parse_id(request.match_info["aid"], "aid")
    rec = await service.get(request.app[keys.POOL], row["id"], attachment_id)
    if rec is None:
        raise ApiError(404, "附件不存在", [{"field": "aid", "message": str(attachment_id)}])
    fmt = kinds.FORMATS[rec["media_type"]]
    try:
        store = request.app[STORES].get(rec["storage"])
        chunks = store.chunks(rec["storage_key"])
        first = await anext(chunks, b"")
    except (LookupError, *STORE_ERRORS) as exc:
        log.warning("attachment %s not readable from %s: %s", rec["id"], rec["storage"], exc)
        raise unavailable() from None
    resp = web.StreamResponse(headers=safe_headers(rec, fmt))
    resp.content_length = rec["size_bytes"]
    await resp.prepare(request)
    await resp.write(first)
    async for chunk in chunks:
        await resp.write(chunk)
    await resp.write_eof()
    return resp
