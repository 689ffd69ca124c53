"""Articles in and out as files: CSV and XLSX import with a per-row error report, export, and the demo seed.

Columns (the form hotlines keep their 知识库 in): slug, title, question, answer, basis_name, basis_number,
category, area_code, unit_type, public, effective_from, expires_on, keywords. The owning unit is found
from area_code + unit_type as dispatch finds a unit (the unit of that type in the area, else the
nearest parent's). XLSX is read with openpyxl (read-only mode: rows stream, formulas are not run).
"""
from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

import asyncpg
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hotline import scope
from hotline.auth import Principal
from hotline.errors import validation_error
from hotline.knowledge import flows
from hotline.knowledge.lexicon import Context
from hotline.knowledge.schemas import AREA6, SLUG
from routing import knowledge

COLUMNS = ("slug", "title", "question", "answer", "basis_name", "basis_number", "category", "area_code",
           "unit_type", "public", "effective_from", "expires_on", "keywords")
MAX_ROWS = 5000
TRUE, FALSE = {"true", "1", "yes", "是", "公开"}, {"false", "0", "no", "否", "内部", "不公开"}


class ArticleRow(BaseModel):
    """One row of an import file, read leniently (a spreadsheet's cells), checked strictly."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    slug: str = Field(..., pattern=SLUG)
    title: str = Field(..., min_length=1, max_length=200)
    question: str = Field("", max_length=2000)
    answer: str = Field(..., min_length=1, max_length=20000)
    basis_name: str = Field("", max_length=300)
    basis_number: str = Field("", max_length=100)
    category: str = Field("", max_length=64)
    area_code: str = Field(..., pattern=AREA6)
    unit_type: str = Field("", max_length=64)
    public: bool = True
    effective_from: date | None = None
    expires_on: date | None = None
    keywords: str = Field("", max_length=500)

    @field_validator("public", mode="before")
    @classmethod
    def _flag(cls, v):
        if isinstance(v, bool) or v is None:
            return True if v is None else v
        text = str(v).strip().lower()
        if text in TRUE or text == "":
            return True
        if text in FALSE:
            return False
        raise ValueError("应为 true 或 false")

    @field_validator("effective_from", "expires_on", mode="before")
    @classmethod
    def _day(cls, v):
        if isinstance(v, datetime):
            return v.date()
        return None if v is None or str(v).strip() == "" else v

    @field_validator("slug", "area_code", "category", "unit_type", "title", "answer", "question", "basis_name",
                     "basis_number", "keywords", mode="before")
    @classmethod
    def _text(cls, v):
        return "" if v is None else str(v)


def read_csv(data: bytes) -> list[dict]:
    text = data.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def read_xlsx(data: bytes) -> list[dict]:
    """The first sheet's rows as dicts keyed by the header row."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
        return [dict(zip(header, r)) for r in rows if any(c not in (None, "") for c in r)]
    finally:
        book.close()


