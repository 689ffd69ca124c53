"""Repeat calls and merged tickets (#16) over real HTTP and PostgreSQL: candidates and their reasons,
追加 / 并单 / 关联 and 撤销并单, each with its events, 409s, scope and rate counts."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from models.enums import Role

RUGAO, NANJING = "320682", "320100"
BJ = timezone(timedelta(hours=8))
LAMP = "如皋市海阳路和福寿路交叉口的路灯坏了一个多星期，晚上一片漆黑，行人经过很危险"
LAMP_AGAIN = "海阳路福寿路路口路灯坏了一个多星期了，晚上漆黑一片，走路很危险，请尽快修"
NOISE = "楼下饭店每天凌晨排风机噪音很大，影响休息"


def phone() -> str:
    return "139" + str(uuid.uuid4().int)[:8]


async def intake(client, headers, content: str, tel: str, area: str = RUGAO) -> dict:
    body = {"channel": "phone", "requester": {"name": "张先生", "phone": tel}, "content": content,
            "area_code": area}
    resp = await client.post("/api/v1/tickets", json=body, headers=headers)
    data = await resp.json()
    assert resp.status == 201, data
    return data


async def act(client, headers, tid: int, action: str, body: dict | None, status: int = 200) -> dict:
    resp = await client.post(f"/api/v1/tickets/{tid}/{action}", json=body, headers=headers)
    data = await resp.json()
    assert resp.status == status, data
    return data


async def get(client, headers, path: str, status: int = 200) -> dict:
    resp = await client.get(path, headers=headers)
    data = await resp.json()
    assert resp.status == status, data
    return data


async def events(client, headers, tid: int) -> list[str]:
    return [e["action"] for e in (await get(client, headers, f"/api/v1/tickets/{tid}/events"))["events"]]


def reasons(items: list[dict]) -> dict[int, set[str]]:
    return {i["id"]: {r["code"] for r in i["reasons"]} for i in items}


async def test_candidates_name_each_reason(client, agent, pool):
    tel = phone()
    earlier = await intake(client, agent, LAMP, tel)                 # same caller, same text
    other_matter = await intake(client, agent, NOISE, tel)          # same caller only
    neighbour = await intake(client, agent, LAMP_AGAIN, phone())     # another caller, near-identical text
    elsewhere = await intake(client, agent, LAMP, tel, area="320102")  # same caller, long ago
    await pool.execute("UPDATE tickets SET created_at = now() - interval '10 days' WHERE id = $1", elsewhere["id"])
    # same county and category (set here: the classifier's choice is not what this test is about)
    await pool.execute("UPDATE tickets SET category_code = 'urban.street_vending' WHERE id = ANY($1::bigint[])",
                       [earlier["id"], other_matter["id"], neighbour["id"]])
    new = await intake(client, agent, LAMP, tel)
    await pool.execute("UPDATE tickets SET category_code = 'urban.street_vending' WHERE id = $1", new["id"])

    body = await get(client, agent, f"/api/v1/tickets/{new['id']}/candidates?limit=100")
    found = reasons(body["items"])
    assert found[earlier["id"]] == {"same_caller", "same_place", "similar_text"}
    assert found[other_matter["id"]] == {"same_caller", "same_place"}
    assert {"same_place", "similar_text"} <= found[neighbour["id"]] and "same_caller" not in found[neighbour["id"]]
    assert elsewhere["id"] not in found and new["id"] not in found
    assert body["items"][0]["id"] == earlier["id"]                   # most reasons first
    item = next(i for i in body["items"] if i["id"] == neighbour["id"])
    score = next(r["score"] for r in item["reasons"] if r["code"] == "similar_text")
    assert 0.5 <= score <= 1 and item["caller"]["phone"].count("*") == 4
    assert all(r["label"] and not r["label"].isascii() for i in body["items"] for r in i["reasons"])


async def test_candidates_scope_and_roles(client, agent, tokens):
    t = await intake(client, agent, LAMP, phone())
    nanjing = await tokens.make(Role.SUPERVISOR, area_code=NANJING)
    rugao = await tokens.make(Role.SUPERVISOR, area_code=RUGAO)
    handler = await tokens.make(Role.HANDLER, unit_id=await tokens.pool.fetchval("SELECT min(id) FROM units"))
    await get(client, nanjing, f"/api/v1/tickets/{t['id']}/candidates", 404)
    await get(client, rugao, f"/api/v1/tickets/{t['id']}/candidates")
    await get(client, handler, f"/api/v1/tickets/{t['id']}/candidates", 403)
    await get(client, agent, "/api/v1/tickets/999999999/candidates", 404)
    await get(client, agent, f"/api/v1/tickets/{t['id']}/candidates?limit=0", 422)


async def test_add_repeat_counts_callers_and_undo_restores(client, agent):
    lead = await intake(client, agent, LAMP, phone())
    first = await intake(client, agent, LAMP_AGAIN, phone())
    second = await intake(client, agent, LAMP_AGAIN, phone())
    out = await act(client, agent, first["id"], "add-repeat", {"lead_id": lead["id"], "reason": "同一路灯"})
    assert (out["status"], out["action"], out["data"]["lead_id"], out["data"]["repeat_calls"]) == \
        ("closed", "add_repeat", lead["id"], 1)
    assert out["allowed_actions"] == ["link", "unmerge"]
    await act(client, agent, second["id"], "add-repeat", {"lead_id": lead["id"]})
    links = await get(client, agent, f"/api/v1/tickets/{lead['id']}/links")
    assert (links["repeat_calls"], links["callers"]) == (2, 3)
    assert {x["ticket"]["id"] for x in links["links"]} == {first["id"], second["id"]}
    assert all(x["kind"] == "repeat" and x["direction"] == "into_this" for x in links["links"])
    assert (await events(client, agent, lead["id"])).count("repeat_call") == 2
    assert (await events(client, agent, first["id"]))[-1] == "add_repeat"

    # a second fold of the same call is a 409 listing what the caller may do now
    again = await act(client, agent, first["id"], "add-repeat", {"lead_id": lead["id"]}, 409)
    assert again["current_status"] == "closed" and again["allowed_actions"] == ["link", "unmerge"]
    await act(client, agent, first["id"], "unmerge", {}, 422)        # a reason is required

    undone = await act(client, agent, first["id"], "unmerge", {"reason": "不是同一路灯"})
    assert (undone["status"], undone["data"]["kind"]) == ("triage", "repeat")
    assert "unmerge" not in undone["allowed_actions"] and "dispatch" in undone["allowed_actions"]
    links = await get(client, agent, f"/api/v1/tickets/{lead['id']}/links")
    assert (links["repeat_calls"], links["callers"]) == (1, 2)
    assert (await events(client, agent, lead["id"]))[-1] == "unmerged"
    mine = await get(client, agent, f"/api/v1/tickets/{first['id']}/links")
    assert (mine["merged_into"], mine["closed_as"], mine["links"]) == (None, None, [])
    await act(client, agent, first["id"], "unmerge", {"reason": "再次"}, 409)


async def test_add_repeat_refuses_a_finished_lead_and_itself(client, agent, pool):
    call = await intake(client, agent, LAMP_AGAIN, phone())
    await act(client, agent, call["id"], "add-repeat", {"lead_id": call["id"]}, 422)
    await act(client, agent, call["id"], "add-repeat", {"lead_id": 999999999}, 404)
    closed = await pool.fetchval(  # an archived ticket (inserted directly: inserts are not state-checked)
        "INSERT INTO tickets (ticket_no, channel, requester_type, title, content, area_code, province_code, "
        "city_code, county_code, status, closed_at) VALUES ('DUP' || nextval('ticket_no_seq'), 'phone', 'citizen', "
        "'路灯', $1, $2, '320000', '320600', $2, 'closed', now()) RETURNING id", LAMP, RUGAO)
    body = await act(client, agent, call["id"], "add-repeat", {"lead_id": closed}, 409)
    assert "add_repeat" in body["allowed_actions"] and "merge" in body["allowed_actions"]
    await act(client, agent, call["id"], "merge", {"lead_id": closed}, 409)
    await act(client, agent, call["id"], "link", {"other_id": closed})   # 关联 is still possible
    # a call folded elsewhere is not a lead: the 409 names the lead to use
    third = await intake(client, agent, LAMP, phone())
    fresh = await intake(client, agent, LAMP, phone())
    await act(client, agent, third["id"], "merge", {"lead_id": fresh["id"]})
    body = await act(client, agent, call["id"], "merge", {"lead_id": third["id"]}, 409)
    assert body["lead_id"] == fresh["id"]
    # a lead with calls folded into it is not folded elsewhere before those are undone
    await act(client, agent, fresh["id"], "merge", {"lead_id": call["id"]}, 409)


async def test_merge_counts_the_matter_once_and_undo(client, agent, tokens, pool):
    code = f"t-{uuid.uuid4().hex[:10]}"
    await pool.execute("INSERT INTO units (code, name, unit_type, area_code, tier) "
                       "VALUES ($1, $2, 'test_dup', $3, 'county')", code, f"测试单位{code[-4:]}", RUGAO)
    lead = await intake(client, agent, LAMP, phone())
    call = await intake(client, agent, LAMP_AGAIN, phone())
    for t in (lead, call):
        if t["status"] == "triage":
            await act(client, agent, t["id"], "dispatch", {"category": "urban.street_vending", "unit_code": code})
        else:
            await act(client, agent, t["id"], "redispatch", {"unit_code": code, "reason": "测试单位"})
    today = datetime.now(BJ).date()
    window = {"from": (today - timedelta(days=2)).isoformat(), "to": (today + timedelta(days=2)).isoformat(),
              "unit": code, "group_by": "unit"}

    async def row() -> dict:
        resp = await client.get("/api/v1/reports/rates", params=window, headers=agent)
        body = await resp.json()
        assert resp.status == 200, body
        [r] = body["rows"]
        return r

    assert (await row())["dispatched"] == 2
    out = await act(client, agent, call["id"], "merge", {"lead_id": lead["id"], "reason": "同一事项"})
    assert (out["status"], out["data"]["lead_id"]) == ("closed", lead["id"])
    r = await row()
    assert (r["dispatched"], r["closed"]) == (1, 0)                  # one matter for the unit
    handler = await tokens.make(Role.HANDLER, unit_id=await pool.fetchval("SELECT id FROM units WHERE code = $1",
                                                                           code))
    inbox = await get(client, handler, "/api/v1/inbox")
    assert [t["id"] for t in inbox["to_sign"]] == [lead["id"]]
    links = await get(client, agent, f"/api/v1/tickets/{lead['id']}/links")
    assert (links["repeat_calls"], links["callers"], links["links"][0]["kind"]) == (0, 2, "merged")
    assert (await events(client, agent, lead["id"]))[-1] == "merged_in"
    # a merged ticket is not reopened on its own (重办 the lead, or undo first)
    await act(client, agent, call["id"], "reopen", {"reason": "回访不满意"}, 409)

    undone = await act(client, agent, call["id"], "unmerge", {"reason": "地点不同"})
    assert undone["status"] == "triage"
    await act(client, agent, call["id"], "dispatch", {"category": "urban.street_vending", "unit_code": code})
    assert (await row())["dispatched"] == 2


async def test_link_both_sides_and_roles(client, agent, tokens):
    a = await intake(client, agent, LAMP, phone())
    b = await intake(client, agent, NOISE, phone())
    out = await act(client, agent, a["id"], "link", {"other_id": b["id"], "reason": "同一路口"})
    assert out["status"] == a["status"] and out["data"]["other_id"] == b["id"]
    await act(client, agent, b["id"], "link", {"other_id": a["id"]}, 409)   # already linked, either way
    await act(client, agent, b["id"], "merge", {"lead_id": a["id"]}, 409)
    assert [x["kind"] for x in (await get(client, agent, f"/api/v1/tickets/{b['id']}/links"))["links"]] == ["link"]
    assert (await events(client, agent, b["id"]))[-1] == "linked"
    nanjing = await tokens.make(Role.SUPERVISOR, area_code=NANJING)
    c = await intake(client, agent, LAMP, phone())
    await act(client, nanjing, c["id"], "link", {"other_id": a["id"]}, 404)
    handler = await tokens.make(Role.HANDLER, unit_id=await tokens.pool.fetchval("SELECT min(id) FROM units"))
    await act(client, handler, c["id"], "merge", {"lead_id": a["id"]}, 403)
    await act(client, agent, c["id"], "merge", {"lead_id": "x"}, 422)
