"""`mmhar pretrain | finetune | reproduce | sweep-beta | limited-labels` through cli.main on a
tiny synthetic set: every method runs, files appear, and every bad request fails in one line
before any training."""
import json
import re
import sys

import pytest
import torch

from mmhar_lite import cli, experiments, metrics, training
from mmhar_lite.data import generate_synthetic
from mmhar_lite.models import build_encoders

QUICK = ["--size", "lite", "--epochs", "1", "--batch-size", "16", "--finetune-epochs", "1", "--quiet"]
PRETRAIN_QUICK = ["--size", "lite", "--epochs", "1", "--batch-size", "16", "--quiet"]  # pretrain refuses --finetune-*
FINETUNE_QUICK = ["--finetune-epochs", "1", "--quiet"]


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(autouse=True)
def tiny_synthetic(monkeypatch):
    """Every command sees the synthetic dataset with 2 subjects x 1 trial (54 pairs)."""
    raw = generate_synthetic(n_subjects=2, n_trials=1, seed=0)
    monkeypatch.setattr(experiments, "load_dataset", lambda name, root=None, **_: raw)


def test_reproduce_runs_every_method(tmp_path, capsys):
    out = tmp_path / "repro"
    code = cli.main(["reproduce", "--methods", *training.METHODS, "--seeds", "1", "--out", str(out), *QUICK])
    assert code == 0
    records = json.loads((out / "results.json").read_text())
    rows = {(r["method"], r["pretrain_modality"], r["finetune_modality"]) for r in records}
    expected = {(m, "none" if m == "random-init" else p, f)
                for m, p, f in experiments.TABLE2_ROWS + experiments.TABLE3_ROWS}
    assert rows == expected
    for record in records:
        assert {"method", "pretrain_modality", "finetune_modality", "dataset", "seed", "accuracy", "macro_f1"} <= set(record)
    assert (out / "results.csv").exists()
    assert "Table 3" in capsys.readouterr().out


def test_pretrain_then_finetune(tmp_path, capsys):
    run = tmp_path / "run"
    assert cli.main(["pretrain", "--method", "cmc-hnl", "--out", str(run), *PRETRAIN_QUICK]) == 0
    assert (run / "checkpoint.pt").exists()
    history = json.loads((run / "history.json").read_text())
    assert history["config"]["method"] == "cmc-hnl" and len(history["pretrain"]) == 1
    assert cli.main(["finetune", "--checkpoint", str(run / "checkpoint.pt"), "--finetune-modality", "imu",
                     "--finetune-epochs", "2", "--quiet"]) == 0
    record = json.loads((run / "finetune-imu.json").read_text())
    assert record["method"] == "cmc-hnl" and len(record["history"]) == 2 and 0 <= record["accuracy"] <= 1
    assert "accuracy" in capsys.readouterr().out
    # resuming a finished run changes nothing
    assert cli.main(["pretrain", "--method", "cmc-hnl", "--out", str(run), "--resume", *PRETRAIN_QUICK]) == 0
    assert len(json.loads((run / "history.json").read_text())["pretrain"]) == 1


