"""Each rate's definition on a hand-built set of tickets whose right answers are known.

The tickets belong to a unit created by the test, and reports are filtered by
that unit, so other tests' tickets never interfere.
"""
from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from models.enums import Role

BJ = timezone(timedelta(hours=8))
MARCH = {"from": "2024-03-01", "to": "2024-03-31"}


def at(day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2024, 3, day, hour, minute, tzinfo=BJ)


async def new_unit(pool, area="320682", unit_type="test_rates") -> tuple[int, str]:
    code = f"t-{uuid.uuid4().hex[:10]}"
    uid = await pool.fetchval(
        "INSERT INTO units (code, name, unit_type, area_code, tier) VALUES ($1, $2, $3, $4, 'county') RETURNING id",
        code, f"测试单位{code[-4:]}", unit_type, area)
    return uid, code


async def ticket(pool, unit_id: int, *, county="320682", channel="phone", rtype="citizen",
                 dispatched=None, signed=None, replied=None, claimed=None) -> int:
    """A ticket moved through the same columns the workflow writes, at chosen times."""
    dispatched = dispatched or at(4)
    tid = await pool.fetchval("""
        INSERT INTO tickets (ticket_no, channel, requester_type, requester_org, title, content, area_code,
                             province_code, city_code, county_code, category_code, status, created_at)
        VALUES ('R' || nextval('ticket_no_seq'), $1, $2, $3, '测试', '测试诉求', $4, '320000', '320600', $4,
                'housing.property', 'received', $5) RETURNING id""",
        channel, rtype, "某公司" if rtype == "enterprise" else "", county, dispatched - timedelta(hours=1))
    await pool.execute("UPDATE tickets SET status = 'dispatched', unit_id = $2, dispatched_at = $3, sign_by = $4, "
                       "reply_by = $5 WHERE id = $1", tid, unit_id, dispatched, dispatched + timedelta(hours=2),
                       at(8, 18))
    if signed:
        await pool.execute("UPDATE tickets SET status = 'signed', signed_at = $2 WHERE id = $1", tid, signed)
    if replied:
        await pool.execute("UPDATE tickets SET status = 'replied', replied_at = $2, claimed_solved = $3 "
                           "WHERE id = $1", tid, replied, claimed)
    return tid


async def callback(pool, tid: int, unit_id: int, day: int, satisfaction=None, solved=None, rtype="citizen"):
    outcome = "reached" if satisfaction else "unreachable"
    await pool.execute("""
        INSERT INTO callback_results (ticket_id, round, outcome, via, satisfaction, solved, attempts, decision,
                                      unit_id, requester_type, at)
        VALUES ($1, 0, $2, 'phone', $3, $4, 1, 'close', $5, $6, $7)""",
        tid, outcome, satisfaction, solved, unit_id, rtype, at(day, 15))


@pytest.fixture(scope="module")
async def scenario(pool):
    """Five tickets of one unit dispatched on 2024-03-04 (the expected figures are in the tests)."""
    uid, code = await new_unit(pool)
    a = await ticket(pool, uid, signed=at(4, 11), replied=at(6), claimed=True)
    b = await ticket(pool, uid, signed=at(4, 13), replied=at(7), claimed=True)          # signed late
    c = await ticket(pool, uid, signed=at(4, 11, 30), replied=at(10), claimed=True)     # replied late
    d = await ticket(pool, uid)                                                         # returned, escalated
    e = await ticket(pool, uid, county="320612", channel="enterprise", rtype="enterprise",
                     signed=at(4, 11), replied=at(5), claimed=False)
    await callback(pool, a, uid, 6, "satisfied", True)
    await callback(pool, b, uid, 8, "basically_satisfied", False)
    await callback(pool, c, uid, 11, "unsatisfied", False)
    await callback(pool, e, uid, 6, rtype="enterprise")
    await pool.execute("INSERT INTO ticket_returns (ticket_id, unit_id, reason, at) VALUES ($1, $2, '非本单位职责', $3)",
                       d, uid, at(5))
    await pool.execute("INSERT INTO escalations (ticket_id, step, tier, by_tier, unit_id, due_at, at) "
                       "VALUES ($1, 'raise', 'county', 'city', $2, $3, $3)", d, uid, at(9))
    return {"unit_id": uid, "code": code, "tickets": [a, b, c, d, e]}


