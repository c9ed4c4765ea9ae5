"""Data-parallel pre-training: 2 gloo processes (started here) give the loss, the gradients and
the trained parameters of one process with the same global batch."""
from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp
from torch import nn

from mmhar_lite import distributed, losses, training
from mmhar_lite.data import ArrayData
from mmhar_lite.training import PretrainConfig

WORLD = 2
BATCH = 7  # odd: the ranks hold 4 and 3 rows
ESTIMATORS = {
    "info_nce": lambda a, b, labels, negatives: losses.info_nce(a, b, temperature=0.1, negatives=negatives),
    "debiased": lambda a, b, labels, negatives: losses.debiased_info_nce(
        a, b, temperature=0.1, tau_plus=0.1, negatives=negatives),
    "hard_negative": lambda a, b, labels, negatives: losses.hard_negative_info_nce(
        a, b, temperature=0.1, tau_plus=0.1, beta=1.0, negatives=negatives),
    "oracle": lambda a, b, labels, negatives: losses.hard_negative_info_nce(
        a, b, temperature=0.1, tau_plus=0.1, beta=1.0, negatives=negatives, labels=labels),
}
LOSS_CASES = [(name, negatives) for name in ESTIMATORS for negatives in ("cross", "all")] + [("cmkm", "cross")]
PRETRAIN_CASES = [("cmc-hnl", "multimodal"), ("simclr-hnl", "imu"), ("supervised", "multimodal"), ("cmc-cmkm", "multimodal")]


# ----------------------------------------------------------------------------- process helpers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _entry(rank: int, port: int, target, args: tuple) -> None:
    """A spawned rank: torchrun's environment, then the process group as `mmhar pretrain` joins it."""
    torch.set_num_threads(1)
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(WORLD),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    distributed.init_from_env("cpu")
    try:
        target(*args)
    finally:
        distributed.shutdown()


def _spawn(target, *args) -> None:
    mp.start_processes(_entry, args=(_free_port(), target, args), nprocs=WORLD, join=True, start_method="spawn")


# ----------------------------------------------------------------------------- loss and gradients


def _tiny_model() -> nn.ModuleDict:
    torch.manual_seed(0)
    return nn.ModuleDict({m: nn.Sequential(nn.Linear(5, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 8))
                          for m in ("skeleton", "imu")})


def _batch():
    g = torch.Generator().manual_seed(1)
    inputs = {m: torch.randn(BATCH, 5, generator=g) for m in ("skeleton", "imu")}
    labels = torch.tensor([0, 1, 2, 0, 1, 2, 0])
    return inputs, labels


