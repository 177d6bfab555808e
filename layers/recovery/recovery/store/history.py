"""The drill-down behind a report: a team's cases of a period, read through the sparse `history` index.

The index holds a team's alerted cases by UTC month of the interaction (`HIST#<team>#<YYYY-MM>`),
ordered by `<occurred_at>#<case id>`. A page reads the months in range in order, 50 index items a Query,
and filters in code (agent, tag, channel, source, cause, local hour, weekday, funnel step, score): at most
`MAX_READS` Queries a request, so a narrow filter over a long period answers with what it found so far
and a cursor to continue. The cursor names the team and period it was made for; any other is refused.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from recovery.domain.changes import score_value
from recovery.domain.metrics import hour_key, local_hour_and_weekday
from recovery.domain.records import Case
from recovery.store.cases import BadCursor, history_partition
from recovery.store.errors import transient_as_domain
from recovery.store.models import CaseItem
from recovery.store.records import case_of

PAGE = 50  # index items a Query reads
MAX_READS = 10  # Queries a request may make before it answers with a cursor
NONE = "none"  # the group of a case without an agent, channel or source, as the counters name it
ANSWERED = ("recovered", "improved", "not_recovered")
STEPS = ("negative", "alerted", "acknowledged", "resolved", "followed_up", "answered", "recovered")
WHEN = ("before", "after")  # the original rating, or the follow-up's


@dataclass(frozen=True)
class CaseFilter:
    """What the cases behind a chart share; None matches anything."""

    agent: str | None = None
    tag: str | None = None
    channel: str | None = None
    source: str | None = None
    cause: str | None = None
    hour: int | None = None  # local hour of the interaction, 0..23
    weekday: int | None = None  # 0 = Monday
    step: str | None = None  # how far down the recovery funnel the case got
    # (type, value) of a rating as the score distributions count it ("nps", "9"; "thumbs", "up";
    # "custom", "0.3"), matched on the rating `when` says, of answered cases only (the
    # distributions' population)
    score: tuple[str, str] | None = None
    when: str = "before"
    timezone: str = "UTC"

    def accepts(self, case: Case) -> bool:
        plain = (
            (self.agent, case.agent),
            (self.channel, case.channel),
            (self.source, case.source),
        )
        if any(wanted is not None and wanted != (value or NONE) for wanted, value in plain):
            return False
        if self.tag is not None and self.tag not in (case.tags or []):
            return False
        if self.cause is not None and (case.resolution or {}).get("root_cause") != self.cause:
            return False
        if self.hour is not None or self.weekday is not None:
            local = local_hour_and_weekday(hour_key(case.occurred_at), self.timezone)
            if self.hour is not None and local.hour != self.hour:
                return False
            if self.weekday is not None and local.weekday != self.weekday:
                return False
        if self.score is not None:
            rating = case.rating_after if self.when == "after" else case.rating_before
            if case.outcome not in ANSWERED or score_value(rating) != self.score:
                return False
        return self.step is None or reached(case, self.step)


_WHOLE_SCALES = {"nps": (0, 10), "csat": (1, 5), "stars": (1, 5), "ces": (1, 7)}


def parse_score(text: str) -> tuple[str, str]:
    """`<type>:<value>` as the score distributions name it -> (type, value); ValueError otherwise.
    Whole-number scales take their range (nps 0-10, csat and stars 1-5, ces 1-7), thumbs up or
    down, custom a position from 0.0 to 1.0 with one decimal."""
    kind, _, value = text.partition(":")
    if kind in _WHOLE_SCALES:
        low, high = _WHOLE_SCALES[kind]
        if value.isascii() and value.isdigit() and low <= int(value) <= high:
            return kind, str(int(value))
    elif kind == "thumbs" and value in ("up", "down"):
        return kind, value
    elif kind == "custom" and len(value) <= 4:
        try:
            position = Decimal(value)
        except InvalidOperation:
            position = Decimal(-1)
        if position.is_finite() and 0 <= position <= 1:
            return kind, str(position.quantize(Decimal("0.1")))
    raise ValueError(f"not a score: {text!r}")


def reached(case: Case, step: str) -> bool:
    """Whether the case got to a funnel step and through every step before it: the dashboard funnel's
    definition (recovery.domain.changes.funnel_stages), so a bar lists the cases it counts."""
    if step not in STEPS:
        raise ValueError(f"not a funnel step: {step!r}")
    passed = {
        "negative": True,
        "alerted": case.alerted_at is not None,
        "acknowledged": case.acked_at is not None,
        "resolved": case.status == "resolved",
        "followed_up": case.followup_sent_at is not None,
        "answered": case.outcome in ANSWERED,
        "recovered": case.outcome == "recovered",
    }
    return all(passed[earlier] for earlier in STEPS[: STEPS.index(step) + 1])


@dataclass(frozen=True)
class HistoryPage:
    items: list[Case]
    next_cursor: str | None
    items_read: int


def months(start: datetime, end: datetime, team: str) -> list[str]:
    """The index partitions of the UTC months from `start` up to (not including) `end`."""
    found: list[str] = []
    moment = start.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    last = (end.astimezone(UTC) - timedelta(microseconds=1)).replace(tzinfo=UTC)
    while moment <= last:
        found.append(history_partition(team, moment))
        moment = (moment + timedelta(days=32)).replace(day=1)
    return found


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class CaseHistory:
    def cases(
        self, team: str, start: datetime, end: datetime, where: CaseFilter, cursor: str | None = None
    ) -> HistoryPage:
        """The team's alerted cases with an interaction from `start` to before `end` that match
        `where`, oldest first."""
        partitions = months(start, end, team)
        period = f"{_iso(start)}/{_iso(end)}"
        index, key = _decode(cursor, team, period, partitions) if cursor else (0, None)
        condition = CaseItem.hist_sk.between(_iso(start), _iso(end))  # "<end>#<id>" sorts after "<end>"
        found: list[Case] = []
        read = reads = 0
        while index < len(partitions) and reads < MAX_READS and len(found) < PAGE:
            with transient_as_domain():
                result = CaseItem.history_index.query(
                    partitions[index], condition, limit=PAGE, page_size=PAGE, last_evaluated_key=key
                )
                items = list(result)
                last = result.last_evaluated_key
            reads += 1
            read += len(items)
            cases = [case_of(item) for item in items]
            found += [case for case in cases if _iso(case.occurred_at) < _iso(end) and where.accepts(case)]
            if last and len(items) == PAGE:
                key = last
            else:
                index, key = index + 1, None
        more = index < len(partitions)
        return HistoryPage(found, _encode(team, period, partitions[index], key) if more else None, read)


def _encode(team: str, period: str, partition: str, key: dict[str, Any] | None) -> str:
    plain = {
        "team": team,
        "period": period,
        "partition": partition,
        "key": {name: value["S"] for name, value in key.items()} if key else None,
    }
    return base64.urlsafe_b64encode(json.dumps(plain, sort_keys=True).encode()).decode().rstrip("=")


def _decode(cursor: str, team: str, period: str, partitions: list[str]) -> tuple[int, dict[str, Any] | None]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        plain = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise BadCursor("the cursor is not valid") from error
    if not isinstance(plain, dict) or set(plain) != {"team", "period", "partition", "key"}:
        raise BadCursor("the cursor is not valid")
    if plain["team"] != team or plain["period"] != period or plain["partition"] not in partitions:
        # A cursor only continues the list it came from: never another team's or period's.
        raise BadCursor("the cursor belongs to another list")
    key = plain["key"]
    if key is None:
        return partitions.index(plain["partition"]), None
    names = {"pk", "sk", "hist_pk", "hist_sk"}
    if not isinstance(key, dict) or set(key) != names or not all(isinstance(v, str) for v in key.values()):
        raise BadCursor("the cursor is not valid")
    if key["hist_pk"] != plain["partition"]:
        raise BadCursor("the cursor is not valid")
    return partitions.index(plain["partition"]), {name: {"S": value} for name, value in key.items()}
