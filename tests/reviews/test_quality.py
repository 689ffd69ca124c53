"""质检 over HTTP (#17): suspicious ratings flagged, counted until a supervisor rules, the unit test stated."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from models.enums import Role
from tests.reviews.conftest import replied_ticket

TZ = ZoneInfo("Asia/Shanghai")
SATISFIED = {"reached": True, "satisfaction": "satisfied", "solved": "solved"}
SPAN = {"from": "2026-01-01", "to": "2027-12-31"}


async def _report(client, headers, **params):
    resp = await client.get("/api/v1/reports/quality", params={**SPAN, **params}, headers=headers)
    assert resp.status == 200, await resp.text()
    return await resp.json()


def _flags_of(report, ticket_ids, check):
    return sorted(f["ticket_id"] for f in report["flags"] if f["ticket_id"] in ticket_ids and f["check"] == check)


async def _unit_counts(client, headers, unit_id):
    body = await (await client.get("/api/v1/reports/rates", params={**SPAN, "group_by": "unit", "unit": str(unit_id)},
                                   headers=headers)).json()
    return body["rows"][0]


async def test_many_ratings_from_one_phone_are_flagged_and_stay_counted_until_ruled(own):
    client, pool, tokens = own
    supervisor = await tokens.make(Role.SUPERVISOR, area_code="320600")
    tickets = []
    for i in range(4):   # four agents, so no callback pair is "seconds apart by one agent"
        agent = await tokens.make(Role.AGENT)
        t, _ = await replied_ticket(client, tokens, agent, phone="13911112222")
        assert (await client.post(f"/api/v1/tickets/{t['id']}/callback", json=SATISFIED, headers=agent)).status == 200
        tickets.append(t)
    ids = {t["id"] for t in tickets}
    report = await _report(client, supervisor)
    assert _flags_of(report, ids, "same_phone") == sorted(ids)
    assert not _flags_of(report, ids, "rapid_callbacks") and not _flags_of(report, ids, "before_reply")
    flag = next(f for f in report["flags"] if f["ticket_id"] == tickets[0]["id"])
    assert flag["detail"] == {"ratings": 4, "phone_tail": "2222"} and flag["result"]["counted"]
    assert flag["check_label"] == "同一号码多次评价" and flag["ruling"] == "pending"
    again = await _report(client, supervisor)
    assert len([f for f in again["flags"] if f["ticket_id"] in ids]) == 4, "a scan flags a result once"

    unit = tickets[0]["unit"]["id"]
    before = await _unit_counts(client, supervisor, unit)
    outside = await tokens.make(Role.SUPERVISOR, area_code="320100")
    ruling = {"upheld": True, "reason": "经核实为同一人代评"}
    assert (await client.post(f"/api/v1/quality-flags/{flag['id']}/ruling", json=ruling,
                              headers=outside)).status == 404
    assert (await client.post(f"/api/v1/quality-flags/{flag['id']}/ruling", json={"upheld": True},
                              headers=supervisor)).status == 422
    ruled = await client.post(f"/api/v1/quality-flags/{flag['id']}/ruling", json=ruling, headers=supervisor)
    assert ruled.status == 200 and (await ruled.json())["result_counted"] is False
    assert (await client.post(f"/api/v1/quality-flags/{flag['id']}/ruling", json=ruling,
                              headers=supervisor)).status == 409
    other = next(f for f in report["flags"] if f["ticket_id"] == tickets[1]["id"])
    kept = await client.post(f"/api/v1/quality-flags/{other['id']}/ruling",
                             json={"upheld": False, "reason": "家庭多人反映不同诉求，号码相同属实"}, headers=supervisor)
    assert (await kept.json())["result_counted"] is True

    after = await _unit_counts(client, supervisor, unit)
    assert (before["cb_reached"] - after["cb_reached"], before["cb_satisfied"] - after["cb_satisfied"]) == (1, 1)
    events = (await (await client.get(f"/api/v1/tickets/{tickets[0]['id']}/events", headers=supervisor)).json())["events"]
    assert [e["action"] for e in events if e["action"].startswith("quality_")] == ["quality_flag", "quality_ruling"]
    listed = await _report(client, supervisor, ruling="upheld")
    assert [f["id"] for f in listed["flags"]] == [flag["id"]] and not listed["flags"][0]["result"]["counted"]


async def test_callbacks_seconds_apart_by_one_agent_and_a_rating_before_the_reply(own):
    client, pool, tokens = own
    supervisor = await tokens.make(Role.SUPERVISOR, area_code="320000")
    agent = await tokens.make(Role.AGENT)
    a, _ = await replied_ticket(client, tokens, agent, phone="13700000001")
    b, _ = await replied_ticket(client, tokens, agent, phone="13700000002")
    for t in (a, b):   # recorded back to back: a survey cannot be asked in a few seconds
        assert (await client.post(f"/api/v1/tickets/{t['id']}/callback", json=SATISFIED, headers=agent)).status == 200
    report = await _report(client, supervisor)
    assert _flags_of(report, {a["id"], b["id"]}, "rapid_callbacks") == sorted([a["id"], b["id"]])
    assert next(f for f in report["flags"] if f["ticket_id"] == a["id"])["detail"]["seconds"] < 60

    c, _ = await replied_ticket(client, tokens, await tokens.make(Role.AGENT), phone="13700000003")
    assert (await client.post(f"/api/v1/tickets/{c['id']}/callback", json=SATISFIED,
                              headers=await tokens.make(Role.AGENT))).status == 200
    # a result stamped before the reply it rates (a back-dated or imported record)
    await pool.execute("UPDATE callback_results SET at = at - interval '2 hours' WHERE ticket_id = $1", c["id"])
    report = await _report(client, supervisor)
    assert _flags_of(report, {c["id"]}, "before_reply") == [c["id"]]
    assert not _flags_of(report, {a["id"], b["id"]}, "before_reply")


INSERT_TICKET = """
INSERT INTO tickets (ticket_no, channel, requester_type, title, content, area_code, province_code, city_code,
                     county_code, status, unit_id, created_at)
