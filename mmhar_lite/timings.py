"""What the recorded times say, in sentences and numbers for the chapters: the scaling of the
distributed benchmark (``benchmarks/results/distributed.json``) and what it cannot show, and how
long an experiment run with the lite encoders would take with the paper's
(``benchmarks/results/training.json``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping, Sequence

__all__ = [
    "scaling_sentence",
    "benchmark_caveats",
    "BENCH_PAIRS",
    "size_factors",
    "RunTime",
    "RecordedTime",
    "paper_size_run_time",
    "recorded_run_time",
    "pretraining_seconds",
    "seed_time_table",
    "slower_later",
    "epoch_seconds",
]


def _speed(seconds: float, reference: float, reference_name: str, decimals: int = 2) -> str:
    """``seconds`` against ``reference`` (both per epoch) in words; a factor that prints as 1.0 is
    "about as fast"."""
    a, b = round(float(seconds), decimals), round(float(reference), decimals)
    times = f"{reference_name} ({b:.{decimals}f} s)"
    factor = max(a, b) / min(a, b)
    if round(factor, 1) == 1.0:
        return f"about as fast as {times}"
    return f"{'faster' if a < b else 'slower'} than {times} by a factor of {factor:.1f}"


def scaling_sentence(rows: Sequence[Mapping]) -> str:
    """What two processes measured against one, per encoder size, as sentences built from
    ``benchmarks/results/distributed.json`` rows (``size``, ``processes``, ``threads``,
    ``epoch_best_s``): the 2 x 1 epoch against the 1 x 1 and the 1 x 2 epochs of the same size.

    Raises:
        ValueError: a size lacks one of the three configurations.
    """
    best = {(r["size"], int(r["processes"]), int(r["threads"])): float(r["epoch_best_s"]) for r in rows}
    sentences = []
    for size in dict.fromkeys(r["size"] for r in rows):
        wanted = [(size, 2, 1), (size, 1, 1), (size, 1, 2)]
        lacking = [f"{p} x {t}" for _, p, t in wanted if (size, p, t) not in best]
        if lacking:
            raise ValueError(f"rows: {size} encoders lack the {', '.join(lacking)} configuration(s)")
        two, one, threads = (best[key] for key in wanted)
        sentences.append(f"With the {size} encoders two processes took {two:.2f} s per epoch at best, "
                         f"{_speed(two, one, 'one process of one thread')} and "
                         f"{_speed(two, threads, 'one process of two threads')}.")
    return " ".join(sentences)


def benchmark_caveats(result: Mapping) -> str:
    """How far ``benchmarks/results/distributed.json`` (``result``: its ``machine``, ``load``,
    ``busy_machine``, ``gpu`` and ``rows``) can be read as scaling, in sentences: the recorded load
    against the cores, a several-process epoch faster than its communication share allows with
    perfect scaling (the one-process reference was slowed), two threads slower than one (no free core for the second), and that
    a GPU or several machines were not measured where none was.
    """
    cores = re.search(r"(\d+) logical cores", str(result.get("machine", "")))
    load = [float(v) for v in result.get("load", [])]
    sentences = []
    if load:
        on = f" on {cores.group(1)} cores" if cores else ""
        sentences.append(f"The machine's load average was {load[0]:.1f} when the benchmark started"
                         + (f" and {load[-1]:.1f} when it ended" if len(load) > 1 else "") + f"{on}"
                         + (": other jobs shared the cores, so the times measure that contention as much as "
                            "the code." if result.get("busy_machine") else "."))
    best = {(r["size"], int(r["processes"]), int(r["threads"])): r for r in result["rows"]}
    slow_threads = []  # (size, threads, slowdown): one sentence for all, its cause said once
    for (size, p, t), row in best.items():
        one = best.get((size, 1, 1))
        if one is None or (p, t) == (1, 1):
            continue
        speedup = float(one["epoch_best_s"]) / float(row["epoch_best_s"])
        share = float(row.get("communication_share", 0.0))
        # rank 0 computes for (1 - share) of its epoch, at best 1/p of the one-process work
        bound = p * (1 - share)
        if p > 1 and t == 1 and round(speedup, 1) > round(bound, 1):
            sentences.append(
                f"With the {size} encoders {p} processes were {speedup:.1f} times as fast as one although "
                f"{100 * share:.1f} % of rank 0's time went to communication: more than the {bound:.1f} times "
                f"that {p} processes spending that share communicating can give even if the computation splits "
                "perfectly, so the one-process epoch was slowed by something other than the code.")
        if p == 1 and t > 1 and round(1 / speedup, 1) > 1:
            slow_threads.append((size, t, 1 / speedup))
    if slow_threads:
        parts = [f"{slow:.1f} times as long with the {size} encoders" for size, _, slow in slow_threads]
        listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        counts = sorted({t for _, t, _ in slow_threads})
        threads = " or ".join(str(t) for t in counts)
        sentences.append(f"One process of {threads} threads took {listed} as with one thread: its extra "
                         "threads found no free core.")
    gpu = str(result.get("gpu", ""))
    if not gpu or gpu.startswith("not measured"):
        sentences.append("No GPU and no second machine were measured: that scale-out pays where each rank has "
                         "its own device is the expectation, untested here.")
    return " ".join(sentences)


#: The encoder pair of the training benchmark (``benchmarks/results/training.json``, its
#: ``pretraining`` rows) that times a pre-training of each modality.
#:
#: :meta hide-value:
BENCH_PAIRS = MappingProxyType({
    "multimodal": "skeleton + IMU (cmc-hnl)",
    "imu": "IMU (simclr-hnl)",
    "skeleton": "skeleton (simclr-hnl)",
})


def size_factors(bench: Mapping) -> dict[str, float]:
    """``{pre-training modality: paper-size epoch time / lite epoch time}``, from the median epoch
    times of the training benchmark's ``pretraining`` rows (same pair, same batch, same machine)."""
    epoch = {(r["pair"], r["size"]): float(r["epoch_s"]) for r in bench["pretraining"]}
    return {modality: epoch[(pair, "paper")] / epoch[(pair, "lite")] for modality, pair in BENCH_PAIRS.items()}


