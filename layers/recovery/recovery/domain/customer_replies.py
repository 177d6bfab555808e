"""What a customer's reply is made of, before it is threaded onto their case: pure rules.

- **The reply address.** Every email to a customer has `Reply-To: reply+<code>@<reply domain>`;
  `reply_code(recipients, domain)` finds the code among a message's recipients (the local part's case is
  folded: mail systems may change it). The code is resolved on the server (`recovery.store.links`).
- **The text.** `message_text(raw)` reads a raw MIME message with the standard library: the text/plain
  part, else the text of the HTML part (`recovery.domain.replies.text_of_html`); attachments are never
  read. `bounded(text)` sanitises it (the
  same `recovery.domain.text.shown` every displayed text goes through) and cuts it to `TEXT_LIMIT`
  characters, saying whether it did.
- **STOP.** `opts_out(text)` is true for a text that is only an opt-out keyword, in any of the six
  languages (`STOP_WORDS`), whatever its case, width or trailing punctuation.
"""

from __future__ import annotations

import email
import email.policy
import re
import unicodedata
from collections.abc import Iterable
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr

from recovery.domain.links import well_formed_reply
from recovery.domain.replies import text_of_html
from recovery.domain.text import shown

RAW_LIMIT = 256 * 1024  # bytes of a raw email read: the text comes first, attachments after it are not read
TEXT_LIMIT = 2000  # characters of a reply kept on the timeline
REPLY_PREFIX = "reply+"

# Opt-out keywords, matched against the whole text (case, width and trailing punctuation ignored).
STOP_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "opt out"}),
    "de": frozenset({"stopp", "abmelden", "abbestellen", "ende", "beenden", "austragen"}),
    "nb": frozenset({"stopp", "avslutt", "avmeld", "meld av", "slutt"}),
    "ja": frozenset({"停止", "配信停止", "ストップ", "解除", "配信解除"}),
    "zh": frozenset({"退订", "退訂", "停止", "取消订阅", "取消訂閱", "td"}),
    "tr": frozenset({"dur", "iptal", "ret", "abonelikten çık", "durdur"}),
}
_ALL_STOP_WORDS = frozenset(word for words in STOP_WORDS.values() for word in words)
_TRAILING = re.compile(r"[\s.!?。！？、,，]+$")


def reply_code(recipients: Iterable[str], domain: str) -> str | None:
    """The code of the first `reply+<code>@<domain>` among `recipients` that could be one of ours."""
    wanted = domain.strip().lower()
    if not wanted:
        return None
    for recipient in recipients:
        address = parseaddr(recipient)[1].strip().lower()
        local, _, host = address.rpartition("@")
        if host != wanted or not local.startswith(REPLY_PREFIX):
            continue
        code = local[len(REPLY_PREFIX) :]
        if well_formed_reply(code):
            return code
    return None


def parse(raw: bytes) -> EmailMessage:
    """The raw message, parsed leniently (a message cut at `RAW_LIMIT` still gives what it has)."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def sender(message: Message) -> str | None:
    """The address in the message's From header, lower-cased; None when it has not exactly one."""
    found = [address for _, address in getaddresses([str(message.get("From", ""))]) if "@" in address]
    return found[0].strip().lower() if len(found) == 1 else None


def message_text(message: EmailMessage) -> str:
    """The message's text: its text/plain body, else the text of its HTML body, else nothing.
    Attachments (any part with a filename or `Content-Disposition: attachment`) are never read."""
    for preference in ("plain", "html"):
        try:
            part = message.get_body(preferencelist=(preference,))
        except Exception:  # a malformed structure: no text rather than an error
            part = None
        if part is None or part.get_filename() or part.get_content_disposition() == "attachment":
            continue
        content = _content(part)
        if content is None:
            continue
        return text_of_html(content) if preference == "html" else content
    return ""


def _content(part: Message) -> str | None:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except (LookupError, ValueError, AssertionError):  # an unknown charset, a broken encoding
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            return None
        return payload.decode("utf-8", "replace")
    return content if isinstance(content, str) else None


def bounded(text: str) -> tuple[str, bool]:
    """The text sanitised (`shown`), trimmed, and cut to `TEXT_LIMIT` characters; True when it was cut."""
    clean = shown(text).strip()
    if len(clean) <= TEXT_LIMIT:
        return clean, False
    return clean[:TEXT_LIMIT].rstrip(), True


def opts_out(text: str) -> bool:
    """Whether a text message asks to stop: only an opt-out keyword, in any of the six languages."""
    # Turkish dotted capital I folds to "i" plus a combining dot: the dot is dropped, so İPTAL is iptal.
    folded = unicodedata.normalize("NFKC", text).casefold().replace("i\u0307", "i").strip()
    folded = " ".join(_TRAILING.sub("", folded).split())
    return folded in _ALL_STOP_WORDS
