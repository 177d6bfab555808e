"""A lead's button press on a Slack alert: Acknowledge (`ack`) or Take it (`take`), done as that lead.

Slack signs every request with the app's signing secret (`verify`): an unsigned, forged or stale
request (older than 5 minutes) changes nothing. The Slack user who pressed maps to a contact of the
team the case routes to (`Contact.slack_user`); the contact then acts with the console's rules, so the
timeline and the domain events are the console's (`by` is the contact's id, `via` is "slack").

A press is idempotent: Slack retries a request it got no answer to within 3 seconds, and people tap
twice. A case acknowledged already, or owned already by the one who takes it, is answered with its
current state and nothing is written. A concurrent change (an optimistic-lock conflict) is retried once
against the case as it is then.

The pressed message is then replaced through the payload's `response_url` (only an allowed URL:
`https://hooks.slack.com/...`, or the prefixes the stack is configured with); a failure there is logged
and does not undo the action.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field
from slack_sdk.signature import Clock, SignatureVerifier

from recovery.domain import cases as rules
from recovery.domain.cases import Lead
from recovery.domain.records import Case
from recovery.domain.routing import Contact, Team, route, routing_subject
from recovery.domain.text import shown
from recovery.notify.render import local_time
from recovery.services.cases import Cases, NotFound
from recovery.store.cases import CaseStore, StaleCase

SIGNATURE_WINDOW_SECONDS = 5 * 60
NOT_A_LEAD = "You are not a lead of this team, so this changed nothing."
NO_CASE = "This case no longer exists, so this changed nothing."
DEFAULT_RESPONSE_URL_PREFIXES = ("https://hooks.slack.com/",)
_SLACK_ID = r"^[A-Z0-9][A-Z0-9_.-]{0,63}$"
_CASE_ID = r"^cs_[A-Za-z0-9_-]{1,37}$"


class Unverified(Exception):
    """The request is not signed by Slack with this app's signing secret, or not within 5 minutes."""


# ------------------------------------------------------------------------------------------ payload
class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class SlackUser(_Model):
    id: str = Field(pattern=_SLACK_ID, description="the Slack user who pressed")


class ButtonAction(_Model):
    action_id: Literal["ack", "take", "open"]
    value: str | None = Field(default=None, pattern=_CASE_ID, description="the case id")


class Channel(_Model):
    id: str = Field(pattern=_SLACK_ID)


class Container(_Model):
    type: str = Field(max_length=40)
    channel_id: str | None = Field(default=None, pattern=_SLACK_ID)
    message_ts: str | None = Field(default=None, pattern=r"^\d{1,12}\.\d{1,8}$")


class BlockActions(_Model):
    """The part of Slack's `block_actions` payload a press needs."""

    type: Literal["block_actions"]
    user: SlackUser
    actions: list[ButtonAction] = Field(min_length=1, max_length=5)
    response_url: str = Field(min_length=1, max_length=2000)
    channel: Channel | None = None
    container: Container


# ------------------------------------------------------------------------------------------- answer
@dataclass(frozen=True)
class Answer:
    """What the request is answered with (`body`: a JSON document, or None for an empty 200), and what
    happened, for the log."""

    outcome: str  # acknowledged, taken, unchanged, not_a_lead, no_case, ignored
    body: dict[str, Any] | None = None
    case_id: str | None = None
    by: str | None = None
    message: dict[str, Any] | None = field(default=None, repr=False)


def ephemeral(text: str) -> dict[str, Any]:
    """A reply only the presser sees; the alert stays as it is."""
    return {"response_type": "ephemeral", "replace_original": False, "text": shown(text)}


# -------------------------------------------------------------------------------------- response_url
def allowed_response_url(url: str, prefixes: Iterable[str]) -> bool:
    """Whether a payload's `response_url` is one the service may post to: it starts with one of
    `prefixes` (scheme, host and port equal, path under the prefix's path), with no user info, query
    or fragment, and no whitespace or control character. Anything else could point the function at
    any host (SSRF)."""
    if not url or re.search(r"[\x00-\x20\x7f-\x9f\\]", url):
        return False
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
        return False
    for prefix in prefixes:
        allowed = urlsplit(prefix)
        if (
            parts.scheme == allowed.scheme
            and (parts.hostname or "") == (allowed.hostname or "").lower()
            and port == allowed.port
            and parts.path.startswith(allowed.path or "/")
            and parts.scheme in ("https", "http")
        ):
            return True
    return False


def prefixes_from(value: str | None) -> tuple[str, ...]:
    """`SLACK_RESPONSE_URL_PREFIXES`: comma-separated; absent or empty: hooks.slack.com only."""
    listed = tuple(part.strip() for part in (value or "").split(",") if part.strip())
    return listed or DEFAULT_RESPONSE_URL_PREFIXES


# ------------------------------------------------------------------------------------------ service
class _Clock(Clock):
    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now

    def now(self) -> float:
        return self._now().timestamp()


Reply = Callable[[str, dict[str, Any]], None]  # (response_url, message): replaces the pressed message


