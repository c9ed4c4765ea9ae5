"""mmhar_lite.timings: the benchmarks' scaling and the paper-size run time, in words and numbers."""

from __future__ import annotations

import numpy as np
import pytest

from mmhar_lite import timings


def _scaling_rows(one, threads, two):
    return [{"size": "lite", "processes": p, "threads": t, "epoch_best_s": s}
            for p, t, s in ((1, 1, one), (1, 2, threads), (2, 1, two))]


def test_scaling_sentence_follows_the_measured_times():
    text = timings.scaling_sentence(_scaling_rows(12.42, 88.93, 6.26))
    assert text == ("With the lite encoders two processes took 6.26 s per epoch at best, faster than one process "
                    "of one thread (12.42 s) by a factor of 2.0 and faster than one process of two threads "
                    "(88.93 s) by a factor of 14.2.")
    slower = timings.scaling_sentence(_scaling_rows(5.0, 5.02, 6.0))
    assert "slower than one process of one thread (5.00 s) by a factor of 1.2" in slower
    assert timings.scaling_sentence(_scaling_rows(5.0, 5.02, 5.01)).count("about as fast as") == 2


def test_scaling_sentence_names_a_missing_configuration():
    with pytest.raises(ValueError, match="lite encoders lack the 1 x 2"):
        timings.scaling_sentence(_scaling_rows(1.0, 2.0, 3.0)[::2])


def _benchmark(rows, **fields):
    return {"machine": "AMD EPYC, 2 logical cores visible", "load": [15.37, 10.85], "busy_machine": True,
            "gpu": "not measured (no GPU lent)", "rows": rows, **fields}


def test_benchmark_caveats_flag_what_the_times_cannot_show():
    rows = _scaling_rows(12.42, 88.93, 6.26)
    rows[2]["communication_share"] = 0.285
    text = timings.benchmark_caveats(_benchmark(rows))
    assert text.startswith("The machine's load average was 15.4 when the benchmark started and 10.8 when it "
                           "ended on 2 cores: other jobs shared the cores")
    # 2 x (1 - 0.285) = 1.43 at best, 1.98 measured
    assert "2 processes were 2.0 times as fast as one although 28.5 %" in text and "more than the 1.4 times" in text
    assert "One process of 2 threads took 7.2 times as long with the lite encoders as with one thread" in text
    # the cause is said once, however many encoder sizes show it
    rows = [{**r, "size": size} for size in ("paper", "lite") for r in _scaling_rows(12.42, 88.93, 6.26)]
    text = timings.benchmark_caveats(_benchmark(rows))
    assert ("One process of 2 threads took 7.2 times as long with the paper encoders and 7.2 times as long with "
            "the lite encoders as with one thread: its extra threads found no free core.") in text
    assert text.count("no free core") == 1
    assert text.endswith("is the expectation, untested here.")


def test_benchmark_caveats_stay_silent_on_a_plausible_quiet_run():
    rows = _scaling_rows(12.0, 7.0, 7.5)
    rows[2]["communication_share"] = 0.1  # 1.6 measured, 1.8 at best
    text = timings.benchmark_caveats(_benchmark(rows, load=[0.1, 0.2], busy_machine=False, gpu="NVIDIA H200"))
    assert text == "The machine's load average was 0.1 when the benchmark started and 0.2 when it ended on 2 cores."


def _timed(method: str, pretrain: str, tune: str, pretrain_s: float, finetune_s: float, **extra) -> dict:
    return {"method": method, "pretrain_modality": pretrain, "finetune_modality": tune, "seed": 0,
            "size": "lite", "pretrain_epochs": 0 if method == "random-init" else 150,
            "pretrain_seconds": pretrain_s, "finetune_seconds": finetune_s, **extra}


def test_size_factors_are_paper_over_lite_epoch_times_per_pair() -> None:
    rows = [{"pair": pair, "size": size, "epoch_s": s}
            for pair, (paper, lite) in zip(timings.BENCH_PAIRS.values(), [(3.0, 1.0), (2.0, 0.5), (1.0, 1.0)])
            for size, s in (("paper", paper), ("lite", lite))]
    assert timings.size_factors({"pretraining": rows}) == {"multimodal": 3.0, "imu": 4.0, "skeleton": 1.0}


