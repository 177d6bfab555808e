"""The runtime speaks Slack: its local Web API and response_url (local/slack_api.py) over HTTP, with the
bot token of the Slack secret it provisions, recorded in the outbox."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from local import slack_press
from tests.e2e.conftest import REPO

if TYPE_CHECKING:
    from tests.e2e.conftest import RuntimeProcess

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]


def slack_secret(runtime: RuntimeProcess) -> dict[str, Any]:
    client = boto3.client(
        "secretsmanager",
        endpoint_url=runtime.moto_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    document: dict[str, Any] = json.loads(
        client.get_secret_value(SecretId=runtime["slack"]["secret"])["SecretString"]
    )
    return document


def slack_entries(runtime: RuntimeProcess) -> list[dict[str, Any]]:
    entries = requests.get(runtime.url("/_local/outbox.json"), timeout=30).json()
    return [entry for entry in entries if entry["channel"] == "slack"]


def test_the_start_line_names_the_local_slack_and_its_secret(runtime: RuntimeProcess) -> None:
    slack = runtime["slack"]
    assert slack["api_url"] == runtime.api_url + "/_local/slack/api/"
    assert slack["response_url"] == runtime.api_url + "/_local/slack/response"
    assert slack["secret"] == "recovery-loop/dev/slack"
    secret = slack_secret(runtime)
    assert secret["signing_secret"] == slack["signing_secret"]
    assert secret["bot_token"].startswith("xoxb-")
    assert json.loads((runtime.cwd / ".local" / "runtime.json").read_text())["slack"] == slack


def test_a_message_posted_with_the_secrets_token_is_in_the_outbox(runtime: RuntimeProcess) -> None:
    client = WebClient(token=slack_secret(runtime)["bot_token"], base_url=runtime["slack"]["api_url"])
    metadata = {"event_type": "recovery_case", "event_payload": {"case_id": "cs_e2eslack", "kind": "alert"}}
    # WHEN a message is posted with the provisioned bot token
    posted = client.chat_postMessage(channel="C0TEST", text="e2e slack check", metadata=metadata)
    # THEN Slack's answer, and the outbox (JSON and page) shows it
    assert posted["ok"] and posted["channel"] == "C0TEST"
    [entry] = [entry for entry in slack_entries(runtime) if entry["case_id"] == "cs_e2eslack"]
    assert (entry["to"], entry["kind"], entry["text"]) == ("C0TEST", "alert", "e2e slack check")
    assert entry["subject"] == f"chat.postMessage {posted['ts']}"
    assert "e2e slack check" in requests.get(runtime.url("/_local/outbox"), timeout=30).text
    # AND another token is refused as Slack refuses it
    with pytest.raises(SlackApiError) as raised:
        WebClient(token="xoxb-wrong", base_url=runtime["slack"]["api_url"]).chat_postMessage(
            channel="C0TEST", text="nope"
        )
    assert raised.value.response["error"] == "invalid_auth"


def test_the_response_url_records_what_is_posted_to_it(runtime: RuntimeProcess) -> None:
    metadata: dict[str, Any] = {
        "event_type": "recovery_case",
        "event_payload": {"case_id": "cs_e2eresp", "kind": "acknowledged"},
    }
    answer = requests.post(
        runtime["slack"]["response_url"],
        json={"replace_original": True, "text": "Acknowledged", "metadata": metadata},
        timeout=30,
    )
    assert (answer.status_code, answer.json()) == (200, {"ok": True})
    [entry] = [entry for entry in slack_entries(runtime) if entry["case_id"] == "cs_e2eresp"]
    assert (entry["to"], entry["kind"]) == (runtime["slack"]["response_url"], "acknowledged")


def test_press_signs_a_request_the_interactions_route_is_given(runtime: RuntimeProcess) -> None:
    # `python -m local slack press` against the runtime's start line reaches the route, prints its answer
    runtime_file = runtime.cwd / ".local" / "runtime.json"
    command = ["press", "cs_e2enone", "ack", "--user", "U0KARI", "--runtime-file", str(runtime_file)]
    pressed = subprocess.run(
        [sys.executable, "-m", "local", "slack", *command],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        check=False,
    )
    status = int(pressed.stdout.splitlines()[0])
    # a signed press of a case that does not exist is verified and answered, changing nothing
    assert (status, pressed.returncode) == (200, 0), pressed.stdout + pressed.stderr
    # AND the same press signed with another secret is refused
    forged = {**runtime.info, "slack": {**runtime["slack"], "signing_secret": "not-the-secret"}}
    assert slack_press.press(forged, "cs_e2enone", "ack", "U0KARI")[0] == 401


def test_the_slack_secret_and_messages_survive_a_restart_with_state(
    start_runtime: Callable[..., RuntimeProcess], tmp_path: Path
) -> None:
    # GIVEN a runtime with --state that posted a message
    state = tmp_path / "state"
    first = start_runtime("--state", str(state))
    token = slack_secret(first)["bot_token"]
    posted = WebClient(token=token, base_url=first["slack"]["api_url"]).chat_postMessage(
        channel="C0KEPT", text="x"
    )
    assert first.stop() == 0
    # WHEN it starts again from the same state
    second = start_runtime("--state", str(state))
    # THEN the signing secret and bot token are the same, and the message can still be updated
    assert second["slack"]["signing_secret"] == first["slack"]["signing_secret"]
    assert slack_secret(second)["bot_token"] == token
    client = WebClient(token=token, base_url=second["slack"]["api_url"])
    assert client.chat_update(channel="C0KEPT", ts=posted["ts"], text="y")["ok"] is True
