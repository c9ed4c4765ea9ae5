"""UTD-MHAD loader on fixtures written in the release's own .mat layout."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from mmhar_lite.data import DatasetError, load_utd_mhad
from mmhar_lite.data.utd_mhad import UTD_MHAD_ACTIONS, inertial_path, skeleton_path

TRIAL = (5, 2, 1)  # action, subject, trial of the trial the bad-input cases damage


def test_loads_every_pair_with_labels_from_file_names(utd_root, small_synthetic):
    raw = load_utd_mhad(utd_root)
    assert raw.name == "utd-mhad" and raw.skipped == []
    assert len(raw.samples) == len(small_synthetic.samples)
    assert raw.class_names == UTD_MHAD_ACTIONS and raw.n_classes == 27
    for sample in raw.samples:
        action, subject, trial = map(int, re.search(r"a(\d+)_s(\d+)_t(\d+)_inertial", sample.source).groups())
        assert (sample.label, sample.subject, sample.trial) == (action - 1, subject, trial)
        assert sample.skeleton.shape[:2] == (20, 3) and sample.imu.shape[1] == 6


def test_missing_trials_and_known_absent_ones(utd_root):
    for path in (inertial_path(utd_root, *TRIAL), skeleton_path(utd_root, *TRIAL)):
        path.unlink()
    raw = load_utd_mhad(utd_root)
    assert "a5_s2_t1" in raw.missing
    # The fixture has subjects 1-2, trial 1 only: trial 2 of subject 1 is expected and absent.
    assert "a1_s1_t2" in raw.missing
    # a8_s1_t4 does not exist in the public release: reported apart, not as missing.
    assert "a8_s1_t4" in raw.known_absent and "a8_s1_t4" not in raw.missing
    assert len(raw.missing) + len(raw.known_absent) + len(raw.samples) == 27 * 8 * 4


def test_missing_folder(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        load_utd_mhad(tmp_path / "nowhere")
    (tmp_path / "Inertial").mkdir()
    with pytest.raises(DatasetError, match="Skeleton/ does not exist"):
        load_utd_mhad(tmp_path)


def test_empty_folder(tmp_path):
    (tmp_path / "Inertial").mkdir()
    (tmp_path / "Skeleton").mkdir()
    with pytest.raises(DatasetError, match="no .mat files"):
        load_utd_mhad(tmp_path)


def _corrupt(path: Path) -> None:
    path.write_bytes(b"MATLAB? no, just some bytes" * 10)


def _wrong_variable(path: Path) -> None:
    data = scipy.io.loadmat(path)["d_iner"]
    scipy.io.savemat(path, {"inertial": data}, format="5")


def _wrong_shape(path: Path) -> None:
    data = scipy.io.loadmat(path)["d_iner"]
    scipy.io.savemat(path, {"d_iner": data[:, :5]}, format="5")


def _non_finite(path: Path) -> None:
    data = scipy.io.loadmat(path)["d_iner"]
    data[3, 1], data[7, 4] = np.nan, np.inf
    scipy.io.savemat(path, {"d_iner": data}, format="5")


def _skeleton_shape(path: Path) -> None:
    data = scipy.io.loadmat(path)["d_skel"]
    scipy.io.savemat(path, {"d_skel": data[:, :2]}, format="5")


def _remove(path: Path) -> None:
    path.unlink()


PATHS = {"inertial": inertial_path, "skeleton": skeleton_path}
# (file damaged, how, file reported, reason)
BAD_INPUTS = [
    ("inertial", _corrupt, "inertial", "cannot read as a MATLAB 5 .mat file"),
    ("inertial", _wrong_variable, "inertial", "no variable 'd_iner' (found: inertial)"),
    ("inertial", _wrong_shape, "inertial", "expected (T, 6)"),
    ("inertial", _non_finite, "inertial", "2 non-finite value(s)"),
    ("skeleton", _skeleton_shape, "skeleton", "expected (20, 3, T)"),
    ("skeleton", _remove, "inertial", "unpaired: no matching Skeleton/ file for a5_s2_t1"),
]
IDS = [case[1].__name__.strip("_") for case in BAD_INPUTS]


@pytest.mark.parametrize("damaged, damage, reported, reason", BAD_INPUTS, ids=IDS)
def test_bad_file_is_skipped_and_reported(utd_root, small_synthetic, damaged, damage, reported, reason):
    damage(PATHS[damaged](utd_root, *TRIAL))
    raw = load_utd_mhad(utd_root)
    assert raw.skipped == [{"file": str(PATHS[reported](utd_root, *TRIAL)), "reason": raw.skipped[0]["reason"]}]
    assert reason in raw.skipped[0]["reason"]
    assert len(raw.samples) == len(small_synthetic.samples) - 1
    assert (TRIAL[0] - 1, TRIAL[1], TRIAL[2]) not in {(s.label, s.subject, s.trial) for s in raw.samples}
    assert "a5_s2_t1" not in raw.missing  # present on disk, so reported as skipped, not missing


@pytest.mark.parametrize("damaged, damage, reported, reason", BAD_INPUTS, ids=IDS)
def test_bad_file_raises_when_strict(utd_root, damaged, damage, reported, reason):
    damage(PATHS[damaged](utd_root, *TRIAL))
    with pytest.raises(DatasetError) as error:
        load_utd_mhad(utd_root, strict=True)
    assert str(error.value).startswith(str(PATHS[reported](utd_root, *TRIAL))) and reason in str(error.value)


def test_out_of_range_names_are_reported_not_relabelled(utd_root):
    source = inertial_path(utd_root, 1, 1, 1)
    (utd_root / "Inertial" / "a30_s1_t1_inertial.mat").write_bytes(source.read_bytes())
    (utd_root / "Inertial" / "notes.txt").write_text("not data")
    raw = load_utd_mhad(utd_root)
    assert [s["reason"] for s in raw.skipped] == ["action 30 is outside 1-27"]
    assert max(s.label for s in raw.samples) <= 26


def test_class_names_must_match_the_27_actions(utd_root):
    with pytest.raises(ValueError, match="27 entries"):
        load_utd_mhad(utd_root, class_names=["a", "b"])
