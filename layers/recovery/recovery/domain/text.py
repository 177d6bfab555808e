"""Text from outside made safe to show a person: nothing in it can hide, reorder or fake what is shown.

Customer comments, names, tags, agent and team labels, a lead's own words: any of them can carry
characters that display as nothing yet change what a reader sees. U+202E RIGHT-TO-LEFT OVERRIDE turns
`invoice<U+202E>fdp.exe` into what looks like `invoiceexe.pdf`; a zero width space splits a word
invisibly; a C0 control can move the cursor of a terminal. `shown(text)` is the text as it may be
displayed in an email, an SMS, the console or a page. What is stored is never changed: this is applied
only where text is rendered for a person.

What `shown` does, character by character:

- **Removed, with a visible marker.** Each run of removed characters becomes one marker (`MARKER`,
  U+FFFD REPLACEMENT CHARACTER, in email, HTML and the console; `SMS_MARKER`, `[?]`, in SMS, where
  U+FFFD would force the whole message from GSM-7 into UCS-2). Removed are:
  - every format character (Unicode category Cf) not kept below: the bidi embeddings and overrides
    U+202A..U+202E, the isolates U+2066..U+2069, the marks U+200E, U+200F and U+061C, the zero width
    space U+200B, the word joiner and invisible operators U+2060..U+2064, the deprecated format
    characters U+206A..U+206F, the byte order mark U+FEFF, the interlinear annotation characters
    U+FFF9..U+FFFB, U+180E, the Arabic and Syriac prepended marks, the tag characters
    U+E0001..U+E007F outside an emoji flag, and any other Cf;
  - the C0 and C1 controls (category Cc) other than newline and tab, and DEL;
  - lone surrogates (category Cs), which no encoder can send.
- **Kept as they are, in context.**
  - U+200D ZERO WIDTH JOINER and U+200C ZERO WIDTH NON-JOINER between two visible characters (letters,
    marks, numbers, punctuation or symbols) that are not both ASCII: emoji sequences (`👩‍💻`), Indic
    conjuncts and Persian words need them. Anywhere else (between two Latin letters, at either end,
    next to a space or another format character) a joiner does nothing but hide, and is removed.
  - The tag characters of an emoji subdivision flag (U+1F3F4 followed by 3 to 7 tag letters or digits
    and U+E007F CANCEL TAG, as in the flags of England, Scotland and Wales).
- **Dropped silently.** U+00AD SOFT HYPHEN: a hyphenation hint that shows nothing (or a hyphen at a
  line break) and moves nothing; text pasted from word processors is full of them.
- **Normalised.** CR LF, a lone CR, U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR become a newline.

Everything else is kept, spaces of every kind included; `shown` never adds or removes anything visible,
and text without any of these characters is returned unchanged. `shown(shown(x)) == shown(x)`.
"""

from __future__ import annotations

import re
import unicodedata

MARKER = "\ufffd"  # U+FFFD REPLACEMENT CHARACTER: one glyph every renderer draws, even without a font
SMS_MARKER = "[?]"  # GSM-7 (5 septets); U+FFFD would make the whole SMS UCS-2, halving its length

# Every character `shown` may act on, as a superset: each match is then looked at by its category, so
# a range here holding a character that needs nothing (an unassigned code point) changes nothing.
# tests/unit/domain/test_text.py checks that every Cc, Cf and Cs character of the running Python's
# Unicode database is covered, so a newer Unicode version cannot slip a format character past.
_SUSPECT = re.compile(
    "["
    "\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 (not tab, newline), DEL, C1
    "\u00ad"
    "\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2"
    "\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u206f"
    "\ud800-\udfff"
    "\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
    "]"
)
_NEWLINES = re.compile("\r\n|[\r\u2028\u2029]")

ZWNJ, ZWJ = "\u200c", "\u200d"
_SOFT_HYPHEN = "\u00ad"
_BLACK_FLAG = "\U0001f3f4"
_CANCEL_TAG = "\U000e007f"
# Tag digits and lowercase tag letters: what a subdivision code (`gbsct`) is spelt with.
_FLAG_TAGS = frozenset(chr(0xE0000 + ord(c)) for c in "0123456789abcdefghijklmnopqrstuvwxyz")
_FLAG_CODE = range(3, 8)  # a region (2) and a subdivision (1..4): `gbeng`, `usca`
_VISIBLE = frozenset("LMNPS")  # category initials of characters that show something


def _visible(char: str) -> bool:
    return unicodedata.category(char)[0] in _VISIBLE


def _joiner_kept(text: str, index: int) -> bool:
    """Whether the ZWJ or ZWNJ at `index` sits between two visible characters, not both ASCII."""
    if index == 0 or index + 1 >= len(text):
        return False
    before, after = text[index - 1], text[index + 1]
    return _visible(before) and _visible(after) and not (before.isascii() and after.isascii())


def _flag_tags(text: str, index: int) -> int:
    """The length of the emoji flag's tag sequence starting at `index` (after U+1F3F4), else 0."""
    if index == 0 or text[index - 1] != _BLACK_FLAG:
        return 0
    end = index
    while end < len(text) and text[end] in _FLAG_TAGS:
        end += 1
    if end - index in _FLAG_CODE and end < len(text) and text[end] == _CANCEL_TAG:
        return end - index + 1
    return 0


def _removed(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cf", "Cs") and char not in "\n\t"


def shown(text: str, marker: str = MARKER) -> str:
    """`text` safe to display: format and control characters removed, each run of them marked.

    The module docstring lists what is removed, kept and normalised. `marker` must not itself contain
    a character this removes (both MARKER and SMS_MARKER are plain).
    """
    if not _SUSPECT.search(text):
        return text
    text = _NEWLINES.sub("\n", text)
    out: list[str] = []
    hidden = False  # a removed run is open: its marker goes in before the next kept character
    index = 0
    while index < len(text):
        char = text[index]
        flag = _flag_tags(text, index)
        if flag:
            kept = text[index : index + flag]
            index += flag
        elif char == _SOFT_HYPHEN:
            index += 1
            continue
        elif (char in (ZWJ, ZWNJ) and _joiner_kept(text, index)) or not _removed(char):
            kept = char
            index += 1
        else:
            hidden = True
            index += 1
            continue
        if hidden:
            out.append(marker)
            hidden = False
        out.append(kept)
    if hidden:
        out.append(marker)
    return "".join(out)