@dataclass(frozen=True)
class RunTime:
    """The recorded and the estimated time of one experiment command (seconds)."""

    pretrainings: int  # distinct pre-trainings (a random-init "pre-training" trains nothing)
    lite_s: float  # recorded: every pre-training and fine-tuning, lite encoders
    paper_s: float  # estimated: each of them times the paper/lite factor of its encoders


def _training_key(record: Mapping) -> tuple:
    """The pre-training a record evaluates: rows of one pre-training share the key.

    A supervised run trains on its labelled rows, so label fractions that label the same number
    of recordings at one seed are one training: :func:`~mmhar_lite.data.datasets.stratified_subset`
    keeps ``max(1, round(f * n_c))`` rows of class ``c``, which never falls as ``f`` grows, so equal
    totals mean equal counts in every class, drawn class by class from one generator seeded alike,
    hence the same rows (on real UTD-MHAD, 2 % and 5 % both label 27 recordings).
    """
    labelled = None
    if record["method"] == "supervised":
        labelled = record.get("n_labelled", record.get("label_fraction"))
    return (record["method"], record["pretrain_modality"], record["seed"], record.get("beta"), labelled)


def paper_size_run_time(records: Sequence[Mapping], factors: Mapping[str, float]) -> RunTime:
    """How long the experiment of ``records`` (lite-encoder records of
    :func:`~mmhar_lite.experiments.reproduce`, :func:`~mmhar_lite.experiments.sweep_beta` or
    :func:`~mmhar_lite.experiments.limited_labels`, with their ``pretrain_seconds`` and ``finetune_seconds``)
    would take with paper-size encoders: each pre-training counted once (its seconds are repeated
    on every evaluation of it; a supervised run is one per distinct labelled subset), each
    fine-tuning as recorded, scaled by the factor (:func:`size_factors`) of the encoders each one
    runs: the pre-training's modality, the fine-tuning's modality (a random-init row trains
    nothing before).

    Raises:
        ValueError: a record of encoders other than lite, or of a modality without a factor.
    """
    pretrain: dict[tuple, tuple[str, float]] = {}
    lite = paper = 0.0
    for r in records:
        if r["size"] != "lite":
            raise ValueError(f"paper_size_run_time scales lite runs; a record has size {r['size']!r}")
        trained = r["pretrain_epochs"] > 0
        modality, tuned = r["pretrain_modality"], r["finetune_modality"]
        for m in (modality, tuned) if trained else (tuned,):
            if m not in factors:
                raise ValueError(f"no size factor for modality {m!r}; have {', '.join(factors)}")
        lite += float(r["finetune_seconds"])
        paper += float(r["finetune_seconds"]) * factors[tuned]
        if trained:
            pretrain[_training_key(r)] = (modality, float(r["pretrain_seconds"]))
    lite += sum(s for _, s in pretrain.values())
    paper += sum(s * factors[m] for m, s in pretrain.values())
    return RunTime(len(pretrain), lite, paper)


