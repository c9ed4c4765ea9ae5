"""Data-parallel pre-training speed: ``python -m benchmarks.distributed [--quick | --report-only]``.

CMC-HNL pre-training (batch 64, skeleton + IMU) on the UTD-MHAD-sized synthetic set (431
training pairs), paper and lite encoders, on the CPU:

* one process with 1 thread (the project's default, ``OMP_NUM_THREADS=1``) and with 2 threads;
* two gloo processes of 1 thread each (what ``torchrun --nproc-per-node 2`` runs here),
  started with torch.multiprocessing on a free port, each with half of every global batch.

Throughput: training pairs per second over ``--epochs`` epochs after one warm-up run of one
epoch (best epoch and all epochs). Communication: the share of rank 0's training time spent
inside collectives: the embedding gathers, the global BatchNorm sums and DDP's gradient
all-reduce. To time the gradient all-reduce it is made synchronous with a DDP comm hook (it
normally overlaps the backward pass), so the share is an upper bound. The load average is
recorded: the CPU is shared, and absolute times are only as good as that.

Without ``--quick`` the report goes to ``benchmarks/results/distributed.md`` and the figures to
``benchmarks/results/distributed.json``; ``--report-only`` rewrites the report from that JSON
without measuring. Every run is on the CPU (no GPU was available for this measurement).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import socket
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from benchmarks.losses import machine
from mmhar_lite import book, distributed, experiments, training
from mmhar_lite.data import ArrayData

ROOT = Path(__file__).resolve().parents[1]
SIZES = ("paper", "lite")


def _config(size: str, epochs: int) -> training.PretrainConfig:
    return experiments.pretrain_config("synthetic", "cmc-hnl", None, n_classes=27, size=size, epochs=epochs)


class _Clock:
    """Seconds spent inside the wrapped collectives of this process."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, collective):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return collective(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        return timed


def _instrument(clock: _Clock) -> None:
    """Time every collective mmhar_lite.distributed and DDP issue (DDP's through a comm hook)."""
    for name in ("all_gather", "all_reduce"):  # not the closing barrier: it falls after the timed epochs
        setattr(dist, name, clock.wrap(getattr(dist, name)))

    def allreduce_hook(state, bucket):
        buffer = bucket.buffer().div_(dist.get_world_size())
        dist.all_reduce(buffer)  # timed, and synchronous
        future = torch.futures.Future()
        future.set_result(buffer)
        return future

    class TimedDDP(torch.nn.parallel.DistributedDataParallel):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.register_comm_hook(None, allreduce_hook)

    torch.nn.parallel.DistributedDataParallel = TimedDDP


def _load(path: str) -> tuple[ArrayData, np.ndarray]:
    arrays = np.load(path)
    n = len(arrays["labels"])
    data = ArrayData(skeleton=arrays["skeleton"], imu=arrays["imu"], labels=arrays["labels"],
                     subjects=np.zeros(n, dtype=np.int64), trials=np.zeros(n, dtype=np.int64),
                     sessions=np.zeros(n, dtype=np.int64), class_names=[str(i) for i in range(27)], name="synthetic")
    return data, arrays["train"]


def measure(path: str, size: str, epochs: int, clock: _Clock) -> dict:
    """One warm-up epoch, then ``epochs`` timed epochs of this process's share of the run."""
    data, train = _load(path)
    training.pretrain(data, train, _config(size, 1), device="cpu", quiet=True)
    clock.seconds = 0.0
    result = training.pretrain(data, train, _config(size, epochs), device="cpu", quiet=True)
    times = [h["time_s"] for h in result.history]
    return {"epoch_best_s": min(times), "epoch_mean_s": sum(times) / len(times),
            "pairs_per_s_best": len(train) / min(times), "pairs_per_s_mean": len(train) * len(times) / sum(times),
            "communication_share": clock.seconds / sum(times)}


