"""Opening dispute cases: from a 12345 ticket, a 110 joint hand-off, a walk-in, a patrol or a court.

One case gathers the tickets and incidents about the same parties: a new call from a
party of an open case (same phone, county and type) is added to that case and counts
as a repeat call (a risk signal, re-scored at once); a call about a finished case
reopens it. Everything for one intake (case, parties, ticket link, events, the 110
risk alert in the linkage outbox) is one transaction; announcements go after commit.
"""
from __future__ import annotations

from datetime import datetime

import asyncpg

from hotline.auth import Principal
from hotline.disputes import service
from hotline.disputes.steps import Done
from hotline.errors import ApiError
from routing.disputes import catalogue, risk as risk_rules
from routing.disputes.risk import Facts

RISK_ALERT = "risk_alert"


def dispute_type(code: str | None, text: str) -> str:
    """The given type (422 when unknown) or the one recognised in the text."""
    types = catalogue.load_types()
    if code is None:
        return catalogue.classify(text, types)[0]
    if code not in types:
        raise ApiError(422, "请求参数校验失败", [{"field": "dispute_type", "message": f"未知纠纷类型：{code}；可选："
                                                  + "、".join(types)}])
    return code


async def place(conn, area_code: str | None) -> dict:
    """county and city codes for an area code (422 for an unknown area)."""
    if not area_code:
        return {"area_code": None, "county_code": None, "city_code": None}
    row = await conn.fetchrow("SELECT code, level::text AS level, parent_code FROM areas WHERE code = $1", area_code)
    if row is None:
        raise ApiError(422, "请求参数校验失败", [{"field": "area_code", "message": "未知的行政区划代码"}])
    if row["level"] == "county":
        return {"area_code": area_code, "county_code": area_code, "city_code": row["parent_code"]}
    if row["level"] == "city":
        return {"area_code": area_code, "county_code": None, "city_code": area_code}
    return {"area_code": area_code, "county_code": None, "city_code": None}


def assess(summary: str, people: int, repeat_calls: int, amount, police_p: float | None) -> risk_rules.Risk:
    return risk_rules.score(summary, Facts(people=people, repeat_calls=repeat_calls,
                                           amount=float(amount) if amount is not None else None, police_p=police_p))


def risk_alert(row: dict, level: str, reasons: list) -> dict:
    """What supervisors' stream and 110 receive about a high-risk case (no personal data)."""
    return {"kind": "dispute", "step": RISK_ALERT, "label": f"{'高' if level == 'high' else '重大'}风险纠纷预警",
            "case_id": row["id"], "case_no": row["case_no"], "risk": level,
            "reasons": "、".join(r["label"] for r in reasons), "area_code": row["area_code"],
            "county_code": row["county_code"], "city_code": row["city_code"], "province_code": "",
            "dispute_type": row["dispute_type"]}


ENQUEUE_110 = """
INSERT INTO linkage_outbox (case_id, kind, idempotency_key, payload) VALUES ($1, 'risk_alert', $2, $3)
ON CONFLICT (idempotency_key) DO NOTHING
"""


async def raise_alert(conn, case_id: int, at: datetime) -> dict | None:
    """High risk: queue the 110 alert (once per case and level) and return the stream announcement."""
    row = dict(await service.get_case(conn, case_id))
    if not risk_rules.needs_alert(row["risk"]):
        return None
    alert = risk_alert(row, row["risk"], row["risk_reasons"])
    payload = {**alert, "summary": row["summary"], "address": row["address"], "at": at.isoformat()}
    await conn.execute(ENQUEUE_110, case_id, f"risk:{row['case_no']}:{row['risk']}", payload)
    return {**alert, "at": at.isoformat()}


