"""Tickets and 热线百科 over HTTP: suggestions at intake, 直接答复 (closed by the hotline, never swept,
counted as 直办率, still called back), 转办/告知, and a unit's reply made a draft article."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hotline.escalation.sweep import sweep
from hotline.reports import rollup
from models.enums import Role

RUGAO, NANTONG, PROVINCE = "320682", "320600", "320000"
T = "/api/v1/tickets"


async def _article(client, call, admin) -> int:
    made = await call(client, "POST", "/api/v1/kb/articles", admin, {
        "slug": "answers.newborn-insurance", "title": "新生儿怎么参加城乡居民医保",
        "question": "孩子刚出生，怎么给宝宝办医保？", "area_code": PROVINCE, "category": "health.insurance",
        "answer": "新生儿出生后凭出生医学证明和户口簿，可在“江苏医保云”或社区服务中心办理城乡居民医保参保登记，"
                  "出生后 90 日内参保的，自出生之日起享受待遇。", "basis_name": "江苏省城乡居民基本医疗保险办法"},
        status=201)
    await call(client, "POST", f"/api/v1/kb/articles/{made['id']}/review", admin, {})
    await call(client, "POST", f"/api/v1/kb/articles/{made['id']}/publish", admin, {})
    return made["id"]


async def _file(client, call, agent, content: str, **extra) -> dict:
    return await call(client, "POST", T, agent, {"channel": "phone", "content": content, "area_code": RUGAO,
                                                 "requester": {"name": "王女士", "phone": "13912345678"}, **extra},
                      status=201)


async def test_direct_answer_is_closed_by_the_hotline_never_swept_and_counted_apart(
        kb_client, kb_pool, kb_tokens, kb_call):
    admin = await kb_tokens.make(Role.ADMIN)
    agent = await kb_tokens.make(Role.AGENT)
    supervisor = await kb_tokens.make(Role.SUPERVISOR, area=NANTONG)
    aid = await _article(kb_client, kb_call, admin)

    ticket = await _file(kb_client, kb_call, agent, "我家宝宝刚出生，想问一下新生儿医保怎么办理", answer_on_call=True)
    assert ticket["status"] == "triage" and "当场答复" in ticket["triage_reason"]
    assert [s["id"] for s in ticket["suggestions"]][:1] == [aid], "the intake answer suggests the article"
    assert ticket["suggestions"][0]["highlights"]

    # a control ticket that is dispatched to a unit, so the sweep below has something to do
    control = await _file(kb_client, kb_call, agent, "小区门口路灯坏了一个月没人修")
    await kb_call(kb_client, "POST", f"{T}/{control['id']}/dispatch", agent,
                  {"category": "urban.municipal", "unit_code": f"{RUGAO}-urban_mgmt"})

    done = await kb_call(kb_client, "POST", f"{T}/{ticket['id']}/answer", agent,
                         {"article_id": aid, "answer": "已告知：凭出生医学证明和户口簿在江苏医保云办理参保登记"})
    assert done["status"] == "closed" and done["data"]["article_id"] == aid and done["unit"] is None
    detail = await kb_call(kb_client, "GET", f"{T}/{ticket['id']}", agent)
    assert detail["unit"] is None and detail["reply_by"] is None
    events = await kb_call(kb_client, "GET", f"{T}/{ticket['id']}/events", agent)
    assert events["events"][-1]["action"] == "answer" and events["events"][-1]["data"]["answered_by"] == "hotline"
    # answered once: a second answer or a dispatch is refused
    await kb_call(kb_client, "POST", f"{T}/{ticket['id']}/answer", agent, {"answer": "再答"}, status=409)

    later = datetime.now(timezone.utc) + timedelta(days=60)
    await sweep(kb_pool, later)
    swept = await kb_pool.fetch("SELECT ticket_id FROM escalations WHERE ticket_id = ANY($1::bigint[])",
                                [ticket["id"], control["id"]])
    assert {r["ticket_id"] for r in swept} == {control["id"]}, "the sweep escalated the dispatched call only"
    assert await kb_pool.fetchval("SELECT status::text FROM tickets WHERE id = $1", ticket["id"]) == "closed"

    await rollup.fold(kb_pool)
    rates = await kb_call(kb_client, "GET", "/api/v1/reports/rates?group_by=total", supervisor)
    total = rates["total"]
    assert total["answered"] >= 1 and total["direct_rate"] == round(total["answered"] / total["received"], 4)

    # still called back: the answer held, the call stays closed
    cb = await kb_call(kb_client, "POST", f"{T}/{ticket['id']}/callback", agent,
                       {"reached": True, "satisfaction": "satisfied", "solved": "solved"})
    assert cb["decision"] == "close" and cb["status"] == "closed"


async def test_direct_answer_found_unsolved_goes_back_to_triage(kb_client, kb_tokens, kb_call):
    agent = await kb_tokens.make(Role.AGENT)
    ticket = await _file(kb_client, kb_call, agent, "咨询居住证办理需要哪些材料", answer_on_call=True)
    await kb_call(kb_client, "POST", f"{T}/{ticket['id']}/answer", agent, {"answer": "请携带身份证和租房合同到派出所办理"})
    cb = await kb_call(kb_client, "POST", f"{T}/{ticket['id']}/callback", agent,
                       {"reached": True, "satisfaction": "unsatisfied", "solved": "unsolved"})
    assert cb["status"] == "triage"
    detail = await kb_call(kb_client, "GET", f"{T}/{ticket['id']}", agent)
    assert "直接答复回访未解决" in detail["triage_reason"]
    # now it is an ordinary call: dispatched to a unit like any other
    await kb_call(kb_client, "POST", f"{T}/{ticket['id']}/dispatch", agent,
                  {"category": "police.admin", "unit_code": f"{RUGAO}-public_security"})


async def test_an_unknown_or_unpublished_article_is_refused(kb_client, kb_tokens, kb_call):
    agent = await kb_tokens.make(Role.AGENT)
    ticket = await _file(kb_client, kb_call, agent, "咨询公积金提取", answer_on_call=True)
    err = await kb_call(kb_client, "POST", f"{T}/{ticket['id']}/answer", agent,
                        {"article_id": 999999999.0, "answer": "x"}, status=422)
    assert err["details"][0]["field"] == "article_id"
    handler = await kb_tokens.make(Role.HANDLER, unit=f"{RUGAO}-hrss")
    await kb_call(kb_client, "POST", f"{T}/{ticket['id']}/answer", handler, {"answer": "x"}, status=403)


async def test_referral_is_recorded_and_leaves_triage(kb_client, kb_pool, kb_tokens, kb_call):
    agent = await kb_tokens.make(Role.AGENT)
    ticket = await _file(kb_client, kb_call, agent, "我在上海浦东，小区门口有人占道经营")
    assert ticket["status"] == "triage"
    done = await kb_call(kb_client, "POST", f"{T}/{ticket['id']}/refer", agent,
                         {"kind": "transfer", "target": "上海市12345市民服务热线", "channel": "021-12345",
                          "reason": "事发地不在本省"})
    assert done["status"] == "closed"
    row = await kb_pool.fetchrow("SELECT kind, target, channel FROM ticket_referrals WHERE ticket_id = $1",
                                 ticket["id"])
    assert dict(row) == {"kind": "transfer", "target": "上海市12345市民服务热线", "channel": "021-12345"}
    queue = await kb_call(kb_client, "GET", "/api/v1/queues/triage?limit=200", agent)
    assert ticket["id"] not in [t["id"] for t in queue["items"]]
    other = await _file(kb_client, kb_call, agent, "想问一下离婚财产怎么分割")
    done = await kb_call(kb_client, "POST", f"{T}/{other['id']}/refer", agent,
                         {"kind": "inform", "target": "如皋市人民法院诉讼服务中心", "channel": "0513-12368"})
    assert done["data"]["kind"] == "inform"
    await kb_call(kb_client, "POST", f"{T}/{other['id']}/refer", agent, {"kind": "nope", "target": "x"}, status=422)


async def test_a_units_reply_becomes_a_draft_article(kb_client, kb_tokens, kb_call):
    agent = await kb_tokens.make(Role.AGENT)
    unit = f"{RUGAO}-hrss"
    handler = await kb_tokens.make(Role.HANDLER, unit=unit)
    ticket = await _file(kb_client, kb_call, agent, "公司拖欠三个月工资不发，电话13800001111，怎么维权")
    tid = ticket["id"]
    await kb_call(kb_client, "POST", f"{T}/{tid}/article-draft", handler, {}, status=404)  # not its ticket yet
    await kb_call(kb_client, "POST", f"{T}/{tid}/dispatch", agent, {"category": "hrss.wage_arrears", "unit_code": unit})
    await kb_call(kb_client, "POST", f"{T}/{tid}/article-draft", handler, {}, status=409)  # no reply yet
    await kb_call(kb_client, "POST", f"{T}/{tid}/sign", handler, {})
    await kb_call(kb_client, "POST", f"{T}/{tid}/reply", handler, {
        "resolution": "可向如皋市劳动保障监察大队投诉，或申请劳动仲裁；拖欠工资的用人单位将被责令限期支付。",
        "claimed_solved": True})
    err = await kb_call(kb_client, "POST", f"{T}/{tid}/article-draft", handler, {"area_code": "845221"}, status=422)
    assert err["details"][0]["field"] == "area_code"
    draft = await kb_call(kb_client, "POST", f"{T}/{tid}/article-draft", handler,
                          {"slug": "wages.arrears-complaint", "title": "被拖欠工资怎么维权"}, status=201)
    assert draft["status"] == "draft" and draft["source_ticket_id"] == tid
    assert draft["unit"]["code"] == unit and draft["area_code"] == RUGAO and draft["category"] == "hrss.wage_arrears"
    assert "劳动仲裁" in draft["answer"] and "13800001111" not in draft["question"]
    assert draft["public"] is False, "a draft from a reply is internal until someone decides otherwise"
