"""EventBridge schedule expressions: `rate(...)`, AWS `cron(...)` and Scheduler's `at(...)`.

AWS cron has six fields (minutes hours day-of-month month day-of-week year), uses `?` for "any" in one
of the two day fields, and numbers the weekdays 1-7 from Sunday. croniter numbers them 0-6 and has no
year field, so expressions are converted here and the year is checked separately.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from croniter import croniter

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
_WEEKDAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


class Schedule(Protocol):
    def next_after(self, moment: datetime) -> datetime | None:
        """The first firing strictly after `moment`, or None when there is none."""
        ...


@dataclass(frozen=True)
class RateSchedule:
    """Fires every `period`, counted from `anchor` (when the rule came into being)."""

    period: timedelta
    anchor: datetime

    def next_after(self, moment: datetime) -> datetime:
        if moment < self.anchor:
            return self.anchor + self.period
        periods = (moment - self.anchor) // self.period + 1
        return self.anchor + periods * self.period


@dataclass(frozen=True)
class CronSchedule:
    expression: str  # croniter syntax, five fields
    years: str  # the AWS year field
    timezone: str = "UTC"

    def next_after(self, moment: datetime) -> datetime | None:
        zone = ZoneInfo(self.timezone)
        iterator = croniter(self.expression, moment.astimezone(zone))
        for _ in range(10_000):
            candidate: datetime = iterator.get_next(datetime)
            if _year_matches(candidate.year, self.years):
                return candidate.astimezone(UTC)
            if _only_past_years(candidate.year, self.years):
                return None
        return None


@dataclass(frozen=True)
class AtSchedule:
    moment: datetime

    def next_after(self, moment: datetime) -> datetime | None:
        return self.moment if self.moment > moment else None


def parse_schedule(expression: str, anchor: datetime, timezone: str | None = None) -> Schedule:
    """Parse a schedule expression; `anchor` is when a rate schedule starts counting."""
    text = expression.strip()
    if match := _RATE.match(text):
        amount, unit = int(match.group(1)), match.group(2).rstrip("s")
        if amount < 1:
            raise ValueError(f"rate must be positive: {expression}")
        return RateSchedule(timedelta(seconds=amount * _UNITS[unit]), anchor.astimezone(UTC))
    if match := _CRON.match(text):
        five_fields, years = aws_cron_to_croniter(match.group(1))
        return CronSchedule(five_fields, years, timezone or "UTC")
    if match := _AT.match(text):
        local = datetime.fromisoformat(match.group(1)).replace(tzinfo=ZoneInfo(timezone or "UTC"))
        return AtSchedule(local.astimezone(UTC))
    raise ValueError(f"unsupported schedule expression: {expression}")


def aws_cron_to_croniter(body: str) -> tuple[str, str]:
    """Convert the inside of an AWS `cron(...)` into a croniter expression and the year field."""
    fields = body.split()
    if len(fields) != 6:
        raise ValueError(f"AWS cron needs 6 fields, got {len(fields)}: {body}")
    minutes, hours, day_of_month, month, day_of_week, years = fields
    if day_of_month != "?" and day_of_week != "?":
        raise ValueError(f"one of day-of-month and day-of-week must be '?': {body}")
    if "W" in day_of_month.upper():
        raise ValueError(f"the W (nearest weekday) option is not supported locally: {body}")
    day_of_month = "*" if day_of_month == "?" else day_of_month
    day_of_week = "*" if day_of_week == "?" else _convert_weekdays(day_of_week)
    expression = " ".join([minutes, hours, day_of_month, month, day_of_week])
    if not croniter.is_valid(expression):
        raise ValueError(f"invalid cron expression: {body}")
    return expression, years


def _convert_weekdays(field: str) -> str:
    """AWS 1-7 (SUN-SAT) to croniter 0-6; `nL` (last weekday n) to croniter's `L(n-1)`."""

    def weekday(token: str) -> str:
        if token.isdigit():
            number = int(token)
            if not 1 <= number <= 7:
                raise ValueError(f"day-of-week must be 1-7: {field}")
            return str(number - 1)
        if token.upper() in _WEEKDAY_NAMES:
            return token.upper()
        raise ValueError(f"bad day-of-week: {field}")

    parts = []
    for part in field.split(","):
        step = ""
        if "/" in part:
            part, increment = part.split("/", 1)
            step = "/" + increment
        if part == "*":
            parts.append("*" + step)
        elif part.upper().endswith("L") and len(part) > 1:
            parts.append("L" + weekday(part[:-1]))
        elif "#" in part:
            day, nth = part.split("#", 1)
            parts.append(f"{weekday(day)}#{nth}")
        elif "-" in part:
            first, last = part.split("-", 1)
            parts.append(f"{weekday(first)}-{weekday(last)}{step}")
        else:
            parts.append(weekday(part) + step)
    return ",".join(parts)


def _year_matches(year: int, field: str) -> bool:
    return any(_year_part_matches(year, part) for part in field.split(","))


def _year_part_matches(year: int, part: str) -> bool:
    step = 1
    if "/" in part:
        part, increment = part.split("/", 1)
        step = int(increment)
    if part in ("*", "?"):
        return (year - 1970) % step == 0 if step > 1 else True
    if "-" in part:
        first, last = (int(value) for value in part.split("-", 1))
        return first <= year <= last and (year - first) % step == 0
    start = int(part)
    return year == start if step == 1 else year >= start and (year - start) % step == 0


def _only_past_years(year: int, field: str) -> bool:
    """True when no year from `year` on can match (so the search can stop)."""
    if any(token in field for token in ("*", "?", "/")):
        return False
    limits = [int(value) for part in field.split(",") for value in part.split("-")]
    return year > max(limits)
