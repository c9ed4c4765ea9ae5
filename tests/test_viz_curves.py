"""Tests for mmhar_lite.viz_curves: loss and monitor curves."""

import numpy as np
import pytest

from mmhar_lite import viz_curves, viz_results


def test_loss_curves():
    hist = {
        "cmc": [{"epoch": e, "loss": 5 - 0.1 * e, "lr": 1e-3, "time": 0.5, "extra": 1} for e in range(5)],
        "cmc-hnl": [{"epoch": e, "loss": 5 - 0.2 * e, "val_loss": 5.0, "lr": 1e-3} for e in range(5)],
    }
    fig = viz_curves.loss_curves(hist)
    assert [tr.name for tr in fig.data] == ["cmc", "cmc lr", "cmc-hnl", "cmc-hnl (validation)", "cmc-hnl lr"]
    np.testing.assert_allclose(fig.data[2].y, [5 - 0.2 * e for e in range(5)])
    assert fig.layout.yaxis2.type == "log"
    # a flat rate: one tick, "1e-3", in the middle of the panel (not plotly's "1m" / "100μ")
    assert list(fig.layout.yaxis2.tickvals) == [1e-3] and list(fig.layout.yaxis2.ticktext) == ["1e-3"]
    assert fig.layout.yaxis2.range[0] < -3 < fig.layout.yaxis2.range[1]
    # under the plot, not beside it (a phone's width) nor above it (into the title)
    assert fig.layout.legend.orientation == "h" and fig.layout.legend.yref == "container"
    assert all("markers" in tr.mode for tr in fig.data)  # a one-epoch run is still drawn
    # coinciding runs stay visible: the later one nested inside the earlier's markers, own symbol and dash
    cmc, hnl = fig.data[0], fig.data[2]
    assert hnl.marker.size < cmc.marker.size and hnl.marker.symbol != cmc.marker.symbol
    assert hnl.line.dash != cmc.line.dash
    halved = [{"epoch": e, "loss": 1.0, "lr": 1e-3 * 0.5 ** (e // 30)} for e in range(150)]
    axis = viz_curves.loss_curves({"long": halved}).layout.yaxis2
    assert list(axis.ticktext) == ["6.25e-5", "2.5e-4", "1e-3"]  # at most three, at rates the run used
    with pytest.raises(ValueError, match=r"histories\['x'\]\[1\]: missing key 'loss'"):
        viz_curves.loss_curves({"x": [{"epoch": 0, "loss": 1.0}, {"epoch": 1}]})


def test_coinciding_curves_ring_and_name_the_hidden_run():
    base = [{"epoch": e, "loss": 5 - 0.1 * e} for e in range(1, 21)]
    near = [{"epoch": r["epoch"], "loss": r["loss"] - 0.01} for r in base]  # 0.01 of a span of 1.9
    far = [{"epoch": r["epoch"], "loss": r["loss"] - 0.5} for r in base]
    hist = {"a": base, "b": far, "c": near}
    found = viz_curves.coinciding_curves(hist)
    assert list(found) == ["c"] and found["c"][0] == "a" and found["c"][1] == pytest.approx(0.01)
    assert viz_curves.coinciding_curves(hist, rel_tol=0.001) == {}
    assert viz_curves.coinciding_curves({"a": base, "x": [{"epoch": 99, "loss": 5.0}]}) == {}  # no shared epoch
    fig = viz_curves.loss_curves(hist)
    a, c = fig.data[0], fig.data[2]
    # the hidden run: open markers larger than those it sits on, and a legend entry that says so
    assert c.marker.symbol.endswith("-open") and c.marker.size > a.marker.size
    assert c.name == "c (on a, ≤ 0.01)" and fig.data[1].name == "b"


def test_loss_curves_phone_layout_keeps_the_plot_whole():
    # at 400 px the reader could not read a legend beside the plot, nor a plot the legend squeezed:
    # the legend sits in the bottom margin and the margin grows with its rows, not into the plot
    few = {f"β={b}": [{"epoch": e, "loss": 5.0 - e, "lr": 1e-3} for e in range(3)] for b in (0, 1)}
    many = {f"β={b}": [{"epoch": e, "loss": 5.0 + b - e, "lr": 1e-3} for e in range(3)]
            for b in range(7)}
    plots = []
    for hist in (few, many):
        fig = viz_curves.loss_curves(hist)
        legend = fig.layout.legend
        assert legend.orientation == "h" and legend.yref == "container" and legend.y == 0
        assert fig.layout.margin.l <= 60 and fig.layout.margin.r <= 20  # the plot takes the width
        plots.append(fig.layout.height - fig.layout.margin.t - fig.layout.margin.b)
        assert max(tr.marker.size for tr in fig.data) <= 20
    assert plots[0] == plots[1] == viz_curves.LOSS_PLOT_PX
    assert viz_curves.loss_curves(many).layout.margin.b > viz_curves.loss_curves(few).layout.margin.b


def watched_history(n_epochs=3):
    return [{"epoch": e, "loss": 4.0 - e, "imu_to_skeleton_top1": 0.1 * e, "imu_to_skeleton_top5": 0.2 * e,
             "skeleton_to_imu_top1": 0.05 * e, "skeleton_to_imu_top5": 0.3 * e, "alignment": 2.0 - 0.1 * e,
             "uniformity": -0.5 * e} for e in range(1, n_epochs + 1)]


def test_monitor_curves_draw_the_history():
    fig = viz_curves.monitor_curves({"CMC": watched_history(), "CMC-HNL": watched_history(2)}, n_rows=50)
    assert len(fig.data) == 2 * 4 + 3  # per run: top-1, top-5, alignment, uniformity; then the legend keys
    top1, top5, align, unif = fig.data[:4]
    np.testing.assert_allclose(top1.y, [7.5, 15.0, 22.5])  # % mean of both directions
    np.testing.assert_allclose(top5.y, [25.0, 50.0, 75.0])
    np.testing.assert_allclose(align.y, [1.9, 1.8, 1.7])
    np.testing.assert_allclose(unif.y, [-0.5, -1.0, -1.5])
    assert [s.y0 for s in fig.layout.shapes] == [2.0, 10.0]  # chance 1/N and 5/N
    # named by one legend entry, not by two labels that overlap when the lines are close
    assert not fig.layout.annotations
    keys = fig.data[-3:]  # one-point lines: legend entries that draw nothing
    both = ", mean of IMU→skel. and skel.→IMU"  # the panel plots the mean of the two directions
    assert [(k.name, k.line.dash) for k in keys] == [("top-1" + both, "solid"), ("top-5" + both, "dash"),
                                                      ("chance: top-1 2.0 %, top-5 10.0 %", "dot")]
    assert all(len(k.x) == 1 and k.mode == "lines" for k in keys)
    assert fig.layout.yaxis.title.text == "mean retrieval (%)"  # one line: a two-line title is cut on a phone
    assert [tr.name for tr in viz_curves.monitor_curves({"CMC": watched_history()}).data][-2:] == ["top-1" + both,
                                                                                                 "top-5" + both]
    assert fig.layout.xaxis3.title.text == "epoch"
    with pytest.raises(ValueError, match="missing .*alignment"):
        viz_curves.monitor_curves({"x": [{"epoch": 1, "loss": 1.0}]})


def test_phone_width_figures_have_narrow_side_margins(rng):
    # plotly's default 80 px each side left a 400 px phone half its width for the plot
    summary = [{"method": "cmc", "pretrain_modality": "multimodal", "finetune_modality": "imu", "n": 1,
                "accuracy_mean": 0.9, "accuracy_std": 0.0}]
    bar = viz_results.results_bar(summary)
    monitor = viz_curves.monitor_curves({"CMC": watched_history()}, n_rows=50)
    for fig in (bar, monitor):
        assert fig.layout.margin.r <= 20 and fig.layout.margin.l <= 60
    assert list(bar.layout.yaxis.ticktext) == ["cmc<br>(mm → imu)"] and list(bar.layout.yaxis.tickvals) == ["cmc (mm → imu)"]
