"""UTD-MHAD loader :cite:p:`chen2015utdmhad`, from the folder as released.

Layout: `<root>/Inertial/a{A}_s{S}_t{T}_inertial.mat` (MATLAB 5, variable `d_iner`,
(T_i, 6) float64: accelerometer xyz in g, gyroscope xyz in deg/s, 50 Hz) and
`<root>/Skeleton/a{A}_s{S}_t{T}_skeleton.mat` (variable `d_skel`, (20, 3, T_s), metres).
Action A (1-27), subject S (1-8) and trial T (1-4) come from the file name; the label is A - 1.

Three trials do not exist in the public release (a8_s1_t4, a23_s6_t4, a27_s8_t4). When they
are absent they are listed in `known_absent`, not in `missing`, so `missing` lists only
trials a complete download should have; if a copy does contain them they are loaded.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

import numpy as np
import scipy.io

from mmhar_lite.data.base import (
    KINECT_V1_JOINTS, DatasetError, RawDataset, Sample, as_float32, file_error, report_file, unique_files,
)

__all__ = [
    "UTD_MHAD_ACTIONS",
    "UTD_MHAD_IMU_CHANNELS",
    "KNOWN_ABSENT",
    "N_ACTIONS",
    "N_SUBJECTS",
    "N_TRIALS",
    "IMU_RATE",
    "SKELETON_RATE",
    "trial_id",
    "inertial_path",
    "skeleton_path",
    "load_utd_mhad",
]

UTD_MHAD_ACTIONS = [
    "right_arm_swipe_left", "right_arm_swipe_right", "right_hand_wave", "two_hand_front_clap",
    "right_arm_throw", "cross_arms_in_chest", "basketball_shoot", "right_hand_draw_x",
    "right_hand_draw_circle_clockwise", "right_hand_draw_circle_counter_clockwise",
    "draw_triangle", "bowling", "front_boxing", "baseball_swing_from_right",
    "tennis_right_hand_forehand_swing", "arm_curl", "tennis_serve", "two_hand_push",
    "right_hand_knock_on_door", "right_hand_catch_object", "right_hand_pick_up_and_throw",
    "jogging_in_place", "walking_in_place", "sit_to_stand", "stand_to_sit",
    "forward_lunge_left_foot", "squat_two_arms_stretch_out",
]
UTD_MHAD_IMU_CHANNELS = ["acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"]
N_ACTIONS, N_SUBJECTS, N_TRIALS = 27, 8, 4
#: Hz: the inertial sensor's nominal rate, as the dataset's paper gives it :cite:p:`chen2015utdmhad`.
IMU_RATE = 50.0
#: frames/s: the Kinect v1 skeleton's nominal rate, as the dataset's paper gives it; the released
#: files do not hold it steadily (:doc:`chapter 1 (Data) </notebooks/01_data>` compares their
#: lengths).
SKELETON_RATE = 30.0
# (action, subject, trial), 1-based: absent from the public release in both modalities.
KNOWN_ABSENT = ((8, 1, 4), (23, 6, 4), (27, 8, 4))

_NAME = re.compile(r"^a(\d+)_s(\d+)_t(\d+)_(inertial|skeleton)\.mat$")
_N_JOINTS = len(KINECT_V1_JOINTS)
#: How much of a file that is not MATLAB 5 data its skip reason quotes.
_SHOWN_BYTES = 40


def trial_id(action: int, subject: int, trial: int) -> str:
    """The release's id of a trial, e.g. "a8_s1_t4" (all 1-based)."""
    return f"a{action}_s{subject}_t{trial}"


def inertial_path(root: str | Path, action: int, subject: int, trial: int) -> Path:
    """Where the release keeps the inertial file of a trial."""
    return Path(root) / "Inertial" / f"{trial_id(action, subject, trial)}_inertial.mat"


def skeleton_path(root: str | Path, action: int, subject: int, trial: int) -> Path:
    """Where the release keeps the skeleton file of a trial."""
    return Path(root) / "Skeleton" / f"{trial_id(action, subject, trial)}_skeleton.mat"


