"""The dashboard's page and static files (hotline/static), served with a strict CSP.

Third-party browser code lives in hotline/static/vendor/ with its licence beside it (Apache ECharts:
LICENSE, NOTICE); the page loads nothing from the internet.
"""
from __future__ import annotations

import re
from pathlib import Path

from aiohttp import web

from hotline.errors import ApiError

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
VENDOR_DIR = STATIC_DIR / "vendor"
STATIC_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
STATIC_NAME = re.compile(r"^[a-z0-9_-]{1,64}(\.min)?\.(html|js|css|svg)$")
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def _static_response(folder: Path, name: str, cache: str = "no-cache") -> web.Response:
    path = folder / name
    if not STATIC_NAME.match(name) or not path.is_file():
        raise ApiError(404, "资源不存在", [{"field": "name", "message": name}])
    return web.Response(body=path.read_bytes(), content_type=STATIC_TYPES[path.suffix], charset="utf-8",
                        headers={"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                                 "Cache-Control": cache, "Referrer-Policy": "no-referrer"})


async def dashboard(request: web.Request) -> web.Response:
    return _static_response(STATIC_DIR, "dashboard.html")


async def static_file(request: web.Request) -> web.Response:
    return _static_response(STATIC_DIR, request.match_info["name"])


async def vendor_file(request: web.Request) -> web.Response:
    """A vendored library (its version is in the file's header and hotline/static/vendor/README.md)."""
    return _static_response(VENDOR_DIR, request.match_info["name"], cache="max-age=86400")
