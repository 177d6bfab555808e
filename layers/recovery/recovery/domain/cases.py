"""Working a case: who may, which operation is allowed when, what a request may say, and the limits.

Pure: no storage, no clock. `recovery.services.cases` applies these rules to stored cases.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from recovery.domain.routing import CompensationType, Config, Currency, Team

Status = Literal["open", "acknowledged", "resolved"]
STATUSES: tuple[Status, ...] = get_args(Status)
Operation = Literal["ack", "actions", "assign", "messages", "resolve", "reopen"]
OPERATIONS: tuple[Operation, ...] = get_args(Operation)

RootCause = Literal[
    "product_defect",
    "service_delay",
    "wait_time",
    "staff_behaviour",
    "billing",
    "delivery",
    "communication",
    "policy",
    "technical",
    "other",
]
ROOT_CAUSES: tuple[RootCause, ...] = get_args(RootCause)

# The cause-and-effect (fishbone) category of each root cause, the service-industry grouping:
# people, process, product (and the technology it runs on), policy, partners (delivery by others),
# other. A cause that is not one of ROOT_CAUSES counts as "other".
CauseCategory = Literal["people", "process", "product", "policy", "partners", "other"]
CAUSE_CATEGORIES: tuple[CauseCategory, ...] = get_args(CauseCategory)
CATEGORY_OF_CAUSE: dict[RootCause, CauseCategory] = {
    "staff_behaviour": "people",
    "communication": "people",
    "service_delay": "process",
    "wait_time": "process",
    "billing": "process",
    "product_defect": "product",
    "technical": "product",
    "policy": "policy",
    "delivery": "partners",
    "other": "other",
}


def cause_category(cause: str) -> CauseCategory:
    """The cause-and-effect category of a root cause ("other" for one this version does not know)."""
    return CATEGORY_OF_CAUSE.get(cause, "other")  # type: ignore[call-overload]


# operation -> (the statuses it is allowed from, why it is refused otherwise)
_ALLOWED: dict[Operation, tuple[frozenset[str], str]] = {
    "ack": (frozenset({"open"}), "only an open case can be acknowledged"),
    "actions": (frozenset({"open", "acknowledged"}), "the case is resolved; reopen it first"),
    "assign": (frozenset({"open", "acknowledged"}), "the case is resolved; reopen it first"),
    "messages": (frozenset({"open", "acknowledged", "resolved"}), ""),
    "resolve": (frozenset({"acknowledged"}), "acknowledge the case before resolving it"),
    "reopen": (frozenset({"resolved"}), "only a resolved case can be reopened"),
}


class InvalidTransition(Exception):
    """The operation is not allowed in the case's status (HTTP 409)."""


def check_transition(operation: Operation, status: str) -> None:
    allowed, why = _ALLOWED[operation]
    if status not in allowed:
        if operation == "ack" and status == "acknowledged":
            why = "the case is already acknowledged"
        elif operation == "resolve" and status == "resolved":
            why = "the case is already resolved"
        raise InvalidTransition(f"cannot {operation} a case that is {status}: {why}")


def allowed_operations(status: str) -> list[Operation]:
    return [operation for operation in OPERATIONS if status in _ALLOWED[operation][0]]


# ------------------------------------------------------------------------------------------ requests
_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
_OptionalText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Compensation(_Request):
    type: CompensationType
    amount: Decimal = Field(gt=0, le=Decimal("1000000"), description='a decimal string, e.g. "25.00"')
    currency: Currency

    @field_validator("amount")
    @classmethod
    def _cents(cls, value: Decimal) -> Decimal:
        if value != value.quantize(Decimal("0.01")):
            raise ValueError("at most 2 decimals")
        return value


class NoteAction(_Request):
    type: Literal["note"]
    text: _Text


class ContactedAction(_Request):
    type: Literal["contacted"]
    channel: Literal["phone", "email", "sms", "chat", "in_person"]
    text: _OptionalText = ""


class ApologyAction(_Request):
    type: Literal["apology"]
    text: _OptionalText = ""


class CompensationAction(_Request):
    type: Literal["compensation"]
    compensation: Compensation
    text: _OptionalText = ""


Action = Annotated[
    NoteAction | ContactedAction | ApologyAction | CompensationAction, Field(discriminator="type")
]


class ActionRequest(_Request):
    action: Action


