"""Teams, their contacts and escalation levels, and the rules that route a case to a team.

Configuration is validated whole before anything is stored: a bad file or request is refused with a
message naming the bad key (`teams/0/levels/1/0/phone: not a valid phone number`), and the old
configuration stays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from recovery.domain import contacts
from recovery.domain.duty import DAYS, Day, OnDuty, zone_name
from recovery.domain.feedback import SCORE_TYPES

if TYPE_CHECKING:
    from recovery.domain.records import Case, Feedback

_ID = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
PRIORITIES = ("P1", "P2", "P3", "P4")
Channel = Literal["email", "sms"]
CHANNELS: tuple[Channel, ...] = ("email", "sms")
Priority = Literal["P1", "P2", "P3", "P4"]
# A contact's tier for a priority names the channels that reach them in real time; `slack` is the team's
# Slack post (reached when the team has a `slack_channel`), `digest` the contact's daily digest only.
RealtimeChannel = Literal["email", "sms", "slack"]
TierChannel = Literal["email", "sms", "slack", "digest"]
DIGEST = "digest"


class ConfigError(ValueError):
    """Configuration refused; the message names the bad key."""


class _At(ValueError):
    """A validator's error at a key below the model it checks (`tiers/P1/1`): `parse_config` joins it to
    the model's own key, so the message names the whole key."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DailyDigest(_Config):
    """A contact's daily digest of the team's open cases, by email at `at` on the contact's clock."""

    daily: bool = False
    at: str = Field(
        default="08:00",
        pattern=r"^([01]\d|2[0-3]):00$",
        description="a whole hour (HH:00) on the contact's clock: the schedule runs hourly",
    )


class Contact(_Config):
    id: _ID
    name: str = Field(min_length=1, max_length=100)
    email: contacts.Email | None = None
    phone: contacts.Phone | None = Field(default=None, description="E.164")
    channels: list[Channel] = Field(default_factory=lambda: list(CHANNELS), min_length=1)
    language: contacts.Language = "en"
    on_duty: OnDuty | None = Field(default=None, description="absent: always on duty")
    # The clock this contact's messages are written in; absent: the on-duty hours' zone, else the team's.
    timezone: str | None = Field(default=None, description="IANA time zone, e.g. Europe/Oslo")
    slack_user: str | None = Field(
        default=None,
        pattern=r"^[UW][A-Z0-9]{4,20}$",
        description="Slack user id (U0KARI...): a button pressed by this user acts as this contact",
    )
    # Per priority, the channels that reach this contact in real time, or `digest` (docs/alert-tiers.md);
    # a priority not listed (or no `tiers` at all) goes real-time on `channels`.
    tiers: dict[Priority, list[TierChannel]] | None = None
    digest: DailyDigest = Field(default_factory=lambda: DailyDigest())

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        return zone_name(value) if value is not None else None

    @model_validator(mode="after")
    def _reachable(self) -> Contact:
        if "email" in self.channels and not self.email:
            raise ValueError("channel email needs an email address")
        if "sms" in self.channels and not self.phone:
            raise ValueError("channel sms needs a phone number")
        if self.digest.daily and not self.email:
            raise _At("digest/daily", "the daily digest is an email: it needs an email address")
        for priority, channels in (self.tiers or {}).items():
            if not channels:
                raise _At(f"tiers/{priority}", "name at least one channel, or digest")
            for index, channel in enumerate(channels):
                key = f"tiers/{priority}/{index}"
                if channels.index(channel) != index:
                    raise _At(key, f"{channel} is named twice")
                if channel == "email" and not self.email:
                    raise _At(key, "channel email needs an email address")
                if channel == "sms" and not self.phone:
                    raise _At(key, "channel sms needs a phone number")
                if channel == DIGEST and not self.digest.daily:
                    raise _At(key, "digest needs the contact's daily digest (digest: {daily: true})")
        return self

    def _tier(self, priority: str) -> list[TierChannel] | None:
        return next((tier for key, tier in (self.tiers or {}).items() if key == priority), None)

    def realtime(self, priority: str) -> list[RealtimeChannel]:
        """The channels that reach this contact in real time for a case of `priority` (`P1`..`P4`):
        the tier's, else `channels` (today's behaviour when no tier is set)."""
        tier = self._tier(priority)
        if tier is None:
            return list(self.channels)
        return [channel for channel in tier if channel != "digest"]

    def in_digest(self, priority: str) -> bool:
        """Whether this contact chose the daily digest for cases of `priority`."""
        return DIGEST in (self._tier(priority) or [])


CompensationType = Literal["refund", "discount", "credit", "gift", "upgrade", "other"]
COMPENSATION_TYPES: tuple[CompensationType, ...] = (
    "refund",
    "discount",
    "credit",
    "gift",
    "upgrade",
    "other",
)
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]  # ISO 4217


