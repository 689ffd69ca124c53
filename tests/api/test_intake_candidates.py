"""Candidates in the intake response (#16) over real HTTP, PostgreSQL and Valkey: same caller from the
phone index, similar text from the worker's memory (MinHash sketch), another worker's tickets learnt by
the refresh, folded calls never offered, a replay never offered itself."""
from __future__ import annotations

import asyncio
import uuid

import pytest
from aiohttp.test_utils import TestClient, TestServer

from hotline import keys
from hotline.app import create_app

RUGAO = "320682"
DRAIN = "如皋市白蒲镇朝阳路菜场门口的下水道井盖缺了两个礼拜，晚上骑电瓶车的差点摔进去，请赶紧补上"
DRAIN_AGAIN = "白蒲镇朝阳路菜场门口下水道井盖缺了两个礼拜了，晚上骑电瓶车差点摔进去，赶紧补上井盖"
PARKING = "白蒲镇卫生院门口天天有车乱停，救护车都开不进去"
TREE = "如皋市东大街小学门口那棵梧桐树被台风刮歪了，随时会倒，孩子上学很危险"
TREE_AGAIN = "东大街小学门口梧桐树被台风刮歪了，随时可能倒下来，孩子们上学太危险了"


def phone() -> str:
    return "139" + str(uuid.uuid4().int)[:8]


async def intake(client, headers, content: str, tel: str, key: str | None = None) -> dict:
    body = {"channel": "phone", "requester": {"name": "王女士", "phone": tel}, "content": content,
            "area_code": RUGAO}
    hdrs = {**headers, **({"Idempotency-Key": key} if key else {})}
    resp = await client.post("/api/v1/tickets", json=body, headers=hdrs)
    data = await resp.json()
    assert resp.status == 201, data
    return data


def reasons(data: dict) -> dict[int, set[str]]:
    return {c["id"]: {r["code"] for r in c["reasons"]} for c in data["candidates"]}


async def test_intake_lists_same_caller_and_similar_text_with_reasons(client, agent):
    tel = phone()
    first = await intake(client, agent, DRAIN, tel)
    other_matter = await intake(client, agent, PARKING, tel)
    assert reasons(other_matter)[first["id"]] == {"same_caller"}        # same phone, unrelated text
    again = await intake(client, agent, DRAIN_AGAIN, phone())            # another caller, same matter
    found = reasons(again)
    assert "similar_text" in found[first["id"]] and "same_caller" not in found[first["id"]]
    assert other_matter["id"] not in found and again["id"] not in found
    item = next(c for c in again["candidates"] if c["id"] == first["id"])
    score = next(r["score"] for r in item["reasons"] if r["code"] == "similar_text")
    assert 0.25 <= score <= 1 and item["caller"]["phone"].count("*") == 4
    assert item["status_label"] and not item["reasons"][0]["label"].isascii()


async def test_folded_calls_are_not_offered_and_a_replay_does_not_offer_itself(client, agent):
    tel = phone()
    lead = await intake(client, agent, DRAIN, tel)
    call = await intake(client, agent, DRAIN_AGAIN, tel)
    resp = await client.post(f"/api/v1/tickets/{call['id']}/merge", json={"lead_id": lead["id"]}, headers=agent)
    assert resp.status == 200, await resp.json()
    await client.app[keys.CANDIDATES].refresh()   # what the refresh loop does every second: the merge is known
    key = str(uuid.uuid4())
    new = await intake(client, agent, DRAIN, tel, key=key)
    found = reasons(new)
    assert lead["id"] in found and call["id"] not in found
    replay = await intake(client, agent, DRAIN, tel, key=key)
    assert replay["id"] == new["id"] and new["id"] not in reasons(replay) and lead["id"] in reasons(replay)


async def test_another_workers_ticket_is_learnt_by_the_refresh(client, agent, settings):
    other = create_app(settings)        # a second worker on the same database
    async with TestClient(TestServer(other)) as worker2:
        first = await intake(worker2, agent, TREE, phone())
        mine = client.app[keys.CANDIDATES]
        for _ in range(30):             # the refresh loop runs every second
            if first["id"] <= mine.index.high_water:
                break
            await asyncio.sleep(0.2)
        again = await intake(client, agent, TREE_AGAIN, phone())
    assert "similar_text" in reasons(again)[first["id"]]


async def test_candidates_can_be_turned_off(settings, agent):
    app = create_app(settings.model_copy(update={"intake_candidates": False}))
    async with TestClient(TestServer(app)) as c:
        data = await intake(c, agent, DRAIN, phone())
    assert data["candidates"] is None and keys.CANDIDATES not in app


@pytest.mark.parametrize("text", ["", "！！", "a"])
def test_sketch_of_a_text_without_bigrams_is_none(text):
    from classifier.similarity import sketch

    assert sketch(text) is None
