"""Ranked search over published articles: one indexed query, then snippets (routing/knowledge_text.py).

The question is segmented in Python (jieba, synonyms, stop words) and sent as a tsquery; PostgreSQL
matches it against the GIN index of kb_search, keeps what applies in the caller's area (the area and
its parents, `area_code = ANY(...)`), in force on the day and, for the public, public; ranks at most
CANDIDATES matches by ts_rank (title > question and keywords > answer), a little higher for local
articles; drops an article where a deeper one of the same topic applies (local override) among the
best, and stops at the limit.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import asyncpg

from hotline.knowledge.lexicon import Context, lexicon
from routing.knowledge_text import QueryPlan, marked_html, plan, query_terms, snippet

# ts_rank weights {D, C, B, A}: title A, question and keywords B, answer C.
RANK_WEIGHTS = "{0.05,0.25,0.6,1.0}"
LOCAL_BOOST = 0.05   # per level below the province: a local article wins a near tie

LIVE = """(s.effective_from IS NULL OR s.effective_from <= $3) AND (s.expires_on IS NULL OR s.expires_on >= $3)
  AND ($4 OR s.public)"""
CANDIDATES = 500    # at most this many matches are ranked (a vaguer question ranks the first ones found)
SEARCH = f"""
WITH found AS (
    SELECT s.article_id, s.slug, s.depth, s.tsv
    FROM kb_search s
    WHERE s.tsv @@ $7::tsquery
      AND ($2::text[] IS NULL OR s.area_code = ANY($2::text[]))
      AND {LIVE}
      AND ($5::text IS NULL OR s.category_code = $5)
    LIMIT {CANDIDATES}
), ranked AS (
    SELECT article_id, slug, depth,
           ts_rank('{RANK_WEIGHTS}', tsv, $1::tsquery, 1) * (1 + {LOCAL_BOOST} * depth) AS score
    FROM found ORDER BY score DESC, article_id LIMIT $6 * 3
), hits AS (
    SELECT r.article_id, r.score FROM ranked r
    WHERE $2::text[] IS NULL OR NOT EXISTS (
        SELECT 1 FROM kb_search s
        WHERE s.slug = r.slug AND s.depth > r.depth AND s.area_code = ANY($2::text[]) AND {LIVE})
    ORDER BY r.score DESC, r.article_id LIMIT $6
)
SELECT h.score, a.id, a.slug, a.title, a.answer, a.area_code, ar.name AS area_name, a.category_code,
       a.basis_name, a.basis_number, a.public
FROM hits h JOIN kb_articles a ON a.id = h.article_id JOIN areas ar ON ar.code = a.area_code
ORDER BY h.score DESC, a.id
"""
MISS = "INSERT INTO kb_misses (terms, area_code, source) VALUES ($1, $2, $3)"


@dataclass
class Found:
    plan: QueryPlan
    items: list[dict]


async def make_plan(db, ctx: Context, text: str) -> QueryPlan:
    """The question's terms, with the index's term frequencies applied."""
    lex = lexicon()
    found = query_terms(text, lex)
    if not found:
        return plan(text, lex)
    df, total = await ctx.terms.lookup(db, found)
    missing = [t for t in found if df.get(t, 0) == 0]
    if missing:  # the words inside an unseen word need their frequencies too
        from routing.knowledge_text import inner_words

        inner = [w for t in missing for w in inner_words(t, lex)]
        more, total = await ctx.terms.lookup(db, inner)
        df.update(more)
    return plan(text, lex, df, total)


async def search(db: asyncpg.Pool | asyncpg.Connection, ctx: Context, text: str, *, area: str | None = None,
                 category: str | None = None, limit: int = 5, on: date, public_only: bool = False,
                 source: str | None = None) -> Found:
    """The best articles for a question in an area; a search that finds nothing is logged for the gaps report."""
    p = await make_plan(db, ctx, text)
    if p.empty:
        return Found(p, [])
    chain = await ctx.areas.chain(db, area) if area else None
    if area and not chain:  # a street code the tree does not hold: its county's chain
        chain = await ctx.areas.chain(db, area[:6]) or None
    rows = await db.fetch(SEARCH, p.tsquery, chain, on, not public_only, category, limit, p.match or p.tsquery)
    if not rows and source:
        await db.execute(MISS, " ".join(p.terms)[:500], area[:12] if area else None, source)
    return Found(p, [hit(r, p) for r in rows])


def hit(r, p: QueryPlan) -> dict:
    """One result: the article's heading and a snippet of its answer with the query's words marked."""
    text, spans = snippet(r["answer"], p.highlight)
    basis = "".join(x for x in (r["basis_name"], f"（{r['basis_number']}）" if r["basis_number"] else "") if x)
    return {"id": r["id"], "slug": r["slug"], "title": r["title"], "snippet": text,
            "highlights": [list(s) for s in spans], "area_code": r["area_code"], "area_name": r["area_name"],
            "category": r["category_code"], "basis": basis, "public": r["public"],
            "score": round(float(r["score"]), 6), "snippet_html": marked_html(text, spans)}
