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


def test_classes_of_one_symbol_have_clearly_different_colours():
    # the reader could not tell blue from sky blue, nor orange from vermillion, at a phone's size
    styles = [viz.class_style(k) for k in range(27)]
    for a in range(27):
        for b in range(a + 1, 27):
            if styles[a][1] == styles[b][1]:
                distance = np.linalg.norm(_cielab(styles[a][0]) - _cielab(styles[b][0]))
                assert distance >= 40, (a, b, styles[a], styles[b], distance)
    # circle, square and diamond look alike at a phone's marker size: at most one of them is used
    assert len({s for _, s in styles} & {"circle", "square", "diamond"}) <= 1
