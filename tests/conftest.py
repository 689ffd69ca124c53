"""Test fixtures: real PostgreSQL and Valkey (embedded, started once per session).

With DATABASE_URL / REDIS_URL set, the suite uses those servers instead and
creates its own database `hotline_test` there.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from dataclasses import dataclass

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from hotline import db
from hotline.app import create_app
from hotline.auth import create_token
from hotline.embedded import EmbeddedPostgres, EmbeddedValkey
from hotline.seed import drop_database, fresh_database
from hotline.settings import Settings
from models.enums import Role

TEST_DB = "hotline_test"


@dataclass
class Servers:
    pg: EmbeddedPostgres | None
    valkey: EmbeddedValkey | None
    admin_url: str
    redis_url: str




@pytest.fixture(scope="session")
def servers(tmp_path_factory) -> Servers:
    """Embedded servers in a fresh state dir, unless URLs are configured."""
    pg = valkey = None
    admin_url = os.environ.get("DATABASE_URL")
    redis_url = os.environ.get("REDIS_URL")
    # pytest's own tmp dirs are private to root; the cluster's owner must reach this one.
    state = Path(tempfile.mkdtemp(prefix="hotline-test-"))
    state.chmod(0o755)
    if not admin_url:
        pg = EmbeddedPostgres(state)
        pg.start()
        admin_url = pg.admin_url()
    if not redis_url:
        valkey = EmbeddedValkey(state)
        redis_url = valkey.start()
    yield Servers(pg, valkey, admin_url, redis_url)
    if valkey is not None:
        valkey.stop()
    if pg is not None:
        pg.stop()
    shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="session")
async def database_url(servers) -> str:
    """A freshly migrated and seeded test database."""
    return await fresh_database(servers.admin_url, TEST_DB)


@pytest.fixture(scope="module")
async def own_database(servers, request):
    """A migrated, seeded database for one test module (tests that move time or counts globally)."""
    name = "hotline_" + request.module.__name__.rsplit(".", 1)[-1].lower()
    yield await fresh_database(servers.admin_url, name)
    await drop_database(servers.admin_url, name)


@pytest.fixture(scope="session")
def settings(database_url, servers, tmp_path_factory) -> Settings:
    """Settings for the shared app. Every new ticket goes to triage (threshold above 1) so workflow tests
    dispatch explicitly; tests of the classifier on intake build an app with the real threshold.
    The per-client limits are off: the whole suite is one client (127.0.0.1) sending many 401s on
    purpose; tests/security/test_client_limits.py turns them on, from addresses of its own."""
    return Settings(triage_threshold=1.01, database_url=database_url, redis_url=servers.redis_url,
                    public_rate_per_minute=0, auth_fail_per_minute=0,
                    state_dir=tmp_path_factory.mktemp("app-state"), pool_min=1, pool_max=10,
                    scheduler_enabled=False)


@pytest.fixture(scope="session")
async def pool(database_url):
    p = await db.create_pool(database_url, min_size=1, max_size=5)
    yield p
    await p.close()


@pytest.fixture(scope="session")
async def client(settings):
    """A real HTTP client talking to the app on a loopback port (one app per session: models load once)."""
    app = create_app(settings)
    async with TestClient(TestServer(app)) as c:
        yield c


class Tokens:
    """Creates tokens for roles, bound to units and areas of the sample province."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def make(self, role: Role | str, *, unit_id: int | None = None, area_code: str | None = None,
                   org_id: int | None = None) -> dict:
        async with self.pool.acquire() as conn:
            _, secret = await create_token(conn, Role(role), unit_id=unit_id, area_code=area_code, org_id=org_id)
        return {"Authorization": f"Bearer {secret}"}

    async def unit_id(self, name: str) -> int:
        return await self.pool.fetchval("SELECT id FROM units WHERE name = $1", name)


@pytest.fixture(scope="session")
async def tokens(pool) -> Tokens:
    return Tokens(pool)


@pytest.fixture(scope="session")
async def agent(tokens) -> dict:
    return await tokens.make(Role.AGENT)
