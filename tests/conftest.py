"""Shared fixtures: a small synthetic dataset and its copy in the real UTD-MHAD file layout."""
from __future__ import annotations

from pathlib import Path

import pytest

from mmhar_lite.data import RawDataset, generate_synthetic, write_utd_mhad_layout


@pytest.fixture(scope="session")
def small_synthetic() -> RawDataset:
    """27 classes x 2 subjects x 1 trial (54 pairs), with sensor and skeleton noise."""
    return generate_synthetic(n_subjects=2, n_trials=1, seed=0)


@pytest.fixture
def utd_root(tmp_path: Path, small_synthetic: RawDataset) -> Path:
    """`small_synthetic` written as UTD-MHAD .mat files under a fresh folder (tests may edit it)."""
    write_utd_mhad_layout(small_synthetic, tmp_path / "UTD-MHAD")
    return tmp_path / "UTD-MHAD"
