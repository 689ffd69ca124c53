"""A lead's callers (#16) over real HTTP and PostgreSQL: chases make the lead urgent (the rule and its
event), and the reply, the reopen and the callback list reach every requester of a merged matter."""
from __future__ import annotations

import uuid
from datetime import datetime

from hotline.requester.sms_worker import Gateway, text_of
from hotline.wallclock import now
from models.enums import Role

RUGAO = "320682"
LAMP = "如皋市海阳路和福寿路交叉口的路灯坏了一个多星期，晚上一片漆黑，行人经过很危险"
LAMP_AGAIN = "海阳路福寿路路口路灯坏了一个多星期了，晚上漆黑一片，走路很危险，请尽快修"


def phone() -> str:
    return "137" + str(uuid.uuid4().int)[:8]


async def intake(client, headers, tel: str, content: str = LAMP) -> dict:
    body = {"channel": "phone", "requester": {"name": "赵先生", "phone": tel}, "content": content, "area_code": RUGAO}
    resp = await client.post("/api/v1/tickets", json=body, headers=headers)
    data = await resp.json()
    assert resp.status == 201, data
    return data


async def act(client, headers, tid: int, action: str, body: dict, status: int = 200) -> dict:
    resp = await client.post(f"/api/v1/tickets/{tid}/{action}", json=body, headers=headers)
    data = await resp.json()
    assert resp.status == status, data
    return data


async def get(client, headers, path: str) -> dict:
    resp = await client.get(path, headers=headers)
    data = await resp.json()
    assert resp.status == 200, data
    return data


async def dispatched(client, agent, tel: str) -> dict:
    t = await intake(client, agent, tel)
    await act(client, agent, t["id"], "dispatch", {"category": "城市管理/市政设施"})
    return await get(client, agent, f"/api/v1/tickets/{t['id']}")


async def lead_events(client, agent, tid: int) -> list[dict]:
    return (await get(client, agent, f"/api/v1/tickets/{tid}/events"))["events"]


async def test_the_second_chase_within_72_hours_makes_the_lead_urgent(client, agent):
    tel = phone()
    lead = await dispatched(client, agent, tel)
    assert lead["urgency"] == "normal"
    first = await intake(client, agent, tel)
    out = await act(client, agent, first["id"], "add-repeat", {"lead_id": lead["id"], "reason": "催办"})
    assert out["data"]["lead_urgency_raised"] is False
    assert (await get(client, agent, f"/api/v1/tickets/{lead['id']}"))["urgency"] == "normal"

    second = await intake(client, agent, tel)
    out = await act(client, agent, second["id"], "add-repeat", {"lead_id": lead["id"], "reason": "再次催办"})
    assert out["data"]["lead_urgency_raised"] is True
    now_lead = await get(client, agent, f"/api/v1/tickets/{lead['id']}")
    assert now_lead["urgency"] == "urgent" and now_lead["urgency_label"] != lead["urgency_label"]
    assert datetime.fromisoformat(now_lead["reply_by"]) < datetime.fromisoformat(lead["reply_by"])
    raised = [e for e in await lead_events(client, agent, lead["id"]) if e["action"] == "urgency_raised"]
    assert len(raised) == 1 and raised[0]["data"]["repeat_calls_in_window"] == 2
    assert raised[0]["data"]["to"] == "urgent" and "72 小时" in raised[0]["reason"]

    # undoing a chase does not lower it again (a person decides that); a third chase records nothing new
    await act(client, agent, second["id"], "unmerge", {"reason": "误操作"})
    third = await intake(client, agent, tel)
    await act(client, agent, third["id"], "add-repeat", {"lead_id": lead["id"]})
    assert (await get(client, agent, f"/api/v1/tickets/{lead['id']}"))["urgency"] == "urgent"
    assert [e["action"] for e in await lead_events(client, agent, lead["id"])].count("urgency_raised") == 1


