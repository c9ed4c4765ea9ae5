"""Speed and memory of the contrastive losses: ``python -m benchmarks.losses``.

For each batch size B (E = 128, float32, CPU) it measures forward + backward of
``info_nce``, ``debiased_info_nce``, ``hard_negative_info_nce`` (all ``negatives="cross"``)
and of a naive hard-negative loss written like the reference code (materialise the masked
``(B, B - 1)`` negative matrix, exponentiate, re-weight), then prints a markdown table and
writes it to ``benchmarks/results/losses.md``.

Time: median of ``--repeats`` runs after one warm-up, in this process, the methods taking turns
in a freshly shuffled order within each repeat (whichever method runs right after a different
one pays for cold caches, so a fixed order would bias the ratios). ``--clock cpu`` (the default)
times the process's CPU time, which on a shared machine does not count the time other jobs
hold the cores; ``--clock wall`` times wall-clock.
Peak memory: one forward + backward of every (method, B) under ``torch.profiler`` with
``profile_memory=True``; replaying its allocation and free events in time order gives the
peak of the tensor memory held on top of the inputs (gradients included). Unlike the peak
resident set size, which the allocator's slack blurs by a few MiB, this resolves small batches
(at B = 64 the whole loss needs well under 1 MiB) and does not depend on other processes.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import statistics
import time
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F

from mmhar_lite.losses import debiased_info_nce, hard_negative_info_nce, info_nce
from mmhar_lite.presets import PRESETS

DIM = 128
# the loss as the paper preset pre-trains CMC-HNL on UTD-MHAD (Table 1 and its class prior), so
# the Performance page can call these the preset's values
_, _, TEMPERATURE, BETA = PRESETS["utd-mhad"].table1[("cmc-hnl", "multimodal")]
TAU_PLUS = PRESETS["utd-mhad"].tau_plus
RESULTS = Path(__file__).resolve().parent / "results" / "losses.md"


def naive_hard_negative(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Hard-negative loss as the reference code writes it (``(B, E)`` inputs, cross-modal)."""
    batch = a.shape[0]
    za, zb = F.normalize(a, dim=1), F.normalize(b, dim=1)
    off_diagonal = ~torch.eye(batch, dtype=torch.bool)

    def one_direction(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        sim = torch.exp(x @ y.T / TEMPERATURE)
        pos = sim.diagonal()
        neg = sim.masked_select(off_diagonal).view(batch, batch - 1)
        n = batch - 1
        imp = (BETA * neg.log()).exp()
        reweight_neg = (imp * neg).sum(dim=-1) / imp.mean(dim=-1)
        ng = (-TAU_PLUS * n * pos + reweight_neg) / (1 - TAU_PLUS)
        ng = torch.clamp(ng, min=n * math.exp(-1 / TEMPERATURE))
        return (-torch.log(pos / (pos + ng))).mean()

    return 0.5 * (one_direction(za, zb) + one_direction(zb, za))


METHODS: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "info_nce": lambda a, b: info_nce(a, b, temperature=TEMPERATURE),
    "debiased": lambda a, b: debiased_info_nce(a, b, temperature=TEMPERATURE, tau_plus=TAU_PLUS),
    "hard_negative": lambda a, b: hard_negative_info_nce(
        a, b, temperature=TEMPERATURE, tau_plus=TAU_PLUS, beta=BETA
    ),
    "naive": naive_hard_negative,
}


def _inputs(batch: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    a = torch.randn(batch, DIM, generator=generator).requires_grad_()
    b = torch.randn(batch, DIM, generator=generator).requires_grad_()
    return a, b


def _step(method: str, a: torch.Tensor, b: torch.Tensor) -> None:
    a.grad = b.grad = None
    METHODS[method](a, b).backward()


CLOCKS: dict[str, Callable[[], float]] = {"cpu": time.process_time, "wall": time.perf_counter}


def time_methods(batch: int, repeats: int, clock: str = "cpu") -> dict[str, float]:
    """Median seconds of forward + backward per method, after one warm-up each.

    Methods take turns in a shuffled order (seeded) within each repeat, so load from other jobs
    and cache effects fall on all of them alike and the ratios stay meaningful.
    """
    a, b = _inputs(batch)
    now = CLOCKS[clock]
    times: dict[str, list[float]] = {m: [] for m in METHODS}
    for method in METHODS:
        _step(method, a, b)
    order = list(METHODS)
    shuffler = random.Random(batch)
    for _ in range(repeats):
        shuffler.shuffle(order)
        for method in order:
            start = now()
            _step(method, a, b)
            times[method].append(now() - start)
    return {m: statistics.median(t) for m, t in times.items()}


def peak_memory(method: str, batch: int) -> int:
    """Peak tensor memory (bytes) that one forward + backward allocates on top of its inputs."""
    a, b = _inputs(batch)
    _step(method, a, b)  # warm-up: lazy initialisation is not the loss's memory
    a.grad = b.grad = None
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU], profile_memory=True) as prof:
        _step(method, a, b)
    events = sorted(
        (e for e in prof.profiler.kineto_results.events() if e.name() == "[memory]"), key=lambda e: e.start_ns()
    )
    held = peak = 0
    for event in events:
        held += event.nbytes()  # negative for a free
        peak = max(peak, held)
    return peak


