"""Reports off the primary: lag-tolerant read-only report queries on a streaming replica.

With `DATABASE_REPLICA_URL` set, the report handlers decorated with `lag_tolerant` (rates,
overdue worklist, escalation and linkage reports, disputes report) read from the replica
while it is usable, and from the primary otherwise. Usable means: the last check, every
`replica_check_seconds`, succeeded recently; the server is a standby (pg_is_in_recovery);
and its lag is within `replica_max_lag_seconds`.

The lag is an upper bound on how old the replica's data may be. Each check reads the
primary's WAL position first (pg_current_wal_lsn), then the replica's replay position
(pg_last_wal_replay_lsn): a replica that has replayed up to that position holds everything
committed before the check began, so its lag is 0 and the check's start is remembered as
the last time it was caught up. Otherwise the lag is the smaller of the time since then and
the age of the last transaction it replayed (now - pg_last_xact_replay_timestamp()). Between
checks the lag may exceed the bound by up to one check interval.

A report that fails on the replica with a connection error (the replica stopped between two
checks) marks it unusable and runs again on the primary in the same request; a query the
standby cancelled (conflict with recovery, SQLSTATE 40001) or refused (a write, 25006) also runs
again on the primary.
"""
from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from dataclasses import dataclass

import asyncpg
from aiohttp import web

from hotline import db, keys

log = logging.getLogger(__name__)

APPLICATION_NAME = "hotline-reports"  # the replica's pg_stat_activity shows the service's report readers
PRIMARY_LSN = "SELECT pg_current_wal_lsn()"  # asyncpg speaks pg_lsn as an int
REPLICA_STATE = """
SELECT pg_is_in_recovery() AS standby,
       pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn()) AS behind_bytes,
       extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8 AS since_replay
"""
# The replica is gone or restarting: run the report on the primary instead.
UNREACHABLE = (asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError, asyncpg.InterfaceError,
               asyncpg.AdminShutdownError, asyncpg.exceptions._base.InternalClientError, ConnectionError, OSError,
               asyncio.TimeoutError)
# The standby cancelled the query (conflict with recovery), or the report tried to write (a standby is
# read-only): the primary answers it.
PRIMARY_ONLY = (asyncpg.SerializationError, asyncpg.ReadOnlySQLTransactionError)


@dataclass
class ReplicaState:
    usable: bool = False
    lag: float | None = None        # seconds, the bound described above
    checked_at: float = 0.0         # monotonic time of the last successful check
    caught_up_at: float | None = None
    detail: str = "not checked yet"


class Replica:
    """The replica's pool and whether reports may read from it now."""

    def __init__(self, url: str, *, max_lag: float, check_every: float) -> None:
        self.url, self.max_lag, self.check_every = url, max_lag, check_every
        self.pool: asyncpg.Pool | None = None
        self.state = ReplicaState()
        self.reads = 0          # reports answered by the replica
        self.fallbacks = 0      # lag-tolerant reports answered by the primary (replica unusable, failed, or not for it)

    async def open(self) -> None:
        """A pool that connects on first use: a replica down at start-up must not stop the service."""
        self.pool = await db.create_pool(self.url, min_size=0, max_size=5, connect_timeout=2.0,
                                         server_settings={"application_name": APPLICATION_NAME})

    @property
    def usable(self) -> bool:
        s = self.state
        fresh = time.monotonic() - s.checked_at <= max(3 * self.check_every, 2.0)
        return s.usable and fresh and self.pool is not None

    def failed(self, exc: BaseException, what: str = "unreachable") -> None:
        """A report (or a check) could not read from the replica: primary until the next good check."""
        if self.state.usable or not self.state.detail.startswith(what):
            log.warning("report replica %s (%s: %s): reports read from the primary", what, type(exc).__name__, exc)
        self.state.usable, self.state.detail = False, f"{what}: {type(exc).__name__}"

    async def check(self, primary: asyncpg.Pool) -> ReplicaState:
        """Measure the lag against the primary and decide whether reports may use the replica."""
        started = time.monotonic()
        try:
            lsn = await primary.fetchval(PRIMARY_LSN)
            row = await asyncio.wait_for(self.pool.fetchrow(REPLICA_STATE, lsn), timeout=max(self.check_every, 1.0))
        except Exception as exc:  # primary or replica unreachable: no replica reads until a good check
            self.failed(exc, "check failed")
            return self.state
        s = self.state
        if not row["standby"]:
            s.usable, s.detail = False, "not a standby (promoted?): reports read from the primary"
            s.checked_at = time.monotonic()
            return s
        if row["behind_bytes"] is not None and row["behind_bytes"] <= 0:
            s.caught_up_at, lag = started, 0.0
        else:
            bounds = [time.monotonic() - s.caught_up_at] if s.caught_up_at is not None else []
            if row["since_replay"] is not None:
                bounds.append(max(row["since_replay"], 0.0))
            lag = min(bounds) if bounds else float("inf")
        was = s.usable
        s.lag, s.checked_at = lag, time.monotonic()
        s.usable = lag <= self.max_lag
        s.detail = f"lag {lag:.1f} s" + ("" if s.usable else f" > {self.max_lag:g} s: reports read from the primary")
        if s.usable != was:
            log.info("report replica %s (%s)", "in use" if s.usable else "not used", s.detail)
        return s

    async def run(self, primary: asyncpg.Pool, stop: asyncio.Event) -> None:
        """check() every check_every seconds until stop."""
        while not stop.is_set():
            await self.check(primary)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), self.check_every)


