"""mmhar_lite.book: profiles and the offline plotly output."""

from __future__ import annotations

import dataclasses
import pkgutil
import re
from pathlib import Path

import plotly.graph_objects as go
import pytest

import mmhar_lite
from mmhar_lite import book, experiments


def test_three_profiles_grow_from_smoke_to_full() -> None:
    smoke, bk, full = (book.PROFILES[n] for n in ("smoke", "book", "full"))
    assert list(book.PROFILES) == ["smoke", "book", "full"]
    for small, big in ((smoke, bk), (bk, full)):
        assert small.pretrain_epochs <= big.pretrain_epochs
        assert small.finetune_epochs <= big.finetune_epochs
        assert small.n_seeds <= big.n_seeds
    assert (full.pretrain_epochs, full.finetune_epochs, full.encoder_size) == (150, 100, "paper")
    for p in book.PROFILES.values():
        assert p.n_subjects % 2 == 0 and p.n_subjects >= 2  # odd/even cross-subject split
        assert p.encoder_size in ("lite", "paper")
        assert 0.0 in p.betas and all(0 < f < 1 for f in p.label_fractions)
        assert p.beta_epochs >= p.pretrain_epochs  # the beta models of chapters 4-5 train at least as long


def test_book_profile_label_fractions_select_different_subsets() -> None:
    """Chapter 7 draws one point per distinct labelled subset: fractions that keep the same number
    of each class's training recordings would collapse its book-profile curve."""
    bk = book.PROFILES["book"]
    exp = experiments.load_experiment_data("synthetic", n_subjects=bk.n_subjects, n_trials=bk.n_trials)
    labels = exp.data.labels[exp.split.train]
    sizes = [len(experiments.stratified_subset(labels, f, seed=0)) for f in bk.label_fractions]
    assert len(set(sizes)) == len(bk.label_fractions), dict(zip(bk.label_fractions, sizes))


def test_profiles_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        book.PROFILES["smoke"].n_seeds = 9  # type: ignore[misc]
    with pytest.raises(TypeError):
        book.PROFILES["new"] = book.PROFILES["smoke"]  # type: ignore[index]


def test_explicit_name_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MMHAR_PROFILE", "full")
    assert book.resolve_profile("smoke").name == "smoke"


@pytest.mark.parametrize(("env", "expected"), [(None, "book"), ("", "book"), ("smoke", "smoke"),
                                               ("full", "full")])
def test_none_reads_environment(monkeypatch: pytest.MonkeyPatch, env: str | None,
                                expected: str) -> None:
    if env is None:
        monkeypatch.delenv("MMHAR_PROFILE", raising=False)
    else:
        monkeypatch.setenv("MMHAR_PROFILE", env)
    assert book.resolve_profile(None) is book.PROFILES[expected]


def test_unknown_profile_lists_valid_names(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match=r"'quick'.*argument.*smoke, book, full"):
        book.resolve_profile("quick")
    monkeypatch.setenv("MMHAR_PROFILE", "Smoke")
    with pytest.raises(ValueError, match=r"'Smoke'.*MMHAR_PROFILE.*smoke, book, full"):
        book.resolve_profile()


def _figure(y: list[float]) -> go.Figure:
    return go.Figure(go.Scatter(x=[0, 1, 2], y=y), layout={"height": 320})


def test_bundle_is_offline_html_plus_plotly_json() -> None:
    bundle = book.figure_bundle(_figure([1, 2, 3]))
    html = bundle["text/html"]
    assert set(bundle) == {"text/html", book.PLOTLY_MIME}
    assert 'class="plotly-graph-div"' in html and "Plotly.newPlot" in html
    assert "height:320px" in html
    # no plotly.js inline (4.8 MB per figure) and nothing fetched from elsewhere
    assert len(html) < 20_000
    assert not re.search(r"https?://|cdn\.", html.replace("http://www.w3.org", ""))
    assert bundle[book.PLOTLY_MIME]["data"][0]["y"] == [1, 2, 3]


def test_div_id_is_deterministic_and_content_dependent() -> None:
    first = book.figure_html(_figure([1, 2, 3]))
    assert first == book.figure_html(_figure([1, 2, 3]))
    assert first != book.figure_html(_figure([1, 2, 4]))
    assert 'id="chosen"' in book.figure_html(_figure([1, 2, 3]), div_id="chosen")


