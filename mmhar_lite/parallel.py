"""Independent pre-trainings in worker processes (``--jobs N``), results identical to a
sequential run.

An experiment (:func:`~mmhar_lite.experiments.reproduce`,
:func:`~mmhar_lite.experiments.sweep_beta`, :func:`~mmhar_lite.experiments.limited_labels`) first
lists its pre-trainings as :class:`PretrainTask` records; :func:`pretrain_tasks` trains the ones
missing from a run cache (:func:`mmhar_lite.training.pretrain` with ``cache_dir``) in ``jobs``
spawned worker processes, each with its own intra-op thread count. The experiment then runs its usual
sequential loop, which finds every pre-training in the cache and only fine-tunes. Because a
cached run is the state_dict of the run trained with the same configuration, data, training
rows, teachers and code (:func:`mmhar_lite.training.run_key`), the records are those of a
sequential run with the same thread count; and a stopped experiment started again with the
same cache trains only what is not there yet.

``cmc-cmkm`` needs its SimCLR teachers (same seed): it is started once both are in the cache.
"""
from __future__ import annotations

import multiprocessing
import sys
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch

from mmhar_lite import training
from mmhar_lite.data import ArrayData
from mmhar_lite.training import PretrainConfig

__all__ = ["PretrainTask", "run_path", "pretrain_tasks", "set_threads"]


@dataclass(frozen=True)
class PretrainTask:
    """One pre-training: its configuration, training rows and (cmc-cmkm only) the
    configurations of its two SimCLR teachers, keyed ``"skeleton"`` and ``"imu"``.

    Attributes:
        config: the pre-training's configuration.
        rows: ``(n,)`` the rows of the data it trains on.
        teachers: ``(modality, config)`` of each teacher; empty but for cmc-cmkm.
    """

    config: PretrainConfig
    rows: np.ndarray
    teachers: tuple[tuple[str, PretrainConfig], ...] = ()

    @property
    def name(self) -> str:
        return f"{self.config.method}-{self.config.modality}-seed{self.config.seed} ({len(self.rows)} rows)"


def set_threads(threads: int | None) -> None:
    """Use ``threads`` intra-op threads in this process (None: leave torch's setting)."""
    if threads is not None:
        if threads < 1:
            raise ValueError(f"threads per job must be >= 1, got {threads}")
        torch.set_num_threads(threads)


def run_path(cache_dir: str | Path, task: PretrainTask, data: ArrayData, teachers=None) -> Path:
    """Where :func:`mmhar_lite.training.pretrain` keeps ``task``'s finished run in ``cache_dir``.

    Args:
        cache_dir: the run cache folder.
        task: the pre-training run.
        data: the dataset it trains on.
        teachers: its frozen teacher encoders (``cmc-cmkm`` only), part of the run's key.
    """
    c = task.config
    return Path(cache_dir) / f"{c.method}-{c.modality}-seed{c.seed}-{training.run_key(c, data, task.rows, teachers)}.pt"


# Per worker process: the dataset (sent once, by the pool initialiser) and the run settings.
_WORKER: dict = {}


def _init_worker(data: ArrayData, threads: int | None, cache_dir: str, device: str, amp: bool) -> None:
    set_threads(threads)
    _WORKER.update(data=data, cache_dir=cache_dir, device=device, amp=amp)


def _teacher_encoders(task: PretrainTask, data: ArrayData, rows: np.ndarray, cache_dir, device, amp) -> torch.nn.ModuleDict | None:
    """The teachers of a cmc-cmkm task, as ``experiments._teachers`` builds them from ``experiments._teacher_configs`` (via the cache)."""
    if not task.teachers:
        return None
    return torch.nn.ModuleDict({
        modality: training.pretrain(data, rows, config, device=device, amp=amp, quiet=True, cache_dir=cache_dir).encoders[modality]
        for modality, config in task.teachers
    })


