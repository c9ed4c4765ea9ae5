"""Write finished.json for the seed-0 runs of this folder, which were trained before
`reproduce --resume` existed, so that `--resume` takes them instead of training them again.

Run once from the repository root, with the code these runs were trained with (run-cache
fingerprint cbe54a92e0dc07b4, checked below) and the real release:

    python results/utd-mhad/backfill_finished.py ../shared/data/utd-mhad

For each planned seed-0 entry of the README's command it checks that runs/<run>/history.json
holds exactly the planned pre-training configuration and that results.json holds its records
with the planned fine-tuning epochs, then stores those records under the entry's key.
"""
import json
import sys
from dataclasses import asdict
from pathlib import Path

from mmhar_lite import experiments, resume, training

HERE = Path(__file__).parent
METHODS = ["supervised", "simclr", "simclr-hnl", "cmc", "cmc-debiased", "cmc-hnl", "cmc-cmkm", "random-init",
           "cmc-hnl-oracle"]

assert training._code_fingerprint().hex()[:16] == "cbe54a92e0dc07b4", "not the code these runs were trained with"
exp = experiments.load_experiment_data("utd-mhad", sys.argv[1])
records = json.loads((HERE / "results.json").read_text())
plan = []
for method, modality, finetunes in experiments._jobs(METHODS):
    config = experiments.pretrain_config(exp.preset, method, modality, n_classes=exp.n_classes, seed=0)
    plan.append((config, [experiments.finetune_config(exp.preset, f, seed=0) for f in finetunes]))
configs = [c for c, _ in plan]
entries = {}
for config, tunes in plan:
    stored = json.loads((HERE / "runs" / experiments._run_name(config) / "history.json").read_text())["config"]
    assert json.dumps(stored, sort_keys=True) == json.dumps(json.loads(json.dumps(asdict(config))), sort_keys=True), config
    pretrained_on = "none" if config.method == "random-init" else config.modality
    entry = [next(r for r in records if (r["method"], r["pretrain_modality"], r["finetune_modality"], r["seed"])
                  == (config.method, pretrained_on, t.modality, 0)) for t in tunes]
    assert all(r["finetune_epochs"] == (0 if config.method == "supervised" else t.epochs) for r, t in zip(entry, tunes))
    teachers = experiments._teacher_configs(exp, configs, 0, "paper", 1.0) if config.method == "cmc-cmkm" else ()
    entries[resume.entry_key(config, exp.data, exp.split.train, tunes, teachers)] = entry
assert sum(len(e) for e in entries.values()) == len(records), "records of no planned entry"
resume.save_finished(HERE, entries)
print(f"wrote {HERE / resume.FINISHED_FILE}: {len(entries)} entries, {len(records)} records")
