"""import-history: an old system's export (CSV or XLSX) through a mapping file into training rows."""

import csv
import json

import pytest

from classifier import cli, importer

MAPPING = """
[columns]
text = "诉求内容"
title = "标题"
category = "问题分类"
created = "受理时间"
closed = "办结时间"
id = "工单编号"

[categories]
"城建-物业" = "住房城乡建设/物业管理"
"城管-占道" = "城市管理/占道经营"
"""
HEADER = ["工单编号", "标题", "诉求内容", "问题分类", "受理时间", "办结时间", "备注"]
ROWS = [
    ["A1", "物业不作为", "小区物业长期不打扫楼道，垃圾堆了一个星期没人清理", "城建-物业", "2024-03-01 09:00", "2024-03-05", ""],
    ["A2", "", "夜市摊贩占用人行道经营，行人只能走机动车道<br>&nbsp;请城管处理", "城管-占道", "2024/03/02", "2024-03-06", ""],
    ["A3", "", "", "城建-物业", "2024-03-03", "", "空内容"],
    ["A4", "", "电梯坏了", "城建-物业", "2024-03-04", "", "过短"],
    ["A5", "", "小区门口烧烤摊占道经营，油烟和桌椅挡路", "", "2024-03-05", "", "无类别"],
    ["A6", "", "楼下健身器材坏了很久，希望有人来修一下", "文体-设施", "2024-03-06", "", "未映射"],
    ["A7", "", "物业收了停车费却不管外来车辆乱停", "城建-物业", "昨天下午", "", "日期坏"],
    ["A8", "", "物业收了停车费却不管外来车辆乱停放", "城建-物业", "2024-03-08", "2024-03-01", "办结早于受理"],
    ["A9", "物业不作为", "小区物业长期不打扫楼道，垃圾堆了一个星期没人清理", "城建-物业", "2024-03-09", "", "重复"],
    ["A10", "物业不作为", "小区物业长期不打扫楼道，垃圾堆了一个星期没人清理", "城管-占道", "2024-03-10", "", "冲突"],
]


def _mapping(tmp_path, text=MAPPING):
    path = tmp_path / "map.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _csv(tmp_path, rows=ROWS, encoding="utf-8"):
    path = tmp_path / "export.csv"
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def _xlsx(tmp_path, rows=ROWS):
    import openpyxl
    from datetime import datetime

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "工单"
    ws.append(HEADER)
    for r in rows:
        r = list(r)
        if r[4] == "2024-03-01 09:00":
            r[4] = datetime(2024, 3, 1, 9, 0)  # a real date cell, as Excel exports carry them
        ws.append(r)
    path = tmp_path / "export.xlsx"
    book.save(path)
    return path


EXPECTED_BAD = {4: "诉求内容为空", 5: "诉求内容过短", 6: "类别为空", 7: "未映射到派单目录",
                8: "受理时间无法解析", 9: "办结时间早于受理时间", 11: "内容相同但类别不同"}


@pytest.mark.parametrize("kind", ["csv", "xlsx", "csv-gb18030"])
def test_bad_rows_reported_by_their_row_number(tmp_path, kind):
    path = {"csv": lambda: _csv(tmp_path), "xlsx": lambda: _xlsx(tmp_path),
            "csv-gb18030": lambda: _csv(tmp_path, encoding="gb18030")}[kind]()
    mapping = importer.read_mapping(_mapping(tmp_path))
    result = importer.import_history(path, mapping, taxonomy="catalogue",
                                     catalogue={"住房城乡建设/物业管理", "城市管理/占道经营"})
    bad = dict(result.bad)
    assert set(bad) == set(EXPECTED_BAD), result.bad
    for number, fragment in EXPECTED_BAD.items():
        assert fragment in bad[number]
    assert result.total == len(ROWS) and result.duplicates == 1
    assert [r["id"] for r in result.rows] == ["A1", "A2"]
    first, second = result.rows
    assert first["text"] == "物业不作为\n小区物业长期不打扫楼道，垃圾堆了一个星期没人清理"  # title on the first line
    assert first["label"] == "住房城乡建设/物业管理" and second["label"] == "城市管理/占道经营"
    assert "<br>" not in second["text"] and "&nbsp;" not in second["text"]
    assert result.unmapped == {"文体-设施": 1}


