"""Two `hotline serve` nodes sharing one PostgreSQL and one Valkey (issue #21, item 14).

Each node is a real `hotline serve --workers 2` process with a state dir of its own (as
on two machines), joined to the session's embedded servers through DATABASE_URL and
REDIS_URL (its own database, its own Valkey database number). Checked here: a hot swap
of the classifier made on node A is served by node B; an event caused on node A reaches a
supervisor's event stream opened on node B; one sweep leader at a time, and after a
SIGKILL of the leader's node the other node leads (and sweeps) within a lease.
The nodes are killed in the fixture's finally, whatever happened.
"""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp
import asyncpg
import pytest
import redis.asyncio as aioredis

from bench.faultkit import Service, alive, wait_until
from hotline.auth import create_token
from models.enums import Role

LEASE_TTL = 2.0
VALKEY_DB = 9          # the nodes' Valkey database: the other tests' keys and streams stay apart
NODE_ENV = {"HOTLINE_SWEEP_INTERVAL_SECONDS": "0.5", "HOTLINE_SWEEP_LEASE_TTL_SECONDS": str(LEASE_TTL),
            "HOTLINE_CLASSIFIER_POLL_SECONDS": "0.5", "HOTLINE_ROLLUP_INTERVAL_SECONDS": "1",
            "HOTLINE_SSE_HEARTBEAT_SECONDS": "1"}


@pytest.fixture(scope="module")
async def shared(servers, own_database):
    """The nodes' database (migrated, seeded) and Valkey database, and one token per role."""
    redis_url = servers.redis_url.rsplit("/", 1)[0] + f"/{VALKEY_DB}"
    redis = aioredis.from_url(redis_url, decode_responses=True)
    await redis.flushdb()
    conn = await asyncpg.connect(own_database)
    try:
        tokens = {"agent": (await create_token(conn, Role.AGENT))[1],
                  "admin": (await create_token(conn, Role.ADMIN))[1],
                  "supervisor": (await create_token(conn, Role.SUPERVISOR, area_code="320682"))[1]}
    finally:
        await conn.close()
    yield {"database_url": own_database, "redis_url": redis_url, "redis": redis,
           "tokens": {k: {"Authorization": f"Bearer {v}"} for k, v in tokens.items()}}
    await redis.aclose()


@pytest.fixture(scope="module")
def nodes(shared):
    """Nodes A and B, started side by side; every process they ran is killed at the end."""
    env = {"DATABASE_URL": shared["database_url"], "REDIS_URL": shared["redis_url"], **NODE_ENV}
    states = [Path(tempfile.mkdtemp(prefix=f"hotline-node{n}-")) for n in "ab"]
    pair = [Service(state, workers=2, env=env, demo=False) for state in states]
    seen: set[int] = set()
    try:
        t0 = time.monotonic()
        for node in pair:
            node.launch()
        for node in pair:
            node.wait_ready(timeout=120)
            seen.update(node.tree())
        print(f"two nodes up in {time.monotonic() - t0:.1f} s")
        yield pair, seen
    finally:
        for node in pair:
            seen.update(node.tree())
            node.stop(timeout=20)
            node.kill_tree()
        for pid in seen:  # workers orphaned by a killed parent are no longer in its tree
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        for state in states:
            shutil.rmtree(state, ignore_errors=True)


async def _json(session: aiohttp.ClientSession, method: str, url: str, headers: dict, body=None):
    async with session.request(method, url, json=body, headers=headers) as r:
        return r.status, await r.json()


async def _versions(session, node: Service, admin: dict, n: int = 12) -> Counter:
    """The classifier version as n requests see it (they land on either worker of the node)."""
    seen = Counter()
    for _ in range(n):
        async with aiohttp.ClientSession() as fresh:  # a new connection each time: another worker may answer
            status, body = await _json(fresh, "GET", node.url + "/api/v1/admin/classifier", admin)
        seen[body["version"]] += 1
    return seen


