"""SimCLR on real UTD-MHAD skeletons, judged on the training subjects only (issue 10).

Pre-trains on subjects 1, 3, 5 and evaluates on subject 7 (the validation subject of the public
CMC-CMKM code); the test subjects 2, 4, 6, 8 are never read by a model. One run per call, resumed
from its own checkpoint at each milestone (ReduceLROnPlateau does not depend on the epoch
budget, so the run at milestone m is the m-epoch run) and evaluated there by two heads on the
frozen features: the paper's linear head (``finetune_config``) and the same head on features
standardised with the pre-training rows' mean and std.

    python results/utd-mhad/skeleton-validation/validate.py ../shared/data/utd-mhad \
        --recipe paper --method simclr --seed 0 --milestones 50 100 150 200 300

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
# Batch size and learning rate; temperature 0.5 and the augmentations are the preset's in both.
RECIPES = {
    "paper": {"batch_size": 64, "lr": 5e-3},  # Table 1 (the UTD-MHAD preset)
    "public-code": {"batch_size": 32, "lr": 1e-3},  # CMC-CMKM's skeleton_simclr_utd.yaml (300 epochs there)
}
VALIDATION_SUBJECT = 7


def standardised(train: dict, other: dict) -> tuple[dict, dict]:
    """Both feature sets scaled with the training rows' per-feature mean and std."""
    mean = train["skeleton"].mean(0)
    std = train["skeleton"].std(0).clamp_min(1e-6)
    return ({"skeleton": (train["skeleton"] - mean) / std}, {"skeleton": (other["skeleton"] - mean) / std})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", help="the real UTD-MHAD release")
    parser.add_argument("--recipe", choices=sorted(RECIPES), default="paper")
    parser.add_argument("--method", choices=("simclr", "simclr-hnl", "supervised"), default="simclr",
                        help="supervised: the reference, trained end to end on the labels (its own lr; --recipe "
                             "sets the batch size only)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--milestones", type=int, nargs="+", default=[50, 100, 150, 200, 300])
    parser.add_argument("--work", default="/tmp/skeleton-validation", help="checkpoints (not committed)")
    parser.add_argument("--records", default=str(HERE / "records.jsonl"), help="JSON lines appended here")
    args = parser.parse_args()

    exp = experiments.load_experiment_data("utd-mhad", args.root)
    data = exp.data
    split = utd_cross_subject_split(data.subjects, val_subject=VALIDATION_SUBJECT)
    train, val = split.train, split.val
    assert set(data.subjects[train]) == {1, 3, 5} and set(data.subjects[val]) == {VALIDATION_SUBJECT}
    name = f"{args.method}-{args.recipe}-seed{args.seed}"
    checkpoint = Path(args.work) / f"{name}.pt"
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    tune = experiments.finetune_config(exp.preset, "skeleton", seed=args.seed)
    y_train = torch.as_tensor(data.labels[train])
    for epochs in sorted(args.milestones):
        recipe = RECIPES[args.recipe]
        if args.method == "supervised":  # the preset's own learning rate
            recipe = {"batch_size": recipe["batch_size"]}
        config = experiments.pretrain_config(exp.preset, args.method, "skeleton", n_classes=exp.n_classes,
                                             seed=args.seed, epochs=epochs, **recipe)
        started = time.time()
        result = training.pretrain(data, train, config, checkpoint=checkpoint, checkpoint_every=10,
                                   resume=True, quiet=True)
        seconds = time.time() - started
        frozen = training.extract_features(result.encoders, data, train)
        frozen_val = training.extract_features(result.encoders, data, val)
        heads = {}
        for head_name, (f_train, f_val) in {"linear": (frozen, frozen_val),
                                             "linear-standardised": standardised(frozen, frozen_val)}.items():
            head, history = training.train_head(f_train, y_train, data.n_classes, tune, quiet=True)
            predicted = training.predict(head, f_val, "skeleton")
            heads[head_name] = {"accuracy": 100 * training.accuracy(data.labels[val], predicted),
                                "first_loss": history[0]["loss"], "last_loss": history[-1]["loss"]}
        if args.method == "supervised":
            predicted = training.predict(result.heads["classifier"], frozen_val, "skeleton")
            heads["own-classifier"] = {"accuracy": 100 * training.accuracy(data.labels[val], predicted)}
        norm = frozen["skeleton"].norm(dim=1)
        record = {
            "method": args.method, "recipe": args.recipe, "seed": args.seed, "epochs": epochs,
            "batch_size": config.batch_size, "lr": config.lr, "temperature": config.temperature,
            "beta": config.beta, "train_subjects": [1, 3, 5], "validation_subject": VALIDATION_SUBJECT,
            "n_train": int(train.size), "n_val": int(val.size),
            "pretrain_loss": result.history[-1]["loss"], "pretrain_lr": result.history[-1]["lr"],
            "feature_norm_median": float(norm.median()), "dead_features": int((frozen["skeleton"].amax(0) == 0).sum()),
            "heads": heads, "stage_seconds": round(seconds, 1), "pretrain_seconds": round(result.seconds, 1),
            "code_fingerprint": training._code_fingerprint().hex()[:16], "torch": torch.__version__,
        }
        with open(args.records, "a") as out:
            out.write(json.dumps(record) + "\n")
        print(name, epochs, {k: round(v["accuracy"], 2) for k, v in heads.items()}, f"{seconds:.0f} s", flush=True)
    np.testing.assert_equal(len(result.history), max(args.milestones))


if __name__ == "__main__":
    main()
