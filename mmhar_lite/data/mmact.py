"""MMAct loader :cite:p:`kong2019mmact`: 12-channel inertial data + 2-D COCO-17 skeletons.

On-disk layout read here (`<stem>` is the action name, optionally `_<k>` for trial k), one
file per trial and source:

.. code-block:: text

    <root>/<source>/subject{N}/scene{N}/session{N}/<stem>.<ext>

    <source>     <ext>  content
    acc_phone    csv    100 Hz
    acc_watch    csv    100 Hz
    gyro         csv    50 Hz
    orientation  csv    50 Hz
    skeleton     npy    (17, 2, T) pixels

The inertial folders may also carry the release's `_clip` suffix (`acc_phone_clip`, ...).
CSV rows are `timestamp,x,y,z` with NO header row: every row is data, and a non-numeric row
is reported, never dropped. Both accelerometers are decimated 100 → 50 Hz
(`scipy.signal.resample_poly`, anti-aliased); then the four sources are truncated to the
shortest and concatenated to (T, 12): [acc_phone xyz, acc_watch xyz, gyro xyz, orientation xyz].
A source shorter than :data:`MIN_SOURCE_FRACTION` of the trial's longest is reported, not cut to.
File names are matched case-insensitively, and `walking.csv` is trial 1 like `walking_1.csv`:
two files naming one trial are both reported, neither used.

The skeleton comes from the release's keypoints (`trimmed_pose.zip`: per camera, 17 COCO
points as x, y, confidence) converted as the public CMC-CMKM preprocessing does: camera 1,
the confidence column dropped, one `.npy` per trial holding a (17, 2, T) array in pixels;
:func:`write_mmact_layout` writes exactly this layout.

Labels are the 35 distinct actions in alphabetical order, each desk-scene alias counted with its
action. The release's
desk-scene file names `talking_on_phone_desk` and `using_phone_desk` are the same actions
and map to `talking_on_phone` and `using_phone`; names are matched case-insensitively.
MMAct has no fixed grid of trials, so `missing` stays empty: a trial lacking one of its five
sources is reported in `skipped` as unpaired.
"""
from __future__ import annotations

import math
import os
import re
from pathlib import Path

import numpy as np
import scipy.signal

from mmhar_lite.data.base import (
    COCO17_JOINTS, DatasetError, RawDataset, Sample, as_float32, check_finite, file_error, report_file,
    unique_files,
)

__all__ = [
    "MMACT_ACTIONS", "MMACT_IMU_CHANNELS", "IMU_SOURCES", "SOURCE_RATES", "MIN_SOURCE_FRACTION",
    "load_mmact", "write_mmact_layout",
]

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
#: The shortest source of a trial must hold at least this fraction of the longest one's samples
#: (after resampling to 50 Hz): the sources are cut to the shortest, and a much shorter one (a
#: recording that stopped early) would silently throw most of the trial away.
MIN_SOURCE_FRACTION = 0.5
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


def _trial_name(stem: str) -> str:
    """The name a file stem stands for: "<action>_<k>" for an MMAct action (so that `walking`,
    `walking_1`, `WALKING` and an alias all name trial 1 of walking), else the stem lower-cased."""
    stem = stem.lower()
    match = _STEM.match(stem)
    action, trial = (match.group(1), int(match.group(2))) if match else (stem, 1)
    action = _ALIASES.get(action, action)
    return f"{action}_{trial}" if action in MMACT_ACTIONS else stem


def _scan(folder: Path, suffix: str, skipped: list[dict], strict: bool) -> tuple[dict[Key, Path], set[Key]]:
    """Map (subject, scene, session, trial name) → file for every `suffix` file under `folder`.

    Also returns the trials named by more than one file (`WALKING.csv` beside `walking.csv`,
    `walking_1.csv` beside `walking.csv`): each such file is reported, none is used, since
    nothing says which one is right.
    """
    candidates: dict[Key, list[Path]] = {}
    try:
        paths = sorted(folder.rglob(f"*{suffix}"))
    except OSError as error:
        raise DatasetError(f"{folder}: cannot list the folder ({type(error).__name__}: {error})")
    for path in paths:
        match = _TRIAL_DIR.match(path.parent.relative_to(folder).as_posix())
        if match is None:
            report_file(skipped, path, "not under subject{N}/scene{N}/session{N}/", strict)
            continue
        subject, scene, session = (int(g) for g in match.groups())
        candidates.setdefault((subject, scene, session, _trial_name(path.stem)), []).append(path)
    return unique_files(candidates, skipped, strict,
                        lambda key: f"trial {key[3]} of this session; expected one {suffix} file per trial")


