"""Abuse against `hotline serve --demo --workers 2` (#21 items 5-7): does everyone else stay served?

Phases, each with a steady "normal" client (4 connections, GET /api/v1/tickets?limit=1 with a valid
token, from its own address) running beside the abuse:
  baseline   nothing else
  slowloris  N connections trickling a request body (or head) one byte every few seconds: a third
             with a valid token, a third without, a third at a made-up survey link
  tokens     a flood of random bearer tokens from one address, as fast as it goes
  streams    N event streams opened with one token
Prints, per phase: normal requests served (%), their p50/p99, and what the abuser got.

    PYTHONPATH=. python bench/bench_abuse.py [--slow 600] [--every 5] [--seconds 20]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_ready(base: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            try:
                async with http.get(base + "/health") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.5)
    raise RuntimeError("service not up")


async def normal_load(base: str, headers: dict, stop: asyncio.Event) -> tuple[list[int], list[float]]:
    statuses, latencies = [], []
    timeout = aiohttp.ClientTimeout(total=10)
    connector = aiohttp.TCPConnector(local_addr=("127.0.0.2", 0))
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        async def one():
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    async with http.get(f"{base}/api/v1/tickets?limit=1", headers=headers) as r:
                        await r.read()
                        statuses.append(r.status)
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    statuses.append(0)
                latencies.append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(0.02)
        await asyncio.gather(*(one() for _ in range(4)))
    return statuses, latencies


async def trickle(port: int, head: bytes, source: str, every: float, stop: asyncio.Event, cut: Counter) -> None:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    except OSError:
        cut["refused"] += 1
        return
    try:
        writer.write(head)
        while not stop.is_set():
            try:
                data = await asyncio.wait_for(reader.read(4096), every)
                if not data or b"HTTP/1.1" in data:
                    status = data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/1.1") else "closed"
                    cut[status] += 1
                    return
            except asyncio.TimeoutError:
                pass
            writer.write(b" ")
            await writer.drain()
        cut["still open"] += 1
    except (ConnectionError, OSError):
        cut["reset"] += 1
    finally:
        writer.close()


def flood_process(base: str, seconds: float) -> str:
    """Random bearer tokens from one address, 32 at a time, for `seconds`."""
    async def flood() -> str:
        seen: Counter = Counter()
        end = time.monotonic() + seconds
        connector = aiohttp.TCPConnector(local_addr=("127.0.3.1", 0), limit=32)
        async with aiohttp.ClientSession(connector=connector) as http:
            async def one():
                while time.monotonic() < end:
                    fake = {"Authorization": f"Bearer hl_{secrets.token_urlsafe(32)}"}
                    async with http.get(f"{base}/api/v1/tickets?limit=1", headers=fake) as r:
                        seen[r.status] += 1
            await asyncio.gather(*(one() for _ in range(32)))
        return f"random tokens: {sum(seen.values()) / seconds:.0f}/s, statuses {dict(seen)}"
    return asyncio.run(flood())


def heads(token: str) -> list[bytes]:
    body = "Content-Type: application/json\r\nContent-Length: 4000\r\n\r\n"
    return [f"POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n{body}".encode(),
            f"POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\n{body}".encode(),
            f"POST /api/v1/survey/sv_{secrets.token_urlsafe(24)} HTTP/1.1\r\nHost: x\r\n{body}".encode(),
            b"GET /api/v1/tickets HTTP/1.1\r\nHost: x\r\nX-Slow: "]


def report(name: str, statuses: list[int], latencies: list[float], abuser: str) -> None:
    served = sum(s == 200 for s in statuses) / max(1, len(statuses))
    lat = sorted(latencies) or [0]
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    print(f"{name:<10} normal served {served:6.1%} of {len(statuses):5d}  p50 {statistics.median(lat):6.1f} ms  "
          f"p99 {p99:7.1f} ms  | {abuser}")


async def phase(base: str, headers: dict, seconds: float, abuse) -> tuple[list[int], list[float], str]:
    stop = asyncio.Event()
    normal = asyncio.create_task(normal_load(base, headers, stop))
    abuse_task = asyncio.create_task(abuse(stop))
    await asyncio.sleep(seconds)
    stop.set()
    statuses, latencies = await normal
    return statuses, latencies, await abuse_task


async def run(args) -> None:
    state = Path(tempfile.mkdtemp(prefix="hotline-abuse-"))
    state.chmod(0o755)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_") and k not in ("DATABASE_URL", "REDIS_URL")}
    # the normal client (one token, ~200 requests/s) must stay within its own limit: the per-token
    # bucket is out of reach here; the per-client limits keep their defaults
    env.update(HOTLINE_STATE_DIR=str(state), PYTHONPATH=str(ROOT), HOTLINE_RATE_LIMIT_PER_MINUTE="100000000")
    log = open(state / "service.log", "ab")
    proc = subprocess.Popen([sys.executable, "-m", "hotline.cli", "serve", "--demo", "--workers", "2",
                             "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        await wait_ready(base)
        tokens = json.loads((state / "demo-tokens.json").read_text())
        agent = {"Authorization": f"Bearer {tokens['agent']}"}
        supervisor = {"Authorization": f"Bearer {tokens['supervisor']}"}

        async def idle(stop):
            await stop.wait()
            return "-"
        report("baseline", *await phase(base, agent, args.seconds, idle))

        async def slowloris(stop):
            cut: Counter = Counter()
            hs = heads(tokens["agent"])
            tasks = [asyncio.create_task(trickle(port, hs[i % len(hs)], f"127.0.{1 + i // 200}.{10 + i % 200}",
                                                  args.every, stop, cut)) for i in range(args.slow)]
            await asyncio.gather(*tasks)
            return f"{args.slow} slow connections ended: {dict(cut)}"
        report("slowloris", *await phase(base, agent, args.seconds, slowloris))

        async def token_flood(stop):
            # in a process of its own: in this one its event loop would slow the normal client's
            loop = asyncio.get_running_loop()
            ctx = multiprocessing.get_context("spawn")
            with ctx.Pool(1) as pool:
                result = pool.apply_async(flood_process, (base, args.seconds))
                return await loop.run_in_executor(None, result.get)
        report("tokens", *await phase(base, agent, args.seconds, token_flood))

        async def streams(stop):
            got: Counter = Counter()
            connector = aiohttp.TCPConnector(local_addr=("127.0.4.1", 0), limit=0)
            async with aiohttp.ClientSession(connector=connector) as http:
                async def one():
                    try:
                        r = await http.get(f"{base}/api/v1/reports/escalations/stream", headers=supervisor)
                    except aiohttp.ClientError:
                        got["error"] += 1
                        return
                    got[r.status] += 1
                    await stop.wait()
                    r.close()
                await asyncio.gather(*(one() for _ in range(args.slow)))
            return f"{args.slow} streams from one token: {dict(got)}"
        report("streams", *await phase(base, agent, args.seconds, streams))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(state, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slow", type=int, default=600, help="slow connections / streams")
    parser.add_argument("--every", type=float, default=5.0, help="seconds between a slow client's bytes")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
