"""热线百科 search at 100,000 articles (target p95 < 50 ms), and the cost of suggestions at intake.

Part 1 (search): a fresh database gets N generated articles (default 100,000) written the way
publishing writes them (jieba segmentation into kb_search, kb_terms by its trigger), spread over the
sample province's areas (10% province, 30% city, 60% county; 5% of topics with a local override).
Texts are built from the taxonomy's scope phrases, the synonym file and hotline words (topic words
drawn with Zipf weights 1/rank^0.5, so the commonest is in about a tenth of the articles), plus a few
words per article from jieba's dictionary that make it specific; filler words (办理, 材料, 申请 ...) are
in most articles. The most frequent terms and their shares are printed.
Questions (default 300) are written from the same vocabulary in caller style, each from a random
county. Each is searched through hotline.knowledge.search.search (segmentation, term frequencies,
the SQL, snippets), one at a time after a warm-up, in rounds alternating with two in-run baselines:
- `pk`: the same connection's round trip for one article by primary key (the floor of any query);
- `raw`: the same question as the naive query: an OR of all its terms, every match ranked, then the
  limit (what the design avoids: no frequency-based choice of terms, no cap on the ranked candidates).
Prints p50/p95/max per kind and the ratios search/pk and search/raw.

Part 2 (intake, --intake): three `hotline serve --workers 2` services on the same database: suggestions
off (HOTLINE_KB_SUGGEST_BUDGET_MS=0), on as shipped (calls left in triage only), and on for every call
(HOTLINE_KB_SUGGEST_ALL=true), taking turns under the same POST /api/v1/tickets load and bodies as
bench/bench_intake.py (its asyncio generator); prints req/s, p50/p99 and the ratios to "off".

    PYTHONPATH=. python3 bench/bench_kb.py [--articles 100000] [--questions 300] [--rounds 3] [--intake]

Figures come from a shared 2-core machine: quote the ratios beside the absolute numbers.
"""
from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DB = "hotline_bench_kb"
TEMPLATES_Q = ["{a}{b}怎么办理", "请问{a}需要什么材料", "{a}在哪里办{b}", "我想咨询一下{a}和{b}的问题", "{a}{b}多久能办好",
               "{a}可以网上办理吗", "{a}有什么条件", "{b}的{a}怎么申请", "家里{a}出了问题，{b}找哪个部门"]
FILLER = ("办理 需要 可以 材料 窗口 网上 申请 提供 身份证 工作日 受理 审核 咨询 电话 部门 条件 规定 标准 流程 "
          "时间 地点 服务 中心 社区 街道 市民 本人 委托 代办 证明 复印件 原件 登记 备案 查询 结果 通知 短信").split()


