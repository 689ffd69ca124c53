"""Intake (统一接收登记): assess, store durably with its events and hand-offs, then announce."""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime

import asyncpg

from classifier import similarity
from hotline.auth import Principal
from hotline.duplicates.intake import IntakeCandidates, Probe
from hotline.errors import ApiError
from hotline.linkage import outbox
from hotline.pipeline import Assessment, ReferenceData, assess
from hotline.tickets import service
from hotline.tickets.schemas import TicketIn
from hotline.tickets.writer import IntakeWriter
from models.enums import Disposition
from routing import clock
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


async def _unit_ids(db: asyncpg.Pool | asyncpg.Connection, ref: ReferenceData, codes: list[str]) -> list[int]:
    """Ids of units by code, from memory (units added since start-up are looked up)."""
    missing = [c for c in codes if c not in ref.unit_ids]
    if missing:
        rows = await db.fetch("SELECT code, id FROM units WHERE code = ANY($1::text[])", missing)
        ref.unit_ids.update({r["code"]: r["id"] for r in rows})
    return [ref.unit_ids[c] for c in codes]


def settle(a: Assessment, data: TicketIn, now: datetime) -> tuple[str, dict, dict]:
    """Where the new ticket goes from `received`: (status, ticket columns, event) — decided before writing."""
    if a.to_police_only:
        reason = "；".join(a.split.reasons)
        return "transferred", {}, {"action": "transfer_110", "reason": reason}
    if data.answer_on_call:  # the agent answers it on the line (直接答复) or refers it: no unit sees it
        reason = "咨询类来电，话务员当场答复（不派单）"
        return "triage", {"triage_reason": reason}, {"action": "triage", "reason": reason}
    if a.needs_triage:
        return "triage", {}, {"action": "triage", "reason": "；".join(a.triage_reasons)}
    d = a.decision
    c = clock.at_dispatch(now, data.urgency.value, "ordinary", str(d.tier))
    if c.error:  # beyond even the provisional calendar: a person decides (never a dispatch without deadlines)
        reason = "办理时限无法计算（超出节假日日历范围），转人工分拣"
        return "triage", {"triage_reason": reason}, {"action": "triage", "reason": reason,
                                                     "data": {"clock_error": c.error}}
    columns = {"tier": str(d.tier), "dispatched_at": now, "sign_by": c.sign_by, "reply_by": c.reply_by,
               "next_escalation_at": c.next_escalation_at}
    event = {"action": "dispatch", "reason": d.reason,
             "data": {"lead": d.lead.name, "support": [u.name for u in d.supporting], "tier": str(d.tier),
                      "sign_by": c.sign_by, "reply_by": c.reply_by, "clock_error": c.error}}
    return "dispatched", columns, event


async def receive(writer: IntakeWriter, ref: ReferenceData, threshold: float, principal: Principal, data: TicketIn,
                  idempotency_key: str | None, *, now: datetime, extra: dict | None = None,
                  inbound_110: bool = False, finder: IntakeCandidates | None = None,
                  found: list | None = None, sms_code: str | None = None) -> tuple[asyncpg.Record, bool]:
    """Register a request; returns (ticket row, created). Committed before returning.

    The ticket is written once, in its final intake state, with its units and events, in one
    statement shared with concurrent requests (group commit); a hand-off to 110 is written on its
    own, in one transaction with its outbox message. With a finder, the request's candidates
    (hotline.duplicates.intake) are looked up while it is written and put in `found`. With sms_code,
    the acceptance text (ticket number and that query code) is queued in the same statement.
    """
    try:
        a = await assess(ref, data, threshold, inbound_110=inbound_110)
    except UnknownAreaCode:
        raise ApiError(422, "行政区划代码不存在", [{"field": "area_code", "message": f"未知代码 {data.area_code}"}])
    status, columns, event = settle(a, data, now)
    events = [{"action": "receive", "to_status": "received",
               "data": {**service.event_payload(data), **assessment_event(a)}},
              {**event, "from_status": "received", "to_status": status}]
    handoff = a.split.disposition in (Disposition.POLICE, Disposition.JOINT) and not a.held_for_review
    units = []
    if status == "dispatched":
        d = a.decision
        units = await _unit_ids(writer.pool, ref, [d.lead.code, *(u.code for u in d.supporting)])
        columns["unit_id"] = units[0]
    chain = chain_of(a)
    sketch = similarity.sketch(f"{data.title} {data.content}")
    doc = service.intake_doc(principal, data, chain=chain,
                             fields={**ticket_fields(a), **columns, "status": status, **(extra or {}),
                                     "text_sketch": "\\x" + sketch.hex() if sketch else None},
                             idempotency_key=idempotency_key, unit_ids=units, events=events)
    if sms_code is not None:  # the acceptance text goes in with the ticket (RECEIVE_TICKETS)
        doc["sms_code"] = sms_code
    lookup = None
    if finder is not None:
        probe = Probe(data.requester.phone, chain.get("county"), a.category_code, sketch, now)
        lookup = asyncio.ensure_future(finder.find(probe))
    try:
        row = await (_receive_handoff(writer.pool, doc, a) if handoff else writer.write(doc))
    except BaseException:
        if lookup is not None:
            lookup.cancel()
        raise
    items = await _collect(lookup) if lookup is not None else []
    created = row is not None
    if created and finder is not None:
        finder.remember(row, sketch)
    if not created:
        async with writer.pool.acquire() as conn:
            ticket_id = await service.get_by_idempotency_key(conn, principal, idempotency_key, data)
            row = await service.get(conn, ticket_id)
    if found is not None:
        found.extend(i for i in items if i["id"] != row["id"])
    return row, created


async def _collect(lookup: asyncio.Future) -> list[dict]:
    """The candidates, or none when the lookup failed: advice never fails an intake."""
    try:
        return await lookup
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
        log.warning("intake candidates not found (%s); the ticket is registered without them", type(exc).__name__)
        return []


async def _receive_handoff(pool: asyncpg.Pool, doc: dict, a: Assessment) -> asyncpg.Record | None:
    """A ticket that goes to 110: written with its outbox message in one transaction."""
    async with pool.acquire() as conn, conn.transaction():
        row = (await service.receive_tickets(conn, [doc]))[0]
        if row is not None:
            await outbox.enqueue_handoff(conn, row["id"], a.split.reasons, a.split.disposition == Disposition.JOINT)
        return row
