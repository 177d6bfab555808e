"""Verdict and priority for one response.

Every score becomes a position between 0 (worst) and 1 (best). Thresholds decide the verdict in the
score's own units, so a source can move them; text signals can turn a middling score into a case and
raise a negative's priority; a repeat failure is always P1.

Priority, most urgent first:
- P1: a severe signal (legal, safety, cancel) on a score that is not positive, the worst possible score on
  a scale of more than two points, or a repeat failure (an earlier negative within 90 days).
- P2: a negative in the bottom fifth of a graded scale, or a negative with a complaint in the comment.
- P3: any other negative.
- P4: a middling score whose comment complains: worth a look, not an emergency.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

from recovery.domain import signals
from recovery.domain.feedback import CustomScore, Score, ThumbsScore

REPEAT_WINDOW = timedelta(days=90)
Verdict = Literal["negative", "neutral", "positive"]


class Priority(IntEnum):
    P1 = 1
    P2 = 2
    P3 = 3
    P4 = 4

    @property
    def label(self) -> Literal["P1", "P2", "P3", "P4"]:
        return self.name  # type: ignore[return-value]


class Band(BaseModel):
    """Verdict bands in the score's own units: at or below `negative_max` is negative, at or above
    `positive_min` positive, anything between neutral. For `custom` the units are the 0..1 position."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    negative_max: float
    positive_min: float

    @model_validator(mode="after")
    def _ordered(self) -> Band:
        if self.negative_max >= self.positive_min:
            raise ValueError("negative_max must be below positive_min")
        return self


DEFAULT_BANDS: Mapping[str, Band] = {
    "nps": Band(negative_max=6, positive_min=9),
    "csat": Band(negative_max=2, positive_min=4),
    "stars": Band(negative_max=2, positive_min=4),
    "ces": Band(negative_max=3, positive_min=5),
    "custom": Band(negative_max=0.4, positive_min=0.7),
}
_SCALES: Mapping[str, tuple[int, int]] = {"nps": (0, 10), "csat": (1, 5), "stars": (1, 5), "ces": (1, 7)}


class Thresholds(BaseModel):
    """Per-source overrides of the default bands."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    nps: Band | None = None
    csat: Band | None = None
    stars: Band | None = None
    ces: Band | None = None
    custom: Band | None = None

    def band(self, score_type: str) -> Band:
        override: Band | None = getattr(self, score_type, None)
        return override or DEFAULT_BANDS[score_type]


@dataclass(frozen=True)
class Classification:
    verdict: Verdict
    priority: Priority | None
    position: float
    signals: frozenset[signals.Signal] = field(default_factory=frozenset)
    repeat_failure: bool = False

    @property
    def opens_case(self) -> bool:
        return self.verdict == "negative"

    def as_repeat_failure(self) -> Classification:
        """The same negative, known now to follow an earlier one: P1."""
        if not self.opens_case:
            return self
        return Classification("negative", Priority.P1, self.position, self.signals, repeat_failure=True)


def position(score: Score) -> float:
    """Where the score sits between worst (0) and best (1)."""
    if isinstance(score, ThumbsScore):
        return 1.0 if score.value == "up" else 0.0
    if isinstance(score, CustomScore):
        raw = (score.value - score.min) / (score.max - score.min)
        return raw if score.higher_is_better else 1.0 - raw
    low, high = _SCALES[score.type]
    return (score.value - low) / (high - low)


def _base_verdict(score: Score, thresholds: Thresholds) -> Verdict:
    if isinstance(score, ThumbsScore):
        return "positive" if score.value == "up" else "negative"
    value = position(score) if isinstance(score, CustomScore) else float(score.value)
    band = thresholds.band(score.type)
    if value <= band.negative_max:
        return "negative"
    if value >= band.positive_min:
        return "positive"
    return "neutral"


def classify(score: Score, comment: str | None, thresholds: Thresholds | None = None) -> Classification:
    """Verdict and priority from the score and the comment alone (history comes later)."""
    found = signals.find(comment)
    place = position(score)
    verdict = _base_verdict(score, thresholds or Thresholds())
    severe = bool(found & signals.SEVERE)
    complaint = signals.Signal.COMPLAINT in found
    # A thumbs-down carries no degree, so it is neither "extreme" nor "in the bottom fifth".
    graded = not isinstance(score, ThumbsScore)
    extreme = graded and place <= 0.0

    if verdict == "positive":
        return Classification("positive", None, place, found)
    if verdict == "neutral":
        if severe:
            return Classification("negative", Priority.P1, place, found)
        if complaint:
            return Classification("negative", Priority.P4, place, found)
        return Classification("neutral", None, place, found)
    if severe or extreme:
        priority = Priority.P1
    elif (graded and place <= 0.2) or complaint:
        priority = Priority.P2
    else:
        priority = Priority.P3
    return Classification("negative", priority, place, found)


def is_repeat(earlier_negatives: list[datetime], now: datetime) -> bool:
    """A repeat failure: an earlier negative from the same customer within the last 90 days."""
    return any(now - REPEAT_WINDOW <= moment <= now for moment in earlier_negatives)
