"""Announce ticket events on Valkey streams so units' clients can listen.

Best effort: the database is the record; when Valkey is down the event stays in
ticket_events and intake carries on.
"""
from __future__ import annotations

import logging

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

GLOBAL_STREAM = "hotline:events"
STREAM_MAXLEN = 100_000


def unit_stream(unit_id: int) -> str:
    return f"hotline:unit:{unit_id}"


class Notifier:
    """Publishes to the global stream and to the stream of the ticket's unit."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis

    async def publish(self, fields: dict, unit_id: int | None = None) -> bool:
        """XADD to the streams; False (and logged) when Valkey is unavailable."""
        clean = {k: "" if v is None else str(v) for k, v in fields.items()}
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.xadd(GLOBAL_STREAM, clean, maxlen=STREAM_MAXLEN, approximate=True)
                if unit_id is not None:
                    pipe.xadd(unit_stream(unit_id), clean, maxlen=STREAM_MAXLEN, approximate=True)
                await pipe.execute()
            return True
        except (RedisError, OSError) as exc:
            log.warning("valkey publish failed (%s); event kept in database only", type(exc).__name__)
            return False

    async def ticket_event(self, row, action: str) -> bool:
        """Announce one ticket event (no personal data in the message)."""
        return await self.publish({"ticket_id": row["id"], "ticket_no": row["ticket_no"], "action": action,
                                   "status": row["status"], "unit_id": row["unit_id"]}, row["unit_id"])
