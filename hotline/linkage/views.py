"""HTTP handlers for the 110 platform and for supervisors watching the linkage."""
from __future__ import annotations

from datetime import datetime

import asyncpg
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, field_validator

from hotline import keys
from hotline.endpoints import Day, Endpoint, SafeStr, parse_body, parse_query
from hotline.errors import ApiError, json_response
from hotline.tickets import flows, service
from hotline.tickets.models import Requester, TicketIn, TicketOut, clean_text
from hotline.tickets.serialize import ticket_out
from models.enums import Channel, Role, Urgency


class HandoffIn(BaseModel):
    """A 双非 call pushed by the 110 platform with its incident number."""

    model_config = ConfigDict(extra="forbid")
    incident_no: str = Field(..., min_length=1, max_length=64, pattern=r"^[0-9A-Za-z\-_]+$")
    content: str = Field(..., min_length=1, max_length=5000)
    address: str = Field("", max_length=500)
    area_code: str | None = Field(None, pattern=r"^[0-9]{6}([0-9]{3}([0-9]{3})?)?$")
    requester: Requester = Field(default_factory=Requester)
    urgency: Urgency = Urgency.NORMAL

    @field_validator("content", "address")
    @classmethod
    def _clean(cls, v: str) -> str:
        return clean_text(v)


class AckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    idempotency_key: SafeStr = Field(..., min_length=1, max_length=200)
    ref: SafeStr | None = Field(None, max_length=100)


class OutboxQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    state: str | None = Field(None, pattern="^(pending|delivered|acknowledged|failed)$")
    limit: int = Field(100, ge=1, le=500)


class CountsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    from_: Day = Field(..., alias="from")
    to: Day
    area: str | None = Field(None, pattern=r"^[0-9]{6}$")


BY_INCIDENT = "SELECT id FROM tickets WHERE police_incident_no = $1"


async def receive_handoff(request: web.Request) -> web.Response:
    """110 → 12345: one ticket per incident number, however often it is pushed."""
    settings = request.app[keys.SETTINGS]
    principal = request[keys.PRINCIPAL]
    body = await parse_body(request, HandoffIn, settings.max_body_bytes)
    pool = request.app[keys.POOL]
    existing = await pool.fetchval(BY_INCIDENT, body.incident_no)
    created, row = False, None
    if existing is None:
        data = TicketIn(channel=Channel.POLICE_110, requester=body.requester, content=body.content,
                        address=body.address, area_code=body.area_code, urgency=body.urgency)
        try:
            row, created = await flows.receive(
                request.app[keys.WRITER], request.app[keys.MODELS], settings.triage_threshold, principal, data,
                f"110:{body.incident_no}", extra={"police_incident_no": body.incident_no}, inbound_110=True)
        except asyncpg.UniqueViolationError:  # the same incident pushed concurrently by another token
            existing = await pool.fetchval(BY_INCIDENT, body.incident_no)
    if row is None:
        row = await service.get(pool, existing)
    existing = row["id"]
    if created:
        await request.app[keys.NOTIFIER].ticket_event(row, row["status"])
    return json_response(ticket_out(row, principal), status=201 if created else 200,
                         headers={"Location": f"/api/v1/tickets/{existing}"})


ACK = """
UPDATE linkage_outbox SET state = 'acknowledged', acknowledged_at = now(), remote_ref = coalesce($2, remote_ref)
WHERE idempotency_key = $1 AND state IN ('pending', 'delivered')
RETURNING id
"""


async def acknowledge(request: web.Request) -> web.Response:
    """110 confirms it has taken over a hand-off (delivered → acknowledged)."""
    body = await parse_body(request, AckIn)
    pool = request.app[keys.POOL]
    if await pool.fetchval(ACK, body.idempotency_key, body.ref) is None:
        state = await pool.fetchval("SELECT state FROM linkage_outbox WHERE idempotency_key = $1", body.idempotency_key)
        if state is None:
            raise ApiError(404, "移交记录不存在", [{"field": "idempotency_key", "message": body.idempotency_key}])
        if state != "acknowledged":
            raise ApiError(409, f"移交记录状态为 {state}，不能确认", extra={"state": state})
    return json_response({"idempotency_key": body.idempotency_key, "state": "acknowledged"})


