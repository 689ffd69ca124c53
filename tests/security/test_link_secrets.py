"""One-time survey links (#21 item 11): never in the access log, never built from the Host header."""
from __future__ import annotations

import logging
import re

from hotline.logs import RedactFilter
from models.enums import Role

UNIT = "320682-housing"
BODY = {"channel": "phone", "requester": {"name": "钱女士", "phone": "13912345678"},
        "content": "楼道灯坏了一个月没人修", "area_code": "320682"}
PUBLIC = "https://12345.example.gov.cn"


async def _replied(http, base, agent, tokens) -> int:
    """A ticket filed, dispatched, signed and replied through the API."""
    async with http.post(base + "/api/v1/tickets", json=BODY, headers=agent) as r:
        tid = (await r.json())["id"]
    async with http.post(f"{base}/api/v1/tickets/{tid}/dispatch", headers=agent,
                         json={"category": "housing.property", "unit_code": UNIT}) as r:
        assert r.status == 200, await r.text()
    handler = await tokens.make(Role.HANDLER, unit_id=await tokens.pool.fetchval(
        "SELECT id FROM units WHERE code = $1", UNIT))
    async with http.post(f"{base}/api/v1/tickets/{tid}/sign", headers=handler) as r:
        assert r.status == 200
    async with http.post(f"{base}/api/v1/tickets/{tid}/reply", headers=handler,
                         json={"resolution": "已联系物业更换灯具", "claimed_solved": True}) as r:
        assert r.status == 200
    return tid


async def test_survey_links_use_the_public_base_url_and_stay_out_of_logs(settings, agent, tokens, live, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(RedactFilter())  # as `hotline serve` installs it on its log handler
    async with live.server(settings.model_copy(update={"public_base_url": PUBLIC + "/"})) as (base, _):
        async with live.session_from("127.0.0.1", force_close=True) as http:
            tid = await _replied(http, base, agent, tokens)
            async with http.post(f"{base}/api/v1/tickets/{tid}/callback-link", headers={
                    **agent, "Host": "evil.example.com", "X-Forwarded-Host": "evil.example.com"}) as r:
                link = await r.json()
                assert r.status == 201, link
            token = link["token"]
            assert link["url"] == f"{PUBLIC}/survey/{token}", link["url"]
            assert "evil" not in link["sms_text"] and link["url"] in link["sms_text"]
            for path in (f"/survey/{token}", f"/api/v1/survey/{token}"):
                async with http.get(base + path) as r:
                    assert r.status == 200
            async with http.post(f"{base}/api/v1/survey/{token}",
                                 json={"satisfaction": "satisfied", "solved": "solved"}) as r:
                assert r.status == 200, await r.text()
    access = [r for r in caplog.records if r.name == "aiohttp.access"]
    assert any("/survey/sv_" in caplog.handler.format(r) for r in access), "no survey request in the access log"
    text = "\n".join(caplog.handler.format(r) for r in caplog.records)
    assert token not in text and token[3:15] not in text, [line for line in text.splitlines() if token[3:15] in line]


def test_public_base_url_must_be_an_http_url():
    import pytest
    from pydantic import ValidationError

    from hotline.settings import Settings

    assert Settings(public_base_url="https://a.example/x/").public_base() == "https://a.example/x"
    assert re.match(r"http://127\.0\.0\.1:\d+$", Settings(host="0.0.0.0").public_base())
    for bad in ("evil.example.com", "javascript:alert(1)", "https://u@evil.example", "ftp://x"):
        with pytest.raises(ValidationError):
            Settings(public_base_url=bad)
