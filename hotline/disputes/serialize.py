"""Case rows to API shapes, with parties' contacts masked for roles that do not need them."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from hotline.auth import Principal
from hotline.jsoncodec import iso
from hotline.tickets.serialize import mask_id_number, mask_phone
from models.enums import CaseSource, CaseStatus, RiskLevel, Role
from routing.calendar import is_provisional
from routing.disputes import catalogue
from routing.disputes.workflow import allowed_actions

SEES_PHONE = (Role.AGENT, Role.ADMIN, Role.MEDIATOR)


def plain(v):
    """JSON-friendly value: times in Beijing time, dates ISO, decimals as numbers."""
    if isinstance(v, (datetime, date)):
        return iso(v)
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


def party_out(p, principal: Principal) -> dict:
    phone, idn = p["phone"], p["id_number"]
    return {"id": p["id"], "role": p["role"], "kind": p["kind"], "name": p["name"],
            "phone": phone if principal.role in SEES_PHONE else mask_phone(phone),
            "id_number": idn if principal.role in (Role.AGENT, Role.ADMIN) else mask_id_number(idn)}


def brief(row) -> dict:
    """A case line for lists and the dashboard (no personal data)."""
    types = catalogue.load_types()
    t = types.get(row["dispute_type"])
    return {
        "id": row["id"], "case_no": row["case_no"], "status": row["status"],
        "status_label": CaseStatus(row["status"]).label, "source": row["source"],
        "source_label": CaseSource(row["source"]).label, "dispute_type": row["dispute_type"],
        "dispute_type_label": t.label if t else row["dispute_type"], "summary": row["summary"][:200],
        "area_code": row["area_code"], "county_code": row["county_code"], "risk": row["risk"],
        "risk_label": RiskLevel(row["risk"]).label, "risk_confirmed": row["risk_confirmed_at"] is not None,
        "lead_org_id": row["lead_org_id"], "tier": row["tier"], "due_at": plain(row["due_at"]),
        # computed from the provisional calendar (no State Council notice yet): recomputed when it arrives
        "deadline_provisional": is_provisional(row["due_at"]),
        "listed": row["listed"], "listed_leader": row["listed_leader"], "repeat_calls": row["repeat_calls"],
        "created_at": plain(row["created_at"]),
    }


def case_out(row, principal: Principal) -> dict:
    out = brief(row)
    out.update({
        "summary": row["summary"], "address": row["address"], "city_code": row["city_code"],
        "amount": plain(row["amount"]), "people": row["people"], "risk_scored": row["risk_scored"],
        "risk_reasons": row["risk_reasons"], "mediator": row["mediator"], "outcome": row["outcome"],
        "way_out": row["way_out"], "performed": row["performed"], "escalation_steps": list(row["escalation_steps"]),
        "clock_error": row["clock_error"] or None, "reopen_count": row["reopen_count"],
        "accepted_at": plain(row["accepted_at"]), "assigned_at": plain(row["assigned_at"]),
        "resolved_at": plain(row["resolved_at"]), "closed_at": plain(row["closed_at"]),
        "allowed_actions": allowed_actions(row["status"], principal.role),
    })
    return out
