"""Supervised IMU on real UTD-MHAD, raw against standardised inputs, judged on the training
subjects only (issue 10).

The package standardises each IMU channel with the training rows' mean and std; the public
CMC-CMKM code feeds the raw values (g and deg/s). This trains the supervised IMU row of Table 2
(the UTD-MHAD preset, paper encoders) on subjects 1, 3, 5 both ways and scores it on subject 7;
no model trains on the test subjects 2, 4, 6, 8. ``--validation-subject`` holds out
another training subject instead (trained on the other three of 1, 3, 5, 7), to see whether
subject 7 is a typical one. ``--score-test`` also scores each model on the test subjects, to
split the test row's lead over these scores into the fourth training subject and the test
subjects themselves: an analysis of a committed number, from which nothing is chosen.

    python results/utd-mhad/imu-validation/validate_imu.py ../shared/data/utd-mhad --seeds 0 1 2
    python results/utd-mhad/imu-validation/validate_imu.py ../shared/data/utd-mhad --seeds 0 1 2 \
        --validation-subject 1 --inputs standardised --score-test

Appends one JSON line per run to ``records.jsonl`` beside this file (``--records``).
"""
import argparse
import json
from pathlib import Path

import numpy as np
import torch

from mmhar_lite import experiments, training
from mmhar_lite.data import load_dataset
from mmhar_lite.data.datasets import apply_imu_standardizer, fit_imu_standardizer, prepare, utd_cross_subject_split

HERE = Path(__file__).parent
TRAINING_SUBJECTS = (1, 3, 5, 7)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", help="the real UTD-MHAD release")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--validation-subject", type=int, choices=TRAINING_SUBJECTS, default=7,
                        help="the training subject scored (default 7, as in the public code)")
    parser.add_argument("--inputs", choices=("raw", "standardised"), nargs="+", default=["raw", "standardised"])
    parser.add_argument("--score-test", action="store_true",
                        help="also score each model on the test subjects 2, 4, 6, 8 (analysis only)")
    parser.add_argument("--records", default=str(HERE / "records.jsonl"), help="JSON lines appended here")
    args = parser.parse_args()

    raw = prepare(load_dataset("utd-mhad", args.root))
    held_out = args.validation_subject
    split = utd_cross_subject_split(raw.subjects, val_subject=held_out)
    train, val = split.train, split.val
    train_subjects = sorted(set(TRAINING_SUBJECTS) - {held_out})
    assert sorted(set(raw.subjects[train])) == train_subjects and set(raw.subjects[val]) == {held_out}
    standardised = prepare(load_dataset("utd-mhad", args.root))
    standardised.imu = apply_imu_standardizer(standardised.imu, *fit_imu_standardizer(standardised.imu[train]))
    for seed in args.seeds:
        for inputs in args.inputs:
            data = {"raw": raw, "standardised": standardised}[inputs]
            config = experiments.pretrain_config("utd-mhad", "supervised", "imu", n_classes=data.n_classes, seed=seed)
            result = training.pretrain(data, train, config, quiet=True)
            encoder = torch.nn.ModuleDict({"imu": result.encoders["imu"]})

            def score(rows: np.ndarray) -> float:
                predicted = training.predict(result.heads["classifier"],
                                             training.extract_features(encoder, data, rows), "imu")
                return 100 * training.accuracy(data.labels[rows], predicted)

            record = {
                "method": "supervised", "modality": "imu", "inputs": inputs, "seed": seed,
                "epochs": config.epochs, "batch_size": config.batch_size, "lr": config.lr,
                "train_subjects": train_subjects, "validation_subject": held_out,
                "n_train": int(train.size), "n_val": int(val.size),
                "accuracy": score(val),
                **({"test_subjects": sorted(set(data.subjects[split.test].tolist())),
                    "test_accuracy": score(split.test)} if args.score_test else {}),
                "first_loss": result.history[0]["loss"], "last_loss": result.history[-1]["loss"],
                "pretrain_seconds": round(result.seconds, 1),
                "code_fingerprint": training._code_fingerprint().hex()[:16], "torch": torch.__version__,
            }
            with open(args.records, "a") as out:
                out.write(json.dumps(record) + "\n")
            print(held_out, inputs, seed, f"{record['accuracy']:.2f}", f"test {record.get('test_accuracy', 0):.2f}",
                  f"{result.seconds:.0f} s", flush=True)


if __name__ == "__main__":
    main()
