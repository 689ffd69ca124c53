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
    from hotline.tokens import create_token_for

    conn = await db.connect(settings.database_url)
    try:
        return await create_token_for(conn, args.role, unit=args.unit, area=args.area, name=args.name)
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


def cmd_serve(args) -> int:
    from aiohttp import web

    from hotline.app import create_app
    from hotline.demo import prepare_demo

    overrides = {k: v for k, v in {"host": args.host, "port": args.port}.items() if v is not None}
    with infra.servers(Settings(**overrides)) as settings:
        asyncio.run(_migrate(settings, seed=args.demo))
        if args.demo:
            asyncio.run(prepare_demo(settings))
        web.run_app(create_app(settings), host=settings.host, port=settings.port,
                    access_log_format='%a "%r" %s %b %Tfs', print=lambda s: log.info("%s", s))
    return 0


def cmd_db(args) -> int:
    """Start or stop the embedded servers by hand (they keep running between commands)."""
    from hotline.embedded import EmbeddedPostgres, EmbeddedValkey

    settings = Settings()
    pg = EmbeddedPostgres(settings.state_dir, user_name=settings.pg_user)
    valkey = EmbeddedValkey(settings.state_dir)
    if args.action == "start":
        print(json.dumps({"DATABASE_URL": pg.start(), "REDIS_URL": valkey.start()}))
        valkey.server = None  # leave it running; `hotline db stop` ends it
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
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("migrate", help="apply pending migrations")
    p.add_argument("--seed", action="store_true", help="also load the sample data")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("seed", help="load the sample province, categories and units")
    p.set_defaults(func=cmd_seed)

    p = sub.add_parser("token", help="API tokens")
    tsub = p.add_subparsers(dest="token_command", required=True)
    t = tsub.add_parser("create", help="create a token and print it (shown once)")
    t.add_argument("--role", required=True, choices=["agent", "handler", "supervisor", "linkage", "admin"])
    t.add_argument("--unit", help="unit code or id (handler)")
    t.add_argument("--area", help="area code (supervisor)")
    t.add_argument("--name", default="")
    t.set_defaults(func=cmd_token_create)

    p = sub.add_parser("db", help="start/stop the embedded PostgreSQL and Valkey")
    p.add_argument("action", choices=["start", "stop"])
    p.set_defaults(func=cmd_db)

    _register_optional(sub)
    return parser


def _register_optional(sub) -> None:
    """Subcommands owned by other packages (classifier tools)."""
    try:
        from classifier import cli as classifier_cli
    except ImportError:
        return
    classifier_cli.register(sub)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _setup_logging(args.verbose)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
