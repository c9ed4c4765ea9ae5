"""Time the synthetic generator and probe how hard its classes are for each modality.

Run: `python -m benchmarks.synthetic_probe [--seed 0] [--seeds 3]`. Prints the generation
time and the cross-subject test accuracy (odd subjects train, even test) of a small
supervised probe (a one-hidden-layer MLP on the top principal components of each modality's
standardised, flattened `prepare` features)
for IMU only, skeleton only and both. The probe is deliberately simple: it measures how
separable the classes are, not what the paper's encoders reach.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from mmhar_lite.data import default_split, generate_synthetic, prepare


def _features(data, modality: str, train: np.ndarray, test: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """Train and test features of `modality` ("imu" | "skeleton" | "both"): each modality's
    flattened arrays reduced to 64 principal components, concatenated for "both" so that
    neither modality dominates by its number of raw values."""
    parts = {"imu": [data.imu], "skeleton": [data.skeleton], "both": [data.imu, data.skeleton]}[modality]
    reduced = [_pca(p.reshape(len(p), -1)[train], p.reshape(len(p), -1)[test], dims=64) for p in parts]
    return torch.cat([r[0] for r in reduced], 1), torch.cat([r[1] for r in reduced], 1)


def _pca(x_train: np.ndarray, x_test: np.ndarray, dims: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Standardise with training statistics, then project both on the top `dims` training
    principal components (keeps the probe fast on 3,000-dimensional skeleton features)."""
    mean, std = x_train.mean(0), x_train.std(0) + 1e-6
    z_train, z_test = (x_train - mean) / std, (x_test - mean) / std
    # Principal axes from the small (N, N) Gram matrix: N << F here, so this is cheap.
    eigenvalues, vectors = np.linalg.eigh(z_train @ z_train.T)
    top = np.argsort(eigenvalues)[::-1][:dims]
    basis = z_train.T @ vectors[:, top]
    basis /= np.linalg.norm(basis, axis=0) + 1e-12
    scale = (z_train @ basis).std(0) + 1e-6
    return (torch.from_numpy((z_train @ basis / scale).astype(np.float32)),
            torch.from_numpy((z_test @ basis / scale).astype(np.float32)))


def probe_accuracy(
    xtr: torch.Tensor, y_train: np.ndarray, xte: torch.Tensor, y_test: np.ndarray, *, n_classes: int, seed: int,
    epochs: int = 300,
) -> float:
    """Test accuracy of a 1-hidden-layer MLP (256 units, dropout) trained full-batch with Adam."""
    ytr = torch.from_numpy(y_train)
    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Dropout(0.2), torch.nn.Linear(xtr.shape[1], 256), torch.nn.ReLU(), torch.nn.Dropout(0.3),
        torch.nn.Linear(256, n_classes),
    )
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-3)
    for _ in range(epochs):
        optimiser.zero_grad()
        torch.nn.functional.cross_entropy(model(xtr), ytr).backward()
        optimiser.step()
    model.eval()
    with torch.no_grad():
        return float((model(xte).argmax(1).numpy() == y_test).mean())


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="generator seed (default: 0)")
    parser.add_argument("--seeds", type=int, default=3, help="probe training seeds to average (default: 3)")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    raw = generate_synthetic(seed=args.seed)
    elapsed = time.perf_counter() - start
    print(f"generate_synthetic(seed={args.seed}): {len(raw.samples)} pairs, {raw.n_classes} classes in {elapsed:.2f} s")

    data = prepare(raw)
    split = default_split(data)
    print(f"cross-subject split: {len(split.train)} train / {len(split.test)} test; "
          "probe: MLP on 64 principal components per modality")
    # The probe's matrices are tiny: on a busy machine thread hand-offs cost more than they
    # save, so it runs single-threaded and restores the setting afterwards.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for modality in ("imu", "skeleton", "both"):
            x_train, x_test = _features(data, modality, split.train, split.test)
            scores = [
                probe_accuracy(x_train, data.labels[split.train], x_test, data.labels[split.test],
                               n_classes=data.n_classes, seed=seed)
                for seed in range(args.seeds)
            ]
            print(f"  {modality:<9} accuracy {100 * np.mean(scores):5.1f} % "
                  f"(+- {100 * np.std(scores):.1f}, {args.seeds} seeds)")
    finally:
        torch.set_num_threads(threads)


if __name__ == "__main__":
    main()
