"""mmhar_lite.book: profiles and the offline plotly output."""

from __future__ import annotations

import dataclasses
import pkgutil
import re
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

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


# ----------------------------------------------------------------------- sentences from numbers


def test_estimate_gives_an_interval_only_from_three_seeds() -> None:
    assert book.estimate([98.91]) == "98.91 % (one seed, no interval)"
    two = book.estimate([98.0, 99.0])
    assert two == "98.50 % (mean of two seeds, 98.00 and 99.00 %: no interval)" and "±" not in two
    half = stats.t.ppf(0.975, 2) * np.std([90.0, 91.0, 93.0], ddof=1) / np.sqrt(3)
    assert book.estimate([90.0, 91.0, 93.0]) == f"91.33 ± {half:.2f} % (mean ± 95 % interval, 3 seeds)"
    assert book.estimate([90.0, 92.0, 97.0], spread="std", decimals=1) == "93.0 ± 3.6 % (mean ± std, 3 seeds)"
    with pytest.raises(ValueError, match="spread"):
        book.estimate([1.0, 2.0, 3.0], spread="sem")


def test_estimate_prints_an_interval_past_100_percent_by_its_clipped_bounds() -> None:
    values = [96.0, 99.5, 100.0]
    mean, _, half = experiments.mean_ci(values)
    assert mean + half > 100.0
    text = book.estimate(values)
    assert text == f"{mean:.2f} % (mean, 95 % interval [{mean - half:.2f}, 100.00] % clipped to [0, 100] %, 3 seeds)"
    low = book.estimate([0.0, 0.5, 4.0])
    assert "[0.00, " in low and "±" not in low


def test_paired_differences_pair_by_seed_and_judge_by_their_interval() -> None:
    a, b = {0: 99.0, 1: 98.0, 2: 97.0}, {2: 96.0, 0: 98.0, 1: 97.0}  # order of the seeds does not matter
    same_gap = book.paired(a, b)
    assert same_gap.diffs == (1.0, 1.0, 1.0) and same_gap.half == 0.0 and same_gap.significant
    assert "excludes 0: a significant difference" in same_gap.text()
    noisy = book.paired({0: 99.0, 1: 96.0, 2: 98.0}, {0: 98.0, 1: 97.0, 2: 97.0})
    assert noisy.significant is False and "[-" in noisy.text() and "contains 0" in noisy.text()
    one = book.paired({0: 99.0}, {0: 98.5})
    assert one.significant is None and one.text() == "+0.50 points (one seed, no interval)"
    two = book.paired({0: 99.0, 1: 97.0}, {0: 98.0, 1: 98.0})
    assert two.significant is None and two.text() == "+0.00 points (mean of two seeds, +1.00 and -1.00: no interval)"
    with pytest.raises(ValueError, match=r"same seeds, got \[0, 1\] and \[0\]"):
        book.paired({0: 1.0, 1: 2.0}, {0: 1.0})


def test_margin_word_one_rule_for_far_and_near() -> None:
    # chapter 6's committed floor: 5.1 points, but ten times the errors: far
    assert book.margin_word(94.0, 99.1) == "far below" and book.margin_word(99.1, 94.0) == "far above"
    # a large gap in points far from 100 %: far; a small one in both respects: not
    assert book.margin_word(40.0, 28.0) == "far above" and book.margin_word(92.0, 93.5) == "below"
    assert book.margin_word(93.04, 92.96) == "level with"  # equal at the printed 0.1
    assert book.margin_word(97.9, 99.0, decimals=1) == "far below"  # 2.1 / 1.0 errors: at the ratio
    assert book.margin_word(98.0, 99.0) == "far below" and book.margin_word(98.1, 99.0) == "below"
    assert book.margin_text(94.0, 99.0, "them") == "far below them (5.0 points, 6.0 times as many test errors)"
    assert book.margin_text(99.0, 98.5, "it") == "above it (0.5 points, 1.50 times fewer test errors)"
    assert book.margin_text(3.7, 5.56, "it") == "below it (1.9 points, 1.02 times as many test errors)"
    assert book.margin_text(100.0, 80.0, "it") == "far above it (20.0 points)"  # no errors: no ratio
    assert book.margin_text(50.0, 50.01, "it") == "level with it"


