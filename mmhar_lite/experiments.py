"""Experiments of the paper: Table 1 presets, Tables 2-3 (`reproduce`), Figure 3 (`sweep_beta`),
Figure 4 (`limited_labels`), and the results files they write.

Each experiment returns a list of records (dicts, one per run and evaluation) with at least
``method``, ``pretrain_modality``, ``finetune_modality``, ``dataset``, ``seed``, ``accuracy``
and ``macro_f1`` (fractions in [0, 1]), and, given ``out``, writes ``results.json``,
``results.csv``, ``results.md`` and one ``runs/<run>/history.json`` per pre-training run.
The CLI (``mmhar reproduce`` etc.) calls these functions, so a notebook and a shell give the
same numbers.

Datasets (``dataset`` argument): ``synthetic`` (embedded, UTD-MHAD-shaped), ``utd-mhad``
(cross-subject), ``mmact-xsub`` (cross-subject), ``mmact-xsession`` (cross-session).

Choices not fixed by the paper (documented here, used everywhere):

* The IMU is standardised per channel with statistics of the training split only (the
  public code feeds raw values; the synthetic gyroscope in deg/s would dominate otherwise).
* ``supervised`` is not in Table 1: it uses the CMC batch size and lr 1e-3, 150 epochs,
  no augmentation. Fine-tuning: 100 epochs, batch 64, lr 1e-3 (Adam), no augmentation.
* ``cmc-debiased`` uses the CMC-HNL row of Table 1 with beta = 0; ``cmc-cmkm`` and
  ``random-init`` the CMC row; ``cmc-hnl-oracle`` the CMC-HNL row.
* Both schedulers step on the epoch's mean TRAINING loss: the standard splits have no
  validation subjects, and the paper reports the last epoch, not a selected one.
* ``tau_plus`` of the synthetic preset is the class prior 1 / n_classes of the data.
"""
from __future__ import annotations

import csv
import json
import math
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Collection, Iterable, Mapping, Sequence

import numpy as np
import torch
from scipy import stats

from mmhar_lite import distributed, files, metrics, parallel, resume as resuming, training
# one rule for results.md and the book's prose: no printed interval below it
from mmhar_lite.book import MIN_SEEDS_FOR_CI, percent_spread, spread_phrase
from mmhar_lite.data import (
    ArrayData,
    RawDataset,
    Split,
    apply_imu_standardizer,
    default_split,
    fit_imu_standardizer,
    load_dataset,
    prepare,
    stratified_subset,
)
from mmhar_lite.training import FinetuneConfig, PretrainConfig, PretrainResult

__all__ = [
    "ConfigError",
    "DatasetSpec",
    "DATASETS",
    "Preset",
    "PRESETS",
    "TABLE2_ROWS",
    "TABLE3_ROWS",
    "PAPER_RESULTS",
    "DEFAULT_METHODS",
    "BETAS",
    "LABEL_FRACTIONS",
    "SHORT_MODALITIES",
    "ExperimentData",
    "load_experiment_data",
    "experiment_from_raw",
    "pretrain_config",
    "finetune_config",
    "reproduce",
    "sweep_beta",
    "limited_labels",
    "distinct_label_sets",
    "table_row",
    "summarize",
    "mean_ci",
    "write_results",
    "comparison_markdown",
    "results_header",
    "results_markdown",
    "run_pretrain",
    "run_finetune",
]


class ConfigError(ValueError):
    """A bad experiment request (method, dataset, hyper-parameter, preset): raised before any
    training starts; the CLI prints its message as one line."""


@dataclass(frozen=True)
class DatasetSpec:
    """How an experiment dataset is loaded, split and augmented, and what its preset expects.

    Attributes:
        loader: the name :func:`mmhar_lite.data.load_dataset` takes (``"utd-mhad"``, ``"mmact"``).
        protocol: the train/test split, ``"cross-subject"`` or ``"cross-session"``.
        augmentation: the augmentation family of :mod:`mmhar_lite.augment` (``"utd-mhad"``...).
        imu_channels: C, the IMU channels the encoders are built for (6 or 12).
        n_joints: J, the skeleton joints (20 Kinect v1 joints or 17 COCO keypoints).
        skeleton_dims: D, coordinates per joint (3 or 2).
    """

    loader: str
    protocol: str
    augmentation: str
    imu_channels: int
    n_joints: int
    skeleton_dims: int


#: The datasets the experiment commands take (``--dataset``), each with its loader, protocol,
#: augmentation and the input shape its encoders are built for: ``synthetic``, ``utd-mhad``,
#: ``mmact-xsub`` (cross-subject) and ``mmact-xsession`` (cross-session).
#:
#: :meta hide-value:
DATASETS: dict[str, DatasetSpec] = {
    "synthetic": DatasetSpec("synthetic", "cross-subject", "synthetic", 6, 20, 3),
    "utd-mhad": DatasetSpec("utd-mhad", "cross-subject", "utd-mhad", 6, 20, 3),
    "mmact-xsub": DatasetSpec("mmact", "cross-subject", "mmact", 12, 17, 2),
    "mmact-xsession": DatasetSpec("mmact", "cross-session", "mmact", 12, 17, 2),
}

# Table 1 of the paper: (method, modality) -> (batch size, lr, temperature, beta).
_UTD_TABLE1 = {
    ("simclr", "imu"): (128, 1e-3, 0.5, 0.0),
    ("simclr-hnl", "imu"): (128, 1e-3, 0.5, 0.5),
    ("simclr", "skeleton"): (64, 5e-3, 0.5, 0.0),
    ("simclr-hnl", "skeleton"): (64, 5e-3, 0.5, 0.25),
    ("cmc", "multimodal"): (64, 1e-3, 0.1, 0.0),
    ("cmc-hnl", "multimodal"): (64, 1e-3, 0.1, 1.0),
}


@dataclass(frozen=True)
class Preset:
    """Hyper-parameters of one dataset + protocol (one entry of :data:`PRESETS`).

    Attributes:
        dataset: the :data:`DATASETS` entry it is made for.
        table1: ``(method, modality) -> (batch size, lr, temperature, beta)``, the paper's
            Table 1; a method without a row borrows one (see :data:`PRESETS`).
        tau_plus: the class prior tau+ of the debiased and hard-negative losses;
            ``None``: 1 / n_classes of the data.
        pretrain_epochs, finetune_epochs: epochs of pre-training and of fine-tuning.
        finetune_batch_size, finetune_lr: batch size and Adam learning rate of fine-tuning.
        supervised_lr: Adam learning rate of the supervised baseline.
    """

    dataset: str
    table1: dict
    tau_plus: float | None
    pretrain_epochs: int = 150
    finetune_epochs: int = 100
    finetune_batch_size: int = 64
    finetune_lr: float = 1e-3
    supervised_lr: float = 1e-3


