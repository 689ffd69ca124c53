"""The escalation sweep on real PostgreSQL/Valkey with an injected clock.

These tests sweep at times of their choosing, which would escalate any other
test's tickets that happen to be due then; so they run in their own database.
"""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient, TestServer

from hotline import db, keys
from hotline.escalation.lease import Lease, LeaseState
from hotline.escalation.scheduler import SweepRunner
from hotline.escalation.sweep import ESCALATION_STREAM, sweep
from hotline.errors import ApiError
from hotline.notify import Notifier
from hotline.tickets.assign import assign
from hotline.workflow import service as workflow_service, steps as workflow_steps
from hotline.workflow.raising import raise_ticket
from models.enums import Tier
from routing.escalation import Step, StepCode

TZ = ZoneInfo("Asia/Shanghai")
RUGAO_UNIT = "320682-urban_mgmt"      # 如皋市城市管理局 (county)
NANTONG_UNIT = "320600-urban_mgmt"    # 南通市城市管理局 (city)
PROVINCE_UNIT = "320000-urban_mgmt"


def at(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


def mine(res, tid: int) -> list[str]:
    """The steps a sweep applied to one ticket."""
    return [r["step"] for r in res.records if r["ticket_id"] == tid]


@pytest.fixture(scope="module")
async def esc_url(own_database):
    """A database of its own: these tests sweep at invented times."""
    return own_database


@pytest.fixture(scope="module")
async def esc_pool(esc_url):
    pool = await db.create_pool(esc_url, min_size=1, max_size=6)
    yield pool
    await pool.close()


INSERT = """
INSERT INTO tickets (ticket_no, channel, requester_type, title, content, area_code, province_code, city_code,
                     county_code, urgency, status, category_class, created_at)
VALUES ('E' || lpad(nextval('ticket_no_seq')::text, 12, '0'), 'phone', 'citizen', '路灯不亮', '小区路灯坏了一个月没人修',
        $1, $2, $3, $4, $5, 'dispatched', $6, $7)
RETURNING id
"""


async def new_ticket(pool, start: datetime, *, unit: str = RUGAO_UNIT, urgency: str = "normal",
                     category_class: str = "ordinary") -> int:
    """A ticket dispatched to `unit` at `start` (its clock starts then)."""
    async with pool.acquire() as conn, conn.transaction():
        u = await conn.fetchrow("SELECT u.area_code, u.tier::text AS tier, a.level::text AS level FROM units u "
                                "JOIN areas a ON a.code = u.area_code WHERE u.code = $1", unit)
        chain = {r["level"]: r["code"] for r in await conn.fetch(
            "WITH RECURSIVE c AS (SELECT code, level, parent_code FROM areas WHERE code = $1 UNION ALL "
            "SELECT a.code, a.level, a.parent_code FROM areas a JOIN c ON a.code = c.parent_code) "
            "SELECT code, level::text AS level FROM c", u["area_code"])}
        tid = await conn.fetchval(INSERT, u["area_code"], chain.get("province"), chain.get("city"),
                                  chain.get("county"), urgency, category_class, start)
        await assign(conn, tid, lead_code=unit, support_codes=(), tier=u["tier"], urgency=urgency,
                     category_class=category_class, now=start)
    return tid


async def steps_of(pool, tid: int) -> list[tuple[str, str]]:
    rows = await pool.fetch("SELECT tier::text, step FROM escalations WHERE ticket_id = $1 ORDER BY id", tid)
    return [(r["tier"], r["step"]) for r in rows]


async def events_of(pool, tid: int) -> list[str]:
    rows = await pool.fetch("SELECT action FROM ticket_events WHERE ticket_id = $1 ORDER BY id", tid)
    return [r["action"] for r in rows]


async def ticket(pool, tid: int):
    return await pool.fetchrow(
        "SELECT t.*, t.tier::text AS tier_s, u.code AS unit_code FROM tickets t JOIN units u ON u.id = t.unit_id "
        "WHERE t.id = $1", tid)


async def test_partial_index_serves_the_sweep_query(esc_pool):
    from hotline.escalation.service import CLAIM

    async with esc_pool.acquire() as conn, conn.transaction():
        # A tiny table: steer away from the alternatives to show that the partial index applies
        # (its predicate is implied by `<= $1`); bench/bench_sweep.py shows the choice at 1M rows.
        for knob in ("seqscan", "bitmapscan", "sort"):
            await conn.execute(f"SET LOCAL enable_{knob} = off")
        plan = "\n".join(r[0] for r in await conn.fetch("EXPLAIN " + CLAIM.replace("$1", "now()")
                                                        .replace("$2", "500")))
    assert "tickets_next_escalation" in plan, plan


async def test_county_ticket_is_warned_chased_supervised_and_raised_once_each(esc_pool):
    start = at(2026, 6, 1, 10)                     # Monday; 5 working days → Mon 06-08 23:59:59
    tid = await new_ticket(esc_pool, start)
    t0 = await ticket(esc_pool, tid)
    assert t0["reply_by"] == at(2026, 6, 8, 23, 59, 59)
    applied = []
    now = at(2026, 6, 1)
    while now < at(2026, 6, 20):                   # every 3 hours for 19 days, each step once
        res = await sweep(esc_pool, now)
        applied += [(r["tier"], r["step"], now) for r in res.records if r["ticket_id"] == tid]
        assert mine(await sweep(esc_pool, now), tid) == []                   # re-run at the same time: nothing
        now += timedelta(hours=3)
    assert [(t, s) for t, s, _ in applied] == [("county", "warn"), ("county", "chase"), ("county", "supervise"),
                                               ("county", "raise"), ("city", "warn")]
    when = {s: n for t, s, n in applied if t == "county"}
    assert at(2026, 6, 5) < when["warn"] < at(2026, 6, 8)                # 80 % of the handling time
    assert when["chase"] == at(2026, 6, 9, 0)                             # first sweep after the deadline
    assert when["supervise"] == at(2026, 6, 10, 0)                        # deadline + 1 working day
    assert when["raise"] == at(2026, 6, 13, 0)                            # + 3 more working days (Fri 23:59:59)
    assert await steps_of(esc_pool, tid) == [(t, s) for t, s, _ in applied]
    events = await events_of(esc_pool, tid)
    assert [e for e in events if e in {"warn", "chase", "supervise", "raise"}] == \
        ["warn", "chase", "supervise", "raise", "warn"]

    t1 = await ticket(esc_pool, tid)
    assert (t1["unit_code"], t1["tier_s"], t1["status"]) == (NANTONG_UNIT, "city", "dispatched")
    assert t1["escalation_count"] == 1 and t1["escalation_steps"] == ["warn"]
    assert t1["dispatched_at"] == when["raise"] and t1["reply_by"] == at(2026, 6, 22, 23, 59, 59)  # 端午 06-19
    reasons = {r["action"]: r["reason"] for r in await esc_pool.fetch(
        "SELECT action, reason FROM ticket_events WHERE ticket_id = $1 ORDER BY id DESC", tid)}  # first wins
    assert "县级热线提醒承办单位如皋市城市管理局" in reasons["warn"]
    assert "县级热线催促承办单位如皋市城市管理局" in reasons["chase"]
    assert "由市级热线督办部门督办县级承办单位如皋市城市管理局" in reasons["supervise"]
    assert "提级至市级南通市城市管理局" in reasons["raise"]
    assert await esc_pool.fetchval("SELECT reason FROM ticket_events WHERE ticket_id = $1 AND action = 'warn' "
                                   "ORDER BY id DESC LIMIT 1", tid) == \
        "预警：市级热线提醒承办单位南通市城市管理局，办理时限将于 2026-06-22 23:59 届满"
    lead = await esc_pool.fetch("SELECT u.code FROM ticket_units tu JOIN units u ON u.id = tu.unit_id "
                                "WHERE tu.ticket_id = $1 AND tu.active AND tu.role = 'lead'", tid)
    assert [r["code"] for r in lead] == [NANTONG_UNIT]


async def test_raise_is_written_by_the_workflow_like_every_transition(esc_pool):
    """The sweep's 提级 is the workflow's `raise` action: state machine, status change, event, updated_at."""
    tid = await new_ticket(esc_pool, at(2026, 6, 1, 10))
    await esc_pool.execute("UPDATE tickets SET status = 'signed', signed_at = $2 WHERE id = $1", tid, at(2026, 6, 1, 11))
    await esc_pool.execute("UPDATE tickets SET status = 'in_progress' WHERE id = $1", tid)
    now = at(2026, 6, 13, 0)
    assert mine(await sweep(esc_pool, now), tid) == ["chase", "supervise", "raise"]
    event = await esc_pool.fetchrow("SELECT * FROM ticket_events WHERE ticket_id = $1 AND action = 'raise'", tid)
    assert (event["from_status"], event["to_status"], event["at"], event["actor_id"]) == \
        ("in_progress", "dispatched", now, None)
    assert event["data"]["to_unit_code"] == NANTONG_UNIT and event["data"]["new_tier"] == "city"
    t = await ticket(esc_pool, tid)
    assert (t["status"], t["updated_at"], t["signed_at"], t["escalation_count"]) == ("dispatched", now, None, 1)


async def test_raise_refused_by_the_state_machine_writes_nothing(esc_pool):
    """A ticket no longer open is not raised: the workflow's check answers 409 and nothing is stored."""
    tid = await new_ticket(esc_pool, at(2026, 6, 1, 10))
    await esc_pool.execute("UPDATE tickets SET status = 'signed' WHERE id = $1", tid)
    await esc_pool.execute("UPDATE tickets SET status = 'replied' WHERE id = $1", tid)
    step = Step(StepCode.RAISE, "提级", at(2026, 6, 12, 23, 59, 59), Tier.COUNTY, Tier.CITY)
    async with esc_pool.acquire() as conn, conn.transaction():
        with pytest.raises(ApiError) as refused:
            await raise_ticket(conn, tid, step, deadline=None, clock_start=at(2026, 6, 1, 10), unit_name="",
                               now=at(2026, 6, 13, 0))
    assert refused.value.status == 409
    assert await steps_of(esc_pool, tid) == [] and "raise" not in await events_of(esc_pool, tid)
    assert (await ticket(esc_pool, tid))["unit_code"] == RUGAO_UNIT


async def test_late_sweep_skips_the_warning_and_catches_up(esc_pool):
    tid = await new_ticket(esc_pool, at(2026, 6, 1, 10))
    res = await sweep(esc_pool, at(2026, 6, 10, 12))     # first look after chase and supervise are due
    assert [r["step"] for r in res.records if r["ticket_id"] == tid] == ["chase", "supervise"]
    t = await ticket(esc_pool, tid)
    assert t["escalation_steps"] == ["chase", "supervise"]
    assert t["next_escalation_at"] == at(2026, 6, 12, 23, 59, 59)        # the raise


async def test_national_day_and_make_up_saturday(esc_pool):
    # Tue 09-29: the working days after it are 09-30, 10-08, 10-09, 10-10 (调休 Saturday), 10-12.
    tid = await new_ticket(esc_pool, at(2026, 9, 29, 10))
    t = await ticket(esc_pool, tid)
    assert t["reply_by"] == at(2026, 10, 12, 23, 59, 59)
    for quiet in (at(2026, 10, 1, 12), at(2026, 10, 7, 23), at(2026, 10, 10, 20)):
        assert mine(await sweep(esc_pool, quiet), tid) == []
    warn_at = t["next_escalation_at"]
    assert warn_at.astimezone(TZ).date().isoformat() == "2026-10-10"     # warned on the make-up Saturday
    assert mine(await sweep(esc_pool, warn_at), tid) == ["warn"]
    assert mine(await sweep(esc_pool, at(2026, 10, 11, 23)), tid) == []       # Sunday: nothing
    assert mine(await sweep(esc_pool, at(2026, 10, 13, 0)), tid) == ["chase"]
    assert mine(await sweep(esc_pool, at(2026, 10, 14, 0)), tid) == ["supervise"]
    assert mine(await sweep(esc_pool, at(2026, 10, 16, 23)), tid) == []
    assert mine(await sweep(esc_pool, at(2026, 10, 17, 0)), tid) == ["raise"]


async def _set(pool, tid, **cols):
    """Change pauses or extension days the way the workflow does: recompute the clock, store both."""
    async with pool.acquire() as conn, conn.transaction():
        row = await workflow_service.lock_ticket(conn, tid)
        c = workflow_steps.recompute(row, **cols)
        await workflow_service.update_ticket(conn, tid, {**cols, **workflow_steps.clock_fields(c)})
        return c


async def test_pause_and_resume_shift_the_steps(esc_pool):
    control = await new_ticket(esc_pool, at(2026, 6, 1, 10))
    tid = await new_ticket(esc_pool, at(2026, 6, 1, 10))
    # 补充材料: paused Tue 10:00, still open → nothing escalates.
    c = await _set(esc_pool, tid, pauses=[[at(2026, 6, 2, 10).isoformat(), None]])
    assert c.reply_by is None and (await ticket(esc_pool, tid))["next_escalation_at"] is None
    res = await sweep(esc_pool, at(2026, 6, 9, 1))
    assert {r["ticket_id"] for r in res.records} == {control}
    # Resumed Thu 10:00: two working days paused → deadline Wed 06-10 23:59:59.
    c = await _set(esc_pool, tid, pauses=[[at(2026, 6, 2, 10).isoformat(), at(2026, 6, 4, 10).isoformat()]])
    assert c.reply_by == at(2026, 6, 10, 23, 59, 59)
    assert [r["step"] for r in (await sweep(esc_pool, at(2026, 6, 10, 23))).records if r["ticket_id"] == tid] == \
        ["warn"]
    assert [r["step"] for r in (await sweep(esc_pool, at(2026, 6, 11, 0, 5))).records if r["ticket_id"] == tid] == \
        ["chase"]
    assert await steps_of(esc_pool, control) == [("county", "chase"), ("county", "supervise")]


async def test_approved_extension_moves_the_steps(esc_pool):
    tid = await new_ticket(esc_pool, at(2026, 6, 1, 10))
    assert [r["step"] for r in (await sweep(esc_pool, at(2026, 6, 8, 12))).records if r["ticket_id"] == tid] == \
        ["warn"]
    c = await _set(esc_pool, tid, extension_days=3)                    # 延期 3 working days approved
    assert c.reply_by == at(2026, 6, 11, 23, 59, 59)
    assert c.next_escalation_at == c.reply_by                          # warn already taken: next is chase
    assert mine(await sweep(esc_pool, at(2026, 6, 11, 23)), tid) == []
    res = await sweep(esc_pool, at(2026, 6, 12, 0, 1))
    assert [r["step"] for r in res.records if r["ticket_id"] == tid] == ["chase"]
    assert await steps_of(esc_pool, tid) == [("county", "warn"), ("county", "chase")]


async def test_two_concurrent_sweeps_apply_each_step_once(esc_pool, esc_url):
    ids = [await new_ticket(esc_pool, at(2026, 5, 6, 9) + timedelta(minutes=i)) for i in range(40)]
    other = await db.create_pool(esc_url, min_size=1, max_size=2)
    worked = {"a": 0, "b": 0}
    try:
        for now in (at(2026, 5, 12, 12), at(2026, 5, 14, 1), at(2026, 5, 15, 1), at(2026, 5, 20, 1)):
            a, b = await asyncio.gather(sweep(esc_pool, now, batch=3), sweep(other, now, batch=3))
            assert a.conflicts == b.conflicts == 0
            worked.update({"a": worked["a"] + a.claimed, "b": worked["b"] + b.claimed})
    finally:
        await other.close()
    rows = await esc_pool.fetch("SELECT ticket_id, tier::text, step, count(*) AS n FROM escalations "
                                "WHERE ticket_id = ANY($1) GROUP BY 1, 2, 3", ids)
    assert worked["a"] > 0 and worked["b"] > 0          # both sweepers took part
    assert all(r["n"] == 1 for r in rows)
    per_ticket = {i: sorted(s for t, s in [(r["tier"], r["step"]) for r in rows if r["ticket_id"] == i]) for i in ids}
    assert all(v == ["chase", "raise", "supervise", "warn"] for v in per_ticket.values()), per_ticket
    events = await esc_pool.fetchval("SELECT count(*) FROM ticket_events WHERE ticket_id = ANY($1) "
                                     "AND action IN ('warn', 'chase', 'supervise', 'raise')", ids)
    assert events == 4 * len(ids)
    assert await esc_pool.fetchval("SELECT count(*) FROM tickets WHERE id = ANY($1) AND tier = 'city' "
                                   "AND escalation_count = 1", ids) == len(ids)


async def test_unique_key_stops_a_repeat_when_the_ticket_forgot_its_steps(esc_pool):
    tid = await new_ticket(esc_pool, at(2026, 5, 6, 9))
    assert (await sweep(esc_pool, at(2026, 5, 13, 12))).steps["chase"] >= 1
    # A stale writer (old code, restored backup...) resets the steps: the database still refuses a repeat.
    await esc_pool.execute("UPDATE tickets SET escalation_steps = '{}', next_escalation_at = $2 WHERE id = $1",
                           tid, at(2026, 5, 1))
    res = await sweep(esc_pool, at(2026, 5, 13, 12))
    assert res.conflicts == 1 and not [r for r in res.records if r["ticket_id"] == tid]
    assert await steps_of(esc_pool, tid) == [("county", "chase")]
    assert (await events_of(esc_pool, tid)).count("chase") == 1
    assert (await ticket(esc_pool, tid))["escalation_steps"] == ["chase"]


async def _blocked_sweep(esc_pool, esc_url, now):
    """Start a sweep and hold it inside its transaction (ticket_events locked); returns (task, pid, locker)."""
    locker = await asyncpg.connect(esc_url)
    tx = locker.transaction()
    await tx.start()
    await locker.execute("LOCK TABLE ticket_events IN SHARE MODE")
    task = asyncio.create_task(sweep(esc_pool, now))
    for _ in range(200):
        pid = await locker.fetchval("SELECT pid FROM pg_locks WHERE relation = 'ticket_events'::regclass "
                                    "AND NOT granted")
        if pid:
            return task, pid, locker, tx
        await asyncio.sleep(0.02)
    rows = await locker.fetch("SELECT l.pid, l.relation::regclass::text AS rel, l.mode, l.granted FROM pg_locks l "
                              "WHERE l.relation IS NOT NULL AND NOT l.granted")
    raise AssertionError(f"sweep did not reach the events insert: {task.done() and task.result()} {rows}")


@pytest.mark.parametrize("kill", ["terminate", "cancel"])
async def test_sweeper_killed_mid_transaction_leaves_nothing_and_next_sweep_completes(esc_pool, esc_url, kill):
    tid = await new_ticket(esc_pool, at(2026, 4, 7, 9))
    now = at(2026, 4, 15, 12)
    before = await ticket(esc_pool, tid)
    task, pid, locker, tx = await _blocked_sweep(esc_pool, esc_url, now)
    # By now the escalations rows are inserted (uncommitted) and the sweep waits on the lock.
    if kill == "terminate":
        await locker.fetchval("SELECT pg_terminate_backend($1)", pid)
        with pytest.raises((asyncpg.PostgresError, asyncpg.InterfaceError, ConnectionError)):
            await task
    else:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    await tx.rollback()
    await locker.close()
    assert await steps_of(esc_pool, tid) == []
    after = await ticket(esc_pool, tid)
    assert (after["escalation_steps"], after["next_escalation_at"]) == (before["escalation_steps"],
                                                                        before["next_escalation_at"])
    res = await sweep(esc_pool, now)
    assert [r["step"] for r in res.records if r["ticket_id"] == tid] == ["chase"]
    assert await steps_of(esc_pool, tid) == [("county", "chase")]


async def test_calendar_range_error_skips_the_ticket_without_stopping_the_sweep(esc_pool, caplog):
    bad = await new_ticket(esc_pool, at(2026, 3, 2, 9))
    good = await new_ticket(esc_pool, at(2026, 3, 2, 9))
    # The ticket's clock now runs a dozen years ahead, beyond even the provisional calendar.
    await esc_pool.execute("UPDATE tickets SET extension_days = 3000 WHERE id = $1", bad)
    now = at(2026, 3, 10, 12)
    with caplog.at_level("WARNING"):
        res = await sweep(esc_pool, now)
    assert res.skipped == 1 and "CalendarRangeError" in caplog.text
    assert [r["step"] for r in res.records if r["ticket_id"] == good] == ["chase"]
    t = await ticket(esc_pool, bad)
    assert t["next_escalation_at"] > now and await steps_of(esc_pool, bad) == []   # retried later, not every run


async def test_closed_tickets_leave_the_sweep_index(esc_pool):
    tid = await new_ticket(esc_pool, at(2026, 2, 2, 9))
    for status in ("signed", "replied", "closed"):     # the paths the workflow allows
        await esc_pool.execute("UPDATE tickets SET status = $2 WHERE id = $1", tid, status)
    res = await sweep(esc_pool, at(2026, 2, 20))
    assert res.cleared >= 1 and (await ticket(esc_pool, tid))["next_escalation_at"] is None
    assert await steps_of(esc_pool, tid) == []


async def test_steps_are_announced_on_the_escalation_stream(esc_pool, servers):
    redis = aioredis.from_url(servers.redis_url, decode_responses=True)
    try:
        last = (await redis.xrevrange(ESCALATION_STREAM, count=1) or [("0-0", {})])[0][0]
        tid = await new_ticket(esc_pool, at(2026, 1, 5, 9))
        res = await sweep(esc_pool, at(2026, 1, 13, 1), notifier=Notifier(redis))
        assert res.published >= 1
        entries = await redis.xrange(ESCALATION_STREAM, min=f"({last}")
        mine = [f for _, f in entries if f["ticket_id"] == str(tid)]
        assert [f["step"] for f in mine] == ["chase"] and mine[0]["county_code"] == "320682"
    finally:
        await redis.aclose()
    # Valkey down: the steps are applied all the same.
    dead = aioredis.from_url("redis://127.0.0.1:1", socket_connect_timeout=0.2, socket_timeout=0.2)
    res = await sweep(esc_pool, at(2026, 1, 14, 1), notifier=Notifier(dead))
    assert res.steps["supervise"] >= 1 and res.publish_failed >= 1
    await dead.aclose()


# --- the lease -------------------------------------------------------------------------------------------

async def test_lease_one_holder_renewal_and_takeover_after_expiry(servers):
    redis = aioredis.from_url(servers.redis_url, decode_responses=True)
    key = f"hotline:test:lease:{id(redis)}"
    a, b = Lease(redis, key, ttl=0.4, owner="a"), Lease(redis, key, ttl=0.4, owner="b")
    try:
        assert await a.acquire() is LeaseState.HELD
        assert await b.acquire() is LeaseState.BUSY
        assert await b.release() is False and await a.holder() == a.token     # b cannot delete a's lease
        async with a.keep_alive(every=0.1):
            await asyncio.sleep(0.8)                                          # twice the ttl, kept alive
            assert await b.acquire() is LeaseState.BUSY
        assert await a.holder() is None                                       # released at the end
        assert await a.acquire() is LeaseState.HELD                           # a "dies": no renewals
        await asyncio.sleep(0.6)
        assert await b.acquire() is LeaseState.HELD                           # taken over after the ttl
        assert await a.renew() is False and await a.release() is False        # a's late calls are harmless
        assert await b.holder() == b.token
        assert await b.release() is True
    finally:
        await redis.delete(key)
        await redis.aclose()
    dead = aioredis.from_url("redis://127.0.0.1:1", socket_connect_timeout=0.2, socket_timeout=0.2)
    assert await Lease(dead, key).acquire() is LeaseState.UNAVAILABLE
    await dead.aclose()


async def test_one_leader_and_it_leads_on_after_a_valkey_outage(servers):
    from hotline.escalation.leader import Leadership

    redis = aioredis.from_url(servers.redis_url, decode_responses=True)
    dead = aioredis.from_url("redis://127.0.0.1:1", socket_connect_timeout=0.2, socket_timeout=0.2)
    key = f"hotline:test:leader:{id(redis)}"
    a, b = Leadership(redis, 5.0, key=key), Leadership(redis, 5.0, key=key, run_when_unavailable=False)
    try:
        assert await a.step() is LeaseState.HELD and a.leads
        assert await b.step() is LeaseState.BUSY and not b.leads
        a.lease.redis = dead                                  # Valkey stops answering a
        assert await a.step() is LeaseState.UNAVAILABLE and a.leads   # runs anyway (sweep_when_valkey_down)
        a.lease.redis = redis                                 # back: the key is still a's, a leads on at once
        assert await a.step() is LeaseState.HELD and await b.step() is LeaseState.BUSY
        stop = asyncio.Event()
        stop.set()
        await a.run(stop)                                     # a clean stop releases the lease ...
        assert await b.step() is LeaseState.HELD              # ... and the other leads at its next try
    finally:
        await redis.delete(key)
        await redis.aclose()
        await dead.aclose()


async def test_runner_skips_when_another_process_holds_the_lease_and_runs_when_valkey_is_down(
        esc_pool, settings, servers):
    tid = await new_ticket(esc_pool, at(2025, 12, 1, 9))
    now = at(2025, 12, 9, 1)
    redis = aioredis.from_url(servers.redis_url, decode_responses=True)
    s = settings.model_copy(update={"sweep_lease_ttl_seconds": 5})
    app = {keys.SETTINGS: s, keys.POOL: esc_pool, keys.REDIS: redis, keys.NOTIFIER: Notifier(redis),
           keys.CLOCK: lambda: now}
    other = Lease(redis, ttl=5, owner="other-process")
    try:
        assert await other.acquire() is LeaseState.HELD
        assert await SweepRunner(app).run_once() is None and await steps_of(esc_pool, tid) == []
        await other.release()
        res = await SweepRunner(app).run_once()
        assert res is not None and res.steps["chase"] >= 1
        assert await other.holder() is None                                  # the runner released it
    finally:
        await redis.aclose()
    dead = aioredis.from_url("redis://127.0.0.1:1", socket_connect_timeout=0.2, socket_timeout=0.2)
    app.update({keys.REDIS: dead, keys.NOTIFIER: Notifier(dead)})
    app[keys.CLOCK] = lambda: at(2025, 12, 10, 1)
    res = await SweepRunner(app).run_once()
    assert res is not None and res.steps["supervise"] >= 1
    await dead.aclose()


async def test_scheduler_runs_the_sweep_in_the_app_and_stops_cleanly(esc_pool, settings, servers):
    from aiohttp import web

    from hotline.escalation.scheduler import scheduler_ctx

    tid = await new_ticket(esc_pool, at(2025, 11, 3, 9))
    redis = aioredis.from_url(servers.redis_url, decode_responses=True)
    app = web.Application()      # only what scheduler_ctx needs (create_app also loads the classifiers)
    app[keys.SETTINGS] = settings.model_copy(update={"scheduler_enabled": True, "sweep_interval_seconds": 0.2})
    app.update({keys.POOL: esc_pool, keys.REDIS: redis, keys.NOTIFIER: Notifier(redis),
                keys.CLOCK: lambda: at(2025, 11, 11, 1)})
    app.cleanup_ctx.append(scheduler_ctx)
    async with TestClient(TestServer(app)):
        for _ in range(50):
            if await steps_of(esc_pool, tid):
                break
            await asyncio.sleep(0.1)
    assert await steps_of(esc_pool, tid) == [("county", "chase")]
    await redis.aclose()
