"""MMAct loader on fixtures written in its CSV + .npy layout."""
from __future__ import annotations

import re
import shutil
import tempfile
from operator import attrgetter
from pathlib import Path

import numpy as np
import pytest
from corruption import damage_some
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmhar_lite.data import DatasetError, RawDataset, Sample, load_mmact, write_mmact_layout
from mmhar_lite.data.cases import INPUT_CASES
from mmhar_lite.data.mmact import IMU_SOURCES, MMACT_ACTIONS, MMACT_IMU_CHANNELS

TRIAL = Path("subject2/scene1/session2/walking")


def _sample(rng: np.random.Generator, label: int, subject: int, session: int, length: int = 120) -> Sample:
    t = np.linspace(0, 2 * np.pi, length)
    # Smooth, band-limited signals, so the 100 Hz round trip of the accelerometers is lossless
    # up to the resampling filter's ripple.
    imu = np.stack([np.sin((1 + c % 3) * t + rng.uniform(0, 6)) * (1 + c) for c in range(12)], axis=1)
    skeleton = rng.uniform(100, 900, size=(17, 2, 1)) + 20 * np.sin(t)[None, None, :]
    return Sample(skeleton=skeleton.astype(np.float32), imu=imu.astype(np.float32), label=label,
                  subject=subject, trial=1, session=session, scene=1)


@pytest.fixture
def mmact(tmp_path) -> tuple[Path, RawDataset]:
    rng = np.random.default_rng(0)
    samples = [_sample(rng, label, subject, session)
               for label in (MMACT_ACTIONS.index("walking"), MMACT_ACTIONS.index("using_phone"))
               for subject in (1, 2, 17) for session in (1, 2)]
    raw = RawDataset(name="mmact", samples=samples, class_names=list(MMACT_ACTIONS),
                     skeleton_layout="coco17", imu_channels=list(MMACT_IMU_CHANNELS))
    write_mmact_layout(raw, tmp_path / "mmact")
    return tmp_path / "mmact", raw


def _walking_s2(raw: RawDataset) -> Sample:
    """The sample of TRIAL (subject 2, session 2, walking)."""
    walking = MMACT_ACTIONS.index("walking")
    return next(s for s in raw.samples if (s.subject, s.session, s.label) == (2, 2, walking))


def _file(root: Path, source: str) -> Path:
    return root / source / TRIAL.with_suffix(".npy" if source == "skeleton" else ".csv")


def test_35_distinct_classes():
    assert len(MMACT_ACTIONS) == 35 == len(set(MMACT_ACTIONS))
    assert MMACT_ACTIONS.count("using_phone") == 1


def test_round_trip(mmact):
    root, written = mmact
    raw = load_mmact(root)
    assert raw.skipped == [] and raw.missing == []
    assert raw.skeleton_layout == "coco17" and raw.imu_channels == MMACT_IMU_CHANNELS
    key = attrgetter("subject", "session", "label")
    loaded = sorted(raw.samples, key=key)
    assert [key(s) for s in loaded] == sorted(key(s) for s in written.samples)
    for got, want in zip(loaded, sorted(written.samples, key=key)):
        np.testing.assert_array_equal(got.skeleton, want.skeleton)
        # Accelerometers went 50 -> 100 -> 50 Hz; the others are stored at 50 Hz.
        assert got.imu.shape == want.imu.shape
        np.testing.assert_allclose(got.imu[10:-10, 6:], want.imu[10:-10, 6:], atol=1e-5)
        np.testing.assert_allclose(got.imu[10:-10, :6], want.imu[10:-10, :6], atol=0.05)


def test_accelerometers_are_decimated_to_50_hz(mmact):
    root, _ = mmact
    rows = len(_file(root, "acc_phone").read_text().splitlines())
    gyro_rows = len(_file(root, "gyro").read_text().splitlines())
    assert rows == 2 * gyro_rows
    sample = _walking_s2(load_mmact(root))
    assert sample.imu.shape == (gyro_rows, 12)


# One fixture per MMAct case of INPUT_CASES: each damages the `mmact` copy (TRIAL unless said)
# and returns the files that must be reported; the trials of those files may not load.
def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def _clip_and_aliases(root):
    shutil.move(root / "gyro", root / "gyro_clip")
    for source in (*IMU_SOURCES[:2], "gyro_clip", "orientation", "skeleton"):
        suffix = ".npy" if source == "skeleton" else ".csv"
        old = root / source / f"subject1/scene1/session1/using_phone{suffix}"
        old.rename(old.with_name(f"using_phone_desk{suffix}"))


