"""A real `hotline serve` process to hurt, and a bounded intake load that keeps count.

Shared by tests/faults (a fault must be reproduced on the real service: real worker
processes, the real embedded PostgreSQL and Valkey, real signals) and
bench/bench_faults.py. The service runs from its own state dir with `--demo`, so it
has tokens; its output goes to a file (a pipe nobody reads would fill and block it).
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import psutil

from hotline.embedded import free_port

ROOT = Path(__file__).resolve().parent.parent


class Service:
    """`hotline serve --demo --workers N` on a free port, state in `state`."""

    def __init__(self, state: Path, workers: int = 2, port: int | None = None, env: dict | None = None,
                 demo: bool = True) -> None:
        """demo=False: no `--demo` (no demo tokens); with DATABASE_URL / REDIS_URL in env it joins those servers."""
        self.state, self.workers_n, self.demo = Path(state), workers, demo
        self.port = port or free_port()
        # the load is bounded by its clients; the per-token limit (1,200/min) would answer it 429
        self.extra_env = {"HOTLINE_RATE_LIMIT_PER_MINUTE": "1000000", **(env or {})}
        self.proc: subprocess.Popen | None = None
        self.log_path = self.state / "serve.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180.0) -> "Service":
        return self.launch().wait_ready(timeout)

    def launch(self) -> "Service":
        """Start the process without waiting (several nodes start side by side)."""
        self.state.mkdir(parents=True, exist_ok=True)
        self.state.chmod(0o755)
        (self.state / "demo-tokens.json").unlink(missing_ok=True)
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        env.update(HOTLINE_STATE_DIR=str(self.state), PYTHONUNBUFFERED="1", PYTHONPATH=str(ROOT), **self.extra_env)
        cmd = [sys.executable, "-m", "hotline.cli", "serve", *(["--demo"] if self.demo else []),
               "--port", str(self.port), "--workers", str(self.workers_n)]
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=str(ROOT))
        return self

    def wait_ready(self, timeout: float = 180.0) -> "Service":
        """Until the workers run and /health answers (and the demo tokens are written)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve exited with {self.proc.returncode}:\n{self.log()[-3000:]}")
            want = self.workers_n if self.workers_n > 1 else 0
            if (not self.demo or (self.state / "demo-tokens.json").exists()) and len(self.worker_pids()) == want and self._healthy():
                return self
            time.sleep(0.2)
        raise RuntimeError(f"serve not up within {timeout} s:\n{self.log()[-3000:]}")

    def _healthy(self) -> bool:
        import urllib.request

        try:
            with urllib.request.urlopen(self.url + "/health", timeout=1) as r:
                return r.status == 200
        except OSError:
            return False

    @property
    def tokens(self) -> dict:
        return json.loads((self.state / "demo-tokens.json").read_text())

    def worker_pids(self) -> list[int]:
        """The worker processes (children of the parent running Python)."""
        if self.proc is None or self.proc.poll() is not None:
            return []
        try:
            kids = psutil.Process(self.proc.pid).children()
        except psutil.NoSuchProcess:
            return []
        return sorted(k.pid for k in kids if "python" in k.name() and k.status() != psutil.STATUS_ZOMBIE)

    def pg_data(self) -> Path:
        loc = self.state / "postgres.location"
        home = Path(loc.read_text().strip()) if loc.exists() else self.state / "postgres"
        return home / "data"

    def pg_pid_port(self) -> tuple[int, int]:
        lines = (self.pg_data() / "postmaster.pid").read_text().splitlines()
        return int(lines[0]), int(lines[3])

    def dsn(self) -> str:
        pw = self.state / "postgres.password"
        auth = f"postgres:{pw.read_text().strip()}" if pw.exists() else "postgres"
        return f"postgresql://{auth}@127.0.0.1:{self.pg_pid_port()[1]}/hotline"

    def valkey_pid(self) -> int:
        return int((self.state / "valkey" / "valkey.pid").read_text().strip())

    def valkey_port(self) -> int:
        return int((self.state / "valkey" / "port").read_text().strip())

    def tree(self) -> list[int]:
        """The parent and every process below it."""
        try:
            parent = psutil.Process(self.proc.pid)
            return [parent.pid, *(c.pid for c in parent.children(recursive=True))]
        except (psutil.NoSuchProcess, AttributeError):
            return []

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self, timeout: float = 60.0) -> int | None:
        """SIGINT, as an operator's Ctrl-C; the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def kill_tree(self) -> None:
        """SIGKILL the parent and everything below it (cleanup after a failed test)."""
        for pid in self.tree():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if self.proc is not None:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass


def alive(pid: int) -> bool:
    """True when pid runs and is not a zombie."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def wait_until(predicate, timeout: float, step: float = 0.05) -> float | None:
    """Seconds until predicate() was true, or None after timeout."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(step)
    return None


# --------------------------------------------------------------------------- load


@dataclass
class Attempt:
    at: float             # monotonic time the answer came
    key: str
    status: int | None    # None: no HTTP answer (connection refused/reset, timeout)
    ticket_id: int | None
    latency: float


@dataclass
class Load:
    """Bounded intake load: `concurrency` clients, each filing tickets one after the other.

    A client whose request got no 201 sends the same Idempotency-Key again (what a real
    caller does), so a lost or duplicated ticket shows up in the database afterwards."""

    url: str
    token: str
    concurrency: int = 8
    pause: float = 0.0
    timeout: float = 10.0
    run: str = field(default_factory=lambda: f"fault-{uuid.uuid4().hex[:8]}")
    attempts: list[Attempt] = field(default_factory=list)
    acknowledged: dict[str, int] = field(default_factory=dict)   # key -> id answered with 201
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    def body(self, key: str) -> dict:
        return {"channel": "phone", "content": f"故障演练 {key}：小区门口路灯不亮已经一周了", "area_code": "320682"}

    async def _client(self, session: aiohttp.ClientSession, n: int) -> None:
        seq = 0
        headers = {"Authorization": f"Bearer {self.token}"}
        while not self.stop.is_set():
            key = f"{self.run}-{n}-{seq}"
            while True:  # until acknowledged (or the run ends)
                t0 = time.monotonic()
                status = tid = None
                try:
                    async with session.post(self.url + "/api/v1/tickets", json=self.body(key),
                                            headers={**headers, "Idempotency-Key": key}) as resp:
                        status = resp.status
                        if status == 201:
                            tid = (await resp.json())["id"]
                        else:
                            await resp.read()
                except (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError):
                    pass
                now = time.monotonic()
                self.attempts.append(Attempt(now, key, status, tid, now - t0))
                if status == 201:
                    self.acknowledged[key] = tid
                    break
                if self.stop.is_set():
                    break
                await asyncio.sleep(0.05)
            seq += 1
            if self.pause:
                await asyncio.sleep(self.pause)

    async def run_for(self, until: asyncio.Event | None = None) -> None:
        """Run until stop() is set."""
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        connector = aiohttp.TCPConnector(limit=self.concurrency, force_close=False)
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
            await asyncio.gather(*(self._client(session, n) for n in range(self.concurrency)))

    def first_201_after(self, t: float) -> float | None:
        """Seconds from t to the first 201 answered after t."""
        after = [a.at for a in self.attempts if a.at > t and a.status == 201]
        return min(after) - t if after else None

    def back_after(self, t: float) -> float:
        """Seconds from t until service was back: the first 201 after the last failed attempt
        (503, 5xx or no answer) since t; 0 when nothing failed."""
        failed = [a.at for a in self.attempts if a.at > t and a.status != 201]
        if not failed:
            return 0.0
        ok = [a.at for a in self.attempts if a.at > max(failed) and a.status == 201]
        return min(ok) - t if ok else float("inf")

    def between(self, t0: float, t1: float) -> list[Attempt]:
        return [a for a in self.attempts if t0 <= a.at < t1]

    async def check_database(self, dsn: str) -> dict:
        """Acknowledged tickets missing from the database, and keys stored more than once."""
        import asyncpg

        conn = await asyncpg.connect(dsn)
        try:
            rows = await conn.fetch("SELECT id, idempotency_key FROM tickets WHERE idempotency_key LIKE $1",
                                    self.run + "-%")
            by_content = await conn.fetch(
                "SELECT substring(content FROM '故障演练 ([^：]+)：') AS key, count(*) AS n FROM tickets "
                "WHERE content LIKE $1 GROUP BY 1 HAVING count(*) > 1", f"故障演练 {self.run}-%")
        finally:
            await conn.close()
        stored = {r["idempotency_key"]: r["id"] for r in rows}
        lost = {k: v for k, v in self.acknowledged.items() if stored.get(k) != v}
        return {"acknowledged": len(self.acknowledged), "stored": len(stored), "lost": len(lost),
                "duplicated": len(by_content), "lost_keys": list(lost)[:5]}
