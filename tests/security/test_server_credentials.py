"""The embedded servers ask for generated passwords (#21 item 11): no `trust` login to PostgreSQL for
any local user, no Valkey command without AUTH; the passwords are kept 0600 in the state dir and
carried in the URLs, so the service, the CLI and these tests use them without knowing."""
from __future__ import annotations

import stat

import asyncpg
import pytest
import redis.asyncio as aioredis
from redis.exceptions import AuthenticationError, ResponseError

from hotline.credentials import valkey_exchange


def _private(path) -> bool:
    return path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_embedded_postgres_refuses_logins_without_the_password(servers):
    if servers.pg is None:
        pytest.skip("DATABASE_URL is set: not our server")
    pg = servers.pg
    assert _private(pg.state_dir / "postgres.password")
    hba = (pg.data / "pg_hba.conf").read_text()
    assert not [line for line in hba.splitlines() if line.strip() and not line.lstrip().startswith("#")
                and line.split()[-1] == "trust"], hba
    for user in ("postgres", "hotline", "nobody"):
        with pytest.raises((asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError)):
            await asyncpg.connect(f"postgresql://{user}@127.0.0.1:{pg.port}/postgres", timeout=5)
        with pytest.raises((asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError)):
            await asyncpg.connect(f"postgresql://{user}:guess@127.0.0.1:{pg.port}/postgres", timeout=5)
    conn = await asyncpg.connect(pg.admin_url(), timeout=5)  # the URL carries the password
    try:
        assert await conn.fetchval("SELECT current_user") == "postgres"
    finally:
        await conn.close()


async def test_embedded_valkey_requires_its_password(servers):
    if servers.valkey is None:
        pytest.skip("REDIS_URL is set: not our server")
    vk = servers.valkey
    assert _private(vk.dir.parent / "valkey.password")
    assert stat.S_IMODE(vk.dir.stat().st_mode) == 0o700, "the generated config holds the password"
    assert valkey_exchange(vk.port, None, ("PING",)).startswith(b"-NOAUTH")
    anonymous = aioredis.from_url(f"redis://127.0.0.1:{vk.port}/0")
    try:
        with pytest.raises((AuthenticationError, ResponseError)):
            await anonymous.set("hotline:test:anonymous", "1")
    finally:
        await anonymous.aclose()
    client = aioredis.from_url(servers.redis_url)
    try:
        assert await client.ping()
    finally:
        await client.aclose()


def test_a_cluster_made_with_trust_is_converted(tmp_path):
    from hotline.credentials import secret_in, without_trust

    hba = "# TYPE DATABASE USER ADDRESS METHOD\nlocal all all trust\nhost all all 127.0.0.1/32 trust\n" \
          "host replication all ::1/128 trust\nhost all all 10.0.0.0/8 md5\n"
    assert without_trust(hba).count("scram-sha-256") == 3 and "trust" not in without_trust(hba).split("METHOD")[1]
    first = secret_in(tmp_path / "x.password")
    assert secret_in(tmp_path / "x.password") == first and _private(tmp_path / "x.password")


async def test_a_running_trust_cluster_from_before_is_converted_on_start():
    """A state dir made by an older version: trust logins, no password file."""
    import shutil
    import tempfile
    from pathlib import Path

    from hotline.embedded import EmbeddedPostgres, _run_as

    state = Path(tempfile.mkdtemp(prefix="hotline-trust-"))
    state.chmod(0o755)
    pg = EmbeddedPostgres(state)
    try:
        pg.start()
        hba = pg.data / "pg_hba.conf"
        hba.write_text(hba.read_text().replace("scram-sha-256", "trust"))
        _run_as(pg.user, [str(pg.bin / "pg_ctl"), "-D", str(pg.data), "reload"])
        (state / "postgres.password").unlink()
        await (await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{pg.port}/postgres", timeout=5)).close()  # trust

        again = EmbeddedPostgres(state)
        again.start()  # reuses the running server, sets the new password, drops trust
        assert _private(state / "postgres.password") and again.password != pg.password
        with pytest.raises(asyncpg.InvalidPasswordError):
            await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{again.port}/postgres", timeout=5)
        conn = await asyncpg.connect(again.admin_url(), timeout=5)
        await conn.close()
    finally:
        pg.stop()
        shutil.rmtree(state, ignore_errors=True)
