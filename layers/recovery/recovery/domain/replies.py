"""What a customer newly wrote in an email reply: the quoted history their mail client appends removed.

`new_text(text)` takes the plain-text body of a reply and returns only what the customer wrote. It removes:

- **`>`-quoted lines**, wherever they are (top-posting, bottom-posting and answers written between quoted
  lines all keep the customer's own lines).
- **Attribution lines** that introduce a quote, in any of the product's languages, also when the client
  wrapped them over two or three lines (Gmail wraps long ones, even inside `<address>`):
  - en: "On Mon, 7 Dec 2026 at 10:00, Ada <a@example.com> wrote:" (Gmail, Apple Mail, Thunderbird,
    Outlook mobile, Yahoo);
  - de: "Am Mo., 7. Dez. 2026 um 10:00 Uhr schrieb Ada <a@example.com>:", "Am 07.12.2026 um 10:00 schrieb
    Ada:";
  - nb: "man. 7. des. 2026 kl. 10:00 skrev Ada <a@example.com>:", "Den 07.12.2026 10:00, skrev Ada:";
  - ja: Gmail's "2026年12月7日(月) 10:00 Ada <a@example.com>:" (no verb: a date, a time, an address and a
    closing colon), Apple Mail's "2026/12/07 10:00、Ada <a@example.com>のメール:" and Thunderbird's
    "2026/12/07 10:00 に Ada さんは書きました:";
  - zh: "在 2026年12月7日周一 10:00，Ada <a@example.com> 写道：" and "2026年12月7日 10:00，Ada 写道："
    (and the traditional 寫道);
  - tr: "7 Ara 2026 Pzt, saat 10:00 tarihinde Ada <a@example.com> şunu yazdı:" and Apple Mail's
    "7 Ara 2026 tarihinde 10:00 saatinde, Ada şunları yazdı:".

  Clients and versions word these differently, so the rules key on the verb, not the whole sentence: a
  line that ends with a colon and has wrote/writes, schrieb, skrev, 写道/寫道, のメール/書きました or
  yazdı (the verb last, or schrieb/skrev followed by the name) and a date or an address is an
  attribution. A line with neither verb nor known form still counts when it ends with a colon, holds a
  digit or an `@`, and the next non-blank line is `>`-quoted: that covers other languages and wordings
  not listed here.
- **Unquoted history**, cut off with everything below it, since nothing marks where it ends:
  - forwarded and original-message banners: "-----Original Message-----", "---------- Forwarded message
    ---------", Thunderbird's "-------- Original-Nachricht --------", Apple Mail's "Begin forwarded
    message:" and their translations (a dashed banner counts when its words name an original, forwarded
    or quoted message in one of the languages);
  - Outlook's header block: a From line ("From:", "Von:", "Fra:", "差出人:", "发件人:", "寄件者:",
    "Kimden:", with or without `*bold*` marks) followed within six lines by two more header lines (Sent,
    Date, To, Cc, Subject in the same languages: "Gesendet:", "Sendt:", "送信日時:", "发送时间:",
    "Gönderildi:" ...), together with the line of underscores Outlook puts above it;
  - an attribution with its verb and a time or an address that is not followed by `>`-quoted lines
    (clients that quote without `>`), when it opens the way attributions do ("On", "Am", "Den", "在", a
    weekday or a date) or names an address: a sentence of the customer's ending in "... wrote:" stays.
- **Mobile signatures** ("Sent from my iPhone", "Von meinem iPhone gesendet", "Sendt fra min iPhone",
  "iPhoneから送信", "发自我的iPhone", "iPhone'umdan gönderildi", "Get Outlook for iOS" and the like) when
  they are the last thing before the end or before the quoted history, never in the middle of a message.
  Phrases that also occur in ordinary sentences ("Gesendet von ...", "... depodan gönderildi") count only
  with a device or an app named in them.

What is removed between two parts of the customer's text leaves one blank line; runs of blank lines
become one, trailing spaces of a line and surrounding whitespace are trimmed. The result is never longer
than the input: lines are only dropped or lose trailing spaces, never added or rewritten.

Limits, by design:

- Text written below an unquoted history (a banner, an Outlook header block, an attribution without `>`)
  is lost: such history carries no mark where it ends, and a reply below a forwarded message is rare.
  Bottom-posting under `>`-quoted history is kept.
- An ordinary sentence of the customer's that ends with a colon, holds a digit and is directly followed
  by a `>`-quoted line ("About your message of 7 Dec:") is taken for an attribution and dropped.
- A plain signature under "-- " is the customer's own text and is kept.
- Wordings seen in few samples are matched loosely rather than exactly, and are the likeliest to need a
  new variant: Outlook's Turkish header names (Kimden, Gönderildi or Gönderilme tarihi, Kime, Konu), the
  Japanese, Chinese and Turkish original-message banners (元のメッセージ, 原始邮件, Özgün İleti or Orijinal
  Mesaj: any dashed banner naming an original or forwarded message counts), and Apple Mail's Norwegian
  and Turkish forward lines. Attributions need no such list: the verb, a time or an address and the `>`
  quote below are enough, whatever the exact sentence.

Why our own rules rather than a library: the reply parsers on PyPI cover the product's languages only in
part. mail-parser-reply (the multi-language one) has no Norwegian or Turkish rules, misses Gmail's
Chinese "在 ... 写道：", strips every line's indentation, and treats "Thanks," or "Best," as the start of a
signature to cut; email-reply-parser is English only; quotequail has none of ja, zh, nb or tr and needs
lxml for HTML. Adding the missing languages on top of any of them would be most of this module anyway.

Every rule looks at one line, or at most three lines joined, only at lines of bounded length (400
characters; a signature 120), with anchored patterns of bounded repetitions: the time taken grows
linearly with the input, whatever it holds (a 200 KB body shaped to make patterns backtrack takes
milliseconds).

`text_of_html(html)` gives the text of an HTML-only reply with the quoted parts left out (blockquotes,
Gmail's `gmail_quote`, Thunderbird's `moz-cite-prefix`, Yahoo's `yahoo_quoted`, and everything from
Outlook's `divRplyFwdMsg`, `appendonsend` or bordered header block on); pass what it returns through
`new_text` for the attribution lines and signatures outside those elements.
"""

