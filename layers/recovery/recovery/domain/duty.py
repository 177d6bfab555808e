"""When a contact is on duty: weekly windows of local wall-clock time in the contact's own time zone.

A window names the days it starts on, a start and an end ("HH:MM"). An end earlier than the start runs
past midnight into the next day, so `fri 22:00-06:00` covers Friday night until Saturday 06:00. "24:00"
is allowed as an end. A contact with no schedule at all (None) is always on duty.

Windows are wall-clock times, so daylight saving time moves them with the clock on the wall:
- A start inside a spring-forward gap (02:30 on a day the clock jumps from 02:00 to 03:00) begins the
  window the moment the clock jumps, at 03:00. A window lying wholly inside the gap is skipped that day.
- A window touching a repeated hour (fall-back) covers both passes of that hour, as the wall clock does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from itertools import pairwise
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = date.weekday()
HORIZON = timedelta(days=8)  # how far next_on_duty looks ahead
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_MIDNIGHT_END = "24:00"
# Names the zone database holds that are not places: "localtime" is whatever the host is set to.
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


def zone_name(value: str) -> str:
    """`value` if it names an IANA time zone; a pydantic error (for a validator) otherwise."""
    if value in _NOT_ZONES:
        raise PydanticCustomError("timezone", "not an IANA time zone")
    try:
        _zone(value)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise PydanticCustomError("timezone", "not an IANA time zone") from err
    return value


def _minutes(value: str) -> int:
    if value == _MIDNIGHT_END:
        return 24 * 60
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Window(_Strict):
    """One weekly window: on each of `days`, from `start` until `end` (the next day if `end` < `start`)."""

    days: list[Day]
    start: str
    end: str

    @field_validator("days")
    @classmethod
    def _days(cls, value: list[Day]) -> list[Day]:
        if not value:
            raise PydanticCustomError("days_empty", "must name at least one day")
        repeated = sorted({day for day in value if value.count(day) > 1}, key=DAYS.index)
        if repeated:
            raise PydanticCustomError(
                "days_repeated", "names a day twice: {days}", {"days": ", ".join(repeated)}
            )
        return value

    @field_validator("start")
    @classmethod
    def _start(cls, value: str) -> str:
        if not _HHMM.match(value):
            raise PydanticCustomError("hhmm", "must be HH:MM, 00:00 to 23:59")
        return value

    @field_validator("end")
    @classmethod
    def _end(cls, value: str) -> str:
        if value != _MIDNIGHT_END and not _HHMM.match(value):
            raise PydanticCustomError("hhmm", "must be HH:MM, 00:00 to 24:00")
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> Window:
        if self.start_minute == self.end_minute:
            raise PydanticCustomError("window_empty", "a window can't be empty: start and end are the same")
        return self

    @property
    def start_minute(self) -> int:
        """Minutes after local midnight."""
        return _minutes(self.start)

    @property
    def end_minute(self) -> int:
        """Minutes after local midnight; 1440 for "24:00"."""
        return _minutes(self.end)

    @property
    def overnight(self) -> bool:
        return self.end_minute < self.start_minute

    def covers(self, weekday: int, minute: int) -> bool:
        """Is local wall time `minute` (after midnight) on `weekday` (0 = Monday) inside this window?"""
        if not self.overnight:
            return DAYS[weekday] in self.days and self.start_minute <= minute < self.end_minute
        if DAYS[weekday] in self.days and minute >= self.start_minute:
            return True
        return DAYS[(weekday - 1) % 7] in self.days and minute < self.end_minute


class OnDuty(_Strict):
    """A contact's on-duty hours: weekly windows in one IANA time zone."""

    timezone: str
    windows: list[Window]

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        return zone_name(value)

    @field_validator("windows")
    @classmethod
    def _windows(cls, value: list[Window]) -> list[Window]:
        if not value:
            raise PydanticCustomError(
                "windows_empty", "must hold at least one window (leave on-duty hours out for always on duty)"
            )
        return value

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.timezone)

    @classmethod
    def parse(cls, data: Any) -> OnDuty:
        """Validate config data; a ScheduleError names every bad key ("windows/0/start: must be HH:MM")."""
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            raise ScheduleError(error_messages(error.errors())) from error


