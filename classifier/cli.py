"""argparse subcommands: ``train``, ``evaluate``, ``classify``.

Mount with ``register(subparsers)``; each subcommand sets ``func(args) -> int``.
Standalone: ``python3 -m classifier.cli train --data FILE.csv``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from classifier.artifact import ArtifactError

EXIT_OK = 0
EXIT_BAD_INPUT = 2
CLASSIFY_BATCH = 256


def register(subparsers, annotate=None) -> None:
    """Add train/evaluate/classify subparsers to an argparse subparsers object.

    annotate(text) -> dict adds fields to each line `classify` prints (the `hotline` command adds the
    12345/110 disposition; this package does not import routing/).
    """
    p = subparsers.add_parser("train", help="训练分类模型", description="从 CSV (text,label[,group,split]) 训练部门分类模型")
    p.add_argument("--data", required=True, action="append", metavar="FILE.csv",
                   help="训练数据 CSV，可多次指定（合并）")
    p.add_argument("--out", default=None, metavar="DIR", help="模型输出目录（默认 classifier/model/）")
    p.add_argument("--model", choices=["svm", "logreg"], default=None, help="线性模型类型")
    p.add_argument("--refit-all", action="store_true", help="评估后用全部数据（含 heldout）重新训练")
    p.add_argument("--no-select", action="store_true", help="不做交叉验证选模，直接用默认配置")
    p.add_argument("--folds", type=int, default=5, help="选模的分层交叉验证折数（默认 5）")
    p.add_argument("--prior", choices=["auto", "off"], default="auto",
                   help="auto: 把项目语料折叠到本地类别作为先验数据，由交叉验证决定是否使用及权重")
    p.add_argument("--prior-map", default=None, metavar="FILE.csv", help="语料类别到本地类别的折叠映射 (category,label)")
    p.add_argument("--catalogue-map", default=None, metavar="FILE.csv",
                   help="本地类别到派单目录的映射 (label,category)，写入模型，受理时按目录类别派单")
    p.add_argument("--quiet", action="store_true", help="不显示进度条")
    p.set_defaults(func=cmd_train)

    p = subparsers.add_parser("evaluate", help="评估分类模型", description="在带标注的 CSV 上评估模型")
    p.add_argument("--model", default=None, metavar="DIR", help="模型目录（默认 classifier/model/）")
    p.add_argument("--data", required=True, metavar="FILE.csv", help="评估数据 CSV (text,label)")
    p.add_argument("--json", action="store_true", help="输出一个 JSON 对象")
    p.set_defaults(func=cmd_evaluate)

    p = subparsers.add_parser("classify", help="对标准输入逐行分类",
                              description="每行一条诉求文本，输出每行一个 JSON 对象")
    p.add_argument("--model", default=None, metavar="DIR", help="模型目录（默认 classifier/model/）")
    p.set_defaults(func=cmd_classify, annotate=annotate)

    from classifier import import_cli
    import_cli.register(subparsers)


def _fail(message: str) -> int:
    """Print an error to stderr and return the bad-input exit code."""
    print(f"错误: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _load(model_dir):
    """Load a Classifier from model_dir or the default directory."""
    from classifier.model import Classifier, DEFAULT_MODEL_DIR
    return Classifier.load(model_dir or DEFAULT_MODEL_DIR)


def cmd_train(args) -> int:
    """Train (selecting the configuration by CV), save the artifact and print the figures."""
    from classifier import artifact
    from classifier.model import DEFAULT_MODEL_DIR
    from classifier.training import TrainingDataError, read_training_csv, train, unknown_labels
    try:
        rows = [row for path in args.data for row in read_training_csv(path)]
        catalogue_map = _catalogue_map(args.catalogue_map, rows)
        odd = unknown_labels(rows)
        if odd and not catalogue_map:
            print(f"警告: {len(odd)} 个类别不在 taxonomy.csv 中: {', '.join(odd[:10])}", file=sys.stderr)
        params = {"model": args.model} if args.model else {}
        prior = _prior(args) if not args.no_select and not params else None
        result = train(rows, progress=not args.quiet, params=params, refit_all=args.refit_all,
                       select=not args.no_select and not params, prior=prior, n_folds=args.folds)
    except (TrainingDataError, ValueError, OSError) as exc:
        return _fail(str(exc))
    labels = [str(c) for c in result.pipeline.classes_]
    metrics = {k: v for k, v in result.metrics.items() if k != "confusion"}
    metrics.update(n_train=result.n_train, n_heldout=result.n_heldout)
    params = {**result.params, **({"catalogue_map": catalogue_map} if catalogue_map else {})}
    meta = artifact.new_metadata(labels, result.rows_sha256, len(rows), metrics, params)
    out = artifact.save(result.pipeline, meta, args.out or DEFAULT_MODEL_DIR)
    print(f"模型版本 {meta.version} 已保存到 {out}")
    print(f"训练 {result.n_train} 条，留出 {result.n_heldout} 条，用时 {metrics['fit_seconds']} 秒")
    sel = metrics.get("selection")
    if sel:
        print(f"交叉验证（{sel['folds']} 折分层）macro-F1: 选中「{sel['winner']}」{sel['winner_macro_f1']:.4f}，"
              f"基线 jieba TF-IDF + LinearSVC {sel['baseline_macro_f1']:.4f}（{100 * sel['gain']:+.1f} 分）")
    if result.n_heldout:
        print(f"held-out accuracy: {metrics['accuracy']:.4f}")
        print(f"held-out macro-F1: {metrics['macro_f1']:.4f}")
    elif not sel:
        print("数据太少，未做留出评估")
    return EXIT_OK


def _prior(args):
    """The project corpus folded onto the training labels (None when --prior off or no corpus)."""
    if args.prior == "off":
        return None
    from classifier.prior import CORPUS_PATH, Prior, corpus_rows, read_fold_map
    if not CORPUS_PATH.is_file():
        return None
    fold_map = read_fold_map(args.prior_map) if args.prior_map else None
    return Prior(corpus_rows(), fold_map, predict=_shipped_predict)


_SHIPPED = []


def _shipped_predict(texts):
    """Catalogue categories the shipped model gives texts (for folding the corpus); loaded once."""
    if not _SHIPPED:
        from classifier.model import load_default
        _SHIPPED.append(load_default())
    return [p.category for p in _SHIPPED[0].predict(list(texts))]


def _catalogue_map(path, rows) -> dict | None:
    """label -> catalogue category from a label,category CSV; every training label must be mapped."""
    if not path:
        return None
    import csv
    from classifier.training import TrainingDataError, taxonomy_labels
    with open(path, encoding="utf-8-sig", newline="") as fh:
        mapping = {r["label"].strip(): r["category"].strip() for r in csv.DictReader(fh) if r.get("label")}
    known = taxonomy_labels()
    wrong = sorted({c for c in mapping.values() if c not in known})
    missing = sorted({r["label"] for r in rows} - set(mapping))
    if wrong or missing:
        raise TrainingDataError("目录映射无效", [f"未知目录类别 {c!r}" for c in wrong] + [f"类别 {m!r} 未映射" for m in missing])
    return mapping


def cmd_evaluate(args) -> int:
    """Evaluate a model on a labelled CSV."""
    from classifier.training import TrainingDataError, evaluate, read_training_csv
    try:
        clf = _load(args.model)
        rows = read_training_csv(args.data)
        result = evaluate(clf, rows)
    except (TrainingDataError, ArtifactError) as exc:
        return _fail(str(exc))
    result["model_version"] = clf.version
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return EXIT_OK
    print(f"模型版本: {clf.version}   样本数: {result['n']}")
    print(f"accuracy: {result['accuracy']:.4f}   macro-F1: {result['macro_f1']:.4f}   "
          f"top-3 accuracy: {result.get('top3_accuracy', float('nan')):.4f}")
    print(f"{_pad('类别', 32)}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}")
    for lab, m in result["per_class"].items():
        print(f"{_pad(lab, 32)}{m['precision']:>10.3f}{m['recall']:>10.3f}{m['f1']:>10.3f}{m['support']:>9d}")
    return EXIT_OK


def _pad(text: str, width: int) -> str:
    """Left-align text to a terminal width, counting CJK characters as two columns."""
    import unicodedata
    cols = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(1, width - cols)


def cmd_classify(args) -> int:
    """Classify stdin line by line, writing one JSON object per input line."""
    try:
        clf = _load(args.model)
    except ArtifactError as exc:
        return _fail(str(exc))
    interactive = sys.stdin.isatty()
    batch: list[str] = []
    for line in sys.stdin:
        batch.append(line.rstrip("\r\n"))
        if interactive or len(batch) >= CLASSIFY_BATCH:
            _emit(clf, batch, args.annotate)
            batch = []
    if batch:
        _emit(clf, batch, args.annotate)
    return EXIT_OK


def _emit(clf, texts: list[str], annotate=None) -> None:
    """Print predictions (and annotate's fields); blank lines give a null category to keep alignment."""
    idx = [i for i, t in enumerate(texts) if t.strip()]
    preds = dict(zip(idx, clf.predict([texts[i] for i in idx])))
    for i in range(len(texts)):
        p = preds.get(i)
        obj = ({"category": p.category, "confidence": round(p.confidence, 4),
                "alternatives": [[c, s] for c, s in p.alternatives], **(annotate(texts[i]) if annotate else {})} if p is not None
               else {"category": None, "confidence": 0.0, "alternatives": [], "error": "空文本"})
        print(json.dumps(obj, ensure_ascii=False))
    sys.stdout.flush()


def main(argv=None) -> int:
    """Standalone entry point."""
    parser = argparse.ArgumentParser(prog="python3 -m classifier.cli", description="12345 部门分类器")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # e.g. `classify | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
