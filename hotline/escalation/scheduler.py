"""APScheduler inside the service: the escalation sweep, every sweep_interval_seconds.

The periodic jobs (escalation sweep, disputes sweep, hotspot detector, rollup fold) run only in the
leader, the one process of all nodes holding the leader lease (hotline.escalation.leader).
Each sweep run also takes the sweep lease (hotline.escalation.lease), so two processes
never sweep at once even while leadership changes hands; a process that does not get it
skips the run. If Valkey is unreachable the run goes ahead (setting
`sweep_when_valkey_down`, default on): PostgreSQL alone keeps every step exactly
once, the lease only saves duplicate work. max_instances=1 and coalesce=True keep a
slow sweep from piling up runs in one process.
"""
from __future__ import annotations

import asyncio
import logging
from aiohttp import web

from hotline import keys, wallclock

from hotline.escalation.leader import Leadership
from hotline.escalation.lease import Lease, LeaseState
from hotline.escalation.sweep import SweepResult, sweep
from hotline.reports.rollup import fold_job

log = logging.getLogger(__name__)

JOB_ID = "escalation-sweep"
STOP_GRACE_SECONDS = 10.0


class SweepRunner:
    """One sweep at a time under the lease; stops between batches on shutdown or lease loss."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.stopping = asyncio.Event()
        self.current: asyncio.Task | None = None
        self.last: SweepResult | None = None
        self.runs = 0

    async def run_once(self) -> SweepResult | None:
        """Sweep now if the lease allows; None when another process holds it."""
        settings = self.app[keys.SETTINGS]
        lease = Lease(self.app[keys.REDIS], ttl=settings.sweep_lease_ttl_seconds)
        state = await lease.acquire()
        if state is LeaseState.BUSY:
            log.debug("escalation sweep skipped: lease held by %s", await lease.holder())
            return None
        if state is LeaseState.UNAVAILABLE and not settings.sweep_when_valkey_down:
            log.warning("escalation sweep skipped: valkey unavailable and sweep_when_valkey_down is off")
            return None
        stop = asyncio.Event()
        watcher = asyncio.create_task(self._mirror(stop))
        self.current = asyncio.current_task()
        try:
            kwargs = dict(batch=settings.sweep_batch, notifier=self.app.get(keys.NOTIFIER), stop=stop,
                          keep_records=False)
            if state is LeaseState.HELD:
                async with lease.keep_alive(on_lost=stop.set):
                    result = await sweep(self.app[keys.POOL], wallclock.now(self.app), **kwargs)
            else:
                result = await sweep(self.app[keys.POOL], wallclock.now(self.app), **kwargs)
        finally:
            watcher.cancel()
            self.current = None
        self.last, self.runs = result, self.runs + 1
        return result

    async def _mirror(self, stop: asyncio.Event) -> None:
        await self.stopping.wait()
        stop.set()

    async def job(self) -> None:
        """The scheduled job: never raises into APScheduler (errors are logged)."""
        try:
            await self.run_once()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("escalation sweep failed; the next run retries (nothing partial was committed)")

    async def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Let a running sweep finish its batch, then cancel it (the batch rolls back)."""
        self.stopping.set()
        task = self.current
        if task is not None and not task.done():
            done, _ = await asyncio.wait({task}, timeout=grace)
            if not done:
                task.cancel()
                await asyncio.wait({task}, timeout=grace)


def _led(leadership: Leadership, job):
    """The job, run only while this process leads."""
    async def run(*args) -> None:
        if leadership.leads:
            await job(*args)
    return run


async def scheduler_ctx(app: web.Application):
    """Start the scheduler with the app and stop it on cleanup (disabled by scheduler_enabled=False)."""
    settings = app[keys.SETTINGS]
    if not settings.scheduler_enabled:
        yield
        return
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    leadership = Leadership(app[keys.REDIS], settings.sweep_lease_ttl_seconds,
                            run_when_unavailable=settings.sweep_when_valkey_down)
    stop_leading = asyncio.Event()
    leading = asyncio.create_task(leadership.run(stop_leading))
    runner = SweepRunner(app)
    scheduler = AsyncIOScheduler(timezone="Asia/Shanghai")
    scheduler.add_job(_led(leadership, runner.job), "interval", seconds=settings.sweep_interval_seconds, id=JOB_ID,
                      max_instances=1, coalesce=True, misfire_grace_time=max(int(settings.sweep_interval_seconds), 1))
    from hotline.disputes.scheduled import job as disputes_job

    scheduler.add_job(_led(leadership, disputes_job), "interval", args=[app], seconds=settings.sweep_interval_seconds,
                      id="disputes-sweep", max_instances=1, coalesce=True)
    from hotline.hotspots.detect import run as hotspots_job

    scheduler.add_job(_led(leadership, hotspots_job), "interval", args=[app], seconds=settings.hotspot_interval_seconds,
                      id="hotspots", max_instances=1, coalesce=True)
    scheduler.add_job(_led(leadership, fold_job), "interval", args=[app[keys.POOL]],
                      seconds=settings.rollup_interval_seconds, id="rollup-fold", max_instances=1, coalesce=True)
    scheduler.start()
    log.info("escalation sweep scheduled every %ss (in the leader)", settings.sweep_interval_seconds)
    try:
        yield
    finally:
        await runner.stop()
        scheduler.shutdown(wait=False)
        stop_leading.set()  # releases the leader lease: another process leads at once
        await leading
        await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the next loop turn