class AssignRequest(_Request):
    to: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]


# A subject is one header line: no C0 or C1 control character (CR, LF, NUL, NEL...), no DEL, no Unicode
# line or paragraph separator (the email library counts those as line breaks too). A message's text may
# have lines and tabs, but no other control character. Neither may hold a lone surrogate (not Unicode).
_SUBJECT_REFUSED = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_TEXT_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


class MessageRequest(_Request):
    channel: Literal["email", "sms"]
    subject: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]

    @field_validator("subject", mode="before")
    @classmethod
    def _one_line(cls, value: Any) -> Any:
        if isinstance(value, str) and _SUBJECT_REFUSED.search(value):
            raise ValueError("the subject must be one line, with no control characters")
        return value

    @field_validator("text", mode="before")
    @classmethod
    def _printable(cls, value: Any) -> Any:
        if isinstance(value, str) and _TEXT_REFUSED.search(value):
            raise ValueError("the text may hold line breaks and tabs, but no other control characters")
        return value


class ResolveRequest(_Request):
    root_cause: RootCause
    summary: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


class ReopenRequest(_Request):
    reason: _Text


class AckRequest(_Request):
    pass


# --------------------------------------------------------------------------------------------- leads
@dataclass(frozen=True)
class Lead:
    """The signed-in user, from the JWT's claims: which teams they lead, and how the timeline names them."""

    user: str
    email: str | None
    teams: frozenset[str]
    admin: bool
    actor: str

    def may_see(self, team: str | None) -> bool:
        return self.admin or (team is not None and team in self.teams)


class NotSignedIn(Exception):
    """No usable identity in the request (HTTP 401)."""


def groups_claim(value: Any) -> list[str]:
    """`cognito:groups` as API Gateway passes it: a JSON array, or "[a b]" (HTTP APIs flatten arrays)."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(item) for item in value]
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = text[1:-1].replace(",", " ").split()
        if isinstance(parsed, list):
            return [str(item).strip() for item in parsed if str(item).strip()]
    return [part for part in text.replace(",", " ").split() if part]


def lead_from_claims(claims: Mapping[str, Any] | None, config: Config | None) -> Lead:
    if not claims:
        raise NotSignedIn("no signed-in user")
    user = str(claims.get("cognito:username") or claims.get("username") or claims.get("sub") or "")
    if not user:
        raise NotSignedIn("the token names no user")
    groups = groups_claim(claims.get("cognito:groups"))
    teams = frozenset(group.removeprefix("team-") for group in groups if group.startswith("team-"))
    admin = "admin" in groups
    # Cognito's ID token carries `email`; a pool that signs in by email has it as the user name too.
    email = str(claims["email"]) if claims.get("email") else (user if "@" in user else None)
    actor = user
    if email and config is not None:
        for team in config.teams:
            if admin or team.id in teams:
                contact = team.contact_by_email(email)
                if contact is not None:
                    actor = contact.id
                    break
    return Lead(user=user, email=email, teams=teams, admin=admin, actor=actor)


# -------------------------------------------------------------------------------------- compensation
def within_limit(team: Team | None, compensation: Compensation) -> bool:
    """May a lead grant this alone? Only up to the team's limit for that type in that currency."""
    if team is None:
        return False
    limit = team.compensation_limits.get(compensation.currency, {}).get(compensation.type)
    return limit is not None and compensation.amount <= Decimal(limit)


def approvers(team: Team) -> list[Any]:
    """Who decides a compensation above the limit: level 2, else the highest level above the leads."""
    for level in (2, 3):
        if team.level(level):
            return team.level(level)
    return []


# ----------------------------------------------------------------------------------------- checklist
CHECKLIST = ("acknowledge_apologise", "understand", "fix", "follow_up")


def checklist(
    status: str, kinds: Iterable[str], outcome: str | None, followup_state: str | None
) -> dict[str, bool]:
    """The four recovery steps, from what the timeline shows was done."""
    seen = set(kinds)
    return {
        "acknowledge_apologise": status != "open" and bool(seen & {"apology", "customer_message"}),
        "understand": bool(seen & {"contacted", "note", "customer_message"}),
        "fix": status == "resolved" or bool(seen & {"compensation_granted", "compensation_approved"}),
        "follow_up": outcome is not None or followup_state in {"sent", "answered", "no_response"},
    }