class ContactHours(_Config):
    """When a customer may be contacted, in the customer's own local time."""

    start: str = Field(default="09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    end: str = Field(default="20:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
    days: list[Day] = Field(default_factory=lambda: list(DAYS), min_length=1)


class FollowUpPolicy(_Config):
    enabled: bool = True
    delay_days: float = Field(default=3, ge=0, le=60, description="after the case is resolved")
    hours: ContactHours = Field(default_factory=ContactHours)
    max_per_customer: int = Field(default=2, ge=1, le=20, description="follow-ups per customer in 30 days")
    answer_days: int = Field(default=7, ge=1, le=60, description="after this, the outcome is no_response")


class ClosingTarget(_Config):
    """The team's goal for closing cases on time: `share` of its cases closed within `hours` of opening.
    Reports show the share reached on two clocks, the wall clock and the team's business hours
    (docs/reports.md)."""

    hours: int = Field(default=48, ge=1, le=720, description="hours from opening to resolving (1 to 720)")
    share: float = Field(default=0.8, gt=0, le=1, description="the share of cases to close in time (0 to 1]")


class Team(_Config):
    id: _ID
    name: str = Field(min_length=1, max_length=100)
    ack_sla_minutes: int = Field(default=15, ge=1, le=24 * 60)
    resolve_sla_hours: int = Field(default=24, ge=1, le=24 * 30)
    closing_target: ClosingTarget = Field(default_factory=lambda: ClosingTarget())
    levels: dict[int, list[Contact]] = Field(description="1: leads; 2 and 3: escalation")
    customer_ack: bool = Field(default=True, description="tell the customer at once who will be in touch")
    followup: FollowUpPolicy = Field(default_factory=FollowUpPolicy)
    # What a lead may grant alone, per currency and type ("EUR": {"refund": 50}); above it, or for a
    # type or currency not listed, a level-2 contact approves.
    compensation_limits: dict[Currency, dict[CompensationType, Decimal]] = Field(default_factory=dict)
    # The team's clock for reports (local dates, hour of day, weekday) and the weekly digest.
    timezone: str = Field(default="UTC", description="IANA time zone, e.g. Europe/Oslo")
    slack_channel: str | None = Field(
        default=None,
        pattern=r"^[CG][A-Z0-9]{4,20}$",
        description="Slack channel id (C0EMEA...) new cases are posted to; absent: no Slack message",
    )
    # The name of the Secrets Manager secret `recovery-loop/<Environment>/teams/<name>` that holds the
    # team's Microsoft Teams workflow URL (docs/teams.md); the URL itself is never in the configuration.
    teams_webhook: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9-]{0,62}$",
        description="name of the secret recovery-loop/<Environment>/teams/<name> holding the Teams "
        "workflow URL new cases are posted to; absent: no Teams card",
    )

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        return zone_name(value)

    @field_validator("compensation_limits")
    @classmethod
    def _limits(cls, value: dict[str, dict[str, Decimal]]) -> dict[str, dict[str, Decimal]]:
        for currency, limits in value.items():
            for kind, amount in limits.items():
                if amount < 0 or amount != amount.quantize(Decimal("0.01")):
                    raise ValueError(f"{currency}/{kind}: a limit is a non-negative amount with 2 decimals")
        return value

    @model_validator(mode="after")
    def _levels(self) -> Team:
        if not set(self.levels) <= {1, 2, 3}:
            raise ValueError("levels are 1 (the leads), 2 and 3 (escalation)")
        if not self.levels.get(1):
            raise ValueError("level 1 (the leads) needs at least one contact")
        ids = [contact.id for contacts in self.levels.values() for contact in contacts]
        if len(ids) != len(set(ids)):
            raise ValueError("contact ids must be unique within a team")
        for number, contacts_ in self.levels.items():
            for position, contact in enumerate(contacts_):
                for priority, channels in (contact.tiers or {}).items():
                    if "slack" in channels and self.slack_channel is None:
                        key = f"levels/{number}/{position}/tiers/{priority}/{channels.index('slack')}"
                        raise _At(key, "slack needs the team's slack_channel")
        return self

    @property
    def ack_sla(self) -> timedelta:
        return timedelta(minutes=self.ack_sla_minutes)

    @property
    def resolve_sla(self) -> timedelta:
        return timedelta(hours=self.resolve_sla_hours)

    def level(self, number: int) -> list[Contact]:
        return list(self.levels.get(number, []))

    def business_hours(self) -> list[OnDuty | None]:
        """The team's business hours: the union of its leads' (level 1) on-duty hours, as the customer's
        acknowledgement promises by them too. A lead without hours is always on duty, and so the team."""
        return [contact.on_duty for contact in self.level(1)]

    def zone_for(self, contact: Contact) -> str:
        """The zone a contact reads times in: their own, else their on-duty hours', else the team's."""
        return contact.timezone or (contact.on_duty.timezone if contact.on_duty else None) or self.timezone

    def contact(self, contact_id: str) -> Contact | None:
        return next(
            (contact for level in self.levels.values() for contact in level if contact.id == contact_id), None
        )

    def contact_by_email(self, email: str) -> Contact | None:
        wanted = email.strip().lower()
        return next(
            (
                contact
                for level in self.levels.values()
                for contact in level
                if contact.email and contact.email.lower() == wanted
            ),
            None,
        )

    def contact_by_slack_user(self, user_id: str) -> Contact | None:
        """The contact (any level) whose `slack_user` is this Slack user id."""
        return next(
            (
                contact
                for level in self.levels.values()
                for contact in level
                if contact.slack_user is not None and contact.slack_user == user_id
            ),
            None,
        )

    @property
    def top_level(self) -> int:
        return max(self.levels)


