"""Sentences from numbers: the helpers that write the chapters' prose from the numbers a page
computes, so that no figure in the text is typed, and the statistics they judge by.

The prose stays true whatever the numbers are: equal values (at the printed precision) are
stated as ties (:func:`ranking`, :func:`relation`, :func:`course`), one or two seeds give no
interval (:data:`MIN_SEEDS_FOR_CI`, :func:`estimate`), paired seeds are compared by their
differences (:func:`paired`, :func:`sweep_sentence`), and a run no better than guessing says so
(:func:`chance_sentence`). Every value here is in % (accuracies) or points. The tables of the
chapters are in :mod:`mmhar_lite.book`, the sentences about timings in :mod:`mmhar_lite.timings`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

__all__ = [
    "MIN_SEEDS_FOR_CI",
    "signed",
    "vector",
    "percent_spread",
    "spread_phrase",
    "n_seeds_text",
    "join_names",
    "distinct_decimals",
    "distinct_values",
    "estimate",
    "ci_bounds",
    "pair_confusions",
    "Paired",
    "paired",
    "tie_groups",
    "ranking",
    "tie_note",
    "relation",
    "FAR_POINTS",
    "FAR_ERROR_RATIO",
    "margin_word",
    "margin_text",
    "versus_spread",
    "step_rule_note",
    "embedding_rule_texts",
    "spread_summary",
    "batch_share_verdict",
    "star_versus_heaviest",
    "weight_ratio_note",
    "anchor_note",
    "course",
    "most_confused_pairs",
    "confused_with",
    "CATCH_ALL_SHARE",
    "CATCH_ALL_MIN_CLASSES",
    "catch_all_sources",
    "pairs_text",
    "chance_pvalue",
    "above_chance",
    "p_text",
    "chance_sentence",
    "versus_chance",
    "sweep_sentence",
    "pairing_sentence",
    "estimates",
    "paired_summary",
    "values_at",
    "neighbour_ties",
    "step_word",
    "batch_steps",
    "judged_course",
    "ordinal",
    "shade",
]

#: Fewest seeds behind a 95 % Student-t interval. From 2 seeds t = 12.7, so the half-width is
#: 12.7 / sqrt(2), about 9 times the sample std (6.35 times the two seeds' difference): two seeds
#: 2 points apart already give ± 12.7 points, wider than the differences the book compares, so
#: the text shows the points instead. A sweep's ``results.md``
#: (:mod:`mmhar_lite.results`) follows the same rule, read from here.
MIN_SEEDS_FOR_CI = 3

_NUMBER_WORDS = {1: "one", 2: "two"}


def signed(value: float, decimals: int = 2, *, plus: bool = True) -> str:
    """``value`` with ``decimals`` decimals, ``"+1.25"`` / ``"-0.40"`` (no ``+`` when ``plus`` is
    false); a value that rounds to zero prints ``"0.00"``, without a sign, never ``"-0.00"``."""
    text = f"{value:+.{decimals}f}" if plus else f"{value:.{decimals}f}"
    return text.lstrip("+-") if float(text) == 0 else text


def vector(values: Sequence[float], decimals: int = 2) -> str:
    """A vector as the text quotes it, every component with ``decimals`` decimals (trailing zeros
    kept, so that a printed vector and the prose agree digit for digit): ``"(-0.98, 0.06, -0.20)"``;
    a component that rounds to zero prints ``"0.00"`` (:func:`signed`)."""
    return "(" + ", ".join(signed(float(v), decimals, plus=False) for v in values) + ")"


def percent_spread(mean: float, spread: float, n: int, *, without: str = "") -> str:
    """A mean and its spread (both fractions) in %, ``"98.91 ± 0.36"``, the spread only from
    :data:`MIN_SEEDS_FOR_CI` values on; from fewer, the mean followed by ``without``. A mean that
    rounds to zero prints ``"0.00"``, not ``"-0.00"`` (:func:`signed`)."""
    shown = signed(100 * mean, plus=False)
    return f"{shown} ± {100 * spread:.2f}" if n >= MIN_SEEDS_FOR_CI else f"{shown}{without}"


def spread_phrase(seed_counts: Sequence[int], spread: str = "sample std") -> str:
    """What a table's values are, given the seed count of each of its rows: ``"one seed, so no
    spread"``, ``"mean ± sample std over the 3 seeds"``, or, where rows differ or have fewer
    than :data:`MIN_SEEDS_FOR_CI` seeds, which rows carry a spread (as :func:`percent_spread`
    prints them)."""
    if not seed_counts:
        raise ValueError("spread_phrase needs the seed count of at least one row")
    low, high = min(seed_counts), max(seed_counts)
    if high == 1:
        return "one seed, so no spread"
    if low == high and low >= MIN_SEEDS_FOR_CI:
        return f"mean ± {spread} over the {low} seeds"
    return (f"mean over each row's seeds (n); ± {spread} only where a row has {MIN_SEEDS_FOR_CI} or more "
            f"(here {low} to {high} per row)" if low != high else
            f"mean over the {low} seeds, no spread below {MIN_SEEDS_FOR_CI}")


def n_seeds_text(n: int) -> str:
    """``"one seed"``, ``"two seeds"``, ``"3 seeds"``."""
    return f"{_NUMBER_WORDS.get(n, n)} seed{'s' if n != 1 else ''}"


def join_names(names: Sequence[str]) -> str:
    """``"a"``, ``"a and b"``, ``"a, b and c"``."""
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def distinct_decimals(values: Sequence[float], decimals: int = 3, most: int = 6) -> int:
    """The fewest decimals, from ``decimals`` up to ``most``, at which values that differ at ``most``
    decimals are printed differently (values equal at ``most`` decimals may print alike)."""
    def distinct(d: int) -> int:
        return len({f"{v:.{d}f}" for v in values})

    return next((d for d in range(decimals, most) if distinct(d) == distinct(most)), most)


def distinct_values(values: Sequence[float], names: Sequence[str], decimals: int = 3, most: int = 6) -> str:
    """``values`` with their ``names`` as one phrase, with enough decimals to tell apart those that
    differ (:func:`distinct_decimals`): ``"-0.0221 (CMC) and -0.0218 (CMC-HNL)"``, or, where all
    are equal at ``most`` decimals, “-0.022 in both runs (CMC and CMC-HNL, equal to 6
    decimals)”."""
    if len({f"{v:.{most}f}" for v in values}) == 1:
        runs = "both runs" if len(values) == 2 else f"all {len(values)} runs"
        return f"{values[0]:.{decimals}f} in {runs} ({join_names(names)}, equal to {most} decimals)"
    d = distinct_decimals(values, decimals, most)
    return join_names([f"{v:.{d}f} ({name})" for v, name in zip(values, names)])


def estimates(groups: Sequence[Sequence[float]], *, decimals: int = 2, spread: str = "ci") -> list[str]:
    """:func:`estimate` of each group, for phrases read one after another (supervised 12.96 ±
    6.09 %, CMC 57.10 ± 11.80 % and CMC-HNL ...): where every group is a plain mean ± spread
    over the same number of seeds, the convention is said once, after the last, as
    ``(each mean ± 95 % interval, 3 seeds)``; otherwise each phrase is :func:`estimate`'s."""
    full = [estimate(values, decimals=decimals, spread=spread) for values in groups]
    sizes = {len(values) for values in groups}
    if len(sizes) != 1 or not all(" ± " in text for text in full):
        return full
    name = "95 % interval" if spread == "ci" else "std"
    cut = [text.split(" (mean ± ")[0] for text in full]
    return cut[:-1] + [f"{cut[-1]} (each mean ± {name}, {n_seeds_text(sizes.pop())})"]