def _rank(rank: int, port: int, path: str, size: str, epochs: int, out: str) -> None:
    torch.set_num_threads(1)
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE="2", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    clock = _Clock()
    _instrument(clock)
    distributed.init_from_env("cpu")
    try:
        figures = measure(path, size, epochs, clock)
    finally:
        distributed.shutdown()
    if rank == 0:
        Path(out).write_text(json.dumps(figures))


def two_processes(path: str, size: str, epochs: int) -> dict:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = Path(path).with_suffix(f".{size}.json")
    mp.start_processes(_rank, args=(port, path, size, epochs, str(out)), nprocs=2, join=True, start_method="spawn")
    return json.loads(out.read_text())


def one_process(path: str, size: str, epochs: int, threads: int) -> dict:
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return {**measure(path, size, epochs, _Clock()), "communication_share": 0.0}
    finally:
        torch.set_num_threads(previous)


def reference_text(rows: list[dict], load: tuple[float, float], training: dict | None) -> str:
    """Why this run's times are no scaling figures: its load, and the same paper-size CMC-HNL
    batch-64 epoch as the training benchmark (``training.json``, when there is one) timed it."""
    text = (f"These configurations were timed one after another while the load fell from {load[0]:.1f} to "
            f"{load[1]:.1f} on 2 cores, so any two rows of the table compare runs disturbed by different amounts "
            "and say nothing about how pre-training scales")
    one = next((r for r in rows if (r["size"], r["processes"], r["threads"]) == ("paper", 1, 1)), None)
    same = next((r for r in (training or {}).get("pretraining", [])
                 if r["size"] == "paper" and r["batch_size"] == 64 and "cmc-hnl" in r["pair"]), None)
    if one is None or same is None:
        return text + "."
    t_load = training["load"]
    threads = _threads(training["machine"])
    # the run here with the training benchmark's thread count, when there is one: the like-for-like comparison
    alike = next((r for r in rows if (r["size"], r["processes"], r["threads"]) == ("paper", 1, threads)), None)
    versus = (f"{alike['epoch_best_s']:.2f} s for the 1 x {threads} run here, {alike['epoch_best_s'] / same['epoch_min_s']:.0f} "
              f"times longer, and {one['epoch_best_s']:.2f} s for the 1 x 1 run" if alike is not None and alike is not one else
              f"{one['epoch_best_s']:.2f} s for the 1 x 1 run here, {one['epoch_best_s'] / same['epoch_min_s']:.0f} times longer")
    with_threads = (f"with {threads} thread{'' if threads == 1 else 's'}" if threads is not None
                    else "with a thread count its machine text does not record")
    # which of the training benchmark's two timings: its short epoch runs (the median is what its
    # size factors use), not its full 150-epoch run, timed apart under another load
    return (text + f": the training benchmark (load {t_load[0]:.1f} at its start and "
            f"{t_load[1]:.1f} at its end) ran the same paper-size CMC-HNL epoch of batch 64, {with_threads}, "
            f"in its short epoch runs in {same['epoch_min_s']:.2f} s at best ({same['epoch_s']:.2f} s at their "
            f"median), against {versus}.")


# how machine() writes the parent's thread count into its text: " (2 threads)"
_THREADS = re.compile(r" \((\d+) threads?\)")


def _threads(machine_text: str) -> int | None:
    """The thread count that ``machine()`` wrote into ``machine_text`` ("... (2 threads) ...")."""
    found = _THREADS.search(machine_text)
    return int(found.group(1)) if found else None