# ruff: noqa: RUF002, RUF003 -- the examples quote the mail clients' own punctuation (CJK, Turkish ı)

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Literal

# Lines longer than this are never an attribution, a banner or a header line: they are passed over
# unread, which also bounds the work any pattern does on a line.
_MAX_MARKER_LINE = 400
_MAX_WRAPPED_LINES = 3
_HEADER_LOOKAHEAD = 6
_MAX_SIGNATURE_LINE = 120

_QUOTED = re.compile(r"[ \t]*>")
_COLONS = (":", "：")

# Verbs that end an attribution: "... wrote:", "... 写道：".
_VERBS_LAST = (
    "wrote",
    "writes",
    "schrieb",
    "geschrieben",
    "skrev",
    "写道",
    "寫道",
    "のメール",
    "書きました",
    "yazdı",
    "yazdi",
)
# Verbs followed by the writer: "Am ... schrieb Ada <a@example.com>:", "Den ..., skrev Ada:".
_VERB_THEN_NAME = re.compile(r"(?:^|\s)(?:schrieb|skrev)\s")
# A time or a numeric date ("10:00", "07.12"): every client's attribution has one.
_TIME = re.compile(r"\d{1,2}[:.]\d{2}")
# Gmail in Japanese: "2026年12月7日(月) 10:00 Ada <a@example.com>:" (no verb).
_JA_GMAIL = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日.{0,12}?\d{1,2}:\d{2}\s.*@")
# How the first line of an attribution that a client wrapped begins.
_WRAPPED_OPENING = re.compile(
    r"(?:on|am|den|le|el|il|op|em|"
    r"man\.|tir\.|ons\.|tor\.|fre\.|lør\.|søn\.|mo\.|di\.|mi\.|do\.|fr\.|sa\.|so\.)\s|在|於|\d",
    re.IGNORECASE,
)

