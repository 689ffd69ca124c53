"""Model selection inside train: candidates and the baseline on the same stratified folds; the prior
(the corpus folded onto the deployment's labels) is used only when the folds say it helps."""
import random

import numpy as np
import pytest

from classifier import artifact, prior, selection
from classifier.model import Classifier
from classifier.selection import Candidate
from classifier.training import fit, train


def test_the_best_mean_macro_f1_wins_over_the_same_folds(small_rows):
    bad = Candidate("hopeless C", {"C": 1e-6, "char_ngrams": None})
    good = Candidate("word+char C=0.2", {})
    s = selection.select(small_rows, fit, candidates=[bad, good], n_folds=4)
    assert s.winner.name == "word+char C=0.2"
    assert s.n_folds == 4 and all(len(sc.folds) == 4 for sc in s.scores + [s.baseline])
    assert s.winner.mean > s.scores[0].mean
    d = s.to_dict()
    assert d["baseline_macro_f1"] == round(s.baseline.mean, 4) and d["gain"] == round(s.winner.mean - s.baseline.mean, 4)


def test_folds_shrink_to_the_smallest_class():
    labels = ["a"] * 10 + ["b"] * 3
    assert len(selection.folds_for(labels, 5, 0)) == 3


class _ListPrior:
    def __init__(self, rows):
        self.rows = rows

    def rows_for(self, train_rows):
        return self.rows


def _few_and_rest(rows, per_label=3, seed=0):
    rng = random.Random(seed)
    by = {}
    for r in rows:
        by.setdefault(r["label"], []).append(r)
    few, rest = [], []
    for group in by.values():
        rng.shuffle(group)
        few += group[:per_label]
        rest += group[per_label:]
    return few, rest


def test_a_garbage_prior_is_not_used_and_a_useful_one_is(small_rows):
    few, rest = _few_and_rest(small_rows, per_label=4)
    cands = [Candidate("word+char C=0.2", {})]
    labels = [r["label"] for r in rest]
    random.Random(1).shuffle(labels)
    garbage = [{"text": r["text"], "label": lab} for r, lab in zip(rest, labels)]
    worse = selection.select(few, fit, prior=_ListPrior(garbage), candidates=cands, n_folds=4)
    assert worse.winner.prior_weight == 0.0, [s.to_dict() for s in worse.scores]
    better = selection.select(few, fit, prior=_ListPrior(rest), candidates=cands, n_folds=4)
    assert better.winner.prior_weight > 0, [s.to_dict() for s in better.scores]


def test_learned_fold_needs_a_clear_majority():
    predicted = ["城管"] * 4 + ["物业"] * 3 + ["噪声"] * 2
    labels = ["城乡建设"] * 3 + ["商贸"] + ["城乡建设"] * 3 + ["环境"] * 2
    assert prior.learned_fold(predicted, labels) == {"城管": "城乡建设", "物业": "城乡建设"}  # 噪声: too few votes


def test_prior_folds_the_corpus_by_identical_labels_or_a_map():
    corpus = [{"text": "t1", "label": "城市管理/占道经营"}, {"text": "t2", "label": "生态环境/噪声污染"}]
    same = prior.Prior(corpus).rows_for([{"text": "x", "label": "城市管理/占道经营"}])
    assert same == [corpus[0]]
    mapped = prior.Prior(corpus, {"城市管理/占道经营": "城乡建设", "生态环境/噪声污染": "环境保护"})
    assert {r["label"] for r in mapped.rows_for([{"text": "x", "label": "城乡建设"}, {"text": "y", "label": "环境保护"}])} \
        == {"城乡建设", "环境保护"}


def test_train_selects_reports_the_baseline_and_fits_every_row(small_rows):
    res = train(small_rows, progress=False, n_folds=3)
    sel = res.metrics["selection"]
    assert res.n_train == len(small_rows) and res.n_heldout == 0
    assert sel["folds"] == 3 and sel["baseline"]["name"].startswith("baseline")
    assert res.metrics["cv_macro_f1"] == sel["winner_macro_f1"] > 0.8
    assert {c["name"] for c in sel["candidates"]} >= {"word+char C=0.2", "ensemble"}


def test_own_taxonomy_model_folds_onto_the_catalogue(small_rows, tmp_path):
    own = {"人力资源社会保障/欠薪": "劳动", "住房城乡建设/物业管理": "住建", "公用事业/供水排水": "住建",
           "城市管理/占道经营": "城管", "生态环境/噪声污染": "环保"}
    rows = [{"text": r["text"], "label": own[r["label"]]} for r in small_rows]
    res = train(rows, progress=False, select=False)
    catalogue_map = {"劳动": "人力资源社会保障/欠薪", "住建": "住房城乡建设/物业管理", "城管": "城市管理/占道经营",
                     "环保": "生态环境/噪声污染"}
    meta = artifact.new_metadata(res.pipeline.classes_, res.rows_sha256, len(rows), res.metrics,
                                 {"catalogue_map": catalogue_map})
    clf = Classifier.load(artifact.save(res.pipeline, meta, tmp_path / "own"))
    assert sorted(clf.labels) == sorted(set(catalogue_map.values()))
    p = clf.predict_one("小区物业不作为，楼道垃圾没人清理")
    assert p.category == "住房城乡建设/物业管理"
    proba = clf.predict_proba(["夜里施工噪音扰民"])
    assert proba.shape == (1, 4) and np.isclose(proba.sum(), 1.0)


@pytest.mark.parametrize("params", [{"model": "ensemble"}, {"prep": "message"}, {"prep": "clean"}])
def test_every_candidate_keeps_the_fast_path(small_rows, params):
    from classifier.fastpath import compile_pipeline

    pipe = fit(small_rows, params)
    fast = compile_pipeline(pipe)
    assert fast is not None
    texts = [r["text"] for r in small_rows[:20]]
    assert np.allclose(fast.predict_proba(texts), pipe.predict_proba(texts), atol=1e-4)


def test_blends_average_distinct_configurations_and_load_as_a_model(small_rows, tmp_path):
    from classifier.ensemble import Blend

    folds = selection.folds_for([r["label"] for r in small_rows], 3, 0)
    a = selection.score_candidate(Candidate("a", {}), small_rows, folds, None, fit)
    b = selection.score_candidate(Candidate("b", {"C": 0.5}), small_rows, folds, None, fit)
    twin = selection.Score("a again", a.folds, 0.0, dict(a.params), 0.3, oof=a.oof)  # same params: not blended twice
    blends = selection.blend_scores([a, twin, b], small_rows, folds, sizes=(2, 3))
    assert len(blends) == 1 and {m.name for m in blends[0].members} == {"a", "b"}
    assert np.allclose(blends[0].oof, (a.oof + b.oof) / 2)
    blend = Blend([fit(small_rows, {}), fit(small_rows, {"C": 0.5})])
    meta = artifact.new_metadata(blend.classes_, "x" * 64, len(small_rows), {})
    clf = Classifier.load(artifact.save(blend, meta, tmp_path / "blend"))
    assert not clf.uses_fast_path and clf.predict_one("夜里施工噪音扰民").category == "生态环境/噪声污染"
