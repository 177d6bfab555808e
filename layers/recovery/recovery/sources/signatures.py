"""Webhook signatures: how a source proves a delivery came from its survey tool.

A scheme is configuration (header, algorithm, encoding, prefix, signed-message template, secret encoding,
replay window), so a tool with no preset needs no code. Most tools send the signature in a header; a
few post a form with the signature in one field over the text of another (Qualtrics: `MSG` and `HMAC`),
which `field` and a `{form:MSG}` placeholder describe. Tools that cannot sign use a secret URL token
instead. Every comparison is constant-time, and several secrets are accepted at once so a secret can be
rotated with the old and the new both valid for a while.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets as random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Literal
from urllib.parse import parse_qs, urlencode

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

_PLACEHOLDER = re.compile(r"\{(body|header:[A-Za-z0-9-]+|form:[A-Za-z0-9_.-]+)\}")
_HEADER = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,100}$")]
_FIELD = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,100}$")]
MAX_FORM_FIELDS = 200

# The reasons a delivery is refused, as they appear in the delivery log.
MISSING_SIGNATURE = "missing signature"
BAD_SIGNATURE = "bad signature"
MISSING_TIMESTAMP = "missing timestamp"
STALE_TIMESTAMP = "stale timestamp"
MISSING_TOKEN = "missing token"  # noqa: S105 - a reason, not a secret
BAD_TOKEN = "bad token"  # noqa: S105
NO_SECRET = "no secret configured"  # noqa: S105


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HmacScheme(_Strict):
    """An HMAC over a message built from the raw body, headers and form fields, sent in one header or in
    one field of a form-encoded body."""

    header: _HEADER | None = Field(default=None, description="lower-case header that carries the signature")
    field: _FIELD | None = Field(
        default=None, description="or: the form field that carries it (a form-encoded body), e.g. HMAC"
    )
    algorithm: Literal["sha1", "sha256", "sha512"] = "sha256"
    encoding: Literal["hex", "base64"] = "hex"
    prefix: str = Field(default="", max_length=20, description='stripped before comparing: "sha256=", "v1,"')
    message: str = Field(
        default="{body}",
        max_length=200,
        description="template over {body}, {header:name} and {form:name} (a form field's decoded value): "
        '"{header:webhook-id}.{body}", "{form:MSG}"',
    )
    secret_encoding: Literal["raw", "whsec"] = Field(
        default="raw", description='raw: the secret\'s UTF-8 bytes; whsec: base64 after "whsec_"'
    )
    timestamp_header: _HEADER | None = Field(default=None, description="unix seconds or ISO 8601")
    tolerance_seconds: int | None = Field(default=None, ge=1, le=86_400, description="the replay window")
    multiple: str | None = Field(
        default=None, min_length=1, max_length=3, description="separator when the header lists several"
    )

    @model_validator(mode="after")
    def _consistent(self) -> HmacScheme:
        rest = _PLACEHOLDER.sub("", self.message)
        if "{" in rest or "}" in rest:
            raise ValueError("message: only {body}, {header:name} and {form:name} placeholders are allowed")
        if (self.header is None) == (self.field is None):
            raise ValueError("one of header (a signature header) or field (a signature form field) is needed")
        if self.field is None:
            if "{body}" not in self.message and not self.fields_signed():
                raise ValueError("message: must include {body} or a {form:name}")
        else:
            # The body holds the signature itself, so a form's signature covers fields, never the body.
            if "{body}" in self.message or not self.fields_signed():
                raise ValueError('message: a signature in a form field signs form fields, e.g. "{form:MSG}"')
            if self.field in self.fields_signed():
                raise ValueError("message: the signature's own field cannot be signed")
        if self.tolerance_seconds is not None and self.timestamp_header is None:
            raise ValueError("tolerance_seconds needs timestamp_header")
        return self

    def headers_signed(self) -> list[str]:
        """The headers the message template reads (lower-case)."""
        return [
            part[len("header:") :].lower()
            for part in _PLACEHOLDER.findall(self.message)
            if part.startswith("header:")
        ]

    def fields_signed(self) -> list[str]:
        """The form fields the message template reads."""
        return [
            part[len("form:") :] for part in _PLACEHOLDER.findall(self.message) if part.startswith("form:")
        ]


class TokenScheme(_Strict):
    """A secret token in the hook URL (`/v1/hooks/{id}?token=...`), for tools that cannot sign."""

    token: Literal["query"] = "query"  # noqa: S105 - where the token is, not a token
    parameter: str = Field(default="token", pattern=r"^[A-Za-z0-9_-]{1,40}$")


Scheme = HmacScheme | TokenScheme


@dataclass(frozen=True)
class Check:
    """The outcome of verifying one delivery; `reason` is set when it is refused."""

    ok: bool
    reason: str | None = None


_OK = Check(ok=True)


def parse_scheme(document: Mapping[str, object]) -> Scheme:
    """A scheme from configuration: `{token: query}` or the HMAC fields. Raises pydantic's ValidationError."""
    if "token" in document:
        return TokenScheme.model_validate(document)
    return HmacScheme.model_validate(document)