def test_paper_size_run_time_counts_each_pretraining_once_and_scales_by_its_encoders() -> None:
    factors = {"multimodal": 3.0, "imu": 2.0, "skeleton": 5.0}
    records = [
        # one multimodal pre-training evaluated twice: its 100 s count once, at the multimodal factor
        _timed("cmc", "multimodal", "multimodal", 100.0, 1.0),
        _timed("cmc", "multimodal", "imu", 100.0, 2.0),
        # random-init trains nothing: only its fine-tuning counts
        _timed("random-init", "none", "multimodal", 0.0, 4.0),
        # supervised: one pre-training per label fraction
        _timed("supervised", "skeleton", "skeleton", 10.0, 0.0, label_fraction=0.1),
        _timed("supervised", "skeleton", "skeleton", 20.0, 0.0, label_fraction=0.5),
    ]
    got = timings.paper_size_run_time(records, factors)
    assert got.pretrainings == 3
    assert got.lite_s == pytest.approx(100 + 1 + 2 + 4 + 10 + 20)
    assert got.paper_s == pytest.approx(300 + 3 * 1 + 2 * 2 + 3 * 4 + 5 * 30)


def test_one_labelled_subset_is_one_supervised_training() -> None:
    # 2 % and 5 % of a small training set label the same recordings (n_labelled), so they are one
    # training; 10 % labels more and is another
    records = [_timed("supervised", "multimodal", "multimodal", s, 1.0, label_fraction=f, n_labelled=n)
               for f, n, s in ((0.02, 27, 50.0), (0.05, 27, 50.0), (0.1, 43, 80.0))]
    records += [_timed("cmc", "multimodal", "multimodal", 900.0, 2.0, label_fraction=f) for f in (0.02, 0.1)]
    factors = {"multimodal": 3.0}
    assert timings.paper_size_run_time(records, factors).pretrainings == 3
    got = timings.recorded_run_time([{**r, "size": "paper"} for r in records])
    assert got == timings.RecordedTime(pretrainings=3, pretrain_s=50 + 80 + 900, finetune_s=3 * 1 + 2 * 2)


def test_stratified_subsets_of_equal_size_are_the_same_rows() -> None:
    # the premise of counting trainings by n_labelled, on labels of uneven class sizes
    from mmhar_lite.data.datasets import stratified_subset

    labels = np.repeat(np.arange(6), [3, 7, 16, 16, 25, 40])
    for seed in range(5):
        by_size: dict[int, np.ndarray] = {}
        for fraction in np.linspace(0.01, 1.0, 100):
            rows = stratified_subset(labels, float(fraction), seed=seed)
            if rows.size in by_size:
                np.testing.assert_array_equal(rows, by_size[rows.size])
            by_size[rows.size] = rows


def test_paper_size_run_time_refuses_what_it_cannot_scale() -> None:
    factors = {"multimodal": 3.0}
    with pytest.raises(ValueError, match="size 'paper'"):
        timings.paper_size_run_time([{**_timed("cmc", "multimodal", "multimodal", 1.0, 1.0), "size": "paper"}], factors)
    with pytest.raises(ValueError, match="modality 'imu'"):
        timings.paper_size_run_time([_timed("cmc", "multimodal", "imu", 1.0, 1.0)], factors)


def _run(method, modality, seed, seconds, epochs=150, batch=64, head="multimodal"):
    return {"method": method, "pretrain_modality": modality, "finetune_modality": head, "seed": seed,
            "pretrain_seconds": seconds, "pretrain_epochs": epochs, "batch_size": batch}


def test_seed_time_table_has_one_row_per_pretraining_and_one_column_per_seed():
    records = [_run("simclr", "imu", 0, 902.4), _run("simclr", "imu", 0, 902.4, head="imu"),
               _run("simclr", "imu", 1, 431.0), _run("cmc", "multimodal", 0, 3600.0),
               _run("random-init", "none", 0, 0.0, epochs=0)]
    table = timings.seed_time_table(records)
    assert table.splitlines()[0] == "| pre-training | seed 0 | seed 1 |"
    assert "| simclr (imu) | 902 s | 431 s |" in table
    assert "| cmc (multimodal) | 3600 s | – |" in table
    assert "| sum | 1.3 h (2) | 0.1 h (1) |" in table
    assert "random-init" not in table


def test_slower_later_lists_the_runs_above_their_first_seed():
    records = [_run("simclr", "imu", 0, 900.0), _run("simclr", "imu", 1, 431.0),
               _run("simclr-hnl", "imu", 0, 462.0), _run("simclr-hnl", "imu", 1, 864.0),
               _run("simclr-hnl", "imu", 2, 271.0)]
    assert timings.slower_later(records) == [("simclr-hnl", "imu", 1, 864.0, 462.0)]


def test_epoch_seconds_counts_each_pretraining_once_per_batch_size():
    records = [_run("cmc", "multimodal", 0, 150.0, epochs=15, batch=32),
               _run("cmc", "multimodal", 0, 150.0, epochs=15, batch=32, head="imu"),
               _run("cmc", "multimodal", 1, 90.0, epochs=15, batch=32),
               _run("cmc", "multimodal", 0, 30.0, epochs=15, batch=128)]
    assert timings.epoch_seconds(records) == pytest.approx({32: 8.0, 128: 2.0})
