"""When do hard negatives help? CMC, CMC-HNL and the label oracle across difficulty regimes of
the synthetic data (:class:`mmhar_lite.data.synthetic.Difficulty`) and across batch size.

:func:`run_regimes` pre-trains every method at every (regime, batch size, seed), evaluates each
run with the multimodal and the IMU-only head (as Tables 2 and 3 do), and, given ``out``,
writes ``results.json`` / ``results.csv`` / ``results.md`` and ``runs/<run>/history.json`` as
the other experiments do. Records are those of :func:`mmhar_lite.experiments.reproduce` plus
``regime``, ``confusion``, ``imbalance``, ``nuisance`` and ``n_classes_present``.

The seed is the training seed; every regime's data come from generator seed 0, so the three
methods of one (regime, batch size, seed) see the same data and the same initialisation, and
:func:`paired_differences` compares them seed by seed.
"""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Mapping, Sequence

from mmhar_lite import training
from mmhar_lite.data.synthetic import Difficulty, generate_synthetic
from mmhar_lite.book import MIN_SEEDS_FOR_CI, percent_spread
from mmhar_lite.experiments import (
    ConfigError,
    ExperimentData,
    _check_request,
    _evaluate,
    _record,
    _save_run,
    results_header,
    experiment_from_raw,
    finetune_config,
    mean_ci,
    pretrain_config,
    summarize,
    write_results,
)

__all__ = [
    "REGIMES",
    "REGIME_METHODS",
    "REGIME_BATCH_SIZES",
    "regime_data",
    "run_regimes",
    "paired_differences",
    "paired_verdict",
    "regimes_markdown",
]

#: The regimes of the committed grid (``results/synthetic/regimes/``). ``today`` (the default
#: synthetic data), ``confusable`` (the confusable pairs drawn 80 % together) and ``hard`` (that,
#: with unequal classes and 2.5 times the style nuisance).
#:
#: :meta hide-value:
REGIMES: dict[str, Difficulty] = {
    "today": Difficulty(),
    "confusable": Difficulty(confusion=0.8),
    "hard": Difficulty(confusion=0.8, imbalance=4.0, nuisance=2.5),
}
#: The methods compared in every regime.
REGIME_METHODS = ("cmc", "cmc-hnl", "cmc-hnl-oracle")
#: The pre-training batch sizes of the grid (the number of negatives per anchor grows with it).
REGIME_BATCH_SIZES = (32, 128)
_KEYS = ("regime", "batch_size", "finetune_modality", "method")


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


def regime_data(difficulty: Difficulty, *, n_subjects: int = 8, n_trials: int = 4, seed: int = 0) -> ExperimentData:
    """The synthetic experiment data (cross-subject split, standardised IMU) of ``difficulty``.

    Args:
        difficulty: the regime's difficulty controls.
        n_subjects: subjects of the synthetic dataset.
        n_trials: trials per subject and class.
        seed: the dataset's seed.
    """
    raw = generate_synthetic(n_subjects=n_subjects, n_trials=n_trials, seed=seed, difficulty=difficulty)
    return experiment_from_raw(raw, "synthetic")


def _check(regimes: Mapping[str, Difficulty], methods: Sequence[str], batch_sizes: Sequence[int],
           finetune_modalities: Sequence[str]) -> None:
    _require(len(regimes) > 0, "no regimes given")
    for name, difficulty in regimes.items():
        _require(isinstance(difficulty, Difficulty), f"regime {name!r} must be a Difficulty, got {type(difficulty).__name__}")
    _require(len(methods) > 0, "no methods given")
    for method in methods:
        _require(method in training.METHODS and training.METHOD_MODALITIES[method] == ("multimodal",)
                 and method not in ("random-init", "cmc-cmkm"),
                 f"regimes compares cross-modal contrastive methods (cmc, cmc-debiased, cmc-hnl, cmc-hnl-oracle); got {method!r}")
    _require(len(batch_sizes) > 0 and all(isinstance(b, int) and b >= 2 for b in batch_sizes),
             f"batch sizes must be integers >= 2, got {list(batch_sizes)}")
    _require(len(finetune_modalities) > 0 and set(finetune_modalities) <= {"multimodal", "imu", "skeleton"},
             f"fine-tuning modalities must be multimodal | imu | skeleton, got {list(finetune_modalities)}")


