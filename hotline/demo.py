"""`hotline serve --demo`: one token per role, what each may see, and a ready-to-run curl line.

Each run revokes the tokens the previous demo runs created (same names, still valid)
before it creates new ones, in one transaction, so demo tokens do not pile up.
The token file holds the admin token: it is written readable by its owner only.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from hotline import db
from hotline.settings import Settings
from hotline.tokens import create_token_for

DEMO_HANDLER_UNIT_NAME = "如皋市城市管理局"  # the README's example (占道经营 in 如皋市) is dispatched here
DEMO_SUPERVISOR_AREA = "320600"  # 南通市, which contains 如皋市
DEMO_AREA = "320682"            # 如皋市: where the README's example happens
# role -> token name; tokens with these names are the demo's own and are revoked on the next run
DEMO_NAMES = {"agent": "demo agent", "supervisor": "demo 南通", "linkage": "demo 110", "admin": "demo admin",
              "handler": "demo 如皋城管", "mediator": "demo 如城街道调委会", "court": "demo 如皋法院"}
DEMO_MEDIATION_ORG = "320682-rucheng"  # 如城街道人民调解委员会: the demo mediator's organisation
# names earlier versions gave their demo tokens
OLD_DEMO_NAMES = ["demo 如皋住建"]
EXAMPLE_CONTENT = "小区楼下烧烤摊每天晚上占道经营，桌椅摆满人行道，行人只能走机动车道"

REVOKE = "UPDATE api_tokens SET revoked_at = now() WHERE name = ANY($1::text[]) AND revoked_at IS NULL"


async def prepare_demo(settings: Settings) -> dict[str, str]:
    """Revoke the previous demo tokens, create one per role, write them to the state dir, print how to use them."""
    conn = await db.connect(settings.database_url)
    try:
        unit = await conn.fetchrow("SELECT code, name FROM units WHERE name = $1", DEMO_HANDLER_UNIT_NAME)
        area = await conn.fetchrow("SELECT code, name FROM areas WHERE code = $1", DEMO_SUPERVISOR_AREA)
        async with conn.transaction():
            await conn.execute(REVOKE, [*DEMO_NAMES.values(), *OLD_DEMO_NAMES])
            tokens = {
                "agent": await create_token_for(conn, "agent", name=DEMO_NAMES["agent"]),
                "supervisor": await create_token_for(conn, "supervisor", area=DEMO_SUPERVISOR_AREA,
                                                     name=DEMO_NAMES["supervisor"]),
                "linkage": await create_token_for(conn, "linkage", name=DEMO_NAMES["linkage"]),
                "admin": await create_token_for(conn, "admin", name=DEMO_NAMES["admin"]),
            }
            if unit:
                tokens["handler"] = await create_token_for(conn, "handler", unit=unit["code"],
                                                           name=DEMO_NAMES["handler"])
            org = await conn.fetchrow("SELECT code, name FROM mediation_orgs WHERE code = $1", DEMO_MEDIATION_ORG)
            if org:
                tokens["mediator"] = await create_token_for(conn, "mediator", org=org["code"],
                                                            name=DEMO_NAMES["mediator"])
                tokens["court"] = await create_token_for(conn, "court", name=DEMO_NAMES["court"])
    finally:
        await conn.close()
    write_private(settings.state_dir / "demo-tokens.json", json.dumps(tokens, indent=2))
    scopes = {"handler": f"承办单位 {unit['name']}（{unit['code']}）" if unit else "",
              "supervisor": f"督办辖区 {area['name']}（{area['code']}）及下级" if area else "",
              "agent": "热线坐席：登记、派单、回访", "admin": "管理员", "linkage": "110 联动平台",
              "mediator": f"调解组织 {org['name']}（{org['code']}）" if org else "", "court": "法院诉调对接平台"}
    _print_welcome(settings, tokens, scopes)
    return tokens


def write_private(path: Path, text: str) -> None:
    """Write text to path readable and writable by its owner only (0600), replacing any older file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode())
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _print_welcome(settings: Settings, tokens: dict[str, str], scopes: dict[str, str]) -> None:
    base = f"http://{settings.host}:{settings.port}"
    body = json.dumps({"channel": "phone", "requester": {"name": "张先生", "phone": "13800000000"},
                       "content": EXAMPLE_CONTENT, "area_code": DEMO_AREA}, ensure_ascii=False)
    print("\n=== hotline demo ===")
    print("(earlier demo tokens are revoked)")
    for role, secret in tokens.items():
        print(f"{role:11s} {secret}  {scopes.get(role, '')}")
    print(f"(also in {settings.state_dir / 'demo-tokens.json'}, readable by you only)\n")
    print("File a ticket (it reaches the demo handler's inbox; README.md walks through the rest):")
    print(f"curl -s -X POST {base}/api/v1/tickets -H 'Authorization: Bearer {tokens['agent']}' "
          f"-H 'Content-Type: application/json' -d '{body}'\n", flush=True)
