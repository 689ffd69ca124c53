"""The chosen classifier version: persisted in PostgreSQL, followed by every worker.

A hot reload lands on one worker process. That worker loads the model, then records
the choice in `classifier_choice`; every worker reads the row at start-up (before it
serves) and polls it every `classifier_poll_seconds`, loading the chosen version when
it differs from its own. PostgreSQL rather than Valkey carries the choice because
intake runs without Valkey, and a row survives restarts where a message would not.
"""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from aiohttp import web

from hotline import keys
from hotline.errors import ApiError

log = logging.getLogger(__name__)

GET_CHOICE = "SELECT model_dir, version FROM classifier_choice"
SET_CHOICE = """
INSERT INTO classifier_choice (model_dir, version, chosen_by) VALUES ($1, $2, $3)
ON CONFLICT (only_row) DO UPDATE
SET model_dir = EXCLUDED.model_dir, version = EXCLUDED.version, chosen_by = EXCLUDED.chosen_by, chosen_at = now()
"""


def allowed_model_dir(settings, raw: str) -> Path:
    """Only directories under <state_dir>/models (or the configured model_dir) may be loaded:
    a model file is executable code, so the API must not point at arbitrary paths."""
    path = Path(raw).resolve()
    roots = [(settings.state_dir / "models").resolve()]
    if settings.model_dir:
        roots.append(Path(settings.model_dir).resolve())
    if not any(path == root or root in path.parents for root in roots):
        raise ApiError(422, "模型目录不在允许的位置", [{"field": "model_dir", "message": f"须位于 {roots[0]} 下"}])
    return path


async def get(db):
    """The recorded choice (model_dir, version), or None when nobody reloaded yet."""
    return await db.fetchrow(GET_CHOICE)


async def choose(db, model_dir: str, version: str, token_id: int | None) -> None:
    """Record the version every worker is to serve."""
    await db.execute(SET_CHOICE, model_dir, version, token_id)


class Follower:
    """Keeps this worker's classifier on the recorded choice."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.failed: tuple[str, str] | None = None  # a choice that did not load here: not retried every poll

    async def sync(self) -> None:
        """Load the recorded version if this worker serves another one."""
        models = self.app[keys.REFERENCE]
        if models.classifier is None:
            return
        row = await get(self.app[keys.POOL])
        if row is None or row["version"] == models.classifier.version:
            return
        wanted = (row["model_dir"], row["version"])
        if wanted == self.failed:
            return
        try:
            path = allowed_model_dir(self.app[keys.SETTINGS], row["model_dir"])
            loop = asyncio.get_running_loop()
            version = await loop.run_in_executor(models.executor, models.classifier.reload, path)
        except Exception as exc:  # keep serving the current model; say so once
            self.failed = wanted
            log.error("chosen classifier %s (%s) not loaded here: %s", row["version"], row["model_dir"], exc)
            return
        log.info("classifier %s loaded (chosen by hot reload)", version)

    async def run(self, stop: asyncio.Event, interval: float) -> None:
        """sync() every interval until stop; database outages are waited out."""
        while True:
            try:
                await asyncio.wait_for(stop.wait(), interval)
                return
            except asyncio.TimeoutError:
                pass
            try:
                await self.sync()
            except Exception as exc:
                log.debug("classifier choice not read (%s)", type(exc).__name__)


async def follow_ctx(app: web.Application):
    """Serve the chosen version from the first request on, then follow changes."""
    follower = Follower(app)
    try:
        await follower.sync()
    except Exception as exc:  # e.g. migrations not applied yet: start with the shipped model
        log.warning("classifier choice not read at start-up (%s)", exc)
    stop = asyncio.Event()
    task = asyncio.create_task(follower.run(stop, app[keys.SETTINGS].classifier_poll_seconds))
    yield
    stop.set()
    await task
