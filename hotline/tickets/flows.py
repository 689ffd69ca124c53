"""Intake (统一接收登记): assess, store durably with its events and hand-offs, then announce."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

import asyncpg

from hotline.auth import Principal
from hotline.errors import ApiError
from hotline.linkage import outbox
from hotline.pipeline import Assessment, Models, assess
from hotline.tickets import service
from hotline.tickets.assign import assign
from hotline.tickets.models import TicketIn
from models.enums import Disposition
from routing.address import UnknownAreaCode

log = logging.getLogger(__name__)


def ticket_fields(a: Assessment) -> dict:
    """Columns the assessment fills at insert."""
    p = a.prediction
    fields = {"disposition": a.split.disposition.value, "split_reasons": a.split.reasons,
              "split_review": a.split.review, "triage_reason": "；".join(a.triage_reasons)}
    if a.category_code:
        fields.update(category_code=a.category_code, category_source="model")
    if p is not None:
        fields.update(category_confidence=p.confidence, model_version=p.model_version)
    return fields


def chain_of(a: Assessment) -> dict:
    """The area chain for the ticket row, from the address resolution."""
    if a.resolution is None:
        return {}
    c = a.resolution.chain
    deepest = c.county or c.city or c.province
    return {"area": deepest, "province": c.province, "city": c.city, "county": c.county}


def assessment_event(a: Assessment) -> dict:
    """The receive event's record of what was decided and why."""
    p = a.prediction
    return {
        "classification": p.to_dict() if p is not None else None,
        "split": {"disposition": a.split.disposition.value, "reasons": a.split.reasons,
                  "review": a.split.review, "police_score": round(a.split.police_score, 4)},
        "address": a.resolution.reason if a.resolution is not None else None,
        "triage_reasons": a.triage_reasons,
    }


async def _settle(conn: asyncpg.Connection, ticket_id: int, principal: Principal, data: TicketIn,
                  a: Assessment, now: datetime) -> None:
    """Move the new ticket on from `received`: 110, triage or dispatch (with its event)."""
    if a.split.disposition in (Disposition.POLICE, Disposition.JOINT):
        await outbox.enqueue_handoff(conn, ticket_id, a.split.reasons, a.split.disposition == Disposition.JOINT)
    if a.to_police_only:
        await _move(conn, ticket_id, principal, "transfer_110", "transferred", "；".join(a.split.reasons))
    elif a.needs_triage:
        await _move(conn, ticket_id, principal, "triage", "triage", "；".join(a.triage_reasons))
    else:
        d = a.decision
        placed = await assign(conn, ticket_id, lead_code=d.lead.code, support_codes=tuple(u.code for u in d.supporting),
                              tier=str(d.tier), urgency=data.urgency.value, category_class="ordinary", now=now)
        await _move(conn, ticket_id, principal, "dispatch", "dispatched", d.reason,
                    {"lead": d.lead.name, "support": [u.name for u in d.supporting], "tier": str(d.tier),
                     "sign_by": placed["sign_by"], "reply_by": placed["reply_by"], "clock_error": placed["clock_error"]})


async def _move(conn, ticket_id, principal, action, to_status, reason, data=None) -> None:
    await conn.execute("UPDATE tickets SET status = $2, updated_at = now() WHERE id = $1", ticket_id, to_status)
    await service.add_event(conn, ticket_id, principal, action, from_status="received", to_status=to_status,
                            reason=reason, data=data or {})


async def receive(pool: asyncpg.Pool, models: Models, threshold: float, principal: Principal, data: TicketIn,
                  idempotency_key: str | None, *, extra: dict | None = None,
                  inbound_110: bool = False) -> tuple[int, bool]:
    """Register a request; returns (ticket id, created). Committed before returning."""
    try:
        a = await assess(models, data, threshold, inbound_110=inbound_110)
    except UnknownAreaCode:
        raise ApiError(422, "行政区划代码不存在", [{"field": "area_code", "message": f"未知代码 {data.area_code}"}])
    now = datetime.now(timezone.utc)
    async with pool.acquire() as conn:
        async with conn.transaction():
            ticket_id = await service.insert_ticket(conn, principal, data, chain=chain_of(a),
                                                    fields={**ticket_fields(a), **(extra or {})},
                                                    idempotency_key=idempotency_key)
            if ticket_id is None:
                return await service.get_by_idempotency_key(conn, principal, idempotency_key, data), False
            await service.add_event(conn, ticket_id, principal, "receive", to_status="received",
                                    data={**service.event_payload(data), **assessment_event(a)})
            await _settle(conn, ticket_id, principal, data, a, now)
    return ticket_id, True
