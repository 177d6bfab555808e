"""Link codes: short random codes in SMS and email links, resolved on the server to what they grant.

A code is 96 random bits (16 URL-safe characters), good for one purpose and one subject, and it expires.
Only its SHA-256 is stored: a copy of the table holds no working link. A code has far too much entropy
to guess, so a fast unsalted hash is enough, and looking a grant up by the hash of the presented code
compares no secret in our own code, so nothing leaks through timing.

A reply code (purpose `reply`) is the local part of a customer email's `Reply-To`,
`reply+<code>@<reply domain>`: 100 random bits as 20 characters of lower-case base32 (`a-z`, `2-7`),
since mail systems may fold the case of a local part. It is stored and resolved like any other code.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

CODE_BYTES = 12  # 96 bits
CODE_LENGTH = 16  # base64url of 12 bytes, no padding
_CODE = re.compile(r"^[A-Za-z0-9_-]{16}$")
REPLY_CODE_BYTES = 13  # 104 bits drawn, 100 kept: 20 base32 characters
REPLY_CODE_LENGTH = 20
_REPLY_CODE = re.compile(r"^[a-z2-7]{20}$")


class Purpose(StrEnum):
    ACK = "ack"  # a lead acknowledges a case: /a/{code}
    FOLLOWUP = "followup"  # a customer rates again: /f/{code}
    UNSUBSCRIBE = "unsubscribe"  # a customer opts out, also RFC 8058 one-click: /u/{code}
    APPROVAL = "approval"  # a level-2 contact approves or declines a compensation: /c/{code}
    REPLY = "reply"  # a customer's reply by email threads onto the case: reply+{code}@<reply domain>


class Verdict(StrEnum):
    OK = "ok"
    UNKNOWN = "unknown"
    WRONG_PURPOSE = "wrong_purpose"
    EXPIRED = "expired"
    USED = "used"

    @property
    def http_status(self) -> int:
        """The one status every link page answers with: 403 for a code that grants nothing here, 410 for
        one that did but no longer does."""
        return _STATUS[self]


_STATUS = {
    Verdict.OK: 200,
    Verdict.UNKNOWN: 403,
    Verdict.WRONG_PURPOSE: 403,
    Verdict.EXPIRED: 410,
    Verdict.USED: 410,
}


@dataclass(frozen=True, slots=True)
class Grant:
    """What a code grants: `purpose` on `subject` (a case id, a customer key) for `audience` (the lead's
    contact id, the customer key) until `expires_at`."""

    code_hash: str
    purpose: Purpose
    subject: str
    audience: str
    expires_at: datetime
    single_use: bool
    used_at: datetime | None = None
    used_by: str | None = None


def new_code() -> str:
    """A fresh code: 96 bits from the OS's CSPRNG, 16 characters of [A-Za-z0-9_-]."""
    return secrets.token_urlsafe(CODE_BYTES)


def well_formed(code: str) -> bool:
    """Could `code` be one of ours? Anything else is refused before any read."""
    return _CODE.match(code) is not None


def new_reply_code() -> str:
    """A fresh reply code: 100 bits from the OS's CSPRNG, 20 characters of [a-z2-7]."""
    encoded = base64.b32encode(secrets.token_bytes(REPLY_CODE_BYTES)).decode("ascii").lower()
    return encoded[:REPLY_CODE_LENGTH]


def well_formed_reply(code: str) -> bool:
    """Could `code` be one of our reply codes? Anything else is refused before any read."""
    return _REPLY_CODE.match(code) is not None


def code_hash(code: str) -> str:
    """SHA-256 hex of a code: how it is stored and looked up."""
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def check(grant: Grant | None, purpose: Purpose, now: datetime) -> Verdict:
    """May the code behind `grant` be used for `purpose` at `now`?

    A code for another purpose is refused before its state is looked at, so a follow-up code tried on
    the acknowledge page reveals nothing about itself.
    """
    if grant is None:
        return Verdict.UNKNOWN
    if grant.purpose != purpose:
        return Verdict.WRONG_PURPOSE
    if grant.single_use and grant.used_at is not None:
        return Verdict.USED
    if now >= grant.expires_at:
        return Verdict.EXPIRED
    return Verdict.OK
