"""热线百科 over HTTP on real PostgreSQL: the review flow, versions and events, scope overrides, expiry,
and who may manage which article."""
from __future__ import annotations

from datetime import date, timedelta

from models.enums import Role

RUGAO, QIDONG, NANTONG, NANJING, PROVINCE = "320682", "320681", "320600", "320100", "320000"
KB = "/api/v1/kb"


def article(slug: str, area: str, title: str, answer: str, **extra) -> dict:
    return {"slug": slug, "title": title, "answer": answer, "area_code": area, **extra}


async def test_review_flow_draft_reviewed_published_retired(kb_client, kb_tokens, kb_call):
    unit = await kb_tokens.make(Role.HANDLER, unit=f"{RUGAO}-hrss")
    other_unit = await kb_tokens.make(Role.HANDLER, unit=f"{RUGAO}-housing")
    supervisor = await kb_tokens.make(Role.SUPERVISOR, area=NANTONG)
    agent = await kb_tokens.make(Role.AGENT)

    body = article("flow.unemployment-claim", RUGAO, "失业保险金申领条件", "失业保险金申领需满足缴费满一年、非本人意愿中断就业等条件。",
                   category="hrss.social_insurance", keywords="失业金 申领")
    draft = await kb_call(kb_client, "POST", f"{KB}/articles", unit, body, status=201)
    aid = draft["id"]
    assert draft["status"] == "draft" and draft["version"] == 1
    assert draft["unit"]["code"] == f"{RUGAO}-hrss", "a unit's article belongs to that unit"
    assert draft["allowed_actions"] == ["revise"]

    # a draft is nobody else's to see, and not searchable
    await kb_call(kb_client, "GET", f"{KB}/articles/{aid}", other_unit, status=404)
    found = await kb_call(kb_client, "GET", f"{KB}/search?q=失业保险金怎么申领&area={RUGAO}", agent)
    assert aid not in [i["id"] for i in found["items"]]

    # the unit cannot review its own article; publishing before review is refused with what is possible
    await kb_call(kb_client, "POST", f"{KB}/articles/{aid}/review", unit, {}, status=403)
    err = await kb_call(kb_client, "POST", f"{KB}/articles/{aid}/publish", supervisor, {}, status=409)
    assert err["current_status"] == "draft" and "review" in err["allowed_actions"]

    reviewed = await kb_call(kb_client, "POST", f"{KB}/articles/{aid}/review", supervisor, {"reason": "口径无误"})
    assert reviewed["status"] == "reviewed"
    published = await kb_call(kb_client, "POST", f"{KB}/articles/{aid}/publish", supervisor, {})
    assert published["status"] == "published" and published["published_at"]
    found = await kb_call(kb_client, "GET", f"{KB}/search?q=失业保险金怎么申领&area={RUGAO}", agent)
    assert found["items"][0]["id"] == aid
    # published: every staff role reads it
    await kb_call(kb_client, "GET", f"{KB}/articles/{aid}", other_unit)

    # a revision is a new version, back in draft and out of the search until published again
    revised = await kb_call(kb_client, "POST", f"{KB}/articles/{aid}/revise", unit,
                            {**body, "answer": "失业保险金申领需缴费满一年；可在“江苏智慧人社”网上申领。", "reason": "增加网办渠道"})
    assert revised["version"] == 2 and revised["status"] == "draft"
    found = await kb_call(kb_client, "GET", f"{KB}/search?q=失业保险金怎么申领&area={RUGAO}", agent)
    assert aid not in [i["id"] for i in found["items"]]
    await kb_call(kb_client, "POST", f"{KB}/articles/{aid}/review", supervisor, {})
    await kb_call(kb_client, "POST", f"{KB}/articles/{aid}/publish", supervisor, {})
    retired = await kb_call(kb_client, "POST", f"{KB}/articles/{aid}/retire", unit, {"reason": "政策调整"})
    assert retired["status"] == "retired"

    versions = await kb_call(kb_client, "GET", f"{KB}/articles/{aid}/versions", unit)
    assert [v["version"] for v in versions["versions"]] == [1, 2]
    assert "网上申领" in versions["versions"][1]["content"]["answer"]
    events = await kb_call(kb_client, "GET", f"{KB}/articles/{aid}/events", unit)
    assert [(e["action"], e["to_status"]) for e in events["events"]] == [
        ("create", "draft"), ("review", "reviewed"), ("publish", "published"), ("revise", "draft"),
        ("review", "reviewed"), ("publish", "published"), ("retire", "retired")]
    assert events["events"][3]["data"]["changed"] == ["answer"]


