"""``import-history``: a ticket export (CSV/XLSX) from the old system -> a training CSV for ``train``."""
from __future__ import annotations

import json
import sys

EXIT_OK = 0
EXIT_BAD_INPUT = 2
SHOWN_BAD_ROWS = 20


def register(subparsers) -> None:
    """Add the import-history subcommand."""
    p = subparsers.add_parser(
        "import-history", help="导入历史工单（CSV/XLSX）为训练数据",
        description="按映射文件读取旧系统导出的工单（CSV 或 XLSX），清洗后写出 train 可用的 CSV，逐行报告无效行")
    p.add_argument("--file", required=True, metavar="EXPORT", help="导出文件 .csv 或 .xlsx")
    p.add_argument("--mapping", required=True, metavar="MAP.toml", help="列名映射文件（[columns]，可含 [categories]）")
    p.add_argument("--categories", default=None, metavar="CATS.csv", help="旧类别到派单目录的映射 CSV（old,category）")
    p.add_argument("--taxonomy", choices=["own", "catalogue"], default="own",
                   help="own: 用本地分类体系训练（默认）；catalogue: 先映射到派单目录")
    p.add_argument("--out", required=True, metavar="FILE.csv", help="训练数据输出 (text,label,id,source[,split])")
    p.add_argument("--bad-rows", default=None, metavar="FILE.csv", help="无效行报告输出 (row,reason)")
    p.add_argument("--catalogue-map-out", default=None, metavar="FILE.csv",
                   help="own 体系时写出 label,category 映射，供 train --catalogue-map 使用")
    p.add_argument("--holdout-recent", type=float, default=0.0, metavar="F",
                   help="把受理时间最新的 F 比例标为 heldout（0-0.5）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出汇总")
    p.set_defaults(func=cmd_import_history)


def cmd_import_history(args) -> int:
    """Import, write the rows and the bad-row report, print a summary; exit 2 when nothing usable."""
    from classifier import importer
    from classifier.training import taxonomy_labels

    if not 0.0 <= args.holdout_recent <= 0.5:
        return _fail("--holdout-recent 须在 0 到 0.5 之间")
    try:
        mapping = importer.read_mapping(args.mapping, args.categories)
        result = importer.import_history(args.file, mapping, taxonomy=args.taxonomy,
                                         catalogue=taxonomy_labels(), holdout_recent=args.holdout_recent)
    except (importer.HistoryImportError, OSError) as exc:
        return _fail(str(exc))
    if args.bad_rows:
        importer.write_bad_rows(result.bad, args.bad_rows)
    if not result.rows:
        _print_bad(result.bad)
        return _fail(f"没有可用的数据行（共 {result.total} 行，无效 {len(result.bad)} 行）")
    importer.write_rows(result.rows, args.out)
    summary = result.summary()
    if args.catalogue_map_out and args.taxonomy == "own":
        summary["catalogue_map"] = importer.write_catalogue_map(mapping, set(result.label_counts),
                                                                args.catalogue_map_out)
    if args.json:
        print(json.dumps({**summary, "bad_rows": [{"row": n, "reason": r} for n, r in result.bad]},
                         ensure_ascii=False))
        return EXIT_OK
    print(f"共 {result.total} 行：导入 {len(result.rows)} 行，无效 {len(result.bad)} 行，重复 {result.duplicates} 行，"
          f"{len(result.label_counts)} 个类别 -> {args.out}")
    small = sorted(lab for lab, n in result.label_counts.items() if n < 5)
    if small:
        print(f"注意: {len(small)} 个类别少于 5 条: {', '.join(small[:10])}", file=sys.stderr)
    _print_bad(result.bad)
    return EXIT_OK


def _print_bad(bad: list[tuple[int, str]]) -> None:
    """The first refused rows on stderr, by row number."""
    for number, reason in bad[:SHOWN_BAD_ROWS]:
        print(f"第 {number} 行: {reason}", file=sys.stderr)
    if len(bad) > SHOWN_BAD_ROWS:
        print(f"…… 另有 {len(bad) - SHOWN_BAD_ROWS} 行无效（用 --bad-rows 写出全部）", file=sys.stderr)


def _fail(message: str) -> int:
    print(f"错误: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT
