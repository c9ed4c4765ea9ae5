"""UTD-MHAD loader on fixtures written in the release's own .mat layout."""
from __future__ import annotations

import dataclasses
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
import scipy.io
from corruption import damage_some
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmhar_lite.data import DatasetError, load_utd_mhad, write_utd_mhad_layout
from mmhar_lite.data.cases import INPUT_CASES
from mmhar_lite.data.utd_mhad import UTD_MHAD_ACTIONS, inertial_path, skeleton_path, trial_id

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


def _d_iner(root: Path) -> np.ndarray:
    return scipy.io.loadmat(inertial_path(root, *TRIAL))["d_iner"]


def _d_skel(root: Path) -> np.ndarray:
    return scipy.io.loadmat(skeleton_path(root, *TRIAL))["d_skel"]


def _save(path: Path, **variables) -> None:
    scipy.io.savemat(path, variables, format="5")


# One fixture per UTD-MHAD case of INPUT_CASES: each damages the `utd_root` copy and returns
# the files that must be reported; the trials of those files are the ones that may not load.
def _other_files(root):
    (root / "Inertial" / "README.txt").write_text("not data")
    (root / "Skeleton" / ".DS_Store").write_bytes(b"\0\1")


def _absent_trial(root):
    inertial_path(root, *TRIAL).unlink()
    skeleton_path(root, *TRIAL).unlink()


def _corrupt(root):
    inertial_path(root, *TRIAL).write_bytes(b"MATLAB? no, just some bytes" * 10)
    return [inertial_path(root, *TRIAL)]


def _zero_bytes(root):
    skeleton_path(root, *TRIAL).write_bytes(b"")
    return [skeleton_path(root, *TRIAL)]


def _folder(root):
    inertial_path(root, *TRIAL).unlink()
    inertial_path(root, *TRIAL).mkdir()
    return [inertial_path(root, *TRIAL)]


def _broken_link(root):
    path = skeleton_path(root, *TRIAL)
    path.unlink()
    path.symlink_to(root / "gone.mat")
    return [path]


def _wrong_variable(root):
    _save(inertial_path(root, *TRIAL), inertial=_d_iner(root))
    return [inertial_path(root, *TRIAL)]


def _inertial_shape(root):
    _save(inertial_path(root, *TRIAL), d_iner=_d_iner(root)[:, :5])
    return [inertial_path(root, *TRIAL)]


def _skeleton_shape(root):
    _save(skeleton_path(root, *TRIAL), d_skel=_d_skel(root)[:, :2])
    return [skeleton_path(root, *TRIAL)]


def _one_frame(root):
    _save(skeleton_path(root, *TRIAL), d_skel=_d_skel(root)[:, :, :1])
    return [skeleton_path(root, *TRIAL)]


def _non_finite(root):
    data = _d_iner(root)
    data[3, 1], data[7, 4] = np.nan, np.inf
    _save(inertial_path(root, *TRIAL), d_iner=data)
    return [inertial_path(root, *TRIAL)]


def _beyond_float32(root):
    data = _d_iner(root)
    data[4, 2] = 1e300  # finite in float64, inf once cast to float32
    _save(inertial_path(root, *TRIAL), d_iner=data)
    return [inertial_path(root, *TRIAL)]


def _complex(root):
    _save(inertial_path(root, *TRIAL), d_iner=_d_iner(root) * (1 + 1j))
    return [inertial_path(root, *TRIAL)]


def _cell_array(root):
    data = _d_skel(root)
    cells = np.empty(data.shape, dtype=object)
    for index in np.ndindex(data.shape):
        cells[index] = np.array([[data[index]]])
    _save(skeleton_path(root, *TRIAL), d_skel=cells)
    return [skeleton_path(root, *TRIAL)]


def _unpaired(root):
    skeleton_path(root, *TRIAL).unlink()
    return [inertial_path(root, *TRIAL)]


def _bad_name(root):
    copy = root / "Inertial" / "a5_s2_t1_inertial copy.mat"
    copy.write_bytes(inertial_path(root, *TRIAL).read_bytes())
    return [copy]


def _action_range(root):
    extra = root / "Inertial" / "a30_s1_t1_inertial.mat"
    extra.write_bytes(inertial_path(root, 1, 1, 1).read_bytes())
    return [extra]


def _duplicate(root):
    twin = root / "Inertial" / "a05_s2_t1_inertial.mat"
    twin.write_bytes(inertial_path(root, 1, 1, 1).read_bytes())  # another trial's data: which is right?
    return [twin, inertial_path(root, *TRIAL), skeleton_path(root, *TRIAL)]


def _no_folder(root):
    shutil.rmtree(root)


def _root_is_a_file(root):
    shutil.rmtree(root)
    root.write_text("a file where the dataset folder should be")


def _no_skeleton_folder(root):
    shutil.rmtree(root / "Skeleton")


def _empty(root):
    for folder in ("Inertial", "Skeleton"):
        shutil.rmtree(root / folder)
        (root / folder).mkdir()


CASES = [case for case in INPUT_CASES if case.dataset == "utd-mhad"]
FIXTURES = {case.name: globals().get(f"_{case.name}") for case in CASES}


