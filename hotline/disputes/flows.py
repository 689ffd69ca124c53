"""The case workflow's actions, each one transaction with its case_events row.

Every function takes a connection, the case id, the acting principal (None for the
system, which acts with the desk's rights), its inputs and `now`; it opens its own
transaction (a savepoint inside a caller's) and returns a `Done` once written.
"""
from __future__ import annotations

from datetime import datetime

from hotline.auth import Principal
from hotline.disputes import court, intake, service
from hotline.disputes.steps import Done, begin, finish
from hotline.errors import ApiError
from models.enums import CaseStatus, RiskLevel
from routing.calendar import CalendarRangeError
from routing.disputes import catalogue, deadlines, network
from routing.disputes.workflow import is_major_agreement, settle_target

S = CaseStatus
STOP_LADDER = {"next_escalation_at": None}


def clock_fields(start: datetime, dispute_type: str) -> dict:
    """Deadline and first ladder time of a clock started now (clock_error past the calendar's end)."""
    days = catalogue.load_types()[dispute_type].limit_days
    try:
        lad = deadlines.ladder(start, days)
    except CalendarRangeError as exc:
        return {"due_at": None, "next_escalation_at": None, "escalation_steps": [], "clock_error": str(exc)}
    return {"due_at": lad.due, "next_escalation_at": lad.next_at(()), "escalation_steps": [], "clock_error": ""}


async def accept(conn, case_id: int, principal: Principal | None, now: datetime, reason: str = "") -> Done:
    """受理."""
    async with conn.transaction():
        step = await begin(conn, case_id, principal, "accept", now)
        return await finish(conn, step, reason=reason, fields={"accepted_at": now})


def _org_out(o: network.Org) -> dict:
    return {"code": o.code, "name": o.name, "tier": o.tier}


async def _choose(conn, row: dict, codes: list[str]) -> tuple[network.Org, list[network.Org], str, dict]:
    orgs, ids = await service.load_orgs(conn)
    if codes:
        by = {o.code: o for o in orgs}
        missing = [c for c in codes if c not in by]
        if missing:
            raise ApiError(422, "请求参数校验失败", [{"field": "org_codes", "message": f"未知调解组织：{'、'.join(missing)}"}])
        return by[codes[0]], [by[c] for c in codes[1:]], "人工指定调解组织", ids
    dtype = catalogue.load_types()[row["dispute_type"]]
    a = network.assign(orgs, dtype, county=row["county_code"], city=row["city_code"], address=row["address"],
                       risk=row["risk"])
    if a is None:
        raise ApiError(422, "没有覆盖该地的调解组织，请指定 org_codes",
                       [{"field": "org_codes", "message": "请指定调解组织"}])
    return a.lead, list(a.supports), a.reason, ids


async def assign(conn, case_id: int, principal: Principal | None, codes: list[str], reason: str,
                 now: datetime) -> Done:
    """分派: lead and supporting organisations (联调); starts the mediation clock at the lead's tier."""
    async with conn.transaction():
        step = await begin(conn, case_id, principal, "assign", now)
        lead, supports, why, ids = await _choose(conn, step.row, codes)
        await service.set_orgs(conn, case_id, ids[lead.code], [ids[o.code] for o in supports], now)
        mediator = await conn.fetchval("SELECT name FROM mediators WHERE org_id = $1 AND active ORDER BY id LIMIT 1",
                                       ids[lead.code])
        fields = {"lead_org_id": ids[lead.code], "tier": lead.tier, "assigned_at": now, "mediator": mediator or "",
                  **clock_fields(now, step.row["dispute_type"])}
        data = {"lead": _org_out(lead), "supports": [_org_out(o) for o in supports], "rule": why,
                "due_at": fields["due_at"], "clock_error": fields["clock_error"] or None}
        return await finish(conn, step, reason=reason or why, fields=fields, data=data)


async def schedule_session(conn, case_id: int, principal, body, now: datetime) -> Done:
    """安排调解: the first session starts mediation."""
    async with conn.transaction():
        step = await begin(conn, case_id, principal, "schedule_session", now)
        sid = await conn.fetchval("INSERT INTO case_sessions (case_id, kind, scheduled_at, place, attendees, created_at) "
                                  "VALUES ($1, 'session', $2, $3, $4, $5) RETURNING id", case_id, body.scheduled_at,
                                  body.place, body.attendees, now)
        fields = {"mediator": body.mediator} if body.mediator else {}
        return await finish(conn, step, fields=fields, data={"session_id": sid, "scheduled_at": body.scheduled_at,
                                                             "place": body.place, "attendees": body.attendees})


