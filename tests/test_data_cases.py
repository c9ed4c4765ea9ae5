"""The table of input cases (run by the loader tests) and its markdown rendering for the book."""
from __future__ import annotations

import pytest

from mmhar_lite.data.cases import INPUT_CASES, OUTCOMES, InputCase, cases_markdown


def test_names_are_unique_per_dataset_and_reported_cases_say_why():
    keys = [(case.dataset, case.name) for case in INPUT_CASES]
    assert len(keys) == len(set(keys))
    for case in INPUT_CASES:
        assert bool(case.reason) == (case.outcome in ("skipped", "error")), case.name
    assert {case.outcome for case in INPUT_CASES} == set(OUTCOMES)


def test_markdown_has_one_row_per_case_in_order():
    lines = cases_markdown().splitlines()
    assert lines[0] == "| dataset | what happens when ... | the loader | the reason says |"
    assert len(lines) == 2 + len(INPUT_CASES)
    for line, case in zip(lines[2:], INPUT_CASES):
        cells = [cell.strip() for cell in line.strip("|").split(" | ")]
        assert cells == [{"utd-mhad": "UTD-MHAD", "mmact": "MMAct"}[case.dataset], case.situation,
                         OUTCOMES[case.outcome], f"`{case.reason}`" if case.reason else ""]


def test_a_subset_renders_alone():
    mmact = tuple(case for case in INPUT_CASES if case.dataset == "mmact")
    assert "UTD-MHAD" not in cases_markdown(mmact) and len(cases_markdown(mmact).splitlines()) == 2 + len(mmact)


@pytest.mark.parametrize("dataset, outcome", [("kinetics", "loaded"), ("mmact", "ignored")])
def test_unknown_dataset_or_outcome_is_refused(dataset, outcome):
    with pytest.raises(ValueError, match="must be"):
        InputCase("x", dataset, "something", outcome)


def test_markdown_parses_as_one_table_with_four_cells_a_row():
    import markdown_it  # what the book (myst) parses markdown with
    tokens = markdown_it.MarkdownIt("commonmark").enable("table").parse(cases_markdown())
    assert sum(t.type == "table_open" for t in tokens) == 1
    assert sum(t.type == "tr_open" for t in tokens) == 1 + len(INPUT_CASES)
    assert sum(t.type == "td_open" for t in tokens) == 4 * len(INPUT_CASES)
