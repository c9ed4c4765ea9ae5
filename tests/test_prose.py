"""mmhar_lite.prose: the sentences and statistics that write the chapters' prose from numbers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from mmhar_lite import prose, results


def test_estimate_gives_an_interval_only_from_three_seeds() -> None:
    assert prose.estimate([98.91]) == "98.91 % (one seed, no interval)"
    two = prose.estimate([98.0, 99.0])
    assert two == "98.50 % (mean of two seeds, 98.00 and 99.00 %: no interval)" and "±" not in two
    half = stats.t.ppf(0.975, 2) * np.std([90.0, 91.0, 93.0], ddof=1) / np.sqrt(3)
    assert prose.estimate([90.0, 91.0, 93.0]) == f"91.33 ± {half:.2f} % (mean ± 95 % interval, 3 seeds)"
    assert prose.estimate([90.0, 92.0, 97.0], spread="std", decimals=1) == "93.0 ± 3.6 % (mean ± std, 3 seeds)"
    with pytest.raises(ValueError, match="spread"):
        prose.estimate([1.0, 2.0, 3.0], spread="sem")


def test_estimate_prints_an_interval_past_100_percent_by_its_clipped_bounds() -> None:
    values = [96.0, 99.5, 100.0]
    mean, _, half = results.mean_ci(values)
    assert mean + half > 100.0
    text = prose.estimate(values)
    assert text == f"{mean:.2f} % (mean, 95 % interval [{mean - half:.2f}, 100.00] % clipped to [0, 100] %, 3 seeds)"
    low = prose.estimate([0.0, 0.5, 4.0])
    assert "[0.00, " in low and "±" not in low


def test_paired_differences_pair_by_seed_and_judge_by_their_interval() -> None:
    a, b = {0: 99.0, 1: 98.0, 2: 97.0}, {2: 96.0, 0: 98.0, 1: 97.0}  # order of the seeds does not matter
    same_gap = prose.paired(a, b)
    assert same_gap.diffs == (1.0, 1.0, 1.0) and same_gap.half == 0.0 and same_gap.significant
    assert "excludes 0: a significant difference" in same_gap.text()
    noisy = prose.paired({0: 99.0, 1: 96.0, 2: 98.0}, {0: 98.0, 1: 97.0, 2: 97.0})
    assert noisy.significant is False and "[-" in noisy.text() and "contains 0" in noisy.text()
    one = prose.paired({0: 99.0}, {0: 98.5})
    assert one.significant is None and one.text() == "+0.50 points (one seed, no interval)"
    two = prose.paired({0: 99.0, 1: 97.0}, {0: 98.0, 1: 98.0})
    assert two.significant is None and two.text() == "+0.00 points (mean of two seeds, +1.00 and -1.00: no interval)"
    with pytest.raises(ValueError, match=r"same seeds, got \[0, 1\] and \[0\]"):
        prose.paired({0: 1.0, 1: 2.0}, {0: 1.0})
    # the compact form: a * only where the interval excludes 0
    assert same_gap.short() == "+1.00 [+1.00, +1.00]\\*"
    assert noisy.short().startswith("+0.33 [-") and not noisy.short().endswith("*")
    assert one.short() == "+0.50 (one seed)" and two.short() == "+0.00 (two seeds, no interval)"


def test_margin_word_one_rule_for_far_and_near() -> None:
    # chapter 6's committed floor: 5.1 points, but ten times the errors: far
    assert prose.margin_word(94.0, 99.1) == "far below" and prose.margin_word(99.1, 94.0) == "far above"
    # a large gap in points far from 100 %: far; a small one in both respects: not
    assert prose.margin_word(40.0, 28.0) == "far above" and prose.margin_word(92.0, 93.5) == "below"
    assert prose.margin_word(93.04, 92.96) == "level with"  # equal at the printed 0.1
    assert prose.margin_word(97.9, 99.0, decimals=1) == "far below"  # 2.1 / 1.0 errors: at the ratio
    assert prose.margin_word(98.0, 99.0) == "far below" and prose.margin_word(98.1, 99.0) == "below"
    assert prose.margin_text(94.0, 99.0, "them") == "far below them (5.0 points, 6.0 times as many test errors)"
    assert prose.margin_text(99.0, 98.5, "it") == "above it (0.5 points, 1.50 times fewer test errors)"
    assert prose.margin_text(3.7, 5.56, "it") == "below it (1.9 points, 1.02 times as many test errors)"
    assert prose.margin_text(100.0, 80.0, "it") == "far above it (20.0 points)"  # no errors: no ratio
    assert prose.margin_text(50.0, 50.01, "it") == "level with it"


def test_versus_spread_needs_an_interval() -> None:
    assert prose.versus_spread(5.0, [1.0, 2.0]) is None  # two samples: no interval
    assert prose.versus_spread(5.0, [1.0, 2.0, 3.0]) == "above"
    assert prose.versus_spread(-3.0, [1.0, 2.0, 3.0]) == "below"
    assert prose.versus_spread(2.5, [1.0, 2.0, 3.0]) == "within"
    assert prose.versus_spread(2.0, [2.0, 2.0, 2.0]) == "within"  # no spread, equal value


def test_ranking_and_relation_state_ties_as_ties() -> None:
    means = {"cmc": 99.46, "cmc-hnl": 98.914, "cmc-cmkm": 98.906, "random-init": 93.8}
    assert prose.ranking(means) == "cmc (99.46 %) > cmc-hnl = cmc-cmkm (98.91 %) > random-init (93.80 %)"
    assert prose.ranking({"a": 5.0}) == "a (5.00 %)"
    assert prose.tie_groups({"a": 1.0, "b": 2.0, "c": 1.0}) == [["b"], ["a", "c"]]
    assert prose.relation(98.914, 98.906) == "level with"
    assert prose.relation(98.92, 98.906) == "above" and prose.relation(1.0, 2.0) == "below"
    with pytest.raises(ValueError, match="ranking"):
        prose.ranking({})


def test_course_states_each_change_of_direction_at_the_printed_precision() -> None:
    # 167.28 and 167.34 print as 167.3: level, not a further fall
    assert prose.course([215.0, 167.28, 167.34], 1) == "falls, then stays level"
    assert prose.course([215.0, 167.28, 167.34], 2) == "falls, then rises"
    assert prose.course([0.0326, 0.0624, 0.0594], 4) == "rises, then falls"
    assert prose.course([1.0, 2.0, 3.0, 2.0, 1.0]) == "rises, then falls"
    assert prose.course([3.0, 2.0, 1.0]) == "falls" and prose.course([1.0, 2.0]) == "rises"
    assert prose.course([1.001, 1.004], 2) == "does not change"
    assert prose.course([1.0, 1.0, 2.0]) == "stays level, then rises"
    with pytest.raises(ValueError, match="at least two"):
        prose.course([1.0])


@given(st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=2, max_size=8))
def test_course_of_the_reversed_sequence_is_its_mirror(values: list[float]) -> None:
    swap = {"rises": "falls", "falls": "rises", "stays level": "stays level"}
    forward, backward = prose.course(values, 2), prose.course(values[::-1], 2)
    if forward == "does not change":
        assert backward == forward
    else:
        assert backward == ", then ".join(swap[r] for r in forward.split(", then ")[::-1])


def test_chance_level_is_a_binomial_test_on_the_test_recordings() -> None:
    # 27 classes, 54 test recordings: 3 of 54 correct (5.6 %) is what guessing gives
    assert not prose.above_chance([5.56], 27, 54)
    assert prose.above_chance([50.0], 27, 54)
    # the seeds share the test set: three seeds at 7.4 % (4 of 54) are no more evidence than one,
    # where pooling them (12 of 162) would call them significant
    assert not prose.above_chance([7.41], 27, 54) and not prose.above_chance([7.41] * 3, 27, 54)
    assert prose.above_chance([7.41, 16.67, 16.67], 27, 54)
    every = prose.chance_sentence({"cmc": [5.56], "cmc-hnl": [3.70]}, 27, 54)
    assert every.startswith("Every row is at chance level") and "3.70 % (1 in 27 classes)" in every
    some = prose.chance_sentence({"cmc": [90.0], "random-init": [3.70]}, 27, 54)
    assert some.startswith("random-init is at chance level")
    assert prose.chance_sentence({"cmc": [90.0]}, 27, 54).startswith("Every row is significantly above")
    assert prose.chance_sentence({"β = 1": [90.0]}, 27, 54, noun="point").startswith("Every point is significantly")
    with pytest.raises(ValueError, match="n_classes"):
        prose.above_chance([50.0], 1, 54)


def test_chance_pvalue_tests_the_mean_count_on_the_shared_test_set_and_is_named() -> None:
    from scipy import stats

    # 2 of 54 right is what guessing gives, 27 of 54 is not; two seeds (4 and 6 of the same 54)
    # are tested as their mean, 5 of 54
    assert prose.chance_pvalue([2 / 54 * 100], 27, 54) > 0.5
    assert prose.chance_pvalue([50.0], 27, 54) < 1e-20
    mean = stats.binomtest(5, 54, 1 / 27, alternative="greater").pvalue
    assert prose.chance_pvalue([4 / 54 * 100, 6 / 54 * 100], 27, 54) == pytest.approx(mean)
    assert prose.p_text(0.0123) == "p = 0.012" and prose.p_text(3.14e-8) == "p = 3.1e-08"
    assert prose.p_text(0.0) == "p < 1e-300"
    # the sentence names the test and quotes the largest p-value of the rows
    sentence = prose.chance_sentence({"cmc": [90.0], "random-init": [12.0]}, 27, 54)
    largest = prose.chance_pvalue([12.0], 27, 54)
    assert "one-sided binomial test of the mean correct count over the 54 test" in sentence
    assert f"largest {prose.p_text(largest)}" in sentence


def test_pair_confusions_count_both_directions() -> None:
    cm = np.array([[5, 2, 0], [1, 6, 3], [0, 0, 9]])
    assert prose.pair_confusions(cm, ["a", "b", "c"], [("a", "b"), ("c", "b")]) == [3, 3]
    with pytest.raises(ValueError, match="unknown class names \\['d'\\]"):
        prose.pair_confusions(cm, ["a", "b", "c"], [("a", "d")])
    with pytest.raises(ValueError, match="shape"):
        prose.pair_confusions(cm, ["a", "b"], [("a", "b")])


def test_sweep_sentence_handles_ties_one_seed_and_paired_seeds() -> None:
    flat = prose.sweep_sentence({"β = 0": {0: 5.56}, "β = 1": {0: 5.56}})
    assert flat == "Every setting gives the same mean, 5.56 % (one seed): this sweep cannot tell them apart."
    tied_best = prose.sweep_sentence({"β = 0.5": {0: 98.0, 1: 99.0, 2: 97.0}, "β = 1": {0: 98.0, 1: 99.0, 2: 97.0},
                                     "β = 2": {0: 90.0, 1: 91.0, 2: 92.0}})
    assert tied_best.startswith("The best mean is at β = 0.5 and β = 1 (98.00 % each), the worst at β = 2 (91.00 %). "
                                "Paired by seed, β = 0.5 minus β = 2 is")
    assert "excludes 0" in tied_best and "so the choice matters here (though best and worst were picked" in tied_best
    one_seed = prose.sweep_sentence({"β = 0": {0: 5.56}, "β = 1": {0: 3.70}})
    assert "(one seed, no interval)" in one_seed and "cannot tell them apart" in one_seed
    assert prose.sweep_sentence({"β = 1": {0: 98.0}}).startswith("Only β = 1 was run")


def test_tie_note_only_where_a_tie_is_shown() -> None:
    assert prose.tie_note({"a": 1.0, "b": 2.0}, {"c": 3.0}) == ""
    assert prose.tie_note({"a": 1.0, "b": 2.0}, {"c": 3.0, "d": 3.001}) == ' ("=" marks a tie at the printed precision)'


def test_sweep_sentence_repeats_the_test_with_a_rerun_of_one_configuration() -> None:
    values = {"β = 1": {0: 97.0, 1: 98.0, 2: 98.0}, "β = 1.5": {0: 97.7, 1: 98.7, 2: 98.7}}
    alone = prose.sweep_sentence(values)
    assert "excludes 0" in alone and "so the choice matters here" in alone
    # a second run of β = 1 whose seeds sit where β = 1.5's do: the gap is gone with it
    moved = prose.sweep_sentence(values, rerun=("the other run", "β = 1", {0: 97.9, 1: 98.5, 2: 98.8}))
    assert "so the choice matters" not in moved
    assert moved.endswith("a significant difference. With the other run in place of this β = 1, β = 1.5 minus β = 1 "
                          "is -0.03 points, 95 % interval [-0.55, +0.48] over 3 paired seeds, which contains 0: no "
                          "significant difference. The verdict depends on which of two runs of one configuration is "
                          "used, so the sweep does not show that the choice matters.")
    # one step per sentence, no chain of colons between them
    assert all(part.count(":") <= 1 for part in moved.split(". "))
    kept = prose.sweep_sentence(values, rerun=("the other run", "β = 1", {0: 97.1, 1: 98.0, 2: 98.0}))
    assert "so the choice matters here" in kept and kept.endswith("which excludes 0: a significant difference, the same verdict.")
    # a rerun of a setting that is neither best nor worst changes nothing
    assert prose.sweep_sentence(values, rerun=("the other run", "β = 2", {0: 1.0, 1: 2.0, 2: 3.0})) == alone


def test_pairing_sentence_counts_narrower_and_wider_intervals() -> None:
    text = prose.pairing_sentence([(1.0, 2.0, 3.0), (2.5, 2.0, 3.0), (4.0, 2.0, 3.0)], noun="fractions")
    assert text.startswith("The paired interval is narrower than both separate intervals in 1 of the 3 fractions "
                           "and at least as wide as both in 1: ")
    assert text.endswith("which they rarely do here.")
    assert prose.pairing_sentence([(1.0, 2.0, 3.0)]).endswith("as they do in every one here.")
    assert prose.pairing_sentence([(1.0, 2.0, 3.0), (1.0, 2.0, 3.0), (4.0, 2.0, 3.0)]).endswith(
        "as they mostly do here.")
    assert prose.pairing_sentence([]).startswith("With fewer than 3 seeds")
    # the counts alone, where the page states the rule once
    assert prose.pairing_sentence([(1.0, 2.0, 3.0)], noun="fractions", rule=False) == (
        "The paired interval is narrower than both separate intervals in 1 of the 1 fractions and at least as "
        "wide as both in 0.")


def test_paired_summary_states_the_direction_with_names() -> None:
    down = prose.paired({0: 1.0, 1: 1.1, 2: 0.9}, {0: 3.0, 1: 3.0, 2: 3.0})
    up = prose.paired({0: 3.0, 1: 3.1, 2: 2.9}, {0: 1.0, 1: 1.0, 2: 1.0})
    close = prose.paired({0: 3.0, 1: 1.0, 2: 2.0}, {0: 2.0, 1: 2.0, 2: 2.0})
    text = prose.paired_summary({"2 %": down, "10 %": up, "50 %": close}, names=("CMC-HNL", "CMC"))
    assert text.endswith("excludes 0 at 2 % and 10 % (2 of 3; CMC-HNL above CMC at 10 %, CMC-HNL below CMC "
                         "at 2 %) and contains it elsewhere")
    # one direction: the settings just named are not named again
    one = prose.paired_summary({"2 %": down, "50 %": close}, names=("a", "b"))
    assert one.endswith("excludes 0 at 2 % (1 of 2; a below b) and contains it elsewhere")
    assert prose.paired_summary({"2 %": down}, names=("a", "b")).endswith("(1 of 1; a below b) that is, everywhere")


def test_estimates_say_a_shared_convention_once() -> None:
    a, b = [90.0, 91.0, 93.0], [50.0, 55.0, 60.0]
    first, second = prose.estimates([a, b])
    assert first == prose.estimate(a).split(" (")[0] and " (" not in first
    assert second == prose.estimate(b).split(" (")[0] + " (each mean ± 95 % interval, 3 seeds)"
    # different seed counts, one seed, or a clipped interval: each phrase keeps its own convention
    assert prose.estimates([a, [50.0]]) == [prose.estimate(a), prose.estimate([50.0])]
    assert prose.estimates([a, [0.0, 0.5, 4.0]]) == [prose.estimate(a), prose.estimate([0.0, 0.5, 4.0])]
    assert prose.estimates([a, [50.0, 52.0, 58.0, 60.0]])[0] == prose.estimate(a)
    assert prose.estimates([a, b], spread="std")[1].endswith(" % (each mean ± std, 3 seeds)")


def test_paired_summary_counts_the_settings_whose_interval_excludes_0() -> None:
    apart = prose.paired({0: 3.0, 1: 3.1, 2: 2.9}, {0: 1.0, 1: 1.0, 2: 1.0})
    close = prose.paired({0: 3.0, 1: 1.0, 2: 2.0}, {0: 2.0, 1: 2.0, 2: 2.0})
    text = prose.paired_summary({"2 %": apart, "50 %": close})
    assert text.startswith("2 %: +2.00 points") and text.endswith("excludes 0 at 2 % (1 of 2) and contains it elsewhere")
    assert prose.paired_summary({"2 %": close}).endswith("contains 0 at the one setting: no significant difference anywhere")
    few = prose.paired_summary({"10 %": prose.paired({0: 1.0}, {0: 2.0})})
    assert few.startswith("10 %: -1.00 points (one seed, no interval)") and "cannot say" in few
    compact = prose.paired_summary({"2 %": apart, "50 %": close}, compact=True)
    assert compact.startswith(f"2 %: {apart.short()}; 50 %: {close.short()}.") and "points, 95 %" not in compact


def test_spreads_only_from_three_seeds() -> None:
    assert prose.percent_spread(0.9891, 0.0036, 3) == "98.91 ± 0.36"
    assert prose.percent_spread(0.9891, 0.0036, 2) == "98.91"
    assert prose.percent_spread(0.9891, 0.0036, 2, without=" (n < 3)") == "98.91 (n < 3)"
    assert prose.spread_phrase([1, 1]) == "one seed, so no spread"
    assert prose.spread_phrase([3, 3]) == "mean ± sample std over the 3 seeds"
    assert prose.spread_phrase([2, 2]) == "mean over the 2 seeds, no spread below 3"
    assert prose.spread_phrase([1, 2, 3]) == ("mean over each row's seeds (n); ± sample std only where a row has 3 or "
                                             "more (here 1 to 3 per row)")
    with pytest.raises(ValueError):
        prose.spread_phrase([])


@pytest.mark.parametrize("percent, n, words", [
    (100 / 43, 43, "at chance"), (2.3, 43, "at chance"), (1.0, 43, "below chance"),
    (4.6, 43, "above chance but below twice chance"), (4.7, 43, "at least twice chance"),
    (33.3, 3, "at chance"), (66.7, 3, "at least twice chance"),
])
def test_versus_chance_compares_at_the_printed_precision(percent, n, words):
    assert prose.versus_chance(percent, n) == words


def test_versus_chance_refuses_a_single_candidate():
    with pytest.raises(ValueError, match="n_items >= 2"):
        prose.versus_chance(100.0, 1)


def test_most_confused_pairs_lists_every_tied_pair() -> None:
    cm = np.array([[5, 2, 0, 0], [1, 4, 0, 0], [0, 0, 3, 3], [1, 0, 0, 6]])
    assert prose.most_confused_pairs(cm) == (3, [(0, 1), (2, 3)])
    assert prose.most_confused_pairs(np.eye(3, dtype=int)) == (0, [(0, 1), (0, 2), (1, 2)])
    with pytest.raises(ValueError, match=r"cm: expected a \(K, K\)"):
        prose.most_confused_pairs(np.zeros((2, 3)))


@given(st.lists(st.integers(0, 5), min_size=16, max_size=16))
def test_most_confused_pairs_agrees_with_the_argmax(cells: list[int]) -> None:
    from mmhar_lite import training

    cm = np.array(cells).reshape(4, 4)
    count, pairs = prose.most_confused_pairs(cm)
    i, j, top = training.most_confused(cm, both_directions=True)
    assert count == top and (count == 0 or (i, j) in pairs)
    assert all(cm[a, b] + cm[b, a] == count and a < b for a, b in pairs)


def test_confused_with_counts_where_a_class_went_most_first() -> None:
    cm = np.array([[0, 1, 3, 0], [0, 2, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
    assert prose.confused_with(cm, 0) == [(2, 3), (1, 1)]
    assert prose.confused_with(cm, 1) == []
    with pytest.raises(ValueError, match="i: expected a class"):
        prose.confused_with(cm, 4)


def test_catch_all_sources_lists_every_class_taken_from_by_the_definition() -> None:
    # rows true, columns predicted: class 3 takes 8/8 of class 0, 1/4 of class 1 (the boundary)
    # and 1/5 of class 2 (below a quarter); class 4 has no test samples
    cm = np.array([[0, 0, 0, 8, 0], [0, 3, 0, 1, 0], [0, 0, 4, 1, 0], [0, 0, 0, 2, 0],
                   [0, 0, 0, 0, 0]])
    assert prose.catch_all_sources(cm, 3) == [0, 1]
    for o in prose.catch_all_sources(cm, 3):
        assert cm[o, 3] >= prose.CATCH_ALL_SHARE * cm[o].sum()
    # one class taken from is not enough, and the class's own samples never count
    assert prose.catch_all_sources(cm, 2) == []
    assert prose.catch_all_sources(np.array([[5, 0], [5, 0]]), 0) == []
    assert prose.catch_all_sources(np.array([[2, 0, 0], [1, 1, 1], [1, 1, 0]]), 0) == [1, 2]
    with pytest.raises(ValueError, match="j: expected a class"):
        prose.catch_all_sources(cm, 5)
    with pytest.raises(ValueError, match=r"cm: expected a \(K, K\)"):
        prose.catch_all_sources(np.zeros((2, 3)), 0)


def test_pairs_text_names_ties_up_to_a_limit() -> None:
    assert prose.pairs_text([("a", "b")], 1) == "`a` / `b` (1 sample)"
    assert prose.pairs_text([("a", "b"), ("c", "d")], 8) == "2 pairs tied at 8 samples each, `a` / `b` and `c` / `d`"
    assert prose.pairs_text([("a", "b")] * 7, 2) == "7 pairs tied at 2 samples each"
    assert prose.pairs_text([("a", "b"), ("c", "d")], 0).startswith("none")
    with pytest.raises(ValueError, match="pairs"):
        prose.pairs_text([], 3)


def test_distinct_values_print_enough_decimals_to_tell_runs_apart() -> None:
    assert prose.distinct_decimals([-0.017, -0.016]) == 3
    assert prose.distinct_decimals([-0.02213, -0.02181]) == 4
    assert prose.distinct_decimals([1.0, 1.0]) == 3  # equal values need no more decimals
    assert prose.distinct_decimals([0.1, 0.1 + 1e-9]) == 3  # equal at 6 decimals: as good as equal
    assert prose.distinct_values([-0.02213, -0.02181], ["CMC", "CMC-HNL"]) == "-0.0221 (CMC) and -0.0218 (CMC-HNL)"
    assert prose.distinct_values([1.0, 1.0, 2.0], ["a", "b", "c"]) == "1.000 (a), 1.000 (b) and 2.000 (c)"
    assert (prose.distinct_values([-0.0221, -0.0221], ["CMC", "CMC-HNL"])
            == "-0.022 in both runs (CMC and CMC-HNL, equal to 6 decimals)")


def test_values_at_and_neighbour_ties():
    assert prose.values_at([0.1234, 0.5], [0.0, 2.0], 2) == "0.12 and 0.50 at β = 0 and 2"
    assert prose.values_at([12.0], [1.0], 1, " %") == "12.0 % at β = 1"
    with pytest.raises(ValueError):
        prose.values_at([1.0], [0.0, 1.0], 1)
    assert prose.neighbour_ties([0.101, 0.102, 0.2], [0, 1, 2], 2) == (
        " (the β = 0 and β = 1 models tie at the printed precision: 0.1010 and 0.1020)")
    assert prose.neighbour_ties([0.1, 0.2], [0, 1], 2) == ""


def test_judged_course_by_batches_and_without():
    rises = {0.0: {0: 1.0, 1: 1.1, 2: 0.9}, 1.0: {0: 2.0, 1: 2.2, 2: 2.1},
             2.0: {0: 2.0, 1: 2.3, 2: 1.9}}
    steps = prose.batch_steps(rises)
    assert [(a, b) for a, b, *_ in steps] == [(0.0, 1.0), (1.0, 2.0)]
    assert steps[0][2] == pytest.approx(1.0) and steps[0][3] == pytest.approx(2.1)
    assert prose.step_word(steps[0][4]) == "rises" and prose.step_word(steps[1][4]) == "stays level"
    assert prose.judged_course([1.0, 2.1, 2.07], [0, 1, 2], 1, rises) == (
        "rises, then stays level within the batch-to-batch spread from β = 1 to 2")
    # too few batches: the printed values decide, ties shown
    two = {b: {0: v[0], 1: v[1]} for b, v in rises.items()}
    assert prose.judged_course([1.0, 2.1, 2.07], [0, 1, 2], 1, two) == (
        "rises, then stays level (the β = 1 and β = 2 models tie at the printed precision: "
        "2.100 and 2.070) (at the printed precision)")
    assert prose.judged_course([3.0, 2.0], [0, 1], 1) == "falls (at the printed precision)"


def test_ordinal_and_shade():
    assert [prose.ordinal(k) for k in (1, 2, 3, 4, 11, 12, 13, 21, 102, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "102nd", "111th"]
    assert prose.shade(1.2, 1.0, "red") == "pale red"
    assert prose.shade(0.1, 1.0, "blue") == "deep blue"
    assert prose.shade(10 ** 0.5, 1.0, "red") == "light red"
    assert prose.shade(1000.0, 1.0, "red") == "deep red"


def test_vector_keeps_trailing_zeros_and_drops_negative_zeros():
    assert prose.vector(np.array([-0.98, 0.06, -0.2])) == "(-0.98, 0.06, -0.20)"
    assert prose.vector([0.254, 0.967, -0.0101], 3) == "(0.254, 0.967, -0.010)"
    assert prose.vector([-0.0004, 1.0], 3) == "(0.000, 1.000)"


def test_signed_never_prints_a_negative_zero():
    assert prose.signed(-0.001) == "0.00"
    assert prose.signed(0.004) == "0.00"
    assert prose.signed(1.254) == "+1.25"
    assert prose.signed(-0.4, 1) == "-0.4"
    assert prose.signed(-2.0, plus=False) == "-2.00"
    assert prose.percent_spread(-0.00001, 0.0265, 3) == "0.00 ± 2.65"


def test_step_rule_note_states_the_one_model_caveat_once() -> None:
    judged = prose.step_rule_note(5, 64, epochs="6 epochs")
    assert judged.count("seed 0") == 1 and "6 epochs" in judged
    assert "over the 5 batches of 64 test rows" in judged and "stays level" in judged
    few = prose.step_rule_note(prose.MIN_SEEDS_FOR_CI - 1, 64, epochs="1 epoch")
    assert "no spread to judge a step by" in few and "batches of 64" not in few
    assert few.startswith("One model per β (seed 0, 1 epoch of")


def test_embedding_rule_texts_fall_back_without_enough_batches() -> None:
    rule, pointer = prose.embedding_rule_texts(320, 5, 64, 2.0)
    assert "the 5 batches of 64 test rows" in rule and "β = 2 model" in rule
    assert "What β does to the embeddings" in pointer
    rule, pointer = prose.embedding_rule_texts(40, 0, 64, 1.0)
    assert rule.startswith("each step read at the printed precision: the test set (40 recordings)")
    assert "printed precision" in pointer and "table" not in pointer


def test_spread_summary_by_effective_negatives() -> None:
    assert prose.spread_summary(200.0, 319).startswith("the weight still spreads over most")
    assert prose.spread_summary(50.0, 319) == "the weight sits on a minority of the negatives"
    assert prose.spread_summary(4.0, 319) == "a few heavy negatives take most of the weight"


def test_batch_share_verdict_judges_by_the_batches_spread() -> None:
    per = [60.0, 62.0, 61.0, 63.0]
    mean, _, half = results.mean_ci(per)
    inside = prose.batch_share_verdict(61.5, per, 319)
    assert inside.startswith("61.5 % of the negatives against 61.5 % of all 319")
    assert "lies inside that interval: as concentrated" in inside
    assert f"[{mean - half:.1f}, {mean + half:.1f}] %" in inside
    above = prose.batch_share_verdict(80.0, per, 319)
    assert "lies outside that interval: more concentrated in batches" in above
    assert "less concentrated" in prose.batch_share_verdict(20.0, per, 319)
    lone = prose.batch_share_verdict(70.0, [60.0], 319)
    assert lone.endswith("a difference of 10.0 points, and 1 batch gives no batch-to-batch spread to judge it by")


def test_star_versus_heaviest_at_the_printed_precision() -> None:
    assert prose.star_versus_heaviest(0.2, [0.5, 0.6]).startswith("The star is thus no stand-in")
    assert prose.star_versus_heaviest(0.9, [0.5, 0.6]).startswith("The star is more similar")
    # 0.5004 prints as 0.500, the lowest heaviest cosine: a tie, not "less similar"
    assert prose.star_versus_heaviest(0.4996, [0.5004, 0.6]).startswith("At this precision")


def test_weight_ratio_note_is_exp_of_beta_gap_over_t() -> None:
    text = prose.weight_ratio_note([0.0, 1.0, 2.0], [0.3, 0.2, 0.1], 0.1)
    # exp(1 * 0.2 / 0.1) = 7.39 and exp(2 * 0.1 / 0.1) = 7.39: the larger beta, the smaller gap
    assert "over the median one is 1.00, 7.39 and 7.39 at β = 0, 1 and 2." in text
    assert "0.300, 0.200 and 0.100 at β = 0, 1 and 2" in text and "t = 0.1" in text and "$" not in text
    assert "grows only 1.00-fold" in text and "look alike" in text
    apart = prose.weight_ratio_note([0.0, 1.0, 2.0], [0.2, 0.2, 0.2], 0.1)
    assert f"grows {np.exp(2.0):.2f}-fold" in apart and "stand out visibly more" in apart
    one = prose.weight_ratio_note([0.0, 1.0], [0.2, 0.25], 0.1)
    assert one.endswith("at β = 0 and 1.") and "fold" not in one
    with pytest.raises(ValueError, match="one gap per beta"):
        prose.weight_ratio_note([0.0, 1.0], [0.2], 0.1)


def test_anchor_note_ranks_and_cosines() -> None:
    text = prose.anchor_note(2.0, [0.198, 0.19, 0.187], 0.173, 0.132, 1.636, [73, 66, 76],
                             [164, 148, 175], 215)
    assert text.startswith("For the figure's first anchor at β = 2 the three heaviest negatives "
                           "have cosines 0.198, 0.190 and 0.187")
    assert "The star is thus no stand-in" in text and "mean cosine of 0.18" in text
    assert "the 73rd, 66th and 76th nearest of 215 to the star" in text
    assert "they are the 164th, 148th and 175th nearest" in text
