"""Core data types shared by every loader: one paired recording and a whole dataset.

Shapes follow the datasets' own on-disk conventions (the loaders do not reorder axes);
:func:`mmhar_lite.data.datasets.prepare` turns them into fixed-length training arrays.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = [
    "DatasetError", "file_error", "Sample", "RawDataset", "check_finite", "as_float32",
    "KINECT_V1_JOINTS", "COCO17_JOINTS", "SKELETON_EDGES",
]


class DatasetError(ValueError):
    """A dataset on disk is missing, malformed or inconsistent.

    The message always names the file (or folder), the field and what was expected, so a
    user can fix the download without reading code. Errors about one file also carry it as
    `file` and the problem alone as `reason` (both None otherwise), for skip reports.
    """

    def __init__(self, message: str, *, file: str | None = None, reason: str | None = None) -> None:
        super().__init__(message)
        self.file = file
        self.reason = reason


def file_error(path: object, reason: str) -> DatasetError:
    """A DatasetError about file `path`: message "<path>: <reason>", always one line (the
    reasons quote library errors, whose messages may span several).

    Args:
        path: the file.
        reason: what is wrong with it.
    """
    reason = re.sub(r"\s*\n\s*", " ", str(reason)).strip()
    return DatasetError(f"{path}: {reason}", file=str(path), reason=reason)



def report_file(skipped: list[dict], path: Path | str, reason: str, strict: bool) -> None:
    """Record an unusable file in `skipped` ({"file", "reason"}), or raise its one-line
    DatasetError when `strict`: the one rule every reader follows."""
    if strict:
        raise file_error(path, reason)
    skipped.append({"file": str(path), "reason": reason})


def unique_files(candidates: dict, skipped: list[dict], strict: bool, describe) -> tuple[dict, set]:
    """Split `candidates` (trial key → the files that name it) into the trials named by one
    file and the duplicated keys; every file of a duplicated key is reported (neither is used,
    since nothing says which is right). `describe(key)` ends the reason, e.g. "trial a1_s1_t1;
    expected one inertial file per trial"; the reason reads "more than one file names trial ...",
    as the partners' reasons do."""
    found = {key: paths[0] for key, paths in candidates.items() if len(paths) == 1}
    duplicated = {key for key, paths in candidates.items() if len(paths) > 1}
    for key in sorted(duplicated):
        names = " and ".join(path.name for path in candidates[key])
        for path in candidates[key]:
            report_file(skipped, path, f"duplicate ({names}): more than one file names {describe(key)}", strict)
    return found, duplicated

@dataclass
class Sample:
    """One paired recording: a skeleton sequence and an inertial sequence of the same trial.

    The two modalities have their own lengths (`T_s` frames, `T_i` samples) and are not
    frame-aligned; resample each on its own.

    Attributes:
        skeleton: (J, D, T_s) float32. UTD-MHAD / synthetic: J=20 Kinect v1 joints, D=3,
            metres in camera space. MMAct: J=17 COCO keypoints, D=2, pixels.
        imu: (T_i, C) float32. UTD-MHAD / synthetic: C=6 (accelerometer xyz in g, then
            gyroscope xyz in deg/s). MMAct: C=12 (see :mod:`mmhar_lite.data.mmact`).
        label: 0-based class index.
        subject: 1-based subject id, as in the dataset.
        trial: 1-based trial (repetition) index.
        session: 1-based session id (MMAct; 1 elsewhere).
        scene: 1-based scene id (MMAct; 1 elsewhere).
        source: the file(s) it came from, or "synthetic".
    """

    skeleton: np.ndarray
    imu: np.ndarray
    label: int
    subject: int
    trial: int
    session: int = 1
    scene: int = 1
    source: str = ""