def _deploy_model(state: Path, version: str) -> Path:
    """What an operator does on each node before a swap: the new version's files under <state>/models."""
    import classifier

    src = Path(classifier.__file__).resolve().parent / "model"
    dst = state / "models" / f"{version}-nodes"
    shutil.copytree(src, dst)
    meta = json.loads((dst / "metadata.json").read_text())
    meta["version"] = dst.name
    (dst / "metadata.json").write_text(json.dumps(meta, ensure_ascii=False))
    return dst


async def test_classifier_swap_on_node_a_is_served_by_node_b(nodes, shared):
    (a, b), _ = nodes
    admin = shared["tokens"]["admin"]
    async with aiohttp.ClientSession() as s:
        status, info = await _json(s, "GET", a.url + "/api/v1/admin/classifier", admin)
        assert status == 200 and info["loaded"], info
        new_a, _new_b = _deploy_model(a.state, info["version"]), _deploy_model(b.state, info["version"])
        status, body = await _json(s, "POST", a.url + "/api/v1/admin/classifier/reload", admin,
                                   {"model_dir": str(new_a)})
        assert status == 200 and body["version"] == new_a.name, body
        t0 = time.monotonic()
        while True:
            seen = {node.url: await _versions(s, node, admin) for node in (a, b)}
            if all(v == Counter({new_a.name: 12}) for v in seen.values()) or time.monotonic() - t0 > 10:
                break
            await asyncio.sleep(0.3)
    print(f"classifier swap on node A served by both nodes after {time.monotonic() - t0:.1f} s")
    assert all(v == Counter({new_a.name: 12}) for v in seen.values()), (seen, b.log()[-1500:])


class EventStream:
    """A supervisor's escalation feed opened on one node, collected in the background."""

    def __init__(self, node: Service, headers: dict) -> None:
        self.node, self.headers = node, headers
        self.events: list[dict] = []
        self.connected = asyncio.Event()
        self.task: asyncio.Task | None = None

    async def _read(self) -> None:
        timeout = aiohttp.ClientTimeout(total=None, sock_read=10)
        async with aiohttp.ClientSession(timeout=timeout) as s:
            async with s.get(self.node.url + "/api/v1/reports/escalations/stream", headers=self.headers) as r:
                assert r.status == 200, await r.text()
                async for raw in r.content:
                    line = raw.decode().rstrip("\n")
                    if line.startswith(": connected"):
                        self.connected.set()
                    elif line.startswith("data: "):
                        self.events.append(json.loads(line[6:]))

    async def __aenter__(self) -> "EventStream":
        self.task = asyncio.create_task(self._read())
        await asyncio.wait_for(self.connected.wait(), 10)
        return self

    async def __aexit__(self, *exc) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)

    async def wait_for(self, predicate, timeout: float = 10.0) -> dict | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = next((e for e in self.events if predicate(e)), None)
            if found is not None:
                return found
            if self.task.done():
                self.task.result()
            await asyncio.sleep(0.05)
        return None


async def _due_ticket(session, node: Service, shared) -> int:
    """A ticket filed and dispatched through `node`, then made long overdue (its escalation is due)."""
    agent = shared["tokens"]["agent"]
    status, t = await _json(session, "POST", node.url + "/api/v1/tickets", agent, {
        "channel": "phone", "content": "多节点演练：小区门口路灯不亮已经一个月", "area_code": "320682"})
    assert status == 201, t
    if t["status"] != "dispatched":  # the classifier was not sure: dispatch by hand
        status, body = await _json(session, "POST", f"{node.url}/api/v1/tickets/{t['id']}/dispatch", agent,
                                   {"category": "城市管理/占道经营", "unit_code": "320682-urban_mgmt"})
        assert status == 200, body
    conn = await asyncpg.connect(shared["database_url"])
    try:
        await conn.execute("UPDATE tickets SET dispatched_at = now() - interval '20 days', "
                           "sign_by = now() - interval '20 days', reply_by = now() - interval '15 days', "
                           "next_escalation_at = now() - interval '1 minute' WHERE id = $1", t["id"])
    finally:
        await conn.close()
    return t["id"]


