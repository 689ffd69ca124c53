"""What every search reads, kept once per process: the synonym groups, the area tree, term frequencies."""
from __future__ import annotations

import csv
import time
from functools import lru_cache
from pathlib import Path

import asyncpg

from routing import knowledge
from routing.knowledge_text import Lexicon, build_lexicon

DATA = Path(__file__).resolve().parent / "data"
SYNONYMS_CSV = DATA / "synonyms.csv"
ARTICLES_CSV = DATA / "articles.csv"
DF_TTL_SECONDS = 60.0     # term frequencies move slowly: an import shifts them, a single article hardly


AREAS_CSV = DATA.parent.parent.parent / "models" / "data" / "areas_320000.csv"
# Other provinces' and big cities' names callers mention ("我在上海交的社保").
OTHER_PLACES = ("北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南 四川 "
                "贵州 云南 陕西 甘肃 青海 内蒙古 广西 西藏 宁夏 新疆 香港 澳门 台湾 杭州 广州 深圳 武汉 成都 西安 合肥 "
                "本市 本地 外地 外省 省内 市里 县里 江苏省 江苏").split()


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The synonym groups of synonyms.csv (term, then its synonyms separated by spaces), and place names."""
    with SYNONYMS_CSV.open(encoding="utf-8", newline="") as f:
        groups = [[r["term"], *(r.get("synonyms") or "").split()] for r in csv.DictReader(f)]
    with AREAS_CSV.open(encoding="utf-8", newline="") as f:
        places = [n for r in csv.DictReader(f) for n in (r["name"], r["short_name"])]
    return build_lexicon(groups, [*places, *OTHER_PLACES])


class Areas:
    """The area tree (code -> parent), loaded on first use and again when a code is new to it."""

    def __init__(self) -> None:
        self.parents: dict[str, str | None] = {}

    async def load(self, db) -> None:
        self.parents = {r["code"]: r["parent_code"] for r in await db.fetch("SELECT code, parent_code FROM areas")}

    async def chain(self, db, code: str) -> list[str]:
        """The area and its parents, nearest first; [] when the code is unknown."""
        if code not in self.parents:
            await self.load(db)
        return knowledge.ancestors(code, self.parents)

    async def depth(self, db, code: str) -> int:
        return max(len(await self.chain(db, code)) - 1, 0)


class TermStats:
    """Document frequencies of the index's terms (kb_terms), cached per term for DF_TTL_SECONDS."""

    def __init__(self) -> None:
        self.df: dict[str, tuple[int, float]] = {}

    async def lookup(self, db, terms: list[str]) -> tuple[dict[str, int], int]:
        """(df of each term, number of indexed articles)."""
        now = time.monotonic()
        wanted = [t for t in {*terms, ""} if t not in self.df or self.df[t][1] < now]
        if wanted:
            rows = await db.fetch("SELECT term, df FROM kb_terms WHERE term = ANY($1::text[])", wanted)
            found = {r["term"]: r["df"] for r in rows}
            if len(self.df) > 200_000:
                self.df.clear()
            for t in wanted:
                self.df[t] = (found.get(t, 0), now + DF_TTL_SECONDS)
        return {t: self.df[t][0] for t in terms}, self.df[""][0]

    def forget(self) -> None:
        """After an import or a publish: read the frequencies afresh."""
        self.df.clear()


class Context:
    """The caches of one database (one per pool: tests run several databases in one process)."""

    def __init__(self) -> None:
        self.areas = Areas()
        self.terms = TermStats()

    async def parents(self, db) -> dict[str, str | None]:
        if not self.areas.parents:
            await self.areas.load(db)
        return self.areas.parents


_CONTEXTS: dict[int, tuple[asyncpg.Pool, Context]] = {}


def context(pool: asyncpg.Pool) -> Context:
    """The caches belonging to this pool (a pool lives as long as its app; a few per process at most)."""
    found = _CONTEXTS.get(id(pool))
    if found is None or found[0] is not pool:
        found = _CONTEXTS[id(pool)] = (pool, Context())
    return found[1]