def estimate(values: Sequence[float], *, decimals: int = 2, spread: str = "ci") -> str:
    """Per-seed values (in %) as one phrase: the mean, and its spread only where seeds give one.

    From :data:`MIN_SEEDS_FOR_CI` seeds on: “98.91 ± 0.89 % (mean ± 95 % interval, 3 seeds)”
    (an interval reaching past 0 or 100 % as its clipped bounds,
    “98.60 % (mean, 95 % interval [95.95, 100.00] % clipped to [0, 100] %, 3 seeds)”)
    (``spread="ci"``) or ``"98.91 ± 0.36 % (mean ± std, 3 seeds)"`` (``spread="std"``); from two
    seeds the two points; from one ``"98.91 % (one seed, no interval)"``.
    """
    from mmhar_lite.results import mean_ci

    if spread not in ("ci", "std"):
        raise ValueError(f"spread must be 'ci' or 'std', got {spread!r}")
    x = [float(v) for v in values]
    if not x:
        raise ValueError("estimate needs at least one value")
    mean, std, half = mean_ci(x)
    if len(x) == 1:
        return f"{mean:.{decimals}f} % (one seed, no interval)"
    if len(x) < MIN_SEEDS_FOR_CI:
        points = join_names([f"{v:.{decimals}f}" for v in x])
        return f"{mean:.{decimals}f} % (mean of {n_seeds_text(len(x))}, {points} %: no interval)"
    low, high = ci_bounds(x)
    if spread == "ci" and (low != mean - half or high != mean + half):
        # an accuracy lies in [0, 100] %, so a t-interval reaching past either end is printed by its clipped bounds
        return (f"{mean:.{decimals}f} % (mean, 95 % interval [{low:.{decimals}f}, "
                f"{high:.{decimals}f}] % clipped to [0, 100] %, {n_seeds_text(len(x))})")
    width, name = (half, "95 % interval") if spread == "ci" else (std, "std")
    return f"{mean:.{decimals}f} ± {width:.{decimals}f} % (mean ± {name}, {n_seeds_text(len(x))})"


def ci_bounds(values: Sequence[float]) -> tuple[float, float] | None:
    """The 95 % Student-t interval of the mean of per-seed values (in %), clipped to [0, 100] %
    (an accuracy lies there); ``None`` below :data:`MIN_SEEDS_FOR_CI` seeds."""
    from mmhar_lite.results import mean_ci

    if len(values) < MIN_SEEDS_FOR_CI:
        return None
    mean, _, half = mean_ci([float(v) for v in values])
    return max(mean - half, 0.0), min(mean + half, 100.0)


def pair_confusions(cm: Any, class_names: Sequence[str], pairs: Sequence[tuple[str, str]]) -> list[int]:
    """Errors between the two classes of each pair, both directions (``cm[a, b] + cm[b, a]``) of a
    ``(K, K)`` confusion matrix (rows: true class, columns: predicted), one count per pair.

    Raises:
        ValueError: ``cm`` is not ``(K, K)`` for the ``K`` names, or a pair names an unknown class.
    """
    import numpy as np

    m = np.asarray(cm)
    if m.shape != (len(class_names), len(class_names)):
        raise ValueError(f"cm: expected shape ({len(class_names)}, {len(class_names)}) for the class names, got {m.shape}")
    index = {name: k for k, name in enumerate(class_names)}
    unknown = [n for pair in pairs for n in pair if n not in index]
    if unknown:
        raise ValueError(f"pairs: unknown class names {unknown}")
    return [int(m[index[a], index[b]] + m[index[b], index[a]]) for a, b in pairs]