def _train(task: PretrainTask) -> tuple[str, float]:
    """Worker: train ``task`` into the cache (a no-op when it is there); (name, seconds)."""
    w = _WORKER
    started = time.perf_counter()
    teachers = _teacher_encoders(task, w["data"], task.rows, w["cache_dir"], w["device"], w["amp"])
    training.pretrain(w["data"], task.rows, task.config, teachers=teachers, device=w["device"], amp=w["amp"],
                      quiet=True, cache_dir=w["cache_dir"])
    return task.name, time.perf_counter() - started


def _say(message: str, quiet: bool) -> None:
    if not quiet:
        print(message, file=sys.stderr, flush=True)


def pretrain_tasks(
    data: ArrayData,
    tasks: Sequence[PretrainTask],
    *,
    jobs: int,
    cache_dir: str | Path,
    threads_per_job: int | None = None,
    device: str = "auto",
    amp: bool = False,
    quiet: bool = False,
    on_done: Callable[[str], None] | None = None,
) -> list[str]:
    """Train every task of ``tasks`` that ``cache_dir`` does not hold yet, ``jobs`` at a time.

    Each worker is a spawned process (no fork of a process with live torch threads) that
    receives ``data`` once and runs ``threads_per_job`` intra-op threads. Progress: one line
    on stderr per finished run (``[k/n] done (<s> s): <name>``), unless ``quiet``; ``on_done``
    is called with the name of each finished run. Tasks already in the cache are skipped and
    reported as such. A cmc-cmkm task waits until its teachers are in the cache.

    Args:
        data: the prepared arrays every task trains on.
        tasks: the pre-trainings.
        jobs: worker processes.
        cache_dir: the run cache the finished runs go to.
        threads_per_job: torch intra-op threads of each worker (default: torch's own setting).
        device: ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda"``.
        amp: bf16 autocast on CUDA (ignored on the CPU).
        quiet: no progress lines.
        on_done: called with each finished run's name.

    Returns:
        The names of the runs trained here, in order of completion.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    cache_dir = str(cache_dir)
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    unique: dict[str, PretrainTask] = {}
    for task in tasks:  # the same run may be listed twice (e.g. a SimCLR run and a teacher)
        if task.config.method != "random-init" and task.config.epochs > 0:
            unique.setdefault(_task_key(task, data), task)
    pending = [t for t in unique.values() if not t.teachers]
    waiting = [t for t in unique.values() if t.teachers]
    finished: list[str] = []
    done = 0

    def report(task: PretrainTask, what: str) -> None:
        nonlocal done
        done += 1
        _say(f"[{done}/{len(unique)}] {what} {task.name}", quiet)
        if on_done is not None:
            on_done(task.name)

    def ready() -> list[PretrainTask]:
        """Tasks to start now; those already in the cache are reported done instead."""
        out = []
        for task in pending + [t for t in waiting if _teachers_cached(t, data, cache_dir)]:
            (pending if task in pending else waiting).remove(task)
            teachers = _teacher_encoders(task, data, task.rows, cache_dir, "cpu", False)
            if run_path(cache_dir, task, data, teachers).exists():
                report(task, "in the run cache:")
            else:
                out.append(task)
        return out

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_init_worker,
                             initargs=(data, threads_per_job, cache_dir, device, amp)) as pool:
        running: dict[Future, PretrainTask] = {pool.submit(_train, t): t for t in ready()}
        while running:
            finished_now, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished_now:
                task = running.pop(future)
                name, seconds = future.result()  # a worker's error stops the experiment here
                finished.append(name)
                report(task, f"done ({seconds:.0f} s):")
            running.update({pool.submit(_train, t): t for t in ready()})
    if waiting:
        raise RuntimeError(f"cmc-cmkm runs {', '.join(t.name for t in waiting)} wait for teachers that no task trains")
    return finished


def _teachers_cached(task: PretrainTask, data: ArrayData, cache_dir: str) -> bool:
    return all(run_path(cache_dir, PretrainTask(c, task.rows), data).exists() for _, c in task.teachers)


def _task_key(task: PretrainTask, data: ArrayData) -> str:
    teachers = ";".join(f"{m}:{run_path('', PretrainTask(c, task.rows), data).name}" for m, c in task.teachers)
    return f"{run_path('', task, data).name}|{teachers}"