class SlackInteractions:
    def __init__(
        self,
        cases: Cases,
        store: CaseStore,
        signing_secret: Callable[[], str],
        reply: Reply,
        response_url_prefixes: Iterable[str] = DEFAULT_RESPONSE_URL_PREFIXES,
        log: Callable[[str, dict[str, Any]], None] = lambda message, extra: None,
        first_seen: Callable[[str], bool] = lambda signature: True,
    ) -> None:
        self._first_seen = first_seen
        self._cases = cases
        self._store = store
        self._signing_secret = signing_secret
        self._reply = reply
        self._prefixes = tuple(response_url_prefixes)
        self._log = log

    # ---------------------------------------------------------------------------------- verifying
    def verify(self, raw: bytes, headers: Mapping[str, str], now: Callable[[], datetime]) -> None:
        """Raises Unverified unless `X-Slack-Signature` is `v0=` + HMAC-SHA256 of `v0:{ts}:{raw}` with the
        signing secret (compared in constant time) and `X-Slack-Request-Timestamp` is within 5 minutes."""
        lowered = {key.lower(): value for key, value in headers.items()}
        timestamp = lowered.get("x-slack-request-timestamp", "").strip()
        signature = lowered.get("x-slack-signature", "").strip()
        if not timestamp or not signature:
            raise Unverified("the request carries no Slack signature")
        if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
            raise Unverified("the Slack request timestamp is not a number of seconds")
        if abs(now().timestamp() - int(timestamp)) > SIGNATURE_WINDOW_SECONDS:
            raise Unverified("the Slack request timestamp is more than 5 minutes away")
        verifier = SignatureVerifier(self._signing_secret(), clock=_Clock(now))
        if not verifier.is_valid(body=raw, timestamp=timestamp, signature=signature):
            raise Unverified("the Slack signature does not match")
        # The same signed bytes again within their window are a replay, not a second press: Slack sends a
        # new request (a new action_ts, so a new signature) for every press.
        if not self._first_seen(signature):
            raise Unverified("this Slack request was handled already")

    # ---------------------------------------------------------------------------------- pressing
    def press(self, interaction: BlockActions, now: datetime) -> Answer:
        action = interaction.actions[0]
        if action.action_id == "open" or action.value is None:
            return Answer("ignored")  # a URL button: Slack opens the link itself
        case_id = action.value
        case = self._store.get(case_id)
        if case is None:
            return Answer("no_case", ephemeral(NO_CASE), case_id)
        team = self._team(case)
        contact = team.contact_by_slack_user(interaction.user.id) if team is not None else None
        if team is None or contact is None:
            return Answer("not_a_lead", ephemeral(NOT_A_LEAD), case_id)
        lead = Lead(
            user=contact.id,
            email=str(contact.email) if contact.email else None,
            teams=frozenset({team.id}),
            admin=False,
            actor=contact.id,
        )
        try:
            if action.action_id == "ack":
                outcome, case = self._acknowledge(lead, case)
            else:
                outcome, case = self._take(lead, case)
        except NotFound:  # the case is routed to the contact's team, but kept in another team's queue
            return Answer("not_a_lead", ephemeral(NOT_A_LEAD), case_id)
        message = self.message(case, team)
        self._update(interaction.response_url, message, case_id)
        return Answer(outcome, None, case_id, contact.id, message)

    def _team(self, case: Case) -> Team | None:
        """The team the case routes to, as its alert routed it (else the case's own team)."""
        config = self._cases.config()
        if config is None:
            return None
        try:
            return route(config, routing_subject(case, self._store.feedback(case.feedback_pk)))[0]
        except StopIteration:  # a routing rule naming no team: the configuration validator prevents it
            return self._cases.team_of(case.team)

    def _acknowledge(self, lead: Lead, case: Case) -> tuple[str, Case]:
        for _ in range(2):
            if case.status != "open":
                return "unchanged", case
            try:
                return "acknowledged", self._cases.acknowledge(
                    lead, case.case_id, int(case.version or 0), via="slack"
                )
            except (StaleCase, rules.InvalidTransition):
                case = self._reread(case)
        return "unchanged", case

    def _take(self, lead: Lead, case: Case) -> tuple[str, Case]:
        for _ in range(2):
            if case.owner == lead.actor or case.status not in ("open", "acknowledged"):
                return "unchanged", case
            try:
                request = rules.AssignRequest(to=lead.actor)
                return "taken", self._cases.assign(lead, case.case_id, int(case.version or 0), request)
            except (StaleCase, rules.InvalidTransition):
                case = self._reread(case)
        return "unchanged", case

    def _reread(self, case: Case) -> Case:
        again = self._store.get(case.case_id)
        if again is None:
            raise NotFound(f"no case {case.case_id!r}")
        return again

    # ---------------------------------------------------------------------------------- the message
    def message(self, case: Case, team: Team) -> dict[str, Any]:
        """The alert as it reads now: who acknowledged it and when, who owns it."""
        lines: list[str] = []
        if case.acked_at is not None:
            by = _name(team, case.acked_by)
            lines.append(f"Acknowledged by {by} at {local_time(case.acked_at, team.timezone)}")
        if case.owner and (case.owner != case.acked_by or case.acked_at is None):
            lines.append(f"Taken by {_name(team, case.owner)}")
        if case.status == "resolved":
            lines.append("Resolved")
        text = shown(f"Case {case.case_id}: " + ("; ".join(lines) if lines else "open"))
        blocks = [{"type": "section", "text": {"type": "plain_text", "text": text}}]
        return {"replace_original": True, "text": text, "blocks": blocks}

    def _update(self, response_url: str, message: dict[str, Any], case_id: str) -> None:
        if not allowed_response_url(response_url, self._prefixes):
            self._log("slack response_url refused", {"case_id": case_id, "host": _host(response_url)})
            return
        try:
            self._reply(response_url, message)
        except Exception as error:  # the action is done; Slack's message stays as it was
            self._log(
                "slack message update failed",
                {"case_id": case_id, "host": _host(response_url), "error": type(error).__name__},
            )


def _name(team: Team, contact_id: str | None) -> str:
    contact: Contact | None = team.contact(contact_id) if contact_id else None
    return contact.name if contact is not None else (contact_id or "someone")


def _host(url: str) -> str:
    """A response_url for the log: its host only (the path is a bearer credential)."""
    try:
        return urlsplit(url).hostname or "?"
    except ValueError:
        return "?"