@dataclass(frozen=True)
class Paired:
    """Per-seed differences ``a - b`` (points) of two configurations run with the same seeds.

    Attributes:
        diffs: one difference per shared seed, in seed order.
        mean: their mean.
        half: the 95 % Student-t half-width of the mean, ``None`` below :data:`MIN_SEEDS_FOR_CI`
            seeds.
    """

    diffs: tuple[float, ...]
    mean: float
    half: float | None

    @property
    def significant(self) -> bool | None:
        """Whether the 95 % interval excludes 0, or ``None`` when too few seeds give no interval."""
        return None if self.half is None else not (self.mean - self.half <= 0.0 <= self.mean + self.half)

    def text(self, decimals: int = 2) -> str:
        """“+0.50 points, 95 % interval [-0.30, +1.30] over 3 paired seeds, which contains 0:
        no significant difference”; with fewer seeds the points and "no interval"."""
        head = f"{self.mean:+.{decimals}f} points"
        n = len(self.diffs)
        if n == 1:
            return f"{head} (one seed, no interval)"
        if self.half is None:
            points = join_names([f"{d:+.{decimals}f}" for d in self.diffs])
            return f"{head} (mean of {n_seeds_text(n)}, {points}: no interval)"
        low, high = self.mean - self.half, self.mean + self.half
        verdict = ("excludes 0: a significant difference" if self.significant
                   else "contains 0: no significant difference")
        return (f"{head}, 95 % interval [{low:+.{decimals}f}, {high:+.{decimals}f}] over "
                f"{n} paired seeds, which {verdict}")

    def short(self, decimals: int = 2) -> str:
        """The compact form for a table or a list that states the convention once, as Markdown:
        ``"+7.83 [+1.49, +14.17]\\*"``, a star (escaped: two unescaped stars of one line would
        turn the text between them into italics) where the interval excludes 0; with fewer seeds
        ``"+0.50 (one seed)"`` or ``"+0.00 (two seeds, no interval)"``."""
        head = f"{self.mean:+.{decimals}f}"
        if self.half is None:
            n = len(self.diffs)
            return f"{head} (one seed)" if n == 1 else f"{head} ({n_seeds_text(n)}, no interval)"
        low, high = self.mean - self.half, self.mean + self.half
        return f"{head} [{low:+.{decimals}f}, {high:+.{decimals}f}]" + ("\\*" if self.significant else "")


def paired(a: Mapping[Any, float], b: Mapping[Any, float]) -> Paired:
    """:class:`Paired` differences ``a[seed] - b[seed]`` of two ``{seed: value}`` mappings.

    Raises:
        ValueError: the two do not have the same seeds (a difference needs both runs of a seed).
    """
    from mmhar_lite.results import mean_ci

    if set(a) != set(b) or not a:
        raise ValueError(f"paired: both sides need the same seeds, got {sorted(a)} and {sorted(b)}")
    seeds = sorted(a)
    diffs = tuple(float(a[s]) - float(b[s]) for s in seeds)
    mean, _, half = mean_ci(diffs)
    return Paired(diffs, mean, half if len(diffs) >= MIN_SEEDS_FOR_CI else None)


def tie_groups(means: Mapping[str, float], decimals: int = 2) -> list[list[str]]:
    """Names grouped by their value at the printed precision, highest first (ties in given order)."""
    groups: dict[float, list[str]] = {}
    for name, value in means.items():
        groups.setdefault(round(float(value), decimals), []).append(name)
    return [groups[v] for v in sorted(groups, reverse=True)]


def ranking(means: Mapping[str, float], decimals: int = 2) -> str:
    """An ordering that states ties as ties: “cmc (99.46 %) > cmc-hnl = cmc-cmkm (98.91 %)”."""
    if not means:
        raise ValueError("ranking needs at least one value")
    return " > ".join(f"{' = '.join(group)} ({float(means[group[0]]):.{decimals}f} %)"
                      for group in tie_groups(means, decimals))


def tie_note(*means: Mapping[str, float], decimals: int = 2) -> str:
    """The legend of :func:`ranking`'s ``=``, only where one of the orderings shows a tie:
    ``' ("=" marks a tie at the printed precision)'`` or ``""``."""
    tied = any(len(group) > 1 for m in means for group in tie_groups(m, decimals))
    return ' ("=" marks a tie at the printed precision)' if tied else ""


def relation(a: float, b: float, decimals: int = 2) -> str:
    """``"above"``, ``"below"`` or ``"level with"`` (equal at the printed precision)."""
    a, b = round(float(a), decimals), round(float(b), decimals)
    return "above" if a > b else "below" if a < b else "level with"


#: A gap between two accuracies is "far" (:func:`margin_word`) when it is at least this many
#: points, or when the errors' ratio reaches :data:`FAR_ERROR_RATIO`.
FAR_POINTS = 10.0
#: A gap between two accuracies is also "far" (:func:`margin_word`) when the lower accuracy makes
#: at least this many times the test errors of the higher one: near 100 % a gap of a few points
#: is most of the remaining errors.
FAR_ERROR_RATIO = 2.0


def margin_word(a: float, b: float, decimals: int = 1) -> str:
    """How accuracy ``a`` (%) stands to ``b`` (%), one rule for every chapter: ``"far above"``,
    ``"above"``, ``"level with"`` (equal at the printed precision), ``"below"`` or ``"far below"``
    (a gap of :data:`FAR_POINTS` points or more, or :data:`FAR_ERROR_RATIO` times the errors)."""
    side = relation(a, b, decimals)
    if side == "level with":
        return side
    high, low = max(float(a), float(b)), min(float(a), float(b))
    ratio = (100.0 - low) / max(100.0 - high, 1e-9)
    return ("far " if high - low >= FAR_POINTS or ratio >= FAR_ERROR_RATIO else "") + side


def margin_text(a: float, b: float, what: str, decimals: int = 1) -> str:
    """:func:`margin_word` with its numbers, ``a`` and ``b`` accuracies in %: “far below <what>
    (5.1 points, 6.0 times as many test errors)”, “above <what> (0.5 points, 1.5 times fewer test
    errors)”, ``"level with <what>"`` (the error ratio left out where the better one makes none)."""
    word = margin_word(a, b, decimals)
    if word == "level with":
        return f"level with {what}"
    err_a, err_b = 100.0 - float(a), 100.0 - float(b)
    points = f"{abs(float(a) - float(b)):.{decimals}f} points"
    better = err_a if a > b else err_b
    if better <= 0:
        return f"{word} {what} ({points})"
    times = err_b / err_a if a > b else err_a / err_b
    times_text = f"{times:.{1 if times >= 2 else 2}f} times"  # 1.02, not a misleading 1.0
    ratio = f"{times_text} fewer test errors" if a > b else f"{times_text} as many test errors"
    return f"{word} {what} ({points}, {ratio})"