def new_secret(scheme: Scheme) -> str:
    """A fresh secret in the form the scheme expects (for the admin API and tests)."""
    if isinstance(scheme, HmacScheme) and scheme.secret_encoding == "whsec":  # noqa: S105
        return "whsec_" + base64.b64encode(random.token_bytes(24)).decode("ascii")
    return random.token_urlsafe(32)


def verify(
    scheme: Scheme,
    secrets: Sequence[str],
    raw: bytes,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    now: datetime,
) -> Check:
    """Whether a delivery carries a valid signature (or token) under any of `secrets`.

    `headers` may have names in any case (API Gateway v2 lowercases them). The signature is checked on
    `raw`, the exact bytes received, never on a re-serialised body; form fields are read from `raw` as
    `application/x-www-form-urlencoded` and signed as their decoded text. A field that the signature
    reads, or that carries it, may appear once only: with two, which one counted would be ambiguous.
    """
    keys = [secret for secret in secrets if secret]
    if not keys:
        return Check(False, NO_SECRET)
    if isinstance(scheme, TokenScheme):
        return _verify_token(scheme, keys, query)
    lower = {name.lower(): value for name, value in headers.items()}
    form: dict[str, list[str]] = {}
    if scheme.field is not None or scheme.fields_signed():
        parsed = _form(raw)
        if parsed is None:
            return Check(False, MISSING_SIGNATURE)
        form = parsed
        if any(len(form.get(name, ())) > 1 for name in [*scheme.fields_signed(), scheme.field or ""]):
            return Check(False, BAD_SIGNATURE)
    if scheme.field is not None:
        sent = next(iter(form.get(scheme.field, ())), "").strip()
    else:
        sent = lower.get(scheme.header or "", "").strip()
    if not sent:
        return Check(False, MISSING_SIGNATURE)
    if scheme.timestamp_header is not None:
        stamp = lower.get(scheme.timestamp_header, "").strip()
        if not stamp:
            return Check(False, MISSING_TIMESTAMP)
        if scheme.tolerance_seconds is not None:
            moment = _parse_timestamp(stamp)
            if moment is None or abs((now - moment).total_seconds()) > scheme.tolerance_seconds:
                return Check(False, STALE_TIMESTAMP)
    message = _message(scheme, raw, lower, form)
    candidates = _candidates(scheme, sent)
    matched = False
    for key in keys:
        secret = _secret_bytes(scheme, key)
        if secret is None:
            continue
        expected = _digest(scheme, secret, message)
        for candidate in candidates:
            # Check every pair without stopping early, so timing says nothing about which one matched.
            matched |= hmac.compare_digest(expected, candidate)
    return _OK if matched else Check(False, BAD_SIGNATURE)