async def test_units_and_supervisors_manage_only_their_own(kb_client, kb_tokens, kb_call):
    unit = await kb_tokens.make(Role.HANDLER, unit=f"{RUGAO}-hrss")
    nanjing = await kb_tokens.make(Role.SUPERVISOR, area=NANJING)
    nantong = await kb_tokens.make(Role.SUPERVISOR, area=NANTONG)
    body = article("scope.own", RUGAO, "本单位条目", "本单位维护的答复口径。", unit_code=f"{NANJING}-hrss")
    made = await kb_call(kb_client, "POST", f"{KB}/articles", unit, body, status=201)
    assert made["unit"]["code"] == f"{RUGAO}-hrss", "a handler cannot write for another unit"
    # a supervisor outside the article's area neither sees the draft nor reviews it
    await kb_call(kb_client, "POST", f"{KB}/articles/{made['id']}/review", nanjing, {}, status=404)
    await kb_call(kb_client, "POST", f"{KB}/articles/{made['id']}/review", nantong, {})
    # lists: the unit's own draft with what it may do; another unit does not see it
    listed = await kb_call(kb_client, "GET", f"{KB}/articles?status=reviewed&area={RUGAO}", unit)
    assert [(a["id"], a["allowed_actions"]) for a in listed["items"]] == [(made["id"], ["revise"])]
    other = await kb_tokens.make(Role.HANDLER, unit=f"{RUGAO}-housing")
    listed = await kb_call(kb_client, "GET", f"{KB}/articles?status=reviewed&area={RUGAO}", other)
    assert made["id"] not in [a["id"] for a in listed["items"]]
    # a supervisor writes only inside its area
    await kb_call(kb_client, "POST", f"{KB}/articles", nanjing,
                  article("scope.outside", RUGAO, "辖区外", "辖区外条目。"), status=403)
    # unknown references are 422 naming the field; dates in the wrong order too
    err = await kb_call(kb_client, "POST", f"{KB}/articles", nantong,
                        article("scope.bad", RUGAO, "错误", "错误。", category="no.such"), status=422)
    assert err["details"][0]["field"] == "category"
    err = await kb_call(kb_client, "POST", f"{KB}/articles", nantong,
                        article("scope.dates", RUGAO, "日期", "日期。", effective_from="2026-05-01",
                                expires_on="2026-04-01"), status=422)
    assert err["details"][0]["field"] == "expires_on"
    # the same topic twice in one area is a conflict
    err = await kb_call(kb_client, "POST", f"{KB}/articles", unit, body, status=409)
    assert err["details"][0]["field"] == "slug"


async def publish(client, call, headers, body) -> int:
    made = await call(client, "POST", f"{KB}/articles", headers, body, status=201)
    await call(client, "POST", f"{KB}/articles/{made['id']}/review", headers, {})
    await call(client, "POST", f"{KB}/articles/{made['id']}/publish", headers, {})
    return made["id"]