def versus_spread(value: float, samples: Sequence[float]) -> str | None:
    """Where ``value`` lies against the mean of ``samples`` (e.g. per-batch measures): ``"above"``
    or ``"below"`` the 95 % Student-t interval of their mean, ``"within"`` it, or ``None`` when
    fewer than :data:`MIN_SEEDS_FOR_CI` samples give no interval."""
    from mmhar_lite.results import mean_ci

    if len(samples) < MIN_SEEDS_FOR_CI:
        return None
    mean, _, half = mean_ci([float(s) for s in samples])
    return "above" if value > mean + half else "below" if value < mean - half else "within"


def course(values: Sequence[float], decimals: int = 2) -> str:
    """How a sequence moves from first to last, compared at the printed precision, each change of
    direction stated: ``"falls"``, ``"rises, then falls"``, ``"falls, then stays level"``, or
    ``"does not change"`` (equal printed values are level, not a trend)."""
    v = [round(float(x), decimals) for x in values]
    if len(v) < 2:
        raise ValueError(f"course needs at least two values, got {list(values)}")
    steps = ["rises" if b > a else "falls" if b < a else "stays level" for a, b in zip(v, v[1:])]
    runs = [s for k, s in enumerate(steps) if k == 0 or s != steps[k - 1]]
    return "does not change" if runs == ["stays level"] else ", then ".join(runs)


def most_confused_pairs(cm: Any) -> tuple[int, list[tuple[int, int]]]:
    """The class pairs that a ``(K, K)`` confusion matrix (rows true, columns predicted) swaps
    most, both directions counted: ``(count, [(i, j), ...])`` with ``i < j`` in row order.

    Every pair sharing the largest ``cm[i, j] + cm[j, i]`` is listed, so that a tie is stated
    rather than settled by index order (as an argmax, :func:`~mmhar_lite.training.most_confused`, does).

    Raises:
        ValueError: ``cm`` is not square with K > 1.
    """
    import numpy as np

    counts = np.asarray(cm)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.shape[0] < 2:
        raise ValueError(f"cm: expected a (K, K) confusion matrix with K > 1, got shape {counts.shape}")
    both = np.triu(counts + counts.T, k=1)
    top = int(both.max())
    return top, [(int(i), int(j)) for i, j in zip(*np.nonzero(both == top)) if i < j]


def _class_of(cm: Any, k: int, name: str) -> Any:
    """``cm`` as a square array, checked to have class ``k`` (``name``: the caller's argument,
    for the error)."""
    import numpy as np

    counts = np.asarray(cm)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1]:
        raise ValueError(f"cm: expected a (K, K) confusion matrix, got shape {counts.shape}")
    if not 0 <= k < counts.shape[0]:
        raise ValueError(f"{name}: expected a class in [0, {counts.shape[0]}), got {k}")
    return counts


def confused_with(cm: Any, i: int) -> list[tuple[int, int]]:
    """Where the test samples of class ``i`` went, other than to ``i``: ``(predicted class,
    count)`` for every class that received at least one, most first (ties in class order).

    Raises:
        ValueError: ``cm`` is not square or ``i`` is not one of its classes.
    """
    counts = _class_of(cm, i, "i")
    row = [(int(j), int(counts[i, j])) for j in range(counts.shape[0]) if j != i and counts[i, j] > 0]
    return sorted(row, key=lambda jc: -jc[1])


#: A predicted class is a *catch-all* when it takes at least this share of the test samples of
#: each of :data:`CATCH_ALL_MIN_CLASSES` or more other classes (:func:`catch_all_sources`).
CATCH_ALL_SHARE = 0.25
#: See :data:`CATCH_ALL_SHARE`.
CATCH_ALL_MIN_CLASSES = 2


def catch_all_sources(cm: Any, j: int) -> list[int]:
    """Whether predicted class ``j`` is a catch-all of a ``(K, K)`` confusion matrix (rows true,
    columns predicted), and of which classes: every class other than ``j`` of which ``j`` takes
    at least :data:`CATCH_ALL_SHARE` of the test samples, in class order, if there are
    :data:`CATCH_ALL_MIN_CLASSES` or more of them; else ``[]``. A class without test samples is
    never one of them.

    Raises:
        ValueError: ``cm`` is not square or ``j`` is not one of its classes.
    """
    counts = _class_of(cm, j, "j")
    totals = counts.sum(axis=1)
    sources = [int(o) for o in range(counts.shape[0])
               if o != j and totals[o] > 0 and counts[o, j] >= CATCH_ALL_SHARE * totals[o]]
    return sources if len(sources) >= CATCH_ALL_MIN_CLASSES else []


def pairs_text(pairs: Sequence[tuple[str, str]], count: int, *, max_named: int = 6) -> str:
    """The most swapped pair(s) of :func:`most_confused_pairs`, by name, as a phrase:
    ``"`a` / `b` (8 samples)"``, ``"3 pairs tied at 8 samples each, `a` / `b`, `c` / `d` and ..."``,
    beyond ``max_named`` pairs only how many tie, and “none (no sample taken for another class)”
    when ``count`` is 0."""
    if not pairs:
        raise ValueError("pairs: expected at least one pair")
    if count == 0:
        return "none (no sample taken for another class)"
    samples = f"{count} sample{'s' if count != 1 else ''}"
    named = [f"`{a}` / `{b}`" for a, b in pairs]  # two code spans: a line may break at the slash
    if len(pairs) == 1:
        return f"{named[0]} ({samples})"
    head = f"{len(pairs)} pairs tied at {samples} each"
    return f"{head}, {join_names(named)}" if len(pairs) <= max_named else head


