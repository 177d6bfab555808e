"""How a queue row quotes a comment: its first words, cut on a word boundary."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from recovery.web.case_views import EXCERPT, excerpt


def test_a_short_comment_is_whole() -> None:
    assert excerpt("Ventet i 40 minutter og ingen svarte.") == "Ventet i 40 minutter og ingen svarte."


def test_no_comment_is_none() -> None:
    assert excerpt(None) is None
    assert excerpt("  \n ") is None


def test_a_long_comment_is_cut_on_a_word_with_an_ellipsis() -> None:
    text = "word " * 60
    cut = excerpt(text)
    assert cut is not None and cut.endswith("…") and len(cut) <= EXCERPT
    assert cut[:-1].split(" ") == ["word"] * len(cut[:-1].split(" "))


def test_text_without_spaces_is_cut_at_the_limit() -> None:
    cut = excerpt("待" * 300)
    assert cut == "待" * (EXCERPT - 1) + "…"


def test_line_breaks_read_as_spaces() -> None:
    assert excerpt("first line\n\nsecond\tline") == "first line second line"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_an_excerpt_is_the_start_of_the_comment(text: str) -> None:
    cut = excerpt(text)
    flat = " ".join(text.split())
    if not flat:
        assert cut is None
        return
    assert cut is not None and len(cut) <= EXCERPT
    assert flat.startswith(cut.removesuffix("…"))
