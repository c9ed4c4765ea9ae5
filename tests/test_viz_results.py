"""Tests for mmhar_lite.viz_results: results bars, CI lines, confusion matrices and regimes."""

import numpy as np
import pytest
from scipy import stats

from mmhar_lite import viz_results


def records(rng):
    """Per-seed result records shaped like experiments' (fractions), with sweep keys."""
    out = []
    for method in ("cmc", "cmc-hnl"):
        for seed in range(3):
            for beta in (0.5, 1.0):
                for fraction in (0.1, 0.5):
                    out.append(dict(method=method, pretrain_modality="multimodal",
                                    finetune_modality="multimodal", dataset="synthetic", seed=seed,
                                    accuracy=float(rng.uniform(0.6, 0.9)), macro_f1=0.7, beta=beta,
                                    label_fraction=fraction, temperature=0.1))
    return out


def summary_row(method, pre, fine, accs, **keys):
    accs = np.asarray(accs)
    half = stats.t.ppf(0.975, accs.size - 1) * accs.std(ddof=1) / np.sqrt(accs.size)
    return dict(method=method, pretrain_modality=pre, finetune_modality=fine, n=accs.size, **keys,
                accuracy_mean=accs.mean(), accuracy_std=accs.std(ddof=1), accuracy_ci95=half)


def test_results_bar_rows_and_paper_numbers():
    summary = [summary_row("cmc", "multimodal", "multimodal", [0.80, 0.90], note="ignored"),
               summary_row("cmc-hnl", "multimodal", "imu", [0.70, 0.72, 0.74])]
    paper = {("cmc", "multimodal", "multimodal"): 95.35, ("cmc-hnl", "multimodal", "imu"): None}
    fig = viz_results.results_bar(summary, paper=paper)
    ours, published = fig.data
    # horizontal bars: short method names on the y axis, first row on top
    assert ours.orientation == published.orientation == "h"
    assert list(ours.y) == ["cmc (mm)", "cmc-hnl (mm → imu)"]
    assert fig.layout.yaxis.autorange == "reversed"
    np.testing.assert_allclose(ours.x, [85.0, 72.0])
    np.testing.assert_allclose(ours.error_x.array, [100 * np.std([0.8, 0.9], ddof=1), 2.0])
    assert list(published.x) == [95.35, None]
    assert fig.layout.xaxis.title.text == "accuracy (%)" and ours.name == "this run, mean ± std"
    with pytest.raises(ValueError, match=r"summary\[0\]: missing keys \['macro_f1_mean', 'macro_f1_std'\]"):
        viz_results.results_bar(summary, metric="macro_f1")
    with pytest.raises(ValueError, match="summary"):
        viz_results.results_bar([])


def test_results_bar_clips_error_bars_at_100_and_zooms_on_request():
    summary = [summary_row("cmc", "multimodal", "multimodal", [0.97, 0.99, 1.0]),
               summary_row("random-init", "none", "multimodal", [0.86, 0.88, 0.90])]
    paper = {("cmc", "multimodal", "multimodal"): 95.35}
    fig = viz_results.results_bar(summary, paper=paper, run_name="committed run", zoom=True)
    ours = fig.data[0]
    std = 100 * np.std([0.97, 0.99, 1.0], ddof=1)
    np.testing.assert_allclose(ours.error_x.array[0], 100 - 100 * np.mean([0.97, 0.99, 1.0]))
    np.testing.assert_allclose(ours.error_x.arrayminus[0], std)
    assert ours.name == "committed run, mean ± std"
    # the lowest bar minus its std is 86 %: the axis starts at the multiple of 5 at least 5 points below
    # it (so the shortest bar is not a stub), and says so, with the cmc bar's std cut at 100 %
    assert list(fig.layout.xaxis.range) == [80.0, 100.0]
    assert fig.layout.xaxis.title.text == "accuracy (%)<br>axis starts at 80 %<br>error bars cut at 100 %"
    uncut = [summary_row("cmc", "multimodal", "multimodal", [0.90, 0.91, 0.92])]
    assert viz_results.results_bar(uncut, zoom=True).layout.xaxis.title.text == "accuracy (%)<br>axis starts at 85 %"
    assert list(viz_results.results_bar(summary).layout.xaxis.range) == [0, 100]
    # a tick at the start the title names (plotly's own ticks began at the next multiple of 10), and
    # 100, where the error bars are cut, labelled, in equal steps
    assert fig.layout.xaxis.tickmode == "array"
    assert list(fig.layout.xaxis.tickvals) == [80.0, 85.0, 90.0, 95.0, 100.0]
    assert list(fig.layout.xaxis.ticktext) == ["80", "85", "90", "95", "100"]
    wide = [summary_row("cmc", "multimodal", "multimodal", [0.30, 0.32, 0.34])]
    assert list(viz_results.results_bar(wide, zoom=True).layout.xaxis.tickvals) == [25.0, 50.0, 75.0, 100.0]
    # 55 % reaches 100 in no equal step of 5-25 within 6 gaps: the axis starts lower, at 50 %
    mid = [summary_row("cmc", "multimodal", "multimodal", [0.60, 0.62, 0.64])]
    mid_axis = viz_results.results_bar(mid, zoom=True).layout.xaxis
    assert list(mid_axis.tickvals) == [50.0, 60.0, 70.0, 80.0, 90.0, 100.0]
    assert list(mid_axis.range) == [50.0, 100.0] and "axis starts at 50 %" in mid_axis.title.text
    near = [summary_row("cmc", "multimodal", "multimodal", [0.40, 0.42, 0.44])]
    assert list(viz_results.results_bar(near, zoom=True).layout.xaxis.tickvals) == [25.0, 50.0, 75.0, 100.0]
    assert viz_results.results_bar(summary).layout.xaxis.tickmode is None  # unzoomed: plotly's ticks from 0


