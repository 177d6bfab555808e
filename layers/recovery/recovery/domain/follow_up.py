"""The follow-up, as pure logic: when to ask the customer again, and what their answer means.

- `due_time`: the case's resolve time plus the team's delay, moved to the next instant inside the
  customer's contact hours, in the customer's own time zone. The hours are on-duty windows
  (`recovery.domain.duty`), so midnight, weekdays and daylight saving time follow the same rules.
- `outcome` and `delta`: the answer on the original scale, classified as intake classifies a score.
  `recovered` when the new score is no longer negative, `improved` when it is still negative but sits
  higher on the scale, `not_recovered` otherwise. The delta is after minus before as positions between
  0 (worst) and 1 (best), so it reads the same on every scale.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import TypeAdapter, ValidationError

from recovery.domain.classify import Thresholds, classify, position
from recovery.domain.duty import OnDuty, Window, next_on_duty
from recovery.domain.feedback import CustomScore, Score
from recovery.domain.routing import ContactHours, FollowUpPolicy

Outcome = Literal["recovered", "improved", "not_recovered"]
NO_RESPONSE = "no_response"
DEFAULT_TIMEZONE = "UTC"
_SCORE: TypeAdapter[Score] = TypeAdapter(Score)


@dataclass(frozen=True)
class FollowUpPlan:
    """The follow-up a resolve schedules: `score` is the original one (the scale to ask again on)."""

    case_id: str
    customer_key: str
    team: str | None
    scheduled_for: datetime
    score: Mapping[str, Any]
    resolved_at: datetime


def contact_hours(hours: ContactHours, timezone: str | None) -> OnDuty | None:
    """The contact hours as an on-duty schedule in `timezone` (UTC when unknown or invalid).

    None means "any time": hours whose start equals their end describe no window at all, and a policy
    that can never be met must not hold a follow-up back for ever.
    """
    window = {"days": list(hours.days), "start": hours.start, "end": hours.end}
    for zone in (timezone, DEFAULT_TIMEZONE):
        if not zone:
            continue
        try:
            return OnDuty(timezone=zone, windows=[Window.model_validate(window)])
        except ValidationError as error:
            if any(item.get("type") == "window_empty" for item in error.errors()):
                return None
    return None


def due_time(resolved_at: datetime, policy: FollowUpPolicy, customer_timezone: str | None) -> datetime:
    """When the follow-up goes out: `delay_days` after `resolved_at`, moved to the first instant inside
    the customer's contact hours (UTC, aware). Falls back to the plain delay if the hours can't be met
    within eight days (a window lying wholly inside a daylight saving gap, say)."""
    earliest = resolved_at + timedelta(days=policy.delay_days)
    schedule = contact_hours(policy.hours, customer_timezone)
    if schedule is None:
        return earliest
    return next_on_duty(schedule, earliest) or earliest


def parse_score(data: Any) -> Score:
    """A stored score (`{"type": "nps", "value": 3}`) as a validated score; ValueError when it is none."""
    try:
        return _SCORE.validate_python(data)
    except ValidationError as error:
        raise ValueError(f"not a score: {error.errors()[0]['msg']}") from error


def same_scale(original: Score, value: Any) -> Score:
    """`value` as a score on the original score's scale (custom keeps its min, max and direction);
    ValueError when it does not fit that scale."""
    data: dict[str, Any] = {"type": original.type, "value": value}
    if isinstance(original, CustomScore):
        data |= {"min": original.min, "max": original.max, "higher_is_better": original.higher_is_better}
    return parse_score(data)


def outcome(before: Score, after: Score, thresholds: Thresholds | None = None) -> Outcome:
    """recovered | improved | not_recovered, with intake's verdict rules (and a source's thresholds)."""
    if classify(after, None, thresholds).verdict != "negative":
        return "recovered"
    return "improved" if position(after) > position(before) else "not_recovered"


def delta(before: Score, after: Score) -> float:
    """After minus before, as positions between 0 (worst) and 1 (best): -1.0 to 1.0."""
    return round(position(after) - position(before), 4)