def chance_pvalue(values: Sequence[float], n_classes: int, n_test: int) -> float:
    """One-sided binomial test p-value that per-seed accuracies (in %) on the same ``n_test``
    test recordings are above guessing, ``100 / n_classes`` %: the seeds' mean correct count
    (rounded) against Binomial(``n_test``, 1 / ``n_classes``).

    The seeds are scored on one shared test set, so they are not independent trials of it:
    pooling their counts over ``n_test * seeds`` trials would call a model that is right on the
    same few recordings every seed significant. Averaging keeps one test set's worth of evidence.
    """
    from scipy import stats

    if n_classes < 2 or n_test < 1 or not values:
        raise ValueError(f"chance test needs n_classes >= 2, n_test >= 1 and values, "
                         f"got {n_classes}, {n_test}, {list(values)}")
    correct = round(sum(float(v) / 100 * n_test for v in values) / len(values))
    return float(stats.binomtest(correct, n_test, 1 / n_classes, alternative="greater").pvalue)


def above_chance(values: Sequence[float], n_classes: int, n_test: int, *, level: float = 0.05) -> bool:
    """Whether per-seed accuracies (in %) on ``n_test`` test recordings each are significantly
    above guessing, ``100 / n_classes`` %: :func:`chance_pvalue` below ``level``."""
    return chance_pvalue(values, n_classes, n_test) < level


def p_text(p: float) -> str:
    """A p-value as printed: ``"p = 0.012"``, ``"p = 3.1e-08"``, ``"p < 1e-300"`` (below what a
    float holds)."""
    if p < 1e-300:
        return "p < 1e-300"
    return f"p = {p:.3f}" if p >= 0.001 else f"p = {p:.1e}"


def chance_sentence(values: Mapping[str, Sequence[float]], n_classes: int, n_test: int, *,
                    noun: str = "row") -> str:
    """Which rows (``{name: per-seed accuracies in %}``) are at chance level, as one sentence
    naming the test (``noun``: what one entry is called, "row", "point")."""
    chance = f"{100 / n_classes:.2f} % (1 in {n_classes} classes)"
    test = (f"one-sided binomial test of the mean correct count over the {n_test} test "
            "recordings the seeds share")
    pvalues = {name: chance_pvalue(v, n_classes, n_test) for name, v in values.items()}
    low = [name for name, p in pvalues.items() if not p < 0.05]
    if not low:
        return (f"Every {noun} is significantly above chance level, {chance}: {test}, "
                f"largest {p_text(max(pvalues.values()))}.")
    if len(low) == len(values):
        return (f"Every {noun} is at chance level: none is significantly above {chance}, {test}; "
                "these numbers say nothing about the methods.")
    verb = "is" if len(low) == 1 else "are"
    return f"{join_names(low)} {verb} at chance level (not significantly above {chance}, {test})."


def versus_chance(percent: float, n_items: int, decimals: int = 1) -> str:
    """Where a top-1 share (in %) over ``n_items`` candidates lies against chance, ``100 / n_items``
    %, compared at the printed precision: ``"at chance"``, ``"below chance"``, ``"above chance but
    below twice chance"`` or ``"at least twice chance"``."""
    if n_items < 2:
        raise ValueError(f"versus_chance needs n_items >= 2, got {n_items}")
    value, chance = round(float(percent), decimals), round(100 / n_items, decimals)
    if value == chance:
        return "at chance"
    if value < chance:
        return "below chance"
    return "above chance but below twice chance" if value < round(200 / n_items, decimals) else "at least twice chance"


def sweep_sentence(values: Mapping[str, Mapping[Any, float]], *, decimals: int = 2,
                   rerun: tuple[str, str, Mapping[Any, float]] | None = None) -> str:
    """Best and worst setting of a sweep (``{setting: {seed: accuracy in %}}``), ties stated as
    ties, and whether they differ, judged on their paired (same-seed) difference.

    ``rerun``: ``(what, setting, {seed: accuracy})``, a second run of one ``setting`` (same
    configuration and seeds, e.g. made with another code version). Where that setting is the best
    or the worst, the paired test is repeated with the second run in its place; a verdict that
    changes with the run chosen is not read as the setting mattering.
    """
    from mmhar_lite.results import mean_ci

    if not values:
        raise ValueError("sweep_sentence needs at least one setting")
    means = {name: mean_ci(list(v.values()))[0] for name, v in values.items()}
    groups = tie_groups(means, decimals)
    n = min(len(v) for v in values.values())
    if len(values) == 1:
        return f"Only {next(iter(values))} was run: there is nothing to compare."
    if len(groups) == 1:
        return (f"Every setting gives the same mean, {means[groups[0][0]]:.{decimals}f} % "
                f"({n_seeds_text(n)}): this sweep cannot tell them apart.")
    best, worst = groups[0], groups[-1]

    def side(group: list[str]) -> str:
        tied = " each" if len(group) > 1 else ""
        return f"{join_names(group)} ({means[group[0]]:.{decimals}f} %{tied})"

    top = max(best, key=means.get)
    bottom = min(worst, key=means.get)
    diff = paired(values[top], values[bottom])
    verdict = {True: (f"so the choice matters here (though best and worst were picked after the fact "
                      f"among {len(values)} settings, which makes a significant gap likelier by chance)"),
               False: "so this sweep cannot tell them apart",
               None: "so this sweep cannot tell them apart"}[diff.significant]
    # one sentence per step (the settings, the test, its repetition): each test already ends in a
    # verdict of its own ("which excludes 0: a significant difference")
    found = f"The best mean is at {side(best)}, the worst at {side(worst)}. Paired by seed, {top} minus {bottom} is"
    if rerun is None or rerun[1] not in (top, bottom):
        return f"{found} {diff.text(decimals)}, {verdict}."
    what, setting, other = rerun
    swapped = {**values, setting: other}
    again = paired(swapped[top], swapped[bottom])
    redo = f"With {what} in place of this {setting}, {top} minus {bottom} is {again.text(decimals)}"
    if again.significant == diff.significant and (not diff.significant or (again.mean > 0) == (diff.mean > 0)):
        return f"{found} {diff.text(decimals)}, {verdict}. {redo}, the same verdict."
    return (f"{found} {diff.text(decimals)}. {redo}. The verdict depends on which of two runs of one configuration "
            "is used, so the sweep does not show that the choice matters.")


