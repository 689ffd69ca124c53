"""The chosen classifier version: persisted in PostgreSQL, followed by every worker.

A hot reload lands on one worker process. That worker loads the model, then records
the choice in `classifier_choice`; every worker reads the row at start-up (before it
serves) and polls it every `classifier_poll_seconds`, loading the chosen version when
it differs from its own. PostgreSQL rather than Valkey carries the choice because
intake runs without Valkey, and a row survives restarts where a message would not.

Several nodes share the database but not their disks: each has its own state dir. A node
loads the chosen version from the recorded path when that path is allowed here, else from
the directory of the same name under its own model roots (`<state_dir>/models`, the
configured model_dir), checked against the recorded version. The operator deploys the
version's files on every node first; a node without them keeps its model, says so, and
looks again every RETRY_SECONDS.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path

from aiohttp import web

from hotline import keys
from hotline.errors import ApiError

log = logging.getLogger(__name__)

RETRY_SECONDS = 30.0  # a chosen version that did not load here is tried again this often

GET_CHOICE = "SELECT model_dir, version FROM classifier_choice"
SET_CHOICE = """
INSERT INTO classifier_choice (model_dir, version, chosen_by) VALUES ($1, $2, $3)
ON CONFLICT (only_row) DO UPDATE
SET model_dir = EXCLUDED.model_dir, version = EXCLUDED.version, chosen_by = EXCLUDED.chosen_by, chosen_at = now()
"""


def model_roots(settings) -> list[Path]:
    """The directories models may be loaded from on this node."""
    roots = [(settings.state_dir / "models").resolve()]
    if settings.model_dir:
        roots.append(Path(settings.model_dir).resolve())
    return roots


def allowed_model_dir(settings, raw: str) -> Path:
    """Only directories under <state_dir>/models (or the configured model_dir) may be loaded:
    a model file is executable code, so the API must not point at arbitrary paths."""
    path = Path(raw).resolve()
    roots = model_roots(settings)
    if not any(path == root or root in path.parents for root in roots):
        raise ApiError(422, "模型目录不在允许的位置", [{"field": "model_dir", "message": f"须位于 {roots[0]} 下"}])
    return path


def _version_in(path: Path) -> str | None:
    try:
        return json.loads((path / "metadata.json").read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError, AttributeError):
        return None


def local_model_dir(settings, recorded: str, version: str) -> Path:
    """This node's copy of the chosen version: the recorded path when allowed here, else the
    directory of the same name under this node's model roots holding that version."""
    try:
        path = allowed_model_dir(settings, recorded)
        if path.is_dir():
            return path
    except ApiError:
        pass  # recorded by another node, under its own state dir
    name = Path(recorded).name
    for root in model_roots(settings):
        for candidate in (root / name, root):
            if _version_in(candidate) == version:
                return candidate
    raise FileNotFoundError(f"version {version} is not deployed on this node "
                            f"(no {name}/ under {', '.join(map(str, model_roots(settings)))})")


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
        self.failed_at = 0.0

    async def sync(self) -> None:
        """Load the recorded version if this worker serves another one."""
        models = self.app[keys.REFERENCE]
        if models.classifier is None:
            return
        row = await get(self.app[keys.POOL])
        if row is None or row["version"] == models.classifier.version:
            return
        wanted = (row["model_dir"], row["version"])
        if wanted == self.failed and time.monotonic() - self.failed_at < RETRY_SECONDS:
            return
        try:
            path = local_model_dir(self.app[keys.SETTINGS], row["model_dir"], row["version"])
            loop = asyncio.get_running_loop()
            version = await loop.run_in_executor(models.executor, models.classifier.reload, path)
        except Exception as exc:  # keep serving the current model; say so (once per retry period)
            self.failed, self.failed_at = wanted, time.monotonic()
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
