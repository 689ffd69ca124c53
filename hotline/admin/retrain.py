"""Gated retraining: train a candidate on the base data plus people's corrections, swap it in only
if it is not worse than the serving model on held-out corrected tickets, and record every run.

The held-out rows are the newest corrected (and confirmed) tickets — the calls the model will
meet next — and are never trained on; an operator may give a fixed held-out file instead. A
swap is recorded in `classifier_choice`, which every worker follows (hotline.admin.choice);
a candidate that needs an admin's approval (or was kept) stays on disk and can be approved
later through the admin API.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from classifier import artifact, gate
from classifier.training import train
from hotline.admin import choice
from hotline.admin.training import corrected_rows

log = logging.getLogger(__name__)

INSERT = """
INSERT INTO classifier_retrains (candidate_dir, candidate_version, current_version, n_train, n_heldout,
    candidate_f1, current_f1, candidate_acc, current_acc, decision, reason, figures, decided_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, CASE WHEN $10 = 'swapped' THEN now() END)
RETURNING id
"""
LIST = """
SELECT id, started_at, candidate_dir, candidate_version, current_version, n_train, n_heldout, candidate_f1,
       current_f1, candidate_acc, current_acc, decision, reason, decided_at, decided_by
FROM classifier_retrains WHERE ($1::bigint IS NULL OR id < $1) ORDER BY id DESC LIMIT $2
"""
APPROVE = """
UPDATE classifier_retrains SET decision = 'approved', decided_at = now(), decided_by = $2
WHERE id = $1 AND decision IN ('pending', 'kept') RETURNING candidate_dir, candidate_version
"""


@dataclass
class Plan:
    """What one retrain uses: base rows, extra rows, and how to hold rows out."""

    base: list[dict]
    extra: list[dict] = field(default_factory=list)
    heldout: list[dict] | None = None   # None: the newest corrected tickets
    heldout_fraction: float = 0.3
    tolerance: float = 0.0
    require_approval: bool = False
    select: bool = True


def hold_out_newest(corrections: list[dict], fraction: float) -> tuple[list[dict], list[dict]]:
    """(train, held-out): the newest fraction of the corrections (ordered oldest first) is held out."""
    n = int(round(len(corrections) * fraction))
    return (corrections[:len(corrections) - n], corrections[len(corrections) - n:]) if n else (corrections, [])


async def current_model_dir(pool: asyncpg.Pool, settings) -> tuple[str, str | None]:
    """The model every worker serves: the recorded choice, else the configured or shipped one."""
    row = await choice.get(pool)
    if row is not None:
        return row["model_dir"], row["version"]
    from classifier.model import DEFAULT_MODEL_DIR
    return str(settings.model_dir or DEFAULT_MODEL_DIR), None


def _train_and_score(plan: Plan, train_rows: list[dict], heldout: list[dict], current_dir: str, out_dir: Path):
    """CPU work (run in a thread): fit the candidate, save it, score both models on the held-out rows."""
    from classifier.model import Classifier

    result = train(train_rows, progress=False, select=plan.select)
    metrics = {k: v for k, v in result.metrics.items() if k not in ("confusion", "per_class")}
    meta = artifact.new_metadata(result.pipeline.classes_, result.rows_sha256, len(train_rows), metrics,
                                 result.params)
    saved = artifact.save(result.pipeline, meta, out_dir / meta.version)
    candidate = gate.score(Classifier.load(saved), heldout)
    try:
        current = gate.score(Classifier.load(current_dir), heldout)
    except artifact.ArtifactError as exc:  # the serving model cannot be read here: compare with nothing
        log.warning("current model %s not loaded for comparison: %s", current_dir, exc)
        current = None
    return saved, meta, candidate, current


async def retrain(pool: asyncpg.Pool, settings, plan: Plan, token_id: int | None = None) -> dict:
    """One gated retrain; returns the recorded row as a dict."""
    async with pool.acquire() as conn:
        corrections = await corrected_rows(conn, include_confirmed=True)
    if plan.heldout is None:
        fresh, heldout = hold_out_newest(corrections, plan.heldout_fraction)
    else:
        held_texts = {r["text"] for r in plan.heldout}
        fresh, heldout = [r for r in corrections if r["text"] not in held_texts], plan.heldout
    train_rows = plan.base + plan.extra + [{"text": r["text"], "label": r["label"]} for r in fresh]
    current_dir, current_version = await current_model_dir(pool, settings)
    out_dir = settings.state_dir / "models"
    loop = asyncio.get_running_loop()
    saved, meta, cand, cur = await loop.run_in_executor(
        None, _train_and_score, plan, train_rows, heldout, current_dir, out_dir)
    verdict = gate.judge(cand, cur, tolerance=plan.tolerance, require_approval=plan.require_approval)
    if current_version is None and cur is not None:
        current_version = artifact.read_metadata(current_dir).version
    if verdict.decision == gate.SWAPPED:
        await choice.choose(pool, str(saved), meta.version, token_id)
    figures = {"candidate": cand, "current": cur, "corrections": len(corrections), "selection":
               meta.metrics.get("selection", {}).get("winner")}
    row_id = await pool.fetchval(INSERT, str(saved), meta.version, current_version, len(train_rows), len(heldout),
                                 cand["macro_f1"], cur and cur["macro_f1"], cand["accuracy"], cur and cur["accuracy"],
                                 verdict.decision, verdict.reason, figures)
    return {"id": row_id, "decision": verdict.decision, "reason": verdict.reason, "candidate_version": meta.version,
            "candidate_dir": str(saved), "current_version": current_version, "n_train": len(train_rows),
            "n_heldout": len(heldout), "candidate": cand, "current": cur}


async def list_retrains(pool: asyncpg.Pool, before: int | None, limit: int) -> list[dict]:
    """Retrain runs, newest first."""
    return [dict(r) for r in await pool.fetch(LIST, before, limit)]


async def get(pool: asyncpg.Pool, retrain_id: int) -> asyncpg.Record | None:
    """One retrain run."""
    return await pool.fetchrow("SELECT * FROM classifier_retrains WHERE id = $1", retrain_id)


async def approve(pool: asyncpg.Pool, retrain_id: int, token_id: int | None) -> bool:
    """Mark a pending (or kept) candidate approved, once its model has loaded; False if decided meanwhile."""
    return await pool.fetchrow(APPROVE, retrain_id, token_id) is not None
