"""Plotly figures for the book: signals, augmentations, hard-negative weights, latent spaces, results.

Every public function is pure: it takes numpy arrays (or plain records) and returns a
``plotly.graph_objects.Figure``. Interactivity uses only plotly frames plus layout sliders and
play buttons, so each figure keeps working in a static HTML page with no kernel (no
``FigureWidget``, whose JavaScript comes from a CDN at run time). Bad input raises ``ValueError`` naming the argument.

The figures are in modules by what they draw: :mod:`mmhar_lite.viz_signals` (skeletons, IMU
traces, augmentation galleries), :mod:`mmhar_lite.viz_weights` (one anchor's hard-negative
weights), :mod:`mmhar_lite.viz_latent` (2-D maps of embeddings), :mod:`mmhar_lite.viz_curves`
(training curves) and :mod:`mmhar_lite.viz_results` (results). This module holds the colours
and symbols that all of them share.
"""

from __future__ import annotations

# The shared style is defined in the private _viz_common, which every figure module imports:
# defined here, it would make an import cycle (viz imports the figure modules below).
from mmhar_lite._viz_common import (  # noqa: F401
    CLASS_PALETTE, CLASS_SYMBOLS, DASHES, PALETTE, SYMBOLS, class_style,
)
# The figures moved out of this module; their names stay usable from here (``viz.results_bar``,
# ...), as the chapters, the CLI and the widgets call them. They are documented in their own
# modules, not in __all__ here.
from mmhar_lite.viz_curves import coinciding_curves, loss_curves, monitor_curves  # noqa: F401
from mmhar_lite.viz_latent import (  # noqa: F401
    align_embeddings, anchor_weights_figure, joint_layout, latent_space_figure, legend_name,
    reduce_2d,
)
from mmhar_lite.viz_results import (  # noqa: F401
    beta_sweep_figure, confusion_matrix_figure, limited_labels_figure, regimes_figure, results_bar,
)
from mmhar_lite.viz_signals import (  # noqa: F401
    COCO17, KINECT_V1, SkeletonLayout, augmentation_gallery, imu_traces, skeleton_animation,
    skeleton_layout_for,
)
from mmhar_lite.viz_weights import (  # noqa: F401
    AnchorWeights, anchor_negative_weights, negative_weights_figure, weight_tilt_figure,
)

__all__ = [
    "PALETTE",
    "SYMBOLS",
    "CLASS_PALETTE",
    "CLASS_SYMBOLS",
    "class_style",
]