REPLICA = web.AppKey("report_replica", Replica)
READ_POOL = web.RequestKey("read_pool", asyncpg.Pool)


def read_pool(request: web.Request) -> asyncpg.Pool:
    """The pool a lag-tolerant report reads from in this request (the primary outside lag_tolerant)."""
    return request.get(READ_POOL) or request.app[keys.POOL]


def on_replica(request: web.Request) -> bool:
    """True when this request's report reads from the replica (it then must not write)."""
    return read_pool(request) is not request.app[keys.POOL]


def primary_only(request: web.Request) -> asyncpg.Pool:
    """Inside a lag_tolerant handler: this report reads the primary after all (it writes, or needs what a
    replica may lack); returns the primary's pool."""
    request[READ_POOL] = request.app[keys.POOL]
    return request[READ_POOL]


def lag_tolerant(handler):
    """A report handler whose reads may lag: on the replica when usable, else (or on failure) the primary."""
    @functools.wraps(handler)
    async def run(request: web.Request) -> web.StreamResponse:
        replica = request.app.get(REPLICA)
        if replica is None or not replica.usable:
            if replica is not None:
                replica.fallbacks += 1
            return await handler(request)
        request[READ_POOL] = replica.pool
        try:
            response = await handler(request)
            if on_replica(request):
                replica.reads += 1
            else:
                replica.fallbacks += 1
            return response
        except UNREACHABLE as exc:
            replica.failed(exc)
        except PRIMARY_ONLY as exc:
            log.info("report refused by the replica (%s); asking the primary", exc)
        request[READ_POOL] = request.app[keys.POOL]
        replica.fallbacks += 1
        return await handler(request)
    return run


def readiness(app: web.Application) -> dict | None:
    """/ready's view of the replica (informational: the primary answers every report when it is not usable)."""
    replica = app.get(REPLICA)
    if replica is None:
        return None
    s, usable = replica.state, replica.usable
    lag = None if s.lag is None or s.lag == float("inf") else round(s.lag, 3)
    if usable:
        detail = f"报表读只读副本，延迟约 {lag} 秒（上限 {replica.max_lag:g} 秒）"
    else:
        detail = f"只读副本未使用（{s.detail}），报表改由主库查询"
    return {"ok": usable, "detail": detail, "lag_seconds": lag, "max_lag_seconds": replica.max_lag}


@contextlib.asynccontextmanager
async def watched(app: web.Application):
    """While the app runs: the replica's pool and its lag check, when DATABASE_REPLICA_URL is set
    (entered by hotline.resources.postgres_ctx once the primary's pool is open)."""
    settings = app[keys.SETTINGS]
    if not settings.database_replica_url:
        yield
        return
    replica = Replica(settings.database_replica_url, max_lag=settings.replica_max_lag_seconds,
                      check_every=settings.replica_check_seconds)
    await replica.open()
    app[REPLICA] = replica
    await replica.check(app[keys.POOL])
    log.info("report replica configured (%s)", replica.state.detail)
    stop = asyncio.Event()
    task = asyncio.create_task(replica.run(app[keys.POOL], stop))
    try:
        yield
    finally:
        stop.set()
        await task
        await replica.pool.close()
