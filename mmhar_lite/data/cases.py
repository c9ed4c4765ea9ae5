"""What the loaders do with each kind of input: one list of cases, run by the tests and shown in the book.

Every case is exercised by ``tests/test_data_utd_mhad.py`` or ``tests/test_data_mmact.py`` on a
fixture written in the dataset's real format (the tests find each case's fixture by ``name``
and fail if a case has none), so the list cannot promise what the loaders do not do.
:func:`cases_markdown` renders it for the "What happens when ..." section of
:doc:`chapter 8 (Your own data) </notebooks/08_your_own_data>` (as lists: a
reader on a phone sees every reason in full).

The rule behind the ``skipped`` rows: any error while reading a file (it cannot be opened,
decoded or parsed, or its variable, shape, dtype or values are wrong) makes it a skipped
file, listed in ``RawDataset.skipped`` with its reason; with ``strict=True``
(``mmhar data --strict``) the first one raises DatasetError instead, in one line naming the file, the field
and what was expected. Labels come from file names only, so a damaged file never shifts one.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

__all__ = ["InputCase", "INPUT_CASES", "OUTCOMES", "cases_markdown"]

#: What each outcome of a case (``loaded``, ``missing``, ``skipped``, ``error``) means, in the words the book uses.
OUTCOMES = {
    "loaded": "loaded",
    "missing": "listed in `missing`",
    "skipped": "skipped, with the reason in `skipped` (`--strict`: an error)",
    "error": "an error (nothing is loaded)",
}


@dataclass(frozen=True)
class InputCase:
    """One situation a loader meets.

    Attributes:
        name: identifier, unique per dataset; the tests key their fixtures by it.
        dataset: "utd-mhad" | "mmact".
        situation: what is on disk, completing "What happens when ...".
        outcome: a key of OUTCOMES.
        reason: text the reported reason (or error) contains; "" when nothing is reported.
    """

    name: str
    dataset: str
    situation: str
    outcome: str
    reason: str = ""

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}, got {self.outcome!r}")
        if self.dataset not in ("utd-mhad", "mmact"):
            raise ValueError(f"dataset must be 'utd-mhad' or 'mmact', got {self.dataset!r}")


def _utd(name: str, situation: str, outcome: str, reason: str = "") -> InputCase:
    return InputCase(name, "utd-mhad", situation, outcome, reason)


def _mmact(name: str, situation: str, outcome: str, reason: str = "") -> InputCase:
    return InputCase(name, "mmact", situation, outcome, reason)


#: Every case, by dataset. Each says what a folder holds, what the loader does (an :data:`OUTCOMES` key) and
#: the words its reason or error contains; :func:`cases_markdown` renders them.
#:
#: :meta hide-value:
INPUT_CASES: tuple[InputCase, ...] = (
    # UTD-MHAD: Inertial/a{A}_s{S}_t{T}_inertial.mat (d_iner) + Skeleton/..._skeleton.mat (d_skel)
    _utd("other_files", "a folder also holds READMEs or `.DS_Store` (not `.mat`)", "loaded"),
    _utd("absent_trial", "a trial is absent from both folders", "missing"),
    _utd("corrupt", "a `.mat` file is not MATLAB 5 data", "skipped", "not a MATLAB 5 .mat file: expected MATLAB 5 data holding 'd_iner'"),
    _utd("zero_bytes", "a `.mat` file is empty (0 bytes)", "skipped", "found an empty file (0 bytes)"),
    _utd("folder", "a folder stands where a `.mat` file should be", "skipped", "IsADirectoryError"),
    _utd("broken_link", "a `.mat` file is a broken symbolic link", "skipped", "FileNotFoundError"),
    _utd("wrong_variable", "the inertial file has no variable `d_iner`", "skipped", "no variable 'd_iner' (found: inertial)"),
    _utd("inertial_shape", "`d_iner` is not (T, 6)", "skipped", "expected (T, 6) with T >= 2"),
    _utd("skeleton_shape", "`d_skel` is not (20, 3, T)", "skipped", "expected (20, 3, T) with T >= 2"),
    _utd("one_frame", "`d_skel` holds a single frame", "skipped", "expected (20, 3, T) with T >= 2"),
    _utd("non_finite", "`d_iner` holds NaN or inf", "skipped", "non-finite value(s) (NaN/inf)"),
    _utd("beyond_float32", "`d_iner` holds a finite value beyond float32 range (1e300)", "skipped", "beyond float32 range"),
    _utd("complex", "`d_iner` is complex", "skipped", "has dtype complex128; expected real numbers"),
    _utd("cell_array", "`d_skel` is a cell array", "skipped", "has dtype object; expected real numbers"),
    _utd("unpaired", "a trial has an inertial file but no skeleton file", "skipped", "unpaired: no matching Skeleton/ file"),
    _utd("bad_name", "a `.mat` file name is not `a{A}_s{S}_t{T}_inertial.mat`", "skipped", "file name does not match"),
    _utd("action_range", "a file name has action 30 (UTD-MHAD has 27)", "skipped", "action 30 is outside 1-27"),
    _utd("duplicate", "`a05_s2_t1` stands beside `a5_s2_t1` (two files, one trial)", "skipped", "more than one file names trial a5_s2_t1"),
    _utd("no_folder", "the root folder does not exist", "error", "UTD-MHAD folder does not exist"),
    _utd("root_is_a_file", "the root is a file, not a folder", "error", "UTD-MHAD folder is not a folder"),
    _utd("no_skeleton_folder", "the root has no `Skeleton/` folder", "error", "sub-folder Skeleton/ does not exist"),
    _utd("empty", "`Inertial/` and `Skeleton/` hold no `.mat` files", "error", "hold no .mat files"),
    # MMAct: <source>/subjectN/sceneN/sessionN/<action>[_k].csv (timestamp,x,y,z) + skeleton/....npy
    _mmact("clip_and_aliases", "folders carry the release's `_clip` suffix (`gyro_clip/`) and files its desk-scene "
           "names (`using_phone_desk.csv`: the action `using_phone`)", "loaded"),
    _mmact("case_differs", "one source's folder spells the trial's file `WALKING.csv`, "
           "the other sources' folders `walking.csv`", "loaded"),
    _mmact("shorter_source", "one source is shorter than the others, by less than half", "loaded"),
    _mmact("header", "a CSV starts with a header row (MMAct's have none)", "skipped", "cannot parse as headerless CSV"),
    _mmact("text_row", "a CSV row in the middle is not numbers", "skipped", "cannot parse as headerless CSV"),
    _mmact("three_columns", "CSV rows have 3 columns, not timestamp,x,y,z", "skipped", "rows have 3 columns; expected 4"),
    _mmact("non_finite", "a CSV holds NaN or inf", "skipped", "non-finite value(s) (NaN/inf)"),
    _mmact("beyond_float32", "a CSV holds a finite value beyond float32 range (1e300)", "skipped", "beyond float32 range"),
    _mmact("empty_csv", "a CSV is empty", "skipped", "empty file"),
    _mmact("folder", "a folder stands where a CSV should be", "skipped", "IsADirectoryError"),
    _mmact("broken_link", "a CSV is a broken symbolic link", "skipped", "FileNotFoundError"),
    _mmact("very_short_source", "one source is less than half as long as the trial's longest", "skipped",
           "expected at least 50% of the longest source"),
    _mmact("npy_shape", "a skeleton `.npy` is not (17, 2, T)", "skipped", "expected (17, 2, T) with T >= 2"),
    _mmact("npy_corrupt", "a skeleton `.npy` is not a `.npy` file", "skipped", "cannot read as a .npy array"),
    _mmact("npz_as_npy", "a skeleton `.npy` is really an `.npz` archive", "skipped", "cannot read as a .npy array"),
    _mmact("npy_truncated", "a skeleton `.npy` is cut short", "skipped", "expected an intact .npy file"),
    _mmact("npy_beyond_float32", "a float64 skeleton `.npy` holds 1e300", "skipped", "beyond float32 range"),
    _mmact("npy_complex", "a skeleton `.npy` is complex", "skipped", "has dtype complex64; expected real numbers"),
    _mmact("unpaired", "a trial has no skeleton file", "skipped", "unpaired: this trial has no skeleton file"),
    _mmact("unknown_action", "a file names an action MMAct does not have", "skipped", "unknown action 'dancing'"),
    _mmact("misplaced", "a file is not under subjectN/sceneN/sessionN/", "skipped", "not under subject{N}/scene{N}/session{N}/"),
    _mmact("duplicate_case", "`WALKING.csv` and `walking.csv` in the same folder", "skipped", "more than one file names trial walking_1"),
    _mmact("duplicate_trial", "`walking_1.csv` stands beside `walking.csv` (both trial 1)", "skipped",
           "more than one file names trial walking_1"),
    _mmact("no_folder", "the root folder does not exist", "error", "MMAct folder does not exist"),
    _mmact("root_is_a_file", "the root is a file, not a folder", "error", "MMAct folder is not a folder"),
    _mmact("no_source_folder", "the root has no `gyro/` folder", "error", "no gyro/ folder"),
    _mmact("empty", "the folders hold no `.csv`/`.npy` files", "error", "hold no .csv/.npy files"),
)


#: How the prose names each dataset of the loaders (their keys are lower-case identifiers).
DATASET_NAMES: dict[str, str] = {"utd-mhad": "UTD-MHAD", "mmact": "MMAct", "synthetic": "synthetic"}


def cases_markdown(cases: tuple[InputCase, ...] = INPUT_CASES) -> str:
    """`cases` as markdown, one block per dataset and outcome (in the order of `cases`): a bold
    line "UTD-MHAD: skipped, ..." and a bullet per case, "what happens when ...", then the text
    of its reason or error. Lists rather than a table: the reasons wrap and read in full on a phone."""
    blocks = []
    for (dataset, outcome), group in groupby(cases, key=lambda case: (case.dataset, case.outcome)):
        said = "error" if outcome == "error" else "reason"
        items = [f"- {case.situation}" + (f"; {said}: `{case.reason}`" if case.reason else "") for case in group]
        blocks.append("\n".join([f"**{DATASET_NAMES[dataset]}: {OUTCOMES[outcome]}**", "", *items]))
    return "\n\n".join(blocks)