async def record_session(conn, case_id: int, principal, body, now: datetime) -> Done:
    """调解笔录 of a session of this case."""
    async with conn.transaction():
        step = await begin(conn, case_id, principal, "record_session", now)
        done = await conn.fetchval("UPDATE case_sessions SET minutes = $3, held_at = $4 WHERE id = $1 AND case_id = $2 "
                                   "AND kind = 'session' RETURNING id", body.session_id, case_id, body.minutes,
                                   body.held_at or now)
        if done is None:
            raise ApiError(404, "调解场次不存在", [{"field": "session_id", "message": str(body.session_id)}])
        return await finish(conn, step, data={"session_id": body.session_id})


async def settle(conn, case_id: int, principal, body, now: datetime) -> Done:
    """调解成功: the agreement; a major one waits for legality review before it counts."""
    async with conn.transaction():
        step = await begin(conn, case_id, principal, "settle", now)
        row = step.row
        amount = body.amount if body.amount is not None else row["amount"]
        major = is_major_agreement(float(amount) if amount is not None else None, row["people"], row["risk"])
        aid = await conn.fetchval(
            "INSERT INTO case_agreements (case_id, terms, amount, perform_by, major, review_state, confirmation, "
            "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id", case_id, body.terms, amount,
            body.perform_by, major, "pending" if major else "none",
            "requested" if body.request_confirmation else "none", now)
        fields = dict(STOP_LADDER)
        if not major:
            fields.update(outcome="settled", resolved_at=now)
            if body.request_confirmation:
                await court.enqueue(conn, row, "confirmation", {"agreement_id": aid, "terms": body.terms,
                                                                "perform_by": body.perform_by.isoformat()})
        return await finish(conn, step, target=settle_target(major), fields=fields,
                            data={"agreement_id": aid, "major": major, "perform_by": body.perform_by.isoformat(),
                                  "legality_review": "pending" if major else "not_needed"})


async def review(conn, case_id: int, principal, approve: bool, note: str, now: datetime) -> Done:
    """合法性审查 of a major agreement: approved → 调解成功; rejected → back to mediation."""
    async with conn.transaction():
        step = await begin(conn, case_id, principal, "review", now)
        ag = await conn.fetchrow("SELECT id, terms, perform_by, confirmation FROM case_agreements WHERE case_id = $1 "
                                 "AND review_state = 'pending' ORDER BY id DESC LIMIT 1 FOR UPDATE", case_id)
        if ag is None:
            raise ApiError(409, "案件没有待审查的调解协议", [{"field": "agreement", "message": "无待审查协议"}])
        await conn.execute("UPDATE case_agreements SET review_state = $2, review_note = $3 WHERE id = $1",
                           ag["id"], "approved" if approve else "rejected", note)
        if not approve:
            return await finish(conn, step, target=S.MEDIATING, reason=note, data={"agreement_id": ag["id"],
                                                                                     "approved": False})
        if ag["confirmation"] == "requested":
            await court.enqueue(conn, step.row, "confirmation", {"agreement_id": ag["id"], "terms": ag["terms"],
                                                                 "perform_by": ag["perform_by"].isoformat()})
        return await finish(conn, step, reason=note, fields={"outcome": "settled", "resolved_at": now},
                            data={"agreement_id": ag["id"], "approved": True})


async def fail(conn, case_id: int, principal, body, now: datetime) -> Done:
    """调解不成, with the way out; litigation may go to the court through the outbox (诉调对接)."""
    async with conn.transaction():
        step = await begin(conn, case_id, principal, "fail", now)
        referral = None
        if body.refer_court and body.way_out == "litigation":
            referral = await court.enqueue(conn, step.row, "referral", {"reason": body.reason})
        return await finish(conn, step, reason=body.reason, data={"way_out": body.way_out, "court_referral": referral},
                            fields={"outcome": "failed", "way_out": body.way_out, "resolved_at": now, **STOP_LADDER})