def report(rows: list[dict], load: tuple[float, float], quick: bool, machine_text: str,
           training: dict | None = None) -> str:
    """The markdown report of ``rows`` measured on ``machine_text`` (``machine()`` of the run);
    ``training`` is ``training.json`` of the training benchmark, the quieter reference."""
    lines = [
        "# Distributed pre-training benchmark",
        "",
        # machine() records the parent's thread count; each row sets its own (the table's second column)
        f"Machine: {_THREADS.sub('', machine_text)}; the threads of each process are in the table's processes x threads column. No GPU was available for this measurement: every run is on the CPU. Load average (1 min) {load[0]:.1f} at the start, {load[1]:.1f} at the end. "
        "**The machine was shared and busy during this run** (other jobs ran on the same 2 cores: a "
        "load above 2 means the cores were oversubscribed), so the absolute figures are low "
        "and noisy; the best epoch is the least disturbed one.",
        "Workload: CMC-HNL pre-training, batch 64, skeleton + IMU, on the synthetic UTD-MHAD-sized set "
        f"(431 training pairs); {'1 measured epoch (--quick)' if quick else 'measured epochs'} after a warm-up epoch.",
        "",
        "| encoders | processes x threads | epoch, best (s) | epoch, mean (s) | pairs / s (best) | pairs / s (mean) "
        "| communication share (rank 0) |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['size']} | {row['processes']} x {row['threads']} | {row['epoch_best_s']:.2f} | {row['epoch_mean_s']:.2f} "
            f"| {row['pairs_per_s_best']:.0f} | {row['pairs_per_s_mean']:.0f} | {100 * row['communication_share']:.1f} % |"
        )
    lines += [
        "",
        "Communication: time inside the collectives (embedding gathers, global BatchNorm sums, DDP's gradient "
        "all-reduce made synchronous by a comm hook so that it can be timed) over "
        "rank 0's training time. On one 2-core machine the two processes' collectives go through loopback "
        "TCP (gloo) and include the time one rank waits for the other to finish its share of the step, so "
        "this share also holds any imbalance between the ranks.",
        "",
        "**Read these times as load, not scaling.** " + reference_text(rows, load, training) + " "
        # the load is stated above; the caveats add what the rows themselves show (e.g. a speed-up too large)
        + book.benchmark_caveats({"rows": rows, "gpu": "not measured"}),
        "",
        # a skimming reader takes any factor of a busy run for a scaling result
        "**This table is not representative of scaling: read no speed-up factor from it.** "
        "To measure one, re-run `python -m benchmarks.distributed` on an otherwise idle machine.",
        "",
    ]
    return "\n".join(lines)


def _training(results: Path) -> dict | None:
    path = results / "training.json"
    return json.loads(path.read_text()) if path.exists() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="lite only, 1 measured epoch, nothing written")
    parser.add_argument("--epochs", type=int, default=3, help="measured epochs per configuration (default: 3)")
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite distributed.md from distributed.json, measuring nothing")
    args = parser.parse_args(argv)
    results = ROOT / "benchmarks" / "results"
    if args.report_only:
        figures = json.loads((results / "distributed.json").read_text())
        (results / "distributed.md").write_text(report(figures["rows"], tuple(figures["load"]), False, figures["machine"],
                                                       _training(results)))
        return 0
    start_load = os.getloadavg()[0]
    epochs = 1 if args.quick else args.epochs
    exp = experiments.load_experiment_data("synthetic")
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "data.npz")
        np.savez(path, skeleton=exp.data.skeleton, imu=exp.data.imu, labels=exp.data.labels, train=exp.split.train)
        for size in ("lite",) if args.quick else SIZES:
            for threads in (1, 2):
                rows.append({"size": size, "processes": 1, "threads": threads, **one_process(path, size, epochs, threads)})
            rows.append({"size": size, "processes": 2, "threads": 1, **two_processes(path, size, epochs)})
            print(rows[-3:], flush=True)
    load = (start_load, os.getloadavg()[0])
    text = report(rows, load, args.quick, machine(), _training(results))
    print(text)
    if not args.quick:
        (results / "distributed.md").write_text(text)
        figures = {"machine": machine(), "load": list(load), "busy_machine": True, "gpu": "not measured (no GPU lent)",
                   "rows": rows}
        (results / "distributed.json").write_text(json.dumps(figures, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