OUTBOX = """
SELECT o.id, o.ticket_id, t.ticket_no, o.kind, o.state, o.attempts, o.last_error, o.created_at,
       o.delivered_at, o.acknowledged_at, o.next_attempt_at
FROM linkage_outbox o JOIN tickets t ON t.id = o.ticket_id
WHERE ($1::text IS NULL OR o.state = $1) AND {scope}
ORDER BY o.id DESC LIMIT $2
"""


async def list_outbox(request: web.Request) -> web.Response:
    """Hand-offs and outcome reports with their delivery state (failed ones need a person)."""
    q = parse_query(request, OutboxQuery)
    args: list = [q.state, q.limit]
    scope = service.scope_clause(request[keys.PRINCIPAL], args)
    rows = await request.app[keys.POOL].fetch(OUTBOX.format(scope=scope), *args)
    return json_response({"items": [{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r.items()}
                                     for r in rows]})


COUNTS = """
SELECT (t.created_at AT TIME ZONE 'Asia/Shanghai')::date AS day, t.city_code, t.county_code,
       count(*) FILTER (WHERE t.channel = '110') AS received_from_110,
       count(*) FILTER (WHERE t.disposition = '110') AS pushed_to_110,
       count(*) FILTER (WHERE t.disposition = 'joint') AS joint,
       count(*) FILTER (WHERE t.split_review) AS review
FROM tickets t
WHERE t.created_at >= $1 AND t.created_at < $2 AND {scope}
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""


async def linkage_counts(request: web.Request) -> web.Response:
    """双非 received from 110, matters pushed to 110 and joint ones, by day and area."""
    q = parse_query(request, CountsQuery)
    start = datetime.combine(q.from_, datetime.min.time()).astimezone()
    end = datetime.combine(q.to, datetime.min.time()).astimezone()
    args: list = [start, end]
    scope = service.scope_clause(request[keys.PRINCIPAL], args)
    if q.area:
        args.append(q.area)
        scope += f" AND ${len(args)} IN (t.province_code, t.city_code, t.county_code)"
    rows = await request.app[keys.POOL].fetch(COUNTS.format(scope=scope), *args)
    items = [{**dict(r), "day": r["day"].isoformat()} for r in rows]
    totals = {k: sum(i[k] for i in items) for k in ("received_from_110", "pushed_to_110", "joint", "review")}
    return json_response({"items": items, "totals": totals})


OVERSIGHT = frozenset({Role.SUPERVISOR, Role.ADMIN, Role.AGENT})

ROUTES = [
    Endpoint("POST", "/api/v1/linkage/110/handoffs", receive_handoff, "110 移交双非诉求（同一警情编号只建一单）",
             roles=frozenset({Role.LINKAGE}), body=HandoffIn, response=TicketOut, status=201, tag="linkage",
             extra_responses={200: {"description": "同一警情编号已建单：返回原工单",
                                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TicketOut"}}}}}),
    Endpoint("POST", "/api/v1/linkage/110/acks", acknowledge, "110 确认接收 12345 移交",
             roles=frozenset({Role.LINKAGE}), body=AckIn, tag="linkage"),
    Endpoint("GET", "/api/v1/linkage/outbox", list_outbox, "12345–110 移交投递状态",
             roles=OVERSIGHT, query=OutboxQuery, tag="linkage", scope="list"),
    Endpoint("GET", "/api/v1/reports/linkage", linkage_counts, "12345–110 联动统计（按日、地区）",
             roles=OVERSIGHT, query=CountsQuery, tag="linkage", scope="list"),
]
