"""CLI subcommands (in-process for speed, subprocess for the real entry point)."""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from classifier import cli

ROOT = Path(__file__).resolve().parents[2]


def run_main(argv, capsys):
    """Run cli.main and return (code, stdout, stderr)."""
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_register_sets_func():
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="cmd"))
    args = parser.parse_args(["evaluate", "--model", "m", "--data", "d.csv", "--json"])
    assert args.func is cli.cmd_evaluate and args.json


def test_train_and_evaluate(small_csv, tmp_path, capsys):
    out_dir = tmp_path / "m"
    code, out, _ = run_main(["train", "--data", str(small_csv), "--out", str(out_dir), "--quiet", "--prior", "off"],
                            capsys)
    assert code == 0 and "交叉验证" in out and "macro-F1" in out and "基线" in out
    code, out, _ = run_main(["train", "--data", str(small_csv), "--out", str(tmp_path / "plain"), "--quiet",
                             "--no-select"], capsys)
    assert code == 0 and "held-out accuracy" in out and "交叉验证" not in out
    assert (out_dir / "metadata.json").is_file()
    code, out, _ = run_main(["evaluate", "--model", str(out_dir), "--data", str(small_csv), "--json"], capsys)
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 1
    res = json.loads(lines[0])
    assert res["accuracy"] > 0.8 and "macro_f1" in res
    code, out, _ = run_main(["evaluate", "--model", str(out_dir), "--data", str(small_csv)], capsys)
    assert code == 0 and "macro-F1" in out


def test_bad_inputs_exit_2(tmp_path, model_dir, capsys, write_csv):
    empty = write_csv(tmp_path / "empty.csv", "")
    single = write_csv(tmp_path / "single.csv", "text,label\n占道经营,a\n烧烤占道,a\n")
    unknown = write_csv(tmp_path / "unknown.csv", "text,label,oops\n占道经营,a,1\n")
    for argv in (["train", "--data", str(empty), "--out", str(tmp_path / "x")],
                 ["train", "--data", str(single), "--out", str(tmp_path / "x")],
                 ["train", "--data", str(unknown), "--out", str(tmp_path / "x")],
                 ["evaluate", "--model", str(tmp_path / "nope"), "--data", str(empty)],
                 ["evaluate", "--model", str(model_dir), "--data", str(empty)],
                 ["classify", "--model", str(tmp_path / "nope")]):
        code, out, err = run_main(argv, capsys)
        assert code == 2, argv
        assert "错误" in err and "Traceback" not in err


def _subprocess(args, stdin=""):
    """Run python3 -m classifier.cli from the repo root."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "classifier.cli", *args], input=stdin, text=True,
                          capture_output=True, cwd=ROOT, env=env, timeout=60)


def test_classify_subprocess(model_dir):
    proc = _subprocess(["classify", "--model", str(model_dir)], "楼下烧烤摊占道经营\n\n包工头拖欠工资\n")
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(x) for x in proc.stdout.strip().splitlines()]
    assert len(lines) == 3
    assert lines[0]["category"] == "城市管理/占道经营"
    assert lines[1]["category"] is None
    assert set(lines[2]) >= {"category", "confidence", "alternatives"}
    assert len(lines[2]["alternatives"]) == 3


def test_bad_input_subprocess_no_traceback(tmp_path, write_csv):
    bad = write_csv(tmp_path / "bad.csv", "text\n只有文本\n")
    proc = _subprocess(["train", "--data", str(bad), "--out", str(tmp_path / "m")])
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "label" in proc.stderr
