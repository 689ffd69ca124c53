"""A circuit breaker for Valkey calls on the request path.

Valkey is optional for a request (rate counts fall back to the process, stream
notifications stay in ticket_events), so a request must never wait long for it.
Each call gets a short timeout; a timeout, or `threshold` errors in a row, opens
the breaker and calls fail at once. After `cooldown` seconds a probe (a PING, in
the background: no request waits for it) decides: success closes the breaker,
failure keeps it open for another cooldown. A frozen Valkey (SIGSTOP: the kernel
still accepts connections, nothing answers) costs the requests of one batch one
timeout, and nothing after that.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Awaitable, Callable, TypeVar

from redis.exceptions import RedisError

log = logging.getLogger(__name__)

T = TypeVar("T")


class ValkeyUnavailable(RedisError):
    """The call failed or timed out, or was not made at all (skipped: the breaker is open)."""

    def __init__(self, reason: str, skipped: bool = False) -> None:
        super().__init__(reason)
        self.skipped = skipped


class Breaker:
    """Closed -> open after `threshold` failures; a probe after `cooldown` s decides what next."""

    def __init__(self, probe: Callable[[], Awaitable] | None = None, *, timeout: float = 0.25, threshold: int = 3,
                 cooldown: float = 2.0) -> None:
        self.probe = probe  # without one, a real call is let through as the probe
        self.timeout, self.threshold, self.cooldown = timeout, threshold, cooldown
        self.failures = 0
        self.open_until = 0.0
        self.probing = False
        self.opened = 0   # times the breaker opened (diagnostics)
        self._probe_task: asyncio.Task | None = None

    @property
    def is_open(self) -> bool:
        return self.failures >= self.threshold

    def state(self) -> str:
        if not self.is_open:
            return "closed"
        return "open" if time.monotonic() < self.open_until else "half-open"

    async def call(self, fn: Callable[[], Awaitable[T]]) -> T:
        """fn() within the timeout, or ValkeyUnavailable at once while the breaker is open."""
        probe = False
        if self.is_open:
            if time.monotonic() >= self.open_until and self.probe is not None:
                self._start_probe()
            if time.monotonic() < self.open_until or self.probing or self.probe is not None:
                raise ValkeyUnavailable("circuit open", skipped=True)
            self.probing = probe = True
        try:
            result = await asyncio.wait_for(fn(), self.timeout)
        except (RedisError, OSError, asyncio.TimeoutError) as exc:
            self._failed(exc)
            raise ValkeyUnavailable(type(exc).__name__) from exc
        finally:
            if probe:
                self.probing = False
        self._succeeded()
        return result

    def _succeeded(self) -> None:
        if self.failures:
            if self.is_open:
                log.warning("valkey answers again: circuit closed")
            self.failures = 0

    def _start_probe(self) -> None:
        if self._probe_task is None or self._probe_task.done():
            self.open_until = time.monotonic() + self.cooldown  # no second probe while this one runs
            self._probe_task = asyncio.get_running_loop().create_task(self._run_probe())

    async def _run_probe(self) -> None:
        try:
            await asyncio.wait_for(self.probe(), self.timeout)
        except (RedisError, OSError, asyncio.TimeoutError) as exc:
            self._failed(exc)
        except Exception as exc:  # noqa: BLE001 - a probe must never kill the loop's task silently
            log.warning("valkey probe failed unexpectedly: %r", exc)
            self._failed(exc)
        else:
            self._succeeded()

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, asyncio.TimeoutError):
            self.failures = max(self.failures, self.threshold - 1)  # no answer within the timeout: open now
        self.failures += 1
        if self.failures >= self.threshold:
            if self.failures == self.threshold:
                self.opened += 1
                log.warning("valkey failing (%s): circuit open, calls skipped for %.1f s", type(exc).__name__,
                            self.cooldown)
            self.open_until = time.monotonic() + self.cooldown