async def rates(client, headers, **params) -> dict:
    resp = await client.get("/api/v1/reports/rates", params=params, headers=headers)
    body = await resp.json()
    assert resp.status == 200, body
    return body


async def test_every_rate_by_its_definition(client, agent, scenario):
    body = await rates(client, agent, unit=scenario["code"], group_by="unit", **MARCH)
    [row] = body["rows"]
    assert row["key"] == str(scenario["unit_id"]) and row["label"].startswith("测试单位")
    counts = {k: row[k] for k in ("received", "dispatched", "signed", "signed_on_time", "replied", "replied_on_time",
                                  "claimed_solved", "overdue", "returned", "reopened", "escalated", "cb_reached",
                                  "cb_unreachable", "cb_satisfied", "cb_basic", "cb_unsatisfied", "cb_solved")}
    assert counts == {"received": 0, "dispatched": 5, "signed": 4, "signed_on_time": 3, "replied": 4,
                      "replied_on_time": 3, "claimed_solved": 3, "overdue": 2, "returned": 1, "reopened": 0,
                      "escalated": 1, "cb_reached": 3, "cb_unreachable": 1, "cb_satisfied": 1, "cb_basic": 1,
                      "cb_unsatisfied": 1, "cb_solved": 1}
    assert row["response_rate"] == 0.6             # signed within the limit / dispatched
    assert row["ontime_rate"] == 0.75              # replied within the limit / replied
    assert row["claimed_resolution_rate"] == 0.75  # units claiming solved / replied
    assert row["real_resolution_rate"] == 0.3333   # confirmed solved / reached on callback
    assert row["satisfaction_rate"] == 0.6667      # (满意 + 基本满意) / reached
    assert row["resolution_gap"] == pytest.approx(0.4167)
    assert row["return_rate"] == 0.2 and row["overdue_rate"] == 0.4 and row["reopen_rate"] == 0
    assert row["unreachable_rate"] == 0.25
    # composite with the default weights 0.2 / 0.4 / 0.4
    assert row["composite"] == pytest.approx(0.2 * 0.6 + 0.4 * 0.3333 + 0.4 * 0.6667, abs=1e-4)
    assert body["total"]["dispatched"] == 5 and body["weights"]["resolution"] == pytest.approx(0.4)


async def test_received_counts_before_any_unit_for_hotspots(client, agent, scenario):
    """受理量 counts on the day of intake, before dispatch: by area and category, not by unit."""
    areas = {r["key"]: r["received"] for r in (await rates(client, agent, group_by="area", area="320600",
                                                           **MARCH))["rows"]}
    assert areas == {"320682": 4, "320612": 1}
    cats = {r["key"]: r["received"] for r in (await rates(client, agent, group_by="category", area="320600",
                                                          **MARCH))["rows"]}
    assert cats == {"housing.property": 5}


async def test_by_requester_type_channel_and_area_rolled_up(client, agent, scenario):
    by_type = {r["key"]: r for r in (await rates(client, agent, unit=scenario["code"], group_by="requester_type",
                                                 **MARCH))["rows"]}
    assert by_type["enterprise"]["label"] == "企业" and by_type["enterprise"]["cb_unreachable"] == 1
    assert by_type["enterprise"]["claimed_resolution_rate"] == 0 and by_type["citizen"]["dispatched"] == 4
    by_channel = {r["key"]: r["dispatched"] for r in (await rates(
        client, agent, unit=scenario["code"], group_by="channel", **MARCH))["rows"]}
    assert by_channel == {"phone": 4, "enterprise": 1}
    counties = {r["key"]: r for r in (await rates(client, agent, unit=scenario["code"], group_by="area",
                                                  area="320600", **MARCH))["rows"]}
    assert {k: r["dispatched"] for k, r in counties.items()} == {"320682": 4, "320612": 1}
    assert counties["320682"]["label"] == "如皋市"
    province = (await rates(client, agent, unit=scenario["code"], group_by="area", area="320000", **MARCH))["rows"]
    assert [(r["key"], r["dispatched"], r["replied"]) for r in province] == [("320600", 5, 4)]
    assert (await rates(client, agent, unit=scenario["code"], group_by="area", **MARCH))["area"]["code"] == "320000"


