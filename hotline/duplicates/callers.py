"""Every requester of a matter: the lead's own and each caller folded into it, for the callback list."""
from __future__ import annotations

from hotline.auth import Principal
from hotline.duplicates import service
from hotline.requester.sms import KIND_LABELS, STATE_LABELS
from hotline.tickets.serialize import mask_phone, sees_phone

ROLE_LABELS = {"lead": "主工单来电人", "repeat": "追加来电人", "merged": "并单来电人"}


async def requester_list(db, principal: Principal, lead_id: int) -> list[dict]:
    """One entry per phone number (the first ticket that brought it), with the latest reply text queued to it."""
    rows, texts = await service.requesters(db, lead_id)
    out, seen = [], set()
    for r in rows:
        phone = r["requester_phone"] or ""
        if phone and phone in seen:
            continue
        seen.add(phone)
        sms = texts.get(phone)
        out.append({"ticket_id": r["ticket_id"], "ticket_no": r["ticket_no"], "role": r["role"],
                    "role_label": ROLE_LABELS.get(r["role"], r["role"]), "name": r["requester_name"],
                    "phone": phone if sees_phone(principal, r) else mask_phone(phone),
                    "sms": None if sms is None else {"kind": sms["kind"], "kind_label": KIND_LABELS[sms["kind"]],
                                                     "state": sms["state"], "state_label": STATE_LABELS[sms["state"]]}})
    return out
