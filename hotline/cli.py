"""The `hotline` command: serve, migrate, seed, token, db, and the classifier tools."""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys

from hotline import db, infra
from hotline.settings import Settings

log = logging.getLogger("hotline")


def _setup_logging(verbose: bool = False) -> None:
    from hotline.logs import setup_logging

    setup_logging(logging.DEBUG if verbose else logging.INFO)


async def _migrate(settings: Settings, *, seed: bool) -> dict:
    conn = await db.connect(settings.database_url)
    try:
        applied = await db.migrate(conn)
        counts = {}
        if seed:
            from hotline.seed import seed_all

            counts = await seed_all(conn)
        return {"applied": applied, "seeded": counts}
    finally:
        await conn.close()


def cmd_migrate(args) -> int:
    with infra.servers(Settings()) as settings:
        result = asyncio.run(_migrate(settings, seed=args.seed))
    print(json.dumps(result, ensure_ascii=False))
    return 0


def cmd_seed(args) -> int:
    with infra.servers(Settings()) as settings:
        result = asyncio.run(_migrate(settings, seed=True))
    print(json.dumps(result["seeded"], ensure_ascii=False))
    return 0


async def _token(settings: Settings, args) -> str:
    from hotline.tokens import create_token_for, parse_duration

    expires_in = parse_duration(args.expires_in) if args.expires_in else None
    conn = await db.connect(settings.database_url)
    try:
        return await create_token_for(conn, args.role, unit=args.unit, area=args.area, name=args.name,
                                      expires_in=expires_in, org=args.org)
    finally:
        await conn.close()


async def _revoke(settings: Settings, ref: str) -> int:
    from hotline.tokens import revoke

    conn = await db.connect(settings.database_url)
    try:
        return await revoke(conn, ref)
    finally:
        await conn.close()


def cmd_token_create(args) -> int:
    from hotline.tokens import TokenError

    with infra.servers(Settings()) as settings:
        try:
            secret = asyncio.run(_token(settings, args))
        except TokenError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    print(secret)
    return 0


def cmd_token_revoke(args) -> int:
    from hotline.tokens import TokenError

    with infra.servers(Settings()) as settings:
        try:
            token_id = asyncio.run(_revoke(settings, args.token))
        except TokenError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    print(f"revoked token {token_id}")
    return 0


def _serve_worker(settings_data: dict, verbose: bool) -> None:
    """One worker process of `serve --workers N`: its own app, sharing the port (SO_REUSEPORT)."""
    import signal

    from aiohttp import web

    from hotline.app import create_app, server_options

    for s in (signal.SIGTERM, signal.SIGINT):  # a restarted worker is forked while the parent's handlers are set
        signal.signal(s, signal.SIG_DFL)
    _setup_logging(verbose)
    _die_with_parent(signal.SIGTERM)
    settings = Settings(**settings_data)
    web.run_app(create_app(settings), host=settings.host, port=settings.port, reuse_port=True,
                print=lambda s: log.info("%s", s), **server_options(settings))


def _die_with_parent(signum: int) -> None:
    """Ask Linux to send signum when the parent dies (PR_SET_PDEATHSIG).

    A SIGKILLed parent cannot stop its workers: they would live on as orphans, still
    serving and holding the leader lease, with nobody to restart them. SIGTERM lets the
    worker shut down cleanly (release the lease, finish its requests)."""
    import ctypes
    import multiprocessing
    import os

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(1, signum, 0, 0, 0) != 0:  # 1 = PR_SET_PDEATHSIG
            raise OSError(ctypes.get_errno(), "prctl")
    except (OSError, AttributeError) as exc:  # not Linux: workers outlive a killed parent
        log.warning("workers will not stop with a killed parent (%s)", exc)
        return
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:  # it died before prctl took effect
        os.kill(os.getpid(), signum)


def _run_workers(settings: Settings, workers: int, verbose: bool, watch) -> int:
    """Fork N workers and supervise them (and the embedded servers) until SIGTERM/SIGINT."""
    import gc
    import multiprocessing

    from hotline.pipeline import preload
    from hotline.supervise import Workers, supervise

    # Load the models here and fork: the workers share the model pages instead of each loading a copy.
    # gc.freeze keeps the collector from touching (and so copying) the inherited objects.
    preload(settings.model_dir)
    gc.freeze()
    pool = Workers(multiprocessing.get_context("fork"), _serve_worker, (settings.model_dump(), verbose), workers,
                   max_restarts=settings.worker_max_restarts, window=settings.worker_restart_window_seconds)
    log.info("serving on http://%s:%s with %d worker processes", settings.host, settings.port, workers)
    return supervise(pool, watch)


