"""SMS length in the recipient's encoding, and fitting an alert into a fixed number of segments.

A message is GSM-7 (the GSM 03.38 default alphabet plus its extension table) when every character is
encodable, else UCS-2. Turkish, Japanese and Chinese recipients are always measured as UCS-2: their text
almost never fits GSM-7, and measuring them the stricter way keeps a mixed message within budget whatever
the carrier chooses.

Segments are counted the way handsets and SNS split long messages: a part never ends half-way through an
extension character (escape + character) or a surrogate pair, so the count can exceed ceil(units/153) or
ceil(units/67). Counting conservatively is the only way to promise "at most N segments".
"""

from __future__ import annotations

import unicodedata
from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

# GSM 03.38 default alphabet (0x1B, the escape to the extension table, is not a character of its own).
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each character costs an escape septet plus its own.
_GSM_EXTENSION = frozenset("\f^{}\\[~]|€")

_UCS2_LANGUAGES = frozenset({"tr", "ja", "zh"})

_SINGLE = {"GSM-7": 160, "UCS-2": 70}
_PART = {"GSM-7": 153, "UCS-2": 67}  # what is left of a part after the concatenation header
_ELLIPSIS = {"GSM-7": "...", "UCS-2": "…"}

# A cut that lands further back than this share of the excerpt loses too much: cut mid-word instead
# (and always for scripts written without spaces).
_WORD_BOUNDARY_SHARE = 0.6

# Typographic characters that phones and word processors put into ordinary text. Each one outside
# GSM-7 would double the cost of a whole message, so alerts use their plain equivalents.
_PLAIN = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2026": "...",
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
    }
)


def plain_punctuation(text: str) -> str:
    """Replace curly quotes, dashes, the ellipsis and odd spaces with plain ones (GSM-7 has none of them)."""
    return text.translate(_PLAIN)


def _septets(char: str) -> int | None:
    if char in _GSM_BASIC:
        return 1
    if char in _GSM_EXTENSION:
        return 2
    return None


def gsm7_septets(text: str) -> int | None:
    """Septets `text` takes in GSM-7, or None when a character is not in the alphabet."""
    total = 0
    for char in text:
        cost = _septets(char)
        if cost is None:
            return None
        total += cost
    return total


def _utf16_units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def encoding_for(language: str | None, text: str) -> Encoding:
    """The encoding to measure `text` in for a recipient who reads `language` (a BCP 47 tag or None)."""
    if language and language.replace("_", "-").split("-", 1)[0].lower() in _UCS2_LANGUAGES:
        return "UCS-2"
    return "GSM-7" if gsm7_septets(text) is not None else "UCS-2"


def _costs(text: str, encoding: Encoding) -> list[int]:
    if encoding == "UCS-2":
        return [_utf16_units(char) for char in text]
    costs = []
    for char in text:
        cost = _septets(char)
        if cost is None:
            raise ValueError(f"{char!r} is not encodable in GSM-7")
        costs.append(cost)
    return costs


def segments(text: str, encoding: Encoding) -> int:
    """Segments `text` takes in `encoding`; a character never straddles two parts."""
    costs = _costs(text, encoding)
    if sum(costs) <= _SINGLE[encoding]:
        return 1
    part, parts, used = _PART[encoding], 1, 0
    for cost in costs:
        if used + cost > part:
            parts, used = parts + 1, 0
        used += cost
    return parts


def _cut_ok(text: str, index: int) -> bool:
    """Whether text[:index] ends cleanly: not before a combining mark or inside a joined emoji."""
    if index <= 0 or index >= len(text):
        return True
    after = text[index]
    if unicodedata.combining(after) or unicodedata.category(after) in ("Mn", "Me"):
        return False
    if after in "\u200d\ufe0e\ufe0f" or text[index - 1] == "\u200d":
        return False
    return not 0x1F3FB <= ord(after) <= 0x1F3FF  # skin-tone modifiers belong to the emoji before them


def _excerpt(text: str, length: int, ellipsis: str) -> str:
    """At most `length` characters of `text` cut at a word boundary when a near one exists, plus `ellipsis`.

    Empty when nothing of the text survives, so a message never shows a lone ellipsis.
    """
    while length > 0 and not _cut_ok(text, length):
        length -= 1
    cut = text[:length]
    if length < len(text) and not text[length].isspace():
        space = max(cut.rfind(" "), cut.rfind("\n"), cut.rfind("\t"))
        if space >= length * _WORD_BOUNDARY_SHARE:
            cut = cut[:space]
    cut = cut.rstrip(" \t\r\n,;:-")
    return cut + ellipsis if cut.strip() else ""


def _fits(text: str, encoding: Encoding, max_segments: int) -> bool:
    return segments(text, encoding) <= max_segments


def _shorten(before: str, text: str, after: str, encoding: Encoding, max_segments: int) -> tuple[str, bool]:
    """The longest excerpt of `text` with `before` + excerpt + `after` within the limit.

    Returns the excerpt and whether anything fits at all (an empty excerpt counts when the rest fits).
    """
    ellipsis = _ELLIPSIS[encoding]
    if not _fits(before + after, encoding, max_segments):
        return "", False
    # Segments never shrink as the excerpt grows, so the longest fitting prefix can be bisected.
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if _fits(before + text[:middle] + ellipsis + after, encoding, max_segments):
            low = middle
        else:
            high = middle - 1
    return _excerpt(text, low, ellipsis), True


def fit(head: str, body: str, tail: str, language: str | None, max_segments: int = 2) -> str:
    """`head + body + tail` within `max_segments` in the recipient's encoding.

    The body (the customer's words) is shortened first, then the head; the tail, which carries the link,
    is never cut. Raises ValueError only when the tail alone is over the limit.
    """
    whole = head + body + tail
    encoding = encoding_for(language, whole)
    if _fits(whole, encoding, max_segments):
        return whole
    excerpt, fits = _shorten(head, body, tail, encoding, max_segments)
    if fits:
        return head + excerpt + tail
    if not _fits(tail, encoding, max_segments):
        raise ValueError(f"the tail alone takes more than {max_segments} SMS segments")
    excerpt, _ = _shorten("", head, tail, encoding, max_segments)
    return excerpt + tail
