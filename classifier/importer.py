"""Ticket history from an old system (CSV or XLSX export) -> training rows, bad rows reported by number.

A deployment does not start from our corpus alone: it has years of tickets in its old system.
Their column names and categories differ per system, so a small TOML mapping file says which
column is which, and optionally how the old categories map onto the dispatch catalogue:

    [columns]            # the export's own header names; text and category are required
    text = "诉求内容"
    title = "标题"
    category = "问题分类"
    unit = "承办单位"
    created = "受理时间"
    closed = "办结时间"
    id = "工单编号"

    [options]            # all optional
    sheet = "工单"        # XLSX sheet (default: the first)
    min_chars = 6        # shorter texts are bad rows

    [categories]         # old category -> catalogue category (or give --categories FILE.csv)
    "城建-物业" = "住房城乡建设/物业管理"

Pure reading and cleaning: no database. Row numbers are the export's own (header = row 1),
so an operator can find each bad row in the spreadsheet.
"""
from __future__ import annotations

import csv
import html
import io
import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

COLUMN_KEYS = ("text", "title", "category", "unit", "created", "closed", "id")
REQUIRED_KEYS = ("text", "category")
DEFAULT_MIN_CHARS = 6
ENCODINGS = ("utf-8-sig", "gb18030")  # Chinese exports are often GBK/GB18030
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
                "%Y/%m/%d", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日", "%Y.%m.%d", "%Y%m%d")

_TAGS = re.compile(r"<[^>]{0,200}>")
_SPACES = re.compile(r"[ \t\u3000\xa0]+")
_LINES = re.compile(r"\s*\n\s*")


