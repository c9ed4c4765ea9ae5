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


def _items(markdown: str) -> list[tuple[str, str]]:
    """(heading, bullet) for every bullet of `markdown`, under the bold line above it."""
    items, heading = [], None
    for line in markdown.splitlines():
        if line.startswith("**"):
            heading = line
        elif line.startswith("- "):
            items.append((heading, line))
    return items


def test_markdown_has_one_bullet_per_case_in_order_under_its_dataset_and_outcome():
    items = _items(cases_markdown())
    assert len(items) == len(INPUT_CASES)
    for (heading, bullet), case in zip(items, INPUT_CASES):
        dataset = {"utd-mhad": "UTD-MHAD", "mmact": "MMAct"}[case.dataset]
        assert heading == f"**{dataset}: {OUTCOMES[case.outcome]}**"
        said = "error" if case.outcome == "error" else "reason"
        assert bullet == f"- {case.situation}" + (f"; {said}: `{case.reason}`" if case.reason else "")


def test_consecutive_cases_of_one_outcome_share_one_heading():
    headings = [line for line in cases_markdown().splitlines() if line.startswith("**")]
    runs = {(case.dataset, case.outcome) for case in INPUT_CASES}
    assert len(headings) == len(set(headings)) == len(runs)  # the table keeps each outcome together


def test_a_subset_renders_alone():
    mmact = tuple(case for case in INPUT_CASES if case.dataset == "mmact")
    assert "UTD-MHAD" not in cases_markdown(mmact) and len(_items(cases_markdown(mmact))) == len(mmact)


@pytest.mark.parametrize("dataset, outcome", [("kinetics", "loaded"), ("mmact", "ignored")])
def test_unknown_dataset_or_outcome_is_refused(dataset, outcome):
    with pytest.raises(ValueError, match="must be"):
        InputCase("x", dataset, "something", outcome)


def test_markdown_parses_as_bold_lines_over_bullet_lists_without_a_table():
    import markdown_it  # what the book (myst) parses markdown with
    tokens = markdown_it.MarkdownIt("commonmark").enable("table").parse(cases_markdown())
    assert not any(t.type == "table_open" for t in tokens)
    assert sum(t.type == "list_item_open" for t in tokens) == len(INPUT_CASES)
    n_headings = len({(case.dataset, case.outcome) for case in INPUT_CASES})
    strong = [c for t in tokens if t.type == "inline" for c in t.children if c.type == "strong_open"]
    assert sum(t.type == "bullet_list_open" for t in tokens) == len(strong) == n_headings