def _case_differs(root):
    path = _file(root, "gyro")
    path.rename(path.with_name("WALKING.csv"))


def _shorter_source(root):
    path = _file(root, "orientation")
    path.write_text("\n".join(_lines(path)[:80]) + "\n")  # 80 of 120 samples: cut to 80


def _header(root):
    _file(root, "acc_watch").write_text("timestamp,x,y,z\n" + _file(root, "acc_watch").read_text())
    return [_file(root, "acc_watch")]


def _text_row(root):
    lines = _lines(_file(root, "gyro"))
    lines[40] = "0.8,n/a,0.1,0.2"
    _file(root, "gyro").write_text("\n".join(lines))
    return [_file(root, "gyro")]


def _three_columns(root):
    _file(root, "gyro").write_text("\n".join(",".join(line.split(",")[:3]) for line in _lines(_file(root, "gyro"))))
    return [_file(root, "gyro")]


def _non_finite(root):
    lines = _lines(_file(root, "orientation"))
    lines[5] = "100.0,nan,0.1,0.2"
    _file(root, "orientation").write_text("\n".join(lines))
    return [_file(root, "orientation")]


def _beyond_float32(root):
    lines = _lines(_file(root, "acc_phone"))
    lines[7] = "70.0,1e300,0.1,0.2"  # finite in float64, inf once cast to float32
    _file(root, "acc_phone").write_text("\n".join(lines))
    return [_file(root, "acc_phone")]


def _empty_csv(root):
    _file(root, "acc_phone").write_text("")
    return [_file(root, "acc_phone")]


def _folder(root):
    _file(root, "acc_watch").unlink()
    _file(root, "acc_watch").mkdir()
    return [_file(root, "acc_watch")]


def _broken_link(root):
    _file(root, "gyro").unlink()
    _file(root, "gyro").symlink_to(root / "gone.csv")
    return [_file(root, "gyro")]


def _very_short_source(root):
    _file(root, "orientation").write_text("\n".join(_lines(_file(root, "orientation"))[:10]) + "\n")
    return [_file(root, "orientation")]


def _npy_shape(root):
    np.save(_file(root, "skeleton"), np.zeros((17, 3, 40), dtype=np.float32))
    return [_file(root, "skeleton")]


def _npy_corrupt(root):
    _file(root, "skeleton").write_bytes(b"not an npy file")
    return [_file(root, "skeleton")]


def _npz_as_npy(root):
    keypoints = np.load(_file(root, "skeleton"))
    with open(_file(root, "skeleton"), "wb") as handle:
        np.savez(handle, keypoints=keypoints)
    return [_file(root, "skeleton")]


def _npy_truncated(root):
    _file(root, "skeleton").write_bytes(_file(root, "skeleton").read_bytes()[:-100])
    return [_file(root, "skeleton")]


def _npy_beyond_float32(root):
    keypoints = np.load(_file(root, "skeleton")).astype(np.float64)
    keypoints[3, 1, 5] = 1e300
    np.save(_file(root, "skeleton"), keypoints)
    return [_file(root, "skeleton")]


def _npy_complex(root):
    np.save(_file(root, "skeleton"), np.load(_file(root, "skeleton")) * (1 + 1j))
    return [_file(root, "skeleton")]


def _unpaired(root):
    _file(root, "skeleton").unlink()
    return [_file(root, "acc_phone")]


def _unknown_action(root):
    for source in (*IMU_SOURCES, "skeleton"):
        _file(root, source).rename(_file(root, source).with_name("dancing" + _file(root, source).suffix))
    return [_file(root, "acc_phone").with_name("dancing.csv")]


def _misplaced(root):
    stray = root / "gyro" / "subject2" / "walking.csv"
    shutil.copy(_file(root, "gyro"), stray)
    return [stray]


def _duplicate(root, name):
    twin = _file(root, "gyro").with_name(name)
    shutil.copy(root / "gyro/subject1/scene1/session1/walking.csv", twin)  # another trial's data
    return [twin, _file(root, "gyro"), _file(root, "acc_phone")]


def _duplicate_case(root):
    return _duplicate(root, "WALKING.csv")


def _duplicate_trial(root):
    return _duplicate(root, "walking_1.csv")


def _no_folder(root):
    shutil.rmtree(root)


def _root_is_a_file(root):
    shutil.rmtree(root)
    root.write_text("a file where the dataset folder should be")


def _no_source_folder(root):
    shutil.rmtree(root / "gyro")


def _empty(root):
    for name in (*IMU_SOURCES, "skeleton"):
        shutil.rmtree(root / name)
        (root / name).mkdir()


