"""`hotline serve --workers 2` under real faults: a worker, PostgreSQL and Valkey SIGKILLed, Valkey SIGSTOPped.

Each test runs a bounded intake load (clients retry with the same Idempotency-Key,
as real callers do) while the fault happens, then checks that the service came back
by itself within RECOVERY seconds, answered no 500, and that every acknowledged
ticket is in the database exactly once.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import signal
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp
import pytest

from bench.faultkit import Load, Service, alive, wait_until

RECOVERY = 10.0


@pytest.fixture(scope="module")
def service():
    state = Path(tempfile.mkdtemp(prefix="hotline-faults-"))
    svc = Service(state, workers=2).start()
    yield svc
    code = svc.stop()
    log = svc.log()
    shutil.rmtree(state, ignore_errors=True)
    assert code == 0, log[-3000:]


async def _run_fault(svc: Service, fault, *, before: float = 1.0, after: float = 4.0, concurrency: int = 6):
    """Load before and after fault(); returns (load, time of the fault, time the load stopped)."""
    load = Load(svc.url, svc.tokens["agent"], concurrency=concurrency)
    task = asyncio.create_task(load.run_for())
    try:
        await asyncio.sleep(before)
        t_fault = time.monotonic()
        await asyncio.to_thread(fault)
        await asyncio.sleep(after)
    finally:
        load.stop.set()
        await task
    return load, t_fault, time.monotonic()


async def _check_no_loss(load: Load, svc: Service) -> dict:
    counts = await load.check_database(svc.dsn())
    assert counts["acknowledged"] > 0
    assert counts["lost"] == 0 and counts["duplicated"] == 0, counts
    return counts


def _statuses(attempts) -> Counter:
    return Counter(a.status for a in attempts)


async def _get_json(url: str, headers: dict | None = None) -> tuple[int, dict]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as s:
        async with s.get(url, headers=headers or {}) as r:
            return r.status, await r.json()


async def test_killed_worker_is_replaced_while_the_other_serves(service):
    before = service.worker_pids()
    assert len(before) == 2
    victim = before[0]
    load, t_kill, _ = await _run_fault(service, lambda: os.kill(victim, signal.SIGKILL), after=3.0)
    assert service.proc.poll() is None, "the parent must outlive a worker:\n" + service.log()[-2000:]
    took = await asyncio.to_thread(wait_until, lambda: len(service.worker_pids()) == 2 and victim not in
                                   service.worker_pids(), RECOVERY)
    assert took is not None, f"no replacement worker: {service.worker_pids()}\n{service.log()[-2000:]}"
    assert before[1] in service.worker_pids(), "the surviving worker must be left alone"
    statuses = _statuses(load.attempts)
    assert not [s for s in statuses if s is not None and s >= 500], statuses
    assert load.first_201_after(t_kill) is not None and load.first_201_after(t_kill) < 2.0
    await _check_no_loss(load, service)
    assert "restarting in" in service.log()


async def test_killed_postgres_is_restarted_on_its_port(service):
    pid, port = service.pg_pid_port()
    load, t_kill, _ = await _run_fault(service, lambda: os.kill(pid, signal.SIGKILL), after=RECOVERY)
    back = load.back_after(t_kill)
    statuses = _statuses(load.attempts)
    print(f"PostgreSQL SIGKILL: back after {back:.2f} s; {dict(statuses)}")
    print("\n".join(line for line in service.log().splitlines() if "embedded PostgreSQL" in line))
    assert back < RECOVERY - 2, f"{statuses}\n{service.log()[-2000:]}"
    assert statuses[201] > 0 and statuses[503] > 0, statuses
    new_pid, new_port = service.pg_pid_port()
    assert new_port == port and new_pid != pid
    assert 500 not in statuses, statuses
    assert set(statuses) <= {201, 503, None}, statuses
    await _check_no_loss(load, service)
    status, body = await _get_json(service.url + "/ready")
    assert status == 200 and body["checks"]["postgres"]["ok"], body


async def test_killed_valkey_is_restarted_on_its_port_and_intake_goes_on(service):
    pid, port = service.valkey_pid(), service.valkey_port()
    load, t_kill, t_end = await _run_fault(service, lambda: os.kill(pid, signal.SIGKILL), after=3.0)
    statuses = _statuses(load.attempts)
    assert set(statuses) == {201}, statuses
    assert load.first_201_after(t_kill) < 1.0
    took = await asyncio.to_thread(wait_until, lambda: _valkey_back(service, pid, port), RECOVERY)
    assert took is not None, service.log()[-2000:]
    deadline = time.monotonic() + RECOVERY
    while True:
        status, body = await _get_json(service.url + "/ready")
        if body["checks"]["valkey"]["ok"] or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    assert status == 200 and body["checks"]["valkey"]["ok"], body
    await _check_no_loss(load, service)


def _valkey_back(service: Service, old_pid: int, port: int) -> bool:
    from hotline.embedded import _valkey_ping

    try:
        return service.valkey_pid() != old_pid and service.valkey_port() == port and _valkey_ping(port)
    except (OSError, ValueError):
        return False


async def test_frozen_valkey_does_not_slow_intake(service):
    """SIGSTOP Valkey: connections are accepted by the kernel but never answered."""
    pid = service.valkey_pid()
    frozen = 4.0
    load = Load(service.url, service.tokens["agent"], concurrency=6)
    task = asyncio.create_task(load.run_for())
    try:
        await asyncio.sleep(2.0)
        t0 = time.monotonic()
        os.kill(pid, signal.SIGSTOP)
        await asyncio.sleep(1.0)
        status, body = await _get_json(service.url + "/ready")
        await asyncio.sleep(frozen - 1.0)
        t1 = time.monotonic()
    finally:
        os.kill(pid, signal.SIGCONT)
        load.stop.set()
        await task
    normal = load.between(t0 - 2.0, t0)
    during = load.between(t0, t1)
    p50_normal = statistics.median(a.latency for a in normal)
    p50_during = statistics.median(a.latency for a in during)
    rate_normal, rate_during = len(normal) / 2.0, len(during) / (t1 - t0)
    print(f"Valkey frozen: {rate_during:.0f}/s p50 {p50_during * 1000:.0f} ms "
          f"(before {rate_normal:.0f}/s p50 {p50_normal * 1000:.0f} ms)")
    assert _statuses(during) == Counter({201: len(during)}), _statuses(during)
    assert p50_during < 0.2, p50_during
    assert rate_during > 0.5 * rate_normal, (rate_during, rate_normal)
    assert status == 200 and body["status"] == "degraded" and body["checks"]["valkey"]["ok"] is False, body
    assert alive(pid), "a frozen Valkey is not dead: it must not be replaced"
    await _check_no_loss(load, service)


async def test_classifier_reload_reaches_every_worker_and_survives_restart(service):
    admin = {"Authorization": f"Bearer {service.tokens['admin']}"}
    status, info = await _get_json(service.url + "/api/v1/admin/classifier", admin)
    assert status == 200 and info["loaded"], info
    new_dir = _copy_model(service.state, info["version"])
    async with aiohttp.ClientSession() as s:
        async with s.post(service.url + "/api/v1/admin/classifier/reload", json={"model_dir": str(new_dir)},
                          headers=admin) as r:
            assert r.status == 200, await r.text()
            assert (await r.json())["version"] == new_dir.name
    # the workers poll the choice once a second, then load the model (a second or two on a busy machine)
    reloaded = time.monotonic()
    while True:
        versions = Counter([(await _get_json(service.url + "/api/v1/admin/classifier", admin))[1]["version"]
                            for _ in range(20)])
        if versions == Counter({new_dir.name: 20}) or time.monotonic() - reloaded > RECOVERY:
            break
        await asyncio.sleep(0.2)
    print(f"classifier reload reached every worker in {time.monotonic() - reloaded:.1f} s")
    assert versions == Counter({new_dir.name: 20}), versions + Counter(service.log().splitlines()[-30:])

    # a restarted worker and a restarted service serve the chosen version too
    victim = service.worker_pids()[0]
    os.kill(victim, signal.SIGKILL)
    assert await asyncio.to_thread(wait_until, lambda: len(service.worker_pids()) == 2, RECOVERY) is not None
    assert service.stop() == 0
    service.start()
    admin = {"Authorization": f"Bearer {service.tokens['admin']}"}
    versions = Counter([(await _get_json(service.url + "/api/v1/admin/classifier", admin))[1]["version"]
                        for _ in range(20)])
    assert versions == Counter({new_dir.name: 20}), versions


def _copy_model(state: Path, version: str) -> Path:
    """A second model version: the shipped artifact under a new version name (its hash covers the model file)."""
    import json

    from classifier.model import load_default  # noqa: F401  (the shipped model's location)
    import classifier

    src = Path(classifier.__file__).resolve().parent / "model"
    dst = state / "models" / f"{version}-b"
    shutil.copytree(src, dst)
    meta = json.loads((dst / "metadata.json").read_text())
    meta["version"] = dst.name
    (dst / "metadata.json").write_text(json.dumps(meta, ensure_ascii=False))
    return dst
