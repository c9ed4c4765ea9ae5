"""Preprocessing, fixed-length arrays, splits, limited-label subsets and the torch Dataset.

Pipeline: :class:`~mmhar_lite.data.base.RawDataset` (variable-length samples) → :func:`prepare`
→ :class:`ArrayData` (every sample resampled to `length` steps, skeleton normalised) →
:func:`default_split` / :func:`stratified_subset` index arrays → :class:`PairedDataset` for a
torch DataLoader.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.signal
import torch

from mmhar_lite.data.base import DatasetError, RawDataset

__all__ = [
    "ArrayData",
    "prepare",
    "resample",
    "normalize_skeleton_sequence",
    "fit_imu_standardizer",
    "apply_imu_standardizer",
    "Split",
    "utd_cross_subject_split",
    "mmact_cross_subject_split",
    "mmact_cross_session_split",
    "protocol_split",
    "default_split",
    "stratified_subset",
    "PairedDataset",
]

# (centre joints, reference joints): the skeleton is re-centred on the mean of the centre
# joints at frame 0 and divided by the distance between the two means at frame 0.
# Kinect v1: spine (2) and shoulder_center (1). COCO-17 has neither joint, so the mid-hip
# (mean of hips 11, 12) plays the spine and the mid-shoulder (mean of 5, 6) the
# shoulder_center: the same torso segment, measured the same way.
_NORMALISATION_JOINTS = {
    "kinect_v1": ((2,), (1,)),
    "coco17": ((11, 12), (5, 6)),
}


@dataclass
class ArrayData:
    """A whole dataset as fixed-length numpy arrays (N samples, T steps).

    Attributes:
        skeleton: (N, D, T, J) float32: the D coordinates come first, as the input channels of
            a Conv2d over (T, J).
        imu: (N, C, T) float32.
        labels: (N,) int64, the class of each sample.
        subjects: (N,) int64, the subject of each sample.
        trials: (N,) int64, the trial number of each sample.
        sessions: (N,) int64, the session of each sample.
        class_names: one name per label.
        name: dataset name ("synthetic" | "utd-mhad" | "mmact").
    """

    skeleton: np.ndarray
    imu: np.ndarray
    labels: np.ndarray
    subjects: np.ndarray
    trials: np.ndarray
    sessions: np.ndarray
    class_names: list[str]
    name: str

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def subset(self, idx: np.ndarray) -> "ArrayData":
        """Rows `idx` (an index or boolean array) as a new ArrayData; arrays are copied."""
        idx = np.asarray(idx)
        return ArrayData(
            skeleton=self.skeleton[idx],
            imu=self.imu[idx],
            labels=self.labels[idx],
            subjects=self.subjects[idx],
            trials=self.trials[idx],
            sessions=self.sessions[idx],
            class_names=list(self.class_names),
            name=self.name,
        )


def resample(x: np.ndarray, length: int, axis: int) -> np.ndarray:
    """FFT-resample `x` to `length` steps along `axis` (scipy.signal.resample), as float32
    (values past float32's range become inf: :func:`prepare` reports them).

    Args:
        x: the array.
        length: the steps along ``axis`` after resampling.
        axis: the time axis.
    """
    with np.errstate(over="ignore"):
        return scipy.signal.resample(x.astype(np.float64), length, axis=axis).astype(np.float32)


def normalize_skeleton_sequence(skeleton: np.ndarray, layout: str, source: str = "") -> np.ndarray:
    """Re-centre a (J, D, T) skeleton on its spine at frame 0 and scale by the torso length.

    The torso length is the shoulder_center-spine distance at frame 0 (COCO-17: mid-shoulder
    to mid-hip). Raises DatasetError naming `source` if that distance is zero.

    Args:
        skeleton: ``(J, D, T)`` joint positions.
        layout: the joint layout, ``"kinect_v1"`` or ``"coco17"`` (``RawDataset.skeleton_layout``).
        source: the recording's file, for the message.
    """
    try:
        centre_joints, reference_joints = _NORMALISATION_JOINTS[layout]
    except KeyError:
        raise ValueError(f"unknown skeleton layout {layout!r}; expected one of {sorted(_NORMALISATION_JOINTS)}")
    centre = skeleton[list(centre_joints), :, 0].mean(axis=0)
    reference = skeleton[list(reference_joints), :, 0].mean(axis=0)
    scale = float(np.linalg.norm(reference - centre))
    if not scale > 1e-9:
        raise DatasetError(
            f"{source or 'skeleton'}: torso length at frame 0 is {scale:g}; "
            "expected a positive shoulder-to-spine distance to normalise by"
        )
    return (skeleton - centre[None, :, None]) / scale


def _field(raw: RawDataset, name: str) -> np.ndarray:
    """One integer attribute of every sample, as an (N,) int64 array."""
    return np.array([getattr(sample, name) for sample in raw.samples], dtype=np.int64)


def prepare(raw: RawDataset, *, length: int = 50, normalize_skeleton: bool = True) -> ArrayData:
    """Resample every sample to `length` steps, each modality on its own, into ArrayData.

    The skeleton is normalised (see :func:`normalize_skeleton_sequence`) before resampling when
    `normalize_skeleton` is set. The IMU is left raw; standardise it with statistics of the
    training split only (:func:`fit_imu_standardizer`).

    Args:
        raw: the loaded recordings.
        length: ``T``, the time steps of every resampled window.
        normalize_skeleton: normalise each skeleton sequence first.

    Returns:
        Skeletons ``(N, D, T, J)``, IMU windows ``(N, C, T)`` and the labels, subjects, trials and
        sessions ``(N,)``.
    """
    if not raw.samples:
        raise DatasetError(f"dataset {raw.name!r} has no samples to prepare")
    if length < 2:
        raise ValueError(f"length must be >= 2, got {length}")
    skeletons, imus = [], []
    for sample in raw.samples:
        skeleton = sample.skeleton
        if normalize_skeleton:
            skeleton = normalize_skeleton_sequence(skeleton, raw.skeleton_layout, sample.source)
        # (J, D, T_s) -> (D, T, J): channels-first for the 2-D convolutions of the encoder.
        skeletons.append(resample(skeleton, length, axis=2).transpose(1, 2, 0))
        imus.append(resample(sample.imu, length, axis=0).T)
        for name, array in (("skeleton", skeletons[-1]), ("imu", imus[-1])):
            if not np.isfinite(array).all():  # values near float32's limit overflow in the arithmetic
                raise DatasetError(f"{sample.source or raw.name}: field {name!r} overflows float32 once normalised and "
                                   f"resampled to {length} steps; expected values of a sensor or a skeleton")
    return ArrayData(
        skeleton=np.ascontiguousarray(np.stack(skeletons)),
        imu=np.ascontiguousarray(np.stack(imus)),
        labels=_field(raw, "label"),
        subjects=_field(raw, "subject"),
        trials=_field(raw, "trial"),
        sessions=_field(raw, "session"),
        class_names=list(raw.class_names),
        name=raw.name,
    )


def fit_imu_standardizer(imu_train: np.ndarray, eps: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and std, each (C,), of training IMU windows (N, C, T).

    Fit on the training indices only, so no test statistics leak into training.

    Args:
        imu_train: training IMU windows ``(N, C, T)``.
        eps: the smallest std returned (a constant channel is divided by it, not by 0).
    """
    imu_train = imu_train.astype(np.float64)  # squares of large float32 values overflow float32
    mean = imu_train.mean(axis=(0, 2))
    std = np.maximum(imu_train.std(axis=(0, 2)), eps)
    return mean.astype(np.float32), std.astype(np.float32)


def apply_imu_standardizer(imu: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Standardise IMU windows (N, C, T) with per-channel `mean`, `std` (C,).

    Args:
        imu: IMU windows ``(N, C, T)``.
        mean: ``(C,)`` from :func:`fit_imu_standardizer`.
        std: ``(C,)`` from :func:`fit_imu_standardizer`.
    """
    return ((imu - mean[None, :, None]) / std[None, :, None]).astype(np.float32)


@dataclass
class Split:
    """Index arrays (int64, sorted) into an ArrayData; `val` may be empty."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray


def _indices(mask: np.ndarray) -> np.ndarray:
    return np.flatnonzero(mask).astype(np.int64)


def utd_cross_subject_split(subjects: np.ndarray, *, val_subject: int | None = None) -> Split:
    """UTD-MHAD cross-subject protocol: odd subjects train, even subjects test.

    `val_subject` (an odd subject, e.g. 7 as in the public CMC-CMKM code) is moved from
    train to validation.

    Args:
        subjects: ``(N,)`` the subject of each recording.
        val_subject: the training subject held out for validation (default: none).
    """
    subjects = np.asarray(subjects)
    odd = subjects % 2 == 1
    if val_subject is not None and val_subject % 2 == 0:
        raise ValueError(f"val_subject must be an odd (training) subject, got {val_subject}")
    is_val = subjects == val_subject if val_subject is not None else np.zeros_like(odd)
    return Split(train=_indices(odd & ~is_val), val=_indices(is_val), test=_indices(~odd))


def mmact_cross_subject_split(
    subjects: np.ndarray, *, n_train_subjects: int = 16, val_subjects: tuple[int, ...] = ()
) -> Split:
    """MMAct cross-subject protocol: subjects 1..n_train_subjects train, the rest test.

    `val_subjects` (training subjects, e.g. (13, 14, 15) as in the public CMC code) are moved
    from train to validation.

    Args:
        subjects: ``(N,)`` the subject of each recording.
        n_train_subjects: how many of the first subjects train.
        val_subjects: training subjects held out for validation.
    """
    subjects = np.asarray(subjects)
    in_train = subjects <= n_train_subjects
    bad = [s for s in val_subjects if s > n_train_subjects]
    if bad:
        raise ValueError(f"val_subjects must be training subjects (<= {n_train_subjects}), got {bad}")
    is_val = np.isin(subjects, list(val_subjects))
    return Split(train=_indices(in_train & ~is_val), val=_indices(is_val), test=_indices(~in_train))


def mmact_cross_session_split(
    subjects: np.ndarray, sessions: np.ndarray, *, train_fraction: float = 0.8
) -> Split:
    """MMAct cross-session protocol: per subject, the first `train_fraction` of its sessions
    (ascending session id, at least one, and at least one left for test when the subject
    has two or more) train, the remaining sessions test.

    Args:
        subjects: ``(N,)`` the subject of each recording.
        sessions: ``(N,)`` the session of each recording.
        train_fraction: the share of each subject's sessions that trains.
    """
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f"train_fraction must be in (0, 1), got {train_fraction}")
    subjects, sessions = np.asarray(subjects), np.asarray(sessions)
    in_train = np.zeros(subjects.shape, dtype=bool)
    for subject in np.unique(subjects):
        own = subjects == subject
        ids = np.unique(sessions[own])
        n_train = int(round(train_fraction * len(ids)))
        n_train = max(1, min(n_train, len(ids) - 1)) if len(ids) > 1 else 1
        in_train |= own & np.isin(sessions, ids[:n_train])
    return Split(train=_indices(in_train), val=_indices(np.zeros_like(in_train)), test=_indices(~in_train))


def protocol_split(
    name: str, subjects: np.ndarray, sessions: np.ndarray | None = None, protocol: str | None = None
) -> Split:
    """The standard split of dataset `name` for `protocol` (default "cross-subject").

    UTD-MHAD and synthetic: odd/even subjects. MMAct: "cross-subject" (subjects 1-16 train)
    or "cross-session".

    Args:
        name: the dataset's name (``ArrayData.name``).
        subjects: ``(N,)`` the subject of each recording.
        sessions: ``(N,)`` the session of each recording (MMAct's cross-session protocol).
        protocol: ``"cross-subject"`` or ``"cross-session"``.
    """
    protocol = protocol or "cross-subject"
    if name in ("utd-mhad", "synthetic") and protocol == "cross-subject":
        return utd_cross_subject_split(subjects)
    if name == "mmact" and protocol == "cross-subject":
        return mmact_cross_subject_split(subjects)
    if name == "mmact" and protocol == "cross-session":
        if sessions is None:
            raise ValueError("the cross-session protocol needs session ids")
        return mmact_cross_session_split(subjects, sessions)
    raise ValueError(
        f"no protocol {protocol!r} for dataset {name!r}; "
        "expected 'cross-subject' (all datasets) or 'cross-session' (mmact)"
    )


def default_split(data: ArrayData, protocol: str | None = None) -> Split:
    """:func:`protocol_split` for an ArrayData (its name, subjects and sessions).

    Args:
        data: the prepared arrays.
        protocol: the split's protocol (default: the dataset's own).
    """
    return protocol_split(data.name, data.subjects, data.sessions, protocol)


def stratified_subset(labels: np.ndarray, fraction: float, *, seed: int) -> np.ndarray:
    """Sorted positions (into `labels`) of a seeded, class-stratified `fraction` of samples.

    Each class keeps round(fraction * its count) samples, at least one, so a 2 % label
    budget still sees every class. Pass training-split labels and index the split with the
    result::

        train_labels = data.labels[split.train]
        subset = split.train[stratified_subset(train_labels, 0.1, seed=0)]

    Args:
        labels: ``(N,)`` class labels.
        fraction: the share of every class kept, in ``(0, 1]``.
        seed: the seed of the choice.
    """
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    chosen = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        k = max(1, int(round(fraction * len(members))))
        chosen.append(rng.choice(members, size=k, replace=False))
    return np.sort(np.concatenate(chosen)).astype(np.int64)


class PairedDataset(torch.utils.data.Dataset):
    """torch Dataset over (a subset of) an ArrayData.

    Item i: (skeleton (D, T, J) float32, imu (C, T) float32, label () int64) tensors.
    Augmentations are batched (:mod:`mmhar_lite.augment`) and applied by the training loop.
    """

    def __init__(self, data: ArrayData, indices: np.ndarray | None = None) -> None:
        idx = np.arange(len(data)) if indices is None else np.asarray(indices)
        self.skeleton = torch.from_numpy(np.ascontiguousarray(data.skeleton[idx]))
        self.imu = torch.from_numpy(np.ascontiguousarray(data.imu[idx]))
        self.labels = torch.from_numpy(np.ascontiguousarray(data.labels[idx]))

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.skeleton[i], self.imu[i], self.labels[i]
