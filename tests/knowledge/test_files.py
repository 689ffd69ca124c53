"""Import (CSV, XLSX) with a per-row error report, export, the demo seed's loader, the gaps and stale
reports, and the public endpoints' per-client limit."""
from __future__ import annotations

import base64
import csv
import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer
from openpyxl import Workbook, load_workbook

from hotline.app import create_app
from hotline.knowledge import transfer
from models.enums import Role

FIXTURE = Path(__file__).parent / "data" / "articles_small.csv"
HEADER = list(transfer.COLUMNS)


def _csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=HEADER)
    w.writeheader()
    w.writerows(rows)
    return out.getvalue().encode()


def _row(slug: str, **kw) -> dict:
    base = {c: "" for c in HEADER}
    base.update(slug=slug, title="测试条目", answer="测试答复口径。", area_code="320682", unit_type="hrss",
                public="true", category="hrss.social_insurance")
    base.update(kw)
    return base


async def test_import_reports_every_bad_row_and_keeps_the_good_ones(kb_client, kb_tokens, kb_call):
    supervisor = await kb_tokens.make(Role.SUPERVISOR, area="320600")
    rows = [_row("import.good", title="灵活就业人员参保"),
            _row("import.bad-area", area_code="999999"),
            _row("import.no-answer", answer=""),
            _row("Import Bad Slug"),
            _row("import.bad-date", effective_from="2026-13-01"),
            _row("import.bad-flag", public="maybe"),
            _row("import.order", effective_from="2026-05-01", expires_on="2026-04-01"),
            _row("import.outside", area_code="320100"),
            _row("import.good", title="重复")]
    body = {"format": "csv", "content": base64.b64encode(_csv(rows)).decode()}
    report = await kb_call(kb_client, "POST", "/api/v1/kb/import", supervisor, body)
    assert report["rows"] == 9 and report["created"] == 1
    errors = {e["row"]: {d["field"] for d in e["errors"]} for e in report["errors"]}
    assert errors == {3: {"area_code"}, 4: {"answer"}, 5: {"slug"}, 6: {"effective_from"}, 7: {"public"},
                      8: {"expires_on"}, 9: {"area_code"}, 10: {"slug"}}, report["errors"]
    made = await kb_call(kb_client, "GET", f"/api/v1/kb/articles/{report['ids'][0]}", supervisor)
    assert made["status"] == "draft" and made["unit"]["code"] == "320682-hrss"
    # the same file again: the good row is now a conflict, named with the article to revise
    again = await kb_call(kb_client, "POST", "/api/v1/kb/import", supervisor, body)
    assert again["created"] == 0 and "请修订该条目" in again["errors"][0]["errors"][0]["message"]
    # a unit may not import and publish at once
    handler = await kb_tokens.make(Role.HANDLER, unit="320682-hrss")
    await kb_call(kb_client, "POST", "/api/v1/kb/import", handler, {**body, "publish": True}, status=403)
    bad = await kb_call(kb_client, "POST", "/api/v1/kb/import", supervisor,
                        {"format": "xlsx", "content": base64.b64encode(b"not a workbook").decode()}, status=422)
    assert bad["details"][0]["field"] == "content"