def write_csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def write_xlsx(rows: list[dict]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("articles")
    sheet.append(list(COLUMNS))
    for r in rows:
        sheet.append([r.get(c) for c in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _errors(exc: ValidationError) -> list[dict]:
    return validation_error(exc).details


async def _lookups(db) -> tuple[dict, dict, dict]:
    parents = {r["code"]: r["parent_code"] for r in await db.fetch("SELECT code, parent_code FROM areas")}
    units = {(r["area_code"], r["unit_type"]): r["id"] for r in
             await db.fetch("SELECT id, area_code, unit_type FROM units WHERE active")}
    cats = {}
    for r in await db.fetch("SELECT code, name FROM categories"):
        cats[r["code"]] = cats[r["name"]] = r["code"]
    return parents, units, cats


def check_rows(raw: list[dict], parents: dict, units: dict, cats: dict) -> tuple[list[tuple[int, dict]], list[dict]]:
    """(line number, article content) of the good rows, and one error entry per bad row (line 2 = first row)."""
    good, bad, seen = [], [], set()
    for n, r in enumerate(raw, start=2):
        try:
            row = ArticleRow.model_validate(r)
        except ValidationError as exc:
            bad.append({"row": n, "slug": str(r.get("slug") or ""), "errors": _errors(exc)})
            continue
        errs = []
        if row.area_code not in parents:
            errs.append({"field": "area_code", "message": f"未知行政区划代码 {row.area_code}"})
        category = cats.get(row.category) if row.category else None
        if row.category and category is None:
            errs.append({"field": "category", "message": f"未知事项分类 {row.category}"})
        unit_id = None
        if row.unit_type and row.area_code in parents:
            unit_id = knowledge.owning_unit(row.area_code, row.unit_type, units, parents)
            if unit_id is None:
                errs.append({"field": "unit_type", "message": f"{row.area_code} 及上级地区没有 {row.unit_type} 类单位"})
        if row.effective_from and row.expires_on and row.expires_on < row.effective_from:
            errs.append({"field": "expires_on", "message": "失效日期早于生效日期"})
        if (row.slug, row.area_code) in seen:
            errs.append({"field": "slug", "message": "文件中同一地区的主题重复"})
        if errs:
            bad.append({"row": n, "slug": row.slug, "errors": errs})
            continue
        seen.add((row.slug, row.area_code))
        good.append((n, {"slug": row.slug, "title": row.title, "question": row.question, "answer": row.answer,
                         "basis_name": row.basis_name, "basis_number": row.basis_number, "category_code": category,
                         "area_code": row.area_code, "unit_id": unit_id, "public": row.public,
                         "effective_from": row.effective_from, "expires_on": row.expires_on,
                         "keywords": " ".join(row.keywords.split())}))
    return good, bad


EXISTING = "SELECT slug, area_code, id FROM kb_articles WHERE status <> 'retired'"


async def load(conn: asyncpg.Connection, ctx: Context, principal: Principal | None, raw: list[dict], *,
               publish: bool, now: datetime, skip_existing: bool = False) -> dict:
    """Import rows: each good row a new article (draft, or published), all in one transaction; a report per row.

    A row whose topic already has a live article in its area is an error (revise that article instead),
    or is skipped (skip_existing: the demo seed, which runs at every start)."""
    if len(raw) > MAX_ROWS:
        return {"created": 0, "skipped": 0, "errors": [{"row": 0, "slug": "", "errors": [
            {"field": "content", "message": f"一次最多导入 {MAX_ROWS} 行"}]}]}
    good, bad = check_rows(raw, *await _lookups(conn))
    existing = {(r["slug"], r["area_code"]): r["id"] for r in await conn.fetch(EXISTING)}
    created, skipped = [], 0
    async with conn.transaction():
        for n, content in good:
            if (content["slug"], content["area_code"]) in existing:
                if skip_existing:
                    skipped += 1
                    continue
                bad.append({"row": n, "slug": content["slug"], "errors": [{"field": "slug", "message":
                            f"该地区已有同一主题的条目（编号 {existing[(content['slug'], content['area_code'])]}），请修订该条目"}]})
                continue
            if principal is not None and not await scope.manages_article(conn, principal, {**content, "id": 0}):
                bad.append({"row": n, "slug": content["slug"], "errors": [
                    {"field": "area_code", "message": "超出本单位或本辖区的管理范围"}]})
                continue
            row = await flows.create(conn, principal, content, now, reason="导入")
            if publish:
                await flows.act(conn, ctx, principal, row["id"], "review", now, "导入")
                row = await flows.act(conn, ctx, principal, row["id"], "publish", now, "导入")
            created.append(row["id"])
    bad.sort(key=lambda e: e["row"])
    return {"created": len(created), "skipped": skipped, "ids": created, "errors": bad}


async def seed_articles(conn: asyncpg.Connection, path: Path | None = None) -> int:
    """The demo's articles (hotline/knowledge/data/articles.csv), published; rows already there are kept.

    Written in bulk (a few statements for the whole file, each article with its version, a `seed` event
    and its search row), because every new database loads it: the sample province, the tests' ones."""
    from hotline.knowledge.lexicon import ARTICLES_CSV

    path = path or ARTICLES_CSV
    if not path.exists():
        return 0
    good, bad = check_rows(read_csv(path.read_bytes()), *await _lookups(conn))
    if bad:
        import logging

        logging.getLogger(__name__).warning("articles seed: %d rows refused: %s", len(bad), bad[:3])
    existing = {(r["slug"], r["area_code"]) for r in await conn.fetch(EXISTING)}
    fresh = [c for _, c in good if (c["slug"], c["area_code"]) not in existing]
    if fresh:
        async with conn.transaction():
            await publish_bulk(conn, fresh, datetime.now().astimezone())
    return len(fresh)


BULK_ARTICLES = """
INSERT INTO kb_articles (slug, title, question, answer, basis_name, basis_number, category_code, area_code, unit_id,
                         public, effective_from, expires_on, keywords, status, published_at, created_at, updated_at)
SELECT *, 'published', $14, $14, $14
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
            $9::int[], $10::bool[], $11::date[], $12::date[], $13::text[])
RETURNING id, slug, area_code
"""
BULK_VERSIONS = """
INSERT INTO kb_versions (article_id, version, content, at) SELECT id, 1, content, $3
FROM unnest($1::bigint[], $2::jsonb[]) AS x(id, content)
"""
BULK_EVENTS = """
INSERT INTO kb_events (article_id, at, action, from_status, to_status, version, reason)
SELECT id, $2, 'seed', NULL, 'published', 1, '示例数据（随系统发布）' FROM unnest($1::bigint[]) AS x(id)
"""
BULK_INDEX = """
INSERT INTO kb_search (article_id, slug, area_code, depth, public, category_code, effective_from, expires_on, tsv)
SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::smallint[], $5::bool[], $6::text[], $7::date[],
                     $8::date[], $9::text[]::tsvector[])
"""


async def publish_bulk(conn: asyncpg.Connection, contents: list[dict], now: datetime) -> list[int]:
    """Articles published at once (the seed): rows, versions, events and search rows in four statements."""
    from hotline.knowledge.lexicon import lexicon
    from routing.knowledge_text import tsvector_text

    cols = ("slug", "title", "question", "answer", "basis_name", "basis_number", "category_code", "area_code",
            "unit_id", "public", "effective_from", "expires_on", "keywords")
    rows = await conn.fetch(BULK_ARTICLES, *([c[k] for c in contents] for k in cols), now)
    ids = {(r["slug"], r["area_code"]): r["id"] for r in rows}
    order = [ids[(c["slug"], c["area_code"])] for c in contents]
    snapshots = [{k: c[k].isoformat() if hasattr(c[k], "isoformat") else c[k] for k in cols} for c in contents]
    await conn.execute(BULK_VERSIONS, order, snapshots, now)
    await conn.execute(BULK_EVENTS, order, now)
    parents = {r["code"]: r["parent_code"] for r in await conn.fetch("SELECT code, parent_code FROM areas")}
    lex = lexicon()
    await conn.execute(BULK_INDEX, order, [c["slug"] for c in contents], [c["area_code"] for c in contents],
                       [len(knowledge.ancestors(c["area_code"], parents)) - 1 for c in contents],
                       [c["public"] for c in contents], [c["category_code"] for c in contents],
                       [c["effective_from"] for c in contents], [c["expires_on"] for c in contents],
                       [tsvector_text([c["title"], f"{c['question']} {c['keywords']}", c["answer"]], lex)
                        for c in contents])
    return order


EXPORT = """
SELECT a.*, u.unit_type FROM kb_articles a LEFT JOIN units u ON u.id = a.unit_id
WHERE ($1::text IS NULL OR a.status = $1::kb_status) AND (a.status = 'published' OR {scope})
ORDER BY a.id
"""
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def export_rows(db, status: str | None, principal: Principal) -> list[dict]:
    """Articles in the import columns: published ones, and the others the caller manages."""
    args: list = [status]
    rows = await db.fetch(EXPORT.format(scope=scope.article_clause(principal, args)), *args)
    return [{**{c: r[c] for c in ("slug", "title", "question", "answer", "basis_name", "basis_number", "area_code",
                                  "keywords")},
             "category": r["category_code"] or "", "unit_type": r["unit_type"] or "",
             "public": "true" if r["public"] else "false",
             "effective_from": r["effective_from"].isoformat() if r["effective_from"] else "",
             "expires_on": r["expires_on"].isoformat() if r["expires_on"] else ""} for r in rows]