#: The paper's hyper-parameters per dataset (``--preset``, by default the dataset's own). Each
#: :class:`Preset` holds Table 1's (batch size, lr, temperature, beta) per (method, modality),
#: e.g. UTD-MHAD CMC-HNL (64, 1e-3, 0.1, 1.0) and SimCLR on skeletons (64, 5e-3, 0.5, 0), the
#: debiasing prior tau+ (the paper's 0.037 on UTD-MHAD, about 1/27, and 0.027 on MMAct, which is not
#: 1/35 = 0.029 and is kept as the paper gives it; ``None``: 1 / n_classes of the data),
#: and 150 pre-training and 100 fine-tuning epochs. Methods without a Table 1 row borrow one
#: (cmc-debiased, cmc-hnl-oracle: cmc-hnl's; cmc-cmkm, random-init: cmc's).
#:
#: :meta hide-value:
PRESETS: dict[str, Preset] = {
    "synthetic": Preset("synthetic", _UTD_TABLE1, None),
    "utd-mhad": Preset("utd-mhad", _UTD_TABLE1, 0.037),
    "mmact-xsub": Preset(
        "mmact-xsub",
        {
            ("simclr", "imu"): (64, 1e-3, 0.4, 0.0),
            ("simclr-hnl", "imu"): (64, 1e-3, 0.4, 0.6),
            ("simclr", "skeleton"): (128, 5e-3, 0.4, 0.0),
            ("simclr-hnl", "skeleton"): (128, 5e-3, 0.4, 0.5),
            ("cmc", "multimodal"): (128, 1e-3, 0.5, 0.0),
            ("cmc-hnl", "multimodal"): (128, 1e-3, 0.5, 1.5),
        },
        0.027,
    ),
    "mmact-xsession": Preset(
        "mmact-xsession",
        {
            ("simclr", "imu"): (64, 1e-3, 0.4, 0.0),
            ("simclr-hnl", "imu"): (64, 1e-3, 0.4, 0.5),
            ("simclr", "skeleton"): (128, 5e-3, 0.5, 0.0),
            ("simclr-hnl", "skeleton"): (128, 5e-3, 0.5, 0.5),
            ("cmc", "multimodal"): (128, 1e-3, 0.5, 0.0),
            ("cmc-hnl", "multimodal"): (128, 1e-3, 0.5, 0.5),
        },
        0.027,
    ),
}

# Methods without their own Table 1 row borrow one (see the module docstring).
_TABLE1_SOURCE = {"cmc-debiased": "cmc-hnl", "cmc-hnl-oracle": "cmc-hnl", "cmc-cmkm": "cmc", "random-init": "cmc"}

#: Table 2's rows (fine-tuning on the pre-training's modality), each a (method, pre-training modality,
#: fine-tuning modality), in the paper's row order, with the oracle and the random-init floor.
TABLE2_ROWS: list[tuple[str, str, str]] = [
    ("supervised", "imu", "imu"),
    ("simclr", "imu", "imu"),
    ("simclr-hnl", "imu", "imu"),
    ("supervised", "skeleton", "skeleton"),
    ("simclr", "skeleton", "skeleton"),
    ("simclr-hnl", "skeleton", "skeleton"),
    ("supervised", "multimodal", "multimodal"),
    ("cmc", "multimodal", "multimodal"),
    ("cmc-cmkm", "multimodal", "multimodal"),
    ("cmc-debiased", "multimodal", "multimodal"),
    ("cmc-hnl", "multimodal", "multimodal"),
    ("cmc-hnl-oracle", "multimodal", "multimodal"),
    ("random-init", "multimodal", "multimodal"),
]
#: Table 3's rows (the IMU-only head), as :data:`TABLE2_ROWS`. They are the multimodal pre-trainings
#: fine-tuned on the IMU alone, beside IMU-only supervised and SimCLR.
TABLE3_ROWS: list[tuple[str, str, str]] = [
    ("supervised", "imu", "imu"),
    ("simclr", "imu", "imu"),
    ("simclr-hnl", "imu", "imu"),
    ("cmc", "multimodal", "imu"),
    ("cmc-cmkm", "multimodal", "imu"),
    ("cmc-debiased", "multimodal", "imu"),
    ("cmc-hnl", "multimodal", "imu"),
    ("cmc-hnl-oracle", "multimodal", "imu"),
    ("random-init", "multimodal", "imu"),
]
#: The methods ``mmhar reproduce`` runs without ``--methods``. They are everything in Tables 2-3 plus the
#: random-init floor; the oracle (cmc-hnl-oracle) is opt-in, since it uses the labels.
DEFAULT_METHODS = ("supervised", "simclr", "simclr-hnl", "cmc", "cmc-debiased", "cmc-hnl", "cmc-cmkm", "random-init")
#: The hardness values beta of ``mmhar sweep-beta`` without ``--betas`` (the paper's Figure 3).
BETAS = (0.25, 0.5, 1.0, 1.5, 2.0)
#: The shares of the training labels of ``mmhar limited-labels`` without ``--fractions`` (the
#: paper's Figure 4: 2 % to 50 %).
LABEL_FRACTIONS = (0.02, 0.05, 0.1, 0.25, 0.5)


def _paper(utd, xsub_f1, xsub_acc, xsession_f1, xsession_acc) -> dict:
    out = {
        "utd-mhad": {"accuracy": utd},
        "mmact-xsub": {"macro_f1": xsub_f1, "accuracy": xsub_acc},
        "mmact-xsession": {"macro_f1": xsession_f1, "accuracy": xsession_acc},
    }
    return {d: {k: v for k, v in m.items() if v is not None} for d, m in out.items()}


#: Published numbers (%) of Tables 2 and 3 of Choi, Beedu & Essa, keyed like
#: :data:`TABLE2_ROWS`: per dataset (``utd-mhad``: accuracy; ``mmact-xsub``, ``mmact-xsession``:
#: F1 and accuracy); a row or value the paper does not report ("-") is absent.
#:
#: :meta hide-value:
PAPER_RESULTS: dict[tuple[str, str, str], dict] = {
    ("supervised", "imu", "imu"): _paper(74.65, 62.16, 64.24, 80.18, 79.17),
    ("simclr", "imu", "imu"): _paper(66.74, 52.73, 55.29, 70.59, 73.34),
    ("simclr-hnl", "imu", "imu"): _paper(71.55, 54.59, 57.71, 71.75, 74.03),
    ("supervised", "skeleton", "skeleton"): _paper(93.10, 79.76, 80.65, 84.36, 84.18),
    ("simclr", "skeleton", "skeleton"): _paper(95.50, 74.08, 75.19, 79.04, 81.22),
    ("simclr-hnl", "skeleton", "skeleton"): _paper(95.97, 75.15, 76.32, 80.06, 81.90),
    ("supervised", "multimodal", "multimodal"): _paper(94.96, 81.37, 83.23, 89.04, 92.04),
    ("cmc", "multimodal", "multimodal"): _paper(95.35, 80.78, 83.29, 88.91, 91.84),
    ("cmc-cmkm", "multimodal", "multimodal"): _paper(94.96, 80.72, 82.88, None, None),
    ("cmc-debiased", "multimodal", "multimodal"): _paper(95.12, 80.80, 83.03, 87.93, 91.17),
    ("cmc-hnl", "multimodal", "multimodal"): _paper(96.20, 81.64, 83.61, 89.16, 92.06),
    ("cmc", "multimodal", "imu"): _paper(69.77, 50.46, 52.62, 71.53, 67.79),
    ("cmc-cmkm", "multimodal", "imu"): _paper(74.42, 50.54, 53.67, 69.14, 67.77),
    ("cmc-debiased", "multimodal", "imu"): _paper(70.70, 49.79, 52.08, 68.68, 71.95),
    ("cmc-hnl", "multimodal", "imu"): _paper(75.73, 54.18, 55.74, 71.85, 74.23),
}


# ----------------------------------------------------------------------------- validation


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


