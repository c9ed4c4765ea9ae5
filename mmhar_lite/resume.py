"""Resuming an experiment from the files it wrote, on any machine.

The run cache (``cache_dir``) lets a stopped experiment skip the pre-trainings it finished, but
it holds checkpoints, which stay on the machine that trained them. An experiment run with
``resume=True`` also keeps ``out/finished.json`` (``out`` the experiment's folder): for every
plan entry it finished (one pre-training and the evaluations made of it), the entry's key and
its records. Run again into the same ``out`` (for example a committed results folder on a fresh
clone), it takes the records of every planned entry found there instead of training it again, so
a long evidence run can be spread over several machines and sessions and still give the records
of one sequential run.

An entry's key (:func:`entry_key`) covers everything its records depend on: the pre-training
run's key (:func:`mmhar_lite.training.run_key`: configuration, data, training rows and the code
of the training modules), the fine-tuning configurations, the teachers' run keys (CMC-CMKM)
and what else the experiment varies (label fractions). A code or data change gives new keys,
so stale records are never reused; entries of the file that a call does not plan are kept in
the file but not in its results.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from mmhar_lite import files, training
from mmhar_lite.data import ArrayData
from mmhar_lite.training import FinetuneConfig, PretrainConfig

__all__ = ["FINISHED_FILE", "EntryKeys", "entry_key", "load_finished", "save_finished"]

#: The file under an experiment's ``out`` folder that lists its finished plan entries.
FINISHED_FILE = "finished.json"


class EntryKeys:
    """The :func:`entry_key` of each plan entry of one experiment, whose entries share its data
    and training rows: the run key of each distinct pre-training configuration is computed once.

    An experiment asks for the run key of one configuration several times (CMC-CMKM's SimCLR
    teachers are also planned runs of their own); here the data are hashed once per distinct
    configuration. They cannot be hashed once for all configurations:
    :func:`mmhar_lite.training.run_key` hashes each configuration before the data in one digest,
    and any other digest would give keys other than those of the ``finished.json`` files that
    experiments have written.

    Args:
        data: the experiment's data.
        train_rows: the rows its pre-trainings train on.
    """

    def __init__(self, data: ArrayData, train_rows: np.ndarray) -> None:
        self.data = data
        self.train_rows = train_rows
        self._run_keys: dict[str, str] = {}

    def run_key(self, config: PretrainConfig) -> str:
        """:func:`mmhar_lite.training.run_key` of ``config`` on the experiment's data and training
        rows (computed on the first request of a configuration, remembered after)."""
        # run_key's digest starts with this text, so equal texts give equal run keys
        name = json.dumps(asdict(config), sort_keys=True)
        if name not in self._run_keys:
            self._run_keys[name] = training.run_key(config, self.data, self.train_rows)
        return self._run_keys[name]

    def key(self, config: PretrainConfig, tunes: Sequence[FinetuneConfig],
            teachers: Sequence[tuple[str, PretrainConfig]] = (), extra: Any = None) -> str:
        """:func:`entry_key` of one entry (the arguments as there) on the experiment's data and
        training rows."""
        parts = {
            "run": self.run_key(config),
            "finetune": [asdict(t) for t in tunes],
            "teachers": [[m, self.run_key(c)] for m, c in teachers],
            "extra": extra,
        }
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:20]


def entry_key(config: PretrainConfig, data: ArrayData, train_rows: np.ndarray, tunes: Sequence[FinetuneConfig],
              teachers: Sequence[tuple[str, PretrainConfig]] = (), extra: Any = None) -> str:
    """A 20-hex-digit key of one plan entry: its pre-training run key, the fine-tuning
    configurations ``tunes``, the ``(modality, config)`` of each teacher (trained on
    ``train_rows`` too) and ``extra`` (JSON-serialisable, e.g. the label fractions). The keys of
    a whole plan are cheaper from one :class:`EntryKeys`.

    Args:
        config: the entry's pre-training configuration.
        data: the arrays it trains on.
        train_rows: ``(n,)`` its training rows.
        tunes: the fine-tunings of the entry.
        teachers: ``(modality, config)`` of each teacher (cmc-cmkm only).
        extra: anything else the entry's records depend on.
    """
    return EntryKeys(data, train_rows).key(config, tunes, teachers, extra)


def load_finished(out: str | Path | None) -> dict[str, list[dict]]:
    """``{entry key: records}`` from ``out/finished.json``; empty when there is no such file.

    Args:
        out: an experiment's output folder (``None``: nothing finished).

    Raises:
        ValueError: the file is not what :func:`save_finished` writes (the message names the
            file, the field and what was expected).
    """
    if out is None or not (Path(out) / FINISHED_FILE).is_file():
        return {}
    path = Path(out) / FINISHED_FILE
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not JSON ({error}); expected the file an experiment with resume writes") from None
    if not isinstance(entries, dict):
        raise ValueError(f"{path}: top level is {type(entries).__name__}; expected an object of entry key -> records")
    for key, records in entries.items():
        if not (isinstance(records, list) and records and all(isinstance(r, dict) for r in records)):
            raise ValueError(f"{path}: entry {key!r} is not a non-empty list of records; expected a list of objects")
    return entries


def save_finished(out: str | Path, entries: dict[str, list[dict]]) -> None:
    """Write ``entries`` to ``out/finished.json`` (atomically: a stopped run keeps the last one).

    Args:
        out: the experiment's output folder.
        entries: entry key -> that entry's records.
    """
    files.write_text(Path(out) / FINISHED_FILE, json.dumps(entries, indent=1))