def test_show_displays_the_bundle_raw(monkeypatch: pytest.MonkeyPatch) -> None:
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw: shown.append((obj, raw)))
    fig = _figure([3, 2, 1])
    book.show(fig)
    assert shown == [(book.figure_bundle(fig), True)]
    # min_width wraps the same HTML in the scrolling container (the plotly JSON is untouched)
    book.show(fig, min_width=640)
    wide, raw = shown[-1]
    assert raw and wide[book.PLOTLY_MIME] == book.figure_bundle(fig)[book.PLOTLY_MIME]
    assert wide["text/html"] == ('<div class="mmhar-scroll"><div style="min-width:640px">'
                                 + book.figure_html(fig) + "</div></div>")


def test_api_page_documents_every_module() -> None:
    modules = {m.name for m in pkgutil.walk_packages(mmhar_lite.__path__, "mmhar_lite.")
               if not m.name.rsplit(".", 1)[-1].startswith("_")}
    api = (Path(__file__).resolve().parents[1] / "book" / "api.md").read_text()
    documented = set(re.findall(r"^\.\. automodule:: (\S+)", api, re.M))
    assert modules >= {"mmhar_lite.data", "mmhar_lite.losses", "mmhar_lite.cli"}
    assert documented == modules, (f"undocumented: {sorted(modules - documented)}, "
                                   f"unknown: {sorted(documented - modules)}")


def test_output_markdown_turns_headings_into_bold_paragraphs_and_keeps_tables():
    text = "# reproduce: synthetic\n\nSeeds: 0.\n\n## Table 2: multimodal\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    out = book.output_markdown(text)
    assert out.splitlines()[0] == "**reproduce: synthetic**"
    assert "**Table 2: multimodal**" in out and "#" not in out
    assert "| a | b |\n|---|---|\n| 1 | 2 |" in out  # the table is untouched
    assert book.output_markdown("no heading # here") == "no heading # here"


def test_ci_bounds_and_sweep_table_clip_to_0_100_and_need_three_seeds() -> None:
    from mmhar_lite import experiments

    mean, _, half = experiments.mean_ci([90.0, 92.0, 94.0])
    assert book.ci_bounds([90.0, 92.0, 94.0]) == pytest.approx((mean - half, mean + half))
    assert book.ci_bounds([97.0, 99.0, 100.0])[1] == 100.0 and book.ci_bounds([0.0, 1.0, 6.0])[0] == 0.0
    assert book.ci_bounds([90.0, 92.0]) is None
    table = book.sweep_table({"β = 1": {0: 97.0, 1: 99.0, 2: 100.0}, "β = 2": {0: 90.0}}, setting="β")
    header, rule, first, second = table.strip().splitlines()
    assert header == "| β | mean % | 95 % interval | std | seeds |"
    low = book.ci_bounds([97.0, 99.0, 100.0])[0]
    assert first == f"| β = 1 | 98.67 | [{low:.2f}, 100.00] | 1.53 | 3 |"
    assert second == "| β = 2 | 90.00 | – | – | 1 |"
    with pytest.raises(ValueError, match="at least one"):
        book.sweep_table({})


_RESULTS_MD = """# reproduce: synthetic

Seeds: 0.

## Table 2: multimodal pre-training and fine-tuning

| method | n | accuracy (%) |
|---|---|---|
| cmc | 1 | 5.56 |
| cmc-hnl | 1 | 3.70 |

## Table 3: pre-training as above, IMU-only fine-tuning

| method | n | accuracy (%) |
|---|---|---|
| cmc | 1 | 1.85 |
"""


def test_table_rows_and_captions_count_the_rows_shown() -> None:
    assert book.table_rows(_RESULTS_MD) == {"Table 2: multimodal pre-training and fine-tuning": 2,
                                            "Table 3: pre-training as above, IMU-only fine-tuning": 1}
    out = book.caption_tables(_RESULTS_MD, "Live run, smoke.")
    assert "**Table 2: multimodal pre-training and fine-tuning.** Live run, smoke.\n" in out
    assert ("**Table 3: pre-training as above, IMU-only fine-tuning.** Same run, units and columns as the "
            "table above.\n") in out
    assert "## Table" not in out and "| cmc-hnl | 1 | 3.70 |" in out


