"""The supervisors' dashboard (督办工作台): its page and static files, served with a strict CSP."""
from __future__ import annotations

import re
from pathlib import Path

from aiohttp import web

from hotline.errors import ApiError

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
STATIC_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
STATIC_NAME = re.compile(r"^[a-z0-9_-]{1,64}\.(html|js|css|svg)$")
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def _static_response(name: str) -> web.Response:
    path = STATIC_DIR / name
    if not STATIC_NAME.match(name) or not path.is_file():
        raise ApiError(404, "资源不存在", [{"field": "name", "message": name}])
    return web.Response(body=path.read_bytes(), content_type=STATIC_TYPES[path.suffix], charset="utf-8",
                        headers={"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                                 "Cache-Control": "no-cache", "Referrer-Policy": "no-referrer"})


async def dashboard(request: web.Request) -> web.Response:
    return _static_response("dashboard.html")


async def static_file(request: web.Request) -> web.Response:
    return _static_response(request.match_info["name"])
