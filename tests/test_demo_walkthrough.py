"""The README's demo walk-through, run as written against the real `hotline serve --demo` (#20.9, #20.17).

The bash block under "Demo walk-through" in README.md is taken verbatim (only the
port differs) and run in the directory where `serve --demo` runs. A second
`serve --demo` revokes the first run's tokens, and the token file is 0600.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from hotline.embedded import free_port

ROOT = Path(__file__).resolve().parent.parent


def readme_walkthrough() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### Demo walk-through"):]
    return re.search(r"```bash\n(.*?)```", section, re.S).group(1)


def _get(url: str, token: str) -> tuple[int, dict]:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _wait_for(pattern: str, proc: subprocess.Popen, seconds: float = 120) -> str:
    seen = ""
    while True:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            raise AssertionError(f"no {pattern!r} in output:\n{seen}")
        seen += line
        if re.search(pattern, seen):
            return seen


class Demo:
    """`hotline serve --demo` started in cwd with the default state dir (.hotline), as a new user would."""

    def __init__(self, cwd: Path, port: int) -> None:
        env = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "REDIS_URL") and not k.startswith("HOTLINE_")}
        env.update(PYTHONUNBUFFERED="1", PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]))
        self.proc = subprocess.Popen([sys.executable, "-m", "hotline.cli", "serve", "--demo", "--port", str(port)],
                                     cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.banner = _wait_for(r"Running on|running on", self.proc)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=60)


@pytest.fixture
def workdir():
    d = Path(tempfile.mkdtemp(prefix="hotline-walk-"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_readme_walkthrough_runs_as_written_and_demo_tokens_do_not_pile_up(workdir):
    port = free_port()
    api = f"http://127.0.0.1:{port}/api/v1"
    token_file = workdir / ".hotline" / "demo-tokens.json"

    first = Demo(workdir, port)
    try:
        old = json.loads(token_file.read_text())
    finally:
        first.stop()
    demo = Demo(workdir, port)
    try:
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600, "the token file holds the admin token"
        tokens = json.loads(token_file.read_text())
        assert set(tokens) == {"agent", "handler", "supervisor", "linkage", "admin", "mediator", "court"}
        assert "如皋市城市管理局" in demo.banner and "南通市" in demo.banner, demo.banner
        for role in tokens:
            assert _get(f"{api}/reference/areas?q=%E5%A6%82%E7%9A%8B", old[role])[0] == 401, f"old {role} token still valid"
        status, areas = _get(f"{api}/reference/areas?q=%E5%A6%82%E7%9A%8B", tokens["agent"])
        assert status == 200 and [a["code"] for a in areas["items"]] == ["320682"]

        script = readme_walkthrough().replace("127.0.0.1:8345", f"127.0.0.1:{port}")
        run = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=workdir, capture_output=True,
                             text=True, timeout=120)
        assert run.returncode == 0, f"stdout:\n{run.stdout}\nstderr:\n{run.stderr}"
        out = run.stdout.splitlines()
        inbox, ticket, rates = json.loads(out[0]), json.loads(out[4]), json.loads(out[5])
        assert ticket["id"] in [t["id"] for group in inbox.values() if isinstance(group, list) for t in group]
        assert ticket["status"] == "closed" and ticket["unit"]["name"] == "如皋市城市管理局"
        assert rates["area"]["code"] == "320600"
        unit_row = next(r for r in rates["rows"] if r["label"] == "如皋市城市管理局")
        assert unit_row["replied"] >= 1 and unit_row["satisfaction_rate"] == 1.0
    finally:
        demo.stop()
    assert demo.proc.returncode == 0
