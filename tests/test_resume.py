"""`resume`: an experiment run again into the folder it wrote takes the records of its finished
plan entries from OUT/finished.json (no checkpoints needed) and trains only the rest."""
import json

import pytest

from mmhar_lite import cli, experiments, resume, training
from mmhar_lite.experiments import ConfigError

pytestmark = pytest.mark.usefixtures("one_thread")

TINY = dict(size="lite", seeds=1, overrides=dict(epochs=1, batch_size=16), finetune_overrides=dict(epochs=2), quiet=True)
TIMES = ("pretrain_seconds", "finetune_seconds")


def _without_times(records):
    return [{k: v for k, v in r.items() if k not in TIMES} for r in records]


@pytest.fixture
def count_pretrainings(monkeypatch):
    """The configurations ``training.pretrain`` is called with, in order."""
    calls, pretrain = [], training.pretrain

    def counted(data, rows, config, **kwargs):
        calls.append((config.method, config.modality, config.seed))
        return pretrain(data, rows, config, **kwargs)

    monkeypatch.setattr(training, "pretrain", counted)
    return calls


def test_reproduce_resumes_from_the_records_without_checkpoints(tiny_experiment, tmp_path, count_pretrainings):
    methods = ["supervised", "simclr", "cmc-cmkm"]  # cmc-cmkm's key covers its SimCLR teachers
    first = experiments.reproduce(methods=methods, experiment=tiny_experiment, out=tmp_path, resume=True, **TINY)
    files = {name: (tmp_path / name).read_text() for name in ("results.json", "results.csv", "results.md")}
    assert len(count_pretrainings) == 3 + 2 + 1  # no run cache: cmc-cmkm reuses this call's SimCLR runs
    count_pretrainings.clear()
    # a fresh machine: the folder's files only (no run cache), the same request
    again = experiments.reproduce(methods=methods, experiment=tiny_experiment, out=tmp_path, resume=True, **TINY)
    assert count_pretrainings == []
    assert again == first  # times included: the records are the stored ones
    assert {name: (tmp_path / name).read_text() for name in files} == files


def test_an_interrupted_run_trains_only_what_it_had_not_finished(tiny_experiment, tmp_path, count_pretrainings):
    methods = ["supervised", "cmc"]
    full = experiments.reproduce(methods=methods, experiment=tiny_experiment, out=tmp_path, resume=True, **TINY)
    entries = resume.load_finished(tmp_path)
    assert len(entries) == 4  # supervised x 3 modalities, cmc
    stopped = dict(list(entries.items())[:2])  # as if stopped after the second pre-training
    resume.save_finished(tmp_path, stopped)
    count_pretrainings.clear()
    resumed = experiments.reproduce(methods=methods, experiment=tiny_experiment, out=tmp_path, resume=True, **TINY)
    assert count_pretrainings == [("supervised", "multimodal", 0), ("cmc", "multimodal", 0)]
    assert _without_times(resumed) == _without_times(full)
    assert resumed[:2] == full[:2]


def test_a_changed_request_or_a_new_seed_is_trained(tiny_experiment, tmp_path, count_pretrainings):
    experiments.reproduce(methods=["cmc"], experiment=tiny_experiment, out=tmp_path, resume=True, **TINY)
    count_pretrainings.clear()
    longer = {**TINY, "finetune_overrides": dict(epochs=3)}
    experiments.reproduce(methods=["cmc"], experiment=tiny_experiment, out=tmp_path, resume=True, **longer)
    assert count_pretrainings == [("cmc", "multimodal", 0)]  # the fine-tuning is part of the key
    count_pretrainings.clear()
    records = experiments.reproduce(methods=["cmc"], experiment=tiny_experiment, out=tmp_path, resume=True,
                                    **{**TINY, "seeds": 2})
    assert count_pretrainings == [("cmc", "multimodal", 1)]
    assert [r["seed"] for r in records] == [0, 0, 1, 1]
    # entries of other requests stay in the file, not in this call's results
    assert len(resume.load_finished(tmp_path)) == 3
    assert len(json.loads((tmp_path / "results.json").read_text())) == 4