def test_pretrain_watches_a_held_out_slice_and_writes_the_same_scalars(tmp_path, monkeypatch):
    writers = []

    class FakeWriter:  # the SummaryWriter interface; tensorboard itself is an optional extra
        def __init__(self, log_dir):
            self.log_dir, self.scalars, self.closed = log_dir, [], False
            writers.append(self)

        def add_scalar(self, tag, value, step):
            self.scalars.append((tag, value, step))

        def close(self):
            self.closed = True

    monkeypatch.setattr(metrics, "tensorboard_writer", FakeWriter)
    run = tmp_path / "run"
    assert cli.main(["pretrain", "--method", "cmc", "--out", str(run), "--tensorboard", str(tmp_path / "tb"),
                     "--monitor-fraction", "0.25", *PRETRAIN_QUICK[:3], "2", *PRETRAIN_QUICK[4:]]) == 0
    saved = json.loads((run / "history.json").read_text())
    train = experiments.load_experiment_data("synthetic").split.train
    assert saved["monitor"]["rows"] == metrics.holdout_split(train, 0.25, seed=0)[1].tolist()
    assert len(saved["pretrain"]) == 2 and all(set(metrics.EMBEDDING_KEYS) <= set(r) for r in saved["pretrain"])
    (writer,) = writers
    assert writer.log_dir == str(tmp_path / "tb") and writer.closed
    assert writer.scalars == [(f"pretrain/{k}", v, r["epoch"]) for r in saved["pretrain"] for k, v in r.items() if k != "epoch"]
    # --monitor-fraction 0: the whole training split, loss only
    assert cli.main(["pretrain", "--method", "cmc", "--out", str(run), "--monitor-fraction", "0", *PRETRAIN_QUICK]) == 0
    saved = json.loads((run / "history.json").read_text())
    assert saved["monitor"] is None and "alignment" not in saved["pretrain"][0]


def test_pretrain_tensorboard_without_the_package_fails_in_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    monkeypatch.setattr(training, "pretrain", lambda *a, **k: pytest.fail("training started"))
    assert cli.main(["pretrain", "--method", "cmc", "--out", str(tmp_path / "run"), "--tensorboard", "tb", *PRETRAIN_QUICK]) == 1
    err = capsys.readouterr().err.strip()
    assert err == ("mmhar pretrain: error: --tensorboard tb: the optional 'tensorboard' package is not installed "
                   "(pip install tensorboard)")


def test_sweep_beta_and_limited_labels_write_plots(tmp_path):
    sweep = tmp_path / "sweep"
    assert cli.main(["sweep-beta", "--betas", "0.5", "2", "--seeds", "1", "--out", str(sweep), *QUICK]) == 0
    assert [r["beta"] for r in json.loads((sweep / "results.json").read_text())] == [0.5, 2.0]
    html = (sweep / "beta_sweep.html").read_text()
    assert "plotly" in html and not re.search(r"<script[^>]*src=[\"']https?://", html)  # opens offline
    labels = tmp_path / "labels"
    assert cli.main(["limited-labels", "--fractions", "0.5", "--methods", "cmc", "--seeds", "1",
                     "--out", str(labels), *QUICK]) == 0
    assert json.loads((labels / "results.json").read_text())[0]["label_fraction"] == 0.5
    assert (labels / "limited_labels.html").exists()


def test_jobs_resume_from_the_run_cache_under_out(tmp_path, capfd):
    sweep = tmp_path / "sweep"
    argv = ["sweep-beta", "--betas", "0.5", "2", "--seeds", "1", "--out", str(sweep), "--jobs", "2",
            "--threads-per-job", "1", *QUICK[:-1]]  # not --quiet: the progress lines are checked
    assert cli.main(argv) == 0
    first = json.loads((sweep / "results.json").read_text())
    assert len(list((sweep / "run-cache").glob("cmc-hnl-*.pt"))) == 2
    assert "[2/2] done" in capfd.readouterr().err
    assert cli.main(argv) == 0  # started again: nothing is trained, the records are the same
    assert capfd.readouterr().err.count("in the run cache:") == 2
    again = json.loads((sweep / "results.json").read_text())
    assert [r["accuracy"] for r in again] == [r["accuracy"] for r in first]


