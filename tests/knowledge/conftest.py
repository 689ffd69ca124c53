"""A database of its own for the knowledge tests, with the shipped articles removed: each test writes
the articles it searches, so rankings and counts do not depend on the demo corpus."""
from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from hotline import db
from hotline.app import create_app
from hotline.auth import create_token
from models.enums import Role

EMPTY = """
TRUNCATE kb_events, kb_versions, kb_search, kb_misses, ticket_answers, ticket_referrals, kb_articles, kb_terms;
INSERT INTO kb_terms (term, df) VALUES ('', 0);
"""


@pytest.fixture(scope="module")
async def kb_pool(own_database):
    pool = await db.create_pool(own_database, min_size=1, max_size=6)
    await pool.execute(EMPTY)
    yield pool
    await pool.close()


@pytest.fixture(scope="module")
async def kb_client(settings, own_database, kb_pool):
    app = create_app(settings.model_copy(update={"database_url": own_database}))
    async with TestClient(TestServer(app)) as c:
        yield c


class KbTokens:
    def __init__(self, pool) -> None:
        self.pool = pool

    async def make(self, role: Role, *, unit: str | None = None, area: str | None = None) -> dict:
        unit_id = await self.pool.fetchval("SELECT id FROM units WHERE code = $1", unit) if unit else None
        async with self.pool.acquire() as conn:
            _, secret = await create_token(conn, role, unit_id=unit_id, area_code=area)
        return {"Authorization": f"Bearer {secret}"}


@pytest.fixture(scope="module")
async def kb_tokens(kb_pool) -> KbTokens:
    return KbTokens(kb_pool)


async def call(client, method: str, path: str, headers: dict | None, body=None, status: int = 200):
    """One request; asserts the status and returns the JSON body (text for pages)."""
    kw = {"headers": headers or {}}
    if body is not None:
        kw["json"] = body
    resp = await client.request(method, path, **kw)
    data = await resp.json() if resp.content_type == "application/json" else await resp.text()
    assert resp.status == status, (method, path, resp.status, data)
    return data


@pytest.fixture(scope="module")
def kb_call():
    return call
