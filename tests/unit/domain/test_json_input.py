"""JSON from outside: everything within the limits reads as `json.loads` reads it; past them, a
`JsonRefused` with a reason, never another exception."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery.domain import json_input
from recovery.domain.json_input import JsonRefused

VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**37), 10**37)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=200)
@given(value=VALUES)
def test_documents_within_the_limits_read_as_the_standard_parser_reads_them(value: Any) -> None:
    text = json.dumps(value)
    if json_input.depth(value) <= json_input.MAX_DEPTH:
        assert json_input.loads(text) == json.loads(text)


@settings(max_examples=300)
@given(text=st.text(max_size=200) | st.binary(max_size=200).map(lambda raw: raw.decode("latin-1")))
def test_any_text_is_read_or_refused_never_raised(text: str) -> None:
    try:
        json_input.loads(text)
    except JsonRefused as refused:
        assert refused.reason


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("NaN", "not valid JSON: NaN is not a number in JSON"),
        ('{"a": [-Infinity]}', "not valid JSON: -Infinity is not a number in JSON"),
        ("1e999", "out of range: the number 1e999 is not finite"),
        ("9" * 39, "out of range: the number 999999999999…999999 (39 characters) has more than 38 digits"),
        (
            "1" * 5000,
            "out of range: the number 111111111111…111111 (5000 characters) has more than 38 digits",
        ),
        ("[" * 33 + "]" * 33, "nested deeper than 32 levels"),
        ('{"a":' * 100_000 + "1" + "}" * 100_000, "nested deeper than 32 levels"),
        ('["\\udc00"]', "not valid JSON: a \\uD800-\\uDFFF escape has no pair"),
        ('{"\\ud800": 1}', "not valid JSON: a \\uD800-\\uDFFF escape has no pair"),
        ("{", "not valid JSON"),
    ],
)
def test_what_nothing_here_can_use_is_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(JsonRefused) as refused:
        json_input.loads(text)
    assert refused.value.reason == reason


def test_the_limits_themselves_are_accepted() -> None:
    assert json_input.loads("-" + "9" * 38) == -int("9" * 38)
    assert json_input.loads("[" * 32 + "]" * 32) is not None
    assert json_input.loads('"\\ud83d\\ude00"') == "\U0001f600"
