"""`hotline kb-search` and `hotline kb-import`: 热线百科 from the command line, without the HTTP service.

kb-search reads questions on stdin (a line of text, or {"q": ..., "area": ...}) and writes one JSON line
each: the query's terms and the top articles. It runs the service's own search (hotline.knowledge.search)
against the database: DATABASE_URL when set, else the embedded PostgreSQL of the state dir (started and
stopped here when no `hotline serve` runs). A database without articles is migrated and seeded first,
so on a fresh machine it searches the shipped articles (hotline/knowledge/data/articles.csv).
"""
from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo


def _question(line: str, default_area: str | None) -> tuple[str, str | None]:
    if line.startswith("{"):
        try:
            obj = json.loads(line)
        except ValueError:
            return line, default_area
        if isinstance(obj, dict):
            text = obj.get("q") or obj.get("text") or obj.get("question") or ""
            return str(text), str(obj.get("area") or default_area or "") or None
    return line, default_area


async def _ready(url: str):
    """A pool on a migrated database that holds articles (seeding the sample data when it holds none)."""
    from hotline import db
    from hotline.seed import seed_all

    conn = await db.connect(url)
    try:
        await db.migrate(conn)
        if not await conn.fetchval("SELECT count(*) FROM kb_articles"):
            await seed_all(conn)
    finally:
        await conn.close()
    return await db.create_pool(url, min_size=1, max_size=2)


async def _search_lines(url: str, args) -> int:
    from hotline.knowledge.lexicon import context
    from hotline.knowledge.search import search

    pool = await _ready(url)
    try:
        ctx = context(pool)
        day = datetime.now(ZoneInfo("Asia/Shanghai")).date()
        for raw in sys.stdin:
            line = raw.strip()
            if not line:
                continue
            text, area = _question(line, args.area)
            found = await search(pool, ctx, text, area=area, limit=args.limit, on=day, public_only=args.public)
            out = {"query": text, "area": area, "terms": list(found.plan.terms),
                   "items": [{k: i[k] for k in ("id", "slug", "title", "area_code", "category", "score")}
                             for i in found.items]}
            sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
            sys.stdout.flush()
    finally:
        await pool.close()
    return 0


async def _import(url: str, path: Path, publish: bool) -> dict:
    from hotline.knowledge import transfer
    from hotline.knowledge.lexicon import Context

    pool = await _ready(url)
    try:
        data = path.read_bytes()
        rows = transfer.read_xlsx(data) if path.suffix.lower() == ".xlsx" else transfer.read_csv(data)
        async with pool.acquire() as conn:
            return await transfer.load(conn, Context(), None, rows, publish=publish,
                                       now=datetime.now(ZoneInfo("Asia/Shanghai")))
    finally:
        await pool.close()


def _with_database(run) -> int:
    from hotline import infra
    from hotline.settings import Settings

    with infra.servers(Settings()) as settings:
        return run(settings.database_url)


def cmd_kb_search(args) -> int:
    return _with_database(lambda url: asyncio.run(_search_lines(url, args)))


def cmd_kb_import(args) -> int:
    result = _with_database(lambda url: asyncio.run(_import(url, Path(args.file), args.publish)))
    print(json.dumps(result, ensure_ascii=False, default=str))
    return 1 if result["errors"] else 0


def register(sub) -> None:
    p = sub.add_parser("kb-search", help="热线百科: questions on stdin (text or {\"q\", \"area\"}), "
                                         "JSON lines with the top articles on stdout")
    p.add_argument("--area", help="default area code of the questions (e.g. 320682)")
    p.add_argument("--limit", type=int, default=3)
    p.add_argument("--public", action="store_true", help="public articles only (as the 政务问答台)")
    p.set_defaults(func=cmd_kb_search)
    p = sub.add_parser("kb-import", help="热线百科: import articles from a CSV or XLSX file (report on stdout)")
    p.add_argument("file")
    p.add_argument("--publish", action="store_true", help="publish the imported articles at once")
    p.set_defaults(func=cmd_kb_import)