@pytest.mark.parametrize(
    "argv,message",
    [
        (["reproduce", "--methods", "cmc", "moco"], "unknown method 'moco'"),
        (["reproduce", "--dataset", "kinetics"], "unknown dataset 'kinetics'"),
        (["reproduce", "--dataset", "utd-mhad"], "dataset utd-mhad needs --root PATH"),
        (["reproduce", "--dataset", "mmact-xsub"], "dataset mmact-xsub needs --root PATH"),
        (["reproduce", "--preset", "mmact-xsession"], "preset mmact-xsession expects 12 IMU channels, 17 joints"),
        (["reproduce", "--lr", "-0.1"], "lr must be > 0"),
        (["reproduce", "--tau-plus", "1.5"], r"tau_plus must be in \[0, 1\)"),
        (["reproduce", "--batch-size", "1"], "batch_size must be an integer >= 2"),
        (["reproduce", "--temperature", "0"], "temperature must be > 0"),
        (["reproduce", "--size", "huge"], "size must be 'paper' or 'lite'"),
        (["reproduce", "--seeds", "0"], "seeds must be >= 1"),
        (["reproduce", "--epochs-scale", "-1"], "epochs_scale must be > 0"),
        (["reproduce", "--finetune-epochs", "-3"], "epochs must be an integer >= 0"),
        (["pretrain", "--method", "simclr", "--modality", "multimodal"], "takes modality imu | skeleton"),
        (["pretrain", "--method", "cmc", "--monitor-fraction", "1"], r"monitor_fraction must lie in \[0, 1\)"),
        (["sweep-beta", "--method", "cmc"], "needs a hard-negative method"),
        (["sweep-beta", "--betas", "-1"], "betas must be numbers >= 0"),
        (["limited-labels", "--fractions", "0", "0.5"], r"fractions must lie in \(0, 1\]"),
        (["finetune", "--checkpoint", "missing.pt"], "checkpoint missing.pt does not exist"),
        (["reproduce", "--jobs", "0"], "jobs must be an integer >= 1"),
        (["sweep-beta", "--jobs", "2", "--no-cache"], "--no-cache needs --jobs 1"),
        (["limited-labels", "--threads-per-job", "0"], "--threads-per-job must be >= 1"),
    ],
)
def test_errors_fail_fast_in_one_line(argv, message, tmp_path, capsys, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(training, "pretrain", fail)
    monkeypatch.chdir(tmp_path)
    assert cli.main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"mmhar {argv[0]}: error: ")
    assert re.search(message, err), err
    assert not (tmp_path / "runs").exists()


def test_cuda_request_without_gpu_fails_in_one_line(capsys, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert cli.main(["reproduce", "--device", "cuda"]) == 1
    assert "torch.cuda.is_available() is False" in capsys.readouterr().err


def test_finetune_rejects_a_checkpoint_for_other_inputs(tmp_path, capsys):
    data = experiments.load_experiment_data("synthetic").data
    shapes = dict(training.input_shapes(data), imu_channels=12)
    encoders = build_encoders(imu_channels=12, skeleton_dims=3, n_joints=20, size="lite")
    config = training.PretrainConfig(method="random-init", size="lite")
    training.save_checkpoint(training.PretrainResult(config, encoders, torch.nn.ModuleDict(), shapes), tmp_path / "other.pt")
    assert cli.main(["finetune", "--checkpoint", str(tmp_path / "other.pt")]) == 1
    assert "was trained on inputs" in capsys.readouterr().err


def _no_training(monkeypatch):
    monkeypatch.setattr(training, "pretrain", lambda *a, **k: pytest.fail("training started"))


def _one_line_error(capsys, command: str) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"mmhar {command}: error: ") and "Traceback" not in err
    return err


@pytest.mark.parametrize("command", [["pretrain", "--method", "cmc"], ["reproduce", "--methods", "cmc"],
                                     ["finetune", "--checkpoint", "run/checkpoint.pt"]])
def test_out_is_checked_before_any_work(tmp_path, capsys, monkeypatch, command):
    _no_training(monkeypatch)
    monkeypatch.setattr(experiments, "load_experiment_data", lambda *a, **k: pytest.fail("data loaded"))
    (tmp_path / "taken").write_text("a file")
    for out, message in [(tmp_path / "taken", "is an existing file; expected a folder"),
                         (tmp_path / "taken" / "sub", "taken is not a folder, so no folder can be made there")]:
        quick = FINETUNE_QUICK if command[0] == "finetune" else PRETRAIN_QUICK if command[0] == "pretrain" else QUICK
        assert cli.main([*command, "--out", str(out), *quick]) == 1
        assert message in _one_line_error(capsys, command[0])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]  # nothing created


