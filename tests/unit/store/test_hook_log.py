"""Delivery log entry ids: the sort key in a form a URL can carry, and back; anything else names nothing."""

from __future__ import annotations

import pytest

from recovery.store import hook_log


def test_an_entry_id_names_its_sort_key() -> None:
    sort_key = "2026-11-22T10:00:00.123456Z#ab12cd34"
    entry = hook_log.entry_id(sort_key)
    assert entry == "20261122T100000123456Z-ab12cd34"
    assert hook_log.sort_key_of(entry) == sort_key


@pytest.mark.parametrize(
    "entry", ["", "x", "20261122T100000123456Z-AB12CD34", "20261122T100000123456Z-ab12cd34/..", "2026" * 40]
)
def test_anything_else_names_no_entry(entry: str) -> None:
    assert hook_log.sort_key_of(entry) is None


def test_a_held_delivery_key_is_bounded_whatever_the_id() -> None:
    key = hook_log.held_pk("tally", "x" * 5000 + "#/\u202e")
    assert key.startswith("HOOKHELD#tally#") and len(key) == len("HOOKHELD#tally#") + 64