class ScheduleError(ValueError):
    """Invalid on-duty hours. `messages` are "<key path>: <what is wrong>", one per problem."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


def error_messages(errors: Iterable[Mapping[str, Any]]) -> list[str]:
    """Pydantic errors as "windows/0/start: must be HH:MM, 00:00 to 23:59"."""
    messages = []
    for error in errors:
        where = "/".join(str(part) for part in error.get("loc", ()))
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        messages.append(f"{where}: {message}" if where else message)
    return messages


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("a naive datetime: pass an aware UTC time")
    return at


def is_on_duty(schedule: OnDuty | None, at: datetime) -> bool:
    """Is the contact on duty at the instant `at` (aware)? No schedule means always on duty."""
    _aware(at)
    if schedule is None:
        return True
    local = at.astimezone(schedule.zone)
    weekday, minute = local.weekday(), local.hour * 60 + local.minute
    return any(window.covers(weekday, minute) for window in schedule.windows)


def next_on_duty(schedule: OnDuty | None, at: datetime) -> datetime | None:
    """The first instant at or after `at` when the contact is on duty, in UTC, or None if that is more
    than eight days away. Returns `at` itself (in UTC) when the contact is on duty now."""
    _aware(at)
    at = at.astimezone(UTC)
    if is_on_duty(schedule, at):
        return at
    assert schedule is not None  # no schedule is always on duty
    limit = at + HORIZON
    # Going on duty happens only where the wall clock reaches a window's start, or jumps (DST) into a
    # window. Every such instant is a candidate; the earliest one that is on duty is the answer.
    candidates = sorted(
        moment
        for moment in _starts_and_jumps(schedule, at, limit)
        if at < moment <= limit and is_on_duty(schedule, moment)
    )
    return candidates[0] if candidates else None


def _starts_and_jumps(schedule: OnDuty, begin: datetime, end: datetime) -> Iterator[datetime]:
    zone = schedule.zone
    first = begin.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    day = first
    while day <= last:
        for window in schedule.windows:
            if DAYS[day.weekday()] in window.days:
                yield from _instants(zone, day, window.start_minute)
        jump = _transition(zone, day)
        if jump is not None:
            yield jump
        day += timedelta(days=1)


def _instants(zone: ZoneInfo, day: date, minute: int) -> Iterator[datetime]:
    """The UTC instants at which the wall clock in `zone` shows `minute` on `day`: one normally, two in
    a repeated hour, none in a gap (the transition is then yielded by _transition)."""
    wall = datetime.combine(day, time(minute // 60, minute % 60))
    for fold in (0, 1):
        moment = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        if moment.astimezone(zone).replace(tzinfo=None) == wall:
            yield moment


def _transition(zone: ZoneInfo, day: date) -> datetime | None:
    """The instant the UTC offset changes during local `day`, if it does (to the second)."""
    low = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    high = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    if low.astimezone(zone).utcoffset() == high.astimezone(zone).utcoffset():
        return None
    before = low.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(zone).utcoffset() == before:
            low = middle
        else:
            high = middle
    return high


# --- business hours ------------------------------------------------------------------------------------


def business_seconds(schedules: Iterable[OnDuty | None], start: datetime, end: datetime) -> float:
    """How long, between the instants `start` and `end` (aware), at least one of `schedules` was on duty:
    the seconds of business hours between them. A schedule of None is always on duty (the whole span
    counts); no schedules at all count nothing. 0 when `end` is not after `start`.

    Exact across weekends, midnight and DST changes: on-duty time only begins or ends where some
    schedule's wall clock reaches a window's start or end or midnight, or jumps at a DST change. Those
    instants cut the span into pieces that are wholly on or wholly off duty; each piece is judged by
    the instant in its middle (with the rules of `is_on_duty`), so the sum is exact to the microsecond.
    A day a clock springs forward is an hour shorter, a fall-back day an hour longer, as lived.
    """
    _aware(start)
    _aware(end)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return 0.0
    listed = list(schedules)
    if any(schedule is None for schedule in listed):
        return (end - start).total_seconds()
    cuts = {start, end}
    for schedule in listed:
        assert schedule is not None
        cuts.update(moment for moment in _edges(schedule, start, end) if start < moment < end)
    ordered = sorted(cuts)
    total = timedelta(0)
    for low, high in pairwise(ordered):
        if anyone_on_duty(listed, low + (high - low) / 2):
            total += high - low
    return total.total_seconds()


def _edges(schedule: OnDuty, begin: datetime, end: datetime) -> Iterator[datetime]:
    """Every instant in about [begin, end] where the schedule's wall clock shows a window's start or end,
    or midnight (the weekday changes), and every DST change there."""
    zone = schedule.zone
    minutes = (
        {0}
        | {w.start_minute % 1440 for w in schedule.windows}
        | {w.end_minute % 1440 for w in schedule.windows}
    )
    day = begin.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    while day <= last:
        for minute in minutes:
            yield from _instants(zone, day, minute)
        jump = _transition(zone, day)
        if jump is not None:
            yield jump
        day += timedelta(days=1)


# --- promises ------------------------------------------------------------------------------------------
QUARTER = timedelta(minutes=15)
_PROMISE_STEPS = 32  # each step moves the promise later; a week of windows needs far fewer


def round_up_quarter(moment: datetime) -> datetime:
    """The next quarter hour at or after `moment`'s minute (a time a customer can hold us to). Seconds
    are dropped first: a deadline of 11:15:03 is promised as 11:15, not 11:30."""
    base = moment.replace(minute=0, second=0, microsecond=0)
    quarters = -(-(moment.replace(second=0, microsecond=0) - base) // QUARTER)
    return base + quarters * QUARTER


def anyone_on_duty(schedules: Iterable[OnDuty | None], at: datetime) -> bool:
    """Is at least one of these contacts on duty at `at`? (None is always on duty.)"""
    return any(is_on_duty(schedule, at) for schedule in schedules)


def next_anyone_on_duty(schedules: Iterable[OnDuty | None], at: datetime) -> datetime | None:
    """The first instant at or after `at` when one of these contacts is on duty (within eight days)."""
    found = [moment for schedule in schedules if (moment := next_on_duty(schedule, at)) is not None]
    return min(found) if found else None


def promise_time(
    earliest: datetime, team: Iterable[OnDuty | None], customer: OnDuty | None, needed: timedelta
) -> datetime:
    """When a customer can be promised a call: the first quarter hour at or after `earliest` at which

    - the team is on duty, and was on duty `needed` before it too (the time to take the case and prepare:
      a case arriving at night is promised for the next duty window's start plus `needed`), and
    - the customer may be called (`customer`: their contact hours in their own zone; None is any hour).

    `earliest` is normally the moment the case opened plus `needed`. When no such time is found within
    eight days (nobody on duty at all), `earliest` rounded up: a promise is then better than none.
    """
    schedules = list(team)
    start = round_up_quarter(earliest)
    moment = start
    for _ in range(_PROMISE_STEPS):
        if not anyone_on_duty(schedules, moment - needed):
            on = next_anyone_on_duty(schedules, moment - needed)
        elif not anyone_on_duty(schedules, moment):
            on = next_anyone_on_duty(schedules, moment)
        elif not is_on_duty(customer, moment):
            allowed = next_on_duty(customer, moment)
            if allowed is None:
                return start
            moment = round_up_quarter(allowed)
            continue
        else:
            return moment
        if on is None:
            return start
        moment = round_up_quarter(on + needed)
    return start