_FROM_KEY = re.compile(r"\*?\s*(?:from|von|fra|差出人|发件人|寄件者|kimden)\s*\*?\s*[:：]", re.IGNORECASE)
_OTHER_KEY = re.compile(
    r"\*?\s*(sent|date|to|cc|subject|"
    r"gesendet|datum|an|betreff|"
    r"sendt|dato|til|kopi|emne|"
    r"送信日時|日付|宛先|件名|"
    r"发送时间|日期|收件人|抄送|主题|寄件日期|收件者|副本|主旨|"
    r"gönderildi|gönderilme tarihi|tarih|kime|bilgi|konu)"
    r"\s*\*?\s*[:：]",
    re.IGNORECASE,
)
_UNDERSCORES = re.compile(r"_{10,}")
# "-----Original Message-----", "---------- Forwarded message ---------", "-------- 原始邮件 --------".
_BANNER = re.compile(r"[-_=*]{2,}\s*([^-_=*\s].{0,80}?)\s*[-_=*]{2,}")
_BANNER_WORDS = (
    "original",
    "forward",
    "ursprüngliche",
    "weitergeleitet",
    "opprinnelig",
    "videresendt",
    "元のメッセージ",
    "転送",
    "原始邮件",
    "原始郵件",
    "转发",
    "轉寄",
    "özgün",
    "orijinal",
    "iletilen",
    "yönlendiril",
)
# Apple Mail's forward line, in the product's languages (case-folded, without its colon).
_FORWARD_LINES = frozenset(
    {
        "begin forwarded message",
        "anfang der weitergeleiteten nachricht",
        "anfang der weitergeleiteten e-mail",
        "start på videresendt melding",
        "begynnelse på videresendt melding",
        "videresendt melding",
        "転送されたメッセージ",
        "以下是转发的邮件",
        "转发的邮件",
        "iletilen ileti başlangıcı",
        "yönlendirilen ileti başlangıcı",
        "yönlendirilmiş ileti başlangıcı",
    }
)

# Phrases that also occur in ordinary sentences ("Gesendet von ...", "... depodan gönderildi") count as a
# signature only with a device or an app named in them.
_DEVICE = (
    r"(?:iphone|ipad|android|samsung|galaxy|pixel|huawei|xiaomi|outlook|yahoo|mail|handy|mobil|"
    r"telefon|smartphone|windows|cihaz|携帯|スマートフォン|スマホ|手机)"
)
_MOBILE_SIGNATURE = re.compile(
    "(?:"
    r"sent from (?:my )?[^,;!?]{1,40}|get outlook for (?:ios|android)|"
    r"von meinem .{1,40} gesendet|gesendet von .{0,30}" + _DEVICE + r".{0,30}|"
    r"outlook für (?:ios|android) (?:beziehen|herunterladen)|"
    r"sendt fra .{0,30}" + _DEVICE + r".{0,30}|hent outlook for (?:ios|android)|"
    r".{0,30}" + _DEVICE + r".{0,30}から送信|.{0,20}outlook.{0,20}を入手|"
    r"(?:发自|来自)我的.{1,40}|从我的.{1,40}发送|"
    r".{0,30}" + _DEVICE + r".{0,30}gönderildi|.{0,20}outlook.{0,30}(?:edinin|indirin)"
    r")(?:\s*<[^<>\s]{1,300}>)?\.?",
    re.IGNORECASE,
)

# What the first pass makes of each line.
_TEXT, _BLANK, _QUOTE, _DROP, _CUT = range(5)
Strength = Literal["strong", "weak"]