def test_comparison_tables_hold_the_rows_run_beside_the_paper() -> None:
    def rec(method, pre, fine, seed, acc):
        return dict(method=method, pretrain_modality=pre, finetune_modality=fine, seed=seed, accuracy=acc, macro_f1=0.5)
    records = [rec("cmc", "multimodal", f, s, 0.9) for f in ("multimodal", "imu") for s in range(3)]
    records += [rec("random-init", "none", "multimodal", s, 0.8) for s in range(3)]
    text = book.comparison_tables(records)
    counts = book.table_rows(text)
    assert list(counts.values()) == [2, 1] and all(t.startswith(("Table 2 rows", "Table 3 rows")) for t in counts)
    assert "| method (pre→fine) | paper | synthetic (n) |" in text
    assert "| cmc (mm→mm) | 95.35 | 90.00 ± 0.00 (3) |" in text and "| random-init (mm) |" in text
    captioned = book.caption_tables(text, "Live run.")
    assert "**Table 2 rows: multimodal pre-training" in captioned and "Live run.\n" in captioned
    assert "imu→imu" not in text  # rows the run did not make are left out
    assert "unimodal rows" not in text  # nor named in the caption
    with_unimodal = book.comparison_tables(records + [rec("supervised", "imu", "imu", 0, 0.7)])
    assert "Table 3 rows: the same pre-trainings, IMU-only linear head\n" in text  # no supervised row, none named
    assert "and supervised IMU training (end to end" in with_unimodal
    assert "and the unimodal rows (supervised, SimCLR)" in with_unimodal and "| supervised (imu→imu) | 74.65 | 70.00 (1) |" in with_unimodal


def test_comparison_tables_mark_flagged_rows_under_their_own_table_only() -> None:
    def rec(method, pre, fine, acc):
        return dict(method=method, pretrain_modality=pre, finetune_modality=fine, seed=0, accuracy=acc, macro_f1=0.5)
    records = [rec("simclr", "skeleton", "skeleton", 0.6), rec("cmc", "multimodal", "multimodal", 0.9),
               rec("cmc", "multimodal", "imu", 0.8)]
    stale = [("simclr", "skeleton", "skeleton")]
    text = book.comparison_tables(records, flagged={"synthetic": stale}, flag_note="older encoder, not a result.")
    table2, table3 = text.split("## Table 3")
    assert "| simclr (skel→skel) | 95.50 | 60.00 \\* (1) |" in table2 and "| cmc (mm→mm) |" in table2
    assert table2.count("\\* older encoder, not a result.") == 1 and "\\*" not in table3
    captioned = book.caption_tables(text, "Run.")
    assert list(book.table_rows(text).values()) == [2, 1]  # the note is not a row
    assert "Run.\n\n| method" in captioned and "|\n\n\\* older encoder" in captioned
    with pytest.raises(ValueError, match="flag_note"):
        book.comparison_tables(records, flagged={"synthetic": stale})


def test_comparison_tables_put_more_sources_beside() -> None:
    def rec(method, fine, seed, acc):
        return dict(method=method, pretrain_modality="multimodal", finetune_modality=fine, seed=seed, accuracy=acc,
                    macro_f1=0.5)
    real = [rec("cmc", "multimodal", 0, 0.95)]
    synthetic = [rec("cmc", "multimodal", s, a) for s, a in ((0, 0.98), (1, 1.0))] + [rec("cmc", "imu", 0, 0.7)]
    text = book.comparison_tables(real, source="real", beside={"synthetic": synthetic},
                                  flagged={"synthetic": [("cmc", "multimodal", "multimodal")]}, flag_note="stale.")
    assert "| method (pre→fine) | paper | real (n) | synthetic (n) |" in text
    assert "| cmc (mm→mm) | 95.35 | 95.00 (1) | 99.00 \\* (2) |" in text and "\\* stale." in text
    assert "| cmc (mm→imu) |" not in text  # the rows are those of the first source


def test_paper_gap_sentence_groups_rows_by_their_distance_from_the_paper() -> None:
    def rec(method, pre, fine, acc, seed=0):
        return dict(method=method, pretrain_modality=pre, finetune_modality=fine, seed=seed, accuracy=acc, macro_f1=0.5)
    records = [rec("cmc", "multimodal", "multimodal", 0.9535 + d, s) for s, d in ((0, -0.005), (1, 0.005))]  # mean = paper
    records += [rec("simclr", "skeleton", "skeleton", 0.9070), rec("supervised", "imu", "imu", 0.8651),
                rec("random-init", "none", "multimodal", 0.88)]  # no published number: left out
    sentence = book.paper_gap_sentence(records)
    assert sentence == ("1 of the 3 rows with a published number are within 1 point of it; "
                        "1 is above it by more: supervised (imu → imu) 86.51 against 74.65 (+11.86); "
                        "1 is below it by more: simclr (skel → skel) 90.70 against 95.50 (-4.80).")
    assert book.paper_gap_sentence(records, points=20).startswith("3 of the 3 rows with a published number are within 20 points")
    assert book.paper_gap_sentence(records, named=False) == (
        "1 of the 3 rows with a published number are within 1 point of it; 1 is above it by more; "
        "1 is below it by more.")
    with pytest.raises(ValueError, match="no row of the records has a published accuracy on mmact-xsub"):
        book.paper_gap_sentence([rec("random-init", "none", "multimodal", 0.9)], paper="mmact-xsub")


