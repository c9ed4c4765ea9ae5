"""The records of the experiments (:mod:`mmhar_lite.experiments`) summarised and written:
means and Student-t intervals over seeds (:func:`mean_ci`, :func:`summarize`), the rows of the
paper's tables they belong to, the markdown tables beside the paper's numbers, and the files
``results.json``, ``results.csv`` and ``results.md`` of an experiment's ``out`` folder.

A printed interval follows one rule with the book's prose: none below
:data:`mmhar_lite.prose.MIN_SEEDS_FOR_CI` seeds.
"""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Callable, Collection, Mapping, Sequence

import numpy as np
from scipy import stats

from mmhar_lite import files
from mmhar_lite.presets import PAPER_RESULTS, TABLE2_ROWS, TABLE3_ROWS, _require
# one rule for results.md and the book's prose: no printed interval below it
from mmhar_lite.prose import MIN_SEEDS_FOR_CI, percent_spread, spread_phrase

__all__ = [
    "mean_ci",
    "summarize",
    "table_row",
    "row_name",
    "uses_skeleton_encoder",
    "SHORT_MODALITIES",
    "comparison_markdown",
    "results_header",
    "results_markdown",
    "write_results",
    "distinct_label_sets",
    "nested_label_subsets",
    "read_json_lines",
    "grouped_values",
]


