"""routing/knowledge*.py: the article review flow, area scope and overrides, terms, synonyms and snippets."""
from __future__ import annotations

from datetime import date

import pytest

from models.enums import Role
from routing import knowledge as k
from routing.knowledge_text import build_lexicon, marked_html, plan, snippet, terms, tsvector_text

PARENTS = {"320000": None, "320600": "320000", "320682": "320600", "320681": "320600", "320100": "320000"}


def test_review_flow_table():
    assert k.apply_article("draft", "review", Role.SUPERVISOR) == "reviewed"
    assert k.apply_article("reviewed", "publish", Role.ADMIN) == "published"
    assert k.apply_article("published", "retire", Role.HANDLER) == "retired"
    assert k.apply_article("retired", "revise", Role.HANDLER) == "draft"
    with pytest.raises(k.ArticleFlowError) as exc:
        k.apply_article("draft", "publish", Role.SUPERVISOR)
    assert exc.value.reason == "state"
    with pytest.raises(k.ArticleFlowError) as exc:
        k.apply_article("draft", "review", Role.HANDLER)
    assert exc.value.reason == "role", "a unit never reviews its own article"
    assert k.article_actions("reviewed", Role.SUPERVISOR) == ["revise", "send_back", "publish"]
    assert all(a.label and not a.label.isascii() for a in k.ARTICLE_ACTIONS.values())


def test_deepest_article_of_a_topic_wins_only_where_it_applies():
    prov = k.Placed(1, "card", "320000", 0)
    rugao = k.Placed(2, "card", "320682", 2)
    other = k.Placed(3, "other", "320100", 1)
    here = k.ancestors("320682", PARENTS)
    assert here == ["320682", "320600", "320000"]
    assert k.applicable([prov, rugao, other], here) == [rugao]
    assert k.applicable([prov, rugao, other], k.ancestors("320681", PARENTS)) == [prov]
    assert k.ancestors("999999", PARENTS) == []


def test_owning_unit_moves_up_like_dispatch():
    units = {("320600", "hrss"): "320600-hrss", ("320682", "housing"): "320682-housing"}
    assert k.owning_unit("320682", "hrss", units, PARENTS) == "320600-hrss"
    assert k.owning_unit("320682", "housing", units, PARENTS) == "320682-housing"
    assert k.owning_unit("320100", "tax", units, PARENTS) is None


def test_in_force_on_both_ends():
    assert k.live_on(date(2026, 5, 1), date(2026, 5, 1), date(2026, 5, 1))
    assert not k.live_on(date(2026, 5, 2), None, date(2026, 5, 1))
    assert not k.live_on(date(2026, 4, 30), date(2026, 5, 1), None)


LEX = build_lexicon([["社会保险", "社保"], ["住房公积金", "公积金"], ["医疗保险", "医保"]])


def test_synonyms_meet_on_both_sides():
    assert terms("社保断缴怎么补缴", LEX) == ["社会保险", "断", "缴", "补缴"]
    assert "社会保险" in tsvector_text(["职工社会保险补缴", "", ""], LEX)
    assert terms("公积金怎么提取", LEX)[0] == terms("住房公积金提取", LEX)[0] == "住房公积金"


def test_stop_words_are_not_terms():
    assert terms("请问我想咨询一下怎么办理居住证需要什么", LEX) == ["办理", "居住证"]


def test_common_terms_are_dropped_while_enough_remain():
    df = {"办理": 900, "居住证": 12, "材料": 40}
    p = plan("办理居住证要什么材料", LEX, df, total=1000)
    assert p.terms == ("居住证", "材料") and p.dropped == ("办理",)
    p = plan("办理居住证", LEX, df, total=1000)
    assert p.terms == ("办理", "居住证"), "too few terms left: keep the common one"
    assert p.tsquery == "'办理' | '居住证'"


def test_unseen_long_word_is_searched_by_the_words_inside():
    p = plan("灵活就业人员医保", LEX, {"灵活": 3, "就业": 9, "人员": 20, "医疗保险": 10}, total=100)
    assert "就业" in p.terms and "医疗保险" in p.terms


def test_snippet_window_and_marks_are_escaped():
    text = "前言" * 80 + "新生儿可以在出生后办理<医保>参保登记" + "结尾" * 80
    snip, spans = snippet(text, ["新生儿", "医保"], width=40)
    assert snip.startswith("…") and snip.endswith("…")
    assert [snip[a:b] for a, b in spans] == ["新生儿", "医保"]
    assert "<mark>新生儿</mark>" in marked_html(snip, spans) and "&lt;" in marked_html(snip, spans)