def test_versus_spread_needs_an_interval() -> None:
    assert book.versus_spread(5.0, [1.0, 2.0]) is None  # two samples: no interval
    assert book.versus_spread(5.0, [1.0, 2.0, 3.0]) == "above"
    assert book.versus_spread(-3.0, [1.0, 2.0, 3.0]) == "below"
    assert book.versus_spread(2.5, [1.0, 2.0, 3.0]) == "within"
    assert book.versus_spread(2.0, [2.0, 2.0, 2.0]) == "within"  # no spread, equal value


def test_ranking_and_relation_state_ties_as_ties() -> None:
    means = {"cmc": 99.46, "cmc-hnl": 98.914, "cmc-cmkm": 98.906, "random-init": 93.8}
    assert book.ranking(means) == "cmc (99.46 %) > cmc-hnl = cmc-cmkm (98.91 %) > random-init (93.80 %)"
    assert book.ranking({"a": 5.0}) == "a (5.00 %)"
    assert book.tie_groups({"a": 1.0, "b": 2.0, "c": 1.0}) == [["b"], ["a", "c"]]
    assert book.relation(98.914, 98.906) == "level with"
    assert book.relation(98.92, 98.906) == "above" and book.relation(1.0, 2.0) == "below"
    with pytest.raises(ValueError, match="ranking"):
        book.ranking({})


def test_course_states_each_change_of_direction_at_the_printed_precision() -> None:
    # 167.28 and 167.34 print as 167.3: level, not a further fall
    assert book.course([215.0, 167.28, 167.34], 1) == "falls, then stays level"
    assert book.course([215.0, 167.28, 167.34], 2) == "falls, then rises"
    assert book.course([0.0326, 0.0624, 0.0594], 4) == "rises, then falls"
    assert book.course([1.0, 2.0, 3.0, 2.0, 1.0]) == "rises, then falls"
    assert book.course([3.0, 2.0, 1.0]) == "falls" and book.course([1.0, 2.0]) == "rises"
    assert book.course([1.001, 1.004], 2) == "does not change"
    assert book.course([1.0, 1.0, 2.0]) == "stays level, then rises"
    with pytest.raises(ValueError, match="at least two"):
        book.course([1.0])


@given(st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=2, max_size=8))
def test_course_of_the_reversed_sequence_is_its_mirror(values: list[float]) -> None:
    swap = {"rises": "falls", "falls": "rises", "stays level": "stays level"}
    forward, backward = book.course(values, 2), book.course(values[::-1], 2)
    if forward == "does not change":
        assert backward == forward
    else:
        assert backward == ", then ".join(swap[r] for r in forward.split(", then ")[::-1])


def test_chance_level_is_a_binomial_test_on_the_test_recordings() -> None:
    # 27 classes, 54 test recordings: 3 of 54 correct (5.6 %) is what guessing gives
    assert not book.above_chance([5.56], 27, 54)
    assert book.above_chance([50.0], 27, 54)
    # the seeds share the test set: three seeds at 7.4 % (4 of 54) are no more evidence than one,
    # where pooling them (12 of 162) would call them significant
    assert not book.above_chance([7.41], 27, 54) and not book.above_chance([7.41] * 3, 27, 54)
    assert book.above_chance([7.41, 16.67, 16.67], 27, 54)
    every = book.chance_sentence({"cmc": [5.56], "cmc-hnl": [3.70]}, 27, 54)
    assert every.startswith("Every row is at chance level") and "3.70 % (1 in 27 classes)" in every
    some = book.chance_sentence({"cmc": [90.0], "random-init": [3.70]}, 27, 54)
    assert some.startswith("random-init is at chance level")
    assert book.chance_sentence({"cmc": [90.0]}, 27, 54).startswith("Every row is significantly above")
    assert book.chance_sentence({"β = 1": [90.0]}, 27, 54, noun="point").startswith("Every point is significantly")
    with pytest.raises(ValueError, match="n_classes"):
        book.above_chance([50.0], 1, 54)


