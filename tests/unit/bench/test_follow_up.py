"""The follow-up run benchmark's budget rows and summary line, from hand-made results."""

from __future__ import annotations

from bench.followup_reads import budgets, context


def results(items: dict[str, int]) -> dict[str, object]:
    return {
        "page_size": 100,
        "due": 10,
        "sizes": {
            size: {"due": 10, "items_read": read, "index_items_read": 10} for size, read in items.items()
        },
    }


def test_one_budget_row_per_size_with_the_due_plus_one_page_limit() -> None:
    # GIVEN a run that read 36 items at 1k and 111 (one over the limit) at 100k
    rows = budgets(results({"1000": 36, "100000": 111}))
    # THEN the limit is 10 due + a page of 100, and only the second fails
    assert [(row.id, row.limit, row.passed) for row in rows] == [
        ("followup_items_read_1000", 110, True),
        ("followup_items_read_100000", 110, False),
    ]
    assert "100,000 other items, 10 due" in rows[1].budget


def test_context_splits_index_and_item_reads() -> None:
    line = context(results({"1000": 36, "10000": 36}))
    assert line == (
        "- Follow-up run reads by table size: 1,000 other items: 36 (10 index, 26 GetItem); "
        "10,000 other items: 36 (10 index, 26 GetItem)."
    )
