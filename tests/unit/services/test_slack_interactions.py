"""Slack presses without AWS: the signature check, the payload model, the response_url allow-list, who may
press, and a press that meets a concurrent change."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from recovery.domain.records import Case
from recovery.services.slack_interactions import (
    NOT_A_LEAD,
    BlockActions,
    SlackInteractions,
    Unverified,
    allowed_response_url,
    prefixes_from,
)
from recovery.store.cases import StaleCase
from tests.support import ROOT
from tools.seed import load_alerting

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
CONFIG = load_alerting(ROOT / "config")
URL = "https://hooks.slack.com/actions/T0/1/abc"


def case(**changes: Any) -> Case:
    opened = NOW - timedelta(minutes=3)
    base = Case(
        case_id="cs_0123456789abcdef01234567",
        feedback_pk="FB#demo-web#resp_1",
        feedback_id="fb_1",
        source="demo-web",
        status="open",
        priority=1,
        customer_key="c",
        opened_at=opened,
        occurred_at=opened,
        ack_due_at=opened + timedelta(minutes=15),
        resolve_due_at=opened + timedelta(hours=24),
        alert_state="sent",
        version=2,
        team="support-emea",
    )
    return replace(base, **changes)


class Store:
    def __init__(self, *cases: Case) -> None:
        self.cases = list(cases)  # what each get answers, the last one from then on
        self.reads = 0

    def get(self, case_id: str) -> Case | None:
        self.reads += 1
        return self.cases[min(self.reads - 1, len(self.cases) - 1)] if self.cases else None

    def feedback(self, pk: str) -> None:
        return None


class Cases:
    """The console's service as a press uses it: records each write; `conflicts` StaleCase first."""

    def __init__(self, conflicts: int = 0) -> None:
        self.writes: list[tuple[str, str, int, str]] = []
        self.conflicts = conflicts

    def config(self) -> Any:
        return CONFIG

    def team_of(self, team_id: str | None) -> Any:
        return CONFIG.team(team_id) if CONFIG and team_id else None

    def acknowledge(self, lead: Any, case_id: str, version: int, via: str = "console") -> Case:
        if self.conflicts:
            self.conflicts -= 1
            raise StaleCase("moved on")
        self.writes.append(("ack", lead.actor, version, via))
        return case(
            status="acknowledged", acked_at=NOW, acked_by=lead.actor, owner=lead.actor, version=version + 1
        )

    def assign(self, lead: Any, case_id: str, version: int, request: Any) -> Case:
        self.writes.append(("assign", lead.actor, version, request.to))
        return case(owner=request.to, version=version + 1)


def service(
    store: Store | None = None, cases: Cases | None = None, replies: list[Any] | None = None
) -> SlackInteractions:
    def reply(url: str, message: dict[str, Any]) -> None:
        if replies is None:
            raise ConnectionError("Slack is down")
        replies.append((url, message))

    return SlackInteractions(
        cases or Cases(),  # type: ignore[arg-type]
        store or Store(case()),  # type: ignore[arg-type]
        lambda: SECRET,
        reply,
    )


def signature(body: bytes, timestamp: int, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


def press(
    action: str = "ack", user: str = "U0KARI", url: str = URL, value: str | None = None
) -> BlockActions:
    return BlockActions.model_validate(
        {
            "type": "block_actions",
            "user": {"id": user},
            "actions": [{"action_id": action, "value": value or case().case_id}],
            "response_url": url,
            "channel": {"id": "C0EMEA"},
            "container": {"type": "message", "channel_id": "C0EMEA", "message_ts": "1764900000.000100"},
        }
    )


# ----------------------------------------------------------------------------------------- signature
BODY = b"payload=%7B%22type%22%3A%22block_actions%22%7D"


def test_a_request_signed_with_the_secret_within_five_minutes_is_verified() -> None:
    at = int(NOW.timestamp()) - 299
    service().verify(BODY, signature(BODY, at), lambda: NOW)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "no Slack signature"),
        ({"X-Slack-Signature": "v0=00"}, "no Slack signature"),
        ({"X-Slack-Request-Timestamp": str(int(NOW.timestamp()))}, "no Slack signature"),
        (signature(BODY, int(NOW.timestamp()) - 301), "more than 5 minutes"),
        (signature(BODY, int(NOW.timestamp()) + 301), "more than 5 minutes"),
        (signature(BODY, int(NOW.timestamp()), "another secret"), "does not match"),
        (signature(BODY + b"&x=1", int(NOW.timestamp())), "does not match"),
        ({"X-Slack-Request-Timestamp": "1e9", "X-Slack-Signature": "v0=00"}, "not a number"),
    ],
    ids=["missing", "no timestamp", "no signature", "stale", "future", "forged", "other body", "bad ts"],
)
def test_a_missing_forged_or_stale_signature_is_refused(headers: dict[str, str], reason: str) -> None:
    with pytest.raises(Unverified, match=reason):
        service().verify(BODY, headers, lambda: NOW)


def test_a_signature_over_a_reencoded_body_does_not_verify_the_raw_bytes() -> None:
    # Slack signs the bytes it sent: "+" and "%20" are the same form value but not the same bytes.
    signed = b"payload=a+b"
    with pytest.raises(Unverified):
        service().verify(b"payload=a%20b", signature(signed, int(NOW.timestamp())), lambda: NOW)


