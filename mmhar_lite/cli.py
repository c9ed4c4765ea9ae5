"""The ``mmhar`` command line: a thin caller of the package's public API.

Each subcommand is one ``_add_<name>_parser(subparsers)`` that registers its options and sets
``run=_run_<name>``, plus that ``_run_<name>(args) -> int``. To add a subcommand, write the pair
and append the adder to ``_SUBCOMMANDS``.

Exit codes: 0 success; 1 an error (bad data, request, checkpoint or output folder, a run that
diverged, a failed write: one line on stderr, never a traceback); 2 a usage error (argparse);
130 interrupted (Ctrl-C). Every file is written under a temporary name and renamed when
complete (:mod:`mmhar_lite.files`), so an interrupted command leaves no half-written file, and
``--out`` is checked before any work.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Callable, Sequence

from mmhar_lite import __version__, distributed, experiments, files, training
from mmhar_lite.checkpoints import CheckpointError
from mmhar_lite.data import DATASETS, DatasetError, format_summary, load_dataset, summarize_dataset

__all__ = ["build_parser", "main"]


def _add_data_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "data",
        help="check a dataset (synthetic or a real download) and summarise it",
        description=(
            "Load a dataset and print a summary: samples, classes, subjects, expected-but-missing "
            "trials, skipped files with the reason, and the train/test sizes of a protocol."
        ),
    )
    parser.add_argument("--dataset", required=True, choices=DATASETS, help="which dataset to load")
    parser.add_argument("--root", help="folder of the download (utd-mhad: has Inertial/ and Skeleton/)")
    parser.add_argument(
        "--protocol",
        choices=("cross-subject", "cross-session"),
        default="cross-subject",
        help="split to report sizes for (cross-session: mmact only; default: %(default)s)",
    )
    parser.add_argument("--seed", type=_seed, default=0, help="seed of the synthetic generator (default: 0)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--strict", action="store_true", help="fail on the first bad file instead of skipping it")
    parser.set_defaults(run=_run_data)


def _seed(text: str) -> int:
    """An argparse type: a seed torch and numpy both take."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if not 0 <= value <= training.MAX_SEED:
        raise argparse.ArgumentTypeError(f"expected an integer in [0, 2**63 - 1], got {text}")
    return value


def _run_data(args: argparse.Namespace) -> int:
    if args.dataset != "synthetic" and args.root is None:
        raise DatasetError(f"--dataset {args.dataset} needs --root PATH (the folder of the download)")
    if args.protocol == "cross-session" and args.dataset != "mmact":
        raise DatasetError(f"--protocol cross-session exists for mmact only, not {args.dataset}")
    raw = load_dataset(args.dataset, args.root, strict=args.strict, seed=args.seed)
    summary = summarize_dataset(raw, args.protocol)
    print(json.dumps(summary, indent=2) if args.json else format_summary(summary))
    return 0


# ----------------------------------------------------------------------------- training commands
# pretrain / finetune / reproduce / sweep-beta / limited-labels: thin callers of
# mmhar_lite.experiments. Names and values are validated there (ConfigError), before any
# training, and reported as one line with exit code 1.