def _loss(name: str, negatives: str, a: torch.Tensor, b: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    if name == "cmkm":
        rows = torch.arange(a.shape[0])
        return losses.cmkm_loss(a, b, (rows + 1) % len(rows), (rows + 3) % len(rows), temperature=0.1)
    return ESTIMATORS[name](a, b, labels, negatives)


def _case(name: str, negatives: str, *, gathered: bool = True) -> dict:
    """Loss, parameter gradients (after DDP's averaging) and BatchNorm buffers of one step on
    the global batch, in this process's world (one process, or a rank of several)."""
    model = _tiny_model()
    inputs, labels = _batch()
    with distributed.replicate(model, torch.device("cpu")) as replicas:
        part = replicas.shard(torch.arange(BATCH))
        z = replicas.forward(lambda: {m: model[m](inputs[m][part]) for m in model})
        pairs = torch.stack([z["skeleton"], z["imu"]], dim=1)
        if gathered:
            pairs = replicas.gather(pairs)
        loss = _loss(name, negatives, pairs[:, 0], pairs[:, 1], labels if gathered else labels[part])
        loss.backward()
    return {"loss": loss.detach(), "grads": {k: p.grad.clone() for k, p in model.named_parameters()},
            "buffers": {k: b.clone() for k, b in model.named_buffers()}}


def _worker(out: str) -> None:
    """Everything the tests compare, computed by each of the two ranks (one spawn: starting
    processes is the slow part)."""
    results = {f"{name}-{negatives}": _case(name, negatives) for name, negatives in LOSS_CASES}
    results["local-only"] = _case("hard_negative", "cross", gathered=False)
    torch.save(results, Path(out) / f"loss-rank{distributed.rank()}.pt")
    _pretrain_worker(out)


@pytest.fixture(scope="module")
def two_ranks_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("two-ranks")
    _spawn(_worker, str(out))
    return out


@pytest.fixture(scope="module")
def two_ranks(two_ranks_run) -> list[dict]:
    return [torch.load(two_ranks_run / f"loss-rank{r}.pt", weights_only=True) for r in range(WORLD)]


@pytest.mark.parametrize("name,negatives", LOSS_CASES)
def test_loss_and_gradients_match_one_process(two_ranks, name, negatives):
    one = _case(name, negatives)
    for rank, results in enumerate(two_ranks):
        two = results[f"{name}-{negatives}"]
        torch.testing.assert_close(two["loss"], one["loss"], rtol=1e-5, atol=1e-6, msg=f"loss, rank {rank}")
        for key in one["grads"]:
            torch.testing.assert_close(two["grads"][key], one["grads"][key], rtol=1e-4, atol=1e-6,
                                       msg=f"gradient of {key}, rank {rank}")
        for key in one["buffers"]:
            torch.testing.assert_close(two["buffers"][key].float(), one["buffers"][key].float(), rtol=1e-5, atol=1e-6,
                                       msg=f"BatchNorm buffer {key}, rank {rank}")


def test_without_the_gather_the_ranks_train_another_loss(two_ranks):
    # The bug of lightning-bolts #179 / SimCLR #37: each rank sees B/W - 1 negatives only.
    one = _case("hard_negative", "cross")
    local = [results["local-only"] for results in two_ranks]
    assert all(abs(float(r["loss"]) - float(one["loss"])) > 1e-3 for r in local)
    assert not torch.allclose(local[0]["grads"]["imu.0.weight"], one["grads"]["imu.0.weight"], rtol=1e-3)


# ----------------------------------------------------------------------------- pre-training


def _tiny_data() -> ArrayData:
    """9 samples of 3 classes (T = 16): batches of 5 and 4 rows, split 3 + 2 and 2 + 2."""
    g = np.random.default_rng(0)
    n = 9
    return ArrayData(
        skeleton=g.normal(size=(n, 3, 16, 20)).astype(np.float32), imu=g.normal(size=(n, 6, 16)).astype(np.float32),
        labels=np.arange(n) % 3, subjects=np.ones(n, dtype=np.int64), trials=np.arange(n), sessions=np.ones(n, dtype=np.int64),
        class_names=["a", "b", "c"], name="synthetic",
    )


def _exact(build):
    """``training._build`` with dropout off and float64 weights. Dropout masks are drawn by
    torch from each process's own stream, so they cannot agree across world sizes; and Adam's
    first steps are about ``lr * sign(g)``, so float32 rounding noise on gradients that are
    zero in exact arithmetic (biases before BatchNorm) would flip whole updates."""
    def built(*args, **kwargs):
        encoders, heads = build(*args, **kwargs)
        for module in [*encoders.modules(), *heads.modules()]:
            if isinstance(module, nn.modules.dropout._DropoutNd):
                module.p = 0.0
            elif isinstance(module, nn.MultiheadAttention):
                module.dropout = 0.0
        return encoders.double(), heads.double()

    return built


def _float64(tensors):
    def converted(*args, **kwargs):
        skeleton, imu, labels = tensors(*args, **kwargs)
        return skeleton.double(), imu.double(), labels

    return converted


def _patch_exact(patch) -> None:
    """Apply :func:`_exact` and float64 inputs with ``patch(object, name, value)``."""
    patch(training, "_build", _exact(training._build))
    patch(training, "_tensors", _float64(training._tensors))


def _pretrain_config(method: str, modality: str, epochs: int = 3) -> PretrainConfig:
    return PretrainConfig(method=method, modality=modality, epochs=epochs, batch_size=5, size="lite",
                          augmentation="synthetic", tau_plus=0.1)


def _pretrain(method: str, modality: str, **kwargs) -> training.PretrainResult:
    data = _tiny_data()
    teachers = None
    if method == "cmc-cmkm":
        teachers = training.pretrain(data, np.arange(len(data)), _pretrain_config("random-init", "multimodal")).encoders
    return training.pretrain(data, np.arange(len(data)), _pretrain_config(method, modality, kwargs.pop("epochs", 3)),
                             teachers=teachers, device="cpu", quiet=True, **kwargs)


def _state(result: training.PretrainResult) -> dict:
    return {"encoders": result.encoders.state_dict(), "heads": result.heads.state_dict(),
            "losses": torch.tensor([h["loss"] for h in result.history], dtype=torch.float64)}


def _pretrain_worker(out: str) -> None:
    _patch_exact(setattr)
    results = {f"{method}-{modality}": _state(_pretrain(method, modality)) for method, modality in PRETRAIN_CASES}
    # Each rank is given its own path: only rank 0's may appear; all ranks then resume from it.
    _pretrain("cmc-hnl", "multimodal", epochs=1, checkpoint=Path(out) / f"checkpoint-{distributed.rank()}.pt")
    checkpoint = Path(out) / "checkpoint-0.pt"
    assert checkpoint.exists()  # written by rank 0 before any rank returns
    results["resumed"] = _state(_pretrain("cmc-hnl", "multimodal", checkpoint=checkpoint, resume=True))
    if distributed.is_main():
        torch.save(results, Path(out) / "two.pt")


@pytest.fixture(scope="module")
def two_rank_pretraining(two_ranks_run) -> dict:
    written = sorted(p.name for p in two_ranks_run.iterdir() if not p.name.startswith("loss-"))
    assert written == ["checkpoint-0.pt", "two.pt"]  # rank 1 wrote no checkpoint
    return torch.load(two_ranks_run / "two.pt", weights_only=True)


def _assert_same_run(two: dict, one: training.PretrainResult) -> None:
    expected = _state(one)
    torch.testing.assert_close(two["losses"], expected["losses"], rtol=1e-5, atol=1e-6)
    for part in ("encoders", "heads"):
        for key, value in expected[part].items():
            # the losses themselves run in float32: differences ~1e-7, against ~1e-3 per Adam step
            torch.testing.assert_close(two[part][key], value, rtol=1e-5, atol=1e-6, msg=f"{part} {key}")


@pytest.mark.parametrize("method,modality", PRETRAIN_CASES)
def test_pretraining_on_two_processes_gives_the_parameters_of_one(two_rank_pretraining, monkeypatch, method, modality):
    _patch_exact(monkeypatch.setattr)
    _assert_same_run(two_rank_pretraining[f"{method}-{modality}"], _pretrain(method, modality))


def test_resume_on_two_processes_continues_the_run(two_rank_pretraining, monkeypatch):
    _patch_exact(monkeypatch.setattr)
    _assert_same_run(two_rank_pretraining["resumed"], _pretrain("cmc-hnl", "multimodal"))


def test_augmentation_does_not_depend_on_the_batch_split():
    # What makes 2 x B/2 equal 1 x B: each sample's augmentation depends on its own index only.
    from mmhar_lite.augment import imu_augmentation, sample_generators, skeleton_augmentation

    data = _tiny_data()
    for augment, x in ((imu_augmentation("synthetic"), data.imu), (skeleton_augmentation("synthetic"), data.skeleton)):
        x, rows = torch.as_tensor(x), list(range(len(data)))
        whole = augment(x, sample_generators(3, rows, 1))
        split = torch.cat([augment(x[:4], sample_generators(3, rows[:4], 1)), augment(x[4:], sample_generators(3, rows[4:], 1))])
        assert torch.equal(whole, split)
        assert not torch.equal(whole, augment(x, sample_generators(4, rows, 1)))


# ----------------------------------------------------------------------------- failures and helpers


STALL_S = 120  # how long the stalled rank waits at most for rank 0 to give up


def _stalled_worker(out: str) -> None:
    if distributed.rank() == 1:
        # a rank that stops answering until rank 0 has given up (or STALL_S), so rank 0's wait
        # can only end by its timeout however slowly a busy machine runs the two processes
        deadline = time.monotonic() + STALL_S
        while not Path(out, "rank0.txt").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        return
    started = time.perf_counter()
    try:
        distributed.gather(torch.ones(2, 3))
        message = "no error"
    except RuntimeError as error:
        message = str(error)
    Path(out, "rank0.txt").write_text(f"{time.perf_counter() - started}\n{message}")


def test_a_stalled_rank_ends_in_an_error_not_a_hang(tmp_path, monkeypatch):
    # inherited by the spawned ranks; it also bounds the rendezvous, hence not shorter on a busy machine
    monkeypatch.setenv(distributed.TIMEOUT_ENV, "3")
    _spawn(_stalled_worker, str(tmp_path))
    elapsed, message = (tmp_path / "rank0.txt").read_text().split("\n", 1)
    # failed by the timeout, well before the stalled rank's own limit (its exit would end the wait too)
    assert message != "no error" and float(elapsed) < STALL_S / 2


def test_bad_timeout_is_a_clear_error(monkeypatch):
    monkeypatch.setenv(distributed.TIMEOUT_ENV, "soon")
    with pytest.raises(ValueError, match="MMHAR_DIST_TIMEOUT must be a number of seconds > 0, got 'soon'"):
        distributed._timeout()


@pytest.mark.parametrize("n,size", [(7, 2), (8, 2), (3, 4), (64, 3)])
def test_shard_sizes_cover_the_batch(n, size):
    sizes = distributed.shard_sizes(n, size)
    assert sum(sizes) == n and max(sizes) - min(sizes) <= 1 and sizes == sorted(sizes, reverse=True)


def test_one_process_needs_no_process_group():
    assert (distributed.world_size(), distributed.rank(), distributed.is_main()) == (1, 0, True)
    x = torch.randn(3, 4, requires_grad=True)
    assert distributed.gather(x) is x
    model = _tiny_model()
    with distributed.replicate(model, torch.device("cpu")) as replicas:
        assert replicas.size == 1 and torch.equal(replicas.shard(torch.arange(5)), torch.arange(5))
    assert all(type(m) is not distributed.GlobalBatchNorm for m in model.modules())


def test_python_dash_m_runs_the_cli():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "mmhar_lite", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("mmhar ")


def test_only_pretrain_runs_under_torchrun(monkeypatch, capsys):
    from mmhar_lite import cli

    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert cli.main(["data", "--dataset", "synthetic"]) == 2
    assert "only `mmhar pretrain` runs under torchrun" in capsys.readouterr().err
