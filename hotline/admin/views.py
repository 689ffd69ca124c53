"""Admin endpoints: which classifier serves, and swapping in a new version without a restart.

A reload is recorded in PostgreSQL and reaches every worker within classifier_poll_seconds."""
from __future__ import annotations

import asyncio

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from hotline import keys
from hotline.admin import choice, retrain
from hotline.admin.choice import allowed_model_dir
from hotline.endpoints import PAGE_SIZE_MAX, Cursor, SafeStr, parse_body, parse_id, parse_query
from hotline.jsoncodec import iso
from hotline.errors import ApiError, json_response


class ReloadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model_dir: SafeStr = Field(..., min_length=1, max_length=500, description="模型目录（须位于状态目录的 models/ 下）")


async def classifier_info(request: web.Request) -> web.Response:
    holder = request.app[keys.REFERENCE].classifier
    if holder is None:
        return json_response({"loaded": False, "version": None})
    clf = holder.current
    return json_response({"loaded": True, "version": clf.version, "labels": len(clf.labels)})


async def reload_classifier(request: web.Request) -> web.Response:
    """Load the new version off the loop, then swap it in atomically; the old one keeps serving on error."""
    body = await parse_body(request, ReloadIn)
    ref = request.app[keys.REFERENCE]
    path = allowed_model_dir(request.app[keys.SETTINGS], body.model_dir)
    if ref.classifier is None:
        raise ApiError(409, "分类模型未加载，无法热切换")
    loop = asyncio.get_running_loop()
    try:
        version = await loop.run_in_executor(ref.executor, ref.classifier.reload, path)
    except Exception as exc:  # bad artifact: report it, keep serving the old model
        raise ApiError(422, "模型加载失败，仍使用原模型", [{"field": "model_dir", "message": str(exc)[:300]}])
    # recorded only once it loaded here: the other workers follow the row (hotline.admin.choice)
    await choice.choose(request.app[keys.POOL], str(path), version, request[keys.PRINCIPAL].token_id)
    return json_response({"version": version})


class RetrainQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    before: Cursor | None = Field(None, description="键集分页：上一页最后一条的 id（更早的记录）")
    limit: int = Field(20, ge=1, le=PAGE_SIZE_MAX)


def _retrain_out(row: dict) -> dict:
    return {**{k: v for k, v in row.items() if k not in ("figures",)},
            "started_at": iso(row["started_at"]), "decided_at": iso(row["decided_at"]) if row["decided_at"] else None,
            "decision_label": RETRAIN_LABELS[row["decision"]]}


RETRAIN_LABELS = {"swapped": "已切换", "kept": "未通过，保留当前模型", "pending": "待批准", "approved": "已批准切换"}


async def list_retrains(request: web.Request) -> web.Response:
    """Gated retrain runs, newest first, with both models' held-out figures and the decision."""
    q = parse_query(request, RetrainQuery)
    rows = await retrain.list_retrains(request.app[keys.POOL], q.before, q.limit)
    items = [_retrain_out(r) for r in rows]
    return json_response({"items": items, "next_before": items[-1]["id"] if len(items) == q.limit else None})


async def approve_retrain(request: web.Request) -> web.Response:
    """Swap in a candidate the gate kept or left pending: load it here, then record the choice for every worker."""
    retrain_id = parse_id(request.match_info["id"])
    pool, ref = request.app[keys.POOL], request.app[keys.REFERENCE]
    row = await retrain.get(pool, retrain_id)
    if row is None:
        raise ApiError(404, "重训练记录不存在", [{"field": "id", "message": str(retrain_id)}])
    if row["decision"] not in ("pending", "kept"):
        raise ApiError(409, f"该次重训练已是「{RETRAIN_LABELS[row['decision']]}」，无需批准",
                       [{"field": "decision", "message": row["decision"]}])
    if ref.classifier is None:
        raise ApiError(409, "分类模型未加载，无法热切换")
    path = allowed_model_dir(request.app[keys.SETTINGS], row["candidate_dir"])
    loop = asyncio.get_running_loop()
    try:
        version = await loop.run_in_executor(ref.executor, ref.classifier.reload, path)
    except Exception as exc:  # the candidate is gone or broken: say so, keep serving
        raise ApiError(422, "候选模型加载失败，仍使用原模型", [{"field": "candidate_dir", "message": str(exc)[:300]}])
    token_id = request[keys.PRINCIPAL].token_id
    if not await retrain.approve(pool, retrain_id, token_id):
        raise ApiError(409, "该次重训练已被他人处理", [{"field": "decision", "message": "changed"}])
    await choice.choose(pool, str(path), version, token_id)
    return json_response({"id": retrain_id, "decision": "approved", "version": version})