def test_chance_pvalue_tests_the_mean_count_on_the_shared_test_set_and_is_named() -> None:
    from scipy import stats

    # 2 of 54 right is what guessing gives, 27 of 54 is not; two seeds (4 and 6 of the same 54)
    # are tested as their mean, 5 of 54
    assert book.chance_pvalue([2 / 54 * 100], 27, 54) > 0.5
    assert book.chance_pvalue([50.0], 27, 54) < 1e-20
    mean = stats.binomtest(5, 54, 1 / 27, alternative="greater").pvalue
    assert book.chance_pvalue([4 / 54 * 100, 6 / 54 * 100], 27, 54) == pytest.approx(mean)
    assert book.p_text(0.0123) == "p = 0.012" and book.p_text(3.14e-8) == "p = 3.1e-08"
    assert book.p_text(0.0) == "p < 1e-300"
    # the sentence names the test and quotes the largest p-value of the rows
    sentence = book.chance_sentence({"cmc": [90.0], "random-init": [12.0]}, 27, 54)
    largest = book.chance_pvalue([12.0], 27, 54)
    assert "one-sided binomial test of the mean correct count over the 54 test" in sentence
    assert f"largest {book.p_text(largest)}" in sentence


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


def test_pair_confusions_count_both_directions() -> None:
    cm = np.array([[5, 2, 0], [1, 6, 3], [0, 0, 9]])
    assert book.pair_confusions(cm, ["a", "b", "c"], [("a", "b"), ("c", "b")]) == [3, 3]
    with pytest.raises(ValueError, match="unknown class names \\['d'\\]"):
        book.pair_confusions(cm, ["a", "b", "c"], [("a", "d")])
    with pytest.raises(ValueError, match="shape"):
        book.pair_confusions(cm, ["a", "b"], [("a", "b")])


def test_sweep_sentence_handles_ties_one_seed_and_paired_seeds() -> None:
    flat = book.sweep_sentence({"β = 0": {0: 5.56}, "β = 1": {0: 5.56}})
    assert flat == "Every setting gives the same mean, 5.56 % (one seed): this sweep cannot tell them apart."
    tied_best = book.sweep_sentence({"β = 0.5": {0: 98.0, 1: 99.0, 2: 97.0}, "β = 1": {0: 98.0, 1: 99.0, 2: 97.0},
                                     "β = 2": {0: 90.0, 1: 91.0, 2: 92.0}})
    assert tied_best.startswith("The best mean is at β = 0.5 and β = 1 (98.00 % each), the worst at β = 2 (91.00 %)")
    assert "excludes 0" in tied_best and "so the choice matters here (though best and worst were picked" in tied_best
    one_seed = book.sweep_sentence({"β = 0": {0: 5.56}, "β = 1": {0: 3.70}})
    assert "(one seed, no interval)" in one_seed and "cannot tell them apart" in one_seed
    assert book.sweep_sentence({"β = 1": {0: 98.0}}).startswith("Only β = 1 was run")


def test_tie_note_only_where_a_tie_is_shown() -> None:
    assert book.tie_note({"a": 1.0, "b": 2.0}, {"c": 3.0}) == ""
    assert book.tie_note({"a": 1.0, "b": 2.0}, {"c": 3.0, "d": 3.001}) == ' ("=" marks a tie at the printed precision)'


