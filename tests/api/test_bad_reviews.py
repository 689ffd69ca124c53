"""差评处置 (#17): an unsatisfied callback opens a bad review; ruling, rectification, reply, 整改率 and 回复率."""
from __future__ import annotations

import re
from datetime import datetime

from models.enums import Role
from routing.calendar import add_working_days

TODAY = {"from": "2026-01-01", "to": "2099-12-31"}
RATES_SPAN = {"from": "2026-01-01", "to": "2028-12-31"}  # the rates report spans at most three years


async def _replied(client, agent, tokens, name="张先生") -> tuple[dict, dict]:
    body = {"channel": "phone", "area_code": "320682", "requester": {"name": name},
            "content": "小区门口路灯坏了两个星期，晚上走路很危险。"}
    t = await (await client.post("/api/v1/tickets", json=body, headers=agent)).json()
    assert (await client.post(f"/api/v1/tickets/{t['id']}/dispatch", json={"category": "城市管理/市政设施"},
                              headers=agent)).status == 200
    t = await (await client.get(f"/api/v1/tickets/{t['id']}", headers=agent)).json()
    handler = await tokens.make(Role.HANDLER, unit_id=t["unit"]["id"])
    assert (await client.post(f"/api/v1/tickets/{t['id']}/sign", json={}, headers=handler)).status == 200
    reply = {"resolution": "已派人查看", "claimed_solved": True}
    assert (await client.post(f"/api/v1/tickets/{t['id']}/reply", json=reply, headers=handler)).status == 200
    return t, handler


async def _review_of(client, headers, ticket_id):
    items = (await (await client.get("/api/v1/bad-reviews?limit=500", headers=headers)).json())["items"]
    return next((i for i in items if i["ticket_id"] == ticket_id), None)


async def _totals(client, supervisor, unit_id):
    body = await (await client.get("/api/v1/reports/bad-reviews", params=TODAY, headers=supervisor)).json()
    return next((i for i in body["items"] if i["unit_id"] == unit_id), None) or {
        "valid": 0, "rectified": 0, "real_name": 0, "replied": 0}


async def test_valid_real_name_bad_review_is_ruled_rectified_and_answered(client, agent, tokens):
    t, handler = await _replied(client, agent, tokens)
    supervisor = await tokens.make(Role.SUPERVISOR, area_code="320600")
    before = await _totals(client, supervisor, t["unit"]["id"])
    cb = {"reached": True, "satisfaction": "unsatisfied", "solved": "unsolved", "comment": "根本没人来"}
    assert (await client.post(f"/api/v1/tickets/{t['id']}/callback", json=cb, headers=agent)).status == 200

    review = await _review_of(client, handler, t["id"])
    assert review["ruling"] == "pending" and review["real_name"] and review["comment"] == "根本没人来"
    assert review["needs_reply"] and not review["needs_rectification"]
    other = await tokens.make(Role.HANDLER, unit_id=1 if t["unit"]["id"] != 1 else 2)
    assert await _review_of(client, other, t["id"]) is None
    rid = review["id"]
    assert (await client.post(f"/api/v1/bad-reviews/{rid}/rectification", json={"text": "x"},
                              headers=other)).status == 404
    assert (await client.post(f"/api/v1/bad-reviews/{rid}/ruling", json={"valid": True},
                              headers=supervisor)).status == 422, "a ruling needs a reason"
    assert (await client.post(f"/api/v1/bad-reviews/{rid}/rectification", json={"text": "已整改"},
                              headers=handler)).status == 409, "nothing to rectify before a valid ruling"

    ruled = await client.post(f"/api/v1/bad-reviews/{rid}/ruling",
                              json={"valid": True, "reason": "单位未到现场核实"}, headers=supervisor)
    body = await ruled.json()
    assert ruled.status == 200 and body["ruling_label"] == "有效差评" and body["needs_rectification"]
    assert datetime.fromisoformat(body["rectify_by"]) == add_working_days(datetime.fromisoformat(body["ruled_at"]), 5)
    again = await client.post(f"/api/v1/bad-reviews/{rid}/ruling", json={"valid": False, "reason": "改判"},
                              headers=supervisor)
    assert again.status == 409

    todo = (await (await client.get("/api/v1/bad-reviews?todo=rectify", headers=handler)).json())["items"]
    assert rid in [i["id"] for i in todo]
    done = await client.post(f"/api/v1/bad-reviews/{rid}/rectification", json={"text": "已更换灯具并建立巡查制度"},
                             headers=handler)
    assert done.status == 200 and not (await done.json())["needs_rectification"]
    assert (await client.post(f"/api/v1/bad-reviews/{rid}/rectification", json={"text": "再交一次"},
                              headers=handler)).status == 409
    answered = await client.post(f"/api/v1/bad-reviews/{rid}/reply", json={"text": "已电话告知整改情况"},
                                 headers=handler)
    assert answered.status == 200 and not (await answered.json())["needs_reply"]

    after = await _totals(client, supervisor, t["unit"]["id"])
    assert (after["valid"] - before["valid"], after["rectified"] - before["rectified"]) == (1, 1)
    assert (after["real_name"] - before["real_name"], after["replied"] - before["replied"]) == (1, 1)
    assert 0 < after["rectification_rate"] <= 1 and 0 < after["reply_rate"] <= 1
    events = (await (await client.get(f"/api/v1/tickets/{t['id']}/events", headers=agent)).json())["events"]
    assert {"bad_review_ruling", "bad_review_rectified", "bad_review_replied"} <= {e["action"] for e in events}