async def test_xlsx_import_and_export_round_trip(kb_client, kb_tokens, kb_call):
    admin = await kb_tokens.make(Role.ADMIN)
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    good = _row("xlsx.newborn", title="新生儿落户", answer="新生儿落户凭出生医学证明到派出所办理。", unit_type="public_security",
                category="police.admin")
    sheet.append([good[c] for c in HEADER])
    sheet.append([_row("xlsx.bad", category="no.such")[c] for c in HEADER])
    out = io.BytesIO()
    book.save(out)
    report = await kb_call(kb_client, "POST", "/api/v1/kb/import", admin,
                           {"format": "xlsx", "content": base64.b64encode(out.getvalue()).decode(), "publish": True})
    assert report["created"] == 1 and [e["row"] for e in report["errors"]] == [3]
    assert report["errors"][0]["errors"][0]["field"] == "category"
    resp = await kb_client.get("/api/v1/kb/export.csv?status=published", headers=admin)
    assert resp.status == 200 and resp.content_type == "text/csv"
    exported = list(csv.DictReader(io.StringIO((await resp.read()).decode("utf-8-sig"))))
    mine = [r for r in exported if r["slug"] == "xlsx.newborn"]
    assert mine and mine[0]["unit_type"] == "public_security" and mine[0]["category"] == "police.admin"
    resp = await kb_client.get("/api/v1/kb/export.xlsx", headers=admin)
    rows = list(load_workbook(io.BytesIO(await resp.read()), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert list(rows[0]) == HEADER and any(r[0] == "xlsx.newborn" for r in rows[1:])


async def test_seed_loader_publishes_the_file_with_units_resolved(kb_pool, kb_client, kb_tokens, kb_call):
    async with kb_pool.acquire() as conn:
        assert await transfer.seed_articles(conn, FIXTURE) == 3
        assert await transfer.seed_articles(conn, FIXTURE) == 0, "seeding again keeps what is there"
    rows = {(r["slug"], r["area_code"]): r for r in await kb_pool.fetch(
        "SELECT a.slug, a.area_code, a.status::text, a.public, u.code FROM kb_articles a "
        "JOIN units u ON u.id = a.unit_id WHERE a.slug LIKE 'fixture.%'")}
    assert rows["fixture.pension-transfer", "320000"]["code"] == "320000-hrss"
    assert rows["fixture.pension-transfer", "320682"]["code"] == "320682-hrss"
    gjj = rows["fixture.gjj-withdraw", "320600"]
    assert gjj["code"] == "320600-housing" and not gjj["public"]
    assert all(r["status"] == "published" for r in rows.values())
    agent = await kb_tokens.make(Role.AGENT)
    found = await kb_call(kb_client, "GET", "/api/v1/kb/search?q=养老保险怎么转移&area=320682", agent)
    topic = [i["area_code"] for i in found["items"] if i["slug"] == "fixture.pension-transfer"]
    assert topic == ["320682"], "如皋's own version replaces the province's there"
    found = await kb_call(kb_client, "GET", "/api/v1/kb/search?q=养老保险怎么转移&area=320681", agent)
    assert (found["items"][0]["slug"], found["items"][0]["area_code"]) == ("fixture.pension-transfer", "320000")


async def test_gaps_and_stale_reports(kb_client, kb_pool, kb_tokens, kb_call):
    agent = await kb_tokens.make(Role.AGENT)
    admin = await kb_tokens.make(Role.ADMIN)
    await kb_call(kb_client, "GET", "/api/v1/kb/search?q=电动自行车上牌在哪里办", agent)
    await kb_call(kb_client, "GET", "/api/v1/qa/search?q=电动自行车上牌", None)
    tid = (await kb_call(kb_client, "POST", "/api/v1/tickets", agent, {
        "channel": "phone", "content": "河道里有人偷倒建筑垃圾", "area_code": "320682"}, status=201))["id"]
    await kb_pool.execute("UPDATE tickets SET category_code = 'eco.pollution' WHERE id = $1", tid)
    gaps = await kb_call(kb_client, "GET", "/api/v1/reports/kb-gaps", agent)
    assert any(s["terms"] == "电动自行车 上牌" and s["searches"] >= 1 for s in gaps["unanswered_searches"]), gaps
    assert "eco.pollution" in [c["category"] for c in gaps["categories"]]
    assert "hrss.social_insurance" not in [c["category"] for c in gaps["categories"]], "it has live articles"

    old = await _publish_old(kb_client, kb_call, kb_pool, admin)
    stale = await kb_call(kb_client, "GET", "/api/v1/reports/kb-stale?idle_days=365", agent)
    reasons = {i["id"]: i["reason"] for i in stale["items"]}
    assert reasons.get(old) == "idle"
    await kb_call(kb_client, "GET", f"/api/v1/kb/articles/{old}", agent)  # opening it makes it current
    stale = await kb_call(kb_client, "GET", "/api/v1/reports/kb-stale?idle_days=365", agent)
    assert old not in [i["id"] for i in stale["items"]]


async def _publish_old(client, call, pool, admin) -> int:
    made = await call(client, "POST", "/api/v1/kb/articles", admin, {
        "slug": "stale.old", "title": "旧政策", "answer": "旧口径。", "area_code": "320682"}, status=201)
    await call(client, "POST", f"/api/v1/kb/articles/{made['id']}/review", admin, {})
    await call(client, "POST", f"/api/v1/kb/articles/{made['id']}/publish", admin, {})
    await pool.execute("UPDATE kb_articles SET published_at = $2 WHERE id = $1", made["id"],
                       datetime.now(timezone.utc) - timedelta(days=400))
    return made["id"]


async def test_public_search_is_limited_per_client(settings, own_database, kb_pool):
    limited = settings.model_copy(update={"database_url": own_database, "public_rate_per_minute": 5})
    async with TestServer(create_app(limited)) as server:
        base = f"http://127.0.0.1:{server.port}"
        connector = aiohttp.TCPConnector(local_addr=("127.0.0.61", 0))
        async with aiohttp.ClientSession(connector=connector) as http:
            statuses = []
            for _ in range(8):
                async with http.get(f"{base}/api/v1/qa/search?q=公积金") as r:
                    statuses.append((r.status, r.headers.get("Retry-After")))
    assert [s for s, _ in statuses[:5]] == [200] * 5
    assert all(s == 429 and retry for s, retry in statuses[5:]), statuses
