"""CSV validation, training and evaluation."""

import pytest

from classifier.training import TrainingDataError, evaluate, read_training_csv, split_rows, train


@pytest.mark.parametrize("content, fragment", [
    ("", "为空"),
    ("text,label\n", "没有任何数据行"),
    ("text,category\n你好,a\n", "缺少"),
    ("text,label,foo,bar\n你好,a\n", "未知"),
    ("text,label\n楼下占道经营,a\n物业乱收费,a\n", "两个类别"),
    ("text,label\n楼下占道经营,a\n,b\n", "空文本"),
    ("text,label,split\n楼下占道经营,a,train\n物业,b,later\n", "split"),
])
def test_bad_csv(tmp_path, write_csv, content, fragment):
    path = write_csv(tmp_path / "bad.csv", content)
    with pytest.raises(TrainingDataError) as info:
        read_training_csv(path)
    assert fragment in str(info.value)


def test_unknown_columns_listed_in_details(tmp_path, write_csv):
    path = write_csv(tmp_path / "bad.csv", "text,label,foo\n你好,a,1\n")
    with pytest.raises(TrainingDataError) as info:
        read_training_csv(path)
    assert any("foo" in d for d in info.value.details)


def test_missing_file(tmp_path):
    with pytest.raises(TrainingDataError):
        read_training_csv(tmp_path / "nope.csv")


def test_not_utf8(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes("text,label\n占道经营,a\n物业,b\n".encode("gbk"))
    with pytest.raises(TrainingDataError, match="UTF-8"):
        read_training_csv(path)


def test_bom_accepted(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufefftext,label\n占道经营,a\n物业,b\n".encode("utf-8"))
    assert len(read_training_csv(path)) == 2


def test_split_column_respected(small_rows):
    rows = [dict(r, split="heldout" if i % 5 == 0 else "train") for i, r in enumerate(small_rows)]
    tr, held = split_rows(rows)
    assert len(held) == 20 and len(tr) == 80
    assert all(r["split"] == "heldout" for r in held)


def test_stratified_split_without_column(small_rows):
    tr, held = split_rows(small_rows)
    assert len(tr) + len(held) == len(small_rows)
    assert {r["label"] for r in held} == {r["label"] for r in small_rows}


def test_train_metrics(trained):
    m = trained.metrics
    assert trained.n_train == 80 and trained.n_heldout == 20
    assert m["accuracy"] >= 0.8 and m["macro_f1"] >= 0.8
    assert len(trained.pipeline.classes_) == 5


def test_evaluate_structure(trained, small_rows):
    res = evaluate(trained.pipeline, small_rows)
    assert set(res) >= {"accuracy", "macro_f1", "per_class", "confusion", "top3_accuracy", "n"}
    labels = res["confusion"]["labels"]
    assert len(res["confusion"]["matrix"]) == len(labels)
    assert sum(map(sum, res["confusion"]["matrix"])) == len(small_rows)
    assert set(res["per_class"][labels[0]]) == {"precision", "recall", "f1", "support"}


def test_train_tiny_classes():
    rows = [{"text": "楼下占道经营", "label": "a"}, {"text": "物业乱收费", "label": "b"},
            {"text": "烧烤摊占道", "label": "a"}, {"text": "物业不作为", "label": "b"}]
    res = train(rows, progress=False)
    assert list(res.pipeline.classes_) == ["a", "b"]
