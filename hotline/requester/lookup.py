"""The status lookup shared by its JSON API and its HTML page: limits, the code check, the public view.

Every attempt takes from two buckets (hotline.limits, shared by all workers through Valkey): one
of the ticket number (lookup_per_ticket_per_minute) and one of the client address
(lookup_per_client_per_minute). Right and wrong codes count alike, so the answer to a guess can
never be learnt beyond the limit; an unknown ticket number and a wrong code answer the same 404.
"""
from __future__ import annotations

import re

from aiohttp import web

from hotline import keys
from hotline.errors import ApiError
from hotline.jsoncodec import iso
from hotline.limits import COUNTER
from hotline.requester import codes, service
from models.enums import Status
from routing.calendar import is_provisional

TICKET_NO_RE = re.compile(r"^\d{16}$")

# What a requester reads for each state (internal steps such as triage or a unit's return are not theirs).
PUBLIC_LABELS = {
    "received": "已受理，正在分派", "triage": "已受理，正在分派", "dispatched": "已转承办单位",
    "signed": "承办单位办理中", "in_progress": "承办单位办理中", "returned": "正在重新分派承办单位",
    "replied": "承办单位已答复，待回访", "closed": "已办结", "transferred": "已移交110处理",
}
UNIT_SHOWN = {"dispatched", "signed", "in_progress", "replied", "closed"}


def not_found() -> ApiError:
    return ApiError(404, "工单号或查询码不正确", [{"field": "code", "message": "请核对工单号和查询码"}])


async def _limit(request: web.Request, key: str, per_minute: int, what: str) -> None:
    retry = await request.app[COUNTER].take(key, per_minute)
    if retry:
        raise ApiError(429, "查询过于频繁，请稍后重试", [{"field": what, "message": f"每分钟最多 {per_minute} 次"}],
                       headers={"Retry-After": str(retry)})


async def find(request: web.Request, ticket_no: str, code: str) -> dict:
    """The ticket's public view, or 404 (unknown number or wrong code) / 429 (too many attempts)."""
    settings = request.app[keys.SETTINGS]
    await _limit(request, f"lookup:client:{request.remote}", settings.lookup_per_client_per_minute, "client")
    ticket_no = ticket_no.strip()
    if not TICKET_NO_RE.match(ticket_no):
        raise not_found()
    await _limit(request, f"lookup:ticket:{ticket_no}", settings.lookup_per_ticket_per_minute, "ticket_no")
    row = await service.by_ticket_no(request.app[keys.POOL], ticket_no)
    if row is None or not codes.matches(row["lookup_code_hash"], code):
        raise not_found()
    return public_view(row)


def public_view(row) -> dict:
    status = row["status"]
    replied = status in ("replied", "closed") and row["replied_at"] is not None and row["resolution"]
    return {
        "ticket_no": row["ticket_no"],
        "status": status,
        "status_label": PUBLIC_LABELS.get(status, Status(status).label),
        "category": row["category_name"],
        "unit_name": row["unit_name"] if status in UNIT_SHOWN else None,
        "received_at": iso(row["created_at"]),
        "reply_by": iso(row["reply_by"]),
        "deadline_provisional": is_provisional(row["reply_by"]),
        "reply": {"resolution": row["resolution"], "replied_at": iso(row["replied_at"])} if replied else None,
    }