async def test_events_caused_on_one_node_reach_streams_opened_on_the_other(nodes, shared):
    (a, b), _ = nodes
    supervisor, agent = shared["tokens"]["supervisor"], shared["tokens"]["agent"]
    async with EventStream(a, supervisor) as on_a, EventStream(b, supervisor) as on_b, \
            aiohttp.ClientSession() as s:
        # a request on node A: a high-risk dispute alerts the supervisors at once
        status, case = await _json(s, "POST", a.url + "/api/v1/disputes/cases", agent, {
            "source": "walk_in", "address": "如皋市白蒲镇李家村", "area_code": "320682",
            "summary": "多节点演练：两家因宅基地地界争执多年，昨天一方喝酒后拿着菜刀扬言要砍死对方",
            "parties": [{"role": "applicant", "name": "李某", "phone": "13800001111"}]})
        assert status == 201 and case["risk"] in ("high", "major"), case
        t0 = time.monotonic()
        alert = await on_b.wait_for(lambda e: e.get("case_no") == case["case_no"])
        print(f"risk alert caused on node A reached node B's stream after {time.monotonic() - t0:.2f} s")
        assert alert is not None and alert["step"] == "risk_alert", on_b.events
        assert await on_a.wait_for(lambda e: e.get("case_no") == case["case_no"]) is not None
        # the sweep leader (either node) escalates a due ticket filed through node A: both streams see it
        tid = await _due_ticket(s, a, shared)
        step = await on_b.wait_for(lambda e: e.get("ticket_id") == str(tid), timeout=10)
        assert step is not None, (on_b.events, a.log()[-1500:])
        assert await on_a.wait_for(lambda e: e.get("ticket_id") == str(tid)) is not None


def _pid_of(holder: str | None) -> int | None:
    """The process holding the leader lease (its token is host:pid:random)."""
    return int(holder.split(":")[-2]) if holder else None


async def test_one_leader_and_the_other_node_takes_over_after_sigkill(nodes, shared):
    from hotline.escalation.leader import LEADER_KEY

    pair, seen = nodes
    redis = shared["redis"]
    holders = []
    for _ in range(20):  # over 2 s: one holder all along, a worker of one of the nodes
        holders.append(await redis.get(LEADER_KEY))
        await asyncio.sleep(0.1)
    assert len(set(holders)) == 1 and holders[0], holders
    leader_pid = _pid_of(holders[0])
    leader = next((n for n in pair if leader_pid in n.worker_pids()), None)
    assert leader is not None, (holders[0], [n.tree() for n in pair])
    other = pair[1] if leader is pair[0] else pair[0]
    victims = leader.tree()
    seen.update(victims)

    # the node dies without a word: its main process and the leading worker SIGKILLed together (the
    # lease is not released); the node's other worker must not live on as an orphan
    for pid in (leader.proc.pid, leader_pid):
        os.kill(pid, signal.SIGKILL)
    t_kill = time.monotonic()
    took = None
    while time.monotonic() - t_kill < 4 * LEASE_TTL:
        if _pid_of(await redis.get(LEADER_KEY)) in other.worker_pids():
            took = time.monotonic() - t_kill
            break
        await asyncio.sleep(0.02)
    print(f"leader node SIGKILLed: the other node leads after {took} s (lease ttl {LEASE_TTL} s, "
          f"tries every {LEASE_TTL / 3:.2f} s)")
    assert took is not None and took <= LEASE_TTL * 4 / 3 + 1.0, (took, await redis.get(LEADER_KEY))
    gone = await asyncio.to_thread(wait_until, lambda: not any(alive(p) for p in victims), 5.0)
    assert gone is not None, f"workers outlived their killed parent: {[p for p in victims if alive(p)]}"
    # the new leader sweeps: a ticket that falls due now is escalated
    async with aiohttp.ClientSession() as s:
        tid = await _due_ticket(s, other, shared)
    conn = await asyncpg.connect(shared["database_url"])
    try:
        t0 = time.monotonic()
        while time.monotonic() - t0 < 10:
            if await conn.fetchval("SELECT count(*) FROM escalations WHERE ticket_id = $1", tid):
                break
            await asyncio.sleep(0.1)
        steps = await conn.fetchval("SELECT count(*) FROM escalations WHERE ticket_id = $1", tid)
    finally:
        await conn.close()
    assert steps >= 1, other.log()[-1500:]
    assert other.proc.poll() is None and len(other.worker_pids()) == 2
