"""Run every benchmark under bench/ and write bench/results.md.

    python3 bench/run_all.py            # full size (several minutes)
    python3 bench/run_all.py --quick    # reduced sizes, for a quick check
    python3 bench/run_all.py --only intake split

Each benchmark runs as its own subprocess (a missing one is skipped); its
printed tables go into results.md with the date and the machine (cores, RAM,
CPU model). `--quick` is passed through as each benchmark understands it.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
ORDER = ["bench_intake.py", "bench_classifier.py", "bench_split.py", "bench_sweep.py", "bench_reports.py"]
# How each benchmark is made quick; benchmarks not listed get --quick when their --help offers it.
QUICK_ARGS = {
    "bench_intake.py": ["--quick"],
    "bench_classifier.py": ["--quick"],
    "bench_split.py": [],
    "bench_sweep.py": ["--scale", "0.1", "--runs", "1"],
    "bench_reports.py": ["--scale", "1000000", "--raw", "100000", "--runs", "3"],
}
WHAT = {
    "bench_intake.py": "POST /api/v1/tickets through `hotline serve --workers 2` vs a bare aiohttp+asyncpg INSERT "
                       "ceiling: throughput, p50/p99, ratio, worker RSS",
    "bench_classifier.py": "department classifier: accuracy on the held-out and handwritten sets, training and "
                           "prediction time",
    "bench_split.py": "12345/110 split: police recall, 12345/joint accuracy, rules vs model vs combined",
    "bench_sweep.py": "escalation sweep over a large ticket table: time per sweep, exactly-once steps",
    "bench_reports.py": "rate reports from the rollup vs a full scan of raw tickets",
}


def machine() -> dict[str, str]:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip() or "?"
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return {"cores (nproc)": str(os.cpu_count()), "RAM": ram, "CPU": cpu,
            "Python": platform.python_version(), "OS": platform.platform(),
            "commit": commit + (" (with uncommitted changes)" if dirty else "")}


def quick_args(script: Path) -> list[str]:
    if script.name in QUICK_ARGS:
        return QUICK_ARGS[script.name]
    try:
        help_text = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True,
                                   timeout=60, cwd=ROOT).stdout
    except subprocess.TimeoutExpired:
        return []
    return ["--quick"] if "--quick" in help_text else []


def run_one(script: Path, quick: bool, timeout: float) -> tuple[str, int | None, float, str]:
    args = [sys.executable, str(script), *(quick_args(script) if quick else [])]
    started = time.monotonic()
    try:
        res = subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
        code, out, err = res.returncode, res.stdout, res.stderr
    except subprocess.TimeoutExpired as exc:
        code = None
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err = f"timed out after {timeout:.0f} s"
    elapsed = time.monotonic() - started
    body = out.strip()
    if code != 0:
        tail = "\n".join((err or "").strip().splitlines()[-25:])
        body += f"\n\n**Failed** (exit {code}):\n\n```\n{tail}\n```"
    return " ".join(Path(a).name if a.endswith(".py") else a for a in args[1:]), code, elapsed, body


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="reduced sizes (passed on as each benchmark supports)")
    p.add_argument("--only", nargs="*", help="names like intake split (default: all)")
    p.add_argument("--timeout", type=float, default=1800, help="seconds per benchmark")
    p.add_argument("--out", type=Path, default=BENCH / "results.md")
    args = p.parse_args(argv)

    scripts = [BENCH / n for n in ORDER if (BENCH / n).exists()]
    scripts += sorted(s for s in BENCH.glob("bench_*.py") if s.name not in ORDER)
    if args.only:
        scripts = [s for s in scripts if any(o in s.stem for o in args.only)]
    info = machine()
    now = dt.datetime.now().astimezone()
    parts = [
        "# Benchmark results",
        "",
        f"Generated by `python3 bench/run_all.py{' --quick' if args.quick else ''}` on "
        f"{now:%Y-%m-%d %H:%M %Z}. Every figure is measured against a baseline in the same run.",
        "",
        "| machine | |", "|---|---|", *[f"| {k} | {v} |" for k, v in info.items()],
        "",
        f"The load generators and the servers share these {info['cores (nproc)']} cores: absolute throughput is a "
        "floor, the ratios are what carry over to other machines.",
    ]
    summary = ["", "| benchmark | command | exit | seconds |", "|---|---|---|---|"]
    sections = []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        cmd, code, elapsed, body = run_one(script, args.quick, args.timeout)
        print(body, flush=True)
        summary.append(f"| {script.stem} | `python3 bench/{cmd}` | {code} | {elapsed:.0f} |")
        sections += ["", f"## {script.stem}", "", f"_{WHAT.get(script.name, '')}_", "",
                     f"`python3 bench/{cmd}` — {elapsed:.0f} s", "", body]
    missing = [n for n in ORDER if not (BENCH / n).exists()]
    if missing:
        summary += ["", "Not present in this checkout: " + ", ".join(missing)]
    args.out.write_text("\n".join(parts + summary + sections) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
