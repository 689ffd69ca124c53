"""History export helper."""

from classifier.history import export_rows, write_rows_csv
from classifier.training import read_training_csv


def test_export_keeps_corrections_only(tmp_path):
    records = [
        ("楼下占道经营", "城市管理/占道经营", "城市管理/占道经营"),
        ("小区物业乱收费", "住房城乡建设/物业管理", "市场监管/价格与计量"),
        ("小区物业乱收费", "住房城乡建设/物业管理", "市场监管/价格与计量"),
        ({"text": "老板欠薪", "final_category": "人力资源社会保障/欠薪", "predicted_category": None}),
        ("", "a", "b"),
        ("无最终类别", None, "b"),
    ]
    rows = export_rows(records)
    assert [(r["text"], r["label"]) for r in rows] == [
        ("小区物业乱收费", "住房城乡建设/物业管理"), ("老板欠薪", "人力资源社会保障/欠薪")]
    assert len(export_rows(records, include_confirmed=True)) == 3
    assert export_rows(records, allowed_labels={"人力资源社会保障/欠薪"})[0]["text"] == "老板欠薪"
    path = tmp_path / "hist.csv"
    assert write_rows_csv(rows, path) == 2
    assert len(read_training_csv(path)) == 2
