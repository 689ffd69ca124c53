"""The detector: hotspots (county x category) and surges (county), run on a timer at `now`.

One run, in one transaction under an advisory lock (another worker running it at the same time skips):
1. counts the sliding window's calls per key and, for keys with at least min_count, the baseline
   before the window; routing.hotspots.judge decides (Poisson upper tail, docs/hotspots.md);
2. opens an episode for a newly flagged key or refreshes the open one (hotspots_open / surges_open:
   one open episode per key, so a key is announced once per episode however many workers run);
3. ends episodes not flagged for the cool-down.
After commit the new episodes go out on the supervisors' stream (`hotspot` / `surge` events),
best effort like every announcement: the tables are the record, GET /reports/hotspots reads them.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import asyncpg
from redis.exceptions import RedisError

from hotline.escalation.sweep import ESCALATION_STREAM
from hotline.hotspots import service
from hotline.jsoncodec import iso
from hotline.notify import STREAM_MAXLEN
from hotline.settings import Settings
from routing.hotspots import Rule, judge

log = logging.getLogger(__name__)

MAX_TICKET_IDS = 50
HOTSPOT_LABEL = "热点预警"
SURGE_LABEL = "话务激增"


def hotspot_rule(s: Settings) -> Rule:
    return Rule(s.hotspot_window_hours, s.hotspot_baseline_days * 24, s.hotspot_min_count, s.hotspot_alpha,
                s.hotspot_floor)


def surge_rule(s: Settings) -> Rule:
    return Rule(s.surge_window_hours, s.surge_window_hours * s.surge_baseline_days, s.surge_min_count,
                s.surge_alpha, s.surge_floor)


@dataclass
class Detection:
    """What one run found."""

    ran: bool = False                     # False: another worker held the lock
    hotspots: int = 0                     # keys flagged now
    surges: int = 0
    opened: list[int] = field(default_factory=list)        # new hotspot episodes
    opened_surges: list[int] = field(default_factory=list)
    ended: int = 0
    announcements: list[dict] = field(default_factory=list)


async def _hotspots(conn: asyncpg.Connection, s: Settings, now: datetime, found: Detection) -> None:
    rule = hotspot_rule(s)
    start = now - timedelta(hours=rule.window_hours)
    rows = await service.window_counts(conn, start, now, rule.min_count, MAX_TICKET_IDS)
    keys = [(r["county_code"], r["category_code"]) for r in rows]
    base = await service.baseline_counts(conn, start - timedelta(hours=rule.baseline_hours), start, keys)
    for r, key in zip(rows, keys):
        j = judge(r["n"], base.get(key, 0), rule)
        if not j.flagged:
            continue
        found.hotspots += 1
        ep = await service.upsert_hotspot(conn, *key, rule.window_hours, now, j, list(r["ids"]))
        if ep["inserted"]:
            found.opened.append(ep["id"])
    found.ended += await service.end_quiet(conn, "hotspots", now, now - timedelta(hours=s.hotspot_cooldown_hours))


def surge_spans(now: datetime, rule: Rule, days: int) -> list[tuple[datetime, datetime, int]]:
    """The window (d = 0) and the same hours of each of the `days` days before it."""
    width = timedelta(hours=rule.window_hours)
    return [(now - timedelta(days=d) - width, now - timedelta(days=d), d) for d in range(days + 1)]


async def _surges(conn: asyncpg.Connection, s: Settings, now: datetime, found: Detection) -> None:
    rule = surge_rule(s)
    for r in await service.surge_counts(conn, surge_spans(now, rule, s.surge_baseline_days), rule.min_count):
        j = judge(r["n"], r["base"], rule)
        if not j.flagged:
            continue
        found.surges += 1
        ep = await service.upsert_surge(conn, r["county_code"], rule.window_hours, now, j)
        if ep["inserted"]:
            found.opened_surges.append(ep["id"])
    found.ended += await service.end_quiet(conn, "surges", now, now - timedelta(hours=s.surge_cooldown_hours))


async def detect(pool: asyncpg.Pool, settings: Settings, now: datetime) -> Detection:
    """One run of the detector at `now` (committed before returning); announcements not yet sent."""
    found = Detection()
    async with pool.acquire() as conn, conn.transaction():
        if not await conn.fetchval(service.TRY_LOCK):
            return found
        found.ran = True
        await _hotspots(conn, settings, now, found)
        await _surges(conn, settings, now, found)
    for hid in found.opened:
        found.announcements.append(hotspot_record(await service.hotspot(pool, hid), now))
    for sid in found.opened_surges:
        found.announcements.append(surge_record(await service.surge(pool, sid), now))
    return found


def _place(row) -> dict:
    """The area fields the stream's scope filter reads (hotline.scope.sees_escalation)."""
    return {"area_code": row["county_code"], "area_name": row["area_name"], "county_code": row["county_code"],
            "city_code": row["city_code"], "province_code": row["province_code"]}


def hotspot_record(row, now: datetime) -> dict:
    """The `hotspot` announcement (no personal data)."""
    return {"kind": "hotspot", "label": HOTSPOT_LABEL, "hotspot_id": row["id"], **_place(row),
            "category": row["category_code"], "category_name": row["category_name"], "count": row["count"],
            "baseline": row["expected"], "score": row["score"], "p_value": row["p_value"],
            "window_hours": float(row["window_hours"]), "ticket_ids": ",".join(map(str, row["ticket_ids"])),
            "started_at": iso(row["started_at"]), "at": iso(now),
            "reason": f"{row['area_name']}「{row['category_name']}」{float(row['window_hours']):g} 小时内来电 "
                      f"{row['count']} 件，基线 {row['expected']:.1f} 件"}


def surge_record(row, now: datetime) -> dict:
    """The `surge` announcement."""
    return {"kind": "surge", "label": SURGE_LABEL, "surge_id": row["id"], **_place(row), "count": row["count"],
            "baseline": row["expected"], "score": row["score"], "p_value": row["p_value"],
            "window_hours": float(row["window_hours"]), "started_at": iso(row["started_at"]), "at": iso(now),
            "reason": f"{row['area_name']} {float(row['window_hours']):g} 小时内来电 {row['count']} 件，"
                      f"同时段基线 {row['expected']:.1f} 件：相同诉求自动归并"}


async def announce(redis, records: list[dict]) -> int:
    """Put the records on the supervisors' stream; how many went out (0 when Valkey is down)."""
    if redis is None or not records:
        return 0
    try:
        async with redis.pipeline(transaction=False) as pipe:
            for rec in records:
                pipe.xadd(ESCALATION_STREAM, {k: "" if v is None else str(v) for k, v in rec.items()},
                          maxlen=STREAM_MAXLEN, approximate=True)
            await pipe.execute()
        return len(records)
    except (RedisError, OSError) as exc:
        log.warning("valkey: %d hotspot/surge announcement(s) not sent (%s)", len(records), type(exc).__name__)
        return 0


async def run(app) -> Detection | None:
    """The scheduled job: detect at the app's now and announce; never raises into the scheduler."""
    from hotline import keys, wallclock

    try:
        found = await detect(app[keys.POOL], app[keys.SETTINGS], wallclock.now(app))
        await announce(app.get(keys.REDIS), found.announcements)
        return found
    except Exception:
        log.exception("hotspot detection failed; the next run retries")
        return None
