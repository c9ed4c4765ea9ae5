"""Checkpoint files: every way a file can be wrong is a one-line CheckpointError naming it."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from mmhar_lite import checkpoints, training
from mmhar_lite.checkpoints import CheckpointError
from mmhar_lite.data import default_split, generate_synthetic, prepare
from mmhar_lite.models import build_encoders


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    """A real checkpoint (lite CMC-HNL at initialisation, as `mmhar pretrain --epochs 0` writes)."""
    data = prepare(generate_synthetic(n_subjects=2, n_trials=1, seed=0))
    config = training.PretrainConfig(method="cmc-hnl", epochs=0, size="lite", augmentation="synthetic")
    path = tmp_path_factory.mktemp("checkpoints") / "run.pt"
    training.pretrain(data, default_split(data).train, config, checkpoint=path)
    return path


def _state(path: Path) -> dict:
    return torch.load(path, weights_only=True)


class Evil:
    def __reduce__(self):
        return (print, ("this ran when the checkpoint was loaded",))


def _resealed(change):
    """A fixture: the saved state changed by `change`, written back with a valid hash, so that
    only the self-consistency checks can find it."""
    def write(saved: Path, path: Path) -> None:
        state = _state(saved)
        change(state)
        checkpoints.write_state(state, path)
    return write


def _paper_encoders(state):
    shapes = state["shapes"]
    state["encoders"] = build_encoders(imu_channels=shapes["imu_channels"], skeleton_dims=shapes["skeleton_dims"],
                                       n_joints=shapes["n_joints"], length=shapes["length"], size="paper").state_dict()


def _flip_bytes(saved: Path, path: Path) -> None:
    data = bytearray(saved.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _edited_unsealed(saved: Path, path: Path) -> None:
    state = _state(saved)
    state["seconds"] = 99.0  # changed after it was written: the stored hash no longer fits
    torch.save(state, path)


BAD = [
    ("zero_bytes", lambda saved, path: path.write_bytes(b""), "empty file (0 bytes)"),
    ("junk", lambda saved, path: path.write_bytes(b"not a checkpoint"), "cannot be read as a torch checkpoint"),
    ("folder", lambda saved, path: path.mkdir(), "is a folder"),
    ("truncated", lambda saved, path: path.write_bytes(saved.read_bytes()[:1000]), "cannot be read as a torch checkpoint"),
    ("refused_pickle", lambda saved, path: torch.save({"format": 2, "x": Evil()}, path),
     "refused: it would import the Python object 'print'"),
    ("foreign", lambda saved, path: torch.save({"weights": torch.zeros(2)}, path), "not an mmhar-lite checkpoint"),
    ("edited", _edited_unsealed, "content hash (sha256) does not match"),
    ("missing_field", _resealed(lambda s: s.pop("shapes")), "missing field 'shapes'"),
    ("field_type", _resealed(lambda s: s.update(history="none")), "field 'history' is str; expected list"),
    ("negative_epoch", _resealed(lambda s: s.update(epoch=-5)), "field 'epoch' is -5; expected 0 to 0"),
    ("unknown_config_field", _resealed(lambda s: s["config"].update(momentum=0.9)),
     "field 'config' has unknown entry 'momentum'"),
    ("bad_config_value", _resealed(lambda s: s["config"].update(lr=-1.0)), "field 'config': lr must be > 0"),
    ("shapes_entry", _resealed(lambda s: s["shapes"].update(length="50")),
     "field 'shapes' entry 'length' is '50'; expected a positive integer"),
    ("shapes_key", _resealed(lambda s: s["shapes"].pop("n_classes")), "field 'shapes' has keys"),
    ("shapes_disagree", _resealed(lambda s: s["shapes"].update(imu_channels=12)), "has shape (16, 6, 5); expected (16, 12, 5)"),
    ("other_architecture", _resealed(_paper_encoders), "for the architecture its config and shapes describe"),
    ("missing_tensor", _resealed(lambda s: s["heads"].pop(sorted(s["heads"])[0])), "field 'heads' lacks tensor"),
    ("extra_tensor", _resealed(lambda s: s["heads"].update(extra=torch.zeros(3))),
     "field 'heads' has tensor 'extra' that the architecture"),
    ("nan_weights", _resealed(lambda s: s["encoders"][sorted(s["encoders"])[0]].view(-1).__setitem__(0, float("nan"))),
     "holds 1 NaN/inf value(s); expected finite weights"),
]


@pytest.mark.parametrize("make, reason", [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_a_bad_checkpoint_is_one_line_naming_the_file(saved, tmp_path, make, reason):
    path = tmp_path / "bad.pt"
    make(saved, path)
    with pytest.raises(CheckpointError) as error:
        training.load_checkpoint(path, device="cpu")
    message = str(error.value)
    assert message.startswith(f"checkpoint {path}: ") and reason in message, message
    assert "\n" not in message and "weights_only=False" not in message


def test_flipped_bytes_are_refused_or_changed_nothing(saved, tmp_path):
    data, original = saved.read_bytes(), checkpoints.read_state(saved)
    refused = 0
    for where in range(0, len(data), len(data) // 40):
        damaged = bytearray(data)
        damaged[where] ^= 0x5A
        (tmp_path / "flipped.pt").write_bytes(bytes(damaged))
        try:
            state = checkpoints.read_state(tmp_path / "flipped.pt")
        except CheckpointError as error:
            assert "\n" not in str(error)
            refused += 1
        else:  # a flip in the archive's padding: the content is intact
            assert state["sha256"] == original["sha256"] == checkpoints.state_digest(state)
    assert refused > 20


def test_missing_file_and_a_valid_one(saved, tmp_path):
    with pytest.raises(CheckpointError, match=r"^checkpoint .*missing.pt does not exist$"):
        training.load_checkpoint(tmp_path / "missing.pt", device="cpu")
    state = checkpoints.read_state(saved)
    assert state["format"] == checkpoints.FORMAT and state["sha256"] == checkpoints.state_digest(state)
    assert training.load_checkpoint(saved, device="cpu").config.method == "cmc-hnl"


def test_digest_is_of_the_content():
    state = {"a": torch.arange(4.0), "b": {"x": 1, "y": [1.5, "z"]}}
    same = {"b": {"y": [1.5, "z"], "x": 1}, "a": torch.arange(4.0)}
    assert checkpoints.state_digest(state) == checkpoints.state_digest(same)
    for changed in ({**state, "a": torch.tensor([0.0, 1, 2, 4])}, {**state, "a": torch.arange(4)},
                    {**state, "b": {"x": 2, "y": [1.5, "z"]}}):
        assert checkpoints.state_digest(changed) != checkpoints.state_digest(state)


def test_the_refused_object_is_never_run(tmp_path, capsys):
    torch.save({"format": 2, "x": Evil()}, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError):
        training.load_checkpoint(tmp_path / "evil.pt", device="cpu")
    assert "this ran" not in capsys.readouterr().out