async def test_chases_outside_the_window_do_not_count(client, agent, pool):
    tel = phone()
    lead = await dispatched(client, agent, tel)
    old = await intake(client, agent, tel)
    await act(client, agent, old["id"], "add-repeat", {"lead_id": lead["id"]})
    await pool.execute("UPDATE ticket_links SET at = at - interval '4 days' WHERE ticket_id = $1", old["id"])
    new = await intake(client, agent, tel)
    out = await act(client, agent, new["id"], "add-repeat", {"lead_id": lead["id"]})
    assert out["data"]["lead_urgency_raised"] is False
    assert (await get(client, agent, f"/api/v1/tickets/{lead['id']}"))["urgency"] == "normal"


async def test_reply_and_callback_list_reach_every_requester(client, agent, tokens, pool):
    tel_a, tel_b, tel_c = phone(), phone(), phone()
    lead = await dispatched(client, agent, tel_a)
    merged = await intake(client, agent, tel_b, LAMP_AGAIN)
    await act(client, agent, merged["id"], "merge", {"lead_id": lead["id"]})
    for _ in range(2):                                  # one caller chasing twice: one text
        chase = await intake(client, agent, tel_c)
        await act(client, agent, chase["id"], "add-repeat", {"lead_id": lead["id"]})
    landline = await intake(client, agent, "0513-87650000", LAMP_AGAIN)
    await act(client, agent, landline["id"], "merge", {"lead_id": lead["id"]})
    undone = await intake(client, agent, phone(), LAMP_AGAIN)   # merged, then undone: not a caller any more
    await act(client, agent, undone["id"], "merge", {"lead_id": lead["id"]})
    await act(client, agent, undone["id"], "unmerge", {"reason": "不是同一路口"})

    handler = await tokens.make(Role.HANDLER, unit_id=lead["unit"]["id"])
    await act(client, handler, lead["id"], "sign", {})
    await act(client, handler, lead["id"], "reply", {"resolution": "已更换路灯", "claimed_solved": True})

    rows = await pool.fetch("SELECT phone, kind, state, params FROM sms_outbox WHERE ticket_id = $1 "
                            "AND kind = 'replied' ORDER BY id", lead["id"])
    assert sorted(r["phone"] for r in rows) == sorted([tel_a, tel_b, tel_c])
    own_no = {r["phone"]: r["params"]["ticket_no"] for r in rows}
    assert own_no[tel_a] == lead["ticket_no"] and own_no[tel_b] == merged["ticket_no"]
    outbox = await get(client, agent, f"/api/v1/sms/outbox?ticket_id={lead['id']}")
    assert sum(1 for i in outbox["items"] if i["kind"] == "replied") == 3

    # the worker's text for a merged caller: its own ticket number and a survey link for the lead's reply
    gw = Gateway("http://127.0.0.1:9/unused", base="https://12345.example")
    row = await pool.fetchrow("SELECT id, ticket_id, kind, params FROM sms_outbox WHERE ticket_id = $1 "
                              "AND phone = $2 AND kind = 'replied'", lead["id"], tel_b)
    text = await text_of(pool, row, gw, now())
    assert merged["ticket_no"] in text and "https://12345.example/survey/" in text

    listing = await get(client, agent, f"/api/v1/tickets/{lead['id']}/callbacks")
    people = listing["requesters"]
    assert [p["role"] for p in people] == ["lead", "merged", "repeat", "merged"]
    assert [p["phone"] for p in people] == [tel_a, tel_b, tel_c, "0513-87650000"]
    assert [p["sms"]["state"] if p["sms"] else None for p in people] == ["pending", "pending", "pending", None]
    assert people[1]["role_label"] == "并单来电人" and people[2]["role_label"] == "追加来电人"
    supervisor = await tokens.make(Role.SUPERVISOR, area_code="320600")
    masked = (await get(client, supervisor, f"/api/v1/tickets/{lead['id']}/callbacks"))["requesters"]
    assert all("*" in p["phone"] for p in masked)

    # unhappy at the callback: the lead is reopened, and every caller is told so
    cb = {"reached": True, "satisfaction": "unsatisfied", "solved": "unsolved", "comment": "路灯还是不亮"}
    await act(client, agent, lead["id"], "callback", cb)
    reopened = await pool.fetch("SELECT phone FROM sms_outbox WHERE ticket_id = $1 AND kind = 'reopened'", lead["id"])
    assert sorted(r["phone"] for r in reopened) == sorted([tel_a, tel_b, tel_c])
