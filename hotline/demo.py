"""`hotline serve --demo`: tokens for each role and a ready-to-run curl line."""
from __future__ import annotations

import json

from hotline import db
from hotline.settings import Settings
from hotline.tokens import create_token_for

DEMO_HANDLER_UNIT_NAME = "如皋市住房和城乡建设局"
DEMO_SUPERVISOR_AREA = "320600"  # 南通市


async def prepare_demo(settings: Settings) -> dict[str, str]:
    """Create one token per role, write them to the state dir and print how to use them."""
    conn = await db.connect(settings.database_url)
    try:
        unit = await conn.fetchval("SELECT code FROM units WHERE name = $1", DEMO_HANDLER_UNIT_NAME)
        tokens = {
            "agent": await create_token_for(conn, "agent", name="demo agent"),
            "supervisor": await create_token_for(conn, "supervisor", area=DEMO_SUPERVISOR_AREA, name="demo 南通"),
            "linkage": await create_token_for(conn, "linkage", name="demo 110"),
            "admin": await create_token_for(conn, "admin", name="demo admin"),
        }
        if unit:
            tokens["handler"] = await create_token_for(conn, "handler", unit=unit, name="demo 如皋住建")
    finally:
        await conn.close()
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    (settings.state_dir / "demo-tokens.json").write_text(json.dumps(tokens, indent=2))
    _print_welcome(settings, tokens)
    return tokens


def _print_welcome(settings: Settings, tokens: dict[str, str]) -> None:
    base = f"http://{settings.host}:{settings.port}"
    body = json.dumps({"channel": "phone", "requester": {"name": "张先生", "phone": "13800000000"},
                       "content": "小区楼下烧烤摊每天晚上占道经营到凌晨，油烟和噪音很大", "address": "江苏省南通市如皋市如城街道海阳路"},
                      ensure_ascii=False)
    print("\n=== hotline demo ===")
    for role, secret in tokens.items():
        print(f"{role:11s} {secret}")
    print(f"(also in {settings.state_dir / 'demo-tokens.json'})\n")
    print("File a ticket:")
    print(f"curl -s -X POST {base}/api/v1/tickets -H 'Authorization: Bearer {tokens['agent']}' "
          f"-H 'Content-Type: application/json' -d '{body}'\n", flush=True)
