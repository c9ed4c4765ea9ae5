"""Atomic writes: a destination holds the old content or the new one, never a part."""
from __future__ import annotations

import pytest

from mmhar_lite import files


def test_write_text_replaces_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "deep" / "results.json"
    files.write_text(path, "old")
    files.write_text(path, "new")
    assert path.read_text() == "new" and sorted(p.name for p in path.parent.iterdir()) == ["results.json"]


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, OSError])
def test_an_interrupted_write_keeps_the_old_file(tmp_path, interruption):
    path = tmp_path / "results.csv"
    files.write_text(path, "complete,old\n")
    with pytest.raises(interruption):
        with files.atomic_path(path) as tmp:
            tmp.write_text("half of the")
            raise interruption
    assert path.read_text() == "complete,old\n" and [p.name for p in tmp_path.iterdir()] == ["results.csv"]


def test_temporaries_of_one_destination_differ(tmp_path):
    with files.atomic_path(tmp_path / "x") as first, files.atomic_path(tmp_path / "x") as second:
        assert first != second and first.parent == second.parent == tmp_path
        first.write_text("1")
        second.write_text("2")
    assert (tmp_path / "x").read_text() in ("1", "2")
