"""The worker supervisor on real forked processes: back-off, and giving up loudly on a crash loop."""
from __future__ import annotations

import multiprocessing
import os
import signal
import time

import pytest

from hotline.supervise import Backoff, GaveUp, Workers, supervise


def _crash() -> None:
    os._exit(3)


def _sleep() -> None:
    time.sleep(60)


def test_backoff_doubles_while_dying_young_and_resets_after_a_healthy_run():
    b = Backoff(first=0.5, cap=4.0, healthy_after=30.0)
    assert [b.next_delay(1.0) for _ in range(6)] == [0.0, 0.5, 1.0, 2.0, 4.0, 4.0]
    assert b.next_delay(31.0) == 0.0


def test_crash_looping_worker_is_given_up_on_loudly(caplog):
    ctx = multiprocessing.get_context("fork")
    pool = Workers(ctx, _crash, (), 1, max_restarts=3, window=60.0,
                   backoff=lambda: Backoff(first=0.05, cap=0.2))
    started = time.monotonic()
    with caplog.at_level("INFO", logger="hotline.supervise"):
        code = supervise(pool, None, interval=0.02)
    assert code == 1
    assert time.monotonic() - started < 10
    assert any(r.levelname == "CRITICAL" and "giving up" in r.getMessage() for r in caplog.records)
    assert sum("restarting in" in r.getMessage() for r in caplog.records) == 3


def test_sigkilled_worker_is_replaced_and_the_others_left_alone():
    ctx = multiprocessing.get_context("fork")
    pool = Workers(ctx, _sleep, (), 2, max_restarts=3)
    pool.start()
    try:
        first, second = pool.pids()
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and first in pool.pids():
            pool.poll()
            time.sleep(0.02)
        pids = pool.pids()
        assert len(pids) == 2 and first not in pids and second in pids
    finally:
        pool.stop(grace=2)
    assert all(s.process is None or not s.process.is_alive() for s in pool.slots)


def test_gave_up_is_an_error_not_a_silent_exit():
    with pytest.raises(GaveUp):
        ctx = multiprocessing.get_context("fork")
        pool = Workers(ctx, _crash, (), 1, max_restarts=0)
        pool.start()
        pool.slots[0].process.join(5)
        pool.poll()