async def terminate(conn, case_id: int, principal, reason: str, now: datetime) -> Done:
    """终止调解 (a party withdraws, the matter goes elsewhere)."""
    async with conn.transaction():
        step = await begin(conn, case_id, principal, "terminate", now)
        return await finish(conn, step, reason=reason,
                            fields={"outcome": "terminated", "resolved_at": now, **STOP_LADDER})


async def refer_court(conn, case_id: int, principal, reason: str, now: datetime) -> Done:
    """诉调对接 after a failed mediation."""
    async with conn.transaction():
        step = await begin(conn, case_id, principal, "refer_court", now)
        key = await court.enqueue(conn, step.row, "referral", {"reason": reason})
        return await finish(conn, step, reason=reason, data={"court_referral": key})


async def request_confirmation(conn, case_id: int, principal, reason: str, now: datetime) -> Done:
    """申请司法确认 of the latest effective agreement."""
    async with conn.transaction():
        step = await begin(conn, case_id, principal, "request_confirmation", now)
        ag = await conn.fetchrow("SELECT id, terms, perform_by FROM case_agreements WHERE case_id = $1 "
                                 "AND review_state IN ('none', 'approved') ORDER BY id DESC LIMIT 1", case_id)
        if ag is None:
            raise ApiError(409, "案件没有生效的调解协议", [{"field": "agreement", "message": "无生效协议"}])
        await conn.execute("UPDATE case_agreements SET confirmation = 'requested' WHERE id = $1", ag["id"])
        key = await court.enqueue(conn, step.row, "confirmation", {"agreement_id": ag["id"], "terms": ag["terms"],
                                                                   "perform_by": ag["perform_by"].isoformat()})
        return await finish(conn, step, reason=reason, data={"agreement_id": ag["id"], "court_request": key})


async def follow_up(conn, case_id: int, principal, performed: str, note: str, now: datetime) -> Done:
    """回访: was the agreement performed? Closes the case."""
    async with conn.transaction():
        step = await begin(conn, case_id, principal, "follow_up", now)
        return await finish(conn, step, reason=note, fields={"performed": performed, "closed_at": now},
                            data={"performed": performed})


async def reopen(conn, case_id: int, principal, reason: str, now: datetime) -> Done:
    """重新受理 when the dispute comes back; the desk assigns it again."""
    async with conn.transaction():
        step = await begin(conn, case_id, principal, "reopen", now)
        fields = {"reopen_count": step.row["reopen_count"] + 1, "outcome": None, "way_out": None, "performed": None,
                  "resolved_at": None, "closed_at": None, "listed": False, "listed_leader": "", **STOP_LADDER}
        return await finish(conn, step, reason=reason, fields=fields)


async def note(conn, case_id: int, principal, text: str, now: datetime) -> Done:
    async with conn.transaction():
        step = await begin(conn, case_id, principal, "note", now)
        return await finish(conn, step, reason=text)


async def confirm_risk(conn, case_id: int, principal, body, now: datetime) -> Done:
    """风险研判确认: a person's level replaces the score; raising it to 高/重大 alerts at once."""
    async with conn.transaction():
        step = await begin(conn, case_id, principal, "confirm_risk", now)
        before = step.row["risk"]
        fields = {"risk": body.level.value, "risk_confirmed_at": now,
                  "risk_confirmed_by": principal.token_id if principal else None}
        if body.turned_violent:
            fields["turned_violent"] = True
        done = await finish(conn, step, reason=body.reason, fields=fields,
                            data={"from": before, "to": body.level.value, "scored": step.row["risk_scored"],
                                  "turned_violent": body.turned_violent})
        if RiskLevel(body.level).rank > RiskLevel(before).rank:
            alert = await intake.raise_alert(conn, case_id, now)
            done.alerts = [alert] if alert else []
        return done


async def convene(conn, case_id: int, principal, body, now: datetime) -> Done:
    """会办: a joint meeting with a date, attendees, minutes and a division of work."""
    division = [d.model_dump() for d in body.division]
    async with conn.transaction():
        step = await begin(conn, case_id, principal, "convene", now)
        mid = await conn.fetchval(
            "INSERT INTO case_sessions (case_id, kind, scheduled_at, place, attendees, minutes, division, created_at) "
            "VALUES ($1, 'meeting', $2, $3, $4, $5, $6, $7) RETURNING id", case_id, body.scheduled_at, body.place,
            body.attendees, body.minutes, division, now)
        return await finish(conn, step, data={"meeting_id": mid, "attendees": body.attendees,
                                              "division": division})
