"""mmhar_lite.results: means and intervals over seeds, the paper's tables, results.md."""
import math

import numpy as np
import pytest
from scipy import stats

from mmhar_lite import presets, results
from mmhar_lite.data.datasets import stratified_subset


def test_results_markdown_shows_the_papers_numbers():
    records = [dict(method="cmc-hnl", pretrain_modality="multimodal", finetune_modality=f, dataset=d, seed=s,
                    accuracy=0.9 + 0.01 * s, macro_f1=0.8, size="lite", pretrain_epochs=1, finetune_epochs=1)
               for s in (0, 1) for f in ("multimodal", "imu") for d in ("x",)]
    utd = results.results_markdown(records, "utd-mhad")
    assert "| cmc-hnl | 96.20 | multimodal | multimodal | 2 | 90.50 | 80.00 |" in utd
    assert "| cmc-hnl | 75.73 | multimodal | imu | 2 | 90.50 | 80.00 |" in utd
    xsub = results.results_markdown(records, "mmact-xsub")
    assert "| cmc-hnl | 81.64 | 83.61 |" in xsub and "| cmc-hnl | 54.18 | 55.74 |" in xsub
    assert "Values (%): mean over the 2 seeds, no spread below 3." in utd
    # one seed: no "mean ± std" promise, and the row is the run's value alone
    one = results.results_markdown([r for r in records if r["seed"] == 0], "utd-mhad")
    assert "Values (%): one seed, so no spread." in one and "± std" not in one
    assert "| cmc-hnl | 96.20 | multimodal | multimodal | 1 | 90.00 | 80.00 |" in one


def test_sweep_results_markdown_prints_no_interval_below_three_seeds():
    def records(n_seeds):
        return [dict(method="cmc-hnl", pretrain_modality="multimodal", finetune_modality="multimodal", seed=s,
                     beta=1.0, accuracy=0.9 + 0.01 * s, macro_f1=0.8, size="lite", pretrain_epochs=1,
                     finetune_epochs=1) for s in range(n_seeds)]
    # 1 and 2 seeds: "–" (no zero-width interval, no t = 12.7 one); 3 seeds: the t half-width
    assert "| cmc-hnl | multimodal | 1 | 1 | 90.00 | – | 80.00 |" in results.results_markdown(records(1), "x", "sweep-beta")
    assert "| 1 | 2 | 90.50 | – |" in results.results_markdown(records(2), "x", "sweep-beta")
    half = results.mean_ci([90.0, 91.0, 92.0])[2]
    assert f"| 1 | 3 | 91.00 ± 1.00 | {half:.2f} |" in results.results_markdown(records(3), "x", "sweep-beta")
    assert results.MIN_SEEDS_FOR_CI == 3


def test_comparison_markdown_puts_the_paper_beside_each_source():
    def rec(method, pre, fine, seed, acc):
        return dict(method=method, pretrain_modality=pre, finetune_modality=fine, seed=seed, accuracy=acc, macro_f1=0.5)
    real = [rec("cmc", "multimodal", "multimodal", s, a) for s, a in enumerate((0.90, 0.92, 0.94))]
    real += [rec("random-init", "none", "multimodal", 0, 0.80)]
    synthetic = [rec("cmc", "multimodal", "multimodal", 0, 0.99)]
    text = results.comparison_markdown({"real": real, "synthetic": synthetic}, presets.TABLE2_ROWS)
    lines = text.splitlines()
    assert lines[0] == "| method | pre-training | fine-tuning | paper (utd-mhad) | real (n) | synthetic (n) |"
    assert "| cmc | multimodal | multimodal | 95.35 | 92.00 ± 2.00 (3) | 99.00 (1) |" in lines
    # a row a source lacks, and a row the paper lacks, say so instead of leaving a blank
    assert "| random-init | none | multimodal | – | 80.00 (1) | – |" in lines
    assert "| supervised | imu | imu | 74.65 | – | – |" in lines
    assert len(lines) == 2 + len(presets.TABLE2_ROWS)
    table3 = results.comparison_markdown({"real": real}, presets.TABLE3_ROWS, paper=None)
    assert table3.splitlines()[0] == "| method | pre-training | fine-tuning | real (n) |"
    assert "| cmc | multimodal | imu | – |" in table3


def test_comparison_markdown_short_columns():
    rec = dict(method="cmc", pretrain_modality="multimodal", finetune_modality="imu", seed=0, accuracy=0.9, macro_f1=0.5)
    lines = results.comparison_markdown({"synthetic": [rec]}, [("cmc", "multimodal", "imu"), ("simclr", "skeleton", "imu")],
                                            short=True).splitlines()
    assert lines[0] == "| method (pre→fine) | paper | synthetic (n) |"
    assert lines[2] == "| cmc (mm→imu) | 69.77 | 90.00 (1) |"
    assert lines[3].startswith("| simclr (skel→imu) |")
    init = dict(rec, method="random-init", pretrain_modality="none", finetune_modality="multimodal")
    only_head = results.comparison_markdown({"synthetic": [init]}, [("random-init", "multimodal", "multimodal")],
                                            short=True)
    assert "| random-init (mm) | – | 90.00 (1) |" in only_head  # never pre-trained: its head only


