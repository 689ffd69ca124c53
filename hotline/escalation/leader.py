"""One leader among every worker of every node: the process that runs the periodic jobs.

Several `hotline serve` nodes (each with N workers) share PostgreSQL and Valkey. The
leader holds the Valkey lease LEADER_KEY (hotline.escalation.lease) and renews it every
ttl/3; the others try to take it every ttl/3. Only the leader runs the escalation sweep,
the disputes sweep, the hotspot detector and the rollup fold. A leader that dies stops renewing: the key
expires after the ttl and another process leads from its next try, so a SIGKILLed leader
is replaced within ttl + ttl/3. A leader that stops cleanly releases the lease at once.

As before, the lease saves duplicate work and PostgreSQL keeps every step exactly once,
so while Valkey cannot be asked the jobs run anyway (setting sweep_when_valkey_down) and a
moment with two leaders (a stalled leader that has not noticed its loss yet) is harmless.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging

from hotline.escalation.lease import Lease, LeaseState

log = logging.getLogger(__name__)

LEADER_KEY = "hotline:lease:leader"


class Leadership:
    """This process's view of the leader lease, kept current by run()."""

    def __init__(self, redis, ttl: float, *, run_when_unavailable: bool = True, key: str = LEADER_KEY) -> None:
        self.lease = Lease(redis, key, ttl=ttl)
        self.every = max(ttl / 3, 0.05)
        self.run_when_unavailable = run_when_unavailable
        self.state = LeaseState.BUSY  # until the first try

    @property
    def leads(self) -> bool:
        """True when the periodic jobs are to run in this process."""
        return self.state is LeaseState.HELD or (self.state is LeaseState.UNAVAILABLE and self.run_when_unavailable)

    async def step(self) -> LeaseState:
        """Renew the lease when held, else try to take it; returns the new state."""
        before = self.state
        if before is LeaseState.HELD:
            renewed = await self.lease.renew()
            if renewed is True:
                return self.state
            # False: expired or taken (we stalled past the ttl); None: Valkey cannot be asked
            log.warning("leader lease %s: this process no longer leads", "lost" if renewed is False else "unknown")
            self.state = LeaseState.BUSY if renewed is False else LeaseState.UNAVAILABLE
            if renewed is None:
                return self.state
        self.state = await self.lease.acquire()
        if self.state is LeaseState.BUSY and await self.lease.holder() == self.lease.token:
            # still ours from before Valkey stopped answering: lead on rather than wait for it to expire
            self.state = LeaseState.HELD if await self.lease.renew() else LeaseState.BUSY
        if self.state is LeaseState.HELD:
            log.info("this process leads the periodic jobs (lease %s, ttl %.1f s)", self.lease.token,
                     self.lease.ttl_ms / 1000)
        return self.state

    async def run(self, stop: asyncio.Event) -> None:
        """step() every ttl/3 until stop; then release the lease so another process leads at once."""
        try:
            while not stop.is_set():
                try:
                    await self.step()
                except Exception:  # never let the loop die: the next step tries again
                    log.exception("leader lease step failed")
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.every)
        finally:
            if self.state is LeaseState.HELD:
                await self.lease.release()
                self.state = LeaseState.BUSY
