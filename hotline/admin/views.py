"""Admin endpoints: which classifier serves, and swapping in a new version without a restart.

A reload is recorded in PostgreSQL and reaches every worker within classifier_poll_seconds."""
from __future__ import annotations

import asyncio

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from hotline import keys
from hotline.admin import choice
from hotline.admin.choice import allowed_model_dir
from hotline.endpoints import SafeStr, parse_body
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