def _parse_name(name: str) -> tuple[int, int] | None:
    """(label, trial) of a `_trial_name` "<action>_<k>", or None if no MMAct action."""
    match = _STEM.match(name)
    if match is None or match.group(1) not in MMACT_ACTIONS:
        return None
    return MMACT_ACTIONS.index(match.group(1)), int(match.group(2))


def _read_csv(path: Path) -> np.ndarray:
    """(T, 3) float64 x, y, z of a headerless `timestamp,x,y,z` CSV."""
    try:
        size = path.stat().st_size
    except OSError as error:  # a broken symbolic link, a permission problem
        raise file_error(path, f"cannot read ({type(error).__name__}: {error.strerror or error})")
    if size == 0:
        raise file_error(path, "empty file; expected rows timestamp,x,y,z")
    try:
        data = np.loadtxt(path, delimiter=",", ndmin=2, dtype=np.float64)
    except OSError as error:  # a folder where the file should be, a read error
        raise file_error(path, f"cannot read ({type(error).__name__}: {error.strerror or error})")
    except Exception as error:  # numpy raises ValueError, UnicodeDecodeError, ... for bad text
        raise file_error(path, f"cannot parse as headerless CSV rows timestamp,x,y,z ({type(error).__name__}: {error})")
    if data.shape[1] != 4:
        raise file_error(path, f"rows have {data.shape[1]} columns; expected 4 (timestamp,x,y,z)")
    if data.shape[0] < 2:
        raise file_error(path, f"{data.shape[0]} row(s); expected at least 2")
    check_finite(data, str(path), "timestamp,x,y,z")
    as_float32(data[:, 1:], str(path), "x,y,z")  # the range check; resampling needs float64
    return data[:, 1:]


def _read_npy_header(handle, path: Path) -> None:
    """Check a .npy header against the file's size before reading, so that a damaged header
    gives a reason instead of a huge allocation or an exception of some other type."""
    version = np.lib.format.read_magic(handle)
    header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, _, dtype = header(handle)
    if dtype.hasobject:
        raise file_error(path, f"array has dtype {dtype} (Python objects); expected numbers")
    needed = math.prod(shape) * dtype.itemsize
    held = os.fstat(handle.fileno()).st_size - handle.tell()
    if needed != held:
        raise file_error(path, f"header says shape {shape} of {dtype} ({needed} bytes) but the file holds "
                               f"{held} bytes of data; expected an intact .npy file")


def _read_skeleton(path: Path) -> np.ndarray:
    """(17, 2, T) float32 keypoints from a .npy file."""
    try:
        with open(path, "rb") as handle:
            _read_npy_header(handle, path)
            handle.seek(0)
            data = np.load(handle, allow_pickle=False)
    except DatasetError:
        raise
    except Exception as error:  # numpy raises ValueError, OSError, EOFError, ... for bad files
        raise file_error(path, f"cannot read as a .npy array ({type(error).__name__}: {error})")
    if data.ndim != 3 or data.shape[:2] != (_N_JOINTS, 2) or data.shape[2] < 2:
        raise file_error(path, f"array has shape {data.shape}; expected ({_N_JOINTS}, 2, T) with T >= 2")
    return as_float32(data, str(path), "keypoints")


def _read_source(path: Path, source: str) -> np.ndarray:
    """(T, 3) float32 of one inertial source at 50 Hz."""
    xyz = _read_csv(path)
    factor = SOURCE_RATES[source] // _TARGET_RATE
    stream = scipy.signal.resample_poly(xyz, 1, factor, axis=0) if factor > 1 else xyz
    if len(stream) < 2:
        raise file_error(path, f"{len(xyz)} row(s) at {SOURCE_RATES[source]} Hz give {len(stream)} sample at "
                               f"{_TARGET_RATE} Hz; expected at least 2")
    return as_float32(stream, str(path), "x,y,z")


