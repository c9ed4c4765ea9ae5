"""Checkpoint files: written atomically, read with ``weights_only=True``, checked before use.

A checkpoint is a dict of plain tensors and Python values (``format`` 2):

.. code-block:: text

    always           format, config, shapes, epoch, history, seconds,
                     encoders, heads
    resumable runs   optimizer, scheduler, rng
    run-cache runs   cache_key
    every file       sha256 (the hash of all the rest)

:mod:`mmhar_lite.training` builds the modules (:func:`~mmhar_lite.training.save_checkpoint` /
:func:`~mmhar_lite.training.load_checkpoint`); this module owns the file: every way a file can be
wrong (absent, empty, foreign, a refused pickle, damaged bytes, a missing or ill-typed field, an
unknown config field, weights that do not fit the architecture the file itself describes, NaN
weights) becomes a one-line :class:`CheckpointError` naming the file, the field and what was
expected.
"""
from __future__ import annotations

import dataclasses
import hashlib
import math
import pickle
import re
from pathlib import Path

import torch
from torch import nn

from mmhar_lite.files import atomic_path

__all__ = [
    "FORMAT", "SHAPE_KEYS", "CheckpointError", "RunCacheWarning", "state_digest", "write_state",
    "read_state", "build_config", "check_shapes", "load_weights",
]

