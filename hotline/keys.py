"""Typed application keys: every shared resource has one, with its real type."""
from __future__ import annotations

from datetime import datetime
from typing import Callable

import asyncpg
import redis.asyncio as aioredis
from aiohttp import web

from hotline.auth import Principal, TokenCache
from hotline.breaker import Breaker
from hotline.duplicates.intake import IntakeCandidates
from hotline.endpoints import Endpoint
from hotline.notify import Notifier
from hotline.pipeline import ReferenceData
from hotline.settings import Settings
from hotline.tickets.writer import IntakeWriter

SETTINGS = web.AppKey("settings", Settings)
POOL = web.AppKey("pool", asyncpg.Pool)
REDIS = web.AppKey("redis", aioredis.Redis)
TOKENS = web.AppKey("tokens", TokenCache)
NOTIFIER = web.AppKey("notifier", Notifier)
BREAKER = web.AppKey("valkey_breaker", Breaker)  # the request path's Valkey calls (hotline.breaker)
ENDPOINTS = web.AppKey("endpoints", dict[str, Endpoint])  # route name -> its row in hotline.routes
REFERENCE = web.AppKey("reference", ReferenceData)  # classifier, split model, areas, catalogue, units (per worker)
WRITER = web.AppKey("writer", IntakeWriter)  # intake's group commit
CANDIDATES = web.AppKey("candidates", IntakeCandidates)  # intake's candidates (recent-ticket memory), per worker

PRINCIPAL = web.RequestKey("principal", Principal)  # the authenticated caller
# Optional "now" (a callable returning an aware datetime); tests inject it. Read it through hotline.clock.
CLOCK = web.AppKey("clock", Callable[[], datetime])