def test_unwritable_out_is_refused(tmp_path, capsys, monkeypatch):
    _no_training(monkeypatch)

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cli.tempfile, "TemporaryFile", refuse)
    assert cli.main(["pretrain", "--method", "cmc", "--out", str(tmp_path / "a" / "b"), *PRETRAIN_QUICK]) == 1
    assert f"cannot write in {tmp_path} (Permission denied); expected a writable folder" in _one_line_error(capsys, "pretrain")


def test_pretrain_refuses_finetune_options(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["pretrain", "--method", "cmc", "--finetune-epochs", "3"])
    assert exit_info.value.code == 2 and "unrecognized arguments: --finetune-epochs" in capsys.readouterr().err


def test_oversized_seed_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["pretrain", "--method", "cmc", "--seed", str(2**64)])
    assert exit_info.value.code == 2 and "expected an integer in [0, 2**63 - 1]" in capsys.readouterr().err


def test_divergence_is_reported_with_epoch_and_lr(tmp_path, capsys):
    assert cli.main(["pretrain", "--method", "cmc", "--out", str(tmp_path / "run"), *PRETRAIN_QUICK, "--lr", "1e30"]) == 1
    err = _one_line_error(capsys, "pretrain")
    assert "training diverged at epoch 1 with lr 1e+30" in err


@pytest.mark.parametrize("epochs, words", [("1", "1 epoch,"), ("2", "2 epochs,")])
def test_pretrain_counts_epochs_in_words(tmp_path, capsys, epochs, words):
    out = tmp_path / "run"
    assert cli.main(["pretrain", "--method", "cmc", "--out", str(out), *PRETRAIN_QUICK, "--epochs", epochs]) == 0
    assert f"cmc (multimodal): {words} final loss" in capsys.readouterr().out


def test_zero_epochs_writes_the_checkpoint_it_prints(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["pretrain", "--method", "cmc", "--out", str(out), *PRETRAIN_QUICK, "--epochs", "0"]) == 0
    printed = capsys.readouterr().out.split("-> ")[-1].strip()
    assert printed == f"{out}/checkpoint.pt" and training.load_checkpoint(printed, device="cpu").history == []


def test_cli_checkpoints_record_real_seconds(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["pretrain", "--method", "cmc", "--out", str(out), *PRETRAIN_QUICK]) == 0
    assert training.load_checkpoint(out / "checkpoint.pt", device="cpu").seconds > 0
    assert not list(out.glob(".*.tmp"))  # no temporary left behind


@pytest.mark.parametrize("content, reason", [(b"", "empty file (0 bytes)"),
                                             (b"PK\x03\x04 not really a zip", "cannot be read as a torch checkpoint")])
def test_finetune_with_a_bad_checkpoint_is_one_line(tmp_path, capsys, content, reason):
    (tmp_path / "bad.pt").write_bytes(content)
    assert cli.main(["finetune", "--checkpoint", str(tmp_path / "bad.pt"), *FINETUNE_QUICK]) == 1
    assert reason in _one_line_error(capsys, "finetune")


def test_ctrl_c_exits_130_and_unexpected_errors_are_one_line(tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(experiments, "run_pretrain", interrupted)
    assert cli.main(["pretrain", "--method", "cmc", "--out", str(tmp_path / "run")]) == 130
    assert "interrupted" in capsys.readouterr().err

    def bug(*args, **kwargs):
        raise RuntimeError("something\nbroke")

    monkeypatch.setattr(experiments, "run_pretrain", bug)
    assert cli.main(["pretrain", "--method", "cmc", "--out", str(tmp_path / "run")]) == 1
    assert "unexpected RuntimeError: something broke" in _one_line_error(capsys, "pretrain")