def _check_dataset(dataset: str, root) -> DatasetSpec:
    _require(dataset in DATASETS, f"unknown dataset {dataset!r}; expected one of {', '.join(DATASETS)}")
    _require(dataset == "synthetic" or root is not None, f"dataset {dataset} needs --root PATH (the folder of the download)")
    return DATASETS[dataset]


def _check_methods(methods: Iterable[str]) -> list[str]:
    methods = list(methods)
    _require(len(methods) > 0, "no methods given")
    for method in methods:
        _require(method in training.METHODS, f"unknown method {method!r}; expected one of {', '.join(training.METHODS)}")
    return list(dict.fromkeys(methods))


# A seed count is a number of full pre-trainings; far beyond any affordable run, a larger count
# is a typo (and would not fit in memory as a list).
MAX_SEEDS = 1000


def _seed_list(seeds: int | Sequence[int]) -> list[int]:
    if isinstance(seeds, int):
        _require(1 <= seeds <= MAX_SEEDS, f"seeds must be >= 1 and at most {MAX_SEEDS}, got {seeds}")
        return list(range(seeds))
    seeds = [int(s) for s in seeds]
    _require(len(seeds) > 0, "seeds must not be empty")
    bad = [s for s in seeds if not 0 <= s <= training.MAX_SEED]
    _require(not bad, f"seeds must be integers from 0 to {training.MAX_SEED}, got {bad[0] if bad else ''}")
    return seeds


def _check_scale(epochs_scale: float) -> None:
    _require(math.isfinite(epochs_scale) and epochs_scale > 0, f"epochs_scale must be > 0, got {epochs_scale}")


def _check_device(device: str):
    try:
        return training.resolve_device(device)
    except ValueError as error:
        raise ConfigError(str(error)) from None


def _config(cls, **values):
    """Build a config dataclass, turning its validation errors and unknown keys into ConfigError."""
    names = {f.name for f in fields(cls)}
    for name in sorted(set(values) - names):
        raise ConfigError(f"unknown {cls.__name__} field {name!r}; expected one of {', '.join(sorted(names))}")
    try:
        return cls(**values)
    except ValueError as error:
        raise ConfigError(str(error)) from None


# ----------------------------------------------------------------------------- presets


def _scaled(epochs: int, scale: float) -> int:
    return max(1, int(round(epochs * scale)))


def pretrain_config(
    preset: str,
    method: str,
    modality: str | None = None,
    *,
    n_classes: int | None = None,
    size: str = "paper",
    seed: int = 0,
    epochs_scale: float = 1.0,
    **overrides,
) -> PretrainConfig:
    """The Table 1 configuration of ``method`` on ``preset``; any field can be overridden.

    Args:
        preset: a key of :data:`PRESETS`.
        method: a method of :mod:`mmhar_lite.training` (``"cmc-hnl"``, ...).
        modality: the pre-training modality (default: the first that the method takes).
        n_classes: needed by presets whose tau_plus is the class prior (synthetic).
        size: encoder size, ``"paper"`` or ``"lite"``.
        seed: the run's seed.
        epochs_scale: multiplies the 150 pre-training epochs (at least 1 remains).
        **overrides: any :class:`mmhar_lite.training.PretrainConfig` field, set last.
    """
    _require(preset in PRESETS, f"unknown preset {preset!r}; expected one of {', '.join(PRESETS)}")
    _check_methods([method])
    _check_scale(epochs_scale)
    spec = PRESETS[preset]
    modality = modality or training.METHOD_MODALITIES[method][0]
    _require(modality in training.METHOD_MODALITIES[method],
             f"method {method} takes modality {' | '.join(training.METHOD_MODALITIES[method])}; got {modality!r}")
    source = _TABLE1_SOURCE.get(method, method)
    if method == "supervised":
        batch_size, _, temperature, beta = spec.table1[("cmc", "multimodal")]
        lr = spec.supervised_lr
    else:
        batch_size, lr, temperature, beta = spec.table1[(source, modality)]
    if method == "cmc-debiased":
        beta = 0.0
    tau_plus = spec.tau_plus
    if tau_plus is None:
        _require(n_classes is not None and n_classes > 1, f"preset {preset} needs n_classes for tau_plus = 1 / n_classes")
        tau_plus = round(1.0 / n_classes, 4)
    values = dict(
        method=method, modality=modality, epochs=_scaled(spec.pretrain_epochs, epochs_scale),
        batch_size=batch_size, lr=lr, temperature=temperature, tau_plus=tau_plus, beta=beta,
        size=size, seed=seed, augmentation=DATASETS[preset].augmentation,
    )
    values.update(overrides)
    return _config(PretrainConfig, **values)


def finetune_config(preset: str, modality: str = "multimodal", *, seed: int = 0, epochs_scale: float = 1.0, **overrides) -> FinetuneConfig:
    """Fine-tuning configuration of ``preset`` (100 epochs, batch 64, lr 1e-3), overridable.

    Args:
        preset: a key of :data:`PRESETS`.
        modality: the head, ``"multimodal"``, ``"skeleton"`` or ``"imu"``.
        seed: the run's seed.
        epochs_scale: multiplies the 100 fine-tuning epochs (at least 1 remains).
        **overrides: any :class:`mmhar_lite.training.FinetuneConfig` field, set last.
    """
    _require(preset in PRESETS, f"unknown preset {preset!r}; expected one of {', '.join(PRESETS)}")
    _check_scale(epochs_scale)
    spec = PRESETS[preset]
    values = dict(modality=modality, epochs=_scaled(spec.finetune_epochs, epochs_scale),
                  batch_size=spec.finetune_batch_size, lr=spec.finetune_lr, seed=seed)
    values.update(overrides)
    return _config(FinetuneConfig, **values)


# ----------------------------------------------------------------------------- data


@dataclass
class ExperimentData:
    """A prepared dataset with its protocol split; the IMU is standardised on the train rows."""

    dataset: str
    preset: str
    data: ArrayData
    split: Split

    @property
    def n_classes(self) -> int:
        return self.data.n_classes


def load_experiment_data(
    dataset: str = "synthetic",
    root: str | Path | None = None,
    *,
    preset: str | None = None,
    length: int = 50,
    data_seed: int = 0,
    n_subjects: int | None = None,
    n_trials: int | None = None,
) -> ExperimentData:
    """Load, prepare (resample to ``length``), split and standardise an experiment dataset.

    ``n_subjects`` / ``n_trials`` shrink the synthetic dataset (the book's smoke profile).

    Raises ConfigError if the dataset is unknown, ``root`` is missing for a real dataset, or
    the data's IMU channel / joint / coordinate counts do not match ``preset`` (default: the
    dataset's own); DatasetError for problems in the files themselves.
    """
    spec = _check_dataset(dataset, root)
    raw = load_dataset(spec.loader, root, seed=data_seed, n_subjects=n_subjects, n_trials=n_trials)
    return experiment_from_raw(raw, dataset, preset=preset, length=length)


