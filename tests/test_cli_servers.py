"""CLI commands reuse running embedded servers and never stop what they did not start (issue 20, item 1)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from hotline.embedded import _valkey_ping, port_open


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()


def _hotline(state: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(HOTLINE_STATE_DIR=str(state), PYTHONUNBUFFERED="1")
    res = subprocess.run([sys.executable, "-m", "hotline.cli", *args], capture_output=True, text=True,
                         env=env, timeout=300)
    assert res.returncode == 0, f"hotline {' '.join(args)} failed:\n{res.stdout}\n{res.stderr}"
    return res


def test_cli_commands_leave_running_servers_running():
    state = Path(tempfile.mkdtemp(prefix="hotline-cli-"))
    state.chmod(0o755)
    try:
        urls = json.loads(_hotline(state, "db", "start").stdout.strip().splitlines()[-1])
        vk_port = int(urls["REDIS_URL"].rsplit(":", 1)[1].split("/")[0])
        pg_port = int(urls["DATABASE_URL"].rsplit(":", 1)[1].split("/")[0])
        for args in (("migrate", "--seed"), ("seed",), ("token", "create", "--role", "agent")):
            res = _hotline(state, *args)
            assert "reusing embedded Valkey" in res.stderr + res.stdout
            assert _valkey_ping(vk_port), f"`hotline {' '.join(args)}` stopped the Valkey it did not start"
            assert port_open(pg_port), f"`hotline {' '.join(args)}` stopped the PostgreSQL it did not start"
        valkey_pid = int((state / "valkey" / "valkey.pid").read_text())
        _hotline(state, "db", "stop")
        # by process, not port: another test run on this machine may take a freed port at once
        assert not _alive(valkey_pid), "`hotline db stop` stops Valkey"
        assert next(state.rglob("postmaster.pid"), None) is None, "`hotline db stop` stops PostgreSQL"
    finally:
        subprocess.run([sys.executable, "-m", "hotline.cli", "db", "stop"], capture_output=True,
                       env={**os.environ, "HOTLINE_STATE_DIR": str(state)}, timeout=60)
        shutil.rmtree(state, ignore_errors=True)
