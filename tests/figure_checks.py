"""What the figure tests (tests/test_viz_*.py) read off several kinds of figure."""
from __future__ import annotations


def slider_labels(fig) -> list[str]:
    """The labels of the steps of the figure's first slider."""
    return [step.label for step in fig.layout.sliders[0].steps]
