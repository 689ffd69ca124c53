"""Versioned model directory: ``model.joblib`` + ``metadata.json``.

Only load model directories you trust: joblib files are pickles.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import joblib
import sklearn

FORMAT_VERSION = 1
MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"
REQUIRED_KEYS = ("format_version", "version", "labels", "training_sha256", "n_rows",
                 "metrics", "trained_at", "sklearn_version", "model_sha256")


class ArtifactError(Exception):
    """A model directory is missing, corrupt or incompatible."""


@dataclass
class Metadata:
    """Descriptive metadata stored next to the pipeline."""

    version: str
    labels: list[str]
    training_sha256: str
    n_rows: int
    metrics: dict
    trained_at: str
    sklearn_version: str = sklearn.__version__
    params: dict = field(default_factory=dict)
    model_sha256: str = ""
    format_version: int = FORMAT_VERSION

    def to_dict(self) -> dict:
        """Plain-dict form for JSON."""
        return dict(self.__dict__)


def sha256_file(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def make_version(training_sha256: str, when: datetime | None = None) -> str:
    """Version string like ``20250101T120000Z-1a2b3c4d``."""
    when = when or datetime.now(timezone.utc)
    return f"{when.strftime('%Y%m%dT%H%M%SZ')}-{training_sha256[:8]}"


def new_metadata(labels, training_sha256: str, n_rows: int, metrics: dict, params: dict | None = None) -> Metadata:
    """Build metadata for a freshly trained pipeline."""
    now = datetime.now(timezone.utc)
    return Metadata(version=make_version(training_sha256, now), labels=[str(x) for x in labels],
                    training_sha256=training_sha256, n_rows=int(n_rows), metrics=metrics,
                    trained_at=now.isoformat(timespec="seconds"), params=params or {})


def save(pipeline, metadata: Metadata, out_dir: str | os.PathLike) -> Path:
    """Write pipeline + metadata to out_dir, replacing any previous model atomically-ish."""
    out = Path(out_dir).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    os.chmod(tmp, 0o755)
    try:
        strip_for_save(pipeline)
        joblib.dump(pipeline, tmp / MODEL_FILE, compress=3)
        metadata.model_sha256 = sha256_file(tmp / MODEL_FILE)
        with open(tmp / METADATA_FILE, "w", encoding="utf-8") as fh:
            json.dump(metadata.to_dict(), fh, ensure_ascii=False, indent=2)
        _swap_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def strip_for_save(estimator) -> None:
    """Drop vectorizers' ``stop_words_`` (only kept for introspection; can be huge)."""
    for step in _walk(estimator):
        if hasattr(step, "stop_words_"):
            step.stop_words_ = None


def _walk(est):
    """Yield est and every nested step/transformer of pipelines and unions."""
    yield est
    for _, sub, *_ in getattr(est, "steps", []) + getattr(est, "transformer_list", []):
        yield from _walk(sub)
    for sub in getattr(est, "pipelines", []):  # classifier.ensemble.Blend
        yield from _walk(sub)


def _swap_dir(new: Path, out: Path) -> None:
    """Replace directory out by new with two renames."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(out, old)
    os.replace(new, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def read_metadata(model_dir: str | os.PathLike) -> Metadata:
    """Read and validate metadata.json of a model directory."""
    path = Path(model_dir) / METADATA_FILE
    if not Path(model_dir).is_dir():
        raise ArtifactError(f"模型目录不存在: {model_dir}")
    if not path.is_file():
        raise ArtifactError(f"模型目录缺少 {METADATA_FILE}: {model_dir}")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"无法解析 {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise ArtifactError(f"{path} 内容不是 JSON 对象")
    missing = [k for k in REQUIRED_KEYS if k not in raw]
    if missing:
        raise ArtifactError(f"{path} 缺少字段: {', '.join(missing)}")
    if raw["format_version"] != FORMAT_VERSION:
        raise ArtifactError(f"不支持的模型格式版本 {raw['format_version']} (需要 {FORMAT_VERSION})")
    if not isinstance(raw["labels"], list) or len(raw["labels"]) < 2:
        raise ArtifactError(f"{path} 的 labels 无效")
    known = {k: raw[k] for k in Metadata.__dataclass_fields__ if k in raw}
    return Metadata(**known)


def load(model_dir: str | os.PathLike, verify_hash: bool = True):
    """Load (pipeline, metadata) from a model directory, validating both."""
    meta = read_metadata(model_dir)
    model_path = Path(model_dir) / MODEL_FILE
    if not model_path.is_file():
        raise ArtifactError(f"模型目录缺少 {MODEL_FILE}: {model_dir}")
    if verify_hash and sha256_file(model_path) != meta.model_sha256:
        raise ArtifactError(f"{model_path} 校验和与 metadata.json 不一致（文件损坏或被替换）")
    if meta.sklearn_version.split(".")[:2] != sklearn.__version__.split(".")[:2]:
        raise ArtifactError(
            f"模型由 scikit-learn {meta.sklearn_version} 训练，当前为 {sklearn.__version__}，请重新训练")
    try:
        pipeline = joblib.load(model_path)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure is a bad artifact
        raise ArtifactError(f"无法加载 {model_path}: {exc}") from exc
    classes = [str(c) for c in getattr(pipeline, "classes_", [])]
    if classes != meta.labels:
        raise ArtifactError("模型类别与 metadata.json 中的 labels 不一致")
    if not hasattr(pipeline, "predict_proba"):
        raise ArtifactError("模型不支持概率输出 (predict_proba)")
    return pipeline, meta
