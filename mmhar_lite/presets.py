"""The paper's settings: the experiment datasets, the Table 1 presets and the configurations
built from them, the rows and published numbers of Tables 2-3 (and the runs they ask for), the
defaults of Figures 3-4, and the checks every experiment request passes before any data is
loaded or any run trained (:class:`ConfigError`).

The experiments that run these settings are in :mod:`mmhar_lite.experiments` (whose docstring
lists the choices the paper does not fix), the tables of their records in
:mod:`mmhar_lite.results`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Iterable, Sequence

from mmhar_lite import training
from mmhar_lite.training import FinetuneConfig, PretrainConfig

__all__ = [
    "ConfigError",
    "DatasetSpec",
    "DATASETS",
    "Preset",
    "PRESETS",
    "TABLE2_ROWS",
    "TABLE3_ROWS",
    "PAPER_RESULTS",
    "PUBLIC_CODE_UTD_MHAD",
    "DEFAULT_METHODS",
    "BETAS",
    "LABEL_FRACTIONS",
    "pretrain_config",
    "finetune_config",
]


class ConfigError(ValueError):
    """A bad experiment request (method, dataset, hyper-parameter, preset): raised before any
    training starts; the CLI prints its message as one line."""


@dataclass(frozen=True)
class DatasetSpec:
    """How an experiment dataset is loaded, split and augmented, and what its preset expects.

    Attributes:
        loader: the name :func:`mmhar_lite.data.catalog.load_dataset` takes (one of
            :data:`mmhar_lite.data.catalog.DATASETS`: ``"synthetic"``, ``"utd-mhad"``, ``"mmact"``).
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
        table1: (method, modality) → (batch size, lr, temperature, beta), the paper's
            Table 1; a method without a row borrows one (see :data:`PRESETS`).
        tau_plus: the class prior τ⁺ of the debiased and hard-negative losses;
            ``None``: 1 / n_classes of the data.
        pretrain_epochs: epochs of pre-training.
        finetune_epochs: epochs of fine-tuning.
        finetune_batch_size: batch size of fine-tuning.
        finetune_lr: Adam learning rate of fine-tuning.
        supervised_lr: Adam learning rate of the supervised baseline.
        epochs: (method, modality) → pre-training epochs of the rows that do not train for
            ``pretrain_epochs`` (none in the paper's presets).
    """

    dataset: str
    table1: dict
    tau_plus: float | None
    pretrain_epochs: int = 150
    finetune_epochs: int = 100
    finetune_batch_size: int = 64
    finetune_lr: float = 1e-3
    supervised_lr: float = 1e-3
    epochs: dict = field(default_factory=dict)


#: The paper's hyper-parameters per dataset (``--preset``, by default the dataset's own). Each
#: :class:`Preset` holds Table 1's (batch size, lr, temperature, beta) per (method, modality),
#: e.g. UTD-MHAD CMC-HNL (64, 1e-3, 0.1, 1.0) and SimCLR on skeletons (64, 5e-3, 0.5, 0), the
#: debiasing prior τ⁺ (the paper's 0.037 on UTD-MHAD, about 1/27, and 0.027 on MMAct, which is not
#: 1/35 = 0.029 and is kept as the paper gives it; ``None``: 1 / n_classes of the data),
#: and 150 pre-training and 100 fine-tuning epochs. Methods without a Table 1 row borrow one
#: (cmc-debiased, cmc-hnl-oracle: cmc-hnl's; cmc-cmkm, random-init: cmc's).
#:
#: ``utd-mhad-public-simclr`` is not the paper's: UTD-MHAD with SimCLR on skeletons trained as
#: the public CMC-CMKM code trains it, its three deviations from the paper all in that one row:
#: batch size 32 (paper 64), lr 1e-3 (paper 5e-3) and 300 pre-training epochs (paper 150). It
#: was chosen on the training subjects only (subjects 1, 3, 5 pre-train, subject 7 validates;
#: the ``skeleton-validation`` folder of ``results/utd-mhad``), where it lifted the linear head
#: on the frozen features from 63.9 % (the paper's recipe at 150 epochs) to 81.5 % at one seed,
#: and chapter 6 reports its test numbers beside the faithful ones. Every other row
#: is the ``utd-mhad`` preset's, except that CMC-CMKM mines its positives with this SimCLR
#: skeleton encoder.
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
    # Not the paper's: see the PRESETS docstring and results/utd-mhad/skeleton-validation/.
    "utd-mhad-public-simclr": Preset(
        "utd-mhad",
        {**_UTD_TABLE1, ("simclr", "skeleton"): (32, 1e-3, 0.5, 0.0)},
        0.037,
        epochs={("simclr", "skeleton"): 300},
    ),
}

# Methods without their own Table 1 row borrow one (see PRESETS and the docstring of
# mmhar_lite.experiments).
_TABLE1_SOURCE = {"cmc-debiased": "cmc-hnl", "cmc-hnl-oracle": "cmc-hnl", "cmc-cmkm": "cmc", "random-init": "cmc"}

#: Table 2's rows (fine-tuning on the pre-training's modality), each a (method, pre-training modality,
#: fine-tuning modality), in the paper's row order, with the oracle and the random-init floor.
#:
#: :meta hide-value:
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
#:
#: :meta hide-value:
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

#: Accuracies (%) on UTD-MHAD that the public CMC-CMKM code's README reports (Brinzea et al.),
#: keyed like :data:`TABLE2_ROWS`: context, not targets. That code trains on subjects 1, 3 and 5
#: and holds subject 7 out for validation, one training subject fewer than the paper's protocol
#: states; its test subjects are the paper's (2, 4, 6, 8).
#:
#: :meta hide-value:
PUBLIC_CODE_UTD_MHAD: dict[tuple[str, str, str], float] = {
    ("supervised", "imu", "imu"): 76.74,
    ("simclr", "imu", "imu"): 72.09,
    ("supervised", "skeleton", "skeleton"): 94.65,
    ("simclr", "skeleton", "skeleton"): 95.11,
    ("supervised", "multimodal", "multimodal"): 97.21,
    ("cmc", "multimodal", "multimodal"): 96.04,
    ("cmc-cmkm", "multimodal", "multimodal"): 97.67,
}

# The runs that the rows of Tables 2-3 ask for (mmhar_lite.experiments.reproduce runs them).


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


def _check_request(seeds, epochs_scale: float, device: str) -> list[int]:
    """The checks every experiment runner makes before any data or training; the seed list."""
    seed_list = _seed_list(seeds)
    _check_scale(epochs_scale)
    _check_device(device)
    return seed_list


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
        method=method, modality=modality,
        epochs=_scaled(spec.epochs.get((source, modality), spec.pretrain_epochs), epochs_scale),
        batch_size=batch_size, lr=lr, temperature=temperature, tau_plus=tau_plus, beta=beta,
        size=size, seed=seed, augmentation=DATASETS[spec.dataset].augmentation,
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