def sign(
    scheme: Scheme,
    secret: str,
    raw: bytes,
    headers: Mapping[str, str],
    now: datetime,
) -> dict[str, str]:
    """The headers a tool using `scheme` would send with `raw` (the signature, and the timestamp if the
    scheme has one). `headers` supplies the other signed headers, e.g. `webhook-id`.

    For a token scheme nothing goes into headers: the token is the secret itself, in the URL. For a
    scheme whose signature is a form field, the signature is `{field: value}`, a field to add to the
    form body rather than a header (`signed_form` adds it); a timestamp, if any, is still a header.
    """
    if isinstance(scheme, TokenScheme):
        return {}
    lower = {name.lower(): value for name, value in headers.items()}
    added: dict[str, str] = {}
    if scheme.timestamp_header is not None and scheme.timestamp_header not in lower:
        added[scheme.timestamp_header] = str(int(now.timestamp()))
        lower.update(added)
    key = _secret_bytes(scheme, secret)
    if key is None:
        raise ValueError("the secret is not in the scheme's encoding")
    form = _form(raw) if scheme.fields_signed() else {}
    if form is None:
        raise ValueError("the body is not a form the scheme can read")
    digest = _digest(scheme, key, _message(scheme, raw, lower, form))
    added[scheme.field or scheme.header or ""] = scheme.prefix + digest.decode("ascii")
    return added


def signed_form(scheme: HmacScheme, secret: str, raw: bytes, now: datetime) -> bytes:
    """A form body as a tool using a form-field scheme posts it: `raw` with the signature field added
    (Qualtrics: `Topic=...&MSG=...` becomes `Topic=...&MSG=...&HMAC=<hex>`)."""
    if scheme.field is None:
        raise ValueError("the scheme sends its signature in a header: use sign()")
    value = sign(scheme, secret, raw, {}, now)[scheme.field]
    joiner = b"&" if raw else b""
    return raw + joiner + urlencode({scheme.field: value}).encode("ascii")


def _verify_token(scheme: TokenScheme, keys: Sequence[str], query: Mapping[str, str]) -> Check:
    sent = query.get(scheme.parameter, "")
    if not sent:
        return Check(False, MISSING_TOKEN)
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(key.encode("utf-8"), sent.encode("utf-8", "replace"))
    return _OK if matched else Check(False, BAD_TOKEN)


def _form(raw: bytes) -> dict[str, list[str]] | None:
    """A form-encoded body's fields (each a list, in order), or None when it is not one."""
    try:
        return parse_qs(
            raw.decode("utf-8"), keep_blank_values=True, errors="strict", max_num_fields=MAX_FORM_FIELDS
        )
    except (UnicodeDecodeError, ValueError):
        return None


def _message(
    scheme: HmacScheme, raw: bytes, lower: Mapping[str, str], form: Mapping[str, list[str]]
) -> bytes:
    parts: list[bytes] = []
    position = 0
    for found in _PLACEHOLDER.finditer(scheme.message):
        parts.append(scheme.message[position : found.start()].encode("utf-8"))
        name = found.group(1)
        if name == "body":
            parts.append(raw)
        elif name.startswith("form:"):
            parts.append(next(iter(form.get(name[len("form:") :], ())), "").encode("utf-8"))
        else:
            parts.append(lower.get(name[len("header:") :].lower(), "").encode("utf-8", "replace"))
        position = found.end()
    parts.append(scheme.message[position:].encode("utf-8"))
    return b"".join(parts)


def _candidates(scheme: HmacScheme, sent: str) -> list[bytes]:
    values = sent.split(scheme.multiple) if scheme.multiple else [sent]
    found: list[bytes] = []
    for value in values:
        value = value.strip()
        if scheme.prefix:
            if not value.startswith(scheme.prefix):
                continue
            value = value[len(scheme.prefix) :]
        if scheme.encoding == "hex":
            value = value.lower()
        found.append(value.encode("utf-8", "replace"))
    return found


def _digest(scheme: HmacScheme, secret: bytes, message: bytes) -> bytes:
    mac = hmac.new(secret, message, getattr(hashlib, scheme.algorithm)).digest()
    if scheme.encoding == "hex":
        return mac.hex().encode("ascii")
    return base64.b64encode(mac)


def _secret_bytes(scheme: HmacScheme, secret: str) -> bytes | None:
    if scheme.secret_encoding == "raw":  # noqa: S105
        return secret.encode("utf-8")
    encoded = secret.removeprefix("whsec_")
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None


def _parse_timestamp(value: str) -> datetime | None:
    try:
        if value.isdigit():
            return datetime.fromtimestamp(int(value), UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