def test_sweep_sentence_repeats_the_test_with_a_rerun_of_one_configuration() -> None:
    values = {"β = 1": {0: 97.0, 1: 98.0, 2: 98.0}, "β = 1.5": {0: 97.7, 1: 98.7, 2: 98.7}}
    alone = book.sweep_sentence(values)
    assert "excludes 0" in alone and "so the choice matters here" in alone
    # a second run of β = 1 whose seeds sit where β = 1.5's do: the gap is gone with it
    moved = book.sweep_sentence(values, rerun=("the other run", "β = 1", {0: 97.9, 1: 98.5, 2: 98.8}))
    assert "so the choice matters" not in moved
    assert moved.endswith("but with the other run in place of this β = 1, β = 1.5 minus β = 1 is -0.03 points, 95 % "
                          "interval [-0.55, +0.48] over 3 paired seeds, which contains 0: no significant difference: "
                          "the verdict depends on which of two runs of one configuration is used, so the sweep does not "
                          "show that the choice matters.")
    kept = book.sweep_sentence(values, rerun=("the other run", "β = 1", {0: 97.1, 1: 98.0, 2: 98.0}))
    assert "so the choice matters here" in kept and kept.endswith("which excludes 0: a significant difference, the same verdict.")
    # a rerun of a setting that is neither best nor worst changes nothing
    assert book.sweep_sentence(values, rerun=("the other run", "β = 2", {0: 1.0, 1: 2.0, 2: 3.0})) == alone


def test_pairing_sentence_counts_narrower_and_wider_intervals() -> None:
    text = book.pairing_sentence([(1.0, 2.0, 3.0), (2.5, 2.0, 3.0), (4.0, 2.0, 3.0)], noun="fractions")
    assert text.startswith("The paired interval is narrower than both separate intervals in 1 of the 3 fractions "
                           "and at least as wide as both in 1: ")
    assert text.endswith("which they rarely do here.")
    assert book.pairing_sentence([(1.0, 2.0, 3.0)]).endswith("as they do in every one here.")
    assert book.pairing_sentence([(1.0, 2.0, 3.0), (1.0, 2.0, 3.0), (4.0, 2.0, 3.0)]).endswith(
        "as they mostly do here.")
    assert book.pairing_sentence([]).startswith("With fewer than 3 seeds")


def test_paired_summary_states_the_direction_with_names() -> None:
    down = book.paired({0: 1.0, 1: 1.1, 2: 0.9}, {0: 3.0, 1: 3.0, 2: 3.0})
    up = book.paired({0: 3.0, 1: 3.1, 2: 2.9}, {0: 1.0, 1: 1.0, 2: 1.0})
    close = book.paired({0: 3.0, 1: 1.0, 2: 2.0}, {0: 2.0, 1: 2.0, 2: 2.0})
    text = book.paired_summary({"2 %": down, "10 %": up, "50 %": close}, names=("CMC-HNL", "CMC"))
    assert text.endswith("excludes 0 at 2 % and 10 % (2 of 3), where CMC-HNL is above CMC at 10 % and CMC-HNL "
                         "is below CMC at 2 %, and contains it elsewhere")
    assert book.paired_summary({"2 %": down}, names=("a", "b")).endswith("(1 of 1), where a is below b at 2 %, that is, everywhere")


def test_paired_summary_counts_the_settings_whose_interval_excludes_0() -> None:
    apart = book.paired({0: 3.0, 1: 3.1, 2: 2.9}, {0: 1.0, 1: 1.0, 2: 1.0})
    close = book.paired({0: 3.0, 1: 1.0, 2: 2.0}, {0: 2.0, 1: 2.0, 2: 2.0})
    text = book.paired_summary({"2 %": apart, "50 %": close})
    assert text.startswith("2 %: +2.00 points") and text.endswith("excludes 0 at 2 % (1 of 2) and contains it elsewhere")
    assert book.paired_summary({"2 %": close}).endswith("contains 0 at the one setting: no significant difference anywhere")
    few = book.paired_summary({"10 %": book.paired({0: 1.0}, {0: 2.0})})
    assert few.startswith("10 %: -1.00 points (one seed, no interval)") and "cannot say" in few


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
    assert "**Table 2: multimodal pre-training and fine-tuning.** Live run, smoke. 2 rows." in out
    assert "**Table 3: pre-training as above, IMU-only fine-tuning.** Live run, smoke. 1 row." in out
    assert "## Table" not in out and "| cmc-hnl | 1 | 3.70 |" in out


