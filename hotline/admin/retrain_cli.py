"""`hotline retrain`: a gated retrain from the command line (or a scheduler such as cron)."""
from __future__ import annotations

import asyncio
import json
import sys


def register(sub) -> None:
    """Add the retrain subcommand."""
    p = sub.add_parser("retrain", help="gated retrain: swap in a new classifier only if it is not worse on held-out "
                                       "corrected tickets")
    p.add_argument("--base", action="append", default=None, metavar="FILE.csv",
                   help="base training CSV (text,label); default: the project corpus's training rows")
    p.add_argument("--data", action="append", default=[], metavar="FILE.csv", help="extra training CSV, repeatable")
    p.add_argument("--heldout", default=None, metavar="FILE.csv",
                   help="fixed held-out CSV; default: the newest corrected tickets (--heldout-fraction)")
    p.add_argument("--heldout-fraction", type=float, default=0.3)
    p.add_argument("--tolerance", type=float, default=0.0, help="how far below the current model still passes")
    p.add_argument("--require-approval", action="store_true", help="a passing candidate waits for an admin")
    p.add_argument("--no-select", action="store_true", help="skip cross-validated model selection (faster)")
    p.set_defaults(func=cmd_retrain)


def cmd_retrain(args) -> int:
    """Run one gated retrain against the configured database; print the recorded decision as JSON."""
    from classifier.prior import corpus_rows
    from classifier.training import TrainingDataError, read_training_csv
    from hotline import infra
    from hotline.admin.retrain import Plan
    from hotline.settings import Settings

    if not 0.0 < args.heldout_fraction < 1.0:
        print("错误: --heldout-fraction 须在 0 与 1 之间", file=sys.stderr)
        return 2
    try:
        base = [r for path in args.base for r in read_training_csv(path)] if args.base else corpus_rows()
        extra = [r for path in args.data for r in read_training_csv(path)]
        heldout = read_training_csv(args.heldout) if args.heldout else None
    except (TrainingDataError, OSError) as exc:
        print(f"错误: {exc}", file=sys.stderr)
        return 2
    plan = Plan(base, extra, heldout, args.heldout_fraction, args.tolerance, args.require_approval,
                not args.no_select)
    with infra.servers(Settings()) as settings:
        out = asyncio.run(_run(settings, plan))
    print(json.dumps(out, ensure_ascii=False))
    return 0


async def _run(settings, plan) -> dict:
    from hotline import db
    from hotline.admin.retrain import retrain

    pool = await db.create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        return await retrain(pool, settings, plan)
    finally:
        await pool.close()
