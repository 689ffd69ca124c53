"""Intake throughput and latency of `hotline serve --workers N` against an in-run ceiling.

The service (auth, rate limit in Valkey, validation, classification/split, area
lookup, INSERT ticket + event, notification) is driven on loopback with POST
/api/v1/tickets for a fixed time, taking turns at each concurrency with a
*ceiling* app — a bare aiohttp handler that parses the JSON body and does one
asyncpg INSERT into a plain table of the same database, with the same number
of worker processes — over several rounds (medians reported). Reported:
requests/s, p50/p99 latency, the ratio intake/ceiling per level and the
headline (best intake level with p99 < 100 ms against the ceiling's best level;
target ≥ 0.4), and the peak RSS/PSS of the service's processes (target < 500 MB).

    python3 bench/bench_intake.py [--seconds 10] [--rounds 3] [--concurrency 16 32 64] [--workers 2] [--quick]

Servers: DATABASE_URL / REDIS_URL when set (a database `hotline_bench` is created
there), else embedded PostgreSQL and Valkey in a temporary state dir. The load
generator is `wrk` when installed (apt-get install wrk), else an asyncio client.
It runs on the same machine and shares its cores with the service: say so when
quoting the figures.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DB = "hotline_bench"
BODIES = [
    {"channel": "phone", "requester": {"name": "张先生", "phone": "13800000000"},
     "content": "小区楼下烧烤摊每天晚上占道经营到凌晨，油烟和噪音很大", "area_code": "320682"},
    {"channel": "web", "content": "如城街道海阳路路灯坏了一个多月了，晚上出行很不安全", "address": "江苏省南通市如皋市如城街道海阳路"},
    {"channel": "app", "requester": {"name": "李女士", "phone": "13912345678"},
     "content": "公司拖欠三个月工资不发，老板联系不上，要求劳动部门处理", "area_code": "320682"},
    {"channel": "wechat", "content": "楼上住户深夜装修噪音扰民，多次沟通无果", "area_code": "320682"},
    {"channel": "phone", "content": "公交站台广告牌松动，大风天气有掉落危险", "area_code": "320682", "urgency": "urgent"},
    {"channel": "email", "content": "咨询新生儿医保参保办理需要哪些材料，在哪里办理", "area_code": "320682"},
    {"channel": "phone", "content": "小区物业每年涨物业费，电梯坏了半个月也不修", "area_code": "320682"},
    {"channel": "web", "content": "河道里有人偷倒建筑垃圾，水面漂着大量白色泡沫", "area_code": "320682"},
]


# --------------------------------------------------------------------------- servers and database

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]




class Servers:
    """PostgreSQL and Valkey for the run: configured URLs, else embedded ones in a temp dir."""

    def __init__(self) -> None:
        self.state = Path(tempfile.mkdtemp(prefix="hotline-bench-"))
        self.state.chmod(0o755)
        self.pg = self.valkey = None
        self.admin_url = os.environ.get("DATABASE_URL")
        self.redis_url = os.environ.get("REDIS_URL")

    def __enter__(self) -> "Servers":
        from hotline.embedded import EmbeddedPostgres, EmbeddedValkey

        if not self.admin_url:
            self.pg = EmbeddedPostgres(self.state)
            self.pg.start()
            self.admin_url = self.pg.admin_url()
        if not self.redis_url:
            self.valkey = EmbeddedValkey(self.state)
            self.redis_url = self.valkey.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.valkey is not None:
            self.valkey.stop()
        if self.pg is not None:
            self.pg.stop()
        shutil.rmtree(self.state, ignore_errors=True)


async def prepare_database(admin_url: str) -> tuple[str, str]:
    """A fresh migrated and seeded database; returns (url, agent token)."""

    from hotline import db
    from hotline.auth import create_token
    from hotline.seed import fresh_database
    from models.enums import Role

    url = await fresh_database(admin_url, BENCH_DB)
    conn = await db.connect(url)
    try:
        await conn.execute("CREATE TABLE bench_ceiling (id bigserial PRIMARY KEY, body jsonb NOT NULL, "
                           "created_at timestamptz NOT NULL DEFAULT now())")
        _, secret = await create_token(conn, Role.AGENT, name="bench")
    finally:
        await conn.close()
    return url, secret


async def count_rows(url: str) -> tuple[int, int]:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        return (await conn.fetchval("SELECT count(*) FROM tickets"),
                await conn.fetchval("SELECT count(*) FROM bench_ceiling"))
    finally:
        await conn.close()


# --------------------------------------------------------------------------- the ceiling app

def ceiling_worker(port: int, dsn: str, pool_max: int) -> None:
    """A bare aiohttp app: parse the JSON body, one INSERT, answer 201 (one process of N)."""
    import asyncpg
    from aiohttp import web

    async def pool_ctx(app):
        app["pool"] = await asyncpg.create_pool(dsn, min_size=2, max_size=pool_max)
        yield
        await app["pool"].close()

    async def insert(request: web.Request) -> web.Response:
        data = await request.json()
        new_id = await request.app["pool"].fetchval(
            "INSERT INTO bench_ceiling (body) VALUES ($1::jsonb) RETURNING id", json.dumps(data, ensure_ascii=False))
        return web.json_response({"id": new_id}, status=201)

    app = web.Application()
    app.cleanup_ctx.append(pool_ctx)
    app.router.add_post("/api/v1/tickets", insert)
    web.run_app(app, host="127.0.0.1", port=port, reuse_port=True, access_log=None, print=None)


# --------------------------------------------------------------------------- processes and RSS

@dataclass
class Target:
    name: str
    procs: list[subprocess.Popen]
    port: int
    peak_rss: float = 0.0  # MB, sum over worker processes
    peak_pss: float = 0.0  # MB, proportional set size over the whole tree: shared pages counted once
    workers_seen: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def worker_processes(self):
        import psutil

        out = []
        for p in self.procs:
            try:
                parent = psutil.Process(p.pid)
            except psutil.NoSuchProcess:
                continue
            kids = [c for c in parent.children(recursive=True)
                    if "resource_tracker" not in " ".join(_cmdline(c))]
            out.extend(kids or [parent])  # `serve --workers N`: the children; ceiling: the processes
        return out

    def tree_pss(self) -> int:
        """Bytes of memory the service really uses: PSS of the parent and all its children."""
        import psutil

        total = 0
        for p in self.procs:
            try:
                parent = psutil.Process(p.pid)
                for proc in [parent, *parent.children(recursive=True)]:
                    total += proc.memory_full_info().pss
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        return total

    def sample_rss(self) -> None:
        import psutil

        while not self._stop.is_set():
            total, n = 0, 0
            for proc in self.worker_processes():
                try:
                    total += proc.memory_info().rss
                    n += 1
                except psutil.NoSuchProcess:
                    pass
            self.peak_rss = max(self.peak_rss, total / 2**20)
            self.peak_pss = max(self.peak_pss, self.tree_pss() / 2**20)
            self.workers_seen = max(self.workers_seen, n)
            time.sleep(0.25)

    def stop(self) -> None:
        self._stop.set()
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def _cmdline(proc) -> list[str]:
    try:
        return proc.cmdline()
    except Exception:
        return []


def wait_ready(url: str, timeout: float = 120.0) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(0.3)
    raise RuntimeError(f"{url} not ready after {timeout}s: {last}")


def start_service(port: int, workers: int, db_url: str, redis_url: str, state: Path, name: str = "intake (hotline serve)",
                  extra_env: dict | None = None) -> Target:
    env = {**os.environ, "DATABASE_URL": db_url, "REDIS_URL": redis_url, "HOTLINE_STATE_DIR": str(state / "app"),
           # keep the per-token rate limit on (its Valkey round trip is part of the cost) but out of reach
           "HOTLINE_RATE_LIMIT_PER_MINUTE": "100000000", "PYTHONPATH": str(ROOT), **(extra_env or {})}
    log = open(state / "service.log", "ab")
    proc = subprocess.Popen([sys.executable, "-m", "hotline.cli", "serve", "--workers", str(workers),
                             "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    target = Target(name, [proc], port)
    try:
        wait_ready(f"http://127.0.0.1:{port}/ready")
    except Exception:
        target.stop()
        print((state / "service.log").read_text()[-3000:], file=sys.stderr)
        raise
    return target


def start_ceiling(port: int, workers: int, db_url: str, pool_max: int, state: Path) -> Target:
    log = open(state / "ceiling.log", "ab")
    procs = [subprocess.Popen([sys.executable, __file__, "--ceiling-worker", "--port", str(port), "--dsn", db_url,
                               "--pool-max", str(pool_max)], stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
             for _ in range(workers)]
    target = Target("ceiling (bare INSERT)", procs, port)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                time.sleep(1.0)  # let every worker bind
                return target
        time.sleep(0.2)
    target.stop()
    raise RuntimeError("ceiling app did not start: " + (state / "ceiling.log").read_text()[-2000:])


# --------------------------------------------------------------------------- load generators

@dataclass
class Load:
    requests: int
    ok: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


WRK_SCRIPT = """
local bodies = %s
local token = "%s"
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
request = function()
  i = i + 1
  return wrk.format(nil, nil, nil, bodies[(i %% #bodies) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %%d, "duration_us": %%d, "non2xx": %%d, "errors": %%d, "p50_us": %%d, "p99_us": %%d, "max_us": %%d}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def lua_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def run_wrk(port: int, token: str, seconds: int, concurrency: int, threads: int, state: Path) -> Load:
    bodies = "{" + ", ".join(lua_string(json.dumps(b, ensure_ascii=False)) for b in BODIES) + "}"
    script = state / "intake.lua"
    script.write_text(WRK_SCRIPT % (bodies, token))
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{seconds}s", "--timeout", "10s",
                          "-s", str(script), f"http://127.0.0.1:{port}/api/v1/tickets"],
                         capture_output=True, text=True, timeout=seconds + 60)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {out.stdout[-1500:]} {out.stderr[-1500:]}")
    d = json.loads(line[len("WRKJSON "):])
    secs = d["duration_us"] / 1e6
    bad = d["non2xx"] + d["errors"]
    return Load(d["requests"], d["requests"] - d["non2xx"], bad, secs, d["p50_us"] / 1000, d["p99_us"] / 1000,
                d["max_us"] / 1000)


async def _python_load(port: int, token: str, seconds: int, concurrency: int) -> Load:
    import aiohttp

    url = f"http://127.0.0.1:{port}/api/v1/tickets"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    payloads = [json.dumps(b, ensure_ascii=False).encode() for b in BODIES]
    lat: list[float] = []
    ok = errors = 0
    deadline = time.perf_counter() + seconds

    async def one(session: aiohttp.ClientSession, n: int) -> None:
        nonlocal ok, errors
        i = n
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            try:
                async with session.post(url, data=payloads[i % len(payloads)], headers=headers) as resp:
                    await resp.read()
                    if 200 <= resp.status < 300:
                        ok += 1
                    else:
                        errors += 1
            except aiohttp.ClientError:
                errors += 1
            lat.append(time.perf_counter() - t0)
            i += concurrency

    start = time.perf_counter()
    conn = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=conn, timeout=aiohttp.ClientTimeout(total=10)) as session:
        await asyncio.gather(*(one(session, n) for n in range(concurrency)))
    elapsed = time.perf_counter() - start
    lat.sort()
    pick = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000) if lat else (lambda q: 0.0)
    return Load(len(lat), ok, errors, elapsed, pick(0.50), pick(0.99), lat[-1] * 1000 if lat else 0.0)