def test_results_context_reads_the_records() -> None:
    rec = dict(dataset="synthetic", size="lite", pretrain_epochs=1, finetune_epochs=1, n_test=54)
    one = book.results_context([dict(rec, seed=0)], "Live run, `smoke` profile")
    assert one == ("Live run, `smoke` profile: synthetic data, one seed (0), lite encoders, 1 pre-training + "
                   "1 fine-tuning epochs. Test accuracy in % of 54 test recordings, one seed, so no spread.")
    three = book.results_context([dict(rec, seed=s) for s in (2, 0, 1)], "Committed")
    assert "3 seeds (0, 1, 2)" in three and three.endswith("mean ± sample std over the 3 seeds.")
    # the dataset as the prose spells it, not its lower-case key
    real = book.results_context([dict(rec, seed=0, dataset="utd-mhad")], "Committed")
    assert real.startswith("Committed: UTD-MHAD data, one seed (0)")
    assert book.per_seed([dict(rec, seed=1, method="cmc", accuracy=0.5), dict(rec, seed=1, method="x", accuracy=0.1)],
                         "method", method="cmc") == {"cmc": {1: 50.0}}


def test_markdown_table_aligns_numbers_right_and_escapes_pipes() -> None:
    out = book.markdown_table(["model", "top-1 (%)"], [["β = 0", "1.9"], ["a|b", 2.5]])
    assert out == "| model | top-1 (%) |\n|:---|---:|\n| β = 0 | 1.9 |\n| a\\|b | 2.5 |\n"
    assert book.markdown_table(["only"], []) == "| only |\n|:---|\n"
    with pytest.raises(ValueError, match=r"rows\[1\]: expected 2 cells like header, got 1"):
        book.markdown_table(["a", "b"], [[1, 2], [3]])
    with pytest.raises(ValueError, match="header"):
        book.markdown_table([], [])
    text = book.markdown_table(["name", "kind", "s"], [["a", "b", 1]], text_columns=2)
    assert text.splitlines()[1] == "|:---|:---|---:|"
    for bad in (0, 4):
        with pytest.raises(ValueError, match=f"text_columns: expected 1 to 3, got {bad}"):
            book.markdown_table(["name", "kind", "s"], [], text_columns=bad)


def test_stage_table_lists_every_stage_between_input_and_features() -> None:
    import torch

    from mmhar_lite import models

    x = torch.zeros(4, 6, 50)
    rows, out_shape = models.stage_shapes(models.ImuEncoder(6, 50, "lite"), x)
    lines = book.stage_table(rows, tuple(x.shape), out_shape).splitlines()
    assert lines[0] == "| stage | input | output | type |" and len(lines) == 2 + len(rows) + 2
    assert lines[2] == "| input |  | 4×6×50 |  |"
    assert lines[3] == "| `convolutions.0` | 4×6×50 | 4×16×46 | Conv1d |"
    assert lines[-1] == f"| output (features) |  | 4×{38 * 64} |  |"


def test_embedding_table_has_a_column_per_model_and_the_chance_levels() -> None:
    from mmhar_lite import metrics

    assert tuple(key for _, key, _ in book.EMBEDDING_ROWS) == metrics.EMBEDDING_KEYS
    record = {"imu_to_skeleton_top1": 0.25, "imu_to_skeleton_top5": 0.5, "skeleton_to_imu_top1": 0.125,
              "skeleton_to_imu_top5": 1.0, "alignment": 1.5, "uniformity": -2.25}
    lines = book.embedding_table({"β = 0": record, "β = 1": {**record, "alignment": 0.5}}, n_rows=4).splitlines()
    assert lines[0] == "|  | β = 0 | β = 1 | chance |"
    assert lines[2] == "| IMU→skel. top-1 | 25.0 | 25.0 | 25.0 |"
    assert lines[3] == "| IMU→skel. top-5 | 50.0 | 50.0 | 100.0 |"  # top-5 of 4 rows: every row
    assert lines[6] == "| alignment | 1.500 | 0.500 |  |"
    close = book.embedding_table({"a": record, "b": {**record, "uniformity": -2.2504}}, n_rows=4).splitlines()
    assert close[7] == "| uniformity | -2.2500 | -2.2504 |  |"  # not -2.250 twice
    with pytest.raises(ValueError, match=r"by_model\['x'\]: missing \['uniformity'\]"):
        book.embedding_table({"x": {k: v for k, v in record.items() if k != "uniformity"}}, n_rows=4)
    with pytest.raises(ValueError, match="n_rows"):
        book.embedding_table({"x": record}, n_rows=0)
