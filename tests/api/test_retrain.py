"""Gated retraining (#18): a candidate replaces the serving classifier only if it is not worse on held-out
rows; every run is recorded and visible to an admin, who may approve a pending or kept candidate.

Every test here that can change the served model restores it (and the recorded choice) when it ends:
later tests in the same session classify with the shipped model.
"""
from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from classifier import artifact
from classifier.model import DEFAULT_MODEL_DIR
from classifier.training import read_training_csv, split_rows, train
from hotline import keys
from hotline.admin import choice
from hotline.admin.retrain import Plan, retrain
from models.enums import Role

SMALL = Path(__file__).resolve().parents[1] / "classifier" / "data" / "small.csv"


@pytest.fixture
async def served(client, pool, settings):
    """Yields the app's model holder; afterwards the shipped model serves again and the choice is as before."""
    holder = client.app[keys.REFERENCE].classifier
    before = await choice.get(pool)
    version = holder.version
    yield holder
    if before is None:
        await pool.execute("DELETE FROM classifier_choice")
    else:
        await choice.choose(pool, before["model_dir"], before["version"], None)
    # a reload the app's follower started from the changed choice finishes within a poll or two
    await asyncio.sleep(2 * settings.classifier_poll_seconds + 1)
    if holder.version != version:
        holder.reload(settings.model_dir or DEFAULT_MODEL_DIR)
    assert holder.version == version


def _rows():
    train_rows, held = split_rows(read_training_csv(SMALL), test_size=0.2, seed=1)
    return train_rows, held


def _garbage(rows, seed=0):
    labels = [r["label"] for r in rows]
    random.Random(seed).shuffle(labels)
    return [{"text": r["text"], "label": lab} for r, lab in zip(rows, labels)]


def _save(rows, out: Path) -> Path:
    res = train(rows, progress=False, select=False)
    meta = artifact.new_metadata(res.pipeline.classes_, res.rows_sha256 + out.name, len(rows), res.metrics)
    return artifact.save(res.pipeline, meta, out)


async def test_a_worse_candidate_is_kept_and_recorded(pool, settings, served):
    train_rows, held = _rows()
    bad = await pool.fetchval("SELECT count(*) FROM classifier_retrains")
    out = await retrain(pool, settings, Plan(base=_garbage(train_rows), heldout=held, select=False))
    assert out["decision"] == "kept" and "低于当前" in out["reason"]
    assert out["candidate"]["macro_f1"] < out["current"]["macro_f1"]
    assert await choice.get(pool) is None or (await choice.get(pool))["version"] != out["candidate_version"]
    assert await pool.fetchval("SELECT count(*) FROM classifier_retrains") == bad + 1
    assert Path(out["candidate_dir"]).is_dir(), "kept on disk: an admin may still approve it"


async def test_a_better_candidate_is_swapped_in_for_every_worker(pool, settings, served):
    train_rows, held = _rows()
    worse = _save(_garbage(train_rows, seed=3), settings.state_dir / "models" / "garbage")
    await choice.choose(pool, str(worse), artifact.read_metadata(worse).version, None)  # a poor model serves
    out = await retrain(pool, settings, Plan(base=train_rows, heldout=held, select=False))
    assert out["decision"] == "swapped", out
    assert out["candidate"]["macro_f1"] >= out["current"]["macro_f1"]
    row = await choice.get(pool)
    assert row["version"] == out["candidate_version"] and row["model_dir"] == out["candidate_dir"]


async def test_too_few_heldout_rows_keep_the_current_model(pool, settings, served):
    train_rows, held = _rows()
    out = await retrain(pool, settings, Plan(base=train_rows, heldout=held[:5], select=False))
    assert out["decision"] == "kept" and "留出样本仅 5 条" in out["reason"]


async def test_admin_lists_runs_and_approves_a_pending_candidate(client, pool, settings, tokens, agent, served):
    admin = await tokens.make(Role.ADMIN)
    train_rows, held = _rows()
    out = await retrain(pool, settings, Plan(base=train_rows, heldout=held, select=False, require_approval=True,
                                             tolerance=1.0))
    assert out["decision"] == "pending"
    assert served.version != out["candidate_version"], "pending: nothing swapped yet"
    assert (await client.get("/api/v1/admin/classifier/retrains", headers=agent)).status == 403
    listed = await (await client.get("/api/v1/admin/classifier/retrains", params={"limit": 5}, headers=admin)).json()
    mine = next(i for i in listed["items"] if i["id"] == out["id"])
    assert mine["decision_label"] == "待批准" and mine["n_heldout"] == len(held) and mine["candidate_f1"] is not None
    resp = await client.post(f"/api/v1/admin/classifier/retrains/{out['id']}/approve", headers=admin)
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["version"] == out["candidate_version"] == served.version
    info = await (await client.get("/api/v1/admin/classifier", headers=admin)).json()
    assert info["version"] == out["candidate_version"]
    again = await client.post(f"/api/v1/admin/classifier/retrains/{out['id']}/approve", headers=admin)
    assert again.status == 409
    assert (await client.post("/api/v1/admin/classifier/retrains/999999999/approve", headers=admin)).status == 404
    assert (await client.get("/api/v1/admin/classifier/retrains", params={"limit": 0}, headers=admin)).status == 422
