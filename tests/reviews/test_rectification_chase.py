"""The sweep chases overdue rectifications (#17): 整改预警, then 整改催办, once each, until rectified."""
from __future__ import annotations

from datetime import datetime, timedelta

from hotline.escalation.sweep import sweep
from models.enums import Role
from tests.reviews.conftest import replied_ticket


async def _valid_review(client, tokens, agent, supervisor):
    t, handler = await replied_ticket(client, tokens, agent)
    cb = {"reached": True, "satisfaction": "unsatisfied", "solved": "unsolved", "comment": "灯还是不亮"}
    assert (await client.post(f"/api/v1/tickets/{t['id']}/callback", json=cb, headers=agent)).status == 200
    items = (await (await client.get("/api/v1/bad-reviews", headers=agent)).json())["items"]
    rid = next(i["id"] for i in items if i["ticket_id"] == t["id"])
    ruled = await client.post(f"/api/v1/bad-reviews/{rid}/ruling", json={"valid": True, "reason": "属实"},
                              headers=supervisor)
    assert ruled.status == 200
    return t, handler, await ruled.json()


async def _events(client, agent, ticket_id):
    events = (await (await client.get(f"/api/v1/tickets/{ticket_id}/events", headers=agent)).json())["events"]
    return [e for e in events if e["action"] in ("bad_review_warn", "bad_review_chase")]


async def test_overdue_rectification_is_warned_then_chased_once_each(own):
    client, pool, tokens = own
    agent = await tokens.make(Role.AGENT)
    supervisor = await tokens.make(Role.SUPERVISOR, area_code="320600")
    t, handler, review = await _valid_review(client, tokens, agent, supervisor)
    rectify_by, first = (datetime.fromisoformat(review[k]) for k in ("rectify_by", "next_chase_at"))
    assert datetime.fromisoformat(review["ruled_at"]) < first < rectify_by and review["chase_steps"] == []

    assert (await sweep(pool, first - timedelta(minutes=1))).rectify == {}
    res = await sweep(pool, first)
    assert res.rectify == {"rectify_warn": 1} and res.reviews == 1
    again = await sweep(pool, first + timedelta(minutes=5))
    assert again.rectify == {} and again.reviews == 0, "a warning is given once"
    late = await sweep(pool, rectify_by + timedelta(hours=1))
    assert late.rectify == {"rectify_chase": 1}
    record = next(r for r in late.records if r.get("bad_review_id") == review["id"])
    assert record["label"] == "整改催办" and record["unit_id"] == t["unit"]["id"]
    assert (await sweep(pool, rectify_by + timedelta(days=30))).rectify == {}

    events = await _events(client, agent, t["id"])
    assert [e["action"] for e in events] == ["bad_review_warn", "bad_review_chase"]
    assert "整改预警" in events[0]["reason"] and "超过整改时限" in events[1]["reason"]
    # (the agent's list: 30 days on, the reopened ticket itself has been raised to the city's unit)
    listed = (await (await client.get("/api/v1/bad-reviews?todo=rectify", headers=agent)).json())["items"]
    mine = next(i for i in listed if i["id"] == review["id"])
    assert mine["chase_steps"] == ["warn", "chase"] and mine["next_chase_at"] is None


async def test_a_rectified_review_is_not_chased(own):
    client, pool, tokens = own
    agent = await tokens.make(Role.AGENT)
    supervisor = await tokens.make(Role.SUPERVISOR, area_code="320600")
    t, handler, review = await _valid_review(client, tokens, agent, supervisor)
    done = await client.post(f"/api/v1/bad-reviews/{review['id']}/rectification", json={"text": "已更换灯具"},
                             headers=handler)
    assert done.status == 200 and (await done.json())["next_chase_at"] is None
    res = await sweep(pool, datetime.fromisoformat(review["rectify_by"]) + timedelta(days=1))
    assert not [r for r in res.records if r.get("bad_review_id") == review["id"]]
    assert await _events(client, agent, t["id"]) == []