def drive(targets: list[Target], token: str, args, state: Path) -> dict[tuple[str, int], list[Load]]:
    """Rounds of: for each concurrency, each target in turn (warmed up on its first visit).

    Interleaving keeps both targets in the same minutes of a shared, noisy machine, so a slow
    spell hits both; the report takes medians over the rounds. RSS is sampled throughout.
    """
    use_wrk = args.generator == "wrk" or (args.generator == "auto" and shutil.which("wrk"))
    warm = min(3, max(1, args.seconds // 5))
    samplers = [threading.Thread(target=t.sample_rss, daemon=True) for t in targets]
    for sampler in samplers:
        sampler.start()
    loads: dict[tuple[str, int], list[Load]] = {}
    for rnd in range(args.rounds):
        for conc in args.concurrency:
            for target in targets:
                if use_wrk:
                    if rnd == 0:
                        run_wrk(target.port, token, warm, conc, 1, state)
                    load = run_wrk(target.port, token, args.seconds, conc, 1, state)
                else:
                    if rnd == 0:
                        asyncio.run(_python_load(target.port, token, warm, conc))
                    load = asyncio.run(_python_load(target.port, token, args.seconds, conc))
                loads.setdefault((target.name, conc), []).append(load)
    for target, sampler in zip(targets, samplers):
        target._stop.set()
        sampler.join(2)
    return loads


@dataclass
class Level:
    """Medians over the rounds at one concurrency."""

    conc: int
    intake: list[Load]
    ceiling: list[Load]

    @staticmethod
    def median(values) -> float:
        return statistics.median(values) if values else 0.0

    def rps(self, which: str) -> float:
        return self.median([x.rps for x in getattr(self, which)])

    def p50(self, which: str) -> float:
        return self.median([x.p50_ms for x in getattr(self, which)])

    def p99(self, which: str) -> float:
        return self.median([x.p99_ms for x in getattr(self, which)])

    @property
    def ratio(self) -> float:
        """Median over rounds of intake / the ceiling measured right after it (pairs close in time)."""
        return self.median(self.ratios)

    @property
    def ratios(self) -> list[float]:
        """Per round: intake over the ceiling measured right after it."""
        return [i.rps / c.rps for i, c in zip(self.intake, self.ceiling) if c.rps]

    @property
    def errors(self) -> int:
        return sum(x.errors for x in self.intake)


# --------------------------------------------------------------------------- report

def machine() -> str:
    """One line about the machine (run_all.machine() gathers it)."""
    from run_all import machine as machine_info

    info = machine_info()
    return f"{info['cores (nproc)']} cores ({info['CPU']}), {info['RAM']} RAM"


def report(levels: list[Level], t_in: Target, t_ce: Target, args, generator: str, stored: tuple,
           model_note: str) -> str:
    """Markdown: one row per concurrency (intake beside the ceiling, medians over rounds), the headline
    (best intake level within the latency bound against the best ceiling level), then memory."""
    ok = lambda cond: "✅" if cond else "❌"  # noqa: E731
    rows = [
        "| connections | intake req/s | intake p50 ms | intake p99 ms | ceiling req/s | ceiling p50 ms | "
        "ceiling p99 ms | intake / ceiling (≥ 0.4) | per round | intake p99 < 100 ms | intake non-2xx |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for lv in levels:
        rounds = " ".join(f"{r:.2f}" for r in lv.ratios)
        rows.append(f"| {lv.conc} | {lv.rps('intake'):,.0f} | {lv.p50('intake'):.1f} | {lv.p99('intake'):.1f} | "
                    f"{lv.rps('ceiling'):,.0f} | {lv.p50('ceiling'):.1f} | {lv.p99('ceiling'):.1f} | "
                    f"**{lv.ratio:.2f}** {ok(lv.ratio >= 0.4)} | {rounds} | {ok(lv.p99('intake') < 100)} | "
                    f"{lv.errors} |")
    rows += ["", headline(levels)]
    rows += [
        "",
        "| memory | value | target |",
        "|---|---|---|",
        f"| intake peak RSS, sum of {t_in.workers_seen} workers (shared pages counted in each) | "
        f"**{t_in.peak_rss:.0f} MB** | < 500 MB {ok(t_in.peak_rss < 500)} |",
        f"| intake peak PSS, parent + workers (shared pages counted once) | **{t_in.peak_pss:.0f} MB** | "
        f"< 500 MB {ok(t_in.peak_pss < 500)} |",
        f"| ceiling peak RSS, sum of {t_ce.workers_seen} workers | {t_ce.peak_rss:.0f} MB | – |",
        "",
        f"POST /api/v1/tickets, {args.rounds} round(s) of {args.seconds} s per level and target (after a "
        f"warm-up), the two targets taking turns at each level; figures are medians over the rounds. "
        f"`hotline serve --workers {args.workers}` against a bare aiohttp app doing one asyncpg INSERT with "
        f"{args.workers} processes; load generator: {generator} on the same machine ({machine()}) — it shares "
        f"the cores with the service and the database, so absolute figures are a floor; the ratio is what "
        f"carries over. Rows stored: {stored[0]} tickets, {stored[1]} ceiling rows (each 2xx is one row). "
        f"{model_note}",
    ]
    return "\n".join(rows)


def headline(levels: list[Level]) -> str:
    """The target read strictly: the best intake level whose p99 stays under 100 ms, against the
    ceiling's best level (not the ceiling at the same concurrency, which may be a slow one)."""
    best_ce = max(levels, key=lambda lv: lv.rps("ceiling"))
    within = [lv for lv in levels if lv.p99("intake") < 100]
    if not within:
        return "**Headline:** no level kept intake p99 under 100 ms."
    best_in = max(within, key=lambda lv: lv.rps("intake"))
    ratio = best_in.rps("intake") / best_ce.rps("ceiling")
    return (f"**Headline:** best intake with p99 < 100 ms: {best_in.rps('intake'):,.0f} req/s at "
            f"{best_in.conc} connections (p99 {best_in.p99('intake'):.0f} ms) = **{ratio:.2f}×** the ceiling's best, "
            f"{best_ce.rps('ceiling'):,.0f} req/s at {best_ce.conc} connections "
            f"({'meets' if ratio >= 0.4 else 'below'} the 0.4 target).")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="measured seconds per level, target and round")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 32, 64],
                        help="concurrent connections; one measurement per value")
    parser.add_argument("--workers", type=int, default=2, help="worker processes of each target")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all levels and both targets (medians)")
    parser.add_argument("--generator", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--quick", action="store_true", help="5 s per target (for run_all --quick)")
    parser.add_argument("--scale", choices=["quick", "full"], help="alias: quick = --quick")
    parser.add_argument("--candidates-ab", action="store_true",
                        help="instead of the ceiling: intake without candidates (HOTLINE_INTAKE_CANDIDATES=false) "
                             "against intake with them, taking turns; reports with/without per level")
    parser.add_argument("--ceiling-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--dsn", help=argparse.SUPPRESS)
    parser.add_argument("--pool-max", type=int, default=20, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.ceiling_worker:
        ceiling_worker(args.port, args.dsn, args.pool_max)
        return 0
    if args.quick or args.scale == "quick":
        args.seconds, args.rounds = min(args.seconds, 5), 1
    generator = "wrk (1 thread)" if args.generator != "python" and shutil.which("wrk") else "asyncio/aiohttp client"

    from hotline.settings import Settings

    if args.candidates_ab:
        return candidates_ab(args, generator)
    pool_max = Settings().pool_max
    with Servers() as servers:
        db_url, token = asyncio.run(prepare_database(servers.admin_url))
        t_in = start_service(free_port(), args.workers, db_url, servers.redis_url, servers.state)
        t_ce = None
        try:
            model_note = _model_note(t_in.port, token)
            t_ce = start_ceiling(free_port(), args.workers, db_url, pool_max, servers.state)
            loads = drive([t_in, t_ce], token, args, servers.state)
        finally:
            for target in (t_in, t_ce):
                if target is not None:
                    target.stop()
        stored = asyncio.run(count_rows(db_url))
    levels = [Level(c, loads[(t_in.name, c)], loads[(t_ce.name, c)]) for c in args.concurrency]
    print(report(levels, t_in, t_ce, args, generator, stored, model_note))
    return 0


def candidates_ab(args, generator: str) -> int:
    """Intake with candidates in the response against intake without, same database, taking turns."""
    with Servers() as servers:
        db_url, token = asyncio.run(prepare_database(servers.admin_url))
        off = on = None
        try:
            # The bench's calls all go to one county: after a minute the detector would call it a surge and
            # the service with candidates would group every call (surge mode), which is not what is compared.
            quiet = {"HOTLINE_SURGE_MIN_COUNT": "1000000000"}
            off = start_service(free_port(), args.workers, db_url, servers.redis_url, servers.state,
                                "intake without candidates", {"HOTLINE_INTAKE_CANDIDATES": "false", **quiet})
            on = start_service(free_port(), args.workers, db_url, servers.redis_url, servers.state,
                               "intake with candidates", {"HOTLINE_INTAKE_CANDIDATES": "true", **quiet})
            loads, cpu = _ab_rounds([off, on], token, args, servers.state, _postmaster(servers))
        finally:
            for target in (off, on):
                if target is not None:
                    target.stop()
    rows = ["| connections | without req/s | p50 ms | p99 ms | CPU ms/req | with req/s | p50 ms | p99 ms | CPU ms/req | "
            "with / without req/s (median of rounds) | per round | CPU with / without | non-2xx |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    med = statistics.median
    for c in args.concurrency:
        a, b = loads[(off.name, c)], loads[(on.name, c)]
        ca, cb = cpu[(off.name, c)], cpu[(on.name, c)]
        ratios = [y.rps / x.rps for x, y in zip(a, b) if x.rps]
        rows.append(f"| {c} | {med([x.rps for x in a]):,.0f} | {med([x.p50_ms for x in a]):.1f} | "
                    f"{med([x.p99_ms for x in a]):.1f} | {med(ca):.2f} | {med([x.rps for x in b]):,.0f} | "
                    f"{med([x.p50_ms for x in b]):.1f} | {med([x.p99_ms for x in b]):.1f} | {med(cb):.2f} | "
                    f"**{med(ratios):.2f}** | {' '.join(f'{r:.2f}' for r in ratios)} | "
                    f"**{med(cb) / med(ca):.2f}** | {sum(x.errors for x in a + b)} |")
    rows += ["", f"POST /api/v1/tickets, {args.rounds} round(s) of {args.seconds} s per level and target, the two "
             f"services (`serve --workers {args.workers}`, one database) taking turns; medians over rounds; "
             f"load generator: {generator} on the same machine ({machine()}). CPU ms/req: CPU time of the "
             f"service's processes and of the run's PostgreSQL processes during the target's turn, per 2xx answer "
             f"(less sensitive than req/s to what else the shared machine runs)."]
    print("\n".join(rows))
    return 0


def _postmaster(servers: "Servers"):
    """The run's own PostgreSQL (other PostgreSQL servers on a shared machine are not counted)."""
    import psutil

    if servers.pg is None:
        return None
    pid = int((servers.pg.data / "postmaster.pid").read_text().split()[0])
    return psutil.Process(pid)


def _cpu_seconds(target: Target, postmaster=None) -> float:
    """CPU seconds so far of the target's process tree and of the run's PostgreSQL processes."""
    import psutil

    procs = []
    for p in target.procs:
        try:
            parent = psutil.Process(p.pid)
            procs += [parent, *parent.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
    if postmaster is not None:
        procs += [postmaster, *postmaster.children(recursive=True)]
    total = 0.0
    for proc in procs:
        try:
            t = proc.cpu_times()
            total += t.user + t.system
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def _ab_rounds(targets: list[Target], token: str, args, state: Path, postmaster=None):
    """drive()'s rounds (targets taking turns), with the CPU spent per answer during each turn."""
    use_wrk = args.generator == "wrk" or (args.generator == "auto" and shutil.which("wrk"))
    loads: dict[tuple[str, int], list[Load]] = {}
    cpu: dict[tuple[str, int], list[float]] = {}
    for rnd in range(args.rounds):
        for conc in args.concurrency:
            for target in targets:
                run = (lambda secs: run_wrk(target.port, token, secs, conc, 1, state)) if use_wrk else \
                    (lambda secs: asyncio.run(_python_load(target.port, token, secs, conc)))
                if rnd == 0:
                    run(min(3, max(1, args.seconds // 5)))
                before = _cpu_seconds(target, postmaster)
                load = run(args.seconds)
                spent = _cpu_seconds(target, postmaster) - before
                loads.setdefault((target.name, conc), []).append(load)
                cpu.setdefault((target.name, conc), []).append(spent * 1000 / max(load.ok, 1))
    return loads, cpu


def _model_note(port: int, token: str) -> str:
    """Whether the department classifier was loaded (without it every ticket goes to triage)."""
    import urllib.request

    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/tickets", method="POST",
                                 data=json.dumps(BODIES[0], ensure_ascii=False).encode(),
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            data = json.loads(resp.read())
    except Exception as exc:
        return f"(probe request failed: {exc})"
    if data.get("model_version"):
        return f"Department classifier loaded (model {data['model_version']})."
    return ("Department classifier NOT loaded (no trained model in classifier/model): tickets skip "
            "classification and go to triage, so intake is cheaper than in production.")


if __name__ == "__main__":
    sys.exit(main())