def test_results_bar_marks_flagged_rows_and_says_why():
    summary = [summary_row("simclr", "skeleton", "skeleton", [0.70, 0.72]),
               summary_row("cmc", "multimodal", "multimodal", [0.97, 0.99])]
    paper = {("simclr", "skeleton", "skeleton"): 80.0}
    fig = viz_results.results_bar(summary, paper=paper, flagged=[("simclr", "skeleton", "skeleton")],
                                  flag_note="older encoder")
    ours, published = fig.data
    assert list(ours.y) == list(published.y) == ["simclr (skel) *", "cmc (mm)"]
    assert list(published.x) == [80.0, None]
    assert fig.layout.xaxis.title.text.endswith("<br>* older encoder")
    assert "*" not in viz_results.results_bar(summary, flagged=[("cmc", "imu", "imu")]).layout.xaxis.title.text
    with pytest.raises(ValueError, match="flag_note"):
        viz_results.results_bar(summary, flagged=[("cmc", "multimodal", "multimodal")])


def test_results_bar_row_names_of_two_lines_do_not_overlap():
    # 12 rows of two-line names ("cmc-hnl<br>(mm → imu)") at 22 px a row ran into each other
    methods = ["supervised", "simclr", "simclr-hnl", "cmc", "cmc-cmkm", "cmc-hnl"]
    summary = [{"method": m, "pretrain_modality": "multimodal", "finetune_modality": "imu", "n": 3,
                "accuracy_mean": 0.9, "accuracy_std": 0.01} for m in methods * 2]
    for paper in (None, {("cmc", "multimodal", "imu"): 90.0}):
        for zoom in (False, True):
            fig = viz_results.results_bar(summary, paper=paper, zoom=zoom)
            font = fig.layout.yaxis.tickfont.size
            lines = max(t.count("<br>") + 1 for t in fig.layout.yaxis.ticktext)
            assert lines == 2
            plot = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
            # a row (the plot's height over its rows) holds its name's lines at plotly's 1.25 line
            # height and a gap to the next name, whatever the screen's width
            assert plot / len(summary) >= lines * 1.25 * font + 6
            # the bottom margin holds the tick labels and every line of the axis title
            title_lines = fig.layout.xaxis.title.text.count("<br>") + 1
            assert fig.layout.margin.b >= 20 + title_lines * 16


def test_results_bar_clips_error_bars_at_0_too():
    # mean 2 %, std 3 points: the drawn bar must not reach below 0 %
    low = [summary_row("random-init", "none", "imu", [0.0, 0.01, 0.05])]
    bar = viz_results.results_bar(low).data[0]
    mean = 100 * np.mean([0.0, 0.01, 0.05])
    assert 100 * np.std([0.0, 0.01, 0.05], ddof=1) > mean
    np.testing.assert_allclose(bar.error_x.arrayminus[0], mean)
    assert bar.x[0] - bar.error_x.arrayminus[0] >= 0.0 and bar.x[0] + bar.error_x.array[0] <= 100.0


