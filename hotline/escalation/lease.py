"""A lease in Valkey so that one process sweeps at a time.

    acquire: SET key token NX PX ttl          (only if nobody holds it)
    renew:   compare-and-PEXPIRE (Lua)        (only the holder extends it)
    release: compare-and-DEL (Lua)            (only the holder removes it)

A holder that dies stops renewing; the key expires after `ttl` and the next
process takes over. The lease is an optimisation, not the guarantee: the sweep
is correct with any number of concurrent sweepers (row locks with SKIP LOCKED and
the UNIQUE key on escalations), so when Valkey is down `acquire` answers
UNAVAILABLE and the scheduler sweeps anyway (setting sweep_when_valkey_down).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from enum import StrEnum
from typing import Callable

from redis.exceptions import RedisError

log = logging.getLogger(__name__)

SWEEP_LEASE_KEY = "hotline:lease:escalation-sweep"

RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


class LeaseState(StrEnum):
    HELD = "held"                # we hold it
    BUSY = "busy"                # another process holds it
    UNAVAILABLE = "unavailable"  # Valkey could not be asked


class Lease:
    """One holder at a time for `key`, for `ttl` seconds unless renewed."""

    def __init__(self, redis, key: str = SWEEP_LEASE_KEY, ttl: float = 30.0, owner: str | None = None) -> None:
        self.redis = redis
        self.key = key
        self.ttl_ms = max(int(ttl * 1000), 1)
        self.token = f"{owner or socket.gethostname()}:{os.getpid()}:{secrets.token_hex(8)}"
        self.lost = asyncio.Event()

    async def acquire(self) -> LeaseState:
        try:
            ok = await self.redis.set(self.key, self.token, nx=True, px=self.ttl_ms)
        except (RedisError, OSError) as exc:
            log.warning("lease %s: valkey unavailable (%s)", self.key, type(exc).__name__)
            return LeaseState.UNAVAILABLE
        if ok:
            self.lost.clear()
            return LeaseState.HELD
        return LeaseState.BUSY

    async def renew(self) -> bool | None:
        """True: extended; False: no longer ours (expired or taken); None: Valkey unreachable."""
        try:
            return bool(await self.redis.eval(RENEW, 1, self.key, self.token, self.ttl_ms))
        except (RedisError, OSError) as exc:
            log.warning("lease %s: renew failed (%s)", self.key, type(exc).__name__)
            return None

    async def release(self) -> bool:
        """Delete the key if it is still ours; never deletes another holder's lease."""
        try:
            return bool(await self.redis.eval(RELEASE, 1, self.key, self.token))
        except (RedisError, OSError) as exc:
            log.warning("lease %s: release failed (%s); it expires by itself", self.key, type(exc).__name__)
            return False

    async def holder(self) -> str | None:
        try:
            return await self.redis.get(self.key)
        except (RedisError, OSError):
            return None

    async def _keep_alive(self, every: float, on_lost: Callable[[], None] | None) -> None:
        while True:
            await asyncio.sleep(every)
            ok = await self.renew()
            if ok is False:
                log.warning("lease %s lost (expired or taken over)", self.key)
                self.lost.set()
                if on_lost is not None:
                    on_lost()
                return

    @contextlib.asynccontextmanager
    async def keep_alive(self, *, every: float | None = None, on_lost: Callable[[], None] | None = None):
        """Renew every ttl/3 while the block runs; release at the end."""
        task = asyncio.create_task(self._keep_alive(every or self.ttl_ms / 3000, on_lost))
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await self.release()