def new_text(text: str) -> str:
    """The part of a plain-text email reply that its sender wrote, without the quoted history (module doc)."""
    lines = [line.strip() for line in text.splitlines()]
    originals = text.splitlines()
    kinds = _classify(lines)
    kept: list[str] = []
    for index, kind in enumerate(kinds):
        if kind == _CUT:
            break
        if kind == _TEXT:
            kept.append(originals[index].rstrip())
        elif kept and kept[-1]:
            kept.append("")  # what was removed, like a blank line, separates the text either side
    return "\n".join(kept).strip()


def _classify(lines: list[str]) -> list[int]:
    """One kind per (stripped) line: text to keep, blank, quoted, dropped, or the cut where history begins."""
    kinds = [_BLANK if not line else _QUOTE if _QUOTED.match(line) else _TEXT for line in lines]
    index = 0
    while index < len(lines):
        if kinds[index] != _TEXT:
            index += 1
            continue
        if _is_banner(lines[index]) or _is_outlook_header(lines, index):
            _cut_from(lines, kinds, index)
            break
        span, strength = _attribution(lines, kinds, index)
        if span:
            following = _next_non_blank(kinds, index + span)
            if following is not None and kinds[following] == _QUOTE:
                kinds[index : index + span] = [_DROP] * span
                index += span
                continue
            if strength == "strong" and (
                _WRAPPED_OPENING.match(lines[index])
                or any("@" in line for line in lines[index : index + span])
            ):
                _cut_from(lines, kinds, index)
                break
        index += 1
    _drop_signatures(lines, kinds)
    return kinds


def _cut_from(lines: list[str], kinds: list[int], index: int) -> None:
    kinds[index] = _CUT
    # the line of underscores Outlook puts above its header block goes with it
    above = index - 1
    while above >= 0 and kinds[above] == _BLANK:
        above -= 1
    if above >= 0 and kinds[above] == _TEXT and _UNDERSCORES.fullmatch(lines[above]):
        kinds[above] = _CUT


def _next_non_blank(kinds: list[int], start: int) -> int | None:
    for index in range(start, len(kinds)):
        if kinds[index] != _BLANK:
            return index
    return None


def _is_banner(line: str) -> bool:
    if len(line) > _MAX_MARKER_LINE:
        return False
    if _fold(line.rstrip(":：").rstrip()) in _FORWARD_LINES:
        return True
    banner = _BANNER.fullmatch(line)
    return banner is not None and any(word in _fold(banner.group(1)) for word in _BANNER_WORDS)


def _is_outlook_header(lines: list[str], index: int) -> bool:
    """A From line with at least two other header lines (Sent, To, Subject...) within the next few lines."""
    if len(lines[index]) > _MAX_MARKER_LINE or not _FROM_KEY.match(lines[index]):
        return False
    others = set()
    for line in lines[index + 1 : index + 1 + _HEADER_LOOKAHEAD]:
        key = _OTHER_KEY.match(line) if len(line) <= _MAX_MARKER_LINE else None
        if key:
            others.add(key.group(1).casefold())
    return len(others) >= 2


def _attribution(lines: list[str], kinds: list[int], index: int) -> tuple[int, Strength | None]:
    """(lines it spans, strength) of an attribution starting at `index`, (0, None) when there is none.

    A wrapped attribution spans up to three lines; it must open the way attributions do, and no shorter
    tail of it may open so and be an attribution by itself (else the line above would be the customer's,
    taken along).
    """
    for span in range(1, _MAX_WRAPPED_LINES + 1):
        last = index + span - 1
        if last >= len(lines) or kinds[last] != _TEXT or len(lines[last]) > _MAX_MARKER_LINE:
            break
        if not lines[last].endswith(_COLONS):
            continue
        if span > 1 and not _WRAPPED_OPENING.match(lines[index]):
            break
        strength = _strength(" ".join(lines[index : last + 1]))
        if strength and not any(
            _WRAPPED_OPENING.match(lines[tail]) and _strength(" ".join(lines[tail : last + 1]))
            for tail in range(index + 1, last + 1)
        ):
            return span, strength
    return 0, None


