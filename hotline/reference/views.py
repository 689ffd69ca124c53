"""HTTP handlers: areas, categories and units for clients that must name them (read-only)."""
from __future__ import annotations

from aiohttp import web

from hotline import keys
from hotline.endpoints import parse_query
from hotline.errors import json_response
from hotline.reference import service
from hotline.reference.schemas import AreaQuery, CategoryQuery, UnitQuery
from models.enums import Tier


async def list_areas(request: web.Request) -> web.Response:
    rows = await service.areas(request.app[keys.POOL], parse_query(request, AreaQuery))
    return json_response({"items": [{**dict(r), "level_label": Tier(r["level"]).label} for r in rows]})


async def list_categories(request: web.Request) -> web.Response:
    rows = await service.categories(request.app[keys.POOL], parse_query(request, CategoryQuery))
    return json_response({"items": [dict(r) for r in rows]})


async def list_units(request: web.Request) -> web.Response:
    rows = await service.units(request.app[keys.POOL], parse_query(request, UnitQuery))
    return json_response({"items": [{**dict(r), "tier_label": Tier(r["tier"]).label} for r in rows]})