@dataclass
class RawDataset:
    """A list of paired samples plus what is known about the dataset they come from.

    Attributes:
        name: ``"synthetic"``, ``"utd-mhad"`` or ``"mmact"``.
        samples: the usable paired recordings.
        class_names: one name per 0-based label.
        skeleton_layout: "kinect_v1" (20 joints, 3-D) or "coco17" (17 keypoints, 2-D).
        imu_channels: one name per IMU channel, in column order.
        missing: ids of trials a complete download should contain but that are absent from
            disk, in the dataset's own id form (UTD-MHAD's "a{A}_s{S}_t{T}": e.g. "a1_s1_t1" if
            both of that trial's files were deleted; one without its pair is in ``skipped``). Trials the public release itself lacks are never
            listed here, but in ``known_absent``: UTD-MHAD's a8_s1_t4, a23_s6_t4 and a27_s8_t4.
            MMAct has no fixed grid of trials, so its ``missing`` is empty (a trial that
            lacks a source is in ``skipped``).
        skipped: files present on disk that could not be used, as {"file", "reason"}.
        known_absent: ids of trials that the public release itself lacks (documented, not an
            error), when they are also absent here (e.g. "a8_s1_t4").
    """

    name: str
    samples: list[Sample]
    class_names: list[str]
    skeleton_layout: str
    imu_channels: list[str]
    missing: list[str] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    known_absent: list[str] = field(default_factory=list)

    @property
    def n_classes(self) -> int:
        """Number of classes (the length of `class_names`, whether or not all occur)."""
        return len(self.class_names)

    def __len__(self) -> int:
        return len(self.samples)


def check_finite(array: np.ndarray, path: str, field_name: str) -> None:
    """Raise DatasetError naming `path` and `field_name` if `array` holds NaN or inf.

    Args:
        array: the values read.
        path: their file, for the message.
        field_name: their variable or column in the file, for the message.
    """
    bad = ~np.isfinite(array)
    if bad.any():
        raise file_error(
            path,
            f"field {field_name!r} has {int(bad.sum())} non-finite value(s) (NaN/inf); expected only finite numbers",
        )


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def as_float32(array: np.ndarray, path: str, field_name: str) -> np.ndarray:
    """`array` as float32, or a DatasetError naming `path` and `field_name` when it is not
    real numbers (complex, bool, text, objects), holds NaN/inf, or holds finite values beyond
    float32's range (which the cast would silently turn into inf).

    Args:
        array: the values read.
        path: their file, for the message.
        field_name: their variable or column in the file, for the message.
    """
    if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise file_error(path, f"field {field_name!r} has dtype {array.dtype}; expected real numbers (integer or float)")
    check_finite(array, path, field_name)
    with np.errstate(over="ignore"):
        cast = array.astype(np.float32)
    beyond = ~np.isfinite(cast)
    if beyond.any():
        raise file_error(
            path,
            f"field {field_name!r} has {int(beyond.sum())} value(s) beyond float32 range "
            f"(|x| > {_FLOAT32_MAX:.3g}); expected values of a sensor or a skeleton",
        )
    return cast


# Kinect v1 joint order of UTD-MHAD (0-based), and the bones that connect them.
KINECT_V1_JOINTS = [
    "head", "shoulder_center", "spine", "hip_center",
    "left_shoulder", "left_elbow", "left_wrist", "left_hand",
    "right_shoulder", "right_elbow", "right_wrist", "right_hand",
    "left_hip", "left_knee", "left_ankle", "left_foot",
    "right_hip", "right_knee", "right_ankle", "right_foot",
]
# COCO-17 keypoint order (MMAct's 2-D skeletons).
COCO17_JOINTS = [
    "nose", "left_eye", "right_eye", "left_ear", "right_ear",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
]
# (parent, child) joint pairs to draw a skeleton with, per layout.
SKELETON_EDGES = {
    "kinect_v1": [
        (3, 2), (2, 1), (1, 0), (1, 4), (4, 5), (5, 6), (6, 7), (1, 8), (8, 9), (9, 10), (10, 11),
        (3, 12), (12, 13), (13, 14), (14, 15), (3, 16), (16, 17), (17, 18), (18, 19),
    ],
    "coco17": [
        (0, 1), (0, 2), (1, 3), (2, 4), (5, 6), (5, 7), (7, 9), (6, 8), (8, 10),
        (5, 11), (6, 12), (11, 12), (11, 13), (13, 15), (12, 14), (14, 16),
    ],
}