def _trial_of(path: Path) -> tuple[int, int, int] | None:
    match = re.match(r"^a(\d+)_s(\d+)_t(\d+)_(inertial|skeleton)\.mat$", path.name)
    return tuple(int(g) for g in match.groups()[:3]) if match else None


def test_every_case_of_the_table_has_a_fixture():
    assert [name for name, fixture in FIXTURES.items() if not callable(fixture)] == []


def check_loaded(raw, written: set, lost: set, reported: list[str], reason: str) -> None:
    """The trials loaded are exactly `written - lost`, each label is its file name's, and the
    skipped files are exactly `reported`, each with `reason`."""
    assert {(s.label + 1, s.subject, s.trial) for s in raw.samples} == written - lost
    for sample in raw.samples:
        action, subject, trial = _trial_of(Path(sample.source.split(";")[0]))
        assert (sample.label, sample.subject, sample.trial) == (action - 1, subject, trial)
    assert sorted(entry["file"] for entry in raw.skipped) == sorted(reported)
    assert all(reason in entry["reason"] for entry in raw.skipped)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_input_case(utd_root, small_synthetic, case):
    reported = [str(path) for path in FIXTURES[case.name](utd_root) or []]
    if case.outcome == "error":
        for strict in (False, True):
            with pytest.raises(DatasetError, match=re.escape(case.reason)):
                load_utd_mhad(utd_root, strict=strict)
        return
    raw = load_utd_mhad(utd_root)
    lost = {_trial_of(Path(path)) for path in reported} | ({TRIAL} if case.outcome == "missing" else set())
    check_loaded(raw, {(s.label + 1, s.subject, s.trial) for s in small_synthetic.samples}, lost, reported, case.reason)
    assert (trial_id(*TRIAL) in raw.missing) == (case.outcome == "missing")  # on disk: skipped, not missing
    if case.outcome != "skipped":
        assert len(load_utd_mhad(utd_root, strict=True)) == len(raw)
        return
    with pytest.raises(DatasetError) as error:
        load_utd_mhad(utd_root, strict=True)
    message = str(error.value)
    assert "\n" not in message and case.reason in message
    assert any(message.startswith(f"{path}: ") for path in reported)


@pytest.mark.parametrize("contents, found", [
    (b"<html>download interrupted</html>", "found text beginning '<html>download interrupted</html>' (a web page)"),
    (b"MATLAB 5.0 MAT-file, truncated", "found a MATLAB 5 header but unreadable data after it (a truncated or damaged copy?)"),
    (bytes(range(200, 256)), "found 56 bytes of other binary data"),
], ids=["web page", "truncated", "binary"])
def test_a_file_that_is_not_matlab_data_gets_a_reason_a_user_can_act_on(utd_root, contents, found):
    path = inertial_path(utd_root, *TRIAL)
    path.write_bytes(contents)
    (entry,) = load_utd_mhad(utd_root).skipped
    assert entry["file"] == str(path)
    assert entry["reason"] == f"not a MATLAB 5 .mat file: expected MATLAB 5 data holding 'd_iner', {found}"


def test_class_names_must_match_the_27_actions(utd_root):
    with pytest.raises(ValueError, match="27 entries"):
        load_utd_mhad(utd_root, class_names=["a", "b"])


@pytest.fixture(scope="module")
def utd_template(tmp_path_factory, small_synthetic) -> Path:
    """Six trials in the release's layout: the fuzz test copies and damages it."""
    root = tmp_path_factory.mktemp("utd-template") / "UTD-MHAD"
    write_utd_mhad_layout(dataclasses.replace(small_synthetic, samples=small_synthetic.samples[:6]), root)
    return root


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_corruptions_are_reported_never_mislabelled(utd_template, tmp_path, data):
    clean = {(s.label + 1, s.subject, s.trial): s for s in load_utd_mhad(utd_template).samples}
    root = Path(tempfile.mkdtemp(dir=tmp_path)) / "UTD-MHAD"
    shutil.copytree(utd_template, root)
    damaged = damage_some(data, sorted(root.glob("*/*.mat")))
    raw = load_utd_mhad(root)
    assert {entry["file"] for entry in raw.skipped} <= {str(path) for path in damaged}
    loaded = {(s.label + 1, s.subject, s.trial): s for s in raw.samples}
    for key in clean.keys() - loaded.keys():  # every trial not loaded has its damaged file reported
        assert {entry["file"] for entry in raw.skipped} & {str(inertial_path(root, *key)), str(skeleton_path(root, *key))}
    for key, sample in loaded.items():
        assert _trial_of(Path(sample.source.split(";")[0])) == key and sample.label == key[0] - 1
        if not {inertial_path(root, *key), skeleton_path(root, *key)} & damaged:
            np.testing.assert_array_equal(sample.imu, clean[key].imu)
            np.testing.assert_array_equal(sample.skeleton, clean[key].skeleton)
    if raw.skipped:
        with pytest.raises(DatasetError) as error:
            load_utd_mhad(root, strict=True)
        assert "\n" not in str(error.value) and str(error.value).startswith(f"{raw.skipped[0]['file']}: ")
    else:
        assert len(load_utd_mhad(root, strict=True)) == len(raw)
