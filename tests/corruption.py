"""Random damage to files on disk, for the loaders' fuzz tests (hypothesis strategies)."""
from __future__ import annotations

from pathlib import Path

from hypothesis import strategies as st

# (kind, argument): flip bytes at relative positions, cut at a relative length, append bytes,
# or overwrite the whole file.
CORRUPTIONS = st.one_of(
    st.tuples(st.just("flip"), st.lists(st.tuples(st.floats(0, 1), st.integers(1, 255)), min_size=1, max_size=6)),
    st.tuples(st.just("cut"), st.floats(0, 1)),
    st.tuples(st.just("append"), st.binary(min_size=1, max_size=64)),
    st.tuples(st.just("overwrite"), st.binary(max_size=200)),
)


def corrupt(path: Path, corruption: tuple) -> None:
    """Apply one drawn `corruption` to the file at `path`, in place."""
    kind, argument = corruption
    data = bytearray(path.read_bytes())
    if kind == "flip":
        for where, mask in argument:
            index = min(int(where * len(data)), len(data) - 1)
            data[index] ^= mask
    elif kind == "cut":
        del data[int(argument * len(data)):]
    elif kind == "append":
        data += argument
    else:
        data = bytearray(argument)
    path.write_bytes(bytes(data))


def damage_some(data: st.DataObject, files: list[Path], max_files: int = 3) -> set[Path]:
    """Corrupt 1..max_files distinct files drawn from `files`; returns the ones damaged."""
    chosen = data.draw(st.lists(st.sampled_from(files), min_size=1, max_size=max_files, unique=True))
    for path in chosen:
        corrupt(path, data.draw(CORRUPTIONS))
    return set(chosen)
