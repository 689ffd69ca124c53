"""After-commit announcements and the text model's opinion, shared by the desk's handlers."""
from __future__ import annotations

from aiohttp import web
from redis.exceptions import RedisError

from hotline import keys
from hotline.disputes.scheduled import ESCALATION_STREAM
from hotline.notify import STREAM_MAXLEN


async def announce(app: web.Application, alerts: list[dict]) -> None:
    """After commit: high-risk alerts on the supervisors' stream (best effort; the outbox is the record)."""
    alerts = [a for a in alerts if a]
    if not alerts:
        return
    try:
        async with app[keys.REDIS].pipeline(transaction=False) as pipe:
            for a in alerts:
                pipe.xadd(ESCALATION_STREAM, {k: "" if v is None else str(v) for k, v in a.items()},
                          maxlen=STREAM_MAXLEN, approximate=True)
            await pipe.execute()
    except (RedisError, OSError):  # Valkey down: the alert stays in the linkage outbox and the case's trail
        pass


def police_p(app: web.Application, text: str) -> float | None:
    """The 110 split model's police probability for the text, when the model is loaded."""
    models = app.get(keys.REFERENCE)
    model = getattr(models, "split_model", None)
    if model is None:
        return None
    from routing.split import decide_split

    return decide_split(text, model=model).police_score