def pairing_sentence(halves: Sequence[tuple[float, float, float]], *, noun: str = "comparisons",
                     rule: bool = True) -> str:
    """How often pairing by seed narrowed an interval, one rule for every chapter.

    Args:
        halves: per comparison, (paired half-width, half-width of ``a``, half-width of ``b``) (same
            unit); comparisons without intervals (fewer than three seeds) are left out by the caller.
        noun: what the comparisons are called in the sentence (plural).
        rule: end with the rule (pairing narrows only where the runs of one seed move together)
            and how the counts bear it out; ``False`` for the counts alone, where the page states
            the rule once for several of these sentences.
    """
    if not halves:
        return f"With fewer than {MIN_SEEDS_FOR_CI} seeds there are no intervals to compare."
    narrower = sum(p < min(a, b) for p, a, b in halves)
    wider = sum(p >= max(a, b) for p, a, b in halves)
    n = len(halves)
    said = ("pairing narrows the interval only where the two runs of one seed move together (it removes what "
            "they share)")
    found = ("as they do in every one here" if narrower == n else "as they mostly do here" if narrower > n / 2 else "which they rarely do here" if narrower < n / 2
             else "as they do in half of these")
    counts = (f"The paired interval is narrower than both separate intervals in {narrower} of the {n} {noun} "
              f"and at least as wide as both in {wider}")
    if not rule:
        return counts + "."
    return f"{counts}: {said}, {found}."


def paired_summary(pairs: Mapping[str, Paired], decimals: int = 2, *,
                   names: tuple[str, str] | None = None, compact: bool = False) -> str:
    """Per setting (``{"2 %": paired(a, b), ...}``) the paired difference, then at how many
    settings its interval excludes 0, as one sentence; with ``names`` (of ``a`` and ``b``) also
    in which direction each such difference goes ("a is below b at 2 %"). ``compact``: each
    difference in :meth:`Paired.short` form, for a page that states that convention once."""
    if not pairs:
        raise ValueError("paired_summary needs at least one setting")
    each = "; ".join(f"{name}: {p.short(decimals) if compact else p.text(decimals)}" for name, p in pairs.items())
    if any(p.significant is None for p in pairs.values()):
        return (f"{each}. With fewer than {MIN_SEEDS_FOR_CI} seeds there is no interval, so this run "
                "cannot say whether the two differ")
    apart = [name for name, p in pairs.items() if p.significant]
    if not apart:
        at = {1: "at the one setting", 2: "at both"}.get(len(pairs), f"at all {len(pairs)}")
        return f"{each}. The interval contains 0 {at}: no significant difference anywhere"
    direction = ""
    if names is not None:
        sides = {side: [n for n in apart if (pairs[n].mean > 0) == (side == "above")] for side in ("above", "below")}
        found = [side for side, at in sides.items() if at]
        # one direction: its settings are the ones just named, so they are not repeated
        direction = (f"; {names[0]} {found[0]} {names[1]}" if len(found) == 1 else
                     "; " + ", ".join(f"{names[0]} {side} {names[1]} at {join_names(sides[side])}" for side in found))
    rest = "and contains it elsewhere" if len(apart) < len(pairs) else "that is, everywhere"
    return (f"{each}. The interval excludes 0 at {join_names(apart)} ({len(apart)} of {len(pairs)}"
            f"{direction}) {rest}")


def values_at(values: Sequence[float], betas: Sequence[float], decimals: int, unit: str = "") -> str:
    """One value per beta as a table prints them: “0.120, 0.150 and 0.180 at β = 0, 1 and 2”."""
    if len(values) != len(betas) or not betas:
        raise ValueError(f"values_at: expected one value per beta, got {len(values)} for {len(betas)}")
    return (join_names([f"{float(x):.{decimals}f}{unit}" for x in values]) + " at β = "
            + join_names([f"{float(b):g}" for b in betas]))


def neighbour_ties(values: Sequence[float], betas: Sequence[float], decimals: int) -> str:
    """Neighbouring betas whose values are equal at the printed precision, shown with two more
    digits (``""`` where none tie): the reader then sees that "stays level" is a rounding."""
    return "".join(
        f" (the β = {a:g} and β = {b:g} models tie at the printed precision: "
        f"{x:.{decimals + 2}f} and {y:.{decimals + 2}f})"
        for a, b, x, y in zip(betas, betas[1:], values, values[1:])
        if round(float(x), decimals) == round(float(y), decimals))


def step_word(p: Paired) -> str:
    """``"rises"`` or ``"falls"`` only where the 95 % interval of the paired differences excludes
    0, else ``"stays level"``."""
    return ("rises" if p.mean > 0 else "falls") if p.significant else "stays level"


def batch_steps(per_batch: Mapping[float, Mapping[Any, float]]
                ) -> list[tuple[float, float, float, float, Paired]]:
    """Per step between neighbouring betas ``(a, b)`` (in the mapping's order): the mean of a
    measure over the batches at ``a`` and at ``b`` and their differences ``b - a`` paired by batch.

    Args:
        per_batch: beta -> {batch -> the measure on that batch}, the same batches at every beta.
    """
    betas = list(per_batch)
    mean = {b: sum(per_batch[b].values()) / len(per_batch[b]) for b in betas}
    return [(a, b, float(mean[a]), float(mean[b]), paired(per_batch[b], per_batch[a]))
            for a, b in zip(betas, betas[1:])]


