"""Candidate search (#16): the text part alone, and both searches over a database of 1M tickets.

Default mode — the text part of GET /candidates: TF-IDF cosine of one call against a county's recent calls.

The SQL part (same caller, same county + category, the county's newest tickets) runs on indexes and
returns at most the pool; this times what is done in Python on that pool: the classifier's
normalisation and jieba segmentation (segment.lcut_many), the TF-IDF fit and the cosines.
Texts are made from hotline words so segmentation does real work. Prints the first call (which
builds the batch segmenter's tables once per process) and the best of 5 warm calls per pool size.

    PYTHONPATH=. python bench/bench_candidates.py [--pools 100,500,2000]

--tickets 1000000 — both searches on a database of that many tickets (generated in SQL with
generate_series: 30 days, the sample province's counties, 60 categories, 300,000 phone numbers, texts from
templates, sketches), against the same searches on a small database (--baseline, 10,000 tickets) built in
the same run: p50/p95 of (a) intake's lookup (hotline.duplicates.intake: memory + one batched statement,
one request at a time) and (b) GET /candidates' search (hotline.duplicates.candidates.find: three indexed
queries + TF-IDF), over --probes requests; and the start-up cost of intake's memory (warm).

    PYTHONPATH=. python bench/bench_candidates.py --tickets 1000000 [--baseline 10000] [--probes 200]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
import random
import time

from classifier import text
from classifier.similarity import similarities

WORDS = ("路灯 井盖 噪音 油烟 小区 物业 停车 占道 垃圾 施工 夜间 扰民 漏水 供暖 公交 站台 绿化 违建 养狗 排水 "
         "门口 路口 晚上 一个多星期 很危险 反映 多次 没有 处理 希望 尽快").split()


def texts(n: int, seed: int = 1) -> list[str]:
    rnd = random.Random(seed)
    return ["".join(rnd.choices(WORDS, k=rnd.randint(12, 30))) + "，请尽快处理" for _ in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pools", default="100,500,2000")
    parser.add_argument("--tickets", type=int, help="database scale mode: this many tickets (e.g. 1000000)")
    parser.add_argument("--baseline", type=int, default=10_000, help="tickets of the in-run baseline")
    parser.add_argument("--probes", type=int, default=200)
    args = parser.parse_args()
    if args.tickets:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from candidates_scale import run

        run(args.tickets, args.baseline, args.probes)
        return
    pools = [int(x) for x in args.pools.split(",")]
    text.init_jieba()  # the service does this at start-up (the classifier)
    docs = texts(max(pools) + 1)
    t = time.perf_counter()
    similarities(docs[0], docs[1:pools[0] + 1])
    print(f"first call (pool {pools[0]}, segmenter tables built): {(time.perf_counter() - t) * 1000:.0f} ms")
    for n in pools:
        best = min(_timed(docs[0], docs[1:n + 1]) for _ in range(5))
        print(f"pool {n:>5}: {best * 1000:.1f} ms")


def _timed(query: str, others: list[str]) -> float:
    t = time.perf_counter()
    similarities(query, others)
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