def test_comparison_tables_hold_the_rows_run_beside_the_paper() -> None:
    def rec(method, pre, fine, seed, acc):
        return dict(method=method, pretrain_modality=pre, finetune_modality=fine, seed=seed, accuracy=acc, macro_f1=0.5)
    records = [rec("cmc", "multimodal", f, s, 0.9) for f in ("multimodal", "imu") for s in range(3)]
    records += [rec("random-init", "none", "multimodal", s, 0.8) for s in range(3)]
    text = book.comparison_tables(records)
    counts = book.table_rows(text)
    assert list(counts.values()) == [2, 1] and all(t.startswith(("Table 2 rows", "Table 3 rows")) for t in counts)
    assert "| method | pre-train | fine-tune | paper | synthetic (n) |" in text
    assert "| cmc | mm | mm | 95.35 | 90.00 ± 0.00 (3) |" in text and "| random-init | none | mm |" in text
    captioned = book.caption_tables(text, "Live run.")
    assert "**Table 2 rows: multimodal pre-training" in captioned and "Live run. 2 rows." in captioned
    assert "imu | imu" not in text  # rows the run did not make are left out
    assert "unimodal rows" not in text  # nor named in the caption
    with_unimodal = book.comparison_tables(records + [rec("supervised", "imu", "imu", 0, 0.7)])
    assert "Table 3 rows: the same pre-trainings, IMU-only linear head\n" in text  # no supervised row, none named
    assert "and supervised IMU training (end to end" in with_unimodal
    assert "and the unimodal rows (supervised, SimCLR)" in with_unimodal and "| supervised | imu | imu | 74.65 | 70.00 (1) |" in with_unimodal


def test_comparison_tables_mark_flagged_rows_under_their_own_table_only() -> None:
    def rec(method, pre, fine, acc):
        return dict(method=method, pretrain_modality=pre, finetune_modality=fine, seed=0, accuracy=acc, macro_f1=0.5)
    records = [rec("simclr", "skeleton", "skeleton", 0.6), rec("cmc", "multimodal", "multimodal", 0.9),
               rec("cmc", "multimodal", "imu", 0.8)]
    stale = [("simclr", "skeleton", "skeleton")]
    text = book.comparison_tables(records, flagged={"synthetic": stale}, flag_note="older encoder, not a result.")
    table2, table3 = text.split("## Table 3")
    assert "| simclr | skel | skel | 95.50 | 60.00 \\* (1) |" in table2 and "| cmc | mm | mm |" in table2
    assert table2.count("\\* older encoder, not a result.") == 1 and "\\*" not in table3
    captioned = book.caption_tables(text, "Run.")
    assert list(book.table_rows(text).values()) == [2, 1]  # the note is not a row
    assert "2 rows.\n\n| method" in captioned and "|\n\n\\* older encoder" in captioned
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
    assert "| method | pre-train | fine-tune | paper | real (n) | synthetic (n) |" in text
    assert "| cmc | mm | mm | 95.35 | 95.00 (1) | 99.00 \\* (2) |" in text and "\\* stale." in text
    assert "| cmc | mm | imu |" not in text  # the rows are those of the first source


def test_spreads_only_from_three_seeds() -> None:
    assert book.percent_spread(0.9891, 0.0036, 3) == "98.91 ± 0.36"
    assert book.percent_spread(0.9891, 0.0036, 2) == "98.91"
    assert book.percent_spread(0.9891, 0.0036, 2, without=" (n < 3)") == "98.91 (n < 3)"
    assert book.spread_phrase([1, 1]) == "one seed, so no spread"
    assert book.spread_phrase([3, 3]) == "mean ± sample std over the 3 seeds"
    assert book.spread_phrase([2, 2]) == "mean over the 2 seeds, no spread below 3"
    assert book.spread_phrase([1, 2, 3]) == ("mean over each row's seeds (n); ± sample std only where a row has 3 or "
                                             "more (here 1 to 3 per row)")
    with pytest.raises(ValueError):
        book.spread_phrase([])


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


