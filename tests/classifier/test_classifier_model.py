"""Artifact round trip, predictions and hot swap."""

import asyncio
import json
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from classifier import artifact
from classifier.artifact import ArtifactError
from classifier.model import Classifier, ModelHolder, Prediction, predict_async
from classifier.training import train


def test_round_trip(model_dir, trained):
    clf = Classifier.load(model_dir)
    assert clf.labels == [str(c) for c in trained.pipeline.classes_]
    meta = json.loads((model_dir / "metadata.json").read_text(encoding="utf-8"))
    for key in ("version", "labels", "training_sha256", "n_rows", "metrics", "trained_at", "sklearn_version"):
        assert key in meta
    assert clf.version == meta["version"]


def test_predictions(model_dir):
    clf = Classifier.load(model_dir)
    preds = clf.predict(["楼下烧烤摊占道经营到半夜", "包工头拖欠工资三个月", "突然停水没有通知"])
    assert [p.category for p in preds] == ["城市管理/占道经营", "人力资源社会保障/欠薪", "公用事业/供水排水"]
    for p in preds:
        assert isinstance(p, Prediction) and 0.0 <= p.confidence <= 1.0
        assert len(p.alternatives) == 3 and p.alternatives[0][0] == p.category
        assert p.alternatives[0][1] >= p.alternatives[1][1] >= p.alternatives[2][1]
        assert p.model_version == clf.version
    assert clf.predict([]) == []
    assert clf.predict_one("").category in clf.labels


def test_predict_rejects_plain_string(model_dir):
    with pytest.raises(TypeError):
        Classifier.load(model_dir).predict("楼下占道经营")


def test_load_errors(model_dir, tmp_path):
    with pytest.raises(ArtifactError, match="不存在"):
        Classifier.load(tmp_path / "missing")
    broken = tmp_path / "broken"
    shutil.copytree(model_dir, broken)
    with open(broken / artifact.MODEL_FILE, "ab") as fh:
        fh.write(b"garbage")
    with pytest.raises(ArtifactError, match="校验和"):
        Classifier.load(broken)
    nometa = tmp_path / "nometa"
    shutil.copytree(model_dir, nometa)
    (nometa / artifact.METADATA_FILE).write_text("{}", encoding="utf-8")
    with pytest.raises(ArtifactError, match="缺少字段"):
        Classifier.load(nometa)


def _two_label_model(tmp_path, name):
    rows = [{"text": t, "label": lab} for t, lab in [
        ("楼下占道经营", "甲"), ("烧烤摊占道", "甲"), ("马路市场占道", "甲"),
        ("物业乱收费", "乙"), ("物业不作为", "乙"), ("物业费太贵", "乙")]]
    res = train(rows, progress=False)
    meta = artifact.new_metadata(res.pipeline.classes_, res.rows_sha256 + name, len(rows), res.metrics)
    meta.version = f"v-{name}"
    return artifact.save(res.pipeline, meta, tmp_path / name)


def test_hot_swap(model_dir, tmp_path):
    holder = ModelHolder.from_dir(model_dir)
    old_version = holder.version
    assert holder.predict(["物业费太贵"])[0].category == "住房城乡建设/物业管理"
    new_dir = _two_label_model(tmp_path, "new")
    assert holder.reload(new_dir) == "v-new"
    pred = holder.predict(["物业费太贵"])[0]
    assert pred.category == "乙" and pred.model_version == "v-new"
    with pytest.raises(ArtifactError):
        holder.reload(tmp_path / "does-not-exist")
    assert holder.version == "v-new"
    holder.reload(model_dir)
    assert holder.version == old_version


def test_predict_async(model_dir):
    holder = ModelHolder.from_dir(model_dir)

    async def go():
        with ThreadPoolExecutor(1) as pool:
            a = await predict_async(pool, ["突然停水没有通知"], holder)
        b = await holder.predict_async(["包工头拖欠工资三个月"])
        return a, b

    a, b = asyncio.run(go())
    assert a[0].category == "公用事业/供水排水"
    assert b[0].category == "人力资源社会保障/欠薪"


def test_empty_holder_raises():
    with pytest.raises(ArtifactError):
        ModelHolder().predict(["x"])


@pytest.mark.parametrize("params", [{}, {"model": "logreg"}, {"calibration": "holdout"}])
def test_fast_path_matches_sklearn(small_rows, params):
    import numpy as np
    from classifier.fastpath import FastPredictor, compile_pipeline
    from classifier.training import fit
    pipe = fit(small_rows, params)
    texts = [r["text"] for r in small_rows[:30]] + ["", "ＡＢＣ 12345 电话13812345678", "完全无关的句子"]
    fast = FastPredictor(pipe)
    assert np.allclose(fast.predict_proba(texts), pipe.predict_proba(texts), atol=1e-5)
    assert compile_pipeline(pipe) is not None


def test_fast_path_binary(small_rows):
    import numpy as np
    from classifier.fastpath import FastPredictor
    from classifier.training import fit
    rows = [r for r in small_rows if r["label"] in {"城市管理/占道经营", "公用事业/供水排水"}]
    pipe = fit(rows)
    texts = [r["text"] for r in rows]
    assert np.allclose(FastPredictor(pipe).predict_proba(texts), pipe.predict_proba(texts), atol=1e-5)


def test_unsupported_pipeline_falls_back(small_rows):
    from classifier.fastpath import compile_pipeline
    from classifier.pipeline import build_baseline
    pipe = build_baseline().fit([r["text"] for r in small_rows], [r["label"] for r in small_rows])
    assert compile_pipeline(pipe) is None


def test_shipped_default_model():
    from classifier.model import DEFAULT_MODEL_DIR, load_default
    if not (DEFAULT_MODEL_DIR / "metadata.json").is_file():
        pytest.skip("no shipped model in classifier/model/")
    clf = load_default()
    assert len(clf.labels) == 37 and clf.uses_fast_path
    pred = clf.predict_one("小区楼道里有人飞线充电，物业不管")
    assert pred.category == "住房城乡建设/物业管理"