def _describe_contents(path: Path) -> str:
    """What a file that is not MATLAB 5 data holds, in a few words ("an empty file (0 bytes)",
    "text beginning '<html>...'"): enough to tell an interrupted download from a damaged file."""
    try:
        with path.open("rb") as file:
            start = file.read(_SHOWN_BYTES)
    except OSError as error:
        return f"a file that cannot be read ({type(error).__name__})"
    if not start:
        return "an empty file (0 bytes)"
    if start.startswith(b"MATLAB 5.0 MAT-file"):
        return "a MATLAB 5 header but unreadable data after it (a truncated or damaged copy?)"
    text = start.decode("ascii", errors="replace")
    if "\ufffd" in text or not all(ch.isprintable() or ch in "\t\r\n" for ch in text):
        return f"{path.stat().st_size} bytes of other binary data"
    shown = " ".join(text.split())
    return f"text beginning {shown!r}" + (" (a web page)" if shown.lower().startswith(("<html", "<!doctype")) else "")


def _read_variable(path: Path, variable: str) -> np.ndarray:
    """Array `variable` of a MATLAB 5 file, as stored; DatasetError names what was wrong."""
    try:
        contents = scipy.io.loadmat(str(path))
    except OSError as error:  # a folder, a broken link, permissions: the system's words say it
        raise file_error(path, f"cannot open the file to read {variable!r}: {error.strerror or error} ({type(error).__name__})")
    except Exception:  # scipy's own IndexError, ValueError, ... say nothing a user can act on
        raise file_error(path, f"not a MATLAB 5 .mat file: expected MATLAB 5 data holding {variable!r}, "
                               f"found {_describe_contents(path)}")
    if variable not in contents:
        found = sorted(k for k in contents if not k.startswith("__"))
        raise file_error(path, f"no variable {variable!r} (found: {', '.join(found) or 'none'})")
    return np.asarray(contents[variable])


def _read_inertial(path: Path) -> np.ndarray:
    """(T_i, 6) float32 from `d_iner`."""
    data = _read_variable(path, "d_iner")
    if data.ndim != 2 or data.shape[1] != 6 or data.shape[0] < 2:
        raise file_error(path, f"variable 'd_iner' has shape {data.shape}; expected (T, 6) with T >= 2")
    return as_float32(data, str(path), "d_iner")


def _read_skeleton(path: Path) -> np.ndarray:
    """(20, 3, T_s) float32 from `d_skel`."""
    data = _read_variable(path, "d_skel")
    if data.ndim != 3 or data.shape[:2] != (_N_JOINTS, 3) or data.shape[2] < 2:
        raise file_error(path, f"variable 'd_skel' has shape {data.shape}; expected ({_N_JOINTS}, 3, T) with T >= 2")
    return as_float32(data, str(path), "d_skel")


def _scan(
    folder: Path, kind: str, skipped: list[dict], strict: bool
) -> tuple[dict[tuple[int, int, int], Path], set[tuple[int, int, int]]]:
    """Map (action, subject, trial) → path for the `kind` files of `folder`; report the rest.

    Also returns the trials named by more than one file (`a01_s1_t1` beside `a1_s1_t1`):
    both files are reported, neither is used, since nothing says which one is right.
    """
    candidates: dict[tuple[int, int, int], list[Path]] = {}
    try:
        paths = sorted(folder.iterdir())
    except OSError as error:
        raise DatasetError(f"{folder}: cannot list the folder ({type(error).__name__}: {error})")
    for path in paths:
        if path.suffix.lower() != ".mat":
            continue  # READMEs, .DS_Store and the like are not data
        match = _NAME.match(path.name)
        problem = None
        if match is None or match.group(4) != kind:
            problem = f"file name does not match a{{A}}_s{{S}}_t{{T}}_{kind}.mat"
        else:
            key = tuple(int(g) for g in match.groups()[:3])
            limits = (("action", N_ACTIONS), ("subject", N_SUBJECTS), ("trial", N_TRIALS))
            for (field_name, limit), value in zip(limits, key):
                if not 1 <= value <= limit:
                    problem = f"{field_name} {value} is outside 1-{limit}"
        if problem is not None:
            report_file(skipped, path, problem, strict)
            continue
        candidates.setdefault(key, []).append(path)
    return unique_files(candidates, skipped, strict,
                        lambda key: f"trial {trial_id(*key)}; expected one {kind} file per trial")


