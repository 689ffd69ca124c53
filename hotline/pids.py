"""Process ids in pid files: is the process really there (zombies count as gone)?"""
from __future__ import annotations

import os
from pathlib import Path


def clear_stale_pidfile(data: Path) -> None:
    """Remove postmaster.pid when its process is gone or a zombie.

    A killed postmaster whose parent never reaps it stays a zombie, and PostgreSQL
    takes a live pid in the lock file for a running server: it would refuse to start."""
    pid = read_first_int(data / "postmaster.pid")
    if pid is not None and not pid_running(pid):
        (data / "postmaster.pid").unlink(missing_ok=True)


def read_first_int(path: Path) -> int | None:
    try:
        return int(path.read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None


def pid_running(pid: int) -> bool:
    """True when pid exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat_line.rsplit(")", 1)[-1].split()[0] != "Z"