def experiment_from_raw(raw: RawDataset, dataset: str = "synthetic", *, preset: str | None = None,
                        length: int = 50) -> ExperimentData:
    """:func:`load_experiment_data` for an already loaded ``raw`` dataset of kind ``dataset``
    (for example a synthetic set generated with difficulty controls)."""
    _require(dataset in DATASETS, f"unknown dataset {dataset!r}; expected one of {', '.join(DATASETS)}")
    spec = DATASETS[dataset]
    preset = preset or dataset
    _require(preset in PRESETS, f"unknown preset {preset!r}; expected one of {', '.join(PRESETS)}")
    data = prepare(raw, length=length)
    expected = DATASETS[preset]
    found = (data.imu.shape[1], data.skeleton.shape[3], data.skeleton.shape[1])
    wanted = (expected.imu_channels, expected.n_joints, expected.skeleton_dims)
    _require(
        found == wanted,
        f"preset {preset} expects {wanted[0]} IMU channels, {wanted[1]} joints, {wanted[2]}-D skeletons; "
        f"dataset {dataset} has {found[0]} channels, {found[1]} joints, {found[2]}-D",
    )
    split = default_split(data, spec.protocol)
    mean, std = fit_imu_standardizer(data.imu[split.train])
    data.imu = apply_imu_standardizer(data.imu, mean, std)
    return ExperimentData(dataset=dataset, preset=preset, data=data, split=split)


# ----------------------------------------------------------------------------- running


def _run_name(config: PretrainConfig, extra: str = "") -> str:
    return f"{config.method}-{config.modality}{extra}-seed{config.seed}"


def _record(exp: ExperimentData, config: PretrainConfig, finetune_modality: str, metrics: dict,
            pretrained: PretrainResult, finetune_seconds: float, finetune_epochs: int, **extra) -> dict:
    return {
        "method": config.method,
        "pretrain_modality": "none" if config.method == "random-init" else config.modality,
        "finetune_modality": finetune_modality,
        "dataset": exp.dataset,
        "seed": config.seed,
        "accuracy": metrics["accuracy"],
        "macro_f1": metrics["macro_f1"],
        **extra,
        "size": config.size,
        "pretrain_epochs": 0 if config.method == "random-init" else config.epochs,
        "finetune_epochs": finetune_epochs,
        "batch_size": config.batch_size,
        "lr": config.lr,
        "temperature": config.temperature,
        "tau_plus": config.tau_plus,
        "beta": config.beta,
        "n_train": int(exp.split.train.size),
        "n_test": int(exp.split.test.size),
        "pretrain_seconds": round(pretrained.seconds, 2),
        "finetune_seconds": round(finetune_seconds, 2),
    }


def _evaluate(exp: ExperimentData, pretrained: PretrainResult, finetune: FinetuneConfig,
              train_rows: np.ndarray, quiet: bool) -> tuple[dict, float, list[dict]]:
    """Metrics on the test split: supervised runs use their own classifier; every other
    method trains a head on frozen, cached features."""
    started = time.perf_counter()
    if pretrained.config.method == "supervised":
        modality = pretrained.config.modality
        modalities = ("skeleton", "imu") if modality == "multimodal" else (modality,)
        frozen = torch.nn.ModuleDict({m: pretrained.encoders[m] for m in modalities})
        features = training.extract_features(frozen, exp.data, exp.split.test)
        predictions = training.predict(pretrained.heads["classifier"], features, modality)
        metrics = training.evaluate(exp.data.labels[exp.split.test], predictions, exp.n_classes)
        return metrics, time.perf_counter() - started, []
    result = training.finetune(pretrained.encoders, exp.data, train_rows, finetune, test_indices=exp.split.test, quiet=quiet)
    return result.metrics, result.seconds, result.history


def _save_run(out: Path | None, name: str, pretrained: PretrainResult, finetune_histories: dict, metrics: dict) -> None:
    if out is None:
        return
    training.write_history(out / "runs" / name / "history.json",
                           {"config": asdict(pretrained.config), "pretrain": pretrained.history, **finetune_histories})
    files.write_text(out / "runs" / name / "metrics.json", json.dumps(metrics, indent=1))


def _finetune_modalities(method: str, pretrain_modality: str, rows: Sequence[tuple[str, str, str]]) -> list[str]:
    return list(dict.fromkeys(f for m, p, f in rows if m == method and p == pretrain_modality))


def _jobs(methods: Sequence[str]) -> list[tuple[str, str, list[str]]]:
    """(method, pre-training modality, fine-tuning modalities) for every requested Table 2/3
    row; SimCLR runs come first so CMC-CMKM can reuse them as its teachers."""
    rows = TABLE2_ROWS + [r for r in TABLE3_ROWS if r not in TABLE2_ROWS]
    order = sorted(methods, key=lambda m: (not m.startswith("simclr"), training.METHODS.index(m)))
    jobs = []
    for method in order:
        for modality in dict.fromkeys(p for m, p, _ in rows if m == method):
            jobs.append((method, modality, _finetune_modalities(method, modality, rows)))
    return jobs


def _teachers(exp: ExperimentData, configs: Sequence[tuple[str, PretrainConfig]], cache: dict, device, amp, quiet,
              cache_dir) -> torch.nn.ModuleDict:
    """Frozen unimodal SimCLR encoders for CMC-CMKM, one per ``(modality, config)`` of
    :func:`_teacher_configs`: taken from ``cache`` when this experiment trained them, otherwise
    trained here (and kept in ``cache``)."""
    encoders = {}
    for modality, config in configs:
        key = ("simclr", modality, config.seed)
        if key not in cache:
            cache[key] = training.pretrain(exp.data, exp.split.train, config, device=device, amp=amp, quiet=quiet,
                                           cache_dir=cache_dir)
        encoders[modality] = cache[key].encoders[modality]
    return torch.nn.ModuleDict(encoders)


def _check_request(seeds, epochs_scale: float, device: str) -> list[int]:
    """The checks every experiment runner makes before any data or training; the seed list."""
    seed_list = _seed_list(seeds)
    _check_scale(epochs_scale)
    _check_device(device)
    return seed_list


def _setup(dataset: str, root, preset: str | None, experiment: ExperimentData | None, seeds, epochs_scale: float,
           device: str) -> tuple[ExperimentData, list[int]]:
    """:func:`_check_request`, then the experiment's data."""
    seeds = _check_request(seeds, epochs_scale, device)
    return experiment or load_experiment_data(dataset, root, preset=preset), seeds


def _pretrain_ahead(exp: ExperimentData, tasks: Sequence[parallel.PretrainTask], jobs: int, threads_per_job: int | None,
                    cache_dir, out, device: str, amp: bool, quiet: bool):
    """With ``jobs > 1``: train the experiment's pre-trainings in worker processes into the run
    cache (``cache_dir``, default ``out/run-cache``), so that its sequential loop only loads
    them and fine-tunes (records identical to ``jobs = 1``). Returns the cache folder to use."""
    _require(isinstance(jobs, int) and jobs >= 1, f"jobs must be an integer >= 1, got {jobs!r}")
    _require(threads_per_job is None or threads_per_job >= 1, f"threads_per_job must be >= 1, got {threads_per_job}")
    if jobs == 1:
        return cache_dir
    if cache_dir is None:
        _require(out is not None, "jobs > 1 passes runs through the run cache: give cache_dir or out")
        cache_dir = Path(out) / "run-cache"
    parallel.pretrain_tasks(exp.data, tasks, jobs=jobs, cache_dir=cache_dir, threads_per_job=threads_per_job,
                            device=device, amp=amp, quiet=quiet)
    return cache_dir


