"""The hosted feedback page (`/s/{source_id}`): signed form tokens, the form's validation, and the
submission through the same intake as `POST /v1/feedback`.

A form token is `<issued epoch>.<nonce>.<mac>`: the MAC (HMAC-SHA256, a key derived from the PII key)
covers the source id, the issue time and a 96-bit random nonce. It expires after a day, and its nonce is
the response id, so a double submit is one response (a changed answer is an update, never a 2nd case).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from pydantic import ValidationError

from recovery.domain.classify import Thresholds
from recovery.domain.feedback import Customer, FeedbackIn, Interaction
from recovery.services.intake import Intake, Outcome, Source
from recovery.store.rate_limit import RateLimiter
from recovery.store.sources import SourceStore

TOKEN_TTL = timedelta(hours=24)
CLOCK_SKEW = timedelta(minutes=5)
COMMENT_MAX = 2000
RATE_LIMIT_PER_MINUTE = 30
SCALES = {"nps": (0, 10), "csat": (1, 5), "stars": (1, 5)}
PARAMS = ("store", "agent", "order")
# Printable, no markup or control characters: they travel in QR codes and end up in reports.
_PARAM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._:/#@+-]{0,63}$")
_TOKEN = re.compile(r"^(\d{1,12})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})$")
_TOKEN_CONTEXT = b"recovery-loop/survey-form-token/v1"


class TokenCheck(Enum):
    OK = "ok"
    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad signature"
    EXPIRED = "expired"


@dataclass(frozen=True)
class FormToken:
    issued: int
    nonce: str


class FormTokens:
    """Issues and verifies form tokens. The key is derived from the PII key, so no secret is added."""

    def __init__(self, pii_key: bytes) -> None:
        self._key = hmac.digest(pii_key, _TOKEN_CONTEXT, "sha256")

    def issue(self, source_id: str, now: datetime) -> str:
        issued = int(now.timestamp())
        nonce = _b64(secrets.token_bytes(12))  # 96 bits
        return f"{issued}.{nonce}.{self._mac(source_id, issued, nonce)}"

    def verify(self, source_id: str, token: str, now: datetime) -> tuple[TokenCheck, FormToken | None]:
        match = _TOKEN.match(token or "")
        if match is None:
            return TokenCheck.MALFORMED, None
        issued, nonce, mac = int(match[1]), match[2], match[3]
        if not hmac.compare_digest(mac, self._mac(source_id, issued, nonce)):
            return TokenCheck.BAD_SIGNATURE, None
        age = int(now.timestamp()) - issued  # whole seconds on both sides, as the token holds its time
        if age > TOKEN_TTL.total_seconds() or age < -CLOCK_SKEW.total_seconds():
            return TokenCheck.EXPIRED, None
        return TokenCheck.OK, FormToken(issued, nonce)

    def _mac(self, source_id: str, issued: int, nonce: str) -> str:
        message = f"{source_id}\n{issued}\n{nonce}".encode()
        return _b64(hmac.digest(self._key, message, "sha256"))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def clean_params(query: Mapping[str, str]) -> dict[str, str]:
    """The page's URL parameters that are well-formed; anything else is dropped, never stored."""
    return {
        name: value.strip()
        for name in PARAMS
        if (value := query.get(name)) is not None and _PARAM.match(value.strip())
    }


@dataclass(frozen=True)
class PageSource:
    source: Source
    score_type: str


class BadForm(Exception):
    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


class TokenRefused(Exception):
    def __init__(self, check: TokenCheck) -> None:
        super().__init__(check.value)
        self.check = check


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


class SurveyPage:
    TTL = timedelta(seconds=60)

    def __init__(
        self,
        sources: SourceStore,
        intake: Intake,
        limiter: RateLimiter,
        tokens: Callable[[], FormTokens],
        limit_per_minute: int = RATE_LIMIT_PER_MINUTE,
    ) -> None:
        self._sources = sources
        self._intake = intake
        self._limiter = limiter
        self._token_factory = tokens
        self._tokens: FormTokens | None = None
        self._limit = limit_per_minute
        self._cache: dict[str, tuple[datetime, PageSource | None]] = {}

    def source(self, source_id: str, now: datetime) -> PageSource | None:
        """An enabled source and its page settings (cached for a minute); None for unknown or disabled."""
        cached = self._cache.get(source_id)
        if cached and now - cached[0] < self.TTL:
            return cached[1]
        item = self._sources.get(source_id)
        found = None
        if item is not None and item.enabled:
            score_type = str((item.page or {}).get("score_type") or "nps")
            found = PageSource(
                Source(
                    source_id=item.source_id,
                    name=item.name,
                    key_hashes=tuple(item.key_hashes or ()),
                    thresholds=Thresholds.model_validate(item.thresholds or {}),
                ),
                score_type if score_type in SCALES else "nps",
            )
        self._cache[source_id] = (now, found)
        return found

    def token(self, source_id: str, now: datetime) -> str:
        return self._form_tokens().issue(source_id, now)

    def submit(self, page: PageSource, form: Mapping[str, str], language: str, now: datetime) -> Outcome:
        """Validate the form, count it against the source's limit, then hand it to intake.

        Raises TokenRefused, BadForm (the field to fix) or RateLimited; nothing is stored then.
        """
        source_id = page.source.source_id
        check, token = self._form_tokens().verify(source_id, form.get("token", ""), now)
        if check is not TokenCheck.OK or token is None:
            raise TokenRefused(check)
        feedback = build_feedback(page.score_type, form, token, language)
        if not self._limiter.hit(f"page#{source_id}", self._limit, now):
            raise RateLimited(self._limiter.retry_after(now))
        return self._intake.receive(page.source, feedback)

    def _form_tokens(self) -> FormTokens:
        if self._tokens is None:  # the key comes from Secrets Manager: once per container, on first use
            self._tokens = self._token_factory()
        return self._tokens


def build_feedback(score_type: str, form: Mapping[str, str], token: FormToken, language: str) -> FeedbackIn:
    """The canonical feedback for a filled-in form; BadForm names the first field to fix."""
    low, high = SCALES[score_type]
    raw_score = form.get("score", "").strip()
    if not raw_score.isdigit() or not low <= int(raw_score) <= high:
        raise BadForm("score")
    comment = form.get("comment", "").strip()
    if len(comment) > COMMENT_MAX:
        raise BadForm("comment")
    email = form.get("email", "").strip() or None
    phone = form.get("phone", "").strip() or None
    params = clean_params(form)
    # Without a contact, the customer is the token itself: anonymous, and never a repeat failure.
    anonymous = None if email or phone else "anon-" + hashlib.sha256(token.nonce.encode()).hexdigest()[:24]
    try:
        customer = Customer(id=anonymous, email=email, phone=phone, locale=language)
    except ValidationError as error:
        fields = [str(part) for problem in error.errors() for part in problem["loc"]]
        raise BadForm("phone" if "phone" in fields else "email") from error
    return FeedbackIn.model_validate(
        {
            "external_id": f"page_{token.nonce}",
            "customer": customer,
            "interaction": Interaction(
                id=params.get("order"),
                channel="store" if "store" in params else "web",
                agent=params.get("agent"),
            ),
            "score": {"type": score_type, "value": int(raw_score)},
            "comment": comment or None,
            "tags": ["hosted-page"],
            "metadata": dict(params),
        }
    )
