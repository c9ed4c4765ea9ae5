"""MMAct loader on fixtures written in its CSV + .npy layout."""
from __future__ import annotations

import shutil
from operator import attrgetter
from pathlib import Path

import numpy as np
import pytest

from mmhar_lite.data import DatasetError, RawDataset, Sample, load_mmact, write_mmact_layout
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


def test_sources_truncated_to_the_shortest(mmact):
    root, _ = mmact
    path = _file(root, "orientation")
    path.write_text("\n".join(path.read_text().splitlines()[:80]) + "\n")
    sample = _walking_s2(load_mmact(root))
    assert sample.imu.shape == (80, 12)


def test_clip_folder_names_and_desk_aliases(mmact):
    root, _ = mmact
    shutil.move(root / "gyro", root / "gyro_clip")
    for source in (*IMU_SOURCES[:2], "gyro_clip", "orientation"):
        old = root / source / "subject1/scene1/session1/using_phone.csv"
        old.rename(old.with_name("using_phone_desk.csv"))
    old = root / "skeleton/subject1/scene1/session1/using_phone.npy"
    old.rename(old.with_name("using_phone_desk.npy"))
    raw = load_mmact(root)
    assert raw.skipped == []
    assert sum(s.label == MMACT_ACTIONS.index("using_phone") for s in raw.samples) == 6


def test_missing_and_empty_folders(tmp_path, mmact):
    with pytest.raises(DatasetError, match="does not exist"):
        load_mmact(tmp_path / "nowhere")
    root, _ = mmact
    shutil.rmtree(root / "gyro")
    with pytest.raises(DatasetError, match="no gyro/ folder"):
        load_mmact(root)
    for name in (*IMU_SOURCES, "skeleton"):
        (tmp_path / "empty" / name).mkdir(parents=True)
    with pytest.raises(DatasetError, match="hold no .csv/.npy files"):
        load_mmact(tmp_path / "empty")


def _header(path: Path) -> None:
    path.write_text("timestamp,x,y,z\n" + path.read_text())


def _three_columns(path: Path) -> None:
    path.write_text("\n".join(",".join(line.split(",")[:3]) for line in path.read_text().splitlines()))


def _nan(path: Path) -> None:
    lines = path.read_text().splitlines()
    lines[5] = "100.0,nan,0.1,0.2"
    path.write_text("\n".join(lines))


def _empty(path: Path) -> None:
    path.write_text("")


def _bad_npy_shape(path: Path) -> None:
    np.save(path, np.zeros((17, 3, 40), dtype=np.float32))


def _corrupt_npy(path: Path) -> None:
    path.write_bytes(b"not an npy file")


def _remove(path: Path) -> None:
    path.unlink()


# (file damaged, how, file reported, reason)
BAD_INPUTS = [
    ("acc_watch", _header, "acc_watch", "cannot parse as headerless CSV"),
    ("gyro", _three_columns, "gyro", "rows have 3 columns; expected 4"),
    ("orientation", _nan, "orientation", "non-finite"),
    ("acc_phone", _empty, "acc_phone", "empty file"),
    ("skeleton", _bad_npy_shape, "skeleton", "expected (17, 2, T)"),
    ("skeleton", _corrupt_npy, "skeleton", "cannot read as a .npy array"),
    ("skeleton", _remove, "acc_phone", "unpaired: this trial has no skeleton file"),
]
IDS = [case[1].__name__.strip("_") for case in BAD_INPUTS]


@pytest.mark.parametrize("damaged, damage, reported, reason", BAD_INPUTS, ids=IDS)
def test_bad_file_is_skipped_and_reported(mmact, damaged, damage, reported, reason):
    root, written = mmact
    damage(_file(root, damaged))
    raw = load_mmact(root)
    assert len(raw.skipped) == 1 and raw.skipped[0]["file"] == str(_file(root, reported))
    assert reason in raw.skipped[0]["reason"]
    assert len(raw.samples) == len(written.samples) - 1
    with pytest.raises(DatasetError, match="subject2/scene1/session2/walking"):
        load_mmact(root, strict=True)


def test_unknown_action_is_reported_not_relabelled(mmact):
    root, written = mmact
    for source in (*IMU_SOURCES, "skeleton"):
        path = _file(root, source)
        path.rename(path.with_name("dancing" + path.suffix))
    raw = load_mmact(root)
    assert [entry["reason"] for entry in raw.skipped] == [
        "unknown action 'dancing'; expected one of the 35 MMAct actions"]
    assert len(raw.samples) == len(written.samples) - 1
