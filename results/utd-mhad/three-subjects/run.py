"""Rows of Tables 2-3 trained on three of the four training subjects (1, 3, 5), the training set
of the public CMC-CMKM code, whose README holds subject 7 out for validation; scored on the test
subjects 2, 4, 6, 8 (issue 10). Subject 7 is left out here (nothing is selected on it).

The committed rows train on all four training subjects, as the paper's protocol states, and the
IMU rows land far above the paper; this asks how much of that lead the fourth subject makes.
Everything else is the ``utd-mhad`` preset (Table 1, paper encoders, 150 + 100 epochs), through
``experiments.reproduce``; the IMU is standardised with the three subjects' rows.

    python results/utd-mhad/three-subjects/run.py ../shared/data/utd-mhad --methods cmc random-init \\
        --seeds 3 --jobs 2 --cache-dir /tmp/run-cache

Writes ``results.json`` / ``.csv`` / ``.md`` and ``runs/`` beside this file (``--out``).
"""
import argparse
from pathlib import Path

from mmhar_lite import experiments
from mmhar_lite.data import load_dataset
from mmhar_lite.data.datasets import (
    Split, apply_imu_standardizer, fit_imu_standardizer, prepare, utd_cross_subject_split,
)

HERE = Path(__file__).parent
LEFT_OUT = 7


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", help="the real UTD-MHAD release")
    parser.add_argument("--methods", nargs="+", default=["cmc", "random-init"])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--out", default=str(HERE))
    parser.add_argument("--cache-dir", help="the run cache (needed with --jobs > 1; not committed)")
    args = parser.parse_args()

    data = prepare(load_dataset("utd-mhad", args.root))
    protocol = utd_cross_subject_split(data.subjects, val_subject=LEFT_OUT)
    assert set(data.subjects[protocol.train]) == {1, 3, 5} and set(data.subjects[protocol.test]) == {2, 4, 6, 8}
    data.imu = apply_imu_standardizer(data.imu, *fit_imu_standardizer(data.imu[protocol.train]))
    split = Split(train=protocol.train, val=protocol.val[:0], test=protocol.test)
    exp = experiments.ExperimentData(dataset="utd-mhad", preset="utd-mhad", data=data, split=split)
    experiments.reproduce(experiment=exp, methods=args.methods, seeds=args.seeds, out=args.out,
                          jobs=args.jobs, threads_per_job=1, cache_dir=args.cache_dir, resume=True, quiet=True)


if __name__ == "__main__":
    main()