def _experiment_errors(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def guarded(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except experiments.ConfigError as error:
            print(f"mmhar {args.command}: error: {error}", file=sys.stderr)
            return 1

    return guarded


def _add_data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", default="synthetic",
                        help="synthetic | utd-mhad | mmact-xsub | mmact-xsession (default: %(default)s)")
    parser.add_argument("--root", help="folder of the download (real datasets)")
    parser.add_argument("--preset", help="hyper-parameter preset if not the dataset's own (Table 1): "
                        + " | ".join(experiments.PRESETS) + "; utd-mhad-public-simclr is not the paper's "
                        "(SimCLR on skeletons as the public CMC-CMKM code trains it)")


def _add_run_options(parser: argparse.ArgumentParser, *, pretraining: bool = True, finetuning: bool = True) -> None:
    if pretraining:
        parser.add_argument("--size", default="paper", help="encoder size: paper | lite (default: %(default)s)")
        group = parser.add_argument_group("pre-training overrides (default: the preset, Table 1)")
        group.add_argument("--epochs", type=int, help="pre-training epochs (paper: 150)")
        group.add_argument("--batch-size", type=int)
        group.add_argument("--lr", type=float)
        group.add_argument("--temperature", type=float)
        group.add_argument("--tau-plus", type=float)
        group.add_argument("--beta", type=float)
    if finetuning:  # `pretrain` does not fine-tune: it refuses these instead of ignoring them
        group = parser.add_argument_group("fine-tuning overrides")
        group.add_argument("--finetune-epochs", type=int, help="fine-tuning epochs (paper: 100)")
        group.add_argument("--finetune-batch-size", type=int)
        group.add_argument("--finetune-lr", type=float)
    parser.add_argument("--epochs-scale", type=float, default=1.0,
                        help="multiply the preset's epochs, e.g. 0.1 for a quick look (default: 1)")
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda (default: %(default)s)")
    parser.add_argument("--amp", action="store_true", help="bf16 autocast on CUDA")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def _overrides(args: argparse.Namespace) -> dict:
    names = ("epochs", "batch_size", "lr", "temperature", "tau_plus", "beta")
    return {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}


def _finetune_overrides(args: argparse.Namespace) -> dict:
    names = {"finetune_epochs": "epochs", "finetune_batch_size": "batch_size", "finetune_lr": "lr"}
    return {field: getattr(args, n) for n, field in names.items() if getattr(args, n) is not None}


def _out(args: argparse.Namespace, default: str) -> str:
    out = args.out or f"runs/{default}"
    _check_out(out)
    return out


def _check_out(out: str | Path) -> None:
    """Refuse, before any work, an output folder that cannot hold results: an existing file,
    a path below a file, or a place where nothing can be written. Creates nothing."""
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise experiments.ConfigError(f"--out {out} is an existing file; expected a folder (existing or to create)")
    ancestor = path
    while not ancestor.exists() and not ancestor.is_symlink():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise experiments.ConfigError(f"--out {out}: {ancestor} is not a folder, so no folder can be made there; "
                                      "expected a writable folder")
    try:
        with tempfile.TemporaryFile(dir=ancestor):
            pass
    except OSError as error:
        raise experiments.ConfigError(f"--out {out}: cannot write in {ancestor} ({error.strerror or error}); "
                                      "expected a writable folder") from None


def _add_pretrain_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("pretrain", help="pre-train encoders with one method",
                                   description="Pre-train encoders; writes OUT/checkpoint.pt and OUT/history.json.")
    _add_data_options(parser)
    parser.add_argument("--method", required=True, help="supervised | simclr | simclr-hnl | cmc | cmc-debiased | "
                        "cmc-hnl | cmc-hnl-oracle | cmc-cmkm | random-init")
    parser.add_argument("--modality", help="imu | skeleton | multimodal (default: the method's first)")
    parser.add_argument("--seed", type=_seed, default=0)
    parser.add_argument("--out", help="output folder (default: runs/pretrain-DATASET-METHOD-seedS)")
    parser.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt if it exists")
    parser.add_argument("--monitor-fraction", type=float, default=0.1,
                        help="cmc* methods: fraction of the training split held out (seed 0) and watched every epoch "
                             "(retrieval top-1/top-5 both ways, alignment, uniformity); 0 trains on the whole split "
                             "and records the loss only (default: %(default)s)")
    parser.add_argument("--tensorboard", metavar="DIR",
                        help="also write the per-epoch scalars as TensorBoard event files to DIR "
                             "(needs the optional tensorboard package)")
    _add_run_options(parser, finetuning=False)
    parser.set_defaults(run=_run_pretrain)


@contextlib.contextmanager
def _torchrun(args: argparse.Namespace):
    """Under torchrun (``torchrun --nproc-per-node N -m mmhar_lite pretrain ...``): this process
    joins the process group for the command and leaves it afterwards; an unexpected error is
    reported with the rank it happened on (torchrun then stops the other ranks)."""
    if not distributed.launched():
        yield
        return
    try:
        distributed.init_from_env(args.device)
    except ValueError as error:
        raise experiments.ConfigError(str(error)) from None
    try:
        yield
    except (experiments.ConfigError, DatasetError):
        raise
    except Exception as error:
        print(f"mmhar {args.command}: error on rank {distributed.rank()} of {distributed.world_size()}: "
              f"{type(error).__name__}: {error}", file=sys.stderr)
        raise
    finally:
        distributed.shutdown()


@_experiment_errors
def _run_pretrain(args: argparse.Namespace) -> int:
    out = _out(args, f"pretrain-{args.dataset}-{args.method}-seed{args.seed}")
    with _torchrun(args):
        result = experiments.run_pretrain(
            args.dataset, args.method, args.modality, root=args.root, preset=args.preset, size=args.size,
            seed=args.seed, epochs_scale=args.epochs_scale, overrides=_overrides(args), out=out,
            resume=args.resume, device=args.device, amp=args.amp, quiet=args.quiet,
            monitor_fraction=args.monitor_fraction, tensorboard=args.tensorboard,
        )
        ranks, main = distributed.world_size(), distributed.is_main()
    final = result.history[-1]["loss"] if result.history else float("nan")
    last = result.history[-1] if result.history else {}
    watched = (f", watched rows: retrieval top-1 IMU->skeleton {100 * last['imu_to_skeleton_top1']:.1f} %, "
               f"skeleton->IMU {100 * last['skeleton_to_imu_top1']:.1f} %" if "imu_to_skeleton_top1" in last else "")
    if main:
        epochs = len(result.history)
        print(f"{args.method} ({result.config.modality}): {epochs} epoch{'' if epochs == 1 else 's'}, final loss {final:.4f}{watched}, "
              f"{result.seconds:.1f} s{f' on {ranks} processes' if ranks > 1 else ''} -> {out}/checkpoint.pt")
    return 0


def _add_finetune_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("finetune", help="frozen-encoder evaluation of a pre-trained checkpoint",
                                   description="Freeze the encoders of CHECKPOINT, train a head on cached features, "
                                               "report test accuracy / macro-F1; writes OUT/finetune-MODALITY.json.")
    parser.add_argument("--checkpoint", required=True, help="checkpoint.pt written by `mmhar pretrain`")
    _add_data_options(parser)
    parser.add_argument("--finetune-modality", default="multimodal", help="multimodal | imu | skeleton (default: %(default)s)")
    parser.add_argument("--label-fraction", type=float, default=1.0, help="class-stratified labelled fraction (default: 1)")
    parser.add_argument("--seed", type=_seed, default=0)
    parser.add_argument("--out", help="output folder (default: the checkpoint's folder)")
    _add_run_options(parser, pretraining=False)
    parser.set_defaults(run=_run_finetune)


@_experiment_errors
def _run_finetune(args: argparse.Namespace) -> int:
    out = args.out or Path(args.checkpoint).parent
    _check_out(out)
    record = experiments.run_finetune(
        args.checkpoint, args.dataset, root=args.root, preset=args.preset, finetune_modality=args.finetune_modality,
        label_fraction=args.label_fraction, seed=args.seed, epochs_scale=args.epochs_scale,
        overrides=_finetune_overrides(args), out=out,
        device=args.device, quiet=args.quiet,
    )
    print(f"{record['method']} -> {args.finetune_modality}: accuracy {100 * record['accuracy']:.2f} %, "
          f"macro-F1 {100 * record['macro_f1']:.2f} %")
    return 0


def _add_experiment_options(parser: argparse.ArgumentParser, default_seeds: int = 3) -> None:
    _add_data_options(parser)
    parser.add_argument("--seeds", type=int, default=default_seeds, help="number of seeds (default: %(default)s)")
    parser.add_argument("--out", help="output folder (default: runs/COMMAND-DATASET)")
    _add_run_options(parser)
    _add_jobs_options(parser)


def _add_jobs_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("parallel runs and resuming")
    group.add_argument("--jobs", type=int, default=1,
                       help="independent pre-trainings run in this many worker processes (default: %(default)s)")
    group.add_argument("--threads-per-job", type=int,
                       help="torch threads of each worker, and of this process (default: torch's, i.e. OMP_NUM_THREADS)")
    group.add_argument("--cache-dir", help="finished pre-training runs, reused when the command is run again "
                       "(default: OUT/run-cache)")
    group.add_argument("--no-cache", action="store_true", help="keep no run cache (needs --jobs 1)")
    group.add_argument("--resume", action="store_true",
                       help="take the records of the runs an earlier call finished into OUT (OUT/finished.json, "
                            "written when this flag is given) instead of training them again, on any machine")


def _jobs_options(args: argparse.Namespace, out: str) -> dict:
    """jobs, threads_per_job and cache_dir for an experiment runner; sets this process's threads."""
    if args.no_cache and args.jobs != 1:
        raise experiments.ConfigError("--no-cache needs --jobs 1 (worker processes hand their runs over through the cache)")
    if args.threads_per_job is not None:
        if args.threads_per_job < 1:
            raise experiments.ConfigError(f"--threads-per-job must be >= 1, got {args.threads_per_job}")
        import torch

        torch.set_num_threads(args.threads_per_job)  # fine-tuning (and --jobs 1 pre-training) run here
    cache_dir = None if args.no_cache else (args.cache_dir or str(Path(out) / "run-cache"))
    return dict(jobs=args.jobs, threads_per_job=args.threads_per_job, cache_dir=cache_dir, resume=args.resume)


def _report(records: list[dict], out: str) -> None:
    print((Path(out) / "results.md").read_text() if records else "no records")
    print(f"wrote {out}/results.json, results.csv, results.md")


def _add_reproduce_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("reproduce", help="Tables 2 and 3: every method, several seeds",
                                   description="Run the rows of Tables 2-3 and write OUT/results.json, results.csv "
                                               "and results.md (mean ± std beside the paper's numbers).")
    parser.add_argument("--methods", nargs="+", help="methods to run (default: all of Tables 2-3 and random-init)")
    _add_experiment_options(parser)
    parser.set_defaults(run=_run_reproduce)


@_experiment_errors
def _run_reproduce(args: argparse.Namespace) -> int:
    out = _out(args, f"reproduce-{args.dataset}")
    records = experiments.reproduce(
        args.dataset, methods=args.methods or experiments.DEFAULT_METHODS, **_run_options(args, out)
    )
    _report(records, out)
    return 0


def _run_options(args: argparse.Namespace, out: Path) -> dict:
    """The keyword arguments every experiment runner takes from the shared options."""
    return dict(
        root=args.root, seeds=args.seeds, epochs_scale=args.epochs_scale, size=args.size, preset=args.preset,
        out=out, device=args.device, amp=args.amp, quiet=args.quiet, overrides=_overrides(args),
        finetune_overrides=_finetune_overrides(args), **_jobs_options(args, out),
    )


def _write_plot(figure, path: Path) -> None:
    # plotly.js embedded (about 3.5 MB): the plot opens with the network off, like the book.
    with files.atomic_path(path) as tmp:
        figure.write_html(tmp, include_plotlyjs=True)
    print(f"wrote {path}")


def _add_sweep_beta_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("sweep-beta", help="Figure 3: accuracy against beta",
                                   description="Pre-train a hard-negative method at each beta and evaluate it; writes "
                                               "OUT/results.* and OUT/beta_sweep.html.")
    parser.add_argument("--betas", nargs="+", type=float, help="beta grid (default: 0.25 0.5 1 1.5 2)")
    parser.add_argument("--method", default="cmc-hnl", help="cmc-hnl | cmc-hnl-oracle | simclr-hnl (default: %(default)s)")
    parser.add_argument("--finetune-modality", default="multimodal", help="multimodal | imu | skeleton")
    _add_experiment_options(parser)
    parser.set_defaults(run=_run_sweep_beta)


@_experiment_errors
def _run_sweep_beta(args: argparse.Namespace) -> int:
    from mmhar_lite import viz  # plotly is an optional (book) dependency: import on use

    out = _out(args, f"sweep-beta-{args.dataset}")
    records = experiments.sweep_beta(
        args.dataset, betas=args.betas or experiments.BETAS, method=args.method,
        finetune_modality=args.finetune_modality, **_run_options(args, out),
    )
    _report(records, out)
    summary = experiments.summarize(records, ("method", "finetune_modality", "beta"))
    _write_plot(viz.beta_sweep_figure(summary), Path(out) / "beta_sweep.html")
    return 0


def _add_limited_labels_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("limited-labels", help="Figure 4: fine-tuning with 2-50 %% of the labels",
                                   description="Fine-tune on class-stratified label fractions; writes OUT/results.* "
                                               "and OUT/limited_labels.html (mean and 95 % CI over seeds).")
    parser.add_argument("--fractions", nargs="+", type=float, help="label fractions (default: 0.02 0.05 0.1 0.25 0.5)")
    parser.add_argument("--methods", nargs="+", help="default: supervised cmc cmc-hnl")
    parser.add_argument("--finetune-modality", default="multimodal", help="multimodal | imu | skeleton")
    _add_experiment_options(parser)
    parser.set_defaults(run=_run_limited_labels)


@_experiment_errors
def _run_limited_labels(args: argparse.Namespace) -> int:
    from mmhar_lite import viz  # plotly is an optional (book) dependency: import on use

    out = _out(args, f"limited-labels-{args.dataset}")
    records = experiments.limited_labels(
        args.dataset, fractions=args.fractions or experiments.LABEL_FRACTIONS,
        methods=args.methods or ("supervised", "cmc", "cmc-hnl"), finetune_modality=args.finetune_modality,
        **_run_options(args, out),
    )
    _report(records, out)
    summary = experiments.summarize(records, ("method", "finetune_modality", "label_fraction"))
    _write_plot(viz.limited_labels_figure(summary), Path(out) / "limited_labels.html")
    return 0


def _add_regimes_parser(subparsers: argparse._SubParsersAction) -> None:
    from mmhar_lite import regimes

    parser = subparsers.add_parser(
        "regimes", help="CMC, CMC-HNL and the label oracle across synthetic difficulty regimes and batch sizes",
        description="Pre-train each method on each difficulty regime of the synthetic data (mmhar_lite.regimes.REGIMES) "
                    "at each batch size and seed; writes OUT/results.* and OUT/runs/.")
    parser.add_argument("--regimes", nargs="+", choices=list(regimes.REGIMES), help="default: all")
    parser.add_argument("--methods", nargs="+", help=f"default: {' '.join(regimes.REGIME_METHODS)}")
    parser.add_argument("--batch-sizes", nargs="+", type=int, help="default: 32 128")
    parser.add_argument("--finetune-modalities", nargs="+", default=["multimodal", "imu"],
                        help="heads to evaluate each run with (default: multimodal imu)")
    parser.add_argument("--seeds", type=int, default=3, help="number of seeds (default: %(default)s)")
    parser.add_argument("--out", help="output folder (default: runs/regimes-synthetic)")
    parser.add_argument("--cache-dir", help="reuse finished pre-training runs kept in this folder")
    _add_run_options(parser)
    parser.set_defaults(run=_run_regimes)


@_experiment_errors
def _run_regimes(args: argparse.Namespace) -> int:
    from mmhar_lite import regimes

    out = _out(args, "regimes-synthetic")
    names = args.regimes or list(regimes.REGIMES)
    overrides = _overrides(args)
    if "batch_size" in overrides:
        raise experiments.ConfigError("use --batch-sizes (a list) instead of --batch-size")
    records = regimes.run_regimes(
        {n: regimes.REGIMES[n] for n in names}, methods=args.methods or regimes.REGIME_METHODS,
        batch_sizes=args.batch_sizes or regimes.REGIME_BATCH_SIZES, finetune_modalities=args.finetune_modalities,
        seeds=args.seeds, epochs_scale=args.epochs_scale, size=args.size, out=out, device=args.device,
        amp=args.amp, quiet=args.quiet, overrides=overrides, finetune_overrides=_finetune_overrides(args), cache_dir=args.cache_dir,
    )
    _report(records, out)
    return 0


_SUBCOMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_data_parser,
    _add_pretrain_parser,
    _add_finetune_parser,
    _add_reproduce_parser,
    _add_sweep_beta_parser,
    _add_limited_labels_parser,
    _add_regimes_parser,
]


