"""Text safe to show: bidi and invisible characters removed and marked, joiners and flags kept in context."""

from __future__ import annotations

import re
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery.domain.text import _SUSPECT, MARKER, SMS_MARKER, shown

BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
ZWJ, ZWNJ = "\u200d", "\u200c"
SCOTLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"
FLAG = re.compile("\U0001f3f4[\U000e0030-\U000e0039\U000e0061-\U000e007a]{3,7}\U000e007f")
VISIBLE = frozenset("LMNPS")


def hidden_characters() -> list[str]:
    """Every Cc, Cf and Cs character of this Python's Unicode database."""
    return [
        chr(code)
        for code in range(sys.maxunicode + 1)
        if unicodedata.category(chr(code)) in ("Cc", "Cf", "Cs")
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The override that makes "invoice<RLO>fdp.exe" look like "invoiceexe.pdf".
        ("invoice\u202efdp.exe", f"invoice{MARKER}fdp.exe"),
        ("Ada\u200bLovelace", f"Ada{MARKER}Lovelace"),
        # A run of removed characters is one marker; separate runs get one each.
        ("a\u202a\u202b\u202c\u202db", f"a{MARKER}b"),
        ("\u2066x\u2069", f"{MARKER}x{MARKER}"),
        ("\ufeffBOM", f"{MARKER}BOM"),
        ("x\u2060\u2061\u2062\u2063\u2064y", f"x{MARKER}y"),
        ("\u061cmark\u200e\u200f", f"{MARKER}mark{MARKER}"),
        ("bell\x07 esc\x1b[31m del\x7f c1\x85\x9b", f"bell{MARKER} esc{MARKER}[31m del{MARKER} c1{MARKER}"),
        ("lone \ud800 surrogate", f"lone {MARKER} surrogate"),
        ("hidden \U000e0068\U000e0069 tags", f"hidden {MARKER} tags"),
        # Joiners that join nothing, or only ASCII, hide something.
        ("pay\u200cpal", f"pay{MARKER}pal"),
        ("\u200dstart", f"{MARKER}start"),
        ("end\u200d", f"end{MARKER}"),
        ("a \u200d b", f"a {MARKER} b"),
        ("a\u200d\u200db", f"a{MARKER}b"),
        ("👩\u200d\u202e💻", f"👩{MARKER}💻"),
        ("👋🏽\u200d", f"👋🏽{MARKER}"),
        # Newlines, tabs and line endings.
        ("line one\r\nline two\rthree\u2028four\u2029five", "line one\nline two\nthree\nfour\nfive"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        # Soft hyphens show nothing and move nothing: dropped without a marker.
        ("Ver\u00adsiche\u00adrung", "Versicherung"),
        ("a\u202e\u00ad\u202eb", f"a{MARKER}b"),
    ],
)
def test_what_is_removed_marked_and_kept(text: str, expected: str) -> None:
    assert shown(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "👩\u200d💻 👨\u200d👩\u200d👧 ❤\ufe0f\u200d🔥 👋🏽",  # emoji ZWJ sequences
        "می\u200cخواهم",  # Persian: ZWNJ inside a word
        "क्\u200dष क्\u200cष",  # Devanagari: ZWJ and ZWNJ after a virama
        f"Go {SCOTLAND}!",  # an emoji subdivision flag keeps its tags
        "Ærlig talt: 50€ — «très» 日本語 İstanbul",
        "",
    ],
)
def test_scripts_and_emoji_that_need_joiners_keep_them(text: str) -> None:
    assert shown(text) == text


def test_a_flag_needs_its_black_flag_and_cancel_tag() -> None:
    tags = SCOTLAND[1:]
    assert shown(f"x{tags}") == f"x{MARKER}"
    assert shown(SCOTLAND[:-1] + "!") == "\U0001f3f4" + MARKER + "!"


def test_the_sms_marker_stays_in_gsm7() -> None:
    assert shown("invoice\u202efdp.exe", SMS_MARKER) == "invoice[?]fdp.exe"


def test_every_format_control_and_surrogate_character_is_covered() -> None:
    # GIVEN every Cc, Cf and Cs character this Python knows (a newer Unicode adds some)
    characters = hidden_characters()
    assert len(characters) > 2000  # the surrogates alone are 2048
    # THEN the fast check sees each one, and each is marked between two letters, except the ones
    # with a rule of their own
    kept = {"\n": "a\nb", "\t": "a\tb", "\r": "a\nb", "\u00ad": "ab"}
    for char in characters:
        assert _SUSPECT.match(char) or char in "\n\t", f"U+{ord(char):04X}"
        assert shown(f"a{char}b") == kept.get(char, f"a{MARKER}b"), f"U+{ord(char):04X}"


# --- properties ---------------------------------------------------------------------------------------

HIDDEN = [char for char in hidden_characters() if char not in "\n\t\r"]
# Text with none of the characters `shown` acts on.
PLAIN = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp")) | st.sampled_from("\n\t"),
    max_size=40,
)
# Any text, with the characters `shown` acts on much more likely than at random.
HOSTILE = st.text(
    alphabet=st.characters() | st.sampled_from(HIDDEN) | st.sampled_from([ZWJ, ZWNJ, "\U0001f3f4", "👩"]),
    max_size=40,
)


def allowed_at(text: str) -> set[int]:
    """Indexes of the format characters `shown` may leave: joiners in context, an emoji flag's tags."""
    allowed = {index for match in FLAG.finditer(text) for index in range(match.start() + 1, match.end())}
    for index, char in enumerate(text):
        if char in (ZWJ, ZWNJ) and 0 < index < len(text) - 1:
            before, after = text[index - 1], text[index + 1]
            visible = unicodedata.category(before)[0] in VISIBLE and unicodedata.category(after)[0] in VISIBLE
            if visible and not (before.isascii() and after.isascii()):
                allowed.add(index)
    return allowed


@settings(max_examples=300, deadline=None)
@given(HOSTILE, st.sampled_from([MARKER, SMS_MARKER]))
def test_nothing_hidden_is_left_but_joiners_in_context(text: str, marker: str) -> None:
    out = shown(text, marker)
    assert not BIDI & set(out)
    allowed = allowed_at(out)
    for index, char in enumerate(out):
        if unicodedata.category(char) in ("Cc", "Cf", "Cs") and char not in "\n\t":
            assert index in allowed, (text, out, index)
    assert "\r" not in out
    assert shown(out, marker) == out  # showing twice changes nothing


@settings(max_examples=200, deadline=None)
@given(PLAIN)
def test_text_without_hidden_characters_is_unchanged(text: str) -> None:
    assert shown(text) is text


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp")), min_size=1),
            st.text(
                alphabet=st.sampled_from(sorted(BIDI | {"\u200b", "\u2060", "\ufeff", "\x00", "\x1b"})),
                min_size=1,
            ),
        ),
        max_size=6,
    ),
    st.sampled_from([MARKER, SMS_MARKER]),
)
def test_each_removed_run_leaves_one_marker_in_its_place(parts: list[tuple[str, str]], marker: str) -> None:
    # GIVEN visible words, each followed by a run of hidden characters
    text = "".join(word + run for word, run in parts)
    # THEN each run is one marker, in the place it was
    assert shown(text, marker) == "".join(word + marker for word, _ in parts)