@pytest.mark.parametrize("percent, n, words", [
    (100 / 43, 43, "at chance"), (2.3, 43, "at chance"), (1.0, 43, "below chance"),
    (4.6, 43, "above chance but below twice chance"), (4.7, 43, "at least twice chance"),
    (33.3, 3, "at chance"), (66.7, 3, "at least twice chance"),
])
def test_versus_chance_compares_at_the_printed_precision(percent, n, words):
    assert book.versus_chance(percent, n) == words


def test_versus_chance_refuses_a_single_candidate():
    with pytest.raises(ValueError, match="n_items >= 2"):
        book.versus_chance(100.0, 1)


def _scaling_rows(one, threads, two):
    return [{"size": "lite", "processes": p, "threads": t, "epoch_best_s": s}
            for p, t, s in ((1, 1, one), (1, 2, threads), (2, 1, two))]


def test_scaling_sentence_follows_the_measured_times():
    text = book.scaling_sentence(_scaling_rows(12.42, 88.93, 6.26))
    assert text == ("With the lite encoders two processes took 6.26 s per epoch at best, faster than one process "
                    "of one thread (12.42 s) by a factor of 2.0 and faster than one process of two threads "
                    "(88.93 s) by a factor of 14.2.")
    slower = book.scaling_sentence(_scaling_rows(5.0, 5.02, 6.0))
    assert "slower than one process of one thread (5.00 s) by a factor of 1.2" in slower
    assert book.scaling_sentence(_scaling_rows(5.0, 5.02, 5.01)).count("about as fast as") == 2


def test_scaling_sentence_names_a_missing_configuration():
    with pytest.raises(ValueError, match="lite encoders lack the 1 x 2"):
        book.scaling_sentence(_scaling_rows(1.0, 2.0, 3.0)[::2])


def test_most_confused_pairs_lists_every_tied_pair() -> None:
    cm = np.array([[5, 2, 0, 0], [1, 4, 0, 0], [0, 0, 3, 3], [1, 0, 0, 6]])
    assert book.most_confused_pairs(cm) == (3, [(0, 1), (2, 3)])
    assert book.most_confused_pairs(np.eye(3, dtype=int)) == (0, [(0, 1), (0, 2), (1, 2)])
    with pytest.raises(ValueError, match=r"cm: expected a \(K, K\)"):
        book.most_confused_pairs(np.zeros((2, 3)))


@given(st.lists(st.integers(0, 5), min_size=16, max_size=16))
def test_most_confused_pairs_agrees_with_the_argmax(cells: list[int]) -> None:
    from mmhar_lite import training

    cm = np.array(cells).reshape(4, 4)
    count, pairs = book.most_confused_pairs(cm)
    i, j, top = training.most_confused(cm, both_directions=True)
    assert count == top and (count == 0 or (i, j) in pairs)
    assert all(cm[a, b] + cm[b, a] == count and a < b for a, b in pairs)


