"""Parallel pre-trainings (issue 10): ``python -m benchmarks.jobs [--quick]``.

Runs the same small ``mmhar reproduce`` (synthetic set, lite encoders, one seed, a few epochs)
once per layout of the CPU, each in a fresh process with a fresh run cache:

* ``--jobs 2 --threads-per-job 1``: two worker processes, one torch thread each;
* ``--jobs 1 --threads-per-job 2``: the sequential loop, two torch threads.

and reports the wall time of each, with the load average before and after (other jobs on the
machine only add time; on a shared machine compare the two layouts only when the load was
similar). Without ``--quick`` the report goes to ``benchmarks/results/jobs.md`` and the figures
to ``benchmarks/results/jobs.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.losses import machine

ROOT = Path(__file__).resolve().parents[1]
METHODS = ("supervised", "simclr", "cmc", "cmc-hnl")  # 7 pre-trainings (supervised x3, SimCLR x2)
LAYOUTS = {"2 jobs x 1 thread": (2, 1), "1 job x 2 threads": (1, 2)}


def run_layout(jobs: int, threads: int, epochs: int, finetune_epochs: int) -> dict:
    """Wall time of one ``mmhar reproduce`` with ``jobs`` workers of ``threads`` threads."""
    with tempfile.TemporaryDirectory(prefix="mmhar-jobs-bench-") as out:
        command = [
            sys.executable, "-m", "mmhar_lite.cli", "reproduce", "--dataset", "synthetic", "--size", "lite",
            "--seeds", "1", "--methods", *METHODS, "--epochs", str(epochs), "--finetune-epochs", str(finetune_epochs),
            "--jobs", str(jobs), "--threads-per-job", str(threads), "--out", out, "--quiet", "--device", "cpu",
        ]
        environment = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": str(threads)}
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        subprocess.run(command, check=True, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds = time.perf_counter() - started
        records = json.loads((Path(out) / "results.json").read_text())
    return {
        "jobs": jobs, "threads_per_job": threads, "wall_s": round(seconds, 1),
        "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2),
        "pretrainings": len({(r["method"], r["pretrain_modality"]) for r in records}),
        "mean_accuracy": round(sum(r["accuracy"] for r in records) / len(records), 4),
    }


def report(rows: dict[str, dict], epochs: int, finetune_epochs: int) -> str:
    lines = [
        "# Parallel pre-trainings: `--jobs` (issue 10)", "",
        f"Machine: {machine()}.",
        f"Run: `mmhar reproduce --dataset synthetic --size lite --seeds 1 --methods {' '.join(METHODS)} "
        f"--epochs {epochs} --finetune-epochs {finetune_epochs}` with the layout's `--jobs` and `--threads-per-job` "
        "(fresh process and run cache each; wall time includes start-up, data generation and fine-tuning, "
        "which run in the main process).", "",
        "| layout | pre-trainings | wall time (s) | load average before | after | mean accuracy |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        lines.append(f"| {name} | {r['pretrainings']} | {r['wall_s']} | {r['load_before']} | {r['load_after']} | "
                     f"{100 * r['mean_accuracy']:.2f} % |")
    first, second = rows.values()
    lines += ["", f"Speed-up of the first layout over the second: {second['wall_s'] / first['wall_s']:.2f}x. "
              "Mean accuracies may differ between layouts: torch results depend on the thread count "
              "(the same layout gives the same records with or without `--jobs`, see tests/test_parallel.py).", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 epochs, print only")
    parser.add_argument("--epochs", type=int, default=10, help="pre-training epochs per run (default: %(default)s)")
    args = parser.parse_args(argv)
    epochs = 2 if args.quick else args.epochs
    finetune_epochs = 2 if args.quick else 20
    rows = {name: run_layout(jobs, threads, epochs, finetune_epochs) for name, (jobs, threads) in LAYOUTS.items()}
    text = report(rows, epochs, finetune_epochs)
    print(text)
    if not args.quick:
        results = ROOT / "benchmarks" / "results"
        (results / "jobs.md").write_text(text)
        (results / "jobs.json").write_text(json.dumps({"epochs": epochs, "finetune_epochs": finetune_epochs,
                                                        "methods": list(METHODS), "layouts": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