def judged_course(values: Sequence[float], betas: Sequence[float], decimals: int,
                  per_batch: Mapping[float, Mapping[Any, float]] | None = None) -> str:
    """How a value moves along the betas, each step judged by the batch-to-batch spread of one
    model: “rises, then stays level within the batch-to-batch spread from β = 1 to 2”.

    With at least :data:`MIN_SEEDS_FOR_CI` batches in ``per_batch`` (:func:`batch_steps`), a step is
    a rise or a fall where the 95 % interval of its paired differences excludes 0; with fewer
    (or none), :func:`course` at the printed precision, ties shown (:func:`neighbour_ties`).
    """
    if per_batch is None or min(len(v) for v in per_batch.values()) < MIN_SEEDS_FOR_CI:
        return course(values, decimals) + neighbour_ties(values, betas, decimals) + " (at the printed precision)"
    steps = [step_word(p) if p.significant else
             f"stays level within the batch-to-batch spread from β = {a:g} to {b:g}"
             for a, b, _, _, p in batch_steps(per_batch)]
    runs = [s for k, s in enumerate(steps) if k == 0 or s != steps[k - 1]]
    return ", then ".join(runs)


def ordinal(k: int) -> str:
    """``"1st"``, ``"2nd"``, ``"3rd"``, ``"11th"``, ``"102nd"``."""
    return f"{k}{'th' if 10 <= k % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(k % 10, 'th')}"


def shade(times: float, reach: float, hue: str) -> str:
    """How deep a weight's colour is on a log colour bar running from ``10**-reach`` to
    ``10**reach`` times uniform: ``"pale red"``, ``"light blue"``, ``"deep red"`` (thirds of the
    distance from white to the bar's end)."""
    depth = min(abs(math.log10(float(times))) / float(reach), 1.0)
    return ("pale " if depth < 1 / 3 else "light " if depth < 2 / 3 else "deep ") + hue


# --------------------------------------------------------------------------------------------
# chapter 5: the sentences about one model per beta, its weights and its embeddings


def step_rule_note(n_batches: int, batch_size: int, *, epochs: str) -> str:
    """How :doc:`chapter 5 (The latent space) </notebooks/05_latent_space>` calls a step
    between neighbouring betas a rise or a fall, and the chapter's one caveat about its models
    (said here once, not at every number).

    Args:
        n_batches: training-size batches of test rows that judge each step.
        batch_size: rows per batch.
        epochs: the models' pre-training, as the page prints it (``"6 epochs"``).
    """
    models = (f"One model per β (seed 0, {epochs} of pre-training on synthetic data): every "
              "verdict of this page describes these models, and whether another seed would repeat "
              "a step, one model per β cannot say. ")
    if n_batches < MIN_SEEDS_FOR_CI:
        return (models + f"With fewer than {MIN_SEEDS_FOR_CI} training-size batches of test rows "
                "there is no spread to judge a step by, so the courses are read at the printed "
                "precision.")
    return (models + "A step between neighbouring β is called a rise or a fall only where it is "
            "beyond the **batch-sampling interval**: the 95 % t-interval of the differences, "
            f"paired by batch, over the {n_batches} batches of {batch_size} test rows of the "
            "second table above excludes 0; \"stays level\" otherwise.")


def embedding_rule_texts(n_rows: int, n_batches: int, batch_size: int, high_beta: float
                         ) -> tuple[str, str]:
    """The rule of :doc:`chapter 5 (The latent space) </notebooks/05_latent_space>` for the
    embeddings' courses and its pointer to the per-batch table: ``(rule, pointer)``, for ``n_rows`` test rows cut into ``n_batches`` of ``batch_size``."""
    if n_batches < MIN_SEEDS_FOR_CI:
        return ((f"each step read at the printed precision: the test set ({n_rows} recordings) "
                 f"holds fewer than {MIN_SEEDS_FOR_CI} batches of the training size {batch_size}, "
                 "so there is no batch-to-batch spread to judge a step by (the same fallback as "
                 "for the weights)"),
                (f"with fewer than {MIN_SEEDS_FOR_CI} training-size batches of test rows, every "
                 "course is read at the printed precision."))
    return ((f"each step judged by the same batch-sampling interval as the weights, on the "
             "numbers of the table below (the weights' steps first, those of the one embedding "
             f"of the β = {high_beta:g} model marked \"emb.\", then the embeddings'): the mean "
             f"of each measure over the {n_batches} batches of {batch_size} test rows at each "
             "β, and the difference of neighbouring models paired by batch, ± the half-width "
             "of its 95 % t-interval (\"rises\" or \"falls\" where the interval excludes 0, "
             "\"stays level\" where it contains it). These means are over the batches, so they "
             "differ a little from the whole-test-set table above"),
            ("the per-batch numbers behind every \"rises\", \"falls\" and \"stays level\" are in "
             "the table under \"What β does to the embeddings\" below."))


def spread_summary(effective: float, n_negatives: int) -> str:
    """What an effective number of negatives out of ``n_negatives`` says about the weights."""
    if effective > n_negatives / 2:
        return ("the weight still spreads over most of the negatives, a tilt towards the nearest "
                "ones rather than a few heavy ones")
    if effective > 10:
        return "the weight sits on a minority of the negatives"
    return "a few heavy negatives take most of the weight"