async def test_periods_day_week_month(client, agent, scenario):
    days = {r["period"]: r for r in (await rates(client, agent, unit=scenario["code"], group_by="total",
                                                 period="day", **MARCH))["rows"]}
    assert days["2024-03-04"]["dispatched"] == 5 and days["2024-03-04"]["signed"] == 4  # dispatch-day cohort
    assert {d: r["replied"] for d, r in days.items() if r["replied"]} == {
        "2024-03-05": 1, "2024-03-06": 1, "2024-03-07": 1, "2024-03-10": 1}
    weeks = (await rates(client, agent, unit=scenario["code"], group_by="total", period="week", **MARCH))["rows"]
    assert [(r["period"], r["replied"], r["cb_reached"]) for r in weeks] == [("2024-03-04", 4, 2),
                                                                             ("2024-03-11", 0, 1)]
    months = (await rates(client, agent, unit=scenario["code"], group_by="unit", period="month", **MARCH))["rows"]
    assert [(r["period"], r["dispatched"]) for r in months] == [("2024-03-01", 5)]
    early = await rates(client, agent, unit=scenario["code"], group_by="unit", **{"from": "2024-03-01",
                                                                                     "to": "2024-03-06"})
    assert early["rows"][0]["replied"] == 2 and early["rows"][0]["cb_reached"] == 1


async def test_supervisors_are_scoped_to_their_subtree(client, tokens, scenario):
    tongzhou = await tokens.make(Role.SUPERVISOR, area_code="320612")
    body = await rates(client, tongzhou, unit=scenario["code"], group_by="unit", **MARCH)
    assert body["area"]["code"] == "320612" and body["rows"][0]["dispatched"] == 1
    nanjing = await tokens.make(Role.SUPERVISOR, area_code="320100")
    resp = await client.get("/api/v1/reports/rates", params={"area": "320600"}, headers=nanjing)
    assert resp.status == 403
    empty = await rates(client, nanjing, unit=scenario["code"], **MARCH)
    assert empty["rows"] == []
    handler = await tokens.make(Role.HANDLER, unit_id=scenario["unit_id"])
    assert (await client.get("/api/v1/reports/rates", headers=handler)).status == 403


async def test_bad_parameters_are_422(client, agent):
    for params in ({"group_by": "street"}, {"period": "year"}, {"from": "2024-03-10", "to": "2024-03-01"},
                   {"area": "999999"}, {"unit": "no-such-unit"}, {"from": "yesterday"}, {"colour": "red"}):
        resp = await client.get("/api/v1/reports/rates", params=params, headers=agent)
        assert resp.status == 422, params


async def test_csv_export(client, agent, scenario):
    resp = await client.get("/api/v1/reports/rates.csv", params={"unit": scenario["code"], "group_by": "area",
                                                                 "area": "320600", **MARCH}, headers=agent)
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in resp.headers["Content-Disposition"]
    raw = await resp.read()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["期间", "编码", "名称"] and "响应率" in rows[0] and "满意率" in rows[0]
    keys = rows[1]
    data = [dict(zip(keys, r)) for r in rows[2:]]
    assert {(d["key"], d["label"], d["dispatched"]) for d in data} == {("320612", "通州区", "1"),
                                                                       ("320682", "如皋市", "4")}
    rugao = next(d for d in data if d["key"] == "320682")
    assert float(rugao["response_rate"]) == 0.5 and float(rugao["satisfaction_rate"]) == 0.6667
    assert (await client.get("/api/v1/reports/rates.csv")).status == 401


