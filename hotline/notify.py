"""Announce ticket events on Valkey streams so units' clients can listen.

Best effort: the database is the record; when Valkey is down the event stays in
ticket_events and intake carries on without waiting for it (short timeout and
circuit breaker, hotline.breaker). Events published by concurrent requests go
out in one pipeline (one round trip), see hotline.batching.
"""
from __future__ import annotations

import logging

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from hotline.batching import Batcher
from hotline.breaker import Breaker

log = logging.getLogger(__name__)

GLOBAL_STREAM = "hotline:events"
STREAM_MAXLEN = 100_000


def unit_stream(unit_id: int) -> str:
    return f"hotline:unit:{unit_id}"


class Notifier:
    """Publishes to the global stream and to the stream of the ticket's unit."""

    def __init__(self, redis: aioredis.Redis, breaker: Breaker | None = None) -> None:
        self.redis = redis
        self.breaker = breaker or Breaker()
        self.skipped = 0  # events not published (kept in the database only)
        self.batcher: Batcher[tuple[dict, int | None], bool] = Batcher(self._publish_many, max_batch=64)

    async def publish(self, fields: dict, unit_id: int | None = None) -> bool:
        """XADD to the streams; False (and logged) when Valkey is unavailable."""
        clean = {k: "" if v is None else str(v) for k, v in fields.items()}
        return await self.batcher.submit((clean, unit_id))

    async def _publish_many(self, events: list[tuple[dict, int | None]]) -> list[bool]:
        """One pipeline for the events of concurrent requests: all published, or none (logged once)."""

        async def send() -> None:
            async with self.redis.pipeline(transaction=False) as pipe:
                for fields, unit_id in events:
                    pipe.xadd(GLOBAL_STREAM, fields, maxlen=STREAM_MAXLEN, approximate=True)
                    if unit_id is not None:
                        pipe.xadd(unit_stream(unit_id), fields, maxlen=STREAM_MAXLEN, approximate=True)
                await pipe.execute()

        try:
            await self.breaker.call(send)
            return [True] * len(events)
        except (RedisError, OSError) as exc:
            self.skipped += len(events)
            if not getattr(exc, "skipped", False):  # the breaker's refusals are not logged one by one
                log.warning("valkey publish failed (%s); %d event(s) kept in database only (%d so far)",
                            exc, len(events), self.skipped)
            return [False] * len(events)

    async def ticket_event(self, row, action: str) -> bool:
        """Announce one ticket event (no personal data in the message)."""
        return await self.publish({"ticket_id": row["id"], "ticket_no": row["ticket_no"], "action": action,
                                   "status": row["status"], "unit_id": row["unit_id"]}, row["unit_id"])