def _teacher_configs(exp: ExperimentData, plan_configs: Sequence[PretrainConfig], seed: int, size: str,
                     epochs_scale: float, overrides: dict | None = None) -> tuple[tuple[str, PretrainConfig], ...]:
    """The SimCLR configurations of the teachers of cmc-cmkm at ``seed``: the experiment's own
    SimCLR runs when it has them, otherwise their Table 1 presets, with the ``epochs``
    override of the request if it has one (a short look stays short; the other overrides are
    CMKM's own hyper-parameters, not its teachers')."""
    own = {(c.modality, c.seed): c for c in plan_configs if c.method == "simclr"}
    epochs = {"epochs": overrides["epochs"]} if overrides and "epochs" in overrides else {}
    return tuple(
        (m, own.get((m, seed)) or pretrain_config(exp.preset, "simclr", m, n_classes=exp.n_classes, size=size,
                                                  seed=seed, epochs_scale=epochs_scale, **epochs))
        for m in ("skeleton", "imu")
    )


def _finished_entries(out, resume: bool) -> dict[str, list[dict]]:
    """The plan entries an earlier call finished into ``out`` (``resume``), else none."""
    if not resume:
        return {}
    _require(out is not None, "resume needs out: the finished runs are read from OUT/finished.json")
    try:
        return resuming.load_finished(out)
    except ValueError as error:
        raise ConfigError(str(error)) from None


def _entry_done(out, finished: dict[str, list[dict]], key: str | None, records: list[dict]) -> None:
    """Record a finished plan entry in ``out/finished.json`` (when resuming, ``key`` given)."""
    if key is not None:
        finished[key] = records
        resuming.save_finished(out, finished)


def reproduce(
    dataset: str = "synthetic",
    *,
    root: str | Path | None = None,
    methods: Sequence[str] = DEFAULT_METHODS,
    seeds: int | Sequence[int] = 3,
    epochs_scale: float = 1.0,
    size: str = "paper",
    preset: str | None = None,
    out: str | Path | None = None,
    device: str = "auto",
    amp: bool = False,
    quiet: bool = False,
    overrides: dict | None = None,
    finetune_overrides: dict | None = None,
    experiment: ExperimentData | None = None,
    cache_dir: str | Path | None = None,
    jobs: int = 1,
    threads_per_job: int | None = None,
    resume: bool = False,
) -> list[dict]:
    """Run the requested rows of Tables 2 and 3 for every seed (one record per evaluation).

    Each multimodal pre-training is evaluated twice: multimodal fine-tuning (Table 2) and
    IMU-only fine-tuning (Table 3). ``overrides`` / ``finetune_overrides`` replace fields of
    every PretrainConfig / FinetuneConfig. ``experiment`` reuses already loaded data;
    ``cache_dir`` reuses finished pre-training runs (see :func:`mmhar_lite.training.pretrain`),
    as do the other experiments. ``jobs > 1`` trains the independent pre-trainings first in
    that many worker processes of ``threads_per_job`` threads each (:mod:`mmhar_lite.parallel`;
    the cache defaults to ``out/run-cache``); the records are those of ``jobs = 1``.
    Everything is validated before the first run; with ``out`` the results files are
    rewritten after each run, so an interrupted run keeps what it finished. ``resume`` takes
    the records of the runs an earlier call finished into ``out`` (``out/finished.json``, see
    :mod:`mmhar_lite.resume`) instead of training them again, on any machine.
    """
    methods = _check_methods(methods)
    exp, seeds = _setup(dataset, root, preset, experiment, seeds, epochs_scale, device)
    plan = []
    for seed in seeds:
        for method, modality, finetune_modalities in _jobs(methods):
            config = pretrain_config(exp.preset, method, modality, n_classes=exp.n_classes, size=size, seed=seed,
                                     epochs_scale=epochs_scale, **(overrides or {}))
            tunes = [finetune_config(exp.preset, f, seed=seed, epochs_scale=epochs_scale, **(finetune_overrides or {}))
                     for f in finetune_modalities]
            plan.append((config, tunes))
    configs = [c for c, _ in plan]
    teacher_configs = [_teacher_configs(exp, configs, c.seed, size, epochs_scale, overrides)
                       if c.method == "cmc-cmkm" else () for c in configs]
    finished = _finished_entries(out, resume)
    keys = [resuming.entry_key(c, exp.data, exp.split.train, tunes, t) if resume else None
            for (c, tunes), t in zip(plan, teacher_configs)]
    tasks = [parallel.PretrainTask(c, exp.split.train, t)
             for c, t, key in zip(configs, teacher_configs, keys) if key not in finished]
    cache_dir = _pretrain_ahead(exp, tasks, jobs, threads_per_job, cache_dir, out, device, amp, quiet)
    out = Path(out) if out is not None else None
    records: list[dict] = []
    cache: dict = {}
    for (config, tunes), key in training.progress(list(zip(plan, keys)), desc="reproduce", quiet=quiet, leave=True):
        if key in finished:
            records.extend(finished[key])
            continue
        teachers = None
        if config.method == "cmc-cmkm":
            teachers = _teachers(exp, _teacher_configs(exp, configs, config.seed, size, epochs_scale, overrides), cache,
                                 device, amp, quiet, cache_dir)
        pretrained = training.pretrain(exp.data, exp.split.train, config, teachers=teachers, device=device, amp=amp, quiet=quiet,
                                       cache_dir=cache_dir)
        if config.method == "simclr":
            cache[("simclr", config.modality, config.seed)] = pretrained
        histories, all_metrics, entry = {}, {}, []
        for tune in tunes:
            metrics, seconds, history = _evaluate(exp, pretrained, tune, exp.split.train, quiet)
            entry.append(_record(exp, config, tune.modality, metrics, pretrained, seconds,
                                 0 if config.method == "supervised" else tune.epochs))
            histories[f"finetune_{tune.modality}"] = history
            all_metrics[tune.modality] = metrics
        records.extend(entry)
        _save_run(out, _run_name(config), pretrained, histories, all_metrics)
        _entry_done(out, finished, key, entry)
        if out is not None:
            write_results(records, out, dataset=exp.dataset, kind="reproduce")
    return records


