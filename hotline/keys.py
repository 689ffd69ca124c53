"""Typed application keys: every shared resource has one."""
from __future__ import annotations

import asyncpg
import redis.asyncio as aioredis
from aiohttp import web

from hotline.auth import Principal, TokenCache
from hotline.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
POOL = web.AppKey("pool", asyncpg.Pool)
REDIS = web.AppKey("redis", aioredis.Redis)
TOKENS = web.AppKey("tokens", TokenCache)
NOTIFIER = web.AppKey("notifier", object)
ENDPOINTS = web.AppKey("endpoints", dict)
MODELS = web.AppKey("models", object)  # hotline.pipeline.Models
WRITER = web.AppKey("writer", object)  # hotline.tickets.writer.IntakeWriter: intake's group commit

PRINCIPAL = web.RequestKey("principal", Principal)  # the authenticated caller
CLOCK = web.AppKey("clock", object)  # optional callable -> aware datetime: "now" for workflow (tests inject)