def run_regimes(
    regimes: Mapping[str, Difficulty] = REGIMES,
    *,
    methods: Sequence[str] = REGIME_METHODS,
    batch_sizes: Sequence[int] = REGIME_BATCH_SIZES,
    finetune_modalities: Sequence[str] = ("multimodal", "imu"),
    seeds: int | Sequence[int] = 3,
    epochs_scale: float = 1.0,
    size: str = "paper",
    out: str | Path | None = None,
    device: str = "auto",
    amp: bool = False,
    quiet: bool = False,
    overrides: dict | None = None,
    finetune_overrides: dict | None = None,
    cache_dir: str | Path | None = None,
    n_subjects: int = 8,
    n_trials: int = 4,
) -> list[dict]:
    """Pre-train ``methods`` on every regime at every batch size and seed; one record per
    (run, fine-tuning modality). Everything else is the synthetic Table 1 preset
    (``overrides`` / ``finetune_overrides`` replace fields, e.g. ``epochs``).

    Runs go setting by setting (every seed and method of the first regime and batch size
    first, in the order given), so with ``out`` an interrupted grid keeps complete settings,
    each with all its seeds; the results files are rewritten after each run. Raises
    ConfigError before any training for a bad request.

    Args:
        regimes: name -> :class:`mmhar_lite.data.synthetic.Difficulty` of each synthetic dataset.
        methods: the pre-training methods compared in every regime.
        batch_sizes: the pre-training batch sizes (``B``, so ``B - 1`` negatives per anchor).
        finetune_modalities: the heads fine-tuned on each run's frozen encoders.
        seeds: the number of seeds (``3`` runs seeds 0, 1, 2) or the seeds themselves.
        epochs_scale: multiplies every pre-training and fine-tuning epoch count (at least one
            epoch remains).
        size: encoder widths, ``"paper"`` or ``"lite"`` (:mod:`mmhar_lite.models`).
        out: a folder for ``results.json`` / ``.csv`` / ``.md`` and each run's ``runs/NAME/``
            history and metrics; ``None`` writes nothing.
        device: ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda"``.
        amp: bf16 autocast on CUDA (ignored on the CPU).
        quiet: no progress bars.
        overrides: :class:`mmhar_lite.training.PretrainConfig` fields set on every pre-training
            (not ``batch_size``: that is ``batch_sizes``).
        finetune_overrides: :class:`mmhar_lite.training.FinetuneConfig` fields set on every
            fine-tuning.
        cache_dir: a folder of finished pre-training runs to reuse and add to.
        n_subjects: subjects of each regime's synthetic dataset.
        n_trials: trials per subject and class of each regime's synthetic dataset.

    Returns:
        One record per regime, batch size, seed, method and fine-tuning modality, with the
        regime's name and its :class:`~mmhar_lite.data.synthetic.Difficulty` fields.
    """
    _check(regimes, methods, batch_sizes, finetune_modalities)
    seed_list = _check_request(seeds, epochs_scale, device)
    overrides = dict(overrides or {})
    _require("batch_size" not in overrides, "give batch sizes with batch_sizes, not overrides")
    data = {name: regime_data(d, n_subjects=n_subjects, n_trials=n_trials) for name, d in regimes.items()}
    plan = [
        (name, pretrain_config("synthetic", method, n_classes=data[name].n_classes, size=size, seed=seed,
                               epochs_scale=epochs_scale, batch_size=batch_size, **overrides))
        for name in regimes for batch_size in batch_sizes for seed in seed_list for method in methods
    ]
    tunes = {(m, s): finetune_config("synthetic", m, seed=s, epochs_scale=epochs_scale, **(finetune_overrides or {}))
             for m in finetune_modalities for s in seed_list}
    out = Path(out) if out is not None else None
    records: list[dict] = []
    for name, config in training.progress(plan, desc="regimes", quiet=quiet, leave=True):
        exp = data[name]
        pretrained = training.pretrain(exp.data, exp.split.train, config, device=device, amp=amp, quiet=quiet,
                                       cache_dir=cache_dir)
        histories, all_metrics = {}, {}
        for modality in finetune_modalities:
            tune = tunes[(modality, config.seed)]
            metrics, seconds, history = _evaluate(exp, pretrained, tune, exp.split.train, quiet)
            records.append(_record(exp, config, modality, metrics, pretrained, seconds, tune.epochs, regime=name,
                                   **asdict(regimes[name]), n_classes_present=int(len(set(exp.data.labels.tolist())))))
            histories[f"finetune_{modality}"] = history
            all_metrics[modality] = metrics
        _save_run(out, f"{name}-b{config.batch_size}-{config.method}-seed{config.seed}", pretrained, histories, all_metrics)
        if out is not None:
            write_results(records, out, dataset="synthetic", kind="regimes", markdown=regimes_markdown(records))
    return records