def cmd_serve(args) -> int:
    from aiohttp import web

    from hotline.app import create_app, server_options
    from hotline.demo import prepare_demo

    overrides = {k: v for k, v in {"host": args.host, "port": args.port}.items() if v is not None}
    workers = max(1, args.workers or 1)
    with infra.started(Settings(**overrides)) as (settings, watch):
        if not settings.public_base_url:
            log.warning("HOTLINE_PUBLIC_BASE_URL is not set: survey links in SMS texts use %s",
                        settings.public_base())
        # once, in the parent: migrations (and the demo data), then the workers
        asyncio.run(_migrate(settings, seed=args.demo))
        if args.demo:
            asyncio.run(prepare_demo(settings))
        if workers > 1:
            return _run_workers(settings, workers, args.verbose, watch)
        thread, stop = watch.thread()
        try:
            web.run_app(create_app(settings), host=settings.host, port=settings.port,
                        print=lambda s: log.info("%s", s), **server_options(settings))
        finally:
            stop.set()
            thread.join()
    return 0


async def _export(settings: Settings, args) -> int:
    from classifier.history import write_rows_csv
    from hotline.admin.training import corrected_rows

    conn = await db.connect(settings.database_url)
    try:
        rows = await corrected_rows(conn, args.since, include_confirmed=args.include_confirmed)
    finally:
        await conn.close()
    return write_rows_csv(rows, args.out)


def cmd_export_training(args) -> int:
    """Closed tickets whose category a person corrected, as a text,label CSV for `hotline train`."""
    with infra.servers(Settings()) as settings:
        n = asyncio.run(_export(settings, args))
    print(f"{n} rows written to {args.out}")
    return 0


def cmd_db(args) -> int:
    """Start or stop the embedded servers by hand (they keep running between commands)."""
    from hotline.embedded import EmbeddedPostgres, EmbeddedValkey

    settings = Settings()
    pg = EmbeddedPostgres(settings.state_dir, user_name=settings.pg_user)
    valkey = EmbeddedValkey(settings.state_dir)
    if args.action == "start":
        print(json.dumps({"DATABASE_URL": pg.start(), "REDIS_URL": valkey.start()}))
        valkey.detach()  # leave it running; `hotline db stop` ends it
    else:
        valkey.stop()
        pg.stop()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hotline", description="12345 政务服务便民热线工单服务")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the HTTP service (embedded servers unless URLs are set)")
    p.add_argument("--demo", action="store_true", help="load the sample province and print demo tokens")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int, default=1,
                   help="worker processes sharing the port (SO_REUSEPORT); servers and migrations run once")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("migrate", help="apply pending migrations")
    p.add_argument("--seed", action="store_true", help="also load the sample data")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("seed", help="load the sample province, categories and units")
    p.set_defaults(func=cmd_seed)

    p = sub.add_parser("token", help="API tokens")
    tsub = p.add_subparsers(dest="token_command", required=True)
    t = tsub.add_parser("create", help="create a token and print it (shown once)")
    t.add_argument("--role", required=True, choices=["agent", "handler", "supervisor", "linkage", "admin", "mediator", "court"])
    t.add_argument("--unit", help="unit code or id (handler)")
    t.add_argument("--org", help="mediation organisation code (mediator)")
    t.add_argument("--area", help="area code (supervisor)")
    t.add_argument("--name", default="")
    t.add_argument("--expires-in", help="lifetime, e.g. 90d, 12h, 30m or seconds (default: no expiry)")
    t.set_defaults(func=cmd_token_create)
    t = tsub.add_parser("revoke", help="revoke a token (by its secret or id); every worker refuses it at once")
    t.add_argument("token", help="the token's secret, or its numeric id")
    t.set_defaults(func=cmd_token_revoke)

    p = sub.add_parser("export-training", help="export human-corrected closed tickets as training rows")
    p.add_argument("--out", required=True)
    p.add_argument("--since", type=lambda v: __import__("datetime").datetime.fromisoformat(v), default=None,
                   help="only tickets closed since this ISO date/time (with timezone)")
    p.add_argument("--include-confirmed", action="store_true", help="also rows where a person kept the model's category")
    p.set_defaults(func=cmd_export_training)

    p = sub.add_parser("db", help="start/stop the embedded PostgreSQL and Valkey")
    p.add_argument("action", choices=["start", "stop"])
    p.set_defaults(func=cmd_db)

    from hotline.disputes import cli as disputes_cli

    disputes_cli.register(sub)
    from hotline.admin import retrain_cli

    retrain_cli.register(sub)
    _register_optional(sub)
    return parser


def _register_optional(sub) -> None:
    """Subcommands owned by other packages (classifier tools)."""
    try:
        from classifier import cli as classifier_cli
    except ImportError:
        return
    classifier_cli.register(sub, annotate=_disposition)


_SPLIT = None


def _split_model():
    """The 12345/110 split model, loaded once (rules only if it cannot be loaded)."""
    global _SPLIT
    if _SPLIT is None:
        from routing.split import load_split_model
        try:
            _SPLIT = load_split_model()
        except Exception:  # rules alone still give a disposition
            _SPLIT = False
    return _SPLIT or None


def _disposition(text: str) -> dict:
    """`hotline classify` prints the 12345/110 disposition beside the department."""
    from routing.split import decide_split

    d = decide_split(text, model=_split_model())
    return {"disposition": d.disposition.value, "disposition_label": d.disposition.label,
            "disposition_reasons": d.reasons, "review": d.review}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _setup_logging(args.verbose)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
