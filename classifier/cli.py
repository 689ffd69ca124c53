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
    """Train, save the artifact and print held-out accuracy / macro-F1."""
    from classifier import artifact
    from classifier.model import DEFAULT_MODEL_DIR
    from classifier.training import TrainingDataError, read_training_csv, train, unknown_labels
    try:
        rows = [row for path in args.data for row in read_training_csv(path)]
        odd = unknown_labels(rows)
        if odd:
            print(f"警告: {len(odd)} 个类别不在 taxonomy.csv 中: {', '.join(odd[:10])}", file=sys.stderr)
        params = {"model": args.model} if args.model else {}
        result = train(rows, progress=not args.quiet, params=params, refit_all=args.refit_all)
    except TrainingDataError as exc:
        return _fail(str(exc))
    labels = [str(c) for c in result.pipeline.classes_]
    metrics = {k: v for k, v in result.metrics.items() if k != "confusion"}
    metrics.update(n_train=result.n_train, n_heldout=result.n_heldout)
    meta = artifact.new_metadata(labels, result.rows_sha256, len(rows), metrics, result.params)
    out = artifact.save(result.pipeline, meta, args.out or DEFAULT_MODEL_DIR)
    print(f"模型版本 {meta.version} 已保存到 {out}")
    print(f"训练 {result.n_train} 条，留出 {result.n_heldout} 条，用时 {metrics['fit_seconds']} 秒")
    if result.n_heldout:
        print(f"held-out accuracy: {metrics['accuracy']:.4f}")
        print(f"held-out macro-F1: {metrics['macro_f1']:.4f}")
    else:
        print("数据太少，未做留出评估")
    return EXIT_OK


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