def batch_share_verdict(whole: float, in_batches: Sequence[float], n_negatives: int) -> str:
    """The effective share of the negatives (%) in training-size batches against the whole test
    set's, judged by the batch-to-batch spread of the one model.

    Args:
        whole: the share over the whole test set as one batch (%, of ``n_negatives``).
        n_negatives: the negatives of an anchor when the whole test set is one batch.
        in_batches: the share in each training-size batch (%); from :data:`MIN_SEEDS_FOR_CI`
            of them on, the 95 % t-interval of their mean judges the difference
            (:func:`versus_spread`).
    """
    from mmhar_lite.results import mean_ci

    mean = sum(in_batches) / len(in_batches)
    text = f"{mean:.1f} % of the negatives against {whole:.1f} % of all {n_negatives}"
    where = versus_spread(whole, in_batches)
    if where is None:
        many = "es give" if len(in_batches) > 1 else " gives"
        return (text + f", a difference of {abs(mean - whole):.1f} points, and {len(in_batches)} "
                f"batch{many} no batch-to-batch spread to judge it by")
    half = mean_ci([float(x) for x in in_batches])[2]
    if where == "within":
        finding = ("as concentrated in batches of the training size as over the whole test set, "
                   "within the spread from batch to batch")
    else:
        finding = (("more" if where == "above" else "less") + " concentrated in batches of the "
                   "training size than over the whole test set, beyond the spread from batch to "
                   "batch")
    return (text + f"; the {len(in_batches)} batches give "
            f"{join_names([f'{x:.1f}' for x in in_batches])} % (mean {mean:.1f} %, 95 % "
            f"t-interval of the mean over the batches [{mean - half:.1f}, {mean + half:.1f}] "
            f"%). The whole test set lies {'inside' if where == 'within' else 'outside'} that "
            f"interval: {finding}")


def star_versus_heaviest(star: float, heaviest: Sequence[float], decimals: int = 3) -> str:
    """Whether the anchor's own positive (the star's cosine to the anchor) is more or less
    similar to it than its heaviest negatives, compared at the printed precision."""
    star = round(float(star), decimals)
    if star < round(float(min(heaviest)), decimals):
        return ("The star is thus no stand-in for the anchor: the heaviest negatives are more "
                "similar to the anchor than its own positive is")
    if star > round(float(max(heaviest)), decimals):
        return ("The star is more similar to the anchor than they are, but a 2-D projection need "
                "not keep such distances")
    return ("At this precision the star is about as similar to the anchor as they are, and a 2-D "
            "projection need not keep such distances")


def weight_ratio_note(betas: Sequence[float], gaps: Sequence[float], temperature: float) -> str:
    """Why the weights of two betas look alike or differ: ``q_j ∝ exp(β cos_j / t)``, so the
    heaviest negative outweighs the median one by ``exp(β Δ / t)``, where ``Δ`` is the gap between
    their cosines to the anchor (one per beta: each model has its own embedding).

    The verdict compares the two largest betas: "alike" while the larger one's ratio is less than
    1.5 times the smaller one's.
    """
    if len(betas) != len(gaps) or not betas:
        raise ValueError(f"weight_ratio_note: expected one gap per beta, got {len(gaps)} for {len(betas)}")
    t = float(temperature)
    ratios = [math.exp(float(b) * float(g) / t) for b, g in zip(betas, gaps)]
    # plain Unicode: this TeX showed untypeset on the built page (browser test)
    text = ("Because qⱼ ∝ exp(β cosⱼ / t), the heaviest negative outweighs the "
            "median one by exp(β Δ / t), with Δ the gap between their cosines "
            f"to the anchor. For the figure's first anchor Δ is "
            f"{values_at(gaps, betas, 3)} (each model its own embedding) and t = {t:g}, so the "
            f"heaviest weight over the median one is {values_at(ratios, betas, 2)}.")
    tilted = [(b, r) for b, r in zip(betas, ratios) if b > 0]
    if len(tilted) < 2:
        return text
    (b1, r1), (b2, r2) = tilted[-2:]
    grow = r2 / r1
    if grow < 1.5:
        return text + (f" From β = {b1:g} to β = {b2:g} the ratio grows only {grow:.2f}-fold: the "
                       "larger β meets a model whose cosines are no more spread, so the two "
                       "weight maps look alike.")
    return text + (f" From β = {b1:g} to β = {b2:g} the ratio grows {grow:.2f}-fold, so the "
                   "heaviest negatives stand out visibly more at the larger β.")


def anchor_note(high_beta: float, heaviest: Sequence[float], star: float, median: float,
                alignment: float, rank_2d: Sequence[int], rank_128: Sequence[int],
                n_negatives: int) -> str:
    """The paragraph of :doc:`chapter 5 (The latent space) </notebooks/05_latent_space>` on how
    near the figure's first anchor its heaviest negatives are: in cosine to the IMU anchor (which sets the weights), in the map and in 128 dimensions.

    Args:
        high_beta: the model's beta.
        heaviest: cosines of the three heaviest negatives to the IMU anchor, heaviest first.
        star: cosine of the anchor's own skeleton (the star) to the IMU anchor.
        median: the median negative's cosine to the IMU anchor.
        alignment: the model's alignment over all test pairs (mean squared distance).
        rank_2d: the heaviest negatives' ranks by drawn distance to the star, of ``n_negatives``.
        rank_128: their ranks by cosine to the star's skeleton embedding.
        n_negatives: the anchor's negatives.
    """
    ranks = (join_names([ordinal(k) for k in rank_2d]), join_names([ordinal(k) for k in rank_128]))
    return (f"For the figure's first anchor at β = {high_beta:g} the three heaviest negatives have "
            f"cosines {join_names([f'{float(c):.3f}' for c in heaviest])} to the IMU anchor "
            f"(which is not drawn), its own skeleton, the star, {float(star):.3f}, and the median "
            f"negative {float(median):.3f}. {star_versus_heaviest(star, heaviest)} (over all test "
            f"pairs the alignment at β = {high_beta:g}, {alignment:.3f}, is a mean cosine of "
            f"{1 - alignment / 2:.2f} between a recording's IMU and skeleton embeddings). In the "
            f"2-D picture (distance between drawn points) the three marked points are the {ranks[0]} "
            f"nearest of {n_negatives} to the star; in the 128-dimensional embedding (cosine to "
            f"the star's skeleton embedding) they are the {ranks[1]} nearest, and by cosine to "
            "the IMU anchor, which sets the weights, the 1st, 2nd and 3rd.")
