"""SimCLR on real UTD-MHAD skeletons (or IMU), judged on the training subjects only (issue 10).

Pre-trains on subjects 1, 3, 5 and evaluates on subject 7 (the validation subject of the public
CMC-CMKM code); the test subjects 2, 4, 6, 8 are never read by a model. One run per call, resumed
from its own checkpoint at each milestone (ReduceLROnPlateau does not depend on the epoch
budget, so the run at milestone m is the m-epoch run) and evaluated there by two heads on the
frozen features: the paper's linear head (``finetune_config``) and the same head on features
standardised with the pre-training rows' mean and std. ``--modality imu`` runs the IMU rows of
Table 1 the same way (their records go to ``../imu-validation/contrastive.jsonl``).

    python results/utd-mhad/skeleton-validation/validate.py ../shared/data/utd-mhad \
        --recipe paper --method simclr --seed 0 --milestones 50 100 150 200 300
    python results/utd-mhad/skeleton-validation/validate.py ../shared/data/utd-mhad \
        --modality imu --method simclr-hnl --seed 0 --milestones 150 [--beta 1]

Appends one JSON line per milestone to ``records.jsonl`` beside this file (``--records``).
"""
import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from mmhar_lite import experiments, training
from mmhar_lite.data.datasets import utd_cross_subject_split

HERE = Path(__file__).parent
# Batch size and learning rate over the preset's; temperature, beta and the augmentations are the
# preset's in both.
RECIPES = {
    "paper": {},  # Table 1 (the UTD-MHAD preset): batch 64, lr 5e-3 on skeletons, 128 and 1e-3 on the IMU
    "public-code": {"batch_size": 32, "lr": 1e-3},  # CMC-CMKM's skeleton_simclr_utd.yaml (300 epochs there)
}
VALIDATION_SUBJECT = 7


def standardised(train: dict, other: dict, modality: str) -> tuple[dict, dict]:
    """Both feature sets scaled with the training rows' per-feature mean and std."""
    mean = train[modality].mean(0)
    std = train[modality].std(0).clamp_min(1e-6)
    return ({modality: (train[modality] - mean) / std}, {modality: (other[modality] - mean) / std})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", help="the real UTD-MHAD release")
    parser.add_argument("--modality", choices=("skeleton", "imu"), default="skeleton")
    parser.add_argument("--recipe", choices=sorted(RECIPES), default="paper",
                        help="public-code: the public code's skeleton recipe (skeleton only)")
    parser.add_argument("--method", choices=("simclr", "simclr-hnl", "supervised"), default="simclr",
                        help="supervised: the reference, trained end to end on the labels (its own lr; --recipe "
                             "sets the batch size only)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--beta", type=float, help="SimCLR-HNL's beta (default: Table 1's for the modality)")
    parser.add_argument("--milestones", type=int, nargs="+", default=[50, 100, 150, 200, 300])
    parser.add_argument("--work", default="/tmp/skeleton-validation", help="checkpoints (not committed)")
    parser.add_argument("--records", help="JSON lines appended here (default: records.jsonl beside this file "
                                          "for skeletons, ../imu-validation/contrastive.jsonl for the IMU)")
    args = parser.parse_args()
    modality = args.modality
    if modality == "imu" and args.recipe != "paper":
        parser.error("--recipe public-code is the public code's skeleton recipe; the IMU runs use --recipe paper")
    records = args.records or (HERE / "records.jsonl" if modality == "skeleton"
                               else HERE.parent / "imu-validation" / "contrastive.jsonl")

    exp = experiments.load_experiment_data("utd-mhad", args.root)
    data = exp.data
    split = utd_cross_subject_split(data.subjects, val_subject=VALIDATION_SUBJECT)
    train, val = split.train, split.val
    assert set(data.subjects[train]) == {1, 3, 5} and set(data.subjects[val]) == {VALIDATION_SUBJECT}
    if args.beta is not None and args.method != "simclr-hnl":
        parser.error("--beta is a setting of simclr-hnl")
    beta = {} if args.beta is None else {"beta": args.beta}
    name = f"{args.method}-{modality}-{args.recipe}-beta{args.beta}-seed{args.seed}"
    checkpoint = Path(args.work) / f"{name}.pt"
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    tune = experiments.finetune_config(exp.preset, modality, seed=args.seed)
    y_train = torch.as_tensor(data.labels[train])
    for epochs in sorted(args.milestones):
        recipe = RECIPES[args.recipe]
        if args.method == "supervised":  # the preset's own learning rate
            recipe = {k: v for k, v in recipe.items() if k != "lr"}
        config = experiments.pretrain_config(exp.preset, args.method, modality, n_classes=exp.n_classes,
                                             seed=args.seed, epochs=epochs, **recipe, **beta)
        started = time.time()
        result = training.pretrain(data, train, config, checkpoint=checkpoint, checkpoint_every=10,
                                   resume=True, quiet=True)
        seconds = time.time() - started
        frozen = training.extract_features(result.encoders, data, train)
        frozen_val = training.extract_features(result.encoders, data, val)
        heads = {}
        for head_name, (f_train, f_val) in {"linear": (frozen, frozen_val),
                                             "linear-standardised": standardised(frozen, frozen_val, modality)}.items():
            head, history = training.train_head(f_train, y_train, data.n_classes, tune, quiet=True)
            predicted = training.predict(head, f_val, modality)
            heads[head_name] = {"accuracy": 100 * training.accuracy(data.labels[val], predicted),
                                "first_loss": history[0]["loss"], "last_loss": history[-1]["loss"]}
        if args.method == "supervised":
            predicted = training.predict(result.heads["classifier"], frozen_val, modality)
            heads["own-classifier"] = {"accuracy": 100 * training.accuracy(data.labels[val], predicted)}
        norm = frozen[modality].norm(dim=1)
        record = {
            "method": args.method, "modality": modality, "recipe": args.recipe, "seed": args.seed, "epochs": epochs,
            "batch_size": config.batch_size, "lr": config.lr, "temperature": config.temperature,
            "beta": config.beta, "train_subjects": [1, 3, 5], "validation_subject": VALIDATION_SUBJECT,
            "n_train": int(train.size), "n_val": int(val.size),
            "pretrain_loss": result.history[-1]["loss"], "pretrain_lr": result.history[-1]["lr"],
            "feature_norm_median": float(norm.median()), "dead_features": int((frozen[modality].amax(0) == 0).sum()),
            "heads": heads, "stage_seconds": round(seconds, 1), "pretrain_seconds": round(result.seconds, 1),
            "code_fingerprint": training._code_fingerprint().hex()[:16], "torch": torch.__version__,
        }
        with open(records, "a") as out:
            out.write(json.dumps(record) + "\n")
        print(name, epochs, {k: round(v["accuracy"], 2) for k, v in heads.items()}, f"{seconds:.0f} s", flush=True)
    np.testing.assert_equal(len(result.history), max(args.milestones))


if __name__ == "__main__":
    main()
