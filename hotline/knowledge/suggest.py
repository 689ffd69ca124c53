"""Suggestions at intake: the top articles for a new ticket's text and area, within a time budget.

Only calls that stay on the hotline (triage, where `answer_on_call` puts a consultation) get them: a
direct answer is only possible before dispatch, and a call dispatched at intake is the unit's
(HOTLINE_KB_SUGGEST_ALL=true also searches for those). The search runs as its own task, so one slower
than the budget (HOTLINE_KB_SUGGEST_BUDGET_MS) is left out of the answer rather than cancelled
mid-query; its connection returns to the pool when it ends. A budget of 0 turns suggestions off.
"""
from __future__ import annotations

import asyncio
import logging
from zoneinfo import ZoneInfo

from aiohttp import web

from hotline import keys, wallclock
from hotline.knowledge.lexicon import context
from hotline.knowledge.search import search

log = logging.getLogger(__name__)
BEIJING = ZoneInfo("Asia/Shanghai")
FIELDS = ("id", "slug", "title", "snippet", "highlights", "area_code", "area_name", "public", "score")


async def suggestions(app: web.Application, row) -> list[dict]:
    """Up to kb_suggest_limit articles for the ticket, or [] when over budget, off, or failing."""
    settings = app[keys.SETTINGS]
    budget = settings.kb_suggest_budget_ms
    if budget <= 0 or row["status"] == "transferred":
        return []
    if row["status"] != "triage" and not settings.kb_suggest_all:
        return []
    pool = app[keys.POOL]
    text = f"{row['title']}\n{row['content']}" if row["title"] else row["content"]
    area = row["county_code"] or row["city_code"] or row["province_code"]
    day = wallclock.now(app).astimezone(BEIJING).date()
    task = asyncio.ensure_future(search(pool, context(pool), text, area=area, limit=settings.kb_suggest_limit,
                                        on=day))
    try:
        found = await asyncio.wait_for(asyncio.shield(task), budget / 1000)
    except TimeoutError:
        task.add_done_callback(_late)
        return []
    except Exception:  # suggestions must never fail an intake
        log.exception("suggestions failed for ticket %s", row["id"])
        return []
    return [{k: item[k] for k in FIELDS} for item in found.items]


def _late(task: asyncio.Future) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("late suggestions failed: %s", task.exception())