FORMAT = 2
#: The input dimensions the encoders are built for (:func:`mmhar_lite.training.input_shapes`),
#: stored in every checkpoint and compared on loading.
SHAPE_KEYS = ("skeleton_dims", "n_joints", "imu_channels", "length", "n_classes")
_FIELDS = {"config": dict, "shapes": dict, "epoch": int, "history": list, "seconds": (int, float),
           "encoders": dict, "heads": dict}


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used; the message is one line naming file and field."""


class RunCacheWarning(UserWarning):
    """A file of the run cache failed its checks: it is reported, not used, and retrained."""


def _error(path: Path, reason: str) -> CheckpointError:
    reason = re.sub(r"\s*\n\s*", " ", reason).strip()  # torch's messages span lines
    return CheckpointError(f"checkpoint {path}: {reason}")


def _feed(digest, value) -> None:
    """Hash `value` (nested dicts, lists, tensors, scalars) by content, order-independently
    for dict keys, so that the same state hashes alike before saving and after loading."""
    if isinstance(value, torch.Tensor):
        flat = value.detach().cpu().contiguous().reshape(-1)
        digest.update(f"T{value.dtype}{tuple(value.shape)}".encode())
        digest.update(flat.view(torch.uint8).numpy().tobytes() if flat.numel() else b"")
    elif isinstance(value, dict):
        digest.update(b"{")
        for key in sorted(value, key=repr):
            _feed(digest, key)
            _feed(digest, value[key])
        digest.update(b"}")
    elif isinstance(value, (list, tuple)):
        digest.update(b"[")
        for item in value:
            _feed(digest, item)
        digest.update(b"]")
    else:
        digest.update(f"{type(value).__name__}:{value!r};".encode())


def state_digest(state: dict) -> str:
    """sha256 (hex) of every entry of a checkpoint state but ``sha256`` itself.

    Args:
        state: the checkpoint's entries (tensors and plain values).
    """
    digest = hashlib.sha256()
    _feed(digest, {k: v for k, v in state.items() if k != "sha256"})
    return digest.hexdigest()


def write_state(state: dict, path: str | Path) -> None:
    """Save `state` with its ``format`` and ``sha256``, atomically (never half-written).

    Args:
        state: the entries to save (tensors and plain values).
        path: the file written.
    """
    state = {**state, "format": FORMAT}
    state["sha256"] = state_digest(state)
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def _torch_load(path: Path, device: torch.device) -> object:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint {path} does not exist") from None
    except OSError as error:
        raise _error(path, f"cannot be read ({type(error).__name__}: {error.strerror or error})") from None
    if path.is_dir():
        raise _error(path, "is a folder; expected a checkpoint file written by mmhar-lite")
    if size == 0:
        raise _error(path, "empty file (0 bytes); expected a checkpoint written by mmhar-lite")
    try:
        return torch.load(path, map_location=device, weights_only=True)
    except pickle.UnpicklingError as error:
        refused = re.search(r"GLOBAL (\S+) was not an allowed global", str(error))
        if refused:
            raise _error(path, f"refused: it would import the Python object {refused.group(1)!r} "
                               "(only tensors and plain values are loaded); expected a checkpoint written "
                               "by mmhar-lite") from None
        detail = re.search(r"WeightsUnpickler error:\s*(.+)", str(error))
        raise _error(path, f"cannot be read as a torch checkpoint ({detail.group(1) if detail else 'bad pickle'})") from None
    except Exception as error:  # torch raises RuntimeError, EOFError, OSError, ... for damaged files
        first = str(error).strip().splitlines()[0] if str(error).strip() else "no detail"
        raise _error(path, f"cannot be read as a torch checkpoint ({type(error).__name__}: {first})") from None


def _non_finite(prefix: str, value) -> tuple[str, int] | None:
    """(name, count) of the first floating tensor under `value` with NaN/inf, else None."""
    if isinstance(value, torch.Tensor):
        if value.is_floating_point() or value.is_complex():
            bad = int((~torch.isfinite(value)).sum())
            return (prefix, bad) if bad else None
        return None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, (list, tuple)) else ()
    for key, item in items:
        found = _non_finite(f"{prefix}.{key}" if prefix else str(key), item)
        if found:
            return found
    return None


def read_state(path: str | Path, device: torch.device | str = "cpu") -> dict:
    """The checked state of the checkpoint at `path` (tensors on `device`).

    Raises CheckpointError when the file is absent, empty, unreadable, refused (Python
    objects beyond tensors and plain values), foreign (no ``format``), damaged (``sha256``
    does not match), lacks a field or has one of the wrong type, or holds NaN/inf tensors.

    Args:
        path: a file written by :func:`write_state`.
        device: where the tensors are loaded.
    """
    path = Path(path)
    state = _torch_load(path, torch.device(device))
    if not isinstance(state, dict) or state.get("format") not in (1, FORMAT):
        raise _error(path, f"not an mmhar-lite checkpoint (missing 'format': {FORMAT})")
    if state["format"] == FORMAT and state.get("sha256") != state_digest(state):
        raise _error(path, "content hash (sha256) does not match: the file was changed or damaged after it "
                           "was written; expected an intact checkpoint")
    for name, kind in _FIELDS.items():
        if name not in state:
            raise _error(path, f"missing field {name!r}; expected {', '.join(_FIELDS)}")
        if not isinstance(state[name], kind) or isinstance(state[name], bool):
            raise _error(path, f"field {name!r} is {type(state[name]).__name__}; expected "
                               f"{' or '.join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))}")
    if state["epoch"] < 0 or state["epoch"] > len(state["history"]):
        raise _error(path, f"field 'epoch' is {state['epoch']}; expected 0 to {len(state['history'])} (the epochs "
                           "in its history)")
    bad = _non_finite("", {k: v for k, v in state.items() if k in ("encoders", "heads", "optimizer")})
    if bad:
        raise _error(path, f"tensor {bad[0]!r} holds {bad[1]} NaN/inf value(s); expected finite weights")
    if not math.isfinite(float(state["seconds"])):
        raise _error(path, f"field 'seconds' is {state['seconds']}; expected a finite number")
    return state


def build_config(cls: type, state: dict, path: str | Path):
    """``cls(**state["config"])`` (a config dataclass), or CheckpointError naming the field.

    Args:
        cls: the config dataclass (:class:`mmhar_lite.training.PretrainConfig`).
        state: a checked state from :func:`read_state`.
        path: its file, for the error message.
    """
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(state["config"]) - set(names))
    if unknown:
        raise _error(Path(path), f"field 'config' has unknown entry {unknown[0]!r}; expected fields of "
                                 f"{cls.__name__}: {', '.join(names)}")
    try:
        return cls(**state["config"])
    except (TypeError, ValueError) as error:
        raise _error(Path(path), f"field 'config': {error}") from None


def check_shapes(state: dict, path: str | Path) -> dict:
    """``state["shapes"]`` when it has exactly :data:`SHAPE_KEYS`, each a positive integer.

    Args:
        state: a checked state from :func:`read_state`.
        path: its file, for the error message.
    """
    shapes = state["shapes"]
    if sorted(shapes) != sorted(SHAPE_KEYS):
        raise _error(Path(path), f"field 'shapes' has keys {sorted(shapes)}; expected {', '.join(SHAPE_KEYS)}")
    for key in SHAPE_KEYS:
        value = shapes[key]
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise _error(Path(path), f"field 'shapes' entry {key!r} is {value!r}; expected a positive integer")
    return shapes


def load_weights(module: nn.Module, saved: dict, path: str | Path, field: str) -> None:
    """Load `saved` into `module` when its names and shapes are exactly the module's; else a
    CheckpointError naming the first difference (torch's own error lists them all, on many lines).

    Args:
        module: the module the weights are for.
        saved: its saved ``state_dict``.
        path: the checkpoint's file, for the error message.
        field: the state's entry that holds ``saved``, for the error message.
    """
    expected = module.state_dict()
    for name in expected:
        if name not in saved:
            raise _error(Path(path), f"field {field!r} lacks tensor {name!r}; expected the weights of the "
                                     "architecture its config and shapes describe")
        if not isinstance(saved[name], torch.Tensor) or saved[name].shape != expected[name].shape:
            found = tuple(saved[name].shape) if isinstance(saved[name], torch.Tensor) else type(saved[name]).__name__
            raise _error(Path(path), f"field {field!r} tensor {name!r} has shape {found}; expected "
                                     f"{tuple(expected[name].shape)} for the architecture its config and shapes describe")
    extra = sorted(set(saved) - set(expected))
    if extra:
        raise _error(Path(path), f"field {field!r} has tensor {extra[0]!r} that the architecture its config "
                                 "and shapes describe does not have")
    module.load_state_dict(saved)