def _strength(line: str) -> Strength | None:
    """Strong: a verb of attribution with a time or an address (or Gmail's Japanese form); weak: either."""
    if not line.endswith(_COLONS):
        return None
    body = line[:-1].rstrip()
    folded = _fold(body)
    verb = folded.endswith(_VERBS_LAST) or _VERB_THEN_NAME.search(folded) is not None
    if _JA_GMAIL.match(body) or (verb and ("@" in body or _TIME.search(body))):
        return "strong"
    if verb or "@" in body or any(character.isdigit() for character in body):
        return "weak"
    return None


def _fold(text: str) -> str:
    """Case-folded, with the dot that folding leaves on a Turkish capital İ ("İletilen") taken off."""
    return text.casefold().replace("\u0307", "")


def _drop_signatures(lines: list[str], kinds: list[int]) -> None:
    """Drop mobile signatures that are the last line before the end or before the quoted history."""
    following: int | None = None  # kind of the next non-blank line below, None at the end
    for index in range(len(lines) - 1, -1, -1):
        kind = kinds[index]
        if kind == _BLANK:
            continue
        if (
            kind == _TEXT
            and following in (None, _QUOTE, _DROP, _CUT)
            and len(lines[index]) <= _MAX_SIGNATURE_LINE
            and _MOBILE_SIGNATURE.fullmatch(lines[index])
        ):
            kinds[index] = kind = _DROP
        following = kind


# Elements whose whole content is quoted history (or no text at all).
_SKIPPED_TAGS = frozenset({"blockquote", "script", "style", "head", "title", "template"})
_QUOTE_CLASSES = frozenset(
    {"gmail_quote", "gmail_quote_container", "gmail_attr", "yahoo_quoted", "moz-cite-prefix"}
)
_QUOTE_IDS = frozenset({"mail-editor-reference-message-container"})
# Outlook's reply header: the history follows it as siblings, so everything from there on is dropped.
_HISTORY_IDS = frozenset({"divrplyfwdmsg", "appendonsend"})
_HISTORY_BORDERS = ("border-top:solid#e1e1e1", "border-top:solid#b5c4df")
_BLOCK_TAGS = frozenset(
    {
        "address", "article", "blockquote", "br", "dd", "div", "dl", "dt", "footer", "h1", "h2", "h3", "h4",
        "h5", "h6", "header", "hr", "li", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
    }
)  # fmt: skip
_HTML_SPACE = re.compile(r"[ \t\n\r\f\xa0]+")


class _UnquotedText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping: str | None = None  # the tag whose content is being left out
        self._depth = 0  # how deep inside elements of that tag
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._done:
            return
        if self._skipping:
            self._depth += tag == self._skipping
            return
        attributes = {name: value or "" for name, value in attrs}
        style = attributes.get("style", "").replace(" ", "").casefold()
        if attributes.get("id", "").casefold() in _HISTORY_IDS or any(b in style for b in _HISTORY_BORDERS):
            self._done = True
            return
        if (
            tag in _SKIPPED_TAGS
            or not _QUOTE_CLASSES.isdisjoint(attributes.get("class", "").split())
            or attributes.get("id", "") in _QUOTE_IDS
        ):
            self._skipping, self._depth = tag, 1
            return
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self._done and not self._skipping and tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self._done:
            return
        if self._skipping:
            if tag == self._skipping:
                self._depth -= 1
                if not self._depth:
                    self._skipping = None
            return
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._done and not self._skipping:
            self.parts.append(_HTML_SPACE.sub(" ", data))


def text_of_html(html: str) -> str:
    """The text of an HTML email without its quoted parts (module doc); lines trimmed, blank runs one."""
    parser = _UnquotedText()
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).split("\n")]
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept).strip()