class Money(_Config):
    """An amount in one currency: `{"amount": 10000, "currency": "EUR"}`."""

    amount: Decimal = Field(ge=0, le=Decimal("1000000000"), allow_inf_nan=False)
    currency: Currency

    @field_validator("amount")
    @classmethod
    def _cents(cls, value: Decimal) -> Decimal:
        if value != value.quantize(Decimal("0.01")):
            raise ValueError("at most 2 decimals")
        return value


class Match(_Config):
    """Every given condition must hold; a list matches any of its values."""

    team: list[str] | None = None
    channel: list[str] | None = None
    tags: list[str] | None = Field(default=None, description="matches if the feedback has any of these")
    source: list[str] | None = None
    min_priority: Literal["P1", "P2", "P3", "P4"] | None = Field(
        default=None, description="this priority or more urgent"
    )
    score_type: list[str] | None = None
    min_value: Money | None = Field(
        default=None,
        description="the customer's value (customer.value) is at least this, in this same currency; a value "
        "in another currency, or none, does not match",
    )

    @field_validator("score_type")
    @classmethod
    def _score_types(cls, value: list[str] | None) -> list[str] | None:
        for item in value or []:
            if item not in SCORE_TYPES:
                raise ValueError(f"unknown score type {item!r}")
        return value


class Rule(_Config):
    """A matching case goes to `team` (the first matching rule that names one), and is raised to at
    least `priority` (every matching rule that names one, at intake: docs/routing-rules.md)."""

    name: str = Field(min_length=1, max_length=100)
    match: Match
    team: _ID | None = Field(default=None, description="absent: the rule only raises the priority")
    priority: Priority | None = Field(
        default=None, description="raise a matching case to this priority when it is less urgent"
    )

    @model_validator(mode="after")
    def _does_something(self) -> Rule:
        if self.team is None and self.priority is None:
            raise ValueError("a rule names a team, a priority, or both")
        return self


class Routing(_Config):
    rules: list[Rule] = Field(default_factory=list)
    default_team: _ID


class Config(_Config):
    teams: list[Team] = Field(min_length=1)
    routing: Routing

    @model_validator(mode="after")
    def _references(self) -> Config:
        ids = [team.id for team in self.teams]
        if len(ids) != len(set(ids)):
            raise ValueError("team ids must be unique")
        known = set(ids)
        if self.routing.default_team not in known:
            raise ValueError(f"routing/default_team: no team {self.routing.default_team!r}")
        for index, rule in enumerate(self.routing.rules):
            if rule.team is not None and rule.team not in known:
                raise ValueError(f"routing/rules/{index}/team: no team {rule.team!r}")
        return self

    def team(self, team_id: str) -> Team:
        return next(team for team in self.teams if team.id == team_id)


def parse_config(document: object) -> Config:
    """Validate a whole configuration document; ConfigError names the first bad key."""
    try:
        return Config.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        at = (first.get("ctx") or {}).get("error")
        loc = [*first["loc"], at.key] if isinstance(at, _At) else first["loc"]
        where = "/".join(str(part) for part in loc)
        message = at.message if isinstance(at, _At) else str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{where}: {message}" if where else message) from error


class Subject(BaseModel):
    """What routing looks at, from a case and its feedback."""

    model_config = ConfigDict(frozen=True)
    team: str | None = None
    channel: str | None = None
    tags: Sequence[str] = ()
    source: str | None = None
    priority: Literal["P1", "P2", "P3", "P4"] = "P4"
    score_type: str | None = None
    value: tuple[str, Decimal] | None = None  # the customer's value: (currency, amount)