def test_confused_with_counts_where_a_class_went_most_first() -> None:
    cm = np.array([[0, 1, 3, 0], [0, 2, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
    assert book.confused_with(cm, 0) == [(2, 3), (1, 1)]
    assert book.confused_with(cm, 1) == []
    with pytest.raises(ValueError, match="i: expected a class"):
        book.confused_with(cm, 4)


def test_pairs_text_names_ties_up_to_a_limit() -> None:
    assert book.pairs_text([("a", "b")], 1) == "`a` / `b` (1 sample)"
    assert book.pairs_text([("a", "b"), ("c", "d")], 8) == "2 pairs tied at 8 samples each, `a` / `b` and `c` / `d`"
    assert book.pairs_text([("a", "b")] * 7, 2) == "7 pairs tied at 2 samples each"
    assert book.pairs_text([("a", "b"), ("c", "d")], 0).startswith("none")
    with pytest.raises(ValueError, match="pairs"):
        book.pairs_text([], 3)


def _benchmark(rows, **fields):
    return {"machine": "AMD EPYC, 2 logical cores visible", "load": [15.37, 10.85], "busy_machine": True,
            "gpu": "not measured (no GPU lent)", "rows": rows, **fields}


def test_benchmark_caveats_flag_what_the_times_cannot_show():
    rows = _scaling_rows(12.42, 88.93, 6.26)
    rows[2]["communication_share"] = 0.285
    text = book.benchmark_caveats(_benchmark(rows))
    assert text.startswith("The machine's load average was 15.4 when the benchmark started and 10.8 when it "
                           "ended on 2 cores: other jobs shared the cores")
    # 2 x (1 - 0.285) = 1.43 at best, 1.98 measured
    assert "2 processes were 2.0 times as fast as one although 28.5 %" in text and "more than the 1.4 times" in text
    assert "one process of 2 threads took 7.2 times as long as with one thread" in text
    assert text.endswith("is the expectation, untested here.")


def test_benchmark_caveats_stay_silent_on_a_plausible_quiet_run():
    rows = _scaling_rows(12.0, 7.0, 7.5)
    rows[2]["communication_share"] = 0.1  # 1.6 measured, 1.8 at best
    text = book.benchmark_caveats(_benchmark(rows, load=[0.1, 0.2], busy_machine=False, gpu="NVIDIA H200"))
    assert text == "The machine's load average was 0.1 when the benchmark started and 0.2 when it ended on 2 cores."


def _timed(method: str, pretrain: str, tune: str, pretrain_s: float, finetune_s: float, **extra) -> dict:
    return {"method": method, "pretrain_modality": pretrain, "finetune_modality": tune, "seed": 0,
            "size": "lite", "pretrain_epochs": 0 if method == "random-init" else 150,
            "pretrain_seconds": pretrain_s, "finetune_seconds": finetune_s, **extra}


def test_size_factors_are_paper_over_lite_epoch_times_per_pair() -> None:
    rows = [{"pair": pair, "size": size, "epoch_s": s}
            for pair, (paper, lite) in zip(book.BENCH_PAIRS.values(), [(3.0, 1.0), (2.0, 0.5), (1.0, 1.0)])
            for size, s in (("paper", paper), ("lite", lite))]
    assert book.size_factors({"pretraining": rows}) == {"multimodal": 3.0, "imu": 4.0, "skeleton": 1.0}


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
    got = book.paper_size_run_time(records, factors)
    assert got.pretrainings == 3
    assert got.lite_s == pytest.approx(100 + 1 + 2 + 4 + 10 + 20)
    assert got.paper_s == pytest.approx(300 + 3 * 1 + 2 * 2 + 3 * 4 + 5 * 30)


def test_paper_size_run_time_refuses_what_it_cannot_scale() -> None:
    factors = {"multimodal": 3.0}
    with pytest.raises(ValueError, match="size 'paper'"):
        book.paper_size_run_time([{**_timed("cmc", "multimodal", "multimodal", 1.0, 1.0), "size": "paper"}], factors)
    with pytest.raises(ValueError, match="modality 'imu'"):
        book.paper_size_run_time([_timed("cmc", "multimodal", "imu", 1.0, 1.0)], factors)


def test_distinct_values_print_enough_decimals_to_tell_runs_apart() -> None:
    assert book.distinct_decimals([-0.017, -0.016]) == 3
    assert book.distinct_decimals([-0.02213, -0.02181]) == 4
    assert book.distinct_decimals([1.0, 1.0]) == 3  # equal values need no more decimals
    assert book.distinct_decimals([0.1, 0.1 + 1e-9]) == 3  # equal at 6 decimals: as good as equal
    assert book.distinct_values([-0.02213, -0.02181], ["CMC", "CMC-HNL"]) == "-0.0221 (CMC) and -0.0218 (CMC-HNL)"
    assert book.distinct_values([1.0, 1.0, 2.0], ["a", "b", "c"]) == "1.000 (a), 1.000 (b) and 2.000 (c)"
    assert (book.distinct_values([-0.0221, -0.0221], ["CMC", "CMC-HNL"])
            == "-0.022 in both runs (CMC and CMC-HNL, equal to 6 decimals)")
