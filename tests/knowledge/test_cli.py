"""`hotline kb-search`: questions on stdin, JSON lines out, the service's search on the database."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from hotline import db
from hotline.knowledge import transfer

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).parent / "data" / "articles_small.csv"


async def test_kb_search_reads_questions_and_writes_json_lines(own_database, servers):
    conn = await db.connect(own_database)
    try:
        await transfer.seed_articles(conn, FIXTURE)
    finally:
        await conn.close()
    env = {**os.environ, "DATABASE_URL": own_database, "REDIS_URL": servers.redis_url, "PYTHONPATH": str(ROOT)}
    questions = "养老保险关系怎么转到江苏\n" + json.dumps({"q": "如皋养老保险转移在哪办", "area": "320682"}) + "\n\n"
    out = subprocess.run([sys.executable, "-m", "hotline.cli", "kb-search", "--limit", "2"], input=questions,
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = [json.loads(x) for x in out.stdout.splitlines()]
    assert len(lines) == 2
    assert lines[0]["items"][0]["slug"] == "fixture.pension-transfer" and "养老保险" in lines[0]["terms"]
    assert lines[1]["area"] == "320682"
    assert [(i["slug"], i["area_code"]) for i in lines[1]["items"]][0] == ("fixture.pension-transfer", "320682")
