"""Outbound webhooks: Standard Webhooks signatures and an HTTP POST behind a small port.

A signed message carries `webhook-id`, `webhook-timestamp` (Unix seconds) and
`webhook-signature: v1,<base64 HMAC-SHA256 over "<id>.<timestamp>.<body>">`, keyed with the bytes
after `whsec_` base64-decoded (https://www.standardwebhooks.com).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
TIMEOUT_SECONDS = 5.0


class PostFailed(RuntimeError):
    """The receiver could not be reached or answered other than 2xx; the message is tried again later."""


def new_secret() -> str:
    """A signing secret: `whsec_` and 256 random bits, base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def secret_key(secret: str) -> bytes:
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a signing secret starts with whsec_")
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error as error:
        raise ValueError("a signing secret is whsec_ followed by base64") from error
    if len(key) < 24:
        raise ValueError("a signing secret holds at least 192 bits")
    return key


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signed_headers(secret: str, message_id: str, body: bytes, now: datetime) -> dict[str, str]:
    timestamp = int(now.timestamp())
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }


def verify(secret: str, headers: Mapping[str, str], body: bytes) -> bool:
    """What a receiver checks (used by tests and documented for integrators)."""
    lower = {name.lower(): value for name, value in headers.items()}
    expected = signature(secret, lower["webhook-id"], int(lower["webhook-timestamp"]), body)
    offered = lower.get("webhook-signature", "").split(" ")
    return any(hmac.compare_digest(expected, candidate) for candidate in offered)


class Poster(Protocol):
    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, bytes]: ...


class UrllibPoster:
    """POST with a 5 s timeout; anything but 2xx raises `PostFailed` (with the status, never the body)."""

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, bytes]:
        # URLs are https (or loopback http), checked when the endpoint is configured.
        request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                return int(response.status), response.read(65536)
        except urllib.error.HTTPError as error:
            raise PostFailed(f"the receiver answered {error.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise PostFailed(f"the receiver could not be reached: {type(error).__name__}") from None