# ------------------------------------------------------------------------------------------- payload
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "view_submission"}, "type"),
        ({"user": {}}, "user"),
        ({"user": {"id": "kari; drop"}}, "user"),
        ({"actions": []}, "actions"),
        ({"actions": [{"action_id": "delete", "value": "cs_1"}]}, "actions"),
        ({"actions": [{"action_id": "ack", "value": "CASE#1"}]}, "actions"),
        ({"response_url": ""}, "response_url"),
        ({"container": {"type": "message", "channel_id": "c0 lower"}}, "container"),
    ],
)
def test_a_malformed_payload_is_refused_naming_the_field(change: dict[str, Any], field: str) -> None:
    document = press().model_dump() | change
    with pytest.raises(ValidationError) as refused:
        BlockActions.model_validate(document)
    assert refused.value.errors()[0]["loc"][0] == field


# -------------------------------------------------------------------------------------- response_url
@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://hooks.slack.com/actions/T0/1/abc", True),
        ("http://hooks.slack.com/actions/T0/1/abc", False),
        ("https://hooks.slack.com.evil.example/actions", False),
        ("https://evil.example/https://hooks.slack.com/", False),
        ("https://user@hooks.slack.com/actions", False),
        ("https://hooks.slack.com:8443/actions", False),
        ("https://hooks.slack.com/actions?next=http://169.254.169.254/", False),
        ("https://hooks.slack.com\\@evil.example/", False),
        ("https://hooks.slack.com/actions/\n", False),
        ("http://127.0.0.1:3000/_local/slack/response/1", False),
        ("", False),
    ],
)
def test_only_slacks_response_urls_are_allowed_by_default(url: str, allowed: bool) -> None:
    assert allowed_response_url(url, prefixes_from(None)) is allowed


def test_a_local_stack_allows_its_own_response_url_only() -> None:
    prefixes = prefixes_from("http://127.0.0.1:3000/_local/slack/response")
    assert allowed_response_url("http://127.0.0.1:3000/_local/slack/response/1", prefixes)
    assert not allowed_response_url("http://127.0.0.1:3001/_local/slack/response/1", prefixes)
    assert not allowed_response_url("http://127.0.0.1:3000/v1/admin/teams", prefixes)
    assert not allowed_response_url(URL, prefixes)


def test_a_refused_response_url_is_not_posted_to_and_the_press_still_acts() -> None:
    replies: list[Any] = []
    cases = Cases()
    answer = service(cases=cases, replies=replies).press(press(url="https://evil.example/x"), NOW)
    assert answer.outcome == "acknowledged" and replies == [] and len(cases.writes) == 1


# ------------------------------------------------------------------------------------------- presses
def test_ack_acknowledges_as_the_contact_via_slack_and_replaces_the_message() -> None:
    replies: list[Any] = []
    cases = Cases()
    answer = service(cases=cases, replies=replies).press(press("ack"), NOW)
    assert cases.writes == [("ack", "kari", 2, "slack")]
    assert (answer.outcome, answer.by, answer.body) == ("acknowledged", "kari", None)
    ((url, message),) = replies
    assert url == URL and message["replace_original"] is True
    assert "Acknowledged by Kari Nordmann at 11:00 CET" in message["text"]


def test_an_unknown_slack_user_gets_an_ephemeral_answer_and_changes_nothing() -> None:
    replies: list[Any] = []
    cases = Cases()
    answer = service(cases=cases, replies=replies).press(press(user="U0STRANGER"), NOW)
    assert answer.body == {"response_type": "ephemeral", "replace_original": False, "text": NOT_A_LEAD}
    assert cases.writes == [] and replies == []


def test_a_case_acknowledged_already_is_answered_with_its_state_and_nothing_written() -> None:
    done = case(status="acknowledged", acked_at=NOW, acked_by="kari", owner="kari")
    replies: list[Any] = []
    cases = Cases()
    answer = service(Store(done), cases, replies).press(press("ack"), NOW)
    assert answer.outcome == "unchanged" and cases.writes == []
    assert "Acknowledged by Kari Nordmann" in replies[0][1]["text"]


def test_a_conflict_is_retried_once_against_the_case_as_it_is_then() -> None:
    cases = Cases(conflicts=1)
    store = Store(case(version=2), case(version=3))
    answer = service(store, cases, []).press(press("ack"), NOW)
    assert answer.outcome == "acknowledged" and cases.writes == [("ack", "kari", 3, "slack")]


def test_a_conflict_with_an_acknowledgement_answers_the_current_state() -> None:
    cases = Cases(conflicts=1)
    acked = case(status="acknowledged", acked_at=NOW, acked_by="mark", owner="mark", version=3)
    answer = service(Store(case(), acked), cases, []).press(press("ack"), NOW)
    assert answer.outcome == "unchanged" and cases.writes == []


def test_take_assigns_to_the_contact_once() -> None:
    cases = Cases()
    assert service(cases=cases, replies=[]).press(press("take"), NOW).outcome == "taken"
    assert cases.writes == [("assign", "kari", 2, "kari")]
    owned = Cases()
    answer = service(Store(case(owner="kari")), owned, []).press(press("take"), NOW)
    assert answer.outcome == "unchanged" and owned.writes == []


def test_a_failing_response_url_does_not_fail_the_press() -> None:
    logged: list[str] = []
    interactions = service(replies=None)
    interactions._log = lambda message, extra: logged.append(message + " " + str(extra))
    assert interactions.press(press("ack"), NOW).outcome == "acknowledged"
    assert logged and "hooks.slack.com" in logged[0] and "/actions/" not in logged[0]


def test_the_open_button_does_nothing() -> None:
    cases = Cases()
    assert service(cases=cases, replies=[]).press(press("open"), NOW).outcome == "ignored"
    assert cases.writes == []