async def test_anonymous_link_bad_review_ruled_invalid_needs_nothing(client, agent, tokens):
    t, handler = await _replied(client, agent, tokens, name="")
    link = await (await client.post(f"/api/v1/tickets/{t['id']}/callback-link", json={}, headers=agent)).json()
    path = re.sub(r"^https?://[^/]+", "", link["url"])
    answer = {"satisfaction": "unsatisfied", "solved": "solved"}
    assert (await client.post("/api/v1" + path, json=answer)).status == 200
    review = await _review_of(client, agent, t["id"])
    assert review["via"] == "link" and not review["real_name"] and not review["needs_reply"]
    supervisor = await tokens.make(Role.SUPERVISOR, area_code="320682")
    ruled = await client.post(f"/api/v1/bad-reviews/{review['id']}/ruling",
                              json={"valid": False, "reason": "诉求超出职责范围，已解释"}, headers=supervisor)
    assert ruled.status == 200 and (await ruled.json())["ruling"] == "invalid"
    assert (await client.post(f"/api/v1/bad-reviews/{review['id']}/reply", json={"text": "x"},
                              headers=agent)).status == 409
    assert (await client.post(f"/api/v1/bad-reviews/{review['id']}/rectification", json={"text": "x"},
                              headers=handler)).status == 409
    outside = await tokens.make(Role.SUPERVISOR, area_code="320100")
    assert (await client.post(f"/api/v1/bad-reviews/{review['id']}/ruling", json={"valid": True, "reason": "x"},
                              headers=outside)).status == 404


async def test_satisfied_result_opens_no_review(client, agent, tokens):
    t, _ = await _replied(client, agent, tokens)
    cb = {"reached": True, "satisfaction": "satisfied", "solved": "solved"}
    assert (await client.post(f"/api/v1/tickets/{t['id']}/callback", json=cb, headers=agent)).status == 200
    assert await _review_of(client, agent, t["id"]) is None
    bad = await client.get("/api/v1/reports/bad-reviews", params={"from": "2026-02-01", "to": "2026-01-01"}, headers=agent)
    assert bad.status == 422


async def _unit_rates(client, headers, unit_id):
    body = await (await client.get("/api/v1/reports/rates", params={**RATES_SPAN, "group_by": "unit", "unit": str(unit_id)},
                                   headers=headers)).json()
    assert body["columns"]["rectification_rate"] == "整改率" and body["columns"]["reply_rate"] == "回复率"
    return body["rows"][0] if body["rows"] else {}


async def test_rectification_and_reply_rates_in_the_rates_report(client, agent, tokens):
    """整改率 and 回复率 in /reports/rates match /reports/bad-reviews, step by step."""
    t, handler = await _replied(client, agent, tokens, name="赵女士")
    supervisor = await tokens.make(Role.SUPERVISOR, area_code="320600")
    unit = t["unit"]["id"]
    cb = {"reached": True, "satisfaction": "unsatisfied", "solved": "unsolved", "comment": "没解决"}
    assert (await client.post(f"/api/v1/tickets/{t['id']}/callback", json=cb, headers=agent)).status == 200
    rid = (await _review_of(client, agent, t["id"]))["id"]
    await client.post(f"/api/v1/bad-reviews/{rid}/ruling", json={"valid": True, "reason": "属实"}, headers=supervisor)

    def pick(row):
        return tuple(row.get(k, 0) for k in ("br_valid", "br_rectified", "br_real_name", "br_replied"))

    mid = await _unit_rates(client, supervisor, unit)
    totals = await _totals(client, supervisor, unit)
    assert pick(mid) == (totals["valid"], totals["rectified"], totals["real_name"], totals["replied"])
    assert mid["rectification_rate"] == totals["rectification_rate"] and mid["reply_rate"] == totals["reply_rate"]
    await client.post(f"/api/v1/bad-reviews/{rid}/rectification", json={"text": "已整改"}, headers=handler)
    await client.post(f"/api/v1/bad-reviews/{rid}/reply", json={"text": "已回复"}, headers=handler)
    after = await _unit_rates(client, supervisor, unit)
    assert [a - b for a, b in zip(pick(after), pick(mid))] == [0, 1, 0, 1]
    assert after["rectification_rate"] > (mid["rectification_rate"] or 0)
    csv_text = await (await client.get("/api/v1/reports/rates.csv", params=RATES_SPAN, headers=supervisor)).text()
    assert "整改率" in csv_text.splitlines()[0] and "回复率" in csv_text.splitlines()[0]
