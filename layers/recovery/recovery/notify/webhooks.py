"""Outbound webhooks: Standard Webhooks signatures and an HTTP POST behind a small port.

A signed message carries `webhook-id`, `webhook-timestamp` (Unix seconds) and
`webhook-signature: v1,<base64 HMAC-SHA256 over "<id>.<timestamp>.<body>">`, keyed with the bytes
after `whsec_` base64-decoded (https://www.standardwebhooks.com). Signing and checking are the
declarative scheme of `recovery.sources.signatures` that verifies inbound Standard Webhooks.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Protocol

from recovery.sources.presets import STANDARD_WEBHOOKS
from recovery.sources.signatures import HmacScheme, sign
from recovery.sources.signatures import verify as verify_signature

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
TIMEOUT_SECONDS = 5.0
# The same scheme a Standard Webhooks survey tool (Formbricks) signs its deliveries to us with.
SCHEME = HmacScheme.model_validate(STANDARD_WEBHOOKS)
SIGNATURE_ONLY = SCHEME.model_copy(update={"tolerance_seconds": None})


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
    headers = {"webhook-id": message_id, "webhook-timestamp": str(timestamp)}
    return sign(SCHEME, secret, body, headers, datetime.fromtimestamp(timestamp, UTC))["webhook-signature"]


def signed_headers(secret: str, message_id: str, body: bytes, now: datetime) -> dict[str, str]:
    secret_key(secret)  # refuse a malformed secret rather than sign with it
    signed = sign(SCHEME, secret, body, {"webhook-id": message_id}, now)
    return {"content-type": "application/json", "webhook-id": message_id, **signed}


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: datetime | None = None) -> bool:
    """What a receiver checks (used by tests and documented for integrators). With `now`, the
    timestamp must also lie within 5 minutes of it, which stops replays."""
    scheme = SCHEME if now is not None else SIGNATURE_ONLY
    return verify_signature(scheme, [secret], body, headers, {}, now or datetime.now(UTC)).ok


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