def test_distinct_label_sets_agree_with_the_selected_rows():
    labels = np.repeat(np.arange(27), 16)  # the synthetic training split: 16 recordings per class
    records = [dict(method=m, seed=s, label_fraction=f, n_labelled=int(stratified_subset(labels, f, seed=s).size))
               for m in ("supervised", "cmc") for s in range(3) for f in presets.LABEL_FRACTIONS]
    groups = results.distinct_label_sets(records)
    assert groups == {0.02: (0.02, 0.05), 0.1: (0.1,), 0.25: (0.25,), 0.5: (0.5,)}
    for first, same in groups.items():  # the rows themselves: equal inside a group, different across
        for s in range(3):
            rows = [stratified_subset(labels, f, seed=s).tolist() for f in same]
            assert all(r == rows[0] for r in rows)
    firsts = list(groups)
    assert all(stratified_subset(labels, a, seed=0).size != stratified_subset(labels, b, seed=0).size
               for a, b in zip(firsts, firsts[1:]))
    # one seed with a different count keeps the fractions apart
    changed = [dict(r, n_labelled=28) if (r["seed"], r["label_fraction"]) == (1, 0.05) else r for r in records]
    assert results.distinct_label_sets(changed)[0.02] == (0.02,)


def test_nested_label_subsets_counts_pairs_of_different_subsets():
    labels = np.repeat(np.arange(27), 16)
    pairs, nested = results.nested_label_subsets(labels, presets.LABEL_FRACTIONS, range(3))
    # 2 % and 5 % select the same rows: 3 neighbouring pairs left per seed
    assert pairs == 9
    expected = sum(set(stratified_subset(labels, a, seed=s).tolist()) <= set(stratified_subset(labels, b, seed=s).tolist())
                   for s in range(3) for a, b in ((0.05, 0.1), (0.1, 0.25), (0.25, 0.5)))
    assert nested == expected
    # every fraction with the same subset: no pair at all
    assert results.nested_label_subsets(labels, (0.02, 0.05), range(2)) == (0, 0)
    # the whole set contains any subset of it
    assert results.nested_label_subsets(labels, (0.5, 1.0), (0,)) == (1, 1)


def test_mean_ci_is_the_t_interval():
    values = [0.8, 0.85, 0.9, 0.7]
    mean, std, half = results.mean_ci(values)
    assert mean == pytest.approx(np.mean(values)) and std == pytest.approx(np.std(values, ddof=1))
    assert half == pytest.approx(stats.t.ppf(0.975, 3) * std / math.sqrt(4))
    assert results.mean_ci([0.5]) == (0.5, 0.0, 0.0)


def test_row_name_and_which_rows_use_the_skeleton_encoder():
    rows = presets.TABLE2_ROWS + presets.TABLE3_ROWS
    names = {row: results.row_name(row) for row in rows}
    assert names[("cmc", "multimodal", "imu")] == "cmc (mm→imu)"
    assert names[("random-init", "multimodal", "imu")] == "random-init (imu)"
    free = {row for row in rows if not results.uses_skeleton_encoder(row)}
    # the IMU-only rows whose IMU encoder never met the skeleton encoder
    assert free == {row for row in rows if row[2] == "imu" and (row[1] == "imu" or row[0] == "random-init")}
    assert results.uses_skeleton_encoder(("cmc-hnl", "multimodal", "imu"))
    assert results.uses_skeleton_encoder(("random-init", "multimodal", "multimodal"))
    assert results.uses_skeleton_encoder(("supervised", "skeleton", "skeleton"))


def test_table_row_puts_random_init_in_the_multimodal_rows():
    assert results.table_row({"method": "random-init", "pretrain_modality": "none",
                                  "finetune_modality": "imu"}) == ("random-init", "multimodal", "imu")
    assert results.table_row({"method": "simclr", "pretrain_modality": "skeleton",
                                  "finetune_modality": "skeleton"}) in presets.TABLE2_ROWS


def test_read_json_lines_names_the_bad_line(tmp_path):
    path = tmp_path / "records.jsonl"
    path.write_text('{"seed": 0}\n\n{"seed": 1}\n')
    assert results.read_json_lines(path) == [{"seed": 0}, {"seed": 1}]
    path.write_text('{"seed": 0}\n{"seed": \n')
    with pytest.raises(ValueError, match=r"records.jsonl: line 2: not JSON"):
        results.read_json_lines(path)
    path.write_text('[1, 2]\n')
    with pytest.raises(ValueError, match=r"line 1: a JSON list; expected an object"):
        results.read_json_lines(path)


def test_grouped_values_keep_first_appearance_and_record_order():
    records = [{"recipe": "b", "epochs": 150, "acc": 1.0}, {"recipe": "a", "epochs": 150, "acc": 2.0},
               {"recipe": "b", "epochs": 150, "acc": 3.0}, {"recipe": "b", "epochs": 300, "acc": 4.0}]
    got = results.grouped_values(records, ("recipe", "epochs"), lambda r: r["acc"])
    assert list(got.items()) == [(("b", 150), [1.0, 3.0]), (("a", 150), [2.0]), (("b", 300), [4.0])]


def test_results_header_names_every_epoch_count_of_a_mixed_run():
    row = {"seed": 0, "size": "paper", "finetune_epochs": 100}
    mixed = [{**row, "pretrain_epochs": 300}, {**row, "pretrain_epochs": 150}, {**row, "pretrain_epochs": 0}]
    header = results.results_header(mixed)
    assert "pre-training epochs: 150 or 300 (by row: `pretrain_epochs` in results.json)" in header
    assert "fine-tuning epochs: 100." in header
    # a random-init row's 0 epochs is no setting of the run
    assert "pre-training epochs: 150," in results.results_header(mixed[1:])
