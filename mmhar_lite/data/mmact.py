"""MMAct loader (Kong et al., ICCV 2019): 12-channel inertial data + 2-D COCO-17 skeletons.

On-disk layout read here (`<stem>` is the action name, optionally `_<k>` for trial k):

    <root>/acc_phone/subject{N}/scene{N}/session{N}/<stem>.csv     100 Hz
    <root>/acc_watch/subject{N}/scene{N}/session{N}/<stem>.csv     100 Hz
    <root>/gyro/subject{N}/scene{N}/session{N}/<stem>.csv          50 Hz
    <root>/orientation/subject{N}/scene{N}/session{N}/<stem>.csv   50 Hz
    <root>/skeleton/subject{N}/scene{N}/session{N}/<stem>.npy      (17, 2, T) float, pixels

The inertial folders may also carry the release's `_clip` suffix (`acc_phone_clip`, ...).
CSV rows are `timestamp,x,y,z` with NO header row: every row is data, and a non-numeric row
is reported, never dropped. Both accelerometers are decimated 100 -> 50 Hz
(`scipy.signal.resample_poly`, anti-aliased); then the four sources are truncated to the
shortest and concatenated to (T, 12): [acc_phone xyz, acc_watch xyz, gyro xyz, orientation xyz].

The skeleton is not in the release in this form: it is the 17 COCO keypoints (x, y in
pixels; the confidence column dropped) detected on camera 1's video, one `.npy` per trial
holding a (17, 2, T) array; `write_mmact_layout` writes exactly this layout.

Labels are the 35 distinct actions in alphabetical order (`using_phone` once). The release's
desk-scene file names `talking_on_phone_desk` and `using_phone_desk` are the same actions
and map to `talking_on_phone` and `using_phone`; names are matched case-insensitively.
MMAct has no fixed grid of trials, so `missing` stays empty: a trial lacking one of its five
sources is reported in `skipped` as unpaired.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import scipy.signal

from mmhar_lite.data.base import COCO17_JOINTS, DatasetError, RawDataset, Sample, check_finite, file_error

__all__ = ["MMACT_ACTIONS", "MMACT_IMU_CHANNELS", "IMU_SOURCES", "SOURCE_RATES", "load_mmact", "write_mmact_layout"]

MMACT_ACTIONS = [
    "carrying", "carrying_heavy", "carrying_light", "checking_time", "closing", "crouching",
    "drinking", "entering", "exiting", "fall", "jumping", "kicking", "loitering",
    "looking_around", "opening", "picking_up", "pocket_in", "pocket_out", "pointing", "pulling",
    "pushing", "running", "setting_down", "sitting", "sitting_down", "standing", "standing_up",
    "talking", "talking_on_phone", "throwing", "transferring_object", "using_pc", "using_phone",
    "walking", "waving_hand",
]
_ALIASES = {"talking_on_phone_desk": "talking_on_phone", "using_phone_desk": "using_phone"}
IMU_SOURCES = ("acc_phone", "acc_watch", "gyro", "orientation")
SOURCE_RATES = {"acc_phone": 100, "acc_watch": 100, "gyro": 50, "orientation": 50}
MMACT_IMU_CHANNELS = [f"{source}_{axis}" for source in IMU_SOURCES for axis in "xyz"]
_TARGET_RATE = 50
_N_JOINTS = len(COCO17_JOINTS)
_TRIAL_DIR = re.compile(r"^subject(\d+)/scene(\d+)/session(\d+)$")
_STEM = re.compile(r"^(.+)_(\d+)$")

Key = tuple[int, int, int, str]  # (subject, scene, session, file stem)


def _source_folder(root: Path, source: str) -> Path | None:
    """The folder of `source`, with or without the release's `_clip` suffix."""
    for name in (source, f"{source}_clip"):
        if (root / name).is_dir():
            return root / name
    return None


def _scan(folder: Path, suffix: str, skipped: list[dict], strict: bool) -> dict[Key, Path]:
    """Map (subject, scene, session, stem) -> file for every `suffix` file under `folder`."""
    found: dict[Key, Path] = {}
    for path in sorted(folder.rglob(f"*{suffix}")):
        match = _TRIAL_DIR.match(path.parent.relative_to(folder).as_posix())
        if match is None:
            _report(skipped, path, "not under subject{N}/scene{N}/session{N}/", strict)
            continue
        subject, scene, session = (int(g) for g in match.groups())
        found[(subject, scene, session, path.stem.lower())] = path
    return found


def _report(skipped: list[dict], path: Path, reason: str, strict: bool) -> None:
    if strict:
        raise file_error(path, reason)
    skipped.append({"file": str(path), "reason": reason})


def _parse_stem(stem: str) -> tuple[int, int] | None:
    """(label, trial) of a file stem "<action>" or "<action>_<k>", or None if no MMAct action."""
    match = _STEM.match(stem)
    action, trial = (match.group(1), int(match.group(2))) if match else (stem, 1)
    action = _ALIASES.get(action, action)
    return (MMACT_ACTIONS.index(action), trial) if action in MMACT_ACTIONS else None


def _read_csv(path: Path) -> np.ndarray:
    """(T, 3) float64 x, y, z of a headerless `timestamp,x,y,z` CSV."""
    if path.stat().st_size == 0:
        raise file_error(path, "empty file; expected rows timestamp,x,y,z")
    try:
        data = np.loadtxt(path, delimiter=",", ndmin=2, dtype=np.float64)
    except ValueError as error:
        raise file_error(path, f"cannot parse as headerless CSV rows timestamp,x,y,z ({error})")
    if data.shape[1] != 4:
        raise file_error(path, f"rows have {data.shape[1]} columns; expected 4 (timestamp,x,y,z)")
    if data.shape[0] < 2:
        raise file_error(path, f"{data.shape[0]} row(s); expected at least 2")
    check_finite(data, str(path), "timestamp,x,y,z")
    return data[:, 1:]


