"""The runtime's local Teams workflows (local/teams_api.py), served by the runtime's own WSGI app on
127.0.0.1 and posted to by the functions' own poster, as they post to Teams."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from moto import mock_aws
from werkzeug.serving import make_server

from local import teams_api
from local.http_api import Router
from local.outbox import Outbox
from local.server import LocalApp
from recovery.notify.senders import SendFailed
from recovery.notify.teams import WorkflowTeams
from recovery.notify.teams_card import TeamsCase, alert_card

NOW = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)
CASE = TeamsCase(
    case_id="cs_case1",
    priority="P1",
    score_text="NPS 2/10",
    comment="Nobody called back",
    customer_masked="a***@example.com",
    agent="Ola",
    channel="phone",
    team="Support EMEA",
    ack_deadline=NOW,
    timezone="Europe/Oslo",
    repeat_failure=False,
    ack_url="http://127.0.0.1:3000/a/code",
    case_url="http://127.0.0.1:3000/console/#/cases/cs_case1",
    language="nb",
)


@pytest.fixture
def served() -> Iterator[tuple[Outbox, str]]:
    outbox = Outbox(lambda: NOW)
    app = LocalApp(Router([]), None, None, None, outbox, teams=teams_api.TeamsApi(outbox))  # type: ignore[arg-type]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield outbox, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def post(url: str, body: bytes, method: str = "POST", content_type: str = "application/json") -> int:
    request = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_a_card_posted_as_the_functions_post_it_is_recorded_in_the_outbox(served: tuple[Outbox, str]) -> None:
    outbox, base = served
    # WHEN the alert's poster posts the case's card to the local workflow its secret names
    poster = WorkflowTeams(lambda name: teams_api.webhook_url(base, name))
    assert poster.post("support-emea", alert_card(CASE)) == "http_202"
    # THEN the outbox has it: channel teams, to the workflow's name, kind and case from recovery_case
    [entry] = outbox.entries()
    assert (entry["channel"], entry["to"], entry["kind"], entry["case_id"]) == (
        "teams",
        "support-emea",
        "alert",
        "cs_case1",
    )
    assert entry["subject"].startswith("Misfornøyd kunde: P1")
    card = json.loads(entry["text"])
    assert card["type"] == "AdaptiveCard"
    assert [action["url"] for action in card["actions"]] == [CASE.ack_url, CASE.case_url]
    assert CASE.ack_url in entry["links"]


@pytest.mark.parametrize(
    ("path", "method", "body", "content_type", "status"),
    [
        ("/_local/teams/Bad_Name", "POST", b"{}", "application/json", 404),
        ("/_local/teams/", "POST", b"{}", "application/json", 404),
        ("/_local/teams/support-emea", "GET", None, "application/json", 405),
        ("/_local/teams/support-emea", "POST", b"{", "application/json", 400),
        ("/_local/teams/support-emea", "POST", b'{"type": "message"}', "application/json", 400),
        ("/_local/teams/support-emea", "POST", b'{"text": "hi"}', "text/plain", 415),
    ],
)
def test_what_is_not_a_card_is_refused_with_a_problem(
    served: tuple[Outbox, str], path: str, method: str, body: bytes | None, content_type: str, status: int
) -> None:
    outbox, base = served
    assert post(base + path, body or b"", method if body is not None else "GET", content_type) == status
    assert outbox.entries() == []


def test_only_this_machine_may_post() -> None:
    outbox = Outbox(lambda: NOW)
    answer = teams_api.TeamsApi(outbox).answer(
        "POST", "/_local/teams/support-emea", {"Content-Type": "application/json"}, b"{}", "192.0.2.7"
    )
    assert answer.status == 403 and outbox.entries() == []


def test_the_demo_secret_points_at_the_runtime_and_follows_its_address() -> None:
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="eu-west-1")
        first = teams_api.ensure_secret(client, "dev", "http://127.0.0.1:3000")
        name = "recovery-loop/dev/teams/support-emea"
        assert client.get_secret_value(SecretId=name)["SecretString"] == first
        assert first == "http://127.0.0.1:3000/_local/teams/support-emea"
        teams_api.ensure_secret(client, "dev", "http://127.0.0.1:3999")
        moved = client.get_secret_value(SecretId=name)["SecretString"]
        assert moved == "http://127.0.0.1:3999/_local/teams/support-emea"


def test_an_unreachable_local_workflow_fails_transiently() -> None:
    with pytest.raises(SendFailed) as raised:
        WorkflowTeams(lambda name: "http://127.0.0.1:9/_local/teams/x").post("x", alert_card(CASE))
    assert raised.value.transient