def test_results_bar_draws_no_error_bar_from_one_seed():
    one = [dict(summary_row("cmc", "multimodal", "multimodal", [0.8, 0.9]), n=1, accuracy_std=0.0),
           dict(summary_row("random-init", "none", "imu", [0.8, 0.9]), n=1, accuracy_std=0.0)]
    bar = viz_results.results_bar(one).data[0]
    assert bar.error_x.visible is False and bar.name == "this run, one seed"
    assert list(bar.y) == ["cmc (mm)", "random-init (imu)"]  # never pre-trained: its head only


def test_results_bar_from_experiments_summarize(rng):
    from mmhar_lite import experiments

    recs = records(rng)
    fig = viz_results.results_bar(experiments.summarize(recs))
    cmc = np.array([r["accuracy"] for r in recs if r["method"] == "cmc"]) * 100
    assert list(fig.data[0].y) == ["cmc (mm)", "cmc-hnl (mm)"]
    assert fig.data[0].x[0] == pytest.approx(cmc.mean())
    assert fig.data[0].error_x.array[0] == pytest.approx(cmc.std(ddof=1))


def test_beta_sweep_ci_band_from_experiments_summarize(rng):
    from mmhar_lite import experiments

    recs = records(rng)
    fig = viz_results.beta_sweep_figure(experiments.summarize(recs, ("method", "finetune_modality", "beta")))
    band, line = fig.data[2], fig.data[3]  # the second method
    assert line.name == "cmc-hnl"  # one head for every row: the method names the line
    assert list(line.x) == [0.5, 1.0]
    # every swept beta has a labelled tick
    assert list(fig.layout.xaxis.tickvals) == [0.5, 1.0] and list(fig.layout.xaxis.ticktext) == ["0.5", "1"]
    accs = np.array([r["accuracy"] for r in recs if r["method"] == "cmc-hnl" and r["beta"] == 1.0]) * 100
    half = stats.t.ppf(0.975, accs.size - 1) * accs.std(ddof=1) / np.sqrt(accs.size)
    assert line.y[1] == pytest.approx(accs.mean())
    assert np.asarray(line.customdata)[1, 0] == pytest.approx(half)
    # the band's upper edge runs left to right, its lower edge back
    np.testing.assert_allclose(band.y[:2], line.y + np.asarray(line.customdata)[:, 0])
    np.testing.assert_allclose(band.y[2:], (line.y - np.asarray(line.customdata)[:, 0])[::-1])


def test_limited_labels_figure():
    summary = [summary_row("cmc-hnl", None, "multimodal", [0.5, 0.6, 0.7], label_fraction=f) for f in (0.5, 0.02)]
    fig = viz_results.limited_labels_figure(summary)
    assert len(fig.data) == 2
    assert list(fig.data[1].x) == [2.0, 50.0]  # sorted, in percent
    assert fig.layout.xaxis.type == "log"
    # at 400 px: a short title, unrotated labels and room past the end points, so that 50 % keeps its label
    assert fig.layout.xaxis.title.text == "labelled fraction (log scale)" and fig.layout.xaxis.tickangle == 0
    lo, hi = fig.layout.xaxis.range
    assert lo < np.log10(2.0) and hi > np.log10(50.0)
    # one labelled tick per measured fraction, not plotly's "2 3 ... 10 2 3 4 5"
    assert list(fig.layout.xaxis.tickvals) == [2.0, 50.0]
    assert list(fig.layout.xaxis.ticktext) == ["2 %", "50 %"]
    named = viz_results.limited_labels_figure(summary, tick_labels={0.02: "2 = 5 %"})
    assert list(named.layout.xaxis.ticktext) == ["2 = 5 %", "50 %"]
    mixed = summary + [summary_row("cmc-hnl", None, "imu", [0.5, 0.6, 0.7], label_fraction=0.5)]
    assert {tr.name for tr in viz_results.limited_labels_figure(mixed).data} >= {"cmc-hnl (multimodal)", "cmc-hnl (imu)"}


