"""Supervised IMU on real UTD-MHAD, raw against standardised inputs, judged on the training
subjects only (issue 10).

The package standardises each IMU channel with the training rows' mean and std; the public
CMC-CMKM code feeds the raw values (g and deg/s). This trains the supervised IMU row of Table 2
(the UTD-MHAD preset, paper encoders) on subjects 1, 3, 5 both ways and scores it on subject 7;
the test subjects 2, 4, 6, 8 are never read by a model.

    python results/utd-mhad/imu-validation/validate_imu.py ../shared/data/utd-mhad --seeds 0 1 2

Appends one JSON line per run to ``records.jsonl`` beside this file (``--records``).
"""
import argparse
import json
from pathlib import Path

import torch

from mmhar_lite import experiments, training
from mmhar_lite.data import load_dataset
from mmhar_lite.data.datasets import apply_imu_standardizer, fit_imu_standardizer, prepare, utd_cross_subject_split

HERE = Path(__file__).parent
VALIDATION_SUBJECT = 7


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", help="the real UTD-MHAD release")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--records", default=str(HERE / "records.jsonl"), help="JSON lines appended here")
    args = parser.parse_args()

    raw = prepare(load_dataset("utd-mhad", args.root))
    split = utd_cross_subject_split(raw.subjects, val_subject=VALIDATION_SUBJECT)
    train, val = split.train, split.val
    assert set(raw.subjects[train]) == {1, 3, 5} and set(raw.subjects[val]) == {VALIDATION_SUBJECT}
    standardised = prepare(load_dataset("utd-mhad", args.root))
    standardised.imu = apply_imu_standardizer(standardised.imu, *fit_imu_standardizer(standardised.imu[train]))
    for seed in args.seeds:
        for inputs, data in (("raw", raw), ("standardised", standardised)):
            config = experiments.pretrain_config("utd-mhad", "supervised", "imu", n_classes=data.n_classes, seed=seed)
            result = training.pretrain(data, train, config, quiet=True)
            features = training.extract_features(torch.nn.ModuleDict({"imu": result.encoders["imu"]}), data, val)
            predicted = training.predict(result.heads["classifier"], features, "imu")
            record = {
                "method": "supervised", "modality": "imu", "inputs": inputs, "seed": seed,
                "epochs": config.epochs, "batch_size": config.batch_size, "lr": config.lr,
                "train_subjects": [1, 3, 5], "validation_subject": VALIDATION_SUBJECT,
                "n_train": int(train.size), "n_val": int(val.size),
                "accuracy": 100 * training.accuracy(data.labels[val], predicted),
                "first_loss": result.history[0]["loss"], "last_loss": result.history[-1]["loss"],
                "pretrain_seconds": round(result.seconds, 1),
                "code_fingerprint": training._code_fingerprint().hex()[:16], "torch": torch.__version__,
            }
            with open(args.records, "a") as out:
                out.write(json.dumps(record) + "\n")
            print(inputs, seed, f"{record['accuracy']:.2f}", f"{result.seconds:.0f} s", flush=True)


if __name__ == "__main__":
    main()
