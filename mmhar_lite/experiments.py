"""Experiments of the paper: Tables 2-3 (:func:`reproduce`), Figure 3 (:func:`sweep_beta`), Figure 4
(:func:`limited_labels`), the single runs of ``mmhar pretrain`` / ``mmhar finetune``, and the data
they run on. Their settings (the Table 1 presets, the paper's rows and numbers) are in
:mod:`mmhar_lite.presets`, the summaries and results files of their records in
:mod:`mmhar_lite.results`; the names of both can also be used from here.

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

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch

from mmhar_lite import distributed, files, metrics, parallel, resume as resuming, training
from mmhar_lite.data import (
    ArrayData, RawDataset, Split, apply_imu_standardizer, default_split, fit_imu_standardizer,
    load_dataset, prepare, stratified_subset,
)
# The settings and the results tables moved out of this module; their names stay usable from
# here (``experiments.PRESETS``, ``experiments.summarize``, ...), as the chapters, the CLI and
# older scripts call them. They are documented in their own modules, not in __all__ here.
from mmhar_lite.presets import (  # noqa: F401
    BETAS, DATASETS, DEFAULT_METHODS, LABEL_FRACTIONS, MAX_SEEDS, PAPER_RESULTS, PRESETS,
    TABLE2_ROWS, TABLE3_ROWS, ConfigError, DatasetSpec, Preset, _check_dataset, _check_device,
    _check_methods, _check_request, _check_scale, _jobs, _require, _seed_list, finetune_config,
    pretrain_config,
)
from mmhar_lite.prose import MIN_SEEDS_FOR_CI, percent_spread, spread_phrase  # noqa: F401
from mmhar_lite.results import (  # noqa: F401
    SHORT_MODALITIES, comparison_markdown, distinct_label_sets, mean_ci, results_header,
    results_markdown, summarize, table_row, write_results,
)
from mmhar_lite.training import FinetuneConfig, PretrainConfig, PretrainResult

__all__ = [
    "ExperimentData",
    "load_experiment_data",
    "experiment_from_raw",
    "reproduce",
    "sweep_beta",
    "limited_labels",
    "run_pretrain",
    "run_finetune",
]


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
    expected = DATASETS[PRESETS[preset].dataset]
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
    _require(out is not None, "resume needs out: the finished runs are read from out/finished.json")
    try:
        return resuming.load_finished(out)
    except ValueError as error:
        raise ConfigError(str(error)) from None


def _entry_done(out, finished: dict[str, list[dict]], key: str | None, records: list[dict]) -> None:
    """Record a finished plan entry in ``out/finished.json`` (when resuming, ``key`` given)."""
    if key is not None:
        finished[key] = records
        resuming.save_finished(out, finished)

def _run_plan(exp: ExperimentData, plan: Sequence, kind: str, *,
              key_of: Callable[[resuming.EntryKeys, Any], str],
              tasks_of: Callable[[list], list[parallel.PretrainTask]],
              run: Callable[[Any, Any, Path | None], list[dict]],
              out, resume: bool, jobs: int, threads_per_job: int | None, cache_dir, device: str,
              amp: bool, quiet: bool) -> list[dict]:
    """The loop of every experiment over its ``plan`` (entries of one pre-training each, with
    the evaluations made of it): the records of all entries, in plan order.

    With ``resume``, an entry whose key (``key_of(keys, entry)``, ``keys`` the experiment's
    :class:`mmhar_lite.resume.EntryKeys`) ``out/finished.json`` holds gives the records stored
    there; the other entries are run. ``tasks_of(entries)``: the pre-trainings of the entries
    still to run, which ``jobs > 1`` trains first in worker processes (:func:`_pretrain_ahead`).
    ``run(entry, cache_dir, out)`` trains and evaluates one entry and returns its records; after
    each entry, ``out/finished.json`` (``resume``) and the results files of ``kind`` (``out``)
    are rewritten, so a stopped run keeps what it finished.
    """
    finished = _finished_entries(out, resume)
    keys = resuming.EntryKeys(exp.data, exp.split.train) if resume else None
    entry_keys = [key_of(keys, entry) if resume else None for entry in plan]
    todo = [entry for entry, key in zip(plan, entry_keys) if key not in finished]
    cache_dir = _pretrain_ahead(exp, tasks_of(todo), jobs, threads_per_job, cache_dir, out, device,
                                amp, quiet)
    out = Path(out) if out is not None else None
    records: list[dict] = []
    items = list(zip(plan, entry_keys))
    for entry, key in training.progress(items, desc=kind, quiet=quiet, leave=True):
        if key in finished:
            records.extend(finished[key])
            continue
        entry_records = run(entry, cache_dir, out)
        records.extend(entry_records)
        _entry_done(out, finished, key, entry_records)
        if out is not None:
            write_results(records, out, dataset=exp.dataset, kind=kind)
    return records


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

    Args:
        dataset: a key of :data:`mmhar_lite.presets.DATASETS`: ``"synthetic"``, ``"utd-mhad"``,
            ``"mmact-xsub"`` or ``"mmact-xsession"``.
        root: the dataset's folder (a real dataset only).
        methods: the rows to run (:data:`DEFAULT_METHODS`; ``"cmc-hnl-oracle"`` on request).
        seeds: the number of seeds (``3`` runs seeds 0, 1, 2) or the seeds themselves.
        epochs_scale: multiplies every pre-training and fine-tuning epoch count (``0.1`` for a
            quick look; at least one epoch remains).
        size: encoder widths, ``"paper"`` or ``"lite"`` (:mod:`mmhar_lite.models`).
        preset: the Table 1 preset whose hyper-parameters are used (default: the dataset's own).
        out: a folder for ``results.json`` / ``.csv`` / ``.md`` and each run's ``runs/NAME/``
            history and metrics; ``None`` writes nothing.
        device: ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda"``.
        amp: bf16 autocast on CUDA (ignored on the CPU).
        quiet: no progress bars.
        overrides: :class:`mmhar_lite.training.PretrainConfig` fields set on every pre-training
            (``{"epochs": 5}``).
        finetune_overrides: :class:`mmhar_lite.training.FinetuneConfig` fields set on every
            fine-tuning.
        experiment: data loaded already by :func:`load_experiment_data` (then ``dataset``,
            ``root`` and ``preset`` are not read again).
        cache_dir: a folder of finished pre-training runs to reuse and add to.
        jobs: worker processes for the pre-trainings (``1``: all in this process).
        threads_per_job: torch intra-op threads of each worker (default: torch's own setting).
        resume: skip the runs an earlier call already finished into ``out``.

    Returns:
        The records, one ``dict`` per seed, method and fine-tuning modality, in the order run
        (method, modalities, seed, accuracy, macro_f1, epochs, timings, ...).
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
    cache: dict = {}  # this call's SimCLR runs, by (method, modality, seed): CMC-CMKM's teachers

    def run(entry, cache_dir, out) -> list[dict]:
        config, tunes, teacher_config = entry
        teachers = None
        if config.method == "cmc-cmkm":
            teachers = _teachers(exp, teacher_config, cache, device, amp, quiet, cache_dir)
        pretrained = training.pretrain(exp.data, exp.split.train, config, teachers=teachers,
                                       device=device, amp=amp, quiet=quiet, cache_dir=cache_dir)
        if config.method == "simclr":
            cache[("simclr", config.modality, config.seed)] = pretrained
        histories, all_metrics, entry_records = {}, {}, []
        for tune in tunes:
            metrics, seconds, history = _evaluate(exp, pretrained, tune, exp.split.train, quiet)
            entry_records.append(_record(exp, config, tune.modality, metrics, pretrained, seconds,
                                         0 if config.method == "supervised" else tune.epochs))
            histories[f"finetune_{tune.modality}"] = history
            all_metrics[tune.modality] = metrics
        _save_run(out, _run_name(config), pretrained, histories, all_metrics)
        return entry_records

    return _run_plan(
        exp, [(c, tunes, t) for (c, tunes), t in zip(plan, teacher_configs)], "reproduce",
        key_of=lambda keys, entry: keys.key(*entry),
        tasks_of=lambda todo: [parallel.PretrainTask(c, exp.split.train, t) for c, _, t in todo],
        run=run, out=out, resume=resume, jobs=jobs, threads_per_job=threads_per_job,
        cache_dir=cache_dir, device=device, amp=amp, quiet=quiet)


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
    r"""Figure 3: frozen-encoder evaluation metrics of ``method`` pre-trained at each beta (all other
    hyper-parameters from Table 1). Records carry ``beta``; ``resume`` as in :func:`reproduce`.

    Args:
        dataset: a key of :data:`mmhar_lite.presets.DATASETS`: ``"synthetic"``, ``"utd-mhad"``,
            ``"mmact-xsub"`` or ``"mmact-xsession"``.
        root: the dataset's folder (a real dataset only).
        betas: the concentrations :math:`\beta \ge 0` to pre-train at.
        method: a hard-negative method: ``"cmc-hnl"``, ``"cmc-hnl-oracle"`` or ``"simclr-hnl"``.
        finetune_modality: the head fine-tuned on the frozen encoders, ``"multimodal"``,
            ``"skeleton"`` or ``"imu"`` (for ``"simclr-hnl"`` also the one modality it
            pre-trains).
        seeds: the number of seeds (``3`` runs seeds 0, 1, 2) or the seeds themselves.
        epochs_scale: multiplies every pre-training and fine-tuning epoch count (``0.1`` for a
            quick look; at least one epoch remains).
        size: encoder widths, ``"paper"`` or ``"lite"`` (:mod:`mmhar_lite.models`).
        preset: the Table 1 preset whose hyper-parameters are used (default: the dataset's own).
        out: a folder for ``results.json`` / ``.csv`` / ``.md`` and each run's ``runs/NAME/``
            history and metrics; ``None`` writes nothing.
        device: ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda"``.
        amp: bf16 autocast on CUDA (ignored on the CPU).
        quiet: no progress bars.
        overrides: :class:`mmhar_lite.training.PretrainConfig` fields set on every pre-training
            (``{"epochs": 5}``).
        finetune_overrides: :class:`mmhar_lite.training.FinetuneConfig` fields set on every
            fine-tuning.
        experiment: data loaded already by :func:`load_experiment_data` (then ``dataset``,
            ``root`` and ``preset`` are not read again).
        cache_dir: a folder of finished pre-training runs to reuse and add to.
        jobs: worker processes for the pre-trainings (``1``: all in this process).
        threads_per_job: torch intra-op threads of each worker (default: torch's own setting).
        resume: skip the runs an earlier call already finished into ``out``.

    Returns:
        One record per beta and seed, in that order.
    """
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

    def run(entry, cache_dir, out) -> list[dict]:
        config, tune = entry
        pretrained = training.pretrain(exp.data, exp.split.train, config, device=device, amp=amp,
                                       quiet=quiet, cache_dir=cache_dir)
        metrics, seconds, history = _evaluate(exp, pretrained, tune, exp.split.train, quiet)
        record = _record(exp, config, tune.modality, metrics, pretrained, seconds, tune.epochs)
        name = _run_name(config, f"-beta{config.beta:g}")
        _save_run(out, name, pretrained, {"finetune": history}, metrics)
        return [record]

    return _run_plan(
        exp, plan, "sweep-beta",
        key_of=lambda keys, entry: keys.key(entry[0], [entry[1]]),
        tasks_of=lambda todo: [parallel.PretrainTask(c, exp.split.train) for c, _ in todo],
        run=run, out=out, resume=resume, jobs=jobs, threads_per_job=threads_per_job,
        cache_dir=cache_dir, device=device, amp=amp, quiet=quiet)


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
    only. The subset of seed ``s`` is ``stratified_subset(train_labels, fraction, seed=s)``.
    Records carry ``label_fraction``; ``resume`` as in :func:`reproduce`.

    Args:
        dataset: a key of :data:`mmhar_lite.presets.DATASETS`: ``"synthetic"``, ``"utd-mhad"``,
            ``"mmact-xsub"`` or ``"mmact-xsession"``.
        root: the dataset's folder (a real dataset only).
        fractions: the labelled shares of the training rows, each in ``(0, 1]``.
        methods: the methods to compare (any of :data:`DEFAULT_METHODS` but ``"cmc-cmkm"``).
        finetune_modality: the head fine-tuned on the frozen encoders (and the input of
            ``"supervised"``): ``"multimodal"``, ``"skeleton"`` or ``"imu"``.
        seeds: the number of seeds (``3`` runs seeds 0, 1, 2) or the seeds themselves.
        epochs_scale: multiplies every pre-training and fine-tuning epoch count (``0.1`` for a
            quick look; at least one epoch remains).
        size: encoder widths, ``"paper"`` or ``"lite"`` (:mod:`mmhar_lite.models`).
        preset: the Table 1 preset whose hyper-parameters are used (default: the dataset's own).
        out: a folder for ``results.json`` / ``.csv`` / ``.md`` and each run's ``runs/NAME/``
            history and metrics; ``None`` writes nothing.
        device: ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda"``.
        amp: bf16 autocast on CUDA (ignored on the CPU).
        quiet: no progress bars.
        overrides: :class:`mmhar_lite.training.PretrainConfig` fields set on every pre-training
            (``{"epochs": 5}``).
        finetune_overrides: :class:`mmhar_lite.training.FinetuneConfig` fields set on every
            fine-tuning.
        experiment: data loaded already by :func:`load_experiment_data` (then ``dataset``,
            ``root`` and ``preset`` are not read again).
        cache_dir: a folder of finished pre-training runs to reuse and add to.
        jobs: worker processes for the pre-trainings (``1``: all in this process).
        threads_per_job: torch intra-op threads of each worker (default: torch's own setting).
        resume: skip the runs an earlier call already finished into ``out``.

    Returns:
        One record per seed, method and fraction.
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

    def labelled(config: PretrainConfig, fraction: float) -> np.ndarray:
        return exp.split.train[stratified_subset(train_labels, fraction, seed=config.seed)]

    def tasks_of(todo: list) -> list[parallel.PretrainTask]:
        # a supervised run trains on each labelled subset, a self-supervised one once on all rows
        tasks = [parallel.PretrainTask(c, labelled(c, f))
                 for c, _ in todo if c.method == "supervised" for f in fractions]
        return tasks + [parallel.PretrainTask(c, exp.split.train)
                        for c, _ in todo if c.method != "supervised"]

    def run(entry, cache_dir, out) -> list[dict]:
        config, tune = entry
        pretrained, entry_records = None, []
        for fraction in fractions:
            rows = labelled(config, fraction)
            if pretrained is None or config.method == "supervised":
                pretrained = training.pretrain(exp.data, rows if config.method == "supervised" else exp.split.train,
                                               config, device=device, amp=amp, quiet=quiet, cache_dir=cache_dir)
            metrics, seconds, history = _evaluate(exp, pretrained, tune, rows, quiet)
            entry_records.append(_record(exp, config, tune.modality, metrics, pretrained, seconds,
                                         tune.epochs, label_fraction=fraction,
                                         n_labelled=int(rows.size)))
            _save_run(out, _run_name(config, f"-labels{fraction:g}"), pretrained, {"finetune": history}, metrics)
        return entry_records

    return _run_plan(
        exp, plan, "limited-labels",
        key_of=lambda keys, entry: keys.key(entry[0], [entry[1]], extra=fractions),
        tasks_of=tasks_of, run=run, out=out, resume=resume, jobs=jobs,
        threads_per_job=threads_per_job, cache_dir=cache_dir, device=device, amp=amp, quiet=quiet)


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