async def test_reopen_path_counts_through_the_api(client, agent, tokens, pool):
    uid, code = await new_unit(pool)
    handler = await tokens.make(Role.HANDLER, unit_id=uid)
    body = {"channel": "web", "requester": {"name": "周先生", "phone": "13700000000"},
            "content": "物业费乱收费，投诉多次无果", "area_code": "320682"}
    t = await (await client.post("/api/v1/tickets", json=body, headers=agent)).json()
    tid = t["id"]
    steps = [(agent, "dispatch", {"category": "housing.property", "unit_code": code}), (handler, "sign", None),
             (handler, "reply", {"resolution": "已约谈物业", "claimed_solved": True})]
    for who, action, payload in steps:
        resp = await client.post(f"/api/v1/tickets/{tid}/{action}", json=payload, headers=who)
        assert resp.status == 200, await resp.json()
    resp = await client.post(f"/api/v1/tickets/{tid}/callback", headers=agent,
                             json={"reached": True, "satisfaction": "unsatisfied", "solved": "unsolved"})
    assert (await resp.json())["decision"] == "reopen"
    today = datetime.now(BJ).date()
    window = {"from": (today - timedelta(days=2)).isoformat(), "to": (today + timedelta(days=2)).isoformat()}
    body = await rates(client, agent, unit=code, group_by="unit", **window)
    [row] = body["rows"]
    assert (row["dispatched"], row["replied"], row["reopened"], row["claimed_solved"]) == (2, 1, 1, 1)
    assert row["reopen_rate"] == 1 and row["cb_unsatisfied"] == 1 and row["real_resolution_rate"] == 0
    assert row["resolution_gap"] == 1


async def test_statement_rollup_of_new_tickets_equals_the_row_function(pool):
    """Intake inserts several tickets per statement; the statement-level trigger must count them exactly
    as rollup_ticket_change() counts each row (plain new tickets grouped, unusual ones row by row)."""
    uid, _ = await new_unit(pool)  # a fresh unit: its deltas are only this test's, uncommitted
    count = "SELECT counter, sum(n)::int AS n FROM rate_rollup_delta WHERE unit_id = $1 GROUP BY counter"
    async with pool.acquire() as conn:
        tr = conn.transaction()
        await tr.start()
        try:
            ids = await conn.fetch("""
                INSERT INTO tickets (ticket_no, channel, requester_type, title, content, area_code, province_code,
                                     city_code, county_code, category_code, status, unit_id, dispatched_at,
                                     signed_at, replied_at, reply_by, claimed_solved, reopen_count, closed_at,
                                     created_at)
                SELECT 'S' || nextval('ticket_no_seq'), x.channel::channel, 'citizen', '批量', '批量统计测试',
                       x.county, '320000', '320600', x.county, 'housing.property', x.status::ticket_status, $1,
                       x.disp, x.signed, x.replied, x.reply_by, x.claimed, x.reopen, x.closed, $3
                FROM (VALUES
                    ('phone', '320682', 'dispatched', $2::timestamptz, NULL::timestamptz, NULL::timestamptz,
                     NULL::timestamptz, false, 0, NULL::timestamptz),
                    ('phone', '320682', 'dispatched', $2, NULL, NULL, NULL, false, 0, NULL),
                    ('web', '320612', 'triage', NULL, NULL, NULL, NULL, false, 0, NULL),
                    ('phone', '320682', 'closed', $2, $2, $4, $5, true, 0, $4),
                    ('app', '320682', 'replied', $2, $2, $4, $2, true, 1, NULL)
                ) AS x(channel, county, status, disp, signed, replied, reply_by, claimed, reopen, closed)
                RETURNING id""", uid, at(4, 10), at(4, 9), at(6), at(8, 18))
            by_trigger = {r["counter"]: r["n"] for r in await conn.fetch(count, uid)}
            shared = await conn.fetchval("SELECT count(*) FROM rate_rollup_delta WHERE unit_id = $1 "
                                         "AND counter = 'received' AND n = 2", uid)
            await conn.execute("SELECT rollup_ticket_change(NULL, t) FROM tickets t WHERE t.id = ANY($1::bigint[])",
                               [r["id"] for r in ids])
            doubled = {r["counter"]: r["n"] for r in await conn.fetch(count, uid)}
        finally:
            await tr.rollback()  # leave nothing behind
    assert by_trigger["received"] == 5 and by_trigger["dispatched"] == 4 and by_trigger["closed"] == 1
    assert by_trigger["reopened"] == 1 and by_trigger["replied"] == 2
    assert doubled == {k: 2 * v for k, v in by_trigger.items()}, "the row function counts the same"
    assert shared == 1, "the two plain tickets of the same day and dimensions share one delta row"
