"""Attachments over HTTP (#17): upload by the hotline and the lead unit, scope, hashes, safe download."""
from __future__ import annotations

import hashlib

from models.enums import Role
from tests.attachments import files

TICKET = {"channel": "phone", "area_code": "320682", "requester": {"name": "李女士"},
          "content": "小区门口窨井盖破损，晚上有人踩空，需要尽快更换。"}


async def _dispatched(client, agent, tokens) -> tuple[dict, dict]:
    t = await (await client.post("/api/v1/tickets", json=TICKET, headers=agent)).json()
    resp = await client.post(f"/api/v1/tickets/{t['id']}/dispatch", json={"category": "城市管理/市政设施"},
                             headers=agent)
    assert resp.status == 200
    t = await (await client.get(f"/api/v1/tickets/{t['id']}", headers=agent)).json()
    return t, await tokens.make(Role.HANDLER, unit_id=t["unit"]["id"])


async def _upload(client, ticket_id, data: bytes, headers, filename=None, content_type="application/octet-stream"):
    params = {"filename": filename} if filename is not None else None
    return await client.post(f"/api/v1/tickets/{ticket_id}/attachments", data=data, params=params,
                             headers={**headers, "Content-Type": content_type})


async def test_agent_photo_is_kept_with_its_hash_and_served_inline_as_an_image(client, agent, tokens):
    t, _ = await _dispatched(client, agent, tokens)
    photo = files.png()
    resp = await _upload(client, t["id"], photo, agent, filename="窨井盖（东门）.PNG", content_type="text/html")
    body = await resp.json()
    assert resp.status == 201, body
    assert (body["purpose"], body["kind"], body["media_type"]) == ("intake", "photo", "image/png")
    assert body["sha256"] == hashlib.sha256(photo).hexdigest() and body["size_bytes"] == len(photo)
    assert body["filename"] == "窨井盖（东门）.png" and resp.headers["Location"] == body["url"]

    listed = await (await client.get(f"/api/v1/tickets/{t['id']}/attachments", headers=agent)).json()
    assert [i["id"] for i in listed["items"]] == [body["id"]]
    got = await client.get(body["url"], headers=agent)
    assert got.status == 200 and await got.read() == photo
    assert got.headers["Content-Type"] == "image/png"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Content-Disposition"].startswith("inline;")
    assert "sandbox" in got.headers["Content-Security-Policy"]
    history = await (await client.get(f"/api/v1/tickets/{t['id']}/events", headers=agent)).json()
    attach = [e for e in history["events"] if e["action"] == "attach"]
    assert attach and attach[0]["data"]["sha256"] == body["sha256"]


async def test_handler_evidence_is_a_download_and_other_units_see_nothing(client, agent, tokens):
    t, handler = await _dispatched(client, agent, tokens)
    doc = files.pdf()
    resp = await _upload(client, t["id"], doc, handler, filename="整改报告.pdf")
    body = await resp.json()
    assert resp.status == 201 and (body["purpose"], body["kind"], body["unit_id"]) == (
        "evidence", "document", t["unit"]["id"])
    got = await client.get(body["url"], headers=handler)
    assert await got.read() == doc
    assert got.headers["Content-Type"] == "application/octet-stream"
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E6%95%B4%E6%94%B9" in got.headers["Content-Disposition"]

    other_unit = await tokens.make(Role.HANDLER, unit_id=1 if t["unit"]["id"] != 1 else 2)
    outside = await tokens.make(Role.SUPERVISOR, area_code="320100")
    missing = await client.get("/api/v1/tickets/999999999/attachments", headers=other_unit)
    for headers in (other_unit, outside):
        for url in (body["url"], f"/api/v1/tickets/{t['id']}/attachments"):
            r = await client.get(url, headers=headers)
            assert r.status == 404 and (await r.json())["message"] == (await missing.json())["message"]
    refused = await _upload(client, t["id"], files.png(), other_unit)
    assert refused.status == 404
    inside = await tokens.make(Role.SUPERVISOR, area_code="320600")
    assert (await client.get(body["url"], headers=inside)).status == 200
    assert (await client.get(f"/api/v1/tickets/{t['id']}/attachments/{body['id'] + 10**9}",
                             headers=agent)).status == 404


async def test_evidence_only_before_the_reply_and_listed_with_it(client, agent, tokens):
    t, handler = await _dispatched(client, agent, tokens)
    assert (await client.post(f"/api/v1/tickets/{t['id']}/sign", json={}, headers=handler)).status == 200
    up = await (await _upload(client, t["id"], files.amr(), handler, filename="回访录音.amr")).json()
    assert up["kind"] == "audio" and up["media_type"] == "audio/amr"
    reply = {"resolution": "已更换井盖", "claimed_solved": True}
    assert (await client.post(f"/api/v1/tickets/{t['id']}/reply", json=reply, headers=handler)).status == 200
    late = await _upload(client, t["id"], files.png(), handler)
    assert late.status == 409
    assert (await _upload(client, t["id"], files.png(), agent)).status == 201, "the hotline may still add material"


async def test_the_reply_cites_the_units_own_evidence_only(client, agent, tokens):
    t, handler = await _dispatched(client, agent, tokens)
    assert (await client.post(f"/api/v1/tickets/{t['id']}/sign", json={}, headers=handler)).status == 200
    mine = await (await _upload(client, t["id"], files.png(), handler, filename="更换后.png")).json()
    hotline = await (await _upload(client, t["id"], files.png(), agent)).json()
    reply = {"resolution": "已更换井盖，附现场照片", "claimed_solved": True}
    for ids in ([hotline["id"]], [mine["id"], mine["id"] + 10**6]):
        bad = await client.post(f"/api/v1/tickets/{t['id']}/reply", json={**reply, "evidence": ids}, headers=handler)
        assert bad.status == 422 and (await bad.json())["details"][0]["field"] == "evidence"
    ok = await client.post(f"/api/v1/tickets/{t['id']}/reply", json={**reply, "evidence": [mine["id"]]},
                           headers=handler)
    assert ok.status == 200
    history = await (await client.get(f"/api/v1/tickets/{t['id']}/events", headers=agent)).json()
    assert [e["data"].get("evidence") for e in history["events"] if e["action"] == "reply"] == [[mine["id"]]]
