"""Fault benchmark: bounded intake load against `hotline serve --workers 2` while PostgreSQL,
Valkey and a worker are SIGKILLed in turn.

Clients file tickets one after another and send the same Idempotency-Key again until they get a
201, as real callers do. After the run the database is checked: every acknowledged ticket must
be stored with the id it was given (lost = 0) and no key may have produced two tickets
(duplicated = 0). Per fault it prints the answers during the fault's phase (201 / 503 / other
5xx / no answer), the time until the server or worker was back, and the time back to service:
from the kill to the first 201 after the last failed attempt of the phase (0 when none failed).

    PYTHONPATH=. python bench/bench_faults.py [--concurrency 16] [--phase 12] [--rounds 1]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.faultkit import Load, Service, alive  # noqa: E402
from hotline.embedded import _valkey_ping  # noqa: E402

TARGET_SECONDS = 10.0


@dataclass
class Phase:
    fault: str
    t_kill: float
    t_end: float = 0.0
    server_back: float | None = None   # the killed process replaced and answering
    counts: Counter | None = None
    back: float | None = None          # time back to service for intake


def _kill_postgres(svc: Service):
    pid, port = svc.pg_pid_port()
    os.kill(pid, signal.SIGKILL)

    def back() -> bool:
        try:
            new_pid, new_port = svc.pg_pid_port()
        except (OSError, ValueError, IndexError):
            return False
        return new_pid != pid and new_port == port and _accepts(svc.dsn())
    return back


def _accepts(dsn: str) -> bool:
    """PostgreSQL answers a query (its port opens before crash recovery is over)."""
    import asyncpg

    async def probe() -> bool:
        try:
            conn = await asyncpg.connect(dsn, timeout=0.5)
        except (OSError, asyncpg.PostgresError, asyncio.TimeoutError):
            return False
        try:
            return await conn.fetchval("SELECT 1") == 1
        finally:
            await conn.close()
    return asyncio.run(probe())


def _kill_valkey(svc: Service):
    pid, port = svc.valkey_pid(), svc.valkey_port()
    os.kill(pid, signal.SIGKILL)

    def back() -> bool:
        try:
            return svc.valkey_pid() != pid and svc.valkey_port() == port and _valkey_ping(port)
        except (OSError, ValueError):
            return False
    return back


def _kill_worker(svc: Service):
    victim = svc.worker_pids()[0]
    os.kill(victim, signal.SIGKILL)
    return lambda: not alive(victim) and len(svc.worker_pids()) == svc.workers_n


FAULTS = {"PostgreSQL": _kill_postgres, "Valkey": _kill_valkey, "worker": _kill_worker}


def back_to_service(load: Load, t0: float, t1: float) -> float | None:
    """Seconds from t0 to the first 201 after the last failed attempt in [t0, t1)."""
    window = load.between(t0, t1)
    failed = [a.at for a in window if a.status != 201]
    if not failed:
        return 0.0
    ok = [a.at for a in window if a.at > max(failed) and a.status == 201]
    return min(ok) - t0 if ok else None


async def run(args) -> int:
    state = Path(tempfile.mkdtemp(prefix="hotline-bench-faults-"))
    svc = Service(state, workers=args.workers).start()
    print(f"serve --workers {args.workers} on {svc.url}; load: {args.concurrency} clients, "
          f"{args.phase:.0f} s per fault, {args.rounds} round(s)", flush=True)
    load = Load(svc.url, svc.tokens["agent"], concurrency=args.concurrency)
    task = asyncio.create_task(load.run_for())
    phases: list[Phase] = []
    try:
        await asyncio.sleep(args.warmup)
        t_base = time.monotonic()
        for _ in range(args.rounds):
            for name, kill in FAULTS.items():
                phase = Phase(name, time.monotonic())
                is_back = await asyncio.to_thread(kill, svc)
                while time.monotonic() - phase.t_kill < args.phase:
                    if phase.server_back is None and await asyncio.to_thread(is_back):
                        phase.server_back = time.monotonic() - phase.t_kill
                    await asyncio.sleep(0.05)
                phase.t_end = time.monotonic()
                phases.append(phase)
                print(f"  {name} killed: back after {phase.server_back}", flush=True)
        baseline = load.between(t_base - args.warmup + 1.0, t_base)
    finally:
        load.stop.set()
        await task
    counts = await load.check_database(svc.dsn())
    code = svc.stop()
    for p in phases:
        p.counts = Counter(a.status for a in load.between(p.t_kill, p.t_end))
        p.back = back_to_service(load, p.t_kill, p.t_end)
    report(load, phases, counts, baseline, args, code, svc)
    if args.keep:
        print(f"state kept in {state}")
    else:
        shutil.rmtree(state, ignore_errors=True)
    ok = counts["lost"] == 0 and counts["duplicated"] == 0 and all(
        p.back is not None and p.back < TARGET_SECONDS and p.server_back is not None for p in phases)
    return 0 if ok else 1


def _fmt(v: float | None) -> str:
    return "never" if v is None else f"{v:.2f} s"


def report(load: Load, phases: list[Phase], counts: dict, baseline, args, code, svc) -> None:
    total = Counter(a.status for a in load.attempts)
    other_5xx = sum(n for s, n in total.items() if s is not None and s >= 500 and s != 503)
    rate = len(baseline) / max(args.warmup - 1.0, 0.1)
    print()
    print(f"attempts {len(load.attempts)} ({dict(total)}); baseline before the first fault {rate:.0f} req/s")
    print(f"tickets: acknowledged {counts['acknowledged']}, stored {counts['stored']}, "
          f"lost {counts['lost']}, duplicated {counts['duplicated']}")
    print(f"5xx: 503 {total.get(503, 0)}, other 5xx {other_5xx}; no answer (reset/refused/timeout) "
          f"{total.get(None, 0)}; serve exit code at the end {code}")
    print()
    print("| fault (SIGKILL) | process back after | intake back to service after | 201 | 503 | other 5xx | no answer |")
    print("|---|---|---|---|---|---|---|")
    for p in phases:
        c = p.counts
        other = sum(n for s, n in c.items() if s is not None and s >= 500 and s != 503)
        print(f"| {p.fault} | {_fmt(p.server_back)} | {_fmt(p.back)} | {c.get(201, 0)} | {c.get(503, 0)} | "
              f"{other} | {c.get(None, 0)} |")
    restarts = [line.split(" hotline.supervise: ", 1)[-1] for line in svc.log().splitlines()
                if "hotline.supervise" in line and ("restarted" in line or "died" in line)]
    if restarts:
        print()
        print("supervisor log:")
        for line in restarts:
            print("  " + line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--phase", type=float, default=12.0, help="seconds of load after each kill")
    parser.add_argument("--warmup", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=1, help="how many times to run the three kills")
    parser.add_argument("--keep", action="store_true", help="keep the state dir (logs, database)")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