CASES = [case for case in INPUT_CASES if case.dataset == "mmact"]
FIXTURES = {case.name: globals().get(f"_{case.name}") for case in CASES}


def test_every_case_of_the_table_has_a_fixture():
    assert [name for name, fixture in FIXTURES.items() if not callable(fixture)] == []


def _trial_of(root: Path, path: Path) -> tuple[int, int, int, str]:
    """(subject, session, label, stem) of a data file, from its path alone."""
    parts = path.relative_to(root).parts
    subject, session = int(parts[1].removeprefix("subject")), int(parts[3].removeprefix("session"))
    return subject, session, MMACT_ACTIONS.index("using_phone" if "phone" in path.stem else "walking"), path.stem.lower()


def check_loaded(root: Path, raw: RawDataset, written: RawDataset, reported: list[str], reason: str) -> None:
    """Every trial whose files are not reported loads, with the label of its file name; the
    skipped files are exactly `reported`, each with `reason`."""
    lost = {_trial_of(root, Path(path))[:3] for path in reported if len(Path(path).relative_to(root).parts) == 5}
    key = attrgetter("subject", "session", "label")
    assert sorted(key(s) for s in raw.samples) == sorted(key(s) for s in written.samples if key(s) not in lost)
    for sample in raw.samples:
        assert all(_trial_of(root, Path(path))[:3] == key(sample) for path in sample.source.split(";"))
    assert sorted(entry["file"] for entry in raw.skipped) == sorted(reported)
    assert all(reason in entry["reason"] for entry in raw.skipped)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_input_case(mmact, case):
    root, written = mmact
    reported = [str(path) for path in FIXTURES[case.name](root) or []]
    if case.outcome == "error":
        for strict in (False, True):
            with pytest.raises(DatasetError, match=re.escape(case.reason)):
                load_mmact(root, strict=strict)
        return
    raw = load_mmact(root)
    check_loaded(root, raw, written, reported, case.reason)
    if case.outcome != "skipped":
        assert len(load_mmact(root, strict=True)) == len(raw)
        return
    with pytest.raises(DatasetError) as error:
        load_mmact(root, strict=True)
    message = str(error.value)
    assert "\n" not in message and case.reason in message
    assert any(message.startswith(f"{path}: ") for path in reported)


def test_a_shorter_source_is_cut_to_its_length(mmact):
    root, _ = mmact
    _shorter_source(root)
    assert _walking_s2(load_mmact(root)).imu.shape == (80, 12)


@pytest.fixture(scope="module")
def mmact_template(tmp_path_factory) -> tuple[Path, RawDataset]:
    """Four trials in MMAct's layout: the fuzz test copies and damages it."""
    rng = np.random.default_rng(1)
    samples = [_sample(rng, MMACT_ACTIONS.index(action), subject, 1, length=60)
               for action in ("walking", "using_phone") for subject in (1, 2)]
    raw = RawDataset(name="mmact", samples=samples, class_names=list(MMACT_ACTIONS),
                     skeleton_layout="coco17", imu_channels=list(MMACT_IMU_CHANNELS))
    root = tmp_path_factory.mktemp("mmact-template") / "mmact"
    write_mmact_layout(raw, root)
    return root, load_mmact(root)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_corruptions_are_reported_never_mislabelled(mmact_template, tmp_path, data):
    template, clean = mmact_template
    root = Path(tempfile.mkdtemp(dir=tmp_path)) / "mmact"
    shutil.copytree(template, root)
    damaged = damage_some(data, sorted(p for p in root.rglob("*") if p.is_file()))
    raw = load_mmact(root)
    reported = {Path(entry["file"]) for entry in raw.skipped}
    assert reported <= damaged
    key = attrgetter("subject", "session", "label")
    loaded = {key(s): s for s in raw.samples}
    for sample in clean.samples:
        files = {Path(path) for path in sample.source.replace(str(template), str(root)).split(";")}
        if key(sample) not in loaded:  # every trial not loaded has a damaged file of its own reported
            assert reported & files
        elif not files & damaged:
            np.testing.assert_array_equal(loaded[key(sample)].imu, sample.imu)
            np.testing.assert_array_equal(loaded[key(sample)].skeleton, sample.skeleton)
    for sample in raw.samples:
        assert all(_trial_of(root, Path(path))[:3] == key(sample) for path in sample.source.split(";"))
    if raw.skipped:
        with pytest.raises(DatasetError) as error:
            load_mmact(root, strict=True)
        assert "\n" not in str(error.value) and str(error.value).startswith(f"{raw.skipped[0]['file']}: ")
    else:
        assert len(load_mmact(root, strict=True)) == len(raw)