async def _gather(conn, earlier, principal, fields: dict, ticket_id: int | None, now: datetime) -> Done:
    """A new call about the same parties: add it to the open case, or reopen the finished one."""
    case_id = earlier["id"]
    row = dict(await service.lock_case(conn, case_id))
    calls = row["repeat_calls"] + 1
    r = assess(row["summary"] + "\n" + fields["summary"], row["people"], calls, row["amount"], None)
    level = max(r.level, risk_rules.RiskLevel(row["risk"]), key=lambda x: x.rank)  # never lowered here
    changes = {"repeat_calls": calls, "risk": level.value, "risk_reasons": [x.as_dict() for x in r.reasons],
               "updated_at": now}
    action, to = "gather", row["status"]
    if row["status"] in service.FINISHED:
        action, to = "reopen", "accepted"
        changes.update(status="accepted", reopen_count=row["reopen_count"] + 1, outcome=None, way_out=None,
                       performed=None, resolved_at=None, closed_at=None, next_escalation_at=None)
    await service.update_case(conn, case_id, changes)
    if ticket_id is not None:
        await service.link_ticket(conn, case_id, ticket_id, now)
    reason = "同一当事人纠纷再次发生，重新受理" if action == "reopen" else "同一当事人再次来电/报警，并入案件"
    await service.add_event(conn, case_id, principal, action, now, from_status=row["status"], to_status=to,
                            reason=reason, data={"ticket_id": ticket_id, "repeat_calls": calls, "risk": level.value})
    alert = await raise_alert(conn, case_id, now) if level.value != row["risk"] else None
    return Done(case_id, action, row["status"], to, {"repeat_calls": calls}, [alert] if alert else [])


async def open_case(conn: asyncpg.Connection, principal: Principal | None, fields: dict, parties: list[dict],
                    now: datetime, *, ticket_id: int | None = None, police_p: float | None = None) -> tuple[Done, bool]:
    """Open (or gather into) a case in one transaction; returns (done, created)."""
    async with conn.transaction():
        if fields.get("source_ref"):
            existing = await service.case_by_ref(conn, fields["source"], fields["source_ref"])
            if existing is not None:
                return Done(existing, "open", "new", "new"), False
        if ticket_id is not None:
            existing = await service.case_of_ticket(conn, ticket_id)
            if existing is not None:
                return Done(existing, "open", "new", "new"), False
        earlier = await service.same_parties(conn, [p.get("phone", "") for p in parties], fields["county_code"])
        if earlier is not None:
            return await _gather(conn, earlier, principal, fields, ticket_id, now), False
        r = assess(fields["summary"], fields["people"], fields.get("repeat_calls", 0), fields.get("amount"), police_p)
        fields = {**fields, "risk": r.level.value, "risk_reasons": [x.as_dict() for x in r.reasons]}
        case_id = await service.insert_case(conn, fields, principal, now)
        if case_id is None:  # the same external reference, opened concurrently
            return Done(await service.case_by_ref(conn, fields["source"], fields["source_ref"]), "open", "new",
                        "new"), False
        await service.insert_parties(conn, case_id, parties)
        if ticket_id is not None:
            await service.link_ticket(conn, case_id, ticket_id, now)
        data = {"source": fields["source"], "ticket_id": ticket_id, "dispute_type": fields["dispute_type"],
                "risk": r.as_dict()}
        await service.add_event(conn, case_id, principal, "open", now, to_status="new", reason="登记纠纷", data=data)
        alert = await raise_alert(conn, case_id, now)
        return Done(case_id, "open", "new", "new", data, [alert] if alert else []), True


TICKET = """
SELECT id, ticket_no, content, address, area_code, county_code, city_code, requester_name, requester_phone,
       requester_type::text AS requester_type, requester_org, police_incident_no, channel::text AS channel
FROM tickets WHERE id = $1
"""


async def ticket_fields(conn, ticket_id: int) -> tuple[asyncpg.Record, dict, list[dict]]:
    """A ticket's text, place and requester as the case's summary, place and applicant."""
    t = await conn.fetchrow(TICKET, ticket_id)
    if t is None:
        raise ApiError(404, "工单不存在或无权查看", [{"field": "ticket_id", "message": str(ticket_id)}])
    fields = {"summary": t["content"], "address": t["address"], "area_code": t["area_code"],
              "county_code": t["county_code"], "city_code": t["city_code"]}
    parties = []
    if t["requester_name"] or t["requester_phone"]:
        org = t["requester_type"] == "enterprise"
        parties.append({"role": "applicant", "kind": "org" if org else "person",
                        "name": (t["requester_org"] if org else t["requester_name"]) or "来电人",
                        "phone": t["requester_phone"]})
    return t, fields, parties
