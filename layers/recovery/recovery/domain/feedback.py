"""Canonical feedback: the one shape every source is mapped to, validated at the edge."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Annotated, Literal
from zoneinfo import available_timezones

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from recovery import clock
from recovery.domain import contacts

_ID = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]
_LABEL = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")]
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)  # clocks of survey tools drift; a later time is a mistake


@cache
def _timezones() -> frozenset[str]:
    # Reading the zone database costs cold-start time; only a response that names a zone pays it.
    return frozenset(available_timezones())


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


MAX_VALUE = Decimal("1000000000")  # a customer worth more than a billion is a typo, not a customer


class CustomerValue(_Strict):
    """What the customer is worth: their annual or their lifetime value (one or the other, the same
    for every source of a deployment; docs/reports.md)."""

    amount: Decimal = Field(
        ge=0,
        le=MAX_VALUE,
        allow_inf_nan=False,
        description="a number >= 0 with at most 2 decimals, e.g. 1200 or 1200.50",
    )
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = Field(
        description="ISO 4217, upper case, e.g. EUR"
    )

    @field_validator("amount")
    @classmethod
    def _cents(cls, value: Decimal) -> Decimal:
        if value != value.quantize(Decimal("0.01")):
            raise ValueError("at most 2 decimals")
        return value.quantize(Decimal("0.01"))  # 1200 and 1200.00 are one value (and one content hash)


class Customer(_Strict):
    """Who gave the feedback. At least one of id, email or phone identifies them."""

    id: _ID | None = None
    email: Annotated[contacts.Email, StringConstraints(max_length=254)] | None = None
    phone: Annotated[contacts.Phone, StringConstraints(max_length=32)] | None = Field(
        default=None, description="E.164, for example +4791234567"
    )
    name: Annotated[str, StringConstraints(max_length=200)] | None = None
    locale: Annotated[contacts.Language, StringConstraints(max_length=35)] | None = Field(
        default=None, description="BCP 47, for example nb-NO"
    )
    timezone: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        default=None, description="IANA zone, for example Europe/Oslo"
    )
    value: CustomerValue | None = Field(
        default=None, description="the customer's annual or lifetime value (one per deployment)"
    )

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        if value is not None and value not in _timezones():
            raise ValueError("not an IANA time zone")
        return value

    @model_validator(mode="after")
    def _identified(self) -> Customer:
        if not (self.id or self.email or self.phone):
            raise ValueError("one of id, email or phone is required")
        return self


class Interaction(_Strict):
    """The service moment the feedback is about."""

    id: _ID | None = None
    channel: _LABEL | None = Field(default=None, description="chat, phone, email, store, ...")
    agent: _LABEL | None = None
    team: _LABEL | None = None
    product: _LABEL | None = None


class NpsScore(_Strict):
    type: Literal["nps"]
    value: int = Field(ge=0, le=10)


class CsatScore(_Strict):
    type: Literal["csat"]
    value: int = Field(ge=1, le=5)


class StarsScore(_Strict):
    type: Literal["stars"]
    value: int = Field(ge=1, le=5)


class CesScore(_Strict):
    type: Literal["ces"]
    value: int = Field(ge=1, le=7, description="higher means easier")


class ThumbsScore(_Strict):
    type: Literal["thumbs"]
    value: Literal["up", "down"]


class CustomScore(_Strict):
    type: Literal["custom"]
    value: float = Field(allow_inf_nan=False)
    min: float = Field(allow_inf_nan=False)
    max: float = Field(allow_inf_nan=False)
    higher_is_better: bool = True

    @model_validator(mode="after")
    def _in_range(self) -> CustomScore:
        if not self.min < self.max:
            raise ValueError("min must be below max")
        if not self.min <= self.value <= self.max:
            raise ValueError("value must lie between min and max")
        return self


Score = Annotated[
    NpsScore | CsatScore | StarsScore | CesScore | ThumbsScore | CustomScore,
    Field(discriminator="type"),
]
SCORE_TYPES = ("nps", "csat", "stars", "ces", "thumbs", "custom")

_Tag = Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=r"^[^\x00-\x1f\x7f]+$")]
_MetaValue = str | int | float | bool | None


class FeedbackIn(_Strict):
    """One survey response in canonical form.

    `score` is required; `null` means the response has no score yet (it is held, and needs an
    `external_id` so the scored version can find it).
    """

    external_id: _ID | None = Field(default=None, description="the response id in the survey tool")
    occurred_at: AwareDatetime | None = Field(default=None, description="when the interaction happened")
    customer: Customer
    interaction: Interaction = Field(default_factory=Interaction)
    score: Score | None
    comment: Annotated[str, StringConstraints(max_length=5000)] | None = None
    tags: list[_Tag] = Field(default_factory=list, max_length=20)
    metadata: dict[Annotated[str, StringConstraints(max_length=64)], _MetaValue] = Field(
        default_factory=dict, max_length=30
    )

    @field_validator("occurred_at")
    @classmethod
    def _plausible_time(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if not EARLIEST <= value <= clock.now() + FUTURE_SLACK:
            raise ValueError("must lie between 2000-01-01 and one day from now")
        return value.astimezone(UTC)

    @field_validator("metadata")
    @classmethod
    def _metadata_values(cls, value: dict[str, _MetaValue]) -> dict[str, _MetaValue]:
        for item in value.values():
            if isinstance(item, str) and len(item) > 500:
                raise ValueError("metadata strings are at most 500 characters")
            if isinstance(item, float) and not math.isfinite(item):  # NaN, or a number past the range
                raise ValueError("metadata numbers must be finite")
        return dict(sorted(value.items()))  # key order must not make a resend look changed

    @model_validator(mode="after")
    def _held_needs_id(self) -> FeedbackIn:
        if self.score is None and self.external_id is None:
            raise ValueError("a response without a score needs an external_id")
        return self


class FeedbackBatchIn(_Strict):
    items: list[FeedbackIn] = Field(min_length=1, max_length=100)


Status = Literal["created", "duplicate", "updated", "held"]
Verdict = Literal["negative", "neutral", "positive"]


class IntakeResult(BaseModel):
    """What intake answers for one feedback."""

    feedback_id: str
    verdict: Verdict | None
    priority: Literal["P1", "P2", "P3", "P4"] | None
    case_id: str | None
    status: Status


class BatchItemResult(IntakeResult):
    index: int
    status_code: int


class BatchResult(BaseModel):
    results: list[BatchItemResult]


def canonical_json(feedback: FeedbackIn) -> bytes:
    """The same bytes for the same content: fields in model order, metadata keys sorted, nulls left out.
    The basis of content hashes (serialised by pydantic-core, which is several times faster than json)."""
    return feedback.model_dump_json(exclude_none=True).encode("utf-8")
