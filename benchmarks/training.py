"""Pre-training speed and memory: ``python -m benchmarks.training [--quick]``.

On the UTD-MHAD-sized synthetic set (861 pairs, 431 training pairs, 50 steps), for each
encoder pair (skeleton + IMU with CMC-HNL; IMU alone and skeleton alone with SimCLR-HNL) and
each size preset (paper, lite), with the batch sizes of Table 1:

* throughput: training pairs per second of pre-training (a SimCLR pair is one sample seen
  in two augmented views) in the best epoch, and the median and best epoch times, over
  ``--epochs`` epochs after one warm-up epoch (other jobs only add time, so the best epoch
  is the least disturbed one);
* peak memory: each configuration runs in a fresh subprocess, which loads the data and
  builds the model, resets the kernel's peak-RSS counter (``/proc/self/clear_refs``), trains,
  and reports its peak resident set (``VmHWM``, what ``ru_maxrss`` reports for a fresh
  process) and how far that peak rose above the resident set before training;
* where the time of one CMC-HNL step goes: augmentations, forward+backward of each encoder
  with its projection head, the loss, and the Adam step, timed separately (best of N);
* the wall time of one full paper-protocol run of ``cmc-hnl`` (paper preset: 150
  pre-training epochs, then 100 fine-tuning epochs of the multimodal head on cached
  features), and the heaviest operators of two of its epochs (torch.profiler).

Without ``--quick`` the report is written to ``benchmarks/results/training.md`` and its figures to
``benchmarks/results/training.json`` (which the book reads). The load average is recorded:
other jobs on the machine only add time, and absolute times are only as good as that.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

from benchmarks.losses import BETA, TAU_PLUS, TEMPERATURE, machine
from mmhar_lite import experiments, losses, training
from mmhar_lite.augment import imu_augmentation, skeleton_augmentation
from mmhar_lite.models import ProjectionHead, build_encoders

ROOT = Path(__file__).resolve().parents[1]
PAIRS = {  # name -> (method, modality)
    "skeleton + IMU (cmc-hnl)": ("cmc-hnl", "multimodal"),
    "IMU (simclr-hnl)": ("simclr-hnl", "imu"),
    "skeleton (simclr-hnl)": ("simclr-hnl", "skeleton"),
}


def _vm(field: str) -> int:
    """A ``/proc/self/status`` memory field in bytes (0 where /proc is unavailable)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def child(pair: str, size: str, epochs: int) -> dict:
    """Train one configuration for 1 + ``epochs`` epochs in this (fresh) process."""
    method, modality = PAIRS[pair]
    exp = experiments.load_experiment_data("synthetic")
    config = experiments.pretrain_config("synthetic", method, modality, n_classes=exp.n_classes, size=size,
                                         epochs=1 + epochs)
    before = _vm("VmRSS")
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    except OSError:
        pass
    result = training.pretrain(exp.data, exp.split.train, config, device="cpu", quiet=True)
    peak = _vm("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    times = [h["time_s"] for h in result.history[1:]]
    n = exp.split.train.size
    return {
        "pair": pair, "size": size, "batch_size": config.batch_size, "n_train": int(n),
        "measured_epochs": len(times), "epoch_s": statistics.median(times), "epoch_min_s": min(times), "pairs_per_s": n / min(times),
        "peak_mib": peak / 2**20, "growth_mib": (peak - before) / 2**20,
    }


def run_child(pair: str, size: str, epochs: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.training", "--child", pair, size, str(epochs)],
        check=True, capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, "OMP_NUM_THREADS": str(torch.get_num_threads())},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _best_ms(fn, repeats: int) -> float:
    """Fastest of ``repeats`` calls in ms: on a shared machine other jobs only ever add time,
    so the minimum is the least disturbed measurement (as timeit advises)."""
    fn()  # warm-up (oneDNN builds its kernels on first use)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return 1000 * min(times)


def step_breakdown(size: str, repeats: int) -> dict[str, float]:
    """Milliseconds (best of ``repeats``) of each part of one CMC-HNL step (batch 64, UTD-MHAD shapes)."""
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    encoders = build_encoders(imu_channels=6, skeleton_dims=3, n_joints=20, size=size).train()
    heads = torch.nn.ModuleDict({m: ProjectionHead(encoders[m].out_features) for m in encoders})
    skeleton, imu = torch.randn(64, 3, 50, 20), torch.randn(64, 6, 50)
    augment_s, augment_i = skeleton_augmentation("synthetic"), imu_augmentation("synthetic")
    parameters = list(encoders.parameters()) + list(heads.parameters())
    optimizer = torch.optim.Adam(parameters, lr=1e-3)

    def encode(m, x):
        return lambda: heads[m](encoders[m](x)).sum().backward()

    a = torch.randn(64, 128, requires_grad=True)
    b = torch.randn(64, 128, requires_grad=True)
    for p in parameters:
        p.grad = torch.zeros_like(p)
    return {
        "skeleton augmentation": _best_ms(lambda: augment_s(skeleton, generator), repeats),
        "IMU augmentation": _best_ms(lambda: augment_i(imu, generator), repeats),
        "skeleton encoder + head, forward + backward": _best_ms(encode("skeleton", skeleton), repeats),
        "IMU encoder + head, forward + backward": _best_ms(encode("imu", imu), repeats),
        "hard-negative loss, forward + backward": _best_ms(
            lambda: losses.hard_negative_info_nce(a, b, temperature=TEMPERATURE, tau_plus=TAU_PLUS, beta=BETA).backward(), repeats),
        "Adam step": _best_ms(optimizer.step, repeats),
    }


def full_run(epochs_scale: float, device: str = "cpu", amp: bool = False) -> dict:
    """One paper-protocol cmc-hnl run (paper preset) on the synthetic set, timed stage by stage."""
    started, cpu_started, load_started = time.perf_counter(), time.process_time(), os.getloadavg()[0]
    exp = experiments.load_experiment_data("synthetic")
    loaded = time.perf_counter()
    config = experiments.pretrain_config("synthetic", "cmc-hnl", n_classes=exp.n_classes, size="paper",
                                         epochs_scale=epochs_scale)
    pretrained = training.pretrain(exp.data, exp.split.train, config, device=device, amp=amp, quiet=True)
    tune = experiments.finetune_config("synthetic", "multimodal", epochs_scale=epochs_scale)
    result = training.finetune(pretrained.encoders, exp.data, exp.split.train, tune, test_indices=exp.split.test, quiet=True)
    return {
        "pretrain_epochs": config.epochs, "finetune_epochs": tune.epochs,
        "load_s": loaded - started, "pretrain_s": pretrained.seconds, "finetune_s": result.seconds,
        "total_s": time.perf_counter() - started, "cpu_s": time.process_time() - cpu_started,
        "load": (load_started, os.getloadavg()[0]),
        "epoch_min_s": min(h["time_s"] for h in pretrained.history),
        "epoch_median_s": statistics.median(h["time_s"] for h in pretrained.history),
        "accuracy": result.metrics["accuracy"],
        "macro_f1": result.metrics["macro_f1"],
    }


def profile_ops(epochs: int = 2, rows: int = 10) -> list[tuple[str, float]]:
    """Self-CPU share of the heaviest operators over ``epochs`` epochs of paper cmc-hnl."""
    from torch.profiler import ProfilerActivity, profile

    exp = experiments.load_experiment_data("synthetic")
    config = experiments.pretrain_config("synthetic", "cmc-hnl", n_classes=exp.n_classes, size="paper", epochs=epochs)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        training.pretrain(exp.data, exp.split.train, config, device="cpu", quiet=True)
    events = [e for e in prof.key_averages() if e.self_cpu_time_total > 0]
    total = sum(e.self_cpu_time_total for e in events)
    events.sort(key=lambda e: e.self_cpu_time_total, reverse=True)
    return [(e.key, 100 * e.self_cpu_time_total / total) for e in events[:rows]]


def _undisturbed(full: dict) -> float:
    """The full run's time had every pre-training epoch taken the median epoch time: other
    jobs on a shared machine only add time, and they add it to a few epochs."""
    return full["load_s"] + full["pretrain_epochs"] * full["epoch_median_s"] + full["finetune_s"]


def report(rows: list[dict], breakdown: dict, full: dict | None, ops: list, load: tuple[float, float], quick: bool,
           repeats: int = 15) -> str:
    lines = [
        "# Training benchmark",
        "",
        f"Machine: {machine()}. Load average {load[0]:.1f} at the start, {load[1]:.1f} at the end "
        f"(the benchmark's own {torch.get_num_threads()} threads account for a load of up to "
        f"{torch.get_num_threads()}; above that, other jobs shared the cores and absolute times are noisier).",
        "Data: the synthetic UTD-MHAD-sized set (861 pairs, 431 training pairs, 50 time steps per recording).",
        "",
        "**Pre-training epochs**",
        "",
        "| encoders | size | batch | epoch, median (s) | epoch, best (s) |",
        "|---|---|---|---|---|",
    ]
    # two narrow tables rather than one wide one: each fits a phone's width
    lines += [f"| {r['pair']} | {r['size']} | {r['batch_size']} | {r['epoch_s']:.2f} | {r['epoch_min_s']:.2f} |"
              for r in rows]
    lines += [
        "",
        "**Pre-training throughput and memory** (RSS, the resident set size: the memory the operating system "
        "counts for the process)",
        "",
        "| encoders | size | pairs / s (best epoch) | peak RSS (MiB) | growth in training (MiB) |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {r['pair']} | {r['size']} | {r['pairs_per_s']:.0f} | {r['peak_mib']:.0f} | {r['growth_mib']:.0f} |"
              for r in rows]
    lines += [
        "",
        f"Epoch times: median and best of the {rows[0]['measured_epochs']} measured epochs of each "
        "configuration, after one warm-up epoch; throughput from the best epoch, the "
        "one least disturbed by other jobs (a SimCLR pair is one sample in two augmented views). Peak RSS: the kernel's high-water mark of a fresh "
        "process that loaded the data and built the model (`VmHWM`, equal to `ru_maxrss`); growth: how "
        "far training raised it above the resident set before training.",
        "",
        f"**Where one CMC-HNL step goes** (batch 64, fastest of {repeats} calls, ms)",
        "",
        "| part | " + " | ".join(breakdown) + " |",
        "|---|" + "---|" * len(breakdown),
    ]
    parts = next(iter(breakdown.values()))
    for part in parts:
        lines.append(f"| {part} | " + " | ".join(f"{breakdown[s][part]:.1f}" for s in breakdown) + " |")
    if ops:
        lines += ["", "**Heaviest operators** (2 epochs of paper cmc-hnl, torch.profiler, share of self CPU time)", "",
                  "| operator | share (%) |", "|---|---|"]
        lines += [f"| `{name}` | {share:.1f} |" for name, share in ops]
        lines += ["", "Self CPU time: the time spent in an operator itself, not in the operators it calls. "
                  "`aten::` names PyTorch's own operators; `mkldnn_convolution` is a convolution run by "
                  "oneDNN (formerly MKL-DNN), the CPU kernel library; `bernoulli_` draws dropout masks, "
                  "`threshold_backward` is the gradient of ReLU, `mm`, `addmm` and `bmm` are matrix "
                  "products (the linear and attention layers)."]
    if full is not None:
        lines += [
            "",
            "**One full paper-protocol run of cmc-hnl** (paper preset)",
            "",
            f"{full['pretrain_epochs']} pre-training + {full['finetune_epochs']} fine-tuning epochs: "
            f"**{full['total_s']:.0f} s** wall time in all (data generation and preparation {full['load_s']:.1f} s, "
            f"pre-training {full['pretrain_s']:.0f} s, fine-tuning incl. feature caching {full['finetune_s']:.1f} s); "
            f"test accuracy {100 * full['accuracy']:.2f} %, macro-F1 {100 * full['macro_f1']:.2f} % (one seed, on the synthetic data; not comparable with the paper's UTD-MHAD results). "
            f"Process CPU time {full['cpu_s']:.0f} s; pre-training epochs took {full['epoch_min_s']:.2f} s at best and "
            f"{full['epoch_median_s']:.3f} s at the median; load average {full['load'][0]:.1f} before, "
            f"{full['load'][1]:.1f} after. Undisturbed estimate (data + {full['pretrain_epochs']} x median epoch + "
            f"fine-tuning): {full['load_s']:.2f} + {full['pretrain_epochs']} x {full['epoch_median_s']:.3f} + "
            f"{full['finetune_s']:.2f} = {_undisturbed(full):.1f} s, against {full['total_s']:.1f} s measured.",
        ]
    if quick:
        lines += ["", "(--quick: fewer epochs and repeats; not the recorded figures.)"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 measured epoch, no full run, nothing written")
    parser.add_argument("--epochs", type=int, default=5, help="measured epochs per configuration (default: 5)")
    parser.add_argument("--full-only", action="store_true",
                        help="only the full paper-protocol run, printed as JSON (e.g. with --device cuda)")
    parser.add_argument("--device", default="cpu", help="device of --full-only (default: cpu)")
    parser.add_argument("--amp", action="store_true", help="bf16 autocast in --full-only on CUDA")
    parser.add_argument("--child", nargs=3, metavar=("PAIR", "SIZE", "EPOCHS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], int(args.child[2]))))
        return 0
    if args.full_only:
        print(json.dumps({"device": args.device, "amp": args.amp, **full_run(1.0, args.device, args.amp)}))
        return 0
    start_load = os.getloadavg()[0]
    epochs = 1 if args.quick else args.epochs
    rows = [run_child(pair, size, epochs) for size in ("paper", "lite") for pair in PAIRS]
    repeats = 3 if args.quick else 15
    breakdown = {size: step_breakdown(size, repeats) for size in ("paper", "lite")}
    ops = [] if args.quick else profile_ops()
    full = None if args.quick else full_run(1.0)
    text = report(rows, breakdown, full, ops, (start_load, os.getloadavg()[0]), args.quick, repeats)
    print(text)
    if not args.quick:
        (ROOT / "benchmarks" / "results" / "training.md").write_text(text)
        figures = {"machine": machine(), "load": [start_load, os.getloadavg()[0]], "pretraining": rows,
                   "step_ms": breakdown, "full_run": {**full, "undisturbed_s": _undisturbed(full)}}
        (ROOT / "benchmarks" / "results" / "training.json").write_text(json.dumps(figures, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
