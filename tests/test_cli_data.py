"""`mmhar data`: JSON and table summaries, and clean errors."""
from __future__ import annotations

import argparse
import json
import os

import numpy as np
import pytest

from mmhar_lite.cli import build_parser, main
from mmhar_lite.data.utd_mhad import inertial_path

FIELDS = {"n_samples", "n_classes", "subjects", "missing", "known_absent", "skipped", "train", "val", "test"}


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["data", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_synthetic_json_summary(capsys):
    code, out, err = _run(capsys, "--dataset", "synthetic", "--json")
    summary = json.loads(out)
    assert code == 0 and err == ""
    assert FIELDS <= summary.keys()
    assert summary["n_samples"] == 861 and summary["n_classes"] == 27
    assert summary["subjects"] == list(range(1, 9)) and summary["missing"] == [] and summary["skipped"] == []
    # Odd subjects train: 4 x 27 x 4 minus a8_s1_t4; even test: minus a23_s6_t4 and a27_s8_t4.
    assert (summary["train"], summary["val"], summary["test"]) == (431, 0, 430)


def test_utd_layout_json_reports_missing_and_skipped(capsys, utd_root, small_synthetic):
    inertial_path(utd_root, 3, 1, 1).write_bytes(b"garbage")
    code, out, _ = _run(capsys, "--dataset", "utd-mhad", "--root", str(utd_root), "--json")
    summary = json.loads(out)
    assert code == 0
    assert summary["n_samples"] == len(small_synthetic.samples) - 1
    assert summary["skipped"][0]["file"] == str(inertial_path(utd_root, 3, 1, 1))
    assert "a1_s1_t2" in summary["missing"] and "a8_s1_t4" in summary["known_absent"]
    assert summary["train"] + summary["test"] == summary["n_samples"]
    assert summary["skeleton_shape"] == [20, 3] and summary["imu_channels"][0] == "acc_x"


def test_summary_reports_the_ratio_of_the_two_clocks(capsys):
    from mmhar_lite import data

    raw = data.generate_synthetic(n_subjects=2, n_trials=1, seed=0)
    ratios = sorted(s.imu.shape[0] / s.skeleton.shape[2] for s in raw.samples)
    summary = data.summarize_dataset(raw)["imu_per_skeleton_frame"]
    assert summary["min"] == pytest.approx(ratios[0], abs=1e-4)
    assert summary["median"] == pytest.approx(float(np.median(ratios)), abs=1e-4)
    assert summary["max"] == pytest.approx(ratios[-1], abs=1e-4) and summary["min"] < summary["max"]
    code, out, _ = _run(capsys, "--dataset", "synthetic", "--json")
    assert code == 0 and json.loads(out)["imu_per_skeleton_frame"]["min"] > 1  # 50 Hz over a slower skeleton


def test_table_output(capsys, utd_root):
    code, out, _ = _run(capsys, "--dataset", "utd-mhad", "--root", str(utd_root))
    assert code == 0
    assert out.splitlines()[0].split() == ["dataset", "utd-mhad"]
    assert "split (cross-subject)" in out and "known absent" in out


def test_dataset_error_is_one_line_exit_1(capsys, tmp_path, utd_root):
    code, out, err = _run(capsys, "--dataset", "utd-mhad", "--root", str(tmp_path / "nowhere"))
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "nowhere" in err and "Traceback" not in err
    inertial_path(utd_root, 3, 1, 1).write_bytes(b"garbage")
    code, _, err = _run(capsys, "--dataset", "utd-mhad", "--root", str(utd_root), "--strict")
    assert code == 1 and "a3_s1_t1_inertial.mat" in err and err.count("\n") == 1
    code, _, err = _run(capsys, "--dataset", "mmact")
    assert code == 1 and "--root" in err
    code, _, err = _run(capsys, "--dataset", "synthetic", "--protocol", "cross-session")
    assert code == 1 and "mmact only" in err


@pytest.mark.parametrize("argv", [["--dataset", "kinetics"], ["--dataset", "synthetic", "--bogus"], []])
def test_usage_errors_exit_2(capsys, argv):
    with pytest.raises(SystemExit) as exit_info:
        main(["data", *argv])
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["data", "--help"])
    assert exit_info.value.code == 0
    assert "--dataset" in capsys.readouterr().out


def test_every_help_page_renders_its_percent_signs(capsys):
    # argparse %-formats `help` strings but not descriptions: a "%%" there is printed as is
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    for name in ["", *commands]:
        with pytest.raises(SystemExit):
            parser.parse_args([name, "--help"] if name else ["--help"])
        out = capsys.readouterr().out
        assert "usage:" in out and "%%" not in out, name


def test_a_file_name_that_is_not_utf8_is_shown_escaped(capsys, utd_root):
    odd = utd_root / "Inertial" / os.fsdecode(b"a3_s1_t1_inertial\xff.mat")
    odd.write_bytes(inertial_path(utd_root, 3, 1, 1).read_bytes())
    code, out, err = _run(capsys, "--dataset", "utd-mhad", "--root", str(utd_root))
    assert code == 0 and err == ""
    assert "skipped 1" in " ".join(out.split()) and "a3_s1_t1_inertial\\udcff.mat" in out
    code, out, err = _run(capsys, "--dataset", "utd-mhad", "--root", str(utd_root), "--json")
    assert code == 0 and json.loads(out)["skipped"][0]["file"] == str(odd)
    code, _, err = _run(capsys, "--dataset", "utd-mhad", "--root", str(utd_root), "--strict")
    assert code == 1 and "a3_s1_t1_inertial\\udcff.mat: file name does not match" in err and err.count("\n") == 1


def test_seed_out_of_range_is_a_usage_error(capsys):
    for seed in ("-1", str(2**63), "1e3"):
        with pytest.raises(SystemExit) as exit_info:
            main(["data", "--dataset", "synthetic", "--seed", seed])
        assert exit_info.value.code == 2 and "argument --seed: expected an integer" in capsys.readouterr().err
