"""Ticket rows to API shapes, with personal data masked for roles that do not need it."""
from __future__ import annotations

import asyncpg

from hotline.auth import Principal
from hotline.jsoncodec import iso
from models.enums import Channel, Disposition, RequesterType, Role, Status, Urgency
from routing.calendar import is_provisional


def deadline_provisional(*deadlines) -> bool:
    """True when a deadline was computed from the provisional holiday calendar (statutory days only,
    no 调休 known yet); it is recomputed when the official data arrives."""
    return any(is_provisional(d) for d in deadlines)


def mask_phone(phone: str) -> str:
    """138****5678: enough to recognise, not enough to call."""
    if len(phone) <= 4:
        return "*" * len(phone)
    keep_head = 3 if len(phone) >= 11 else max(1, len(phone) - 8)
    return phone[:keep_head] + "*" * (len(phone) - keep_head - 4) + phone[-4:]


def mask_id_number(value: str) -> str:
    """Keep the first six (area) and last four characters of an ID number."""
    return value[:6] + "*" * (len(value) - 10) + value[-4:] if len(value) > 10 else "*" * len(value)


def sees_phone(principal: Principal, row: asyncpg.Record) -> bool:
    """Agents call back and handlers contact the requester, unless the requester asked for confidentiality."""
    if principal.role in (Role.AGENT, Role.ADMIN):
        return True
    return principal.role == Role.HANDLER and not row["confidential"]


def sees_id_number(principal: Principal) -> bool:
    return principal.role in (Role.AGENT, Role.ADMIN)


def _iso(value):
    """Times in Beijing time, as the operators read them."""
    return iso(value)


def ticket_out(row: asyncpg.Record, principal: Principal) -> dict:
    """The ticket as the principal may see it."""
    phone = row["requester_phone"]
    id_number = row["requester_id_number"]
    return {
        "id": row["id"],
        "ticket_no": row["ticket_no"],
        "channel": row["channel"],
        "channel_label": Channel(row["channel"]).label,
        "requester": {
            "type": row["requester_type"],
            "type_label": RequesterType(row["requester_type"]).label,
            "name": row["requester_name"],
            "phone": phone if sees_phone(principal, row) else mask_phone(phone),
            "id_number": id_number if sees_id_number(principal) else mask_id_number(id_number),
            "org": row["requester_org"],
            "credit_code": row["requester_credit_code"],
        },
        "title": row["title"],
        "content": row["content"],
        "address": row["address"],
        "area_code": row["area_code"],
        "province_code": row["province_code"],
        "city_code": row["city_code"],
        "county_code": row["county_code"],
        "urgency": row["urgency"],
        "urgency_label": Urgency(row["urgency"]).label,
        "status": row["status"],
        "status_label": Status(row["status"]).label,
        "category": row["category_name"],
        "category_confidence": row["category_confidence"],
        "model_version": row["model_version"],
        "disposition": row["disposition"],
        "disposition_label": Disposition(row["disposition"]).label if row["disposition"] else None,
        "split_reasons": row["split_reasons"],
        "split_review": row["split_review"],
        "police_incident_no": row["police_incident_no"],
        "triage_reason": row["triage_reason"],
        "tier": row["tier"],
        "sign_by": _iso(row["sign_by"]),
        "reply_by": _iso(row["reply_by"]),
        "deadline_provisional": deadline_provisional(row["sign_by"], row["reply_by"]),
        "unit": {"id": row["unit_id"], "code": row["unit_code"], "name": row["unit_name"]}
        if row["unit_id"] else None,
        "confidential": row["confidential"],
        "created_at": _iso(row["created_at"]),
        "updated_at": _iso(row["updated_at"]),
    }