def load_utd_mhad(
    root: str | Path, *, strict: bool = False, class_names: Sequence[str] | None = None
) -> RawDataset:
    """Load UTD-MHAD from `root` (the folder holding `Inertial/` and `Skeleton/`).

    Files are paired by (action, subject, trial). An unreadable file (corrupt .mat, wrong
    variable name, wrong shape, NaN/inf) or a file without its partner is skipped and
    listed in `skipped` with the reason, or raises DatasetError when `strict`. Expected
    trials absent in both modalities are listed in `missing` (see the module docstring for
    the three known-absent ones).

    Args:
        root: the dataset folder.
        strict: raise on the first unusable file instead of skipping it.
        class_names: names for the 27 labels (default: UTD-MHAD's actions). The synthetic
            dataset written in this layout passes its own names.
    """
    root = Path(root)
    names = list(class_names) if class_names is not None else list(UTD_MHAD_ACTIONS)
    if len(names) != N_ACTIONS:
        raise ValueError(f"class_names must have {N_ACTIONS} entries, got {len(names)}")
    if not root.is_dir():
        state = "is not a folder" if root.exists() else "does not exist"
        raise DatasetError(f"{root}: UTD-MHAD folder {state} (expected a folder with Inertial/ and Skeleton/)")
    folders = {kind: root / kind for kind in ("Inertial", "Skeleton")}
    for kind, folder in folders.items():
        if not folder.is_dir():
            state = "is not a folder" if folder.exists() else "does not exist"
            raise DatasetError(f"{folder}: sub-folder {kind}/ {state}; expected the release's {kind}/ folder")

    skipped: list[dict] = []
    inertial, inertial_duplicated = _scan(folders["Inertial"], "inertial", skipped, strict)
    skeleton, skeleton_duplicated = _scan(folders["Skeleton"], "skeleton", skipped, strict)
    duplicated = inertial_duplicated | skeleton_duplicated
    if not inertial and not skeleton and not skipped:
        raise DatasetError(f"{root}: Inertial/ and Skeleton/ hold no .mat files; expected UTD-MHAD's 861 pairs")

    samples: list[Sample] = []
    for key in sorted(inertial.keys() | skeleton.keys()):
        if key not in skeleton or key not in inertial:
            present, absent = (inertial[key], "Skeleton") if key in inertial else (skeleton[key], "Inertial")
            problem = (f"its {absent}/ partner is ambiguous: more than one file names trial {trial_id(*key)}"
                       if key in duplicated else f"unpaired: no matching {absent}/ file for {trial_id(*key)}")
            report_file(skipped, present, problem, strict)
            continue
        arrays = []
        for read, path in ((_read_inertial, inertial[key]), (_read_skeleton, skeleton[key])):
            try:  # both files are read, so that each unusable one is reported
                arrays.append(read(path))
            except DatasetError as error:
                report_file(skipped, Path(error.file), error.reason, strict)
        if len(arrays) < 2:
            continue
        imu, skel = arrays
        action, subject, trial = key
        samples.append(Sample(
            skeleton=skel, imu=imu, label=action - 1, subject=subject, trial=trial,
            source=f"{inertial[key]};{skeleton[key]}",
        ))

    on_disk = inertial.keys() | skeleton.keys() | duplicated
    absent = [
        (a, s, t)
        for a in range(1, N_ACTIONS + 1) for s in range(1, N_SUBJECTS + 1) for t in range(1, N_TRIALS + 1)
        if (a, s, t) not in on_disk
    ]
    return RawDataset(
        name="utd-mhad",
        samples=samples,
        class_names=names,
        skeleton_layout="kinect_v1",
        imu_channels=list(UTD_MHAD_IMU_CHANNELS),
        missing=[trial_id(*key) for key in absent if key not in KNOWN_ABSENT],
        skipped=skipped,
        known_absent=[trial_id(*key) for key in absent if key in KNOWN_ABSENT],
    )
