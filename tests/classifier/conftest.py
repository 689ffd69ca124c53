"""Shared fixtures for classifier tests: one small model trained per session."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DATA_DIR = Path(__file__).resolve().parent / "data"
SMALL_CSV = DATA_DIR / "small.csv"


@pytest.fixture(scope="session")
def small_csv() -> Path:
    """Path of the 5-label x 20-row training CSV."""
    return SMALL_CSV


@pytest.fixture(scope="session")
def small_rows():
    """Validated rows of the small CSV."""
    from classifier.training import read_training_csv
    return read_training_csv(SMALL_CSV)


@pytest.fixture(scope="session")
def trained(small_rows):
    """TrainResult on the small CSV (no progress bar)."""
    from classifier.training import train
    return train(small_rows, progress=False, select=False)


@pytest.fixture(scope="session")
def model_dir(trained, small_rows, tmp_path_factory) -> Path:
    """A saved model directory of the small model."""
    from classifier import artifact
    meta = artifact.new_metadata(trained.pipeline.classes_, trained.rows_sha256,
                                 len(small_rows), trained.metrics)
    return artifact.save(trained.pipeline, meta, tmp_path_factory.mktemp("models") / "small")


def _write_csv(path: Path, text: str) -> Path:
    """Write text to path as UTF-8 and return the path."""
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def write_csv():
    """Helper writing a UTF-8 CSV file: write_csv(path, text) -> path."""
    return _write_csv