@dataclass(frozen=True)
class RecordedTime:
    """The wall time an experiment command's records hold (seconds), any encoder size."""

    pretrainings: int  # distinct pre-trainings (supervised end-to-end trainings included)
    pretrain_s: float  # summed over the distinct pre-trainings
    finetune_s: float  # summed over every fine-tuning


def recorded_run_time(records: Sequence[Mapping]) -> RecordedTime:
    """The recorded wall time of the experiment of ``records`` (any command's records with
    ``pretrain_seconds`` and ``finetune_seconds``): each pre-training counted once, as in
    :func:`paper_size_run_time`, every fine-tuning as recorded, nothing scaled."""
    pretrain = {_training_key(r): float(r["pretrain_seconds"]) for r in records if r["pretrain_epochs"] > 0}
    return RecordedTime(len(pretrain), sum(pretrain.values()), sum(float(r["finetune_seconds"]) for r in records))


def pretraining_seconds(records: Sequence[Mapping]) -> dict[tuple[str, str], dict[int, float]]:
    """``{(method, pre-training modality): {seed: pretrain_seconds}}``, one entry per
    pre-training, in the order of ``records`` (the rows of one pre-training repeat its seconds on
    every head; ``random-init`` rows train nothing and are left out)."""
    runs: dict[tuple[str, str], dict[int, float]] = {}
    for r in records:
        if r["pretrain_epochs"] > 0:
            runs.setdefault((r["method"], r["pretrain_modality"]), {})[r["seed"]] = float(r["pretrain_seconds"])
    return runs


def seed_time_table(records: Sequence[Mapping]) -> str:
    """A markdown table of the wall time of each pre-training (:func:`pretraining_seconds`), one
    row per method and modality, one column per seed (``"902 s"``; ``"–"`` where that seed has
    not been run), and a last row with each seed's sum in hours."""
    from mmhar_lite.book import markdown_table  # book imports this module

    runs = pretraining_seconds(records)
    seeds = sorted({seed for by_seed in runs.values() for seed in by_seed})
    rows = [[f"{method} ({modality})", *(f"{by_seed[s]:.0f} s" if s in by_seed else "–" for s in seeds)]
            for (method, modality), by_seed in runs.items()]
    sums = [sum(by_seed[s] for by_seed in runs.values() if s in by_seed) for s in seeds]
    counts = [sum(s in by_seed for by_seed in runs.values()) for s in seeds]
    rows.append(["sum", *(f"{total / 3600:.1f} h ({n})" for total, n in zip(sums, counts))])
    return markdown_table(["pre-training", *(f"seed {s}" for s in seeds)], rows)


def slower_later(records: Sequence[Mapping]) -> list[tuple[str, str, int, float, float]]:
    """The pre-trainings that took longer at a later seed than at the first one:
    (method, modality, seed, seconds, first seed's seconds), in the order of ``records``."""
    slower = []
    for (method, modality), by_seed in pretraining_seconds(records).items():
        first = min(by_seed)
        slower += [(method, modality, s, t, by_seed[first]) for s, t in sorted(by_seed.items())
                   if s != first and t > by_seed[first]]
    return slower


def epoch_seconds(records: Sequence[Mapping]) -> dict[int, float]:
    """``{batch size: mean seconds per pre-training epoch}`` over the distinct pre-trainings of
    ``records`` (``pretrain_seconds / pretrain_epochs``, each pre-training counted once)."""
    per_epoch: dict[tuple, tuple[int, float]] = {}
    for r in records:
        if r["pretrain_epochs"] > 0:
            key = (r.get("regime"), r["method"], r["pretrain_modality"], r["seed"], r["batch_size"])
            per_epoch[key] = (r["batch_size"], float(r["pretrain_seconds"]) / r["pretrain_epochs"])
    by_batch: dict[int, list[float]] = {}
    for batch, seconds in per_epoch.values():
        by_batch.setdefault(batch, []).append(seconds)
    return {batch: sum(v) / len(v) for batch, v in sorted(by_batch.items())}