def _read_skeleton(path: Path) -> np.ndarray:
    """(17, 2, T) float32 keypoints from a .npy file."""
    try:
        data = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise file_error(path, f"cannot read as a .npy array ({type(error).__name__}: {error})")
    if data.ndim != 3 or data.shape[:2] != (_N_JOINTS, 2) or data.shape[2] < 2:
        raise file_error(path, f"array has shape {data.shape}; expected ({_N_JOINTS}, 2, T) with T >= 2")
    if not np.issubdtype(data.dtype, np.number):
        raise file_error(path, f"array has dtype {data.dtype}; expected numbers")
    check_finite(data, str(path), "keypoints")
    return data.astype(np.float32)


def _read_inertial(paths: dict[str, Path]) -> np.ndarray:
    """(T, 12) float32 at 50 Hz from the four source CSVs, truncated to the shortest."""
    streams = []
    for source in IMU_SOURCES:
        xyz = _read_csv(paths[source])
        factor = SOURCE_RATES[source] // _TARGET_RATE
        streams.append(scipy.signal.resample_poly(xyz, 1, factor, axis=0) if factor > 1 else xyz)
    length = min(len(s) for s in streams)
    return np.concatenate([s[:length] for s in streams], axis=1).astype(np.float32)


def load_mmact(root: str | Path, *, strict: bool = False) -> RawDataset:
    """Load MMAct from `root` (layout in the module docstring).

    A trial is used when all five files exist and read cleanly. A file that cannot be used
    (empty or corrupt CSV, wrong column count, non-numeric row, NaN/inf, bad .npy shape,
    unknown action, a trial without all its sources) is listed in `skipped` with the reason,
    or raises DatasetError when `strict`.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: MMAct folder does not exist")
    folders = {source: _source_folder(root, source) for source in IMU_SOURCES}
    folders["skeleton"] = root / "skeleton" if (root / "skeleton").is_dir() else None
    absent = [name for name, folder in folders.items() if folder is None]
    if absent:
        raise DatasetError(
            f"{root}: no {', '.join(f'{name}/' for name in absent)} folder; expected "
            f"{', '.join(IMU_SOURCES)} (or with _clip) and skeleton/"
        )

    skipped: list[dict] = []
    files = {name: _scan(folder, ".npy" if name == "skeleton" else ".csv", skipped, strict)
             for name, folder in folders.items()}
    keys = sorted(set().union(*files.values()))
    if not keys and not skipped:
        raise DatasetError(f"{root}: the MMAct folders hold no .csv/.npy files")

    samples: list[Sample] = []
    for key in keys:
        have = {name: found[key] for name, found in files.items() if key in found}
        first = next(iter(have.values()))
        parsed = _parse_stem(key[3])
        if parsed is None:
            _report(skipped, first, f"unknown action {key[3]!r}; expected one of the 35 MMAct actions", strict)
            continue
        lacking = [name for name in files if name not in have]
        if lacking:
            _report(skipped, first, f"unpaired: this trial has no {', '.join(lacking)} file", strict)
            continue
        try:
            imu = _read_inertial(have)
            skeleton = _read_skeleton(have["skeleton"])
        except DatasetError as error:
            _report(skipped, Path(error.file), error.reason, strict)
            continue
        subject, scene, session, _ = key
        label, trial = parsed
        samples.append(Sample(
            skeleton=skeleton, imu=imu, label=label, subject=subject, trial=trial,
            session=session, scene=scene, source=";".join(str(p) for p in have.values()),
        ))
    return RawDataset(
        name="mmact",
        samples=samples,
        class_names=list(MMACT_ACTIONS),
        skeleton_layout="coco17",
        imu_channels=list(MMACT_IMU_CHANNELS),
        skipped=skipped,
    )


def _relative(sample: Sample) -> Path:
    """subject{N}/scene{N}/session{N}/<action>[_k] of a sample."""
    stem = MMACT_ACTIONS[sample.label] + (f"_{sample.trial}" if sample.trial != 1 else "")
    return Path(f"subject{sample.subject}") / f"scene{sample.scene}" / f"session{sample.session}" / stem


def write_mmact_layout(raw: RawDataset, root: str | Path) -> None:
    """Write `raw` (12-channel 50 Hz IMU, (17, 2, T) skeletons) in the layout `load_mmact` reads.

    The accelerometers are upsampled to 100 Hz (`resample_poly`), as the phone and watch
    record; timestamps are milliseconds from 0. For test fixtures and examples.
    """
    if len(raw.imu_channels) != 12 or raw.skeleton_layout != "coco17":
        raise ValueError(f"MMAct layout needs 12 IMU channels and coco17 skeletons, got {raw.name!r}")
    root = Path(root)
    for sample in raw.samples:
        relative = _relative(sample)
        for i, source in enumerate(IMU_SOURCES):
            xyz = sample.imu[:, 3 * i: 3 * i + 3].astype(np.float64)
            factor = SOURCE_RATES[source] // _TARGET_RATE
            if factor > 1:
                xyz = scipy.signal.resample_poly(xyz, factor, 1, axis=0)
            stamps = np.arange(len(xyz)) * (1000.0 / SOURCE_RATES[source])
            path = root / source / relative.with_suffix(".csv")
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savetxt(path, np.column_stack([stamps, xyz]), delimiter=",", fmt="%.6f")
        path = root / "skeleton" / relative.with_suffix(".npy")
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, sample.skeleton.astype(np.float32))