def vocabulary() -> list[str]:
    """Topic words: the taxonomy's scope phrases and the synonym groups."""
    words: list[str] = []
    with open(ROOT / "classifier" / "data" / "taxonomy.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            words += [w for w in r["scope"].replace("，", "、").split("、") if w]
    with open(ROOT / "hotline" / "knowledge" / "data" / "synonyms.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            words += [r["term"], *r["synonyms"].split()]
    return list(dict.fromkeys(w.strip() for w in words if w.strip()))


def specific_words(n: int = 30_000, seed: int = 3) -> list[str]:
    """Words of jieba's dictionary (2-4 characters, middling frequency): the names, places and objects
    that make each real article specific. Each article takes a few, uniformly."""
    import jieba

    from classifier.text import init_jieba

    init_jieba()
    pool = [w for w, f in jieba.dt.FREQ.items() if 2 <= len(w) <= 4 and 50 <= f <= 5000
            and all("\u4e00" <= ch <= "\u9fff" for ch in w)]
    pool.sort()
    return random.Random(seed).sample(pool, min(n, len(pool)))


def zipf_choice(rnd: random.Random, words: list[str], s: float = 0.5) -> str:
    weights = getattr(zipf_choice, "_w", None)
    if weights is None or len(weights) != len(words):
        weights = [1 / (i + 1) ** s for i in range(len(words))]
        zipf_choice._w = weights
    return rnd.choices(words, weights=weights)[0]


def article_text(rnd: random.Random, words: list[str], specific: list[str]) -> tuple[str, str, str, str]:
    a, b, c = (zipf_choice(rnd, words) for _ in range(3))
    own = rnd.sample(specific, rnd.randint(4, 10))
    title = f"{a}{rnd.choice(['办理指南', '常见问题', '政策解读', '申请条件', '办理流程'])}"
    question = rnd.choice(TEMPLATES_Q).format(a=a, b=b)
    sentences = []
    for _ in range(rnd.randint(3, 7)):
        parts = ([rnd.choice([a, b, c, zipf_choice(rnd, words)]), rnd.choice(own)]
                 + rnd.choices(FILLER, k=rnd.randint(3, 7)))
        rnd.shuffle(parts)
        sentences.append("".join(parts))
    return f"{own[0]}{title}", question, "。".join(sentences) + "。", f"{a} {b} {own[1]}"


def questions(n: int, words: list[str], specific: list[str], counties: list[str],
              seed: int = 7) -> list[tuple[str, str]]:
    """Caller-style questions: half about a common topic only, half naming something specific too."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        b = rnd.choice(specific) if i % 2 else zipf_choice(rnd, words)
        out.append((rnd.choice(TEMPLATES_Q).format(a=zipf_choice(rnd, words), b=b), rnd.choice(counties)))
    return out


async def build(url: str, n: int, seed: int = 1) -> list[str]:
    """N published articles in kb_articles and kb_search; returns the county codes."""
    from hotline import db
    from hotline.knowledge.lexicon import lexicon
    from routing import knowledge
    from routing.knowledge_text import tsvector_text

    conn = await db.connect(url)
    try:
        areas = await conn.fetch("SELECT code, parent_code, level::text FROM areas")
        parents = {r["code"]: r["parent_code"] for r in areas}
        by_level = {lv: [r["code"] for r in areas if r["level"] == lv] for lv in ("province", "city", "county")}
        words, specific = vocabulary(), specific_words()
        rnd = random.Random(seed)
        lex = lexicon()
        t0 = time.perf_counter()
        articles, index = [], []
        for i in range(n):
            level = rnd.choices(["province", "city", "county"], weights=[10, 30, 60])[0]
            area = rnd.choice(by_level[level])
            title, question, answer, keywords = article_text(rnd, words, specific)
            slug = f"gen.{i // 2}" if rnd.random() < 0.05 else f"gen.{i}"  # some topics at two levels
            tsv = tsvector_text([title, f"{question} {keywords}", answer], lex)
            articles.append((slug, title, question, answer, area, keywords))
            index.append((slug, area, len(knowledge.ancestors(area, parents)) - 1, rnd.random() < 0.8, tsv))
        seg = time.perf_counter() - t0
        await conn.execute("CREATE TEMP TABLE gen (id bigint, slug text, title text, question text, answer text,"
                           " area text, keywords text, depth int, public bool, tsv text)")
        base = 10_000_000
        await conn.copy_records_to_table("gen", records=[(base + i, *a, x[2], x[3], x[4])
                                                         for i, (a, x) in enumerate(zip(articles, index))])
        async with conn.transaction():
            await conn.execute("DROP INDEX IF EXISTS kb_articles_slug_area")  # generated slugs may collide
            await conn.execute("INSERT INTO kb_articles (id, slug, title, question, answer, area_code, keywords, "
                               "public, status, published_at) SELECT id, slug, title, question, answer, area, "
                               "keywords, public, 'published', now() FROM gen")
            await conn.execute("INSERT INTO kb_search (article_id, slug, area_code, depth, public, tsv) "
                               "SELECT id, slug, area, depth, public, tsv::tsvector FROM gen")
        await conn.execute("ANALYZE kb_search; ANALYZE kb_articles; ANALYZE kb_terms")
        count = await conn.fetchval("SELECT count(*) FROM kb_search")
        terms = await conn.fetchval("SELECT count(*) FROM kb_terms")
        size = await conn.fetchval("SELECT pg_size_pretty(pg_relation_size('kb_search_tsv'))")
        top = await conn.fetch("SELECT term, df FROM kb_terms WHERE term <> '' AND left(term, 1) <> '^' "
                               "ORDER BY df DESC LIMIT 6")
        print("most frequent terms (share of articles):",
              ", ".join(f"{r['term']} {r['df'] / max(count, 1):.0%}" for r in top))
        print(f"built {count:,} indexed articles (segmentation {seg:.0f} s, total {time.perf_counter() - t0:.0f} s); "
              f"{terms:,} distinct terms; GIN index {size}")
        return by_level["county"]
    finally:
        await conn.close()


# The straightforward query the design avoids: every term, every match ranked, then the limit.
NAIVE = """
SELECT s.article_id, ts_rank('{0.05,0.25,0.6,1.0}', s.tsv, $1::tsquery, 1) AS score
FROM kb_search s
WHERE s.tsv @@ $1::tsquery AND s.area_code = ANY($2::text[])
  AND (s.effective_from IS NULL OR s.effective_from <= $3) AND (s.expires_on IS NULL OR s.expires_on >= $3)
ORDER BY score DESC LIMIT 5
"""


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


async def measure(url: str, qs: list[tuple[str, str]], rounds: int) -> None:
    from hotline import db
    from hotline.knowledge.lexicon import context, lexicon
    from hotline.knowledge.search import SEARCH, search
    from routing.knowledge_text import query_terms

    pool = await db.create_pool(url, min_size=1, max_size=2)
    try:
        ctx = context(pool)
        today = date.today()
        ids = [r["id"] for r in await pool.fetch("SELECT id FROM kb_articles ORDER BY random() LIMIT 500")]
        times: dict[str, list[float]] = {"search": [], "pk": [], "raw": []}
        hits = []
        for q, area in qs[:30]:  # warm-up: caches, plans, term frequencies
            await search(pool, ctx, q, area=area, limit=5, on=today)
        for _ in range(rounds):
            for i, (q, area) in enumerate(qs):
                t = time.perf_counter()
                found = await search(pool, ctx, q, area=area, limit=5, on=today)
                times["search"].append(time.perf_counter() - t)
                hits.append(len(found.items))
                t = time.perf_counter()
                await pool.fetchrow("SELECT id, title, answer FROM kb_articles WHERE id = $1", ids[i % len(ids)])
                times["pk"].append(time.perf_counter() - t)
                raw = " | ".join(f"'{w}'" for w in query_terms(q, lexicon()))
                if raw:
                    chain = await ctx.areas.chain(pool, area)
                    t = time.perf_counter()
                    await pool.fetch(NAIVE, raw, chain, today)
                    times["raw"].append(time.perf_counter() - t)
        print(f"{len(qs)} questions x {rounds} rounds; articles found per question: median "
              f"{statistics.median(hits)}, none for {sum(1 for h in hits if not h) / len(hits):.0%}")
        for kind, label in (("search", "search (hotline.knowledge.search)"), ("pk", "baseline: pk lookup"),
                            ("raw", "baseline: naive (OR of all, rank all)")):
            v = [x * 1000 for x in times[kind]]
            print(f"  {label:<40} p50 {pct(v, .5):7.2f} ms  p95 {pct(v, .95):7.2f} ms  max {max(v):7.1f} ms")
        s, p, r = ([x * 1000 for x in times[k]] for k in ("search", "pk", "raw"))
        print(f"  ratio search/pk: p50 {pct(s, .5) / pct(p, .5):.1f}x  p95 {pct(s, .95) / pct(p, .95):.1f}x;  "
              f"search/raw: p50 {pct(s, .5) / pct(r, .5):.2f}  p95 {pct(s, .95) / pct(r, .95):.2f}")
        plan = await pool.fetch("EXPLAIN (ANALYZE, BUFFERS) " + SEARCH, "'社会保险' | '转移'",
                                ["320682", "320600", "320000"], today, True, None, 5, "'社会保险' | '转移'")
        print("  plan of one search:", " | ".join(r[0].strip() for r in plan[:6]))
    finally:
        await pool.close()


def intake(url: str, redis_url: str, state: Path, seconds: int, rounds: int, conc: int) -> None:
    """Suggestions on vs off, same database, turns under the same load (bench_intake's generator)."""
    import bench_intake as bi
    from hotline.auth import create_token
    from models.enums import Role
    from hotline import db

    async def token() -> str:
        conn = await db.connect(url)
        try:
            return (await create_token(conn, Role.AGENT, name="bench kb"))[1]
        finally:
            await conn.close()

    secret = asyncio.run(token())
    targets = {}
    budget = os.environ.get("HOTLINE_KB_SUGGEST_BUDGET_MS", "50")
    for name, env in (("off", {"HOTLINE_KB_SUGGEST_BUDGET_MS": "0"}),
                      ("on", {"HOTLINE_KB_SUGGEST_BUDGET_MS": budget, "HOTLINE_KB_SUGGEST_ALL": "false"}),
                      ("all", {"HOTLINE_KB_SUGGEST_BUDGET_MS": budget, "HOTLINE_KB_SUGGEST_ALL": "true"})):
        os.environ.update(env)
        (state / name).mkdir(exist_ok=True)
        targets[name] = bi.start_service(bi.free_port(), 2, url, redis_url, state / name)
    try:
        loads: dict[str, list] = {"off": [], "on": [], "all": []}
        for name, t in targets.items():
            asyncio.run(bi._python_load(t.port, secret, 3, conc))
        for _ in range(rounds):
            for name, t in targets.items():
                loads[name].append(asyncio.run(bi._python_load(t.port, secret, seconds, conc)))
        med = {n: (statistics.median(x.rps for x in v), statistics.median(x.p50_ms for x in v),
                   statistics.median(x.p99_ms for x in v), sum(x.errors for x in v)) for n, v in loads.items()}
        for n, (rps, p50, p99, err) in med.items():
            print(f"  intake, suggestions {n:>3}: {rps:7.0f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  errors {err}")
        for n in ("on", "all"):
            print(f"  ratio {n}/off: throughput {med[n][0] / med['off'][0]:.2f}, p50 {med[n][1] / med['off'][1]:.2f}, "
                  f"p99 {med[n][2] / med['off'][2]:.2f} ({conc} connections, medians of {rounds} rounds of {seconds} s)")
    finally:
        for t in targets.values():
            t.stop()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--articles", type=int, default=100_000)
    p.add_argument("--questions", type=int, default=300)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--intake", action="store_true", help="also measure suggestions at intake (on vs off)")
    p.add_argument("--seconds", type=int, default=8, help="intake: seconds per turn")
    p.add_argument("--concurrency", type=int, default=32, help="intake: connections")
    p.add_argument("--no-search", action="store_true", help="skip part 1's timings (the articles are still built)")
    args = p.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    import bench_intake as bi
    from hotline.seed import fresh_database

    with bi.Servers() as servers:
        url = asyncio.run(fresh_database(servers.admin_url, BENCH_DB))
        counties = asyncio.run(build(url, args.articles))
        if not args.no_search:
            qs = questions(args.questions, vocabulary(), specific_words(), counties)
            asyncio.run(measure(url, qs, args.rounds))
        if args.intake:
            intake(url, servers.redis_url, servers.state, args.seconds, args.rounds, args.concurrency)


if __name__ == "__main__":
    main()
