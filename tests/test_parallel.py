"""`--jobs`: pre-trainings in worker processes give the records of a sequential run, report
progress, and a second start with the same run cache trains nothing again."""
import numpy as np
import pytest

from mmhar_lite import experiments, parallel

pytestmark = pytest.mark.usefixtures("one_thread")

TINY = dict(size="lite", seeds=1, overrides=dict(epochs=1, batch_size=16), finetune_overrides=dict(epochs=2), quiet=True)
TIMES = ("pretrain_seconds", "finetune_seconds")


def _without_times(records):
    return [{k: v for k, v in r.items() if k not in TIMES} for r in records]


def test_reproduce_with_jobs_gives_the_sequential_records_and_resumes(tiny_experiment, tmp_path, capfd):
    methods = ["supervised", "simclr", "cmc", "cmc-cmkm"]  # cmc-cmkm waits for its SimCLR teachers
    sequential = experiments.reproduce(methods=methods, experiment=tiny_experiment, **TINY)
    cache = tmp_path / "cache"
    parallel_records = experiments.reproduce(methods=methods, experiment=tiny_experiment, jobs=2, threads_per_job=1,
                                             cache_dir=cache, **{**TINY, "quiet": False})
    assert _without_times(parallel_records) == _without_times(sequential)
    err = capfd.readouterr().err
    # supervised x3 modalities, simclr x2, cmc, cmc-cmkm: 7 runs, each reported once
    assert all(f"[{k}/7] done" in err for k in range(1, 8)), err
    assert len(list(cache.glob("*.pt"))) == 7
    # a second start finds every run in the cache and trains none
    trained = parallel.pretrain_tasks(
        tiny_experiment.data, [parallel.PretrainTask(experiments.pretrain_config("synthetic", "cmc", n_classes=27, size="lite", seed=0,
                                                                      epochs=1, batch_size=16), tiny_experiment.split.train)],
        jobs=2, cache_dir=cache, quiet=True)
    assert trained == []
    again = experiments.reproduce(methods=methods, experiment=tiny_experiment, jobs=2, cache_dir=cache, **{**TINY, "quiet": False})
    assert _without_times(again) == _without_times(sequential)
    err = capfd.readouterr().err
    assert "done (" not in err and err.count("in the run cache:") == 7


def test_sweeps_with_jobs_give_the_sequential_records(tiny_experiment, tmp_path):
    options = dict(experiment=tiny_experiment, **TINY)
    sweep = dict(betas=[0.5, 2.0], **options)
    assert _without_times(experiments.sweep_beta(jobs=2, out=tmp_path / "sweep", **sweep)) == \
        _without_times(experiments.sweep_beta(**sweep))
    assert len(list((tmp_path / "sweep" / "run-cache").glob("*.pt"))) == 2  # default cache: under out
    labels = dict(fractions=[0.5, 1.0], methods=["supervised", "cmc"], **options)
    assert _without_times(experiments.limited_labels(jobs=2, cache_dir=tmp_path / "labels", **labels)) == \
        _without_times(experiments.limited_labels(**labels))
    # cmc pre-trains once for both fractions; so does supervised here, because with one training
    # sample per class both fractions keep every row (at least one per class)
    assert len(list((tmp_path / "labels").glob("*.pt"))) == 2


def test_bad_jobs_requests_fail_before_training(tiny_experiment):
    with pytest.raises(experiments.ConfigError, match="jobs must be an integer >= 1"):
        experiments.sweep_beta(experiment=tiny_experiment, jobs=0, **TINY)
    with pytest.raises(experiments.ConfigError, match="give cache_dir or out"):
        experiments.sweep_beta(experiment=tiny_experiment, jobs=2, **TINY)
    with pytest.raises(ValueError, match="jobs must be >= 1"):
        parallel.pretrain_tasks(tiny_experiment.data, [], jobs=0, cache_dir="unused")


def test_run_path_is_the_cache_file_of_pretrain(tiny_experiment, tmp_path):
    config = experiments.pretrain_config("synthetic", "cmc", n_classes=27, size="lite", epochs=1, batch_size=16)
    task = parallel.PretrainTask(config, tiny_experiment.split.train)
    assert not parallel.run_path(tmp_path, task, tiny_experiment.data).exists()
    from mmhar_lite import training
    training.pretrain(tiny_experiment.data, tiny_experiment.split.train, config, quiet=True, cache_dir=tmp_path)
    assert parallel.run_path(tmp_path, task, tiny_experiment.data).exists()
    other_rows = parallel.PretrainTask(config, tiny_experiment.split.train[np.arange(10)])
    assert not parallel.run_path(tmp_path, other_rows, tiny_experiment.data).exists()