VALUES ('Q' || lpad(nextval('ticket_no_seq')::text, 12, '0'), 'phone', 'citizen', '质检', '质检样本', '320682', '320000',
        '320600', '320682', 'closed', $1, $2)
RETURNING id
"""
INSERT_RESULT = """
INSERT INTO callback_results (ticket_id, round, outcome, via, satisfaction, solved, decision, unit_id, requester_type, at)
VALUES ($1, $2, 'reached', 'link', $3, true, 'close', $4, 'citizen', $5)
"""


async def test_a_unit_rated_far_better_than_its_peers_is_flagged_with_the_test_stated(own):
    """Past results (March 2026) inserted as data: a unit rated all satisfied among peers with ordinary spreads."""
    client, pool, tokens = own
    units = [r["id"] for r in await pool.fetch("SELECT id FROM units WHERE area_code = '320682' ORDER BY id LIMIT 4")]
    when = datetime(2026, 3, 10, 10, tzinfo=TZ)
    spreads = {units[0]: [("satisfied", 30)], **{u: [("satisfied", 14), ("basically_satisfied", 8), ("unsatisfied", 8)]
                                                  for u in units[1:]}}
    for unit, parts in spreads.items():
        ticket = await pool.fetchval(INSERT_TICKET, unit, when)
        n = 0
        for satisfaction, count in parts:
            for _ in range(count):
                await pool.execute(INSERT_RESULT, ticket, n, satisfaction, unit, when + timedelta(minutes=n))
                n += 1
    admin = await tokens.make(Role.ADMIN)
    report = await _report(client, admin, **{"from": "2026-03-01", "to": "2026-03-31"})
    items = {i["unit_id"]: i for i in report["units"]["items"]}
    assert set(items) == set(units) and "卡方" in report["units"]["test"] and "Bonferroni" in report["units"]["test"]
    top = items[units[0]]
    assert top["flagged"] and top["direction"] == "better" and top["satisfaction_rate"] == 1.0
    assert top["p_value"] < 0.01 / 4 and top["df"] == 2
    assert not any(items[u]["flagged"] for u in units[1:])
    nanjing = await tokens.make(Role.SUPERVISOR, area_code="320100")
    assert (await _report(client, nanjing, **{"from": "2026-03-01", "to": "2026-03-31"}))["units"]["items"] == []
    assert (await client.get("/api/v1/reports/quality", params={"area": "320682"}, headers=nanjing)).status == 403