def test_ci_band_needs_three_seeds_and_stays_within_0_100():
    two = [summary_row("cmc", None, "multimodal", [0.5, 0.6], label_fraction=f) for f in (0.1, 0.5)]
    only_line = viz_results.limited_labels_figure(two).data
    assert [tr.name for tr in only_line] == ["cmc"]  # no band
    assert "no interval" in only_line[0].text[0] and "±" not in only_line[0].text[0]
    wide = [summary_row("cmc", None, "multimodal", [0.02, 0.5, 0.99], label_fraction=f) for f in (0.1, 0.5)]
    band, line = viz_results.limited_labels_figure(wide).data
    half = np.asarray(line.customdata)[:, 0]
    assert max(line.y + half) > 100 and min(line.y - half) < 0  # the interval itself is wider
    assert min(band.y) == 0.0 and max(band.y) == 100.0
    with pytest.raises(ValueError, match="label_fraction"):
        viz_results.limited_labels_figure([summary_row("cmc", None, "imu", [0.5, 0.6])])


def test_ci_lines_axis_holds_every_band_and_equal_lines_stay_apart():
    # a band reaching 49.35 % (as in a committed Figure 4) must not be cut by an axis starting at 50
    accs = [0.50, 0.55, 0.60]
    rows = [summary_row(m, None, "multimodal", accs, label_fraction=f) for m in ("cmc", "cmc-hnl") for f in (0.1, 0.5)]
    fig = viz_results.limited_labels_figure(rows)
    bands = [tr for tr in fig.data if tr.fill == "toself"]
    lowest, highest = min(min(b.y) for b in bands), max(max(b.y) for b in bands)
    assert lowest < 50
    y0, y1 = fig.layout.yaxis.range
    assert y0 <= lowest and y1 >= highest and y0 % 5 == 0 and 0 <= y0 < y1 <= 100
    assert all(b.mode == "lines" for b in bands)  # no markers at the band's corners
    # the two methods have equal means: they differ in dash and marker, the later one drawn smaller
    cmc, hnl = [tr for tr in fig.data if tr.mode == "lines+markers"]
    np.testing.assert_allclose(cmc.y, hnl.y)
    assert cmc.line.dash != hnl.line.dash and cmc.marker.symbol != hnl.marker.symbol
    assert cmc.marker.size > hnl.marker.size
    # overlapping bands stay apart: each a light fill of its line's colour, edged in the line's
    # colour and dash at full opacity (a trace opacity would fade the edge with the fill)
    for band, line in zip(bands, (cmc, hnl)):
        assert band.fillcolor.startswith("rgba(") and band.fillcolor.endswith(", 0.12)")
        assert band.line.color == line.line.color and band.line.dash == line.line.dash
        assert band.line.width > 0 and band.opacity is None
    assert bands[0].fillcolor != bands[1].fillcolor
    # one seed, every mean at 100 %: the axis still has a height
    top = [dict(summary_row("cmc", None, "multimodal", [1.0, 1.0]), n=1, label_fraction=0.5)]
    assert list(viz_results.limited_labels_figure(top).layout.yaxis.range) == [95.0, 100.0]


def test_confusion_matrix_single_errors_stand_out_from_empty_cells():
    cm = np.diag([15, 16, 16]); cm[0, 1] = 1  # one error in sixteen: 6.25 % of the row
    heat = viz_results.confusion_matrix_figure(cm, ["a", "b", "c"]).data[0]
    stops = [(float(v), c) for v, c in heat.colorscale]
    assert stops[0] == (0.0, "#ffffff")
    # the colour of 6.25 % (of zmax 100) lies past the first non-white stop, so it is not white
    first_colour_at = stops[1][0]
    assert 0 < first_colour_at < 0.0625 and heat.zmin == 0 and heat.zmax == 100


