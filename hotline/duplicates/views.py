"""HTTP handlers of repeat calls and merged tickets: candidates, links, and the four actions."""
from __future__ import annotations

from aiohttp import web

from hotline import keys
from hotline.duplicates import candidates as finder, flows, service
from hotline.duplicates.chase import ChaseRule
from hotline.duplicates.schemas import CandidatesQuery
from hotline.endpoints import parse_query
from hotline.errors import json_response
from hotline.jsoncodec import iso
from hotline.tickets.serialize import mask_phone
from hotline.tickets.views import get_visible
from models.enums import Status

KIND_LABELS = {"repeat": "追加（重复来电）", "merged": "并单", "link": "关联"}


async def candidates(request: web.Request) -> web.Response:
    """Tickets probably about the same matter, each with its reasons (scope as for the ticket)."""
    row = await get_visible(request)
    q = parse_query(request, CandidatesQuery)
    items = await finder.find(request.app[keys.POOL], request[keys.PRINCIPAL], row, q.limit)
    return json_response({"ticket_id": row["id"], "items": items})


async def links(request: web.Request) -> web.Response:
    """The ticket's repeat calls (how many, and who called), merged and linked tickets, and its lead."""
    row = await get_visible(request)
    rows = await service.links(request.app[keys.POOL], row["id"])
    state = await service.fold_state(request.app[keys.POOL], row["id"])
    items = [{"link_id": r["id"], "kind": r["kind"], "kind_label": KIND_LABELS[r["kind"]],
              "direction": "into_this" if r["lead_id"] == row["id"] else "from_this",
              "ticket": {"id": r["ticket_id"] if r["lead_id"] == row["id"] else r["lead_id"],
                         "ticket_no": r["ticket_no"], "title": r["title"], "status": r["status"],
                         "status_label": Status(r["status"]).label, "created_at": iso(r["created_at"])},
              "caller": {"name": r["requester_name"], "phone": mask_phone(r["requester_phone"])},
              "reason": r["reason"], "at": iso(r["at"])} for r in rows]
    callers = [i["caller"] for i in items if i["kind"] in ("repeat", "merged") and i["direction"] == "into_this"]
    return json_response({"ticket_id": row["id"], "repeat_calls": state["repeat_calls"],
                          "callers": len(callers) + 1, "merged_into": state["merged_into"],
                          "closed_as": state["closed_as"], "links": items})


def _p(request: web.Request):
    return request[keys.PRINCIPAL]


def chase_rule(app) -> ChaseRule:
    s = app[keys.SETTINGS]
    return ChaseRule(s.chase_urgent_calls, s.chase_urgent_hours)


async def run_add_repeat(conn, tid, req, body, now):
    return await flows.fold(conn, tid, _p(req), "add_repeat", body.lead_id, body.reason, now, chase_rule(req.app))


async def run_merge(conn, tid, req, body, now):
    return await flows.fold(conn, tid, _p(req), "merge", body.lead_id, body.reason, now)


async def run_link(conn, tid, req, body, now):
    return await flows.link(conn, tid, _p(req), body.other_id, body.reason, now)


async def run_unmerge(conn, tid, req, body, now):
    return await flows.unmerge(conn, tid, _p(req), body.reason, now)