async def test_local_article_overrides_the_province_one_only_in_its_area(kb_client, kb_tokens, kb_call):
    admin = await kb_tokens.make(Role.ADMIN)
    agent = await kb_tokens.make(Role.AGENT)
    province = await publish(kb_client, kb_call, admin, article(
        "override.newborn-card", PROVINCE, "新生儿办理社保卡", "新生儿社保卡可通过“江苏智慧人社”申领，全省通办。"))
    rugao = await publish(kb_client, kb_call, admin, article(
        "override.newborn-card", RUGAO, "如皋市新生儿办理社保卡", "如皋市新生儿社保卡也可在市民服务中心一楼窗口当场制卡。"))
    nanjing_only = await publish(kb_client, kb_call, admin, article(
        "override.nanjing-card", NANJING, "南京市社保卡补换", "南京市社保卡补换可在银行网点办理。"))

    async def ids(area: str) -> list[int]:
        found = await kb_call(kb_client, "GET", f"{KB}/search?q=新生儿社保卡怎么办&area={area}&limit=10", agent)
        return [i["id"] for i in found["items"]]

    here = await ids(RUGAO)
    assert rugao in here and province not in here, "如皋's own article replaces the province's there"
    assert province in await ids(QIDONG) and rugao not in await ids(QIDONG)
    assert nanjing_only not in here, "a city's article does not apply in another city"
    assert rugao in await ids("320682100"[:6])
    # without an area every article is a candidate (no override)
    found = await kb_call(kb_client, "GET", f"{KB}/search?q=新生儿社保卡&limit=10", agent)
    assert {province, rugao} <= {i["id"] for i in found["items"]}


async def test_expired_and_future_articles_are_not_found(kb_client, kb_tokens, kb_call):
    admin = await kb_tokens.make(Role.ADMIN)
    today = date.today()
    old = await publish(kb_client, kb_call, admin, article(
        "expiry.old-subsidy", RUGAO, "2025年度养犬登记优惠", "养犬登记优惠已结束。",
        expires_on=(today - timedelta(days=1)).isoformat()))
    future = await publish(kb_client, kb_call, admin, article(
        "expiry.new-subsidy", RUGAO, "养犬登记新规", "新规将于下月施行。",
        effective_from=(today + timedelta(days=30)).isoformat()))
    current = await publish(kb_client, kb_call, admin, article(
        "expiry.now", RUGAO, "养犬登记办理", "养犬登记可在公安窗口办理。"))
    found = await kb_call(kb_client, "GET", f"{KB}/search?q=养犬登记&area={RUGAO}&limit=10", admin)
    got = [i["id"] for i in found["items"]]
    assert current in got and old not in got and future not in got
    later = (today + timedelta(days=31)).isoformat()
    found = await kb_call(kb_client, "GET", f"{KB}/search?q=养犬登记&area={RUGAO}&limit=10&on={later}", admin)
    assert future in [i["id"] for i in found["items"]]


async def test_public_qa_shows_public_articles_without_a_token(kb_client, kb_tokens, kb_call):
    admin = await kb_tokens.make(Role.ADMIN)
    public = await publish(kb_client, kb_call, admin, article(
        "qa.passport", RUGAO, "护照怎么办理", "护照可在出入境窗口办理，需本人身份证。<b>当场拍照</b>。"))
    internal = await publish(kb_client, kb_call, admin, article(
        "qa.passport-internal", RUGAO, "护照加急内部口径", "护照加急需提供证明，由窗口负责人审批。", public=False))
    found = await kb_call(kb_client, "GET", f"/api/v1/qa/search?q=护照怎么办&area={RUGAO}", None)
    got = [i["id"] for i in found["items"]]
    assert public in got and internal not in got
    assert "unit" not in found["items"][0] and "score" not in found["items"][0]
    assert found["items"][0]["highlights"], "the query's words are marked"
    detail = await kb_call(kb_client, "GET", f"/api/v1/qa/articles/{public}", None)
    assert detail["title"] == "护照怎么办理"
    await kb_call(kb_client, "GET", f"/api/v1/qa/articles/{internal}", None, status=404)
    page = await kb_call(kb_client, "GET", f"/qa?q=护照&area={RUGAO}", None)
    assert "<mark>护照</mark>" in page and "<b>当场" not in page, "snippets are escaped, only <mark> is markup"
    assert "护照加急" not in page
    blank_area = await kb_call(kb_client, "GET", "/qa?q=护照&area=", None)
    assert "<mark>护照</mark>" in blank_area, "the form's empty area means no area"
    article_page = await kb_call(kb_client, "GET", f"/qa/{public}", None)
    assert "&lt;b&gt;当场拍照&lt;/b&gt;" in article_page, "article text is escaped"
    # the staff search needs a token
    await kb_call(kb_client, "GET", f"{KB}/search?q=护照", None, status=401)