def sweep_beta(
    dataset: str = "synthetic",
    *,
    root: str | Path | None = None,
    betas: Sequence[float] = BETAS,
    method: str = "cmc-hnl",
    finetune_modality: str = "multimodal",
    seeds: int | Sequence[int] = 3,
    epochs_scale: float = 1.0,
    size: str = "paper",
    preset: str | None = None,
    out: str | Path | None = None,
    device: str = "auto",
    amp: bool = False,
    quiet: bool = False,
    overrides: dict | None = None,
    finetune_overrides: dict | None = None,
    experiment: ExperimentData | None = None,
    cache_dir: str | Path | None = None,
    jobs: int = 1,
    threads_per_job: int | None = None,
    resume: bool = False,
) -> list[dict]:
    """Figure 3: frozen-encoder evaluation metrics of ``method`` pre-trained at each beta (all other
    hyper-parameters from Table 1). Records carry ``beta``; ``resume`` as in :func:`reproduce`."""
    _check_methods([method])
    _require(method in ("cmc-hnl", "cmc-hnl-oracle", "simclr-hnl"), f"sweep-beta needs a hard-negative method, got {method!r}")
    betas = [float(b) for b in betas]
    _require(len(betas) > 0 and all(math.isfinite(b) and b >= 0 for b in betas), f"betas must be numbers >= 0, got {betas}")
    exp, seeds = _setup(dataset, root, preset, experiment, seeds, epochs_scale, device)
    modality = "multimodal" if method.startswith("cmc") else finetune_modality
    plan = [
        (pretrain_config(exp.preset, method, modality, n_classes=exp.n_classes, size=size, seed=seed,
                         epochs_scale=epochs_scale, **{**(overrides or {}), "beta": beta}),
         finetune_config(exp.preset, finetune_modality, seed=seed, epochs_scale=epochs_scale, **(finetune_overrides or {})))
        for beta in betas for seed in seeds
    ]
    finished = _finished_entries(out, resume)
    keys = [resuming.entry_key(c, exp.data, exp.split.train, [t]) if resume else None for c, t in plan]
    tasks = [parallel.PretrainTask(c, exp.split.train) for (c, _), key in zip(plan, keys) if key not in finished]
    cache_dir = _pretrain_ahead(exp, tasks, jobs, threads_per_job, cache_dir, out, device, amp, quiet)
    out = Path(out) if out is not None else None
    records = []
    for (config, tune), key in training.progress(list(zip(plan, keys)), desc="sweep-beta", quiet=quiet, leave=True):
        if key in finished:
            records.extend(finished[key])
            continue
        pretrained = training.pretrain(exp.data, exp.split.train, config, device=device, amp=amp, quiet=quiet, cache_dir=cache_dir)
        metrics, seconds, history = _evaluate(exp, pretrained, tune, exp.split.train, quiet)
        records.append(_record(exp, config, tune.modality, metrics, pretrained, seconds, tune.epochs))
        _save_run(out, _run_name(config, f"-beta{config.beta:g}"), pretrained, {"finetune": history}, metrics)
        _entry_done(out, finished, key, records[-1:])
        if out is not None:
            write_results(records, out, dataset=exp.dataset, kind="sweep-beta")
    return records


def limited_labels(
    dataset: str = "synthetic",
    *,
    root: str | Path | None = None,
    fractions: Sequence[float] = LABEL_FRACTIONS,
    methods: Sequence[str] = ("supervised", "cmc", "cmc-hnl"),
    finetune_modality: str = "multimodal",
    seeds: int | Sequence[int] = 3,
    epochs_scale: float = 1.0,
    size: str = "paper",
    preset: str | None = None,
    out: str | Path | None = None,
    device: str = "auto",
    amp: bool = False,
    quiet: bool = False,
    overrides: dict | None = None,
    finetune_overrides: dict | None = None,
    experiment: ExperimentData | None = None,
    cache_dir: str | Path | None = None,
    jobs: int = 1,
    threads_per_job: int | None = None,
    resume: bool = False,
) -> list[dict]:
    """Figure 4: fine-tune on class-stratified ``fractions`` of the training labels.

    Self-supervised methods pre-train once per seed on ALL training samples (no labels) and
    fine-tune a head on each labelled subset; ``supervised`` trains end to end on the subset
    only. The subset of seed ``s`` is ``stratified_subset(train labels, fraction, seed=s)``.
    Records carry ``label_fraction``; ``resume`` as in :func:`reproduce`.
    """
    methods = _check_methods(methods)
    _require("cmc-cmkm" not in methods, "limited-labels does not run cmc-cmkm (it needs SimCLR teachers per seed)")
    fractions = [float(f) for f in fractions]
    _require(len(fractions) > 0 and all(0 < f <= 1 for f in fractions), f"fractions must lie in (0, 1], got {fractions}")
    exp, seeds = _setup(dataset, root, preset, experiment, seeds, epochs_scale, device)
    plan = []
    for seed in seeds:
        for method in methods:
            modality = finetune_modality if method == "supervised" else training.METHOD_MODALITIES[method][0]
            config = pretrain_config(exp.preset, method, modality, n_classes=exp.n_classes, size=size, seed=seed,
                                     epochs_scale=epochs_scale, **(overrides or {}))
            tune = finetune_config(exp.preset, finetune_modality, seed=seed, epochs_scale=epochs_scale, **(finetune_overrides or {}))
            plan.append((config, tune))
    train_labels = exp.data.labels[exp.split.train]
    finished = _finished_entries(out, resume)
    keys = [resuming.entry_key(c, exp.data, exp.split.train, [t], extra=fractions) if resume else None for c, t in plan]
    todo = [c for (c, _), key in zip(plan, keys) if key not in finished]
    tasks = [parallel.PretrainTask(c, exp.split.train[stratified_subset(train_labels, f, seed=c.seed)])
             for c in todo if c.method == "supervised" for f in fractions]
    tasks += [parallel.PretrainTask(c, exp.split.train) for c in todo if c.method != "supervised"]
    cache_dir = _pretrain_ahead(exp, tasks, jobs, threads_per_job, cache_dir, out, device, amp, quiet)
    out = Path(out) if out is not None else None
    records = []
    for (config, tune), key in training.progress(list(zip(plan, keys)), desc="limited-labels", quiet=quiet, leave=True):
        if key in finished:
            records.extend(finished[key])
            continue
        pretrained, first = None, len(records)
        for fraction in fractions:
            rows = exp.split.train[stratified_subset(train_labels, fraction, seed=config.seed)]
            if pretrained is None or config.method == "supervised":
                pretrained = training.pretrain(exp.data, rows if config.method == "supervised" else exp.split.train,
                                               config, device=device, amp=amp, quiet=quiet, cache_dir=cache_dir)
            metrics, seconds, history = _evaluate(exp, pretrained, tune, rows, quiet)
            records.append(_record(exp, config, tune.modality, metrics, pretrained, seconds, tune.epochs,
                                   label_fraction=fraction, n_labelled=int(rows.size)))
            _save_run(out, _run_name(config, f"-labels{fraction:g}"), pretrained, {"finetune": history}, metrics)
        _entry_done(out, finished, key, records[first:])
        if out is not None:
            write_results(records, out, dataset=exp.dataset, kind="limited-labels")
    return records


def distinct_label_sets(records: Sequence[dict]) -> dict[float, tuple[float, ...]]:
    """The label fractions of :func:`limited_labels` records that select the same recordings.

    ``{first fraction: (every fraction with that labelled subset, ascending)}``. Two fractions
    share their subset when every record of the same method and seed has the same
    ``n_labelled`` at both: :func:`stratified_subset` keeps ``max(1, round(f * n_c))`` rows of
    each class, which never decreases with ``f``, so equal totals mean equal counts in every
    class, and the same seed then draws the same rows (at 2 % and 5 % of 16 recordings per class
    both keep one each).
    """
    counts: dict[float, dict[tuple, int]] = {}
    for r in records:
        counts.setdefault(float(r["label_fraction"]), {})[(r["method"], r["seed"])] = int(r["n_labelled"])
    groups: dict[float, tuple[float, ...]] = {}
    for fraction in sorted(counts):
        same = next((first for first in groups if counts[first] == counts[fraction]), None)
        if same is None:
            groups[fraction] = (fraction,)
        else:
            groups[same] += (fraction,)
    return groups


# ----------------------------------------------------------------------------- results




