"""Ticket rows to API shapes, with personal data masked for roles that do not need it."""
from __future__ import annotations

from datetime import datetime

import asyncpg

from hotline.auth import Principal
from hotline.jsoncodec import iso
from hotline.tickets.schemas import TicketOut
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


# TicketOut's fields computed here; every other TicketOut field is the row's column of the same name
# (times in Beijing time). A new plain ticket column therefore needs its migration, BASE_COLUMNS
# (tickets/service.py) and a TicketOut field, plus INTAKE_COLUMNS when intake sets it.
DERIVED = frozenset({"channel_label", "requester", "urgency_label", "status_label", "category",
                     "disposition_label", "deadline_provisional", "unit",
                     "lookup_code",   # the query code: told once, by intake (only its hash is a column)
                     "candidates", "grouped",   # intake's answer only (hotline.duplicates.intake, hotspots.surge)
                     "suggestions"})  # 热线百科 articles suggested by intake (hotline/knowledge/suggest.py)
PLAIN = tuple(f for f in TicketOut.model_fields if f not in DERIVED)


def ticket_out(row: asyncpg.Record, principal: Principal) -> dict:
    """The ticket as the principal may see it."""
    out = {f: _plain(row[f]) for f in PLAIN}
    phone = row["requester_phone"]
    id_number = row["requester_id_number"]
    out.update({
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
        "urgency_label": Urgency(row["urgency"]).label,
        "status_label": Status(row["status"]).label,
        "category": row["category_name"],
        "disposition_label": Disposition(row["disposition"]).label if row["disposition"] else None,
        "deadline_provisional": deadline_provisional(row["sign_by"], row["reply_by"]),
        "unit": {"id": row["unit_id"], "code": row["unit_code"], "name": row["unit_name"]}
        if row["unit_id"] else None,
    })
    return out


def _plain(value):
    """A column as the API writes it: times in Beijing time, as the operators read them."""
    return iso(value) if isinstance(value, datetime) else value
