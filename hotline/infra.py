"""Find or start the servers: configured URLs win, else embedded ones in the state dir."""
from __future__ import annotations

import contextlib
import logging
from typing import Iterator

from hotline.embedded import EmbeddedPostgres, EmbeddedValkey
from hotline.settings import Settings
from hotline.supervise import ServerWatch

log = logging.getLogger(__name__)


@contextlib.contextmanager
def started(settings: Settings) -> Iterator[tuple[Settings, ServerWatch]]:
    """Settings with both URLs filled in, and a watch over the embedded servers started here
    (empty when both URLs are configured); those servers are stopped on exit."""
    pg = valkey = None
    try:
        updates = {}
        if not settings.database_url:
            pg = EmbeddedPostgres(settings.state_dir, user_name=settings.pg_user)
            updates["database_url"] = pg.start()
            log.info("embedded PostgreSQL at 127.0.0.1:%s (data in %s)", pg.port, pg.data)
        if not settings.redis_url:
            valkey = EmbeddedValkey(settings.state_dir)
            updates["redis_url"] = valkey.start()
            log.info("embedded Valkey at 127.0.0.1:%s", valkey.port)
        yield settings.model_copy(update=updates), ServerWatch({"PostgreSQL": pg, "Valkey": valkey})
    finally:
        # Only what was started here: a CLI command that reused the servers of a running
        # `hotline serve` (or `hotline db start`) must leave them running.
        if valkey is not None and valkey.started_here:
            valkey.stop()
        if pg is not None and pg.started_here:
            pg.stop()


@contextlib.contextmanager
def servers(settings: Settings) -> Iterator[Settings]:
    """Settings with both URLs filled in; embedded servers started here are stopped on exit."""
    with started(settings) as (filled, _):
        yield filled