def test_confusion_matrix_figure():
    cm = np.array([[8, 2, 0], [0, 5, 5], [0, 0, 0]])
    fig = viz_results.confusion_matrix_figure(cm, ["a", "b", "c"])
    z = np.asarray(fig.data[0].z)
    np.testing.assert_allclose(z[0], [80, 20, 0])
    np.testing.assert_allclose(z[2], 0)  # no samples: stays 0, no division by zero
    counts = viz_results.confusion_matrix_figure(cm, ["a", "b", "c"], normalize=False)
    np.testing.assert_allclose(np.asarray(counts.data[0].z), cm)
    assert fig.layout.width is None  # takes the text column's width, never a fixed one
    # short names on the axes, full names in the hover; upright x labels once there are many classes
    names = [f"class_{i}_clockwise" for i in range(27)]
    wide = viz_results.confusion_matrix_figure(np.eye(27, dtype=int), names)
    assert list(wide.layout.xaxis.ticktext) == list(wide.layout.yaxis.ticktext) == [f"class_{i}_cw" for i in range(27)]
    assert list(wide.data[0].x) == names and wide.layout.xaxis.tickangle == -90
    assert fig.layout.xaxis.tickangle == -60
    with pytest.raises(ValueError, match=r"cm: expected shape \(2, 2\)"):
        viz_results.confusion_matrix_figure(cm, ["a", "b"])


def _regime_records():
    """Records of two regimes x two batch sizes x two methods x 3 seeds, one near 100 %."""
    recs = []
    for regime, base in (("today", 0.99), ("hard", 0.6)):
        for batch in (32, 128):
            for k, method in enumerate(("cmc", "cmc-hnl")):
                for seed, noise in enumerate((-0.02, 0.0, 0.02)):
                    acc = min(1.0, base + 0.01 * k + noise * (3 if regime == "today" else 1))
                    recs.append({"regime": regime, "batch_size": batch, "finetune_modality": "multimodal",
                                 "method": method, "seed": seed, "accuracy": acc, "macro_f1": acc})
    return recs


def test_regimes_figure_panels_styles_and_clipped_intervals():
    from mmhar_lite import experiments

    summary = experiments.summarize(_regime_records(), ("regime", "batch_size", "finetune_modality", "method"))
    fig = viz_results.regimes_figure(summary)
    assert [a.text for a in fig.layout.annotations] == ["batch size 32", "batch size 128"]
    assert len(fig.data) == 4  # 2 methods x 2 panels
    styles = {(t.name, t.marker.color, t.marker.symbol) for t in fig.data}
    assert len({(c, s) for _, c, s in styles}) == len({n for n, _, _ in styles}) == 2
    assert [t.showlegend for t in fig.data] == [True, False, True, False]
    assert fig.layout.title.text and fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
    for trace in fig.data:
        y = np.asarray(trace.y)
        assert np.all(y + np.asarray(trace.error_y.array) <= 100 + 1e-9)
        assert np.all(y - np.asarray(trace.error_y.arrayminus) >= -1e-9)
    # cmc-hnl, batch 32: regime order kept (today, hard); the means are the records' means in %.
    hnl = fig.data[2]
    accs = [100 * r["accuracy"] for r in _regime_records() if r["method"] == "cmc-hnl" and r["batch_size"] == 32]
    assert hnl.y[0] == pytest.approx(np.mean(accs[:3])) and hnl.y[1] == pytest.approx(np.mean(accs[3:]))
    assert hnl.x[0] < 0.5 < hnl.x[1]
    # today's cmc-hnl interval would pass 100 %: it is clipped there, the lower arm is not.
    half = float(np.asarray(hnl.customdata)[0, 1])
    assert hnl.y[0] + half > 100 and hnl.error_y.array[0] == pytest.approx(100 - hnl.y[0])
    assert hnl.error_y.arrayminus[0] == pytest.approx(half)
    two_seeds = experiments.summarize([r for r in _regime_records() if r["seed"] < 2],
                                      ("regime", "batch_size", "finetune_modality", "method"))
    assert all(np.all(np.asarray(t.error_y.array) == 0) for t in viz_results.regimes_figure(two_seeds).data)
    with pytest.raises(ValueError, match="no rows with finetune_modality 'imu'"):
        viz_results.regimes_figure(summary, head="imu")
    with pytest.raises(ValueError, match="regime"):
        viz_results.regimes_figure([{k: v for k, v in row.items() if k != "regime"} for row in summary])


def test_regime_ticks_turn_only_when_they_do_not_fit():
    from mmhar_lite import experiments

    summary = experiments.summarize(_regime_records(), ("regime", "batch_size", "finetune_modality", "method"))
    fig = viz_results.regimes_figure(summary)
    for axis in (fig.layout.xaxis, fig.layout.xaxis2):
        assert tuple(axis.autotickangles) == (0, 90) and axis.tickangle is None
