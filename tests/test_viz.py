"""Tests for mmhar_lite.viz: the shared class styles, the names it re-exports, and what importing it costs."""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from mmhar_lite import viz, viz_curves, viz_latent, viz_results, viz_signals, viz_weights

ROOT = Path(__file__).resolve().parents[1]


def test_every_figure_is_still_importable_from_viz():
    # the chapters, the CLI and the widgets call viz.<name>: it is the object its own module documents
    for module in (viz_signals, viz_weights, viz_latent, viz_curves, viz_results):
        for name in module.__all__:
            assert getattr(viz, name) is getattr(module, name), (module.__name__, name)
    assert all(hasattr(viz, name) for name in viz.__all__)
    # documented once: viz.__all__ lists only the shared style, not the figures' names
    assert not set(viz.__all__) & {name for module in (viz_signals, viz_weights, viz_latent, viz_curves,
                                                       viz_results) for name in module.__all__}


def test_every_viz_name_the_repository_uses_resolves():
    sources = [*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("tests/*.py"), *ROOT.glob("benchmarks/*.py"),
               *ROOT.glob("mmhar_lite/*.py")]
    code = []
    for path in sources:
        if path.suffix == ".ipynb":  # the cells' code, not the outputs
            code += ["".join(cell["source"]) for cell in json.loads(path.read_text())["cells"]]
        else:
            code.append(path.read_text())
    names = {name for text in code for name in re.findall(r"\bviz\.([A-Za-z_]\w*)", text)}
    assert {"results_bar", "anchor_weights_figure", "PALETTE"} <= names  # the grep finds them
    assert [name for name in sorted(names) if not hasattr(viz, name)] == []


def test_viz_import_does_not_import_umap():
    code = "import sys, mmhar_lite.viz; print('umap' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_class_styles_never_repeat_for_27_classes():
    assert len({viz.class_style(k) for k in range(27)}) == 27


def test_class_style_distinct_for_27_classes():
    styles = {viz.class_style(k) for k in range(27)}
    assert len(styles) == 27


def _cielab(colour: str) -> np.ndarray:
    """sRGB hex -> CIELAB (D65), for colour distances."""
    rgb = np.array([int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    rgb = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ rgb
    f = np.cbrt(np.maximum(xyz / np.array([0.95047, 1.0, 1.08883]), 0.008856))
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _ciede2000(c1: str, c2: str) -> float:
    """CIEDE2000 colour difference (Sharma, Wu & Dalal 2005) of two sRGB hex colours."""
    (l1, a1, b1), (l2, a2, b2) = _cielab(c1), _cielab(c2)
    c_bar = 0.5 * (np.hypot(a1, b1) + np.hypot(a2, b2))
    g = 0.5 * (1 - np.sqrt(c_bar ** 7 / (c_bar ** 7 + 25.0 ** 7)))
    a1, a2 = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1, b1), np.hypot(a2, b2)
    h1, h2 = np.degrees(np.arctan2(b1, a1)) % 360, np.degrees(np.arctan2(b2, a2)) % 360
    dh = 0.0 if c1p * c2p == 0 else (h2 - h1 + 180) % 360 - 180
    d_h = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    l_bar, cp_bar = 0.5 * (l1 + l2), 0.5 * (c1p + c2p)
    if c1p * c2p == 0:
        h_bar = h1 + h2
    elif abs(h1 - h2) <= 180:
        h_bar = 0.5 * (h1 + h2)
    else:
        h_bar = 0.5 * (h1 + h2 + (360 if h1 + h2 < 360 else -360))
    t = (1 - 0.17 * np.cos(np.radians(h_bar - 30)) + 0.24 * np.cos(np.radians(2 * h_bar))
         + 0.32 * np.cos(np.radians(3 * h_bar + 6)) - 0.20 * np.cos(np.radians(4 * h_bar - 63)))
    s_l = 1 + 0.015 * (l_bar - 50) ** 2 / np.sqrt(20 + (l_bar - 50) ** 2)
    s_c, s_h = 1 + 0.045 * cp_bar, 1 + 0.015 * cp_bar * t
    r_c = 2 * np.sqrt(cp_bar ** 7 / (cp_bar ** 7 + 25.0 ** 7))
    r_t = -np.sin(np.radians(60 * np.exp(-(((h_bar - 275) / 25) ** 2)))) * r_c
    dl, dc, dhh = (l2 - l1) / s_l, (c2p - c1p) / s_c, d_h / s_h
    return float(np.sqrt(dl ** 2 + dc ** 2 + dhh ** 2 + r_t * dc * dhh))


def test_ciede2000_matches_published_pairs():
    assert _ciede2000("#000000", "#000000") == 0
    # sRGB pure red / pure blue: 52.88 in the usual CIEDE2000 tables (D65)
    assert abs(_ciede2000("#ff0000", "#0000ff") - 52.88) < 0.5


def _is_blue(colour: str) -> bool:
    """Blue to cyan: CIELAB hue 180-290 degrees, chroma at least 20 (not a grey)."""
    _, a, b = _cielab(colour)
    return np.hypot(a, b) >= 20 and 180 <= np.degrees(np.arctan2(b, a)) % 360 <= 290


def test_classes_of_one_symbol_have_clearly_different_colours():
    # the reader could not tell blue from sky blue, nor orange from vermillion, at a phone's size
    styles = [viz.class_style(k) for k in range(27)]
    for a in range(27):
        for b in range(a + 1, 27):
            if styles[a][1] == styles[b][1]:
                distance = np.linalg.norm(_cielab(styles[a][0]) - _cielab(styles[b][0]))
                assert distance >= 40, (a, b, styles[a], styles[b], distance)
                # CIEDE2000 too: CIELAB's distance overrates differences of lightness and chroma
                assert _ciede2000(styles[a][0], styles[b][0]) >= 16, (a, b, styles[a], styles[b])
    # nor steel blue from cyan (42 CIELAB units apart) on the map's blue-grey background: one blue
    # per symbol
    for symbol in {s for _, s in styles}:
        blues = {c for c, s in styles if s == symbol and _is_blue(c)}
        assert len(blues) <= 1, (symbol, blues)
    # circle, square and diamond look alike at a phone's marker size: at most one of them is used
    assert len({s for _, s in styles} & {"circle", "square", "diamond"}) <= 1
