"""Microsoft Teams alerts on moto: the case's card posted once to the team's workflow, in the language of
its first level-1 lead, its acknowledge button a real single-use link for the first on-duty lead. A
recording poster stands in for Teams."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from recovery import clock
from recovery.domain import links
from recovery.domain.identity import PiiHasher
from recovery.domain.routing import parse_config
from recovery.notify.senders import RecordingSender
from recovery.notify.teams import RecordingTeams
from recovery.services.alerts import Alerts, CachedConfig
from recovery.services.case_deliveries import CaseDeliveries
from recovery.services.teams_alerts import TeamsAlerts
from recovery.store.alerting import AlertStore, CaseDeliveryStore, ConfigStore
from recovery.store.feedback import FeedbackStore
from recovery.store.links import LinkStore
from recovery.store.models import DeliveryItem
from tests.integration.conftest import Clock
from tests.integration.test_alerts import open_case
from tests.support import ROOT, Stack

WEBHOOK = "support-emea"
PUBLIC = "http://127.0.0.1:3000"


def store_teams(webhook: str | None = WEBHOOK) -> None:
    document = yaml.safe_load((ROOT / "config" / "teams.yaml").read_text())
    for team in document["teams"]:
        team.pop("slack_channel", None)
        team.pop("teams_webhook", None)
    if webhook is not None:
        document["teams"][0]["teams_webhook"] = webhook  # support-emea; Kari (nb) is its first lead
    ConfigStore().put(parse_config(document), clock.now(), by="test")


@pytest.fixture
def workflows() -> RecordingTeams:
    return RecordingTeams()


@pytest.fixture
def teams_alerts(
    stack: Stack, virtual_clock: Clock, sender: RecordingSender, workflows: RecordingTeams, metrics: list[Any]
) -> Alerts:
    store_teams()
    hasher = PiiHasher(b"k" * 32)
    store, links_store = AlertStore(), LinkStore()

    def metric(name: str, value: float, unit: str) -> None:
        metrics.append((name, value))

    return Alerts(
        store,
        FeedbackStore(),
        CachedConfig(ConfigStore()),
        links_store,
        sender,
        lambda address: hasher.digest("address", address.lower()),
        PUBLIC,
        metric,
        sleep=lambda _: None,
        teams=TeamsAlerts(store, links_store, workflows, PUBLIC, metric, sleep=lambda _: None),
    )


def teams_rows(case_id: str) -> list[tuple[int, str, str, str]]:
    rows = DeliveryItem.scan(DeliveryItem.pk.startswith(f"DLV#{case_id}#"))
    return sorted(
        (int(row.level), str(row.kind), str(row.state), str(row.contact_id))
        for row in rows
        if row.channel == "teams"
    )


def card_of(message: dict[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = message["attachments"][0]["content"]
    return content


def test_a_new_case_is_posted_once_with_a_signed_ack_link(
    api: Any, teams_alerts: Alerts, workflows: RecordingTeams, sender: RecordingSender
) -> None:
    case_id = open_case(api)
    outcome = teams_alerts.alert(case_id)
    # The leads' email and SMS go as before; the workflow gets the card
    assert outcome.sent == 2 and outcome.teams == "posted"
    assert [call.webhook for call in workflows.calls] == [WEBHOOK]
    message = workflows.calls[0].message
    assert message["recovery_case"] == {"case_id": case_id, "kind": "alert"}
    content = card_of(message)
    assert content["lang"] == "nb"  # Kari Nordmann, the first level-1 lead, reads Norwegian
    ack, case_link = content["actions"]
    assert ack["title"] == "Kvitter" and case_link["url"] == f"{PUBLIC}/console/#/cases/{case_id}"
    # The button is a signed link of its own (not the email's), for Kari, single-use and expiring
    code = ack["url"].removeprefix(f"{PUBLIC}/a/")
    assert code and "/" not in code
    emailed = [m.text for m in sender.sent if m.channel == "email"]
    assert all(code not in text for text in emailed)
    grant = LinkStore().resolve(code)
    assert grant is not None and (grant.purpose, grant.subject, grant.audience) == (
        links.Purpose.ACK,
        case_id,
        "kari",
    )
    assert grant.expires_at > clock.now()
    assert "kari@example.com" not in json.dumps(message)
    assert teams_rows(case_id) == [(1, "alert", "sent", "teams")]
    # A redelivered event, and the sweep's resend of an alert it thinks lost, post nothing more
    teams_alerts.alert(case_id)
    assert len(workflows.calls) == 1
    # The button acknowledges the case as Kari, once
    verdict, case = teams_alerts.acknowledge(code, clock.now())
    assert verdict is links.Verdict.OK and case is not None and case.acked_by == "kari"
    assert teams_alerts.acknowledge(code, clock.now())[0] is not links.Verdict.OK


def test_a_retried_alert_after_a_crash_posts_once(
    api: Any, teams_alerts: Alerts, workflows: RecordingTeams, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the card posted, then the invocation died before the case was marked alerted
    case_id = open_case(api)

    def crash(*args: Any) -> None:
        raise RuntimeError("crash")

    with monkeypatch.context() as patch:
        patch.setattr(teams_alerts, "_after_alert", crash)
        with pytest.raises(RuntimeError):
            teams_alerts.alert(case_id)
    # WHEN Lambda retries the event
    teams_alerts.alert(case_id)
    # THEN the channel has the case once
    assert len(workflows.calls) == 1


def test_a_transient_failure_is_retried_and_a_permanent_one_counted(
    api: Any, teams_alerts: Alerts, workflows: RecordingTeams, metrics: list[Any]
) -> None:
    first = open_case(api, "resp_1")
    workflows.fail_next(2, transient=True)
    assert teams_alerts.alert(first).teams == "posted" and workflows.attempts == 3
    second = open_case(api, "resp_2")
    workflows.fail_next(1, transient=False)
    outcome = teams_alerts.alert(second)
    # The leads still hear of it; the failure is counted (and alarmed) like any delivery's
    assert outcome.teams == "failed" and outcome.sent == 2 and outcome.level == 1
    assert teams_rows(second) == [(1, "alert", "failed", "teams")]
    assert ("DeliveriesFailed", 1) in metrics


def test_a_team_without_a_workflow_gets_no_card(
    api: Any, teams_alerts: Alerts, workflows: RecordingTeams
) -> None:
    store_teams(webhook=None)
    teams_alerts._config._cached = None  # the configuration just changed
    case_id = open_case(api)
    outcome = teams_alerts.alert(case_id)
    assert outcome.sent == 2 and outcome.teams is None and workflows.calls == []
    assert teams_rows(case_id) == []


def test_the_admin_view_lists_the_card_by_its_workflow_name(
    api: Any, teams_alerts: Alerts, workflows: RecordingTeams
) -> None:
    case_id = open_case(api)
    teams_alerts.alert(case_id)
    hasher = PiiHasher(b"k" * 32)
    view = CaseDeliveries(
        CaseDeliveryStore(),
        lambda: CachedConfig(ConfigStore()).get(),
        lambda address: hasher.digest("address", address.lower()),
    ).of_case(case_id)
    listed = [
        (entry["level"], entry["recipient"], entry["kind"], entry["state"])
        for entry in view["deliveries"]
        if entry["channel"] == "teams"
    ]
    assert listed == [(1, WEBHOOK, "alert", "sent")]
