"""Receiving an upload: who may attach (before a byte is read), then the body streamed to a spool file.

An upload does not pass through request.read() (hotline.admission reads every other body whole, within
body_timeout, before the handler holds a request slot). Its endpoint names this module's `READER`, so
the admission middleware runs, in the same place and still before the slot:
  1. `precheck`: the ticket exists and is in the caller's scope (404 otherwise, as for reading it),
     the caller may attach now, the ticket has room, a declared Content-Length is within the limit;
  2. `spool`: the body in pieces (never whole in memory) into a file under the store's spool dir,
     hashed as it comes; its first 8 KiB decide the format (hotline.attachments.kinds), and with it
     the size limit; each piece must arrive within body_timeout, the whole within upload_timeout.
A refusal (404, 413, 415, ...) is answered at once and the connection closed: the rest of the body
is never read. The spool file is removed after the handler, whatever happened.
"""
from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from aiohttp import web

from hotline import keys, scope
from hotline.attachments import kinds, service
from hotline.attachments.schemas import UploadQuery
from hotline.attachments.storage import STORES
from hotline.endpoints import BodyReader, parse_id, parse_query
from hotline.errors import ApiError
from hotline.tickets import service as tickets
from models.enums import Role, Status

# A unit attaches evidence while the ticket is with it, up to its reply (then the reply cites them).
UNIT_STATUSES = {Status.DISPATCHED.value, Status.SIGNED.value, Status.IN_PROGRESS.value}
UPLOADERS = (Role.AGENT, Role.ADMIN, Role.HANDLER)


@dataclass
class Spooled:
    path: Path
    size: int
    sha256: bytes
    media_type: str
    fmt: kinds.Format


SPOOLED = web.RequestKey("attachment_spooled", Spooled)


def too_large(limit: int) -> ApiError:
    return ApiError(413, "附件过大", [{"field": "file", "message": f"不能超过 {limit // 1024} KiB"}])


def not_allowed() -> ApiError:
    return ApiError(415, "不支持的附件类型（按文件内容识别）", [{"field": "file", "message": f"仅接受{kinds.ALLOWED_TEXT}"}])


def empty() -> ApiError:
    return ApiError(422, "附件为空", [{"field": "file", "message": "文件内容为空"}])


async def check(request: web.Request, db: asyncpg.Pool | asyncpg.Connection) -> tuple[asyncpg.Record, str]:
    """The ticket and the purpose of the upload ('intake' for the hotline, 'evidence' for the lead unit)."""
    parse_query(request, UploadQuery)
    principal = request[keys.PRINCIPAL]
    ticket_id = parse_id(request.match_info["id"])
    row = await tickets.get(db, ticket_id)
    if row is None or not scope.can_see(principal, row):
        raise scope.not_found(ticket_id)
    purpose = "intake"
    if principal.role == Role.HANDLER:
        await scope.check_action(db, principal, row, "attach")  # a supporting unit: 403
        if row["status"] not in UNIT_STATUSES:
            raise ApiError(409, f"工单当前状态为「{Status(row['status']).label}」，不能再添加办理佐证",
                           [{"field": "status", "message": "承办单位在办结回复前添加佐证材料"}])
        purpose = "evidence"
    cap = request.app[keys.SETTINGS].attachments_per_ticket
    if await service.count(db, ticket_id) >= cap:
        raise ApiError(409, "该工单附件数量已达上限", [{"field": "id", "message": f"每张工单最多 {cap} 个附件"}])
    return row, purpose


async def precheck(request: web.Request) -> web.StreamResponse | None:
    """Refuse before reading a byte: scope, state, room on the ticket, declared size."""
    try:
        await check(request, request.app[keys.POOL])
        limit = request.app[keys.SETTINGS].attachment_max_bytes
        if request.content_length is not None and request.content_length > limit:
            raise too_large(limit)
    except ApiError as exc:
        return _closing(exc)
    return None


def _closing(exc: ApiError) -> web.Response:
    """The refusal, on a connection that is then closed (the unread body would follow it)."""
    resp = exc.response()
    resp.force_close()
    return resp


async def _spool(request: web.Request, path: Path) -> Spooled:
    settings = request.app[keys.SETTINGS]
    limit = settings.attachment_max_bytes
    digest, size, head, found = hashlib.sha256(), 0, b"", None
    with open(path, "wb") as out:
        while True:
            async with asyncio.timeout(settings.body_timeout_seconds):  # each piece in time
                chunk = await request.content.readany()
            if not chunk:
                break
            size += len(chunk)
            if found is None:
                head += chunk
                if len(head) >= kinds.SNIFF_BYTES:
                    found = kinds.detect(head) or _raise(not_allowed())
                    limit = kinds.limit_for(found[1], limit)
            if size > limit:
                raise too_large(limit)
            digest.update(chunk)
            out.write(chunk)
    if size == 0:
        raise empty()
    if found is None:
        found = kinds.detect(head) or _raise(not_allowed())
        if size > kinds.limit_for(found[1], limit):
            raise too_large(kinds.limit_for(found[1], limit))
    return Spooled(path, size, digest.digest(), found[0], found[1])


def _raise(exc: ApiError):
    raise exc


async def spool(request: web.Request) -> web.StreamResponse | None:
    """Stream the body into a spool file (request[SPOOLED]); an early refusal closes the connection."""
    path = request.app[STORES].spool_dir / secrets.token_hex(16)
    try:
        request[SPOOLED] = await _spool(request, path)
    except ApiError as exc:
        path.unlink(missing_ok=True)
        return _closing(exc)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return None


def discard(request: web.Request) -> None:
    """Remove the spool file if the handler did not move it into the store."""
    spooled = request.get(SPOOLED)
    if spooled is not None:
        spooled.path.unlink(missing_ok=True)


READER = BodyReader(read=spool, discard=discard)