def test_own_taxonomy_keeps_old_categories(tmp_path):
    mapping = importer.read_mapping(_mapping(tmp_path))
    result = importer.import_history(_csv(tmp_path), mapping, taxonomy="own")
    labels = {r["label"] for r in result.rows}
    assert labels == {"城建-物业", "城管-占道", "文体-设施"}  # the unmapped category is kept in its own taxonomy
    assert 7 not in dict(result.bad)


def test_mapping_errors_are_whole_file_errors(tmp_path):
    with pytest.raises(importer.HistoryImportError, match="缺少"):
        importer.read_mapping(_mapping(tmp_path, '[columns]\ntitle = "标题"\n'))
    with pytest.raises(importer.HistoryImportError, match="未知键"):
        importer.read_mapping(_mapping(tmp_path, '[columns]\ntext = "a"\ncategory = "b"\nbody = "c"\n'))
    with pytest.raises(importer.HistoryImportError, match="格式错误"):
        importer.read_mapping(_mapping(tmp_path, "[columns\n"))
    wrong_col = importer.read_mapping(_mapping(tmp_path, '[columns]\ntext = "内容"\ncategory = "问题分类"\n'))
    with pytest.raises(importer.HistoryImportError, match="缺少映射文件中的列") as err:
        importer.import_history(_csv(tmp_path), wrong_col)
    assert any("内容" in d for d in err.value.details)
    bad_target = importer.read_mapping(_mapping(tmp_path, MAPPING.replace("城市管理/占道经营", "城管/不存在")))
    with pytest.raises(importer.HistoryImportError, match="不在派单目录"):
        importer.import_history(_csv(tmp_path), bad_target, catalogue={"住房城乡建设/物业管理", "城市管理/占道经营"})


def test_categories_csv_and_recent_holdout(tmp_path):
    cats = tmp_path / "cats.csv"
    cats.write_text("old,category\n文体-设施,城市管理/园林绿化\n", encoding="utf-8")
    mapping = importer.read_mapping(_mapping(tmp_path), cats)
    result = importer.import_history(_csv(tmp_path), mapping, taxonomy="catalogue",
                                     catalogue={"住房城乡建设/物业管理", "城市管理/占道经营", "城市管理/园林绿化"},
                                     holdout_recent=0.34)
    assert [(r["id"], r["split"]) for r in result.rows] == [("A1", "train"), ("A2", "train"), ("A6", "heldout")]


def test_cli_writes_training_csv_that_train_reads(tmp_path, capsys):
    out, bad_out, cmap = tmp_path / "train.csv", tmp_path / "bad.csv", tmp_path / "cmap.csv"
    code = cli.main(["import-history", "--file", str(_xlsx(tmp_path)), "--mapping", str(_mapping(tmp_path)),
                     "--out", str(out), "--bad-rows", str(bad_out), "--catalogue-map-out", str(cmap), "--json"])
    stdout = capsys.readouterr().out
    assert code == 0
    summary = json.loads(stdout)
    assert summary["imported"] == 3 and summary["bad"] == 6 and summary["catalogue_map"] == 2
    assert {b["row"] for b in summary["bad_rows"]} == {4, 5, 6, 8, 9, 11}
    from classifier.training import read_training_csv
    rows = read_training_csv(out)
    assert [r["label"] for r in rows] == ["城建-物业", "城管-占道", "文体-设施"]
    with open(bad_out, encoding="utf-8") as fh:
        assert [r["row"] for r in csv.DictReader(fh)] == ["4", "5", "6", "8", "9", "11"]
    assert "城建-物业,住房城乡建设/物业管理" in cmap.read_text(encoding="utf-8")


def test_cli_nothing_usable_exits_2(tmp_path, capsys):
    code = cli.main(["import-history", "--file", str(_csv(tmp_path, rows=[ROWS[2], ROWS[3]])),
                     "--mapping", str(_mapping(tmp_path)), "--out", str(tmp_path / "o.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "第 2 行: 诉求内容为空" in err and "第 3 行" in err and "Traceback" not in err
    code = cli.main(["import-history", "--file", str(tmp_path / "nope.xlsx"),
                     "--mapping", str(_mapping(tmp_path)), "--out", str(tmp_path / "o.csv")])
    assert code == 2 and "找不到导出文件" in capsys.readouterr().err