def routing_subject(case: Case, feedback: Feedback | None) -> Subject:
    """What a case is routed by: its team, channel and source, its feedback's tags and score type, and its
    priority. The alert and the customer's acknowledgement both route by it, so both reach the same team."""
    detail: dict[str, Any] = dict(feedback.detail) if feedback is not None else {}
    return Subject(
        team=case.team,
        channel=case.channel,
        tags=tuple(detail.get("tags") or ()),
        source=case.source,
        priority=f"P{int(case.priority)}",
        score_type=feedback.score_type if feedback is not None else None,
        value=value_of(case.customer_value),
    )


def value_of(stored: Any) -> tuple[str, Decimal] | None:
    """(currency, amount) of a stored customer value (`{"amount": "1200.00", "currency": "EUR"}`)."""
    if not isinstance(stored, Mapping) or not stored.get("currency"):
        return None
    try:
        amount = Decimal(str(stored.get("amount")))
    except ArithmeticError:
        return None
    return (str(stored["currency"]), amount) if amount.is_finite() else None


def _matches(match: Match, subject: Subject) -> bool:
    checks = (
        match.team is None or subject.team in match.team,
        match.channel is None or subject.channel in match.channel,
        match.tags is None or bool(set(match.tags) & set(subject.tags)),
        match.source is None or subject.source in match.source,
        match.min_priority is None
        or PRIORITIES.index(subject.priority) <= PRIORITIES.index(match.min_priority),
        match.score_type is None or subject.score_type in match.score_type,
        match.min_value is None
        or (
            subject.value is not None
            and subject.value[0] == match.min_value.currency  # never converted between currencies
            and subject.value[1] >= match.min_value.amount
        ),
    )
    return all(checks)


def route(config: Config, subject: Subject) -> tuple[Team, str]:
    """The first matching rule's team, else the default route: (team, the rule's name or "default")."""
    for rule in config.routing.rules:
        if rule.team is not None and _matches(rule.match, subject):
            return config.team(rule.team), rule.name
    return config.team(config.routing.default_team), "default"


def raised_priority(config: Config, subject: Subject) -> tuple[Priority, str] | None:
    """The most urgent priority the matching rules raise the subject to, with the first rule that names
    it; None when no matching rule makes it more urgent than it is."""
    found: tuple[Priority, str] | None = None
    for rule in config.routing.rules:
        if rule.priority is None or not _matches(rule.match, subject):
            continue
        best = found[0] if found is not None else subject.priority
        if PRIORITIES.index(rule.priority) < PRIORITIES.index(best):
            found = (rule.priority, rule.name)
    return found


class LevelReach(BaseModel):
    """Who a level reaches for one priority: each contact's real-time channels, who only reads it in
    their daily digest, and whether the level falls through (nobody there in real time)."""

    model_config = ConfigDict(frozen=True)
    level: int
    realtime: dict[str, list[RealtimeChannel]]  # contact id -> channels, in configuration order
    digest: list[str]  # contact ids that get cases of this priority in their daily digest
    hours: list[str]  # contact ids reached only within their on-duty hours
    falls_through: bool


def tier_matrix(team: Team) -> dict[str, list[LevelReach]]:
    """Per priority (P1..P4) and level, who is reached in real time on which channels, who only in the
    digest, and where an alert falls through to the next level (at the top: the SLA is breached). On-duty
    hours are not applied: a contact with hours is listed in `hours` and reached only within them."""
    matrix: dict[str, list[LevelReach]] = {}
    for priority in PRIORITIES:
        rows = []
        for number in sorted(team.levels):
            realtime = {
                contact.id: channels
                for contact in team.level(number)
                if (channels := contact.realtime(priority))
            }
            rows.append(
                LevelReach(
                    level=number,
                    realtime=realtime,
                    digest=[contact.id for contact in team.level(number) if contact.in_digest(priority)],
                    hours=[contact.id for contact in team.level(number) if contact.on_duty is not None],
                    falls_through=not realtime,
                )
            )
        matrix[priority] = rows
    return matrix


def matrix_text(team: Team) -> list[str]:
    """The tier matrix as lines to print (`alerting explain <team>`)."""
    lines = [f"{team.id} ({team.name})"]
    for priority, rows in tier_matrix(team).items():
        lines.append(f"  {priority}")
        for row in rows:
            reached = "; ".join(
                f"{contact}{' (on-duty hours)' if contact in row.hours else ''}: {', '.join(channels)}"
                for contact, channels in row.realtime.items()
            )
            if row.falls_through:
                after = "SLA breached" if row.level == team.top_level else f"level {row.level + 1}"
                reached = f"nobody in real time -> falls through to {after}"
            digest = f" | digest: {', '.join(row.digest)}" if row.digest else ""
            lines.append(f"    level {row.level}: {reached}{digest}")
    return lines
