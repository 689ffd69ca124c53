"""The README's first command: `hotline serve --demo` starts everything and takes a ticket."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from hotline.embedded import free_port


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return Path(f"/proc/{pid}/status").read_text().find("State:\tZ") < 0


def _post(url: str, token: str, body: dict) -> dict:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 201
        return json.loads(resp.read())


def _wait_for(pattern: str, proc: subprocess.Popen, seconds: float = 90) -> str:
    seen = ""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        seen += line
        if re.search(pattern, seen):
            return seen
    raise AssertionError(f"no {pattern!r} in output:\n{seen}")


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_demo_files_a_ticket_and_stops_cleanly(workers):
    state = Path(tempfile.mkdtemp(prefix="hotline-serve-"))
    state.chmod(0o755)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(HOTLINE_STATE_DIR=str(state), PYTHONUNBUFFERED="1")
    cmd = [sys.executable, "-m", "hotline.cli", "serve", "--demo", "--port", str(port), "--workers", str(workers)]
    proc = subprocess.Popen(cmd,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        _wait_for(r"Running on|running on", proc)
        children = [c for c in psutil.Process(proc.pid).children() if "python" in c.name()]
        assert len(children) == (workers if workers > 1 else 0), "one worker process per --workers"
        tokens = json.loads((state / "demo-tokens.json").read_text())
        ticket = _post(f"http://127.0.0.1:{port}/api/v1/tickets", tokens["agent"], {
            "channel": "phone", "content": "楼下饭店油烟直排，熏得窗户都不敢开。",
            "address": "江苏省南通市如皋市如城街道海阳路"})
        assert ticket["status_label"] and ticket["ticket_no"]
        valkey_pid = int((state / "valkey" / "valkey.pid").read_text())
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    assert proc.returncode == 0
    assert not any(_alive(c.pid) for c in children), "a worker outlived the server"
    assert not _alive(valkey_pid), "embedded Valkey left running"
    pg_pid = next(state.rglob("postmaster.pid"), None) if (state / "postgres").exists() else None
    assert pg_pid is None, "embedded PostgreSQL left running"
    shutil.rmtree(state, ignore_errors=True)