def goals_text(ratios: list[tuple[int, float, float, float]]) -> str:
    """The project's speed targets for the hard-negative loss and whether the Ratios table meets
    them; ``ratios`` holds ``(B, HNL / InfoNCE time, HNL / InfoNCE memory, naive / HNL time)`` rows."""
    # each check once: its relative margin to its limit (negative: missed), what it measured and
    # the limit; a median whose spread is not recorded says "met in this run", and the smallest
    # margin says how far that is from a miss
    checks = ([((1.25 - t) / 1.25, f"HNL / InfoNCE time {t:.2f} at B = {b}", "1.25") for b, t, _, _ in ratios]
              + [((1.5 - m) / 1.5, f"HNL / InfoNCE memory {m:.2f} at B = {b}", "1.5") for b, _, m, _ in ratios]
              + [((n - 1.5) / 1.5, f"naive / HNL time {n:.2f} at B = {b}", "1.5")
                 for b, _, _, n in ratios if b >= 1024])
    missed = [name for margin, name, _ in checks if margin < 0]
    margin, name, limit = min(checks)
    verdict = (f"Met by this run's medians in the Ratios table above: the "
               f"closest to its limit, {name} (limit {limit}), is {100 * margin:.0f} % inside it, which another run "
               "on a busier machine may not be." if not missed
               else "Missed in this run: " + "; ".join(missed) + ".")
    return ("The project's speed targets for the hard-negative loss: HNL/InfoNCE time <= 1.25 and memory <= 1.5 "
            f"at every B; naive/HNL time >= 1.5 at B >= 1024. {verdict}")


def machine() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{model}, {os.cpu_count()} logical cores visible, torch {torch.__version__} "
        f"({torch.get_num_threads()} thread{'' if torch.get_num_threads() == 1 else 's'}), Python {platform.python_version()}"
    )


def repeats_for(batch: int, repeats: int) -> int:
    """``repeats`` at B >= 1024, more below (up to 1000) so that small, noisy runs get as much time."""
    return min(1000, repeats * (1024 // batch) ** 2) if batch < 1024 else repeats


def run(batches: list[int], repeats: int, clock: str = "cpu", scale_repeats: bool = True) -> str:
    """Measure every method at every batch size and return the markdown report."""
    rows = []
    counts = {b: repeats_for(b, repeats) if scale_repeats else repeats for b in batches}
    for batch in batches:
        times = time_methods(batch, counts[batch], clock)
        peaks = {m: peak_memory(m, batch) for m in METHODS}
        rows.append((batch, times, peaks))
        print(f"B={batch}: " + ", ".join(f"{m} {times[m] * 1e3:.1f} ms" for m in METHODS), flush=True)
    mib = 1024.0**2
    lines = [
        "# Contrastive loss benchmark",
        "",
        f"Forward + backward, E = {DIM}, float32, CPU, `negatives=\"cross\"`, temperature {TEMPERATURE}, "
        f"tau_plus {TAU_PLUS}, beta {BETA}. Time: median {'process CPU time' if clock == 'cpu' else 'wall-clock time'} "
        f"of {', '.join(f'{counts[b]} (B = {b})' for b in batches)} runs after a warm-up, "
        "methods taking turns in a shuffled order within each run. "
        "Peak memory: the most tensor memory held at once during one forward + backward on top of the "
        "inputs, gradients included (torch.profiler allocation events replayed in order; exact and "
        "deterministic, unlike the resident set size, RSS, the memory the operating system counts for the process). "
        "HNL: the hard-negative loss. `naive` follows the reference code literally (masked (B, B-1) negative matrix, exp, re-weight).",
        "",
        f"Machine: {machine()}. Load average {os.getloadavg()[0]:.1f} at the end of the run (above 1 means "
        "other jobs shared the cores, which makes absolute times noisier); the ratios are measured in the "
        "same run.",
        "",
        # three narrow tables rather than one of 12 columns: each fits a phone's width
        "**Time** (ms)",
        "",
        "| B | InfoNCE | debiased | HNL | naive |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {batch} | " + " | ".join(f"{t[m] * 1e3:.2f}" for m in METHODS) + " |" for batch, t, _ in rows]
    lines += ["", "**Peak memory** (MiB)", "", "| B | InfoNCE | debiased | HNL | naive |", "|---|---|---|---|---|"]
    lines += [f"| {batch} | " + " | ".join(f"{p[m] / mib:.2f}" for m in METHODS) + " |" for batch, _, p in rows]
    lines += ["", "**Ratios**", "", "| B | HNL / InfoNCE time | HNL / InfoNCE memory | naive / HNL time |",
              "|---|---|---|---|"]
    lines += [f"| {batch} | {t['hard_negative'] / t['info_nce']:.2f} | {p['hard_negative'] / p['info_nce']:.2f} | "
              f"{t['naive'] / t['hard_negative']:.2f} |" for batch, t, p in rows]
    lines += [
        "",
        goals_text([(batch, t["hard_negative"] / t["info_nce"], p["hard_negative"] / p["info_nce"],
                     t["naive"] / t["hard_negative"]) for batch, t, p in rows]),
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[64, 256, 1024, 4096])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="tiny run (B = 16, 2 repeats) for smoke tests, no results file")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="cpu", help="cpu: process CPU time (robust to other jobs); wall: wall-clock")
    parser.add_argument("--output", type=Path, default=RESULTS, help="markdown file to write")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.quick:
        print(run([16], 2, args.clock, scale_repeats=False))
        return
    report = run(args.batches, args.repeats, args.clock)
    print(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report)
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