def mean_ci(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """Mean, sample standard deviation and Student-t confidence half-width of ``values``.

    The half-width is computed for any n ≥ 2 (from 2 values t = 12.7: wider than most axes) and is
    0 for n = 1, where there is no interval at all, not a zero-width one: a caller that prints it
    applies :data:`~mmhar_lite.prose.MIN_SEEDS_FOR_CI` first (as ``results.md`` and the book
    do).

    Args:
        values: the per-seed values.
        level: the interval's confidence level.
    """
    x = np.asarray(values, dtype=np.float64)
    _require(x.size > 0, "mean_ci needs at least one value")
    if x.size == 1:
        return float(x[0]), 0.0, 0.0
    std = float(x.std(ddof=1))
    return float(x.mean()), std, float(stats.t.ppf(0.5 + level / 2, x.size - 1) * std / math.sqrt(x.size))


def summarize(records: Sequence[dict], keys: Sequence[str] = ("method", "pretrain_modality", "finetune_modality")) -> list[dict]:
    """Group records by ``keys`` (in order of first appearance): n, mean, std and 95 % CI
    half-width of accuracy and macro-F1 (fractions), as :func:`mean_ci` gives them (for any n;
    0 for one record): apply :data:`~mmhar_lite.prose.MIN_SEEDS_FOR_CI` before printing a
    half-width.

    Args:
        records: the records of an experiment (:func:`mmhar_lite.experiments.reproduce`, ...).
        keys: the record fields that name a group.
    """
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
    """The ``(method, pre-training modality, fine-tuning modality)`` row of
    :data:`~mmhar_lite.presets.TABLE2_ROWS` / :data:`~mmhar_lite.presets.TABLE3_ROWS` that a record
    or summary belongs to (``random-init`` has no pre-training modality of its own and sits in the
    multimodal rows)."""
    pretrain = "multimodal" if record["method"] == "random-init" else record["pretrain_modality"]
    return record["method"], pretrain, record["finetune_modality"]


#: The modality names of :func:`comparison_markdown` with ``short=True``.
SHORT_MODALITIES = {"multimodal": "mm", "skeleton": "skel", "imu": "imu", "none": "none"}


def row_name(row: tuple[str, str, str]) -> str:
    """A :func:`table_row` as the short tables name it: ``cmc (mm→imu)``; ``random-init (mm)``,
    its head only, since it is never pre-trained."""
    method, pretrain, finetune = row
    if method == "random-init":
        return f"{method} ({SHORT_MODALITIES[finetune]})"
    return f"{method} ({SHORT_MODALITIES[pretrain]}→{SHORT_MODALITIES[finetune]})"


def uses_skeleton_encoder(row: tuple[str, str, str]) -> bool:
    """Whether a :func:`table_row`'s accuracy depends on the skeleton encoder: its head reads
    skeleton features, or its IMU encoder was pre-trained against it (the IMU-only rows of
    multimodal pre-training). Only IMU-only rows whose IMU encoder learned alone, or not at
    all (``random-init``), do not."""
    method, pretrain, finetune = row
    return finetune != "imu" or (pretrain == "multimodal" and method != "random-init")


def comparison_markdown(sources: Mapping[str, Sequence[dict]], rows: Sequence[tuple[str, str, str]], *,
                        paper: str | None = "utd-mhad", short: bool = False,
                        flagged: Mapping[str, Collection[tuple[str, str, str]]] | None = None) -> str:
    """One markdown table of ``rows`` (:data:`~mmhar_lite.presets.TABLE2_ROWS` or
    :data:`~mmhar_lite.presets.TABLE3_ROWS`): the paper's accuracy on ``paper`` (None: no paper
    column) and, per named source of ``reproduce`` records (e.g. ``{"real UTD-MHAD": real,
    "synthetic": synthetic}``), the accuracy (%) as mean ± sample std over seeds with the seed
    count; "–" where the paper or a source has no such row.
    ``short``: narrow columns for small screens: the modalities in the method cell, as in
    :data:`SHORT_MODALITIES` (``cmc (mm→imu)``; ``random-init (mm)``, its head only, since it is
    never pre-trained), and a header "paper". ``flagged``: ``{source name: rows}`` whose cell
    of that source gets a ``*`` (values that are not results; the caller says under the table
    what the ``*`` means)."""
    summaries = {name: {table_row(s): s for s in summarize(records)} for name, records in sources.items()}
    # short: two columns fewer, so that the tables fit a phone and the book's column
    header = (["method (pre→fine)"] + (["paper"] if paper else []) if short else
              ["method", "pre-training", "fine-tuning"] + ([f"paper ({paper})"] if paper else [])) + [
        f"{name} (n)" for name in sources]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        if not short:
            cells = [row[0], "none" if row[0] == "random-init" else row[1], row[2]]
        else:
            cells = [row_name(row)]
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
    """The table of a sweep's ``results.md``: a row per method, head and setting ``x_key``, with
    accuracy and macro-F1 (mean ± std) and the CI half-width. The chapters show one sweep's
    accuracies with :func:`mmhar_lite.book.sweep_table` instead (per-seed values in %, the
    clipped interval), a table of other inputs, columns and layout."""
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

    def epochs(key: str) -> str:
        # random-init rows train nothing before their head (0 epochs): not a setting of the run
        found = sorted({r[key] for r in records if r[key] > 0})
        if len(found) > 1:
            return " or ".join(map(str, found)) + f" (by row: `{key}` in results.json)"
        return str(found[0]) if found else str(max((r[key] for r in records), default="?"))

    return (f"Seeds: {', '.join(map(str, seeds))} ({len(seeds)} seed{'s' if len(seeds) != 1 else ''}); "
            f"encoder size: {first.get('size', '?')}; pre-training epochs: {epochs('pretrain_epochs')}, "
            f"fine-tuning epochs: {epochs('finetune_epochs')}.")


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


def distinct_label_sets(records: Sequence[dict]) -> dict[float, tuple[float, ...]]:
    """The label fractions of :func:`~mmhar_lite.experiments.limited_labels` records that select
    the same recordings.

    ``{first fraction: (every fraction with that labelled subset, ascending)}``. Two fractions
    share their subset when every record of the same method and seed has the same
    ``n_labelled`` at both: :func:`~mmhar_lite.data.datasets.stratified_subset` keeps
    ``max(1, round(f * n_c))`` rows of each class, which never decreases with ``f``, so equal
    totals mean equal counts in every class, and the same seed then draws the same rows (at 2 %
    and 5 % of 16 recordings per class both keep one each).
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


def nested_label_subsets(train_labels: np.ndarray, fractions: Sequence[float],
                         seeds: Sequence[int]) -> tuple[int, int]:
    """How often a smaller labelled subset lies inside the next larger one.

    For each seed and each pair of neighbouring ``fractions`` (ascending) whose
    :func:`~mmhar_lite.data.datasets.stratified_subset` of ``train_labels`` differ (fractions
    that select the same rows are no pair): ``(pairs, nested)``, the number of such pairs and of
    those in which every row of the smaller subset is in the larger. Each fraction draws its own
    sample, so nothing makes them nested.
    """
    from mmhar_lite.data.datasets import stratified_subset

    ordered = sorted(float(f) for f in fractions)
    pairs = nested = 0
    for seed in seeds:
        subsets = [set(stratified_subset(train_labels, f, seed=seed).tolist()) for f in ordered]
        for small, large in zip(subsets, subsets[1:]):
            if small != large:
                pairs += 1
                nested += small <= large
    return pairs, nested


def read_json_lines(path: str | Path) -> list[dict]:
    """The records of a JSON-lines file (one JSON object per line, e.g. the ``records.jsonl`` of
    the ``skeleton-validation`` folder of ``results/utd-mhad``), in file order; blank lines are
    skipped.

    Raises:
        ValueError: a line that is not a JSON object, named by file and line number.
    """
    records = []
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}: line {number}: not JSON ({error.msg}); expected one record per line") from None
        _require(isinstance(record, dict), f"{path}: line {number}: a JSON {type(record).__name__}; expected an object")
        records.append(record)
    return records


def grouped_values(records: Sequence[Mapping], by: Sequence[str],
                   value: Callable[[Mapping], float]) -> dict[tuple, list[float]]:
    """``{(record[k] for k in by): [value(record), ...]}``: the records grouped by the fields
    ``by`` (groups in order of first appearance, values in record order), e.g. one value per
    seed of each recipe of a validation run.

    Args:
        records: the records.
        by: the fields that name a group.
        value: what each record contributes, e.g. ``lambda r: r["accuracy"]``.
    """
    groups: dict[tuple, list[float]] = {}
    for r in records:
        groups.setdefault(tuple(r[k] for k in by), []).append(float(value(r)))
    return groups
