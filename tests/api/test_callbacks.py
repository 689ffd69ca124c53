"""Callback surveys (回访): phone records, unreachable attempts, one-time links, reopen or close."""
from __future__ import annotations

from models.enums import Role

UNIT = "320682-housing"
CITIZEN = {"channel": "phone", "requester": {"name": "钱女士", "phone": "13912345678"},
           "content": "楼道灯坏了一个月没人修", "area_code": "320682"}
ENTERPRISE = {"channel": "enterprise", "requester": {"type": "enterprise", "name": "孙经理", "phone": "13900000001",
                                                      "org": "如皋某某机械有限公司"},
              "content": "企业厂区门口道路破损，货车进出困难", "area_code": "320682"}


async def _ok(resp, status=200):
    body = await resp.json()
    assert resp.status == status, body
    return body


async def replied_ticket(client, agent, tokens, body=CITIZEN, claimed=True) -> tuple[int, dict]:
    """A ticket filed, dispatched to the unit, signed and replied through the API."""
    t = await _ok(await client.post("/api/v1/tickets", json=body, headers=agent), 201)
    await _ok(await client.post(f"/api/v1/tickets/{t['id']}/dispatch", headers=agent,
                                json={"category": "housing.property", "unit_code": UNIT}))
    handler = await tokens.make(Role.HANDLER, unit_id=await tokens.pool.fetchval(
        "SELECT id FROM units WHERE code = $1", UNIT))
    await _ok(await client.post(f"/api/v1/tickets/{t['id']}/sign", headers=handler))
    await _ok(await client.post(f"/api/v1/tickets/{t['id']}/reply", headers=handler,
                                json={"resolution": "已联系物业更换灯具", "claimed_solved": claimed}))
    return t["id"], handler


async def an_hour_passes(pool, ticket_id: int) -> None:
    """Move the ticket's callback attempts an hour back (attempts must be spaced, settings.callback_min_spacing)."""
    await pool.execute("UPDATE callback_attempts SET at = at - interval '1 hour' WHERE ticket_id = $1", ticket_id)


async def actions(pool, ticket_id: int) -> list[str]:
    return [r["action"] for r in await pool.fetch(
        "SELECT action FROM ticket_events WHERE ticket_id = $1 ORDER BY id", ticket_id)]


async def test_satisfied_and_solved_closes_the_ticket(client, agent, tokens, pool):
    tid, _ = await replied_ticket(client, agent, tokens)
    out = await _ok(await client.post(f"/api/v1/tickets/{tid}/callback", headers=agent, json={
        "reached": True, "satisfaction": "satisfied", "solved": "solved", "comment": "很快就修好了"}))
    assert out["outcome"] == "reached" and out["decision"] == "close" and out["status"] == "closed"
    assert (await actions(pool, tid))[-2:] == ["callback", "close"]
    again = await client.post(f"/api/v1/tickets/{tid}/callback", headers=agent, json={
        "reached": True, "satisfaction": "satisfied", "solved": "solved"})
    assert again.status == 409 and (await again.json())["current_status"] == "closed"
    hist = await _ok(await client.get(f"/api/v1/tickets/{tid}/callbacks", headers=agent))
    assert [r["satisfaction"] for r in hist["results"]] == ["satisfied"]


async def test_basically_satisfied_and_solved_closes(client, agent, tokens):
    tid, _ = await replied_ticket(client, agent, tokens)
    out = await _ok(await client.post(f"/api/v1/tickets/{tid}/callback", headers=agent, json={
        "reached": True, "satisfaction": "basically_satisfied", "solved": "solved"}))
    assert out["decision"] == "close" and out["status"] == "closed"


async def test_unsatisfied_or_unsolved_reopens_to_the_same_unit_with_a_new_deadline(client, agent, tokens, pool):
    for answer in ({"satisfaction": "unsatisfied", "solved": "solved"},
                   {"satisfaction": "basically_satisfied", "solved": "unsolved"}):
        tid, handler = await replied_ticket(client, agent, tokens)
        before = await pool.fetchrow("SELECT unit_id, reply_by, dispatched_at FROM tickets WHERE id = $1", tid)
        out = await _ok(await client.post(f"/api/v1/tickets/{tid}/callback", headers=agent,
                                          json={"reached": True, **answer}))
        assert out["decision"] == "reopen" and out["status"] == "dispatched"
        after = await pool.fetchrow("SELECT unit_id, reply_by, dispatched_at, reopen_count, replied_at "
                                    "FROM tickets WHERE id = $1", tid)
        assert after["unit_id"] == before["unit_id"] and after["reopen_count"] == 1
        # a new clock from the reopen (deadlines are working-day based, so reply_by may land on the same day end)
        assert after["dispatched_at"] > before["dispatched_at"] and after["reply_by"] >= before["reply_by"]
        assert after["replied_at"] is None
        assert (await actions(pool, tid))[-2:] == ["callback", "reopen"]
    # the second round: the unit answers again and the next callback belongs to round 1
    await _ok(await client.post(f"/api/v1/tickets/{tid}/sign", headers=handler))
    await _ok(await client.post(f"/api/v1/tickets/{tid}/reply", headers=handler,
                                json={"resolution": "已重新处理", "claimed_solved": True}))
    out = await _ok(await client.post(f"/api/v1/tickets/{tid}/callback", headers=agent, json={
        "reached": True, "satisfaction": "satisfied", "solved": "solved"}))
    assert out["round"] == 1 and out["status"] == "closed"