def build_parser() -> argparse.ArgumentParser:
    """The `mmhar` parser with one subparser per subcommand."""
    parser = argparse.ArgumentParser(
        prog="mmhar",
        description="mmhar-lite: multimodal (skeleton + IMU) contrastive learning with hard negatives.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in _SUBCOMMANDS:
        add(subparsers)
    return parser


# Errors that are the input's or the run's, not the program's: their message is the report.
_EXPECTED_ERRORS = (DatasetError, experiments.ConfigError, CheckpointError, training.TrainingDiverged, OSError)


def main(argv: Sequence[str] | None = None) -> int:
    """Run `mmhar` with `argv` (default: sys.argv[1:]); returns the exit code (module docstring)."""
    args = build_parser().parse_args(argv)  # usage errors exit 2 here
    if distributed.launched() and args.command != "pretrain":
        # every rank would run the whole command and write the same files
        print(f"mmhar {args.command}: error: only `mmhar pretrain` runs under torchrun", file=sys.stderr)
        return 2
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print(f"mmhar {args.command}: interrupted (no file is left half-written)", file=sys.stderr)
        return 130
    except Exception as error:  # no exception type escapes as a traceback
        # One line, printable whatever the terminal (file names that are not UTF-8 included).
        message = re.sub(r"\s*\n\s*", " ", str(error)).strip().encode("utf-8", "backslashreplace").decode() or "no detail"
        if not isinstance(error, _EXPECTED_ERRORS):
            message = f"unexpected {type(error).__name__}: {message}"
        print(f"mmhar {args.command}: error: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