def paired_differences(records: Sequence[dict], baseline: str = "cmc", metric: str = "accuracy") -> list[dict]:
    """Seed-by-seed ``metric`` difference of every method from ``baseline`` in each (regime,
    batch size, fine-tuning modality): rows with the group keys, ``method``, ``n`` (seeds that
    both have) and ``diff_mean`` / ``diff_std`` / ``diff_ci95`` (fractions; paired t-interval).

    Args:
        records: the records of :func:`run_regimes`.
        baseline: the method every other one is compared with.
        metric: the record field compared (``"accuracy"`` or ``"macro_f1"``).
    """
    by_key = {(*(r[k] for k in _KEYS), r["seed"]): r[metric] for r in records}
    rows = []
    for group in dict.fromkeys(tuple(r[k] for k in _KEYS) for r in records if r["method"] != baseline):
        *context, method = group
        diffs = [value - by_key[(*context, baseline, seed)]
                 for (*c, m, seed), value in by_key.items()
                 if (*c, m) == group and (*context, baseline, seed) in by_key]
        if not diffs:
            continue
        mean, std, ci = mean_ci(diffs)
        rows.append({**dict(zip(_KEYS, group)), "baseline": baseline, "n": len(diffs),
                     "diff_mean": mean, "diff_std": std, "diff_ci95": ci})
    return rows


def paired_verdict(row: Mapping, min_seeds: int = 3) -> str:
    """``"higher"`` / ``"lower"`` when a :func:`paired_differences` row's 95 % interval lies
    above / below 0, ``"indistinguishable"`` when it contains 0, ``"too few seeds"`` below
    ``min_seeds`` (a t-interval from two seeds is too wide to read).

    Args:
        row: one row of :func:`paired_differences`.
        min_seeds: the fewest paired seeds that get a verdict.
    """
    if row["n"] < min_seeds:
        return "too few seeds"
    if row["diff_mean"] - row["diff_ci95"] > 0:
        return "higher"
    if row["diff_mean"] + row["diff_ci95"] < 0:
        return "lower"
    return "indistinguishable"


def _pct(mean: float, spread: float, n: int) -> str:
    # the header says once that a row below MIN_SEEDS_FOR_CI seeds has no interval
    return percent_spread(mean, spread, n)


def _seed_counts(records: Sequence[dict]) -> list[int]:
    """The number of seeds of each (regime, batch size, head, method) setting of ``records``."""
    return [s["n"] for s in summarize(records, _KEYS)]


def regimes_markdown(records: Sequence[dict]) -> str:
    """The ``results.md`` text: accuracy per (regime, batch size, head, method) with its 95 %
    interval, and each method's paired difference from CMC.

    Args:
        records: the records of :func:`run_regimes`.
    """
    if not records:
        return "# regimes: synthetic\n\nno records\n"
    diffs = {tuple(d[k] for k in _KEYS): d for d in paired_differences(records)}
    regimes = {r["regime"]: f"confusion {r['confusion']:g}, imbalance {r['imbalance']:g}, nuisance {r['nuisance']:g}"
               for r in records}
    lines = [
        "# regimes: synthetic", "",
        results_header(records) + " Accuracy (%) is the mean over seeds ± the 95 % t-interval half-width (given "
        "from 3 seeds on); 'vs CMC' is the paired (same seed) difference from CMC ± its 95 % half-width."
        + (f" Rows with n < {MIN_SEEDS_FOR_CI} give the mean alone, without an interval."
           if any(r_n < MIN_SEEDS_FOR_CI for r_n in _seed_counts(records)) else ""), "",
        "Regimes: " + "; ".join(f"`{name}` ({text})" for name, text in regimes.items()) + ".", "",
        "| regime | batch | head | method | n | accuracy (%) | macro-F1 (%) | vs CMC (points) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in summarize(records, _KEYS):
        d = diffs.get(tuple(s[k] for k in _KEYS))
        versus = _pct(d["diff_mean"], d["diff_ci95"], d["n"]) if d else ""
        lines.append(f"| {s['regime']} | {s['batch_size']} | {s['finetune_modality']} | {s['method']} | {s['n']} | "
                     f"{_pct(s['accuracy_mean'], s['accuracy_ci95'], s['n'])} | {_pct(s['macro_f1_mean'], s['macro_f1_ci95'], s['n'])} | "
                     f"{versus} |")
    return "\n".join(lines) + "\n"