async def test_unreachable_three_times_closes_and_is_counted_apart(client, agent, tokens, pool):
    tid, _ = await replied_ticket(client, agent, tokens)
    for n in (1, 2):
        out = await _ok(await client.post(f"/api/v1/tickets/{tid}/callback", headers=agent, json={"reached": False}))
        assert out["outcome"] == "pending" and out["attempts"] == n and out["status"] == "replied"
        await an_hour_passes(pool, tid)
    out = await _ok(await client.post(f"/api/v1/tickets/{tid}/callback", headers=agent, json={"reached": False}))
    assert out["outcome"] == "unreachable" and out["decision"] == "close" and out["status"] == "closed"
    row = await pool.fetchrow("SELECT outcome, attempts, satisfaction FROM callback_results WHERE ticket_id = $1", tid)
    assert dict(row) == {"outcome": "unreachable", "attempts": 3, "satisfaction": None}


async def test_callback_validation_roles_and_state(client, agent, tokens):
    tid, handler = await replied_ticket(client, agent, tokens)
    url = f"/api/v1/tickets/{tid}/callback"
    resp = await client.post(url, headers=agent, json={"reached": True, "satisfaction": "satisfied"})
    assert resp.status == 422 and [d["field"] for d in (await resp.json())["details"]] == ["solved"]
    resp = await client.post(url, headers=agent, json={"reached": False, "solved": "solved"})
    assert resp.status == 422
    resp = await client.post(url, headers=agent, json={"reached": True, "satisfaction": "ok", "solved": "solved"})
    assert resp.status == 422
    assert (await client.post(url, headers=handler, json={"reached": False})).status == 403
    sup = await tokens.make(Role.SUPERVISOR, area_code="320600")
    assert (await client.post(url, headers=sup, json={"reached": False})).status == 403
    assert (await client.post(url, json={"reached": False})).status == 401
    fresh = await _ok(await client.post("/api/v1/tickets", json=CITIZEN, headers=agent), 201)
    resp = await client.post(f"/api/v1/tickets/{fresh['id']}/callback", headers=agent, json={"reached": False})
    assert resp.status == 409
    assert (await client.post("/api/v1/tickets/999999999/callback", headers=agent,
                              json={"reached": False})).status == 404


async def test_one_time_link_records_the_answer_once(client, agent, tokens, pool):
    tid, _ = await replied_ticket(client, agent, tokens, claimed=True)
    link = await _ok(await client.post(f"/api/v1/tickets/{tid}/callback-link", headers=agent), 201)
    token = link["token"]
    assert link["url"].endswith(f"/survey/{token}") and "/api/" not in link["url"] and token in link["sms_text"]
    stored = await pool.fetch("SELECT token_hash FROM callback_links WHERE ticket_id = $1", tid)
    assert len(stored) == 1 and token.encode() not in bytes(stored[0]["token_hash"])

    survey = await _ok(await client.get(f"/api/v1/survey/{token}"))  # no token header: public
    assert survey["resolution"] == "已联系物业更换灯具" and survey["unit_name"] == "如皋市住房和城乡建设局"
    assert "13912345678" not in str(survey) and [q["field"] for q in survey["questions"]][:2] == [
        "satisfaction", "solved"]
    resp = await client.post(f"/api/v1/survey/{token}", json={"satisfaction": "satisfied"})
    assert resp.status == 422
    await _ok(await client.post(f"/api/v1/survey/{token}", json={"satisfaction": "unsatisfied",
                                                                "solved": "unsolved", "comment": "还是不亮"}))
    row = await pool.fetchrow("SELECT status, reopen_count FROM tickets WHERE id = $1", tid)
    assert row["status"] == "dispatched" and row["reopen_count"] == 1
    res = await pool.fetchrow("SELECT via, satisfaction, solved FROM callback_results WHERE ticket_id = $1", tid)
    assert dict(res) == {"via": "link", "satisfaction": "unsatisfied", "solved": False}
    assert (await client.post(f"/api/v1/survey/{token}", json={"satisfaction": "satisfied",
                                                               "solved": "solved"})).status == 409
    assert (await client.get(f"/api/v1/survey/{token}")).status == 409
    assert (await client.get("/api/v1/survey/sv_" + "x" * 32)).status == 404
    assert (await client.get("/api/v1/survey/not-a-token")).status == 404


async def test_expired_link_is_refused(client, agent, tokens, pool):
    tid, _ = await replied_ticket(client, agent, tokens)
    link = await _ok(await client.post(f"/api/v1/tickets/{tid}/callback-link", headers=agent, json={"hours": 1}),
                     201)
    await pool.execute("UPDATE callback_links SET expires_at = now() - interval '1 minute' WHERE ticket_id = $1", tid)
    assert (await client.get(f"/api/v1/survey/{link['token']}")).status == 410
    resp = await client.post(f"/api/v1/survey/{link['token']}", json={"satisfaction": "satisfied", "solved": "solved"})
    assert resp.status == 410
    assert (await pool.fetchval("SELECT status FROM tickets WHERE id = $1", tid)) == "replied"


async def test_link_only_for_replied_tickets(client, agent):
    fresh = await _ok(await client.post("/api/v1/tickets", json=CITIZEN, headers=agent), 201)
    assert (await client.post(f"/api/v1/tickets/{fresh['id']}/callback-link", headers=agent)).status == 409


async def test_enterprise_requests_get_the_same_callback(client, agent, tokens, pool):
    tid, _ = await replied_ticket(client, agent, tokens, body=ENTERPRISE)
    out = await _ok(await client.post(f"/api/v1/tickets/{tid}/callback", headers=agent, json={
        "reached": True, "satisfaction": "satisfied", "solved": "solved"}))
    assert out["status"] == "closed"
    assert await pool.fetchval("SELECT requester_type FROM callback_results WHERE ticket_id = $1", tid) == "enterprise"
