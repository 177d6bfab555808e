"""API keys: stored only as hashes, compared in constant time.

Keys carry 192 random bits, so a fast hash (SHA-256) is enough: nothing short enough to guess hides
behind it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

_NOTHING = hashlib.sha256(b"no key here").hexdigest()


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def matches(presented: str, stored_hashes: Iterable[str]) -> bool:
    """Whether `presented` hashes to one of `stored_hashes`, comparing against every one of them (and
    against a dummy when there are none), so the time taken tells nothing about which, or whether."""
    digest = hash_key(presented)
    matched = False
    compared = False
    for stored in stored_hashes:
        matched |= hmac.compare_digest(digest, stored)
        compared = True
    if not compared:
        hmac.compare_digest(digest, _NOTHING)
    return matched


def bearer(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None