def test_sweeps_resume(tiny_experiment, tmp_path, count_pretrainings):
    options = dict(experiment=tiny_experiment, resume=True, **TINY)
    sweep = experiments.sweep_beta(betas=[0.0, 2.0], out=tmp_path / "beta", **options)
    labels = experiments.limited_labels(fractions=[0.5, 1.0], methods=["supervised", "cmc"], out=tmp_path / "labels",
                                        **options)
    count_pretrainings.clear()
    assert experiments.sweep_beta(betas=[0.0, 2.0], out=tmp_path / "beta", **options) == sweep
    assert experiments.limited_labels(fractions=[0.5, 1.0], methods=["supervised", "cmc"], out=tmp_path / "labels",
                                      **options) == labels
    assert count_pretrainings == []
    # the label fractions are part of a limited-labels entry
    experiments.limited_labels(fractions=[0.5], methods=["cmc"], out=tmp_path / "labels", **options)
    assert count_pretrainings == [("cmc", "multimodal", 0)]


@pytest.mark.parametrize("text,message", [
    ("{not json", "not JSON"),
    ("[1, 2]", "top level is list; expected an object"),
    ('{"abc": []}', "entry 'abc' is not a non-empty list of records"),
])
def test_a_damaged_file_is_a_one_line_error_naming_it(tiny_experiment, tmp_path, text, message):
    (tmp_path / resume.FINISHED_FILE).write_text(text)
    with pytest.raises(ConfigError, match=message) as error:
        experiments.reproduce(methods=["cmc"], experiment=tiny_experiment, out=tmp_path, resume=True, **TINY)
    assert str(tmp_path / resume.FINISHED_FILE) in str(error.value) and "\n" not in str(error.value)
    assert (tmp_path / resume.FINISHED_FILE).read_text() == text  # nothing lost


def test_resume_needs_an_out_folder(tiny_experiment):
    with pytest.raises(ConfigError, match="resume needs out"):
        experiments.reproduce(methods=["cmc"], experiment=tiny_experiment, resume=True, **TINY)


def test_cli_resume(tiny_experiment, tmp_path, count_pretrainings, capsys):
    args = ["reproduce", "--methods", "cmc", "--seeds", "1", "--size", "lite", "--epochs", "1", "--batch-size", "16",
            "--finetune-epochs", "2", "--quiet", "--no-cache", "--out", str(tmp_path), "--resume"]
    assert cli.main(args) == 0
    assert cli.main(args) == 0
    assert count_pretrainings == [("cmc", "multimodal", 0)]
    with pytest.raises(SystemExit):
        cli.main(["reproduce", "--help"])
    assert "finished.json" in capsys.readouterr().out


def test_entry_keys_are_those_of_entry_key_with_each_run_key_computed_once(tiny_experiment,
                                                                         monkeypatch):
    exp = tiny_experiment
    n = exp.n_classes
    simclr = experiments.pretrain_config(exp.preset, "simclr", "imu", n_classes=n, size="lite")
    cmkm = experiments.pretrain_config(exp.preset, "cmc-cmkm", n_classes=n, size="lite")
    tune = experiments.finetune_config(exp.preset)
    teachers = [("imu", simclr)]
    expected = [resume.entry_key(simclr, exp.data, exp.split.train, [tune]),
                resume.entry_key(cmkm, exp.data, exp.split.train, [tune], teachers, extra=[0.5])]
    hashed, run_key = [], training.run_key

    def counted(config, *args, **kwargs):
        hashed.append(config.method)
        return run_key(config, *args, **kwargs)

    monkeypatch.setattr(training, "run_key", counted)
    keys = resume.EntryKeys(exp.data, exp.split.train)
    assert [keys.key(simclr, [tune]), keys.key(cmkm, [tune], teachers, extra=[0.5])] == expected
    assert hashed == ["simclr", "cmc-cmkm"]  # the teacher is the planned SimCLR run: hashed once