def mean_ci(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """Mean, sample standard deviation and Student-t confidence half-width of ``values``.

    The half-width is computed for any n >= 2 (from 2 values t = 12.7: wider than most axes) and is
    0 for n = 1, where there is no interval at all, not a zero-width one: a caller that prints it
    applies :data:`MIN_SEEDS_FOR_CI` first (as ``results.md`` and the book do)."""
    x = np.asarray(values, dtype=np.float64)
    _require(x.size > 0, "mean_ci needs at least one value")
    if x.size == 1:
        return float(x[0]), 0.0, 0.0
    std = float(x.std(ddof=1))
    return float(x.mean()), std, float(stats.t.ppf(0.5 + level / 2, x.size - 1) * std / math.sqrt(x.size))


def summarize(records: Sequence[dict], keys: Sequence[str] = ("method", "pretrain_modality", "finetune_modality")) -> list[dict]:
    """Group records by ``keys`` (in order of first appearance): n, mean, std and 95 % CI
    half-width of accuracy and macro-F1 (fractions), as :func:`mean_ci` gives them (for any n;
    0 for one record): apply :data:`MIN_SEEDS_FOR_CI` before printing a half-width."""
    groups: dict[tuple, list[dict]] = {}
    for record in records:
        groups.setdefault(tuple(record[k] for k in keys), []).append(record)
    summary = []
    for key, group in groups.items():
        row = dict(zip(keys, key), n=len(group))
        for metric in ("accuracy", "macro_f1"):
            mean, std, ci = mean_ci([r[metric] for r in group])
            row.update({f"{metric}_mean": mean, f"{metric}_std": std, f"{metric}_ci95": ci})
        summary.append(row)
    return summary


def _paper_cells(dataset: str, row: tuple[str, str, str]) -> list[str]:
    published = PAPER_RESULTS.get(row, {}).get(dataset, {})
    metrics = ("accuracy",) if dataset == "utd-mhad" else ("macro_f1", "accuracy")
    return [f"{published[m]:.2f}" if m in published else "" for m in metrics]


def _table(title: str, rows: Sequence[tuple[str, str, str]], summary: dict, dataset: str) -> list[str]:
    has_paper = dataset in ("utd-mhad", "mmact-xsub", "mmact-xsession")
    paper_header = {"utd-mhad": ["paper acc."], "mmact-xsub": ["paper F1", "paper acc."],
                    "mmact-xsession": ["paper F1", "paper acc."]}.get(dataset, [])
    # the published numbers next to the method, where a phone's screen still shows them
    header = ["method", *paper_header, "pre-training", "fine-tuning", "n", "accuracy (%)", "macro-F1 (%)"]
    lines = [f"## {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        s = summary.get(row)
        if s is None:
            continue
        cells = [row[0], *(_paper_cells(dataset, row) if has_paper else []), "none" if row[0] == "random-init" else row[1],
                 row[2], str(s["n"]), percent_spread(s["accuracy_mean"], s["accuracy_std"], s["n"]),
                 percent_spread(s["macro_f1_mean"], s["macro_f1_std"], s["n"])]
        lines.append("| " + " | ".join(cells) + " |")
    return lines + [""]


def table_row(record: Mapping) -> tuple[str, str, str]:
    """The ``(method, pre-training modality, fine-tuning modality)`` row of ``TABLE2_ROWS`` /
    ``TABLE3_ROWS`` that a record or summary belongs to (``random-init`` has no pre-training
    modality of its own and sits in the multimodal rows)."""
    pretrain = "multimodal" if record["method"] == "random-init" else record["pretrain_modality"]
    return record["method"], pretrain, record["finetune_modality"]


#: The modality names of :func:`comparison_markdown` with ``short=True``.
SHORT_MODALITIES = {"multimodal": "mm", "skeleton": "skel", "imu": "imu", "none": "none"}


def comparison_markdown(sources: Mapping[str, Sequence[dict]], rows: Sequence[tuple[str, str, str]], *,
                        paper: str | None = "utd-mhad", short: bool = False,
                        flagged: Mapping[str, Collection[tuple[str, str, str]]] | None = None) -> str:
    """One markdown table of ``rows`` (``TABLE2_ROWS`` or ``TABLE3_ROWS``): the paper's accuracy
    on ``paper`` (None: no paper column) and, per named source of ``reproduce`` records (e.g.
    ``{"real UTD-MHAD": real, "synthetic": synthetic}``), the accuracy (%) as mean ± sample
    std over seeds with the seed count; "–" where the paper or a source has no such row.
    ``short``: narrow columns for small screens (headers "pre-train", "fine-tune", "paper";
    modalities as in :data:`SHORT_MODALITIES`). ``flagged``: ``{source name: rows}`` whose cell
    of that source gets a ``*`` (values that are not results; the caller says under the table
    what the ``*`` means)."""
    summaries = {name: {table_row(s): s for s in summarize(records)} for name, records in sources.items()}
    header = (["method", "pre-train", "fine-tune"] + (["paper"] if paper else []) if short else
              ["method", "pre-training", "fine-tuning"] + ([f"paper ({paper})"] if paper else [])) + [
        f"{name} (n)" for name in sources]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    name_of = SHORT_MODALITIES.get if short else (lambda m, default: m)
    for row in rows:
        cells = [row[0], name_of("none" if row[0] == "random-init" else row[1], row[1]), name_of(row[2], row[2])]
        if paper:
            published = PAPER_RESULTS.get(row, {}).get(paper, {}).get("accuracy")
            cells.append("–" if published is None else f"{published:.2f}")
        for name, summary in summaries.items():
            s = summary.get(row)
            mark = r" \*" if row in (flagged or {}).get(name, ()) else ""
            cells.append("–" if s is None else f"{percent_spread(s['accuracy_mean'], s['accuracy_std'], s['n'])}{mark} ({s['n']})")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _sweep_table(records: Sequence[dict], x_key: str, x_title: str) -> list[str]:
    summary = summarize(records, ("method", "finetune_modality", x_key))
    header = ["method", "fine-tuning", x_title, "n", "accuracy (%) mean ± std", "95 % CI ±", "macro-F1 (%) mean ± std"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for s in sorted(summary, key=lambda s: (s["method"], s["finetune_modality"], s[x_key])):
        lines.append("| " + " | ".join([
            s["method"], s["finetune_modality"], f"{s[x_key]:g}", str(s["n"]),
            percent_spread(s["accuracy_mean"], s["accuracy_std"], s["n"]),
            f"{100 * s['accuracy_ci95']:.2f}" if s["n"] >= MIN_SEEDS_FOR_CI else "–",
            percent_spread(s["macro_f1_mean"], s["macro_f1_std"], s["n"]),
        ]) + " |")
    return lines + [""]


def results_header(records: Sequence[dict]) -> str:
    """The first line of every ``results.md``: the seeds, encoder size and epochs of ``records``."""
    first = records[0] if records else {}
    seeds = sorted({r["seed"] for r in records})
    return (f"Seeds: {', '.join(map(str, seeds))} ({len(seeds)} seed{'s' if len(seeds) != 1 else ''}); "
            f"encoder size: {first.get('size', '?')}; pre-training epochs: "
            f"{max((r['pretrain_epochs'] for r in records), default='?')}, fine-tuning epochs: "
            f"{max((r['finetune_epochs'] for r in records), default='?')}.")


def results_markdown(records: Sequence[dict], dataset: str, kind: str = "reproduce") -> str:
    """The ``results.md`` text: mean ± std over seeds beside the paper's numbers (reproduce)
    or per beta / label fraction with 95 % CIs (sweeps)."""
    seed_counts = [s["n"] for s in summarize(records, ("method", "pretrain_modality", "finetune_modality",
                                                         *(k for k in ("beta", "label_fraction") if records and k in records[0])))]
    lines = [f"# {kind}: {dataset}", "", results_header(records) + f" Values (%): {spread_phrase(seed_counts)}.", ""]
    if kind == "reproduce":
        if dataset in PAPER_RESULTS[("cmc", "multimodal", "multimodal")]:
            lines += ["Paper columns: the published numbers of Choi, Beedu & Essa for this dataset "
                      "(Tables 2 and 3; empty where the paper has none).", ""]
        else:
            lines += [f"The {dataset} dataset has no published numbers, so there is no paper column: "
                      "compare the ordering of methods, not the values.", ""]
        lines += ["`supervised` rows train encoders and classifier end to end (no separate fine-tuning); every "
                  "other row trains the fine-tuning head on frozen encoders. `random-init` is that fine-tuning on "
                  "randomly initialised, never trained encoders: the floor pre-training has to beat.", ""]
        summary = {table_row(s): s for s in summarize(records)}
        lines += _table("Table 2: multimodal pre-training and fine-tuning", TABLE2_ROWS, summary, dataset)
        lines += _table("Table 3: pre-training as above, IMU-only fine-tuning", TABLE3_ROWS, summary, dataset)
    elif kind == "sweep-beta":
        lines += ["## Figure 3: effect of beta", ""] + _sweep_table(records, "beta", "beta")
    else:
        lines += ["## Figure 4: limited labels", ""] + _sweep_table(records, "label_fraction", "labelled fraction")
    return "\n".join(lines)


def write_results(records: Sequence[dict], out: str | Path, *, dataset: str, kind: str = "reproduce",
                  markdown: str | None = None) -> None:
    """Write ``results.json`` (the records), ``results.csv`` and ``results.md`` under ``out``
    (``markdown``: that text instead of :func:`results_markdown`'s)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files.write_text(out / "results.json", json.dumps(list(records), indent=1))
    columns = list(dict.fromkeys(k for r in records for k in r))
    with files.atomic_path(out / "results.csv") as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(records)
    files.write_text(out / "results.md", markdown if markdown is not None else results_markdown(records, dataset, kind))


# ----------------------------------------------------------------------------- single runs


def run_pretrain(
    dataset: str = "synthetic",
    method: str = "cmc-hnl",
    modality: str | None = None,
    *,
    root: str | Path | None = None,
    preset: str | None = None,
    size: str = "paper",
    seed: int = 0,
    epochs_scale: float = 1.0,
    overrides: dict | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    device: str = "auto",
    amp: bool = False,
    quiet: bool = False,
    monitor_fraction: float = 0.1,
    tensorboard: str | Path | None = None,
) -> PretrainResult:
    """One pre-training run with its Table 1 preset (what ``mmhar pretrain`` does).

    With ``out``: ``out/checkpoint.pt`` (resumable with ``resume``) and ``out/history.json``.
    ``cmc-cmkm`` first trains its two SimCLR teachers with their own presets.

    A cross-modal method (``cmc*``) holds a fixed ``monitor_fraction`` of the training split out
    of training (:func:`mmhar_lite.metrics.holdout_split`, seed 0) and records retrieval,
    alignment and uniformity on it every epoch; ``monitor_fraction=0`` trains on the whole
    split (the paper's protocol, as :func:`reproduce` does) and records the loss only. The
    test rows are never watched. ``tensorboard``: a folder for TensorBoard event files of the
    same per-epoch scalars (needs the optional ``tensorboard`` package).
    """
    _check_methods([method])
    _check_scale(epochs_scale)
    _check_device(device)
    _check_dataset(dataset, root)
    exp = load_experiment_data(dataset, root, preset=preset)
    config = pretrain_config(exp.preset, method, modality, n_classes=exp.n_classes, size=size, seed=seed,
                             epochs_scale=epochs_scale, **(overrides or {}))
    _require(0 <= monitor_fraction < 1, f"monitor_fraction must lie in [0, 1), got {monitor_fraction}")
    out = Path(out) if out is not None else None
    rows, watch = exp.split.train, None
    if monitor_fraction > 0 and method.startswith("cmc"):
        rows, watch = metrics.holdout_split(exp.split.train, monitor_fraction, seed=0)
    try:
        writer = metrics.tensorboard_writer(tensorboard) if tensorboard is not None and distributed.is_main() else None
    except ValueError as error:  # the optional package is missing
        raise ConfigError(str(error)) from None
    teachers = (_teachers(exp, _teacher_configs(exp, (), seed, size, epochs_scale, overrides), {}, device, amp, quiet, None)
                if method == "cmc-cmkm" else None)
    try:
        result = training.pretrain(exp.data, rows, config, teachers=teachers, device=device, amp=amp, quiet=quiet,
                                   checkpoint=out / "checkpoint.pt" if out else None, resume=resume,
                                   monitor_indices=watch, writer=writer)
    except ValueError as error:  # a checkpoint that cannot be resumed
        raise ConfigError(str(error)) from None
    finally:
        if writer is not None:
            writer.close()
    if out is not None and distributed.is_main():
        watched = None if watch is None else {"rows": watch.tolist(), "fraction": monitor_fraction, "seed": 0}
        training.write_history(out / "history.json", {"config": asdict(config), "monitor": watched, "pretrain": result.history})
    return result


def run_finetune(
    checkpoint: str | Path,
    dataset: str = "synthetic",
    *,
    root: str | Path | None = None,
    preset: str | None = None,
    finetune_modality: str = "multimodal",
    label_fraction: float = 1.0,
    seed: int = 0,
    epochs_scale: float = 1.0,
    overrides: dict | None = None,
    out: str | Path | None = None,
    device: str = "auto",
    quiet: bool = False,
) -> dict:
    """Frozen-encoder evaluation of a saved pre-training run (what ``mmhar finetune`` does).

    Returns a record (accuracy, macro-F1, confusion matrix, history); with ``out`` it is
    written to ``out/finetune-<modality>.json``.
    """
    _require(0 < label_fraction <= 1, f"label_fraction must lie in (0, 1], got {label_fraction}")
    _check_dataset(dataset, root)
    tune_device = _check_device(device)
    try:
        pretrained = training.load_checkpoint(checkpoint, device=tune_device)
    except ValueError as error:
        raise ConfigError(str(error)) from None
    exp = load_experiment_data(dataset, root, preset=preset)
    tune = finetune_config(exp.preset, finetune_modality, seed=seed, epochs_scale=epochs_scale, **(overrides or {}))
    built = {k: v for k, v in pretrained.shapes.items() if k != "n_classes"}
    found = {k: v for k, v in training.input_shapes(exp.data).items() if k != "n_classes"}
    _require(built == found, f"checkpoint {checkpoint} was trained on inputs {built}; dataset {dataset} has {found}")
    rows = exp.split.train
    if label_fraction < 1:
        rows = rows[stratified_subset(exp.data.labels[rows], label_fraction, seed=seed)]
    result = training.finetune(pretrained.encoders, exp.data, rows, tune, test_indices=exp.split.test, quiet=quiet)
    record = {
        "checkpoint": str(checkpoint), "method": pretrained.config.method,
        "pretrain_modality": pretrained.config.modality, "finetune_modality": finetune_modality,
        "dataset": dataset, "seed": seed, "label_fraction": label_fraction, **result.metrics,
        "config": asdict(tune), "history": result.history,
    }
    if out is not None:
        files.write_text(Path(out) / f"finetune-{finetune_modality}.json", json.dumps(record, indent=1))
    return record
