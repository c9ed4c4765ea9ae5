"""Shared fixtures: a small synthetic dataset, its copy in the real UTD-MHAD file layout,
one intra-op thread for the training tests, and a seeded generator for the figure tests."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from mmhar_lite.data import RawDataset, generate_synthetic, write_utd_mhad_layout


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh generator of seed 0 per test (the figure tests draw their inputs from it)."""
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def small_synthetic() -> RawDataset:
    """27 classes x 2 subjects x 1 trial (54 pairs), with sensor and skeleton noise."""
    return generate_synthetic(n_subjects=2, n_trials=1, seed=0)


@pytest.fixture(scope="module")
def tiny_experiment(small_synthetic: RawDataset):
    """`small_synthetic` as experiment data (27 train / 27 test pairs); ``load_dataset`` of the
    experiments module returns it while the module's tests run."""
    from mmhar_lite import experiments

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(experiments, "load_dataset", lambda name, root=None, **_: small_synthetic)
        yield experiments.load_experiment_data("synthetic")


@pytest.fixture
def utd_root(tmp_path: Path, small_synthetic: RawDataset) -> Path:
    """`small_synthetic` written as UTD-MHAD .mat files under a fresh folder (tests may edit it)."""
    write_utd_mhad_layout(small_synthetic, tmp_path / "UTD-MHAD")
    return tmp_path / "UTD-MHAD"


@pytest.fixture(scope="module")
def one_thread():
    """Tiny batches: intra-op threads only add synchronisation (and, on a shared machine,
    oversubscription). Restored afterwards so other test modules are unaffected."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
