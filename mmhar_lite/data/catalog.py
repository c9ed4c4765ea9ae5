"""One entry point for every dataset, and a summary a user can check a download with.

Kept apart from `base.py` because it imports every loader, and the loaders import `base`.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from mmhar_lite.data.base import DatasetError, RawDataset
from mmhar_lite.data.datasets import protocol_split
from mmhar_lite.data.mmact import load_mmact
from mmhar_lite.data.synthetic import generate_synthetic
from mmhar_lite.data.utd_mhad import load_utd_mhad

__all__ = ["DATASETS", "load_dataset", "summarize_dataset", "format_summary"]

#: The datasets :func:`load_dataset` and ``mmhar data --dataset`` read (MMAct's protocol is
#: chosen apart, ``--protocol``; the experiment commands' presets are
#: :data:`mmhar_lite.presets.DATASETS`).
DATASETS = ("synthetic", "utd-mhad", "mmact")


def load_dataset(
    name: str,
    root: str | Path | None = None,
    *,
    strict: bool = False,
    seed: int = 0,
    n_subjects: int | None = None,
    n_trials: int | None = None,
) -> RawDataset:
    """Load dataset `name` ("synthetic" | "utd-mhad" | "mmact").

    The real datasets need `root` (the folder of the download); "synthetic" ignores it and
    is generated from `seed`, with `n_subjects` / `n_trials` (default 8 / 4, UTD-MHAD's size)
    shrinking it for quick runs. `strict=True` makes a real loader raise DatasetError on the
    first bad file instead of skipping and reporting it.

    Args:
        name: one of :data:`DATASETS`.
        root: the folder of a real dataset's download.
        strict: raise on the first bad file instead of skipping it.
        seed: the synthetic dataset's seed.
        n_subjects: the synthetic dataset's subjects (default 8).
        n_trials: its trials per subject and class (default 4).

    Returns:
        The recordings, with the files that were missing or skipped (and why).
    """
    if name == "synthetic":
        return generate_synthetic(seed=seed, n_subjects=n_subjects or 8, n_trials=n_trials or 4)
    if name not in DATASETS:
        raise DatasetError(f"unknown dataset {name!r}; expected one of {', '.join(DATASETS)}")
    if n_subjects is not None or n_trials is not None:
        raise DatasetError(f"n_subjects / n_trials size the synthetic dataset only; {name!r} is read from its files")
    if root is None:
        raise DatasetError(f"dataset {name!r} needs a root folder (the download); pass --root PATH")
    loader = load_utd_mhad if name == "utd-mhad" else load_mmact
    return loader(root, strict=strict)


def summarize_dataset(raw: RawDataset, protocol: str | None = None) -> dict:
    """A JSON-ready summary of `raw` and of its split under `protocol` (dataset default).

    Keys: name, protocol, n_samples, n_classes, class_names, samples_per_class, subjects,
    sessions, skeleton_layout, skeleton_shape (J, D), imu_channels, skeleton_frames and
    imu_samples ({min, median, max}), imu_per_skeleton_frame ({min, median, max} over the
    recordings of IMU samples / skeleton frames: how unlike the two clocks are), missing,
    known_absent, skipped, train/val/test sizes.
    """
    protocol = protocol or "cross-subject"
    subjects = np.array([s.subject for s in raw.samples], dtype=np.int64)
    sessions = np.array([s.session for s in raw.samples], dtype=np.int64)
    split = protocol_split(raw.name, subjects, sessions, protocol)
    counts = Counter(s.label for s in raw.samples)

    def lengths(values: list[int]) -> dict:
        if not values:
            return {"min": 0, "median": 0, "max": 0}
        return {"min": int(min(values)), "median": float(np.median(values)), "max": int(max(values))}

    ratios = [s.imu.shape[0] / s.skeleton.shape[2] for s in raw.samples]
    first = raw.samples[0] if raw.samples else None
    return {
        "name": raw.name,
        "protocol": protocol,
        "n_samples": len(raw.samples),
        "n_classes": raw.n_classes,
        "class_names": list(raw.class_names),
        "samples_per_class": {name: counts.get(i, 0) for i, name in enumerate(raw.class_names)},
        "subjects": sorted(int(s) for s in np.unique(subjects)),
        "sessions": sorted(int(s) for s in np.unique(sessions)),
        "skeleton_layout": raw.skeleton_layout,
        "skeleton_shape": list(first.skeleton.shape[:2]) if first is not None else None,
        "imu_channels": list(raw.imu_channels),
        "skeleton_frames": lengths([s.skeleton.shape[2] for s in raw.samples]),
        "imu_samples": lengths([s.imu.shape[0] for s in raw.samples]),
        "imu_per_skeleton_frame": {key: round(float(f(ratios)), 4) if ratios else 0.0
                                   for key, f in (("min", np.min), ("median", np.median), ("max", np.max))},
        "missing": list(raw.missing),
        "known_absent": list(raw.known_absent),
        "skipped": [dict(item) for item in raw.skipped],
        "train": int(split.train.size),
        "val": int(split.val.size),
        "test": int(split.test.size),
    }


def format_summary(summary: dict) -> str:
    """A readable multi-line table of a :func:`summarize_dataset` result."""
    def listing(values: list, limit: int = 10) -> str:
        shown = ", ".join(str(v) for v in values[:limit])
        more = f" ... (+{len(values) - limit} more)" if len(values) > limit else ""
        return (shown + more) if values else "none"

    frames, imu = summary["skeleton_frames"], summary["imu_samples"]
    rows = [
        ("dataset", summary["name"]),
        ("samples", summary["n_samples"]),
        ("classes", summary["n_classes"]),
        ("subjects", listing(summary["subjects"], 30)),
        ("sessions", listing(summary["sessions"], 30)),
        ("skeleton", f"{summary['skeleton_layout']} {summary['skeleton_shape']}, "
                     f"frames {frames['min']}-{frames['max']} (median {frames['median']:g})"),
        ("imu", f"{len(summary['imu_channels'])} channels, "
                f"samples {imu['min']}-{imu['max']} (median {imu['median']:g})"),
        (f"split ({summary['protocol']})",
         f"train {summary['train']} / val {summary['val']} / test {summary['test']}"),
        ("missing", f"{len(summary['missing'])}: {listing(summary['missing'])}"),
        ("known absent", f"{len(summary['known_absent'])}: {listing(summary['known_absent'])}"),
        ("skipped", len(summary["skipped"])),
    ]
    width = max(len(key) for key, _ in rows)
    lines = [f"{key:<{width}}  {value}" for key, value in rows]
    lines += [f"  skipped {item['file']}: {item['reason']}" for item in summary["skipped"]]
    # A file name that is not valid UTF-8 reaches Python as lone surrogates, which no terminal
    # can print: show their bytes escaped instead of failing.
    return "\n".join(lines).encode("utf-8", "backslashreplace").decode("utf-8")