def _combine(streams: dict[str, np.ndarray], paths: dict[str, Path]) -> np.ndarray:
    """(T, 12) float32: the four sources truncated to the shortest and concatenated. A source
    shorter than MIN_SOURCE_FRACTION of the longest is an error (named), not a silent cut."""
    lengths = {source: len(streams[source]) for source in IMU_SOURCES}
    shortest, longest = min(lengths, key=lengths.get), max(lengths, key=lengths.get)
    if lengths[shortest] < MIN_SOURCE_FRACTION * lengths[longest]:
        raise file_error(
            paths[shortest],
            f"{shortest} has {lengths[shortest]} samples at {_TARGET_RATE} Hz, the trial's {longest} "
            f"{lengths[longest]}; expected at least {MIN_SOURCE_FRACTION:.0%} of the longest source "
            "(the sources are truncated to the shortest)",
        )
    length = lengths[shortest]
    return np.concatenate([streams[source][:length] for source in IMU_SOURCES], axis=1)


def load_mmact(root: str | Path, *, strict: bool = False) -> RawDataset:
    """Load MMAct from `root` (layout in the module docstring).

    A trial is used when all five files exist and read cleanly. A file that cannot be used
    (unreadable, empty or corrupt CSV, wrong column count, non-numeric row, NaN/inf or values
    beyond float32 range, bad .npy header, shape or dtype, unknown action, a second file for
    the same trial, a source much shorter than the others, a trial without all its sources)
    is listed in `skipped` with the reason, or raises DatasetError when `strict`.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: MMAct folder {'is not a folder' if root.exists() else 'does not exist'}")
    folders = {source: _source_folder(root, source) for source in IMU_SOURCES}
    folders["skeleton"] = root / "skeleton" if (root / "skeleton").is_dir() else None
    absent = [name for name, folder in folders.items() if folder is None]
    if absent:
        raise DatasetError(
            f"{root}: no {', '.join(f'{name}/' for name in absent)} folder; expected "
            f"{', '.join(IMU_SOURCES)} (or with _clip) and skeleton/"
        )

    skipped: list[dict] = []
    files, duplicated = {}, set()
    for name, folder in folders.items():
        files[name], twice = _scan(folder, ".npy" if name == "skeleton" else ".csv", skipped, strict)
        duplicated |= twice
    keys = sorted(set().union(*files.values()))
    if not keys and not skipped:
        raise DatasetError(f"{root}: the MMAct folders hold no .csv/.npy files")

    samples: list[Sample] = []
    for key in keys:
        have = {name: found[key] for name, found in files.items() if key in found}
        first = next(iter(have.values()))
        parsed = _parse_name(key[3])
        if parsed is None:
            report_file(skipped, first, f"unknown action {key[3]!r}; expected one of the 35 MMAct actions", strict)
            continue
        if key in duplicated:
            report_file(skipped, first, f"another source of this trial is ambiguous: more than one file names trial {key[3]}", strict)
            continue
        lacking = [name for name in files if name not in have]
        if lacking:
            report_file(skipped, first, f"unpaired: this trial has no {', '.join(lacking)} file", strict)
            continue
        streams = {}
        for name, path in have.items():
            try:  # every file is read, so that each unusable one is reported
                streams[name] = _read_skeleton(path) if name == "skeleton" else _read_source(path, name)
            except DatasetError as error:
                report_file(skipped, Path(error.file), error.reason, strict)
        if len(streams) < len(have):
            continue
        try:
            imu = _combine(streams, have)
        except DatasetError as error:
            report_file(skipped, Path(error.file), error.reason, strict)
            continue
        subject, scene, session, _ = key
        label, trial = parsed
        samples.append(Sample(
            skeleton=streams["skeleton"], imu=imu, label=label, subject=subject, trial=trial,
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
    """Write `raw` (12-channel 50 Hz IMU, (17, 2, T) skeletons) in the layout :func:`load_mmact` reads.

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
