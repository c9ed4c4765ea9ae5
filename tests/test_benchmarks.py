"""The benchmarks' report texts, read from their committed JSON (the benchmarks themselves are
timed runs, not tests)."""
import json
from pathlib import Path

from benchmarks import distributed

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"


def _row(processes: int, threads: int, best: float) -> dict:
    return {"size": "paper", "processes": processes, "threads": threads, "epoch_best_s": best}


def _training(machine: str) -> dict:
    return {"load": [1.0, 1.5], "machine": machine,
            "pretraining": [{"size": "paper", "batch_size": 64, "pair": "cmc-hnl", "epoch_min_s": 2.0,
                             "epoch_s": 2.1}]}


def test_threads_is_read_from_the_machine_text():
    assert distributed._threads("x86_64, 2 cores (2 threads), torch 2.13") == 2
    assert distributed._threads("x86_64, 1 core (1 thread)") == 1
    assert distributed._threads("x86_64, 2 cores") is None


def test_reference_text_compares_like_for_like_thread_counts():
    rows = [_row(1, 1, 10.0), _row(1, 2, 6.0)]
    text = distributed.reference_text(rows, (2.0, 3.0), _training("cpu (2 threads)"))
    assert "with 2 threads, in its short epoch runs in 2.00 s at best (2.10 s at their median)" in text
    assert "6.00 s for the 1 x 2 run here, 3 times longer, and 10.00 s for the 1 x 1 run" in text


def test_reference_text_without_a_recorded_thread_count_says_so():
    text = distributed.reference_text([_row(1, 1, 10.0)], (2.0, 3.0), _training("cpu"))
    assert "None" not in text
    assert "thread count its machine text does not record" in text
    assert "10.00 s for the 1 x 1 run here, 5 times longer" in text


def test_reference_text_without_the_training_benchmark_states_only_the_load():
    text = distributed.reference_text([_row(1, 1, 10.0)], (2.0, 3.0), None)
    assert text.endswith("say nothing about how pre-training scales.")


def test_committed_report_is_what_report_only_writes():
    figures = json.loads((RESULTS / "distributed.json").read_text())
    training = json.loads((RESULTS / "training.json").read_text())
    text = distributed.report(figures["rows"], tuple(figures["load"]), False, figures["machine"], training)
    assert text == (RESULTS / "distributed.md").read_text()