class HistoryImportError(ValueError):
    """The export or the mapping file cannot be used at all (not a bad row: the whole file)."""

    def __init__(self, message: str, details: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.details = list(details or [])

    def __str__(self) -> str:
        return self.message + (": " + "; ".join(self.details[:10]) if self.details else "")


@dataclass
class Mapping:
    """Which export column holds what, and the old categories' catalogue equivalents."""

    columns: dict[str, str]
    categories: dict[str, str] = field(default_factory=dict)
    sheet: str | None = None
    min_chars: int = DEFAULT_MIN_CHARS


@dataclass
class ImportResult:
    """Good training rows, bad rows (row number, reason) and counts for the report."""

    rows: list[dict]
    bad: list[tuple[int, str]]
    duplicates: int
    total: int
    label_counts: dict[str, int]
    unmapped: dict[str, int] = field(default_factory=dict)  # old categories with no catalogue entry

    def summary(self) -> dict:
        """JSON-ready counts."""
        return {"total": self.total, "imported": len(self.rows), "bad": len(self.bad),
                "duplicates": self.duplicates, "labels": len(self.label_counts),
                "unmapped_categories": self.unmapped}


def read_mapping(path: str | os.PathLike, categories_csv: str | os.PathLike | None = None) -> Mapping:
    """Read the TOML mapping file (and an optional old,category CSV of category mappings)."""
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HistoryImportError(f"找不到映射文件: {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise HistoryImportError(f"映射文件格式错误: {path}", [str(exc)]) from exc
    cols = raw.get("columns")
    if not isinstance(cols, dict):
        raise HistoryImportError("映射文件缺少 [columns] 段")
    unknown = sorted(set(cols) - set(COLUMN_KEYS))
    missing = [k for k in REQUIRED_KEYS if not cols.get(k)]
    if unknown or missing:
        raise HistoryImportError("映射文件 [columns] 无效", [f"未知键 {k!r}" for k in unknown]
                           + [f"缺少 {k!r}" for k in missing] + [f"允许的键: {', '.join(COLUMN_KEYS)}"])
    options = raw.get("options", {})
    cats = {str(k).strip(): str(v).strip() for k, v in raw.get("categories", {}).items()}
    if categories_csv:
        cats.update(read_category_csv(categories_csv))
    return Mapping({k: str(v).strip() for k, v in cols.items()}, cats, options.get("sheet"),
                   int(options.get("min_chars", DEFAULT_MIN_CHARS)))


def read_category_csv(path: str | os.PathLike) -> dict[str, str]:
    """old,category rows (header required) mapping the old system's categories onto the catalogue."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or not {"old", "category"} <= {h.strip() for h in reader.fieldnames}:
            raise HistoryImportError(f"类别映射 CSV 需要 old,category 两列: {path}")
        return {r["old"].strip(): r["category"].strip() for r in reader if (r.get("old") or "").strip()}


def read_table(path: str | os.PathLike, sheet: str | None = None) -> tuple[list[str], list[tuple[int, list]]]:
    """(header, [(row number, cells)]) from a .csv or .xlsx file; row numbers as the file shows them."""
    path = Path(path)
    if not path.is_file():
        raise HistoryImportError(f"找不到导出文件: {path}")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path, sheet)
    if path.suffix.lower() == ".xls":
        raise HistoryImportError("不支持旧版 .xls 文件，请另存为 .xlsx 或 CSV")
    return _read_csv(path)


def _read_csv(path: Path) -> tuple[list[str], list[tuple[int, list]]]:
    data = path.read_bytes()
    for enc in ENCODINGS:
        try:
            content = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise HistoryImportError(f"无法识别文件编码（支持 UTF-8、GB18030）: {path}")
    reader = csv.reader(io.StringIO(content, newline=""))
    try:
        header = next(reader, None)
        if not header:
            raise HistoryImportError(f"导出文件为空: {path}")
        rows = [(reader.line_num, cells) for cells in reader]
    except csv.Error as exc:
        raise HistoryImportError(f"CSV 格式错误: {path}", [str(exc)]) from exc
    return [h.strip() for h in header], rows


def _read_xlsx(path: Path, sheet: str | None) -> tuple[list[str], list[tuple[int, list]]]:
    try:
        import openpyxl
    except ImportError:
        raise HistoryImportError("读取 XLSX 需要 openpyxl（pip install openpyxl）") from None
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - zip/XML errors of a damaged workbook
        raise HistoryImportError(f"无法打开 XLSX 文件: {path}", [str(exc)[:200]]) from exc
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise HistoryImportError(f"工作表 {sheet!r} 不存在", [f"现有: {', '.join(book.sheetnames)}"])
        ws = book[sheet] if sheet else book.worksheets[0]
        it = ws.iter_rows(values_only=True)
        header = next(it, None)
        if not header or all(h is None for h in header):
            raise HistoryImportError(f"工作表为空: {path}")
        rows = [(i, list(cells)) for i, cells in enumerate(it, start=2)
                if any(c is not None and str(c).strip() for c in cells)]
    finally:
        book.close()
    return [_cell(h) for h in header], rows


def _cell(value) -> str:
    """A cell as text (dates in ISO form, whole floats without .0)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def clean_text(raw: str) -> str:
    """Strip HTML tags and entities (web forms), collapse spaces, keep line breaks between paragraphs."""
    text = html.unescape(_TAGS.sub("\n", raw.replace("\r\n", "\n").replace("\r", "\n")))
    text = _SPACES.sub(" ", text)
    return _LINES.sub("\n", text).strip()


def parse_date(raw: str) -> datetime | None:
    """A date/time from the usual export formats, or None."""
    raw = raw.strip()
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        pass
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(raw, fmt)
        except ValueError:
            continue
    return None


def import_history(path: str | os.PathLike, mapping: Mapping, *, taxonomy: str = "own",
                   catalogue: set[str] | None = None, holdout_recent: float = 0.0) -> ImportResult:
    """Clean an export into ``text,label,id,source[,split]`` rows; every refused row is reported by number.

    taxonomy='own': the old system's categories become the model's labels (a [categories] mapping,
    if given, must point into the catalogue: intake folds predictions through it).
    taxonomy='catalogue': each old category is mapped onto the dispatch catalogue (or already is one);
    rows whose category has no mapping are bad rows.
    holdout_recent: mark the newest fraction (by the created column) split=heldout, so `train` scores
    the model on the latest tickets, as it will meet them.
    """
    if taxonomy not in ("own", "catalogue"):
        raise HistoryImportError(f"未知的分类体系 {taxonomy!r}（own 或 catalogue）")
    catalogue = catalogue or set()
    _check_targets(mapping, catalogue)
    header, table = read_table(path, mapping.sheet)
    index = _column_index(header, mapping)
    good, bad, seen = [], [], {}
    unmapped: dict[str, int] = {}
    dups = 0
    for number, cells in table:
        fields, problem = _row_fields(cells, index, len(header), mapping)
        label = None
        if problem is None:
            label, problem = _label(fields["category"], mapping, taxonomy, catalogue, unmapped)
        if problem is not None:
            bad.append((number, problem))
            continue
        text = f"{fields['title']}\n{fields['text']}" if fields.get("title") else fields["text"]
        first = seen.get(text)
        if first is not None:
            if first[1] == label:
                dups += 1
            else:
                bad.append((number, f"与第 {first[0]} 行内容相同但类别不同（{first[1]} / {label}）"))
            continue
        seen[text] = (number, label)
        good.append({"text": text, "label": label, "id": fields.get("id") or str(number), "source": "history",
                     "_created": fields.get("created_at")})
    _mark_recent(good, holdout_recent)
    counts: dict[str, int] = {}
    for r in good:
        counts[r["label"]] = counts.get(r["label"], 0) + 1
    return ImportResult(good, bad, dups, len(table), counts, unmapped)


def _check_targets(mapping: Mapping, catalogue: set[str]) -> None:
    """Every mapped category must exist in the dispatch catalogue."""
    wrong = sorted({v for v in mapping.categories.values() if catalogue and v not in catalogue})
    if wrong:
        raise HistoryImportError("类别映射的目标不在派单目录中", [f"未知目录类别 {v!r}" for v in wrong])


def _column_index(header: list[str], mapping: Mapping) -> dict[str, int]:
    """Column position of each mapped key; a mapped column missing from the header is fatal."""
    pos = {h: i for i, h in enumerate(header) if h}
    missing = [f"{key} -> {name!r}" for key, name in mapping.columns.items() if name not in pos]
    if missing:
        raise HistoryImportError("导出文件缺少映射文件中的列", missing + [f"现有列: {', '.join(header)}"])
    return {key: pos[name] for key, name in mapping.columns.items()}


def _row_fields(cells: list, index: dict[str, int], width: int, mapping: Mapping) -> tuple[dict, str | None]:
    """The mapped cells of one row, cleaned; (fields, reason it is refused or None)."""
    extra = [c for c in cells[width:] if _cell(c)]
    if extra:
        return {}, f"字段数（{len(cells)}）多于表头（{width}），可能有未加引号的逗号"
    fields = {key: _cell(cells[i]) if i < len(cells) else "" for key, i in index.items()}
    fields["text"] = clean_text(fields["text"])
    if "title" in fields:
        fields["title"] = clean_text(fields["title"]).replace("\n", " ")
    if not fields["text"]:
        return fields, "诉求内容为空"
    if len(fields["text"]) < mapping.min_chars:
        return fields, f"诉求内容过短（{len(fields['text'])} 字，至少 {mapping.min_chars} 字）"
    if not fields["category"]:
        return fields, "类别为空"
    for key, label in (("created", "受理时间"), ("closed", "办结时间")):
        raw = fields.get(key, "")
        if raw:
            when = parse_date(raw)
            if when is None:
                return fields, f"{label}无法解析: {raw[:30]}"
            fields[f"{key}_at"] = when.replace(tzinfo=None)
    if fields.get("created_at") and fields.get("closed_at") and fields["closed_at"] < fields["created_at"]:
        return fields, "办结时间早于受理时间"
    return fields, None


def _label(old: str, mapping: Mapping, taxonomy: str, catalogue: set[str],
           unmapped: dict[str, int]) -> tuple[str | None, str | None]:
    """(label, None) or (None, reason) for one row's old category."""
    if taxonomy == "own":
        return old, None
    target = mapping.categories.get(old) or (old if old in catalogue else None)
    if target is None:
        unmapped[old] = unmapped.get(old, 0) + 1
        return None, f"类别「{old}」未映射到派单目录"
    return target, None


def _mark_recent(rows: list[dict], fraction: float) -> None:
    """split=heldout for the newest fraction of rows that have a created date (others: train)."""
    dated = sorted((r for r in rows if r["_created"] is not None), key=lambda r: r["_created"])
    n = int(round(len(dated) * fraction)) if 0 < fraction < 1 else 0
    newest = {id(r) for r in dated[len(dated) - n:]} if n else set()
    for r in rows:
        created = r.pop("_created")
        if fraction:
            r["split"] = "heldout" if id(r) in newest else "train"
        if created is not None:
            r["created"] = created.isoformat(sep=" ")


def write_rows(rows: list[dict], out: str | os.PathLike) -> int:
    """Training CSV for `hotline train` (text,label,id,source[,split]); returns the row count."""
    fields = ["text", "label", "id", "source"] + (["split"] if any("split" in r for r in rows) else [])
    with open(out, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def write_bad_rows(bad: list[tuple[int, str]], out: str | os.PathLike) -> None:
    """row,reason CSV of the refused rows."""
    with open(out, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["row", "reason"])
        writer.writerows(bad)


def write_catalogue_map(mapping: Mapping, labels: set[str], out: str | os.PathLike) -> int:
    """label,category CSV (own label -> catalogue category) for `train --catalogue-map`."""
    with open(out, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["label", "category"])
        pairs = sorted((k, v) for k, v in mapping.categories.items() if k in labels)
        writer.writerows(pairs)
    return len(pairs)
