"""Keep `hotline serve` up: restart dead workers and dead embedded servers.

The parent of `serve --workers N` forks the workers and then only watches. A worker
that dies is forked again after a back-off that doubles while it keeps dying young;
after too many restarts in a short time the parent gives up loudly (log CRITICAL,
exit 1) rather than crash-loop. The embedded PostgreSQL and Valkey started by this
process are restarted on the same port when they die, so the workers' URLs stay
valid: asyncpg's pool and redis-py reconnect by themselves. Everything is stopped
only when the service itself stops (SIGTERM/SIGINT to the parent).
"""
from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

log = logging.getLogger("hotline.supervise")


@dataclass
class Backoff:
    """Delays that double from `first` up to `cap`; a long healthy run resets them."""

    first: float = 0.5
    cap: float = 10.0
    healthy_after: float = 30.0
    failures: int = 0

    def next_delay(self, lived: float) -> float:
        """Delay before the next start, given how long the last run lived."""
        if lived >= self.healthy_after:
            self.failures = 0
        delay = 0.0 if self.failures == 0 else min(self.cap, self.first * 2 ** (self.failures - 1))
        self.failures += 1
        return delay


@dataclass
class Slot:
    """One worker position: its current process and its restart history."""

    index: int
    process: object | None = None
    started: float = 0.0
    due: float | None = None                     # when a dead worker is to be started again
    restarts: list[float] = field(default_factory=list)
    backoff: Backoff = field(default_factory=Backoff)


class GaveUp(RuntimeError):
    """A worker kept dying: the supervisor stopped restarting it."""


class Workers:
    """N forked worker processes, restarted when they die."""

    def __init__(self, ctx, target: Callable, args: tuple, n: int, *, max_restarts: int = 10,
                 window: float = 60.0, backoff: Callable[[], Backoff] = Backoff) -> None:
        self.ctx, self.target, self.args = ctx, target, args
        self.max_restarts, self.window = max_restarts, window
        self.slots = [Slot(i, backoff=backoff()) for i in range(n)]

    def start(self) -> None:
        for slot in self.slots:
            self._spawn(slot)

    def pids(self) -> list[int]:
        return [s.process.pid for s in self.slots if s.process is not None]

    def _spawn(self, slot: Slot) -> None:
        slot.process = self.ctx.Process(target=self.target, args=self.args, name=f"hotline-worker-{slot.index}",
                                        daemon=False)
        slot.process.start()
        slot.started, slot.due = time.monotonic(), None

    def poll(self) -> None:
        """Notice dead workers and start them again when their back-off is over; raises GaveUp."""
        now = time.monotonic()
        for slot in self.slots:
            p = slot.process
            if p is not None and not p.is_alive():
                p.join(0)
                lived = now - slot.started
                slot.restarts = [t for t in slot.restarts if now - t < self.window] + [now]
                if len(slot.restarts) > self.max_restarts:
                    raise GaveUp(f"worker {slot.index} died {len(slot.restarts)} times within "
                                 f"{self.window:.0f} s (last exit code {p.exitcode}); giving up")
                delay = slot.backoff.next_delay(lived)
                log.error("worker %d (pid %s) died with exit code %s after %.1f s; restarting in %.1f s",
                          slot.index, p.pid, p.exitcode, lived, delay)
                slot.process, slot.due = None, now + delay
            if slot.process is None and slot.due is not None and now >= slot.due:
                self._spawn(slot)
                log.info("worker %d restarted as pid %s", slot.index, slot.process.pid)

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM every worker (aiohttp shuts down gracefully), SIGKILL the ones still there after grace."""
        live = [s.process for s in self.slots if s.process is not None]
        for p in live:
            if p.is_alive():
                p.terminate()
        deadline = time.monotonic() + grace
        for p in live:
            p.join(max(0.1, deadline - time.monotonic()))
            if p.is_alive():
                p.kill()
                p.join()


class ServerWatch:
    """Restarts the embedded servers (objects with alive() and revive()) when they die."""

    def __init__(self, servers: dict[str, object], *, backoff_cap: float = 5.0) -> None:
        self.servers = {name: s for name, s in servers.items() if s is not None}
        self.backoff = {name: Backoff(first=0.2, cap=backoff_cap, healthy_after=10.0) for name in self.servers}
        self.due: dict[str, float] = {}
        self.down_since: dict[str, float] = {}
        self.revived: dict[str, int] = {name: 0 for name in self.servers}

    def check(self) -> None:
        """One look at every server; restart the dead ones whose back-off is over."""
        for name, server in self.servers.items():
            if server.alive():
                if name in self.down_since:
                    self.down_since.pop(name)
                    self.due.pop(name, None)
                continue
            now = time.monotonic()
            if name not in self.down_since:
                self.down_since[name] = now
                log.error("embedded %s is down; restarting it on port %s", name, server.port)
            if now < self.due.get(name, 0.0):
                continue
            try:
                server.revive()
            except Exception as exc:  # keep trying: the service answers 503 meanwhile
                delay = self.backoff[name].next_delay(0.0)
                self.due[name] = now + delay
                log.error("restarting embedded %s failed (%s); next try in %.1f s", name, exc, delay)
                continue
            self.revived[name] += 1
            log.warning("embedded %s restarted on port %s after %.1f s down", name, server.port,
                        time.monotonic() - self.down_since.pop(name))

    def run(self, stop: threading.Event, interval: float = 0.25) -> None:
        """check() every interval until stop is set."""
        while not stop.wait(interval):
            try:
                self.check()
            except Exception:
                log.exception("server watch failed")

    def thread(self) -> tuple[threading.Thread, threading.Event]:
        """The watch in a daemon thread (single-process serve); set the event to end it."""
        stop = threading.Event()
        t = threading.Thread(target=self.run, args=(stop,), name="server-watch", daemon=True)
        t.start()
        return t, stop


def supervise(workers: Workers, watch: ServerWatch | None, interval: float = 0.2) -> int:
    """Run until SIGTERM/SIGINT (exit 0) or until a worker is given up on (exit 1)."""
    stopping = False

    def _stop(signum, frame):
        nonlocal stopping
        stopping = True

    previous = {s: signal.signal(s, _stop) for s in (signal.SIGTERM, signal.SIGINT)}
    code = 0
    try:
        workers.start()
        log.info("worker processes: %s", ", ".join(map(str, workers.pids())))
        while not stopping:
            if watch is not None:
                watch.check()
            workers.poll()
            time.sleep(interval)
    except GaveUp as exc:
        log.critical("%s: stopping the service", exc)
        code = 1
    finally:
        workers.stop()
        for s, h in previous.items():
            signal.signal(s, h)
    return code
