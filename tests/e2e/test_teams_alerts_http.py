"""Teams alerts end to end, against the runtime's local Teams workflow: with Support EMEA naming the demo
workflow (`teams_webhook: support-emea`, whose secret recovery-loop/dev/teams/support-emea the runtime
points at its stand-in), a case's card is posted once, in its first lead's language, and its acknowledge
button acknowledges the case. The demo configuration names no workflow, so this runs on a copy of it."""

from __future__ import annotations

import json
import shutil
from typing import Any

import pytest
import requests
import yaml

from tests.e2e.conftest import REPO, RuntimeProcess
from tests.e2e.test_alerts_http import MONDAY_MORNING, post_negative, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]


@pytest.fixture(scope="module")
def teams_alerting(runtime_launcher: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    config = tmp_path_factory.mktemp("teams-config") / "config"
    shutil.copytree(REPO / "config", config)
    document = yaml.safe_load((config / "teams.yaml").read_text())
    document["teams"][0]["teams_webhook"] = "support-emea"  # Support EMEA
    (config / "teams.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    running = runtime_launcher.start(config=config)
    moved = requests.post(
        running.url("/_local/clock"), json={"set": MONDAY_MORNING, "catch_up": "last"}, timeout=60
    )
    assert moved.status_code == 200, moved.text
    yield running
    runtime_launcher.stop(running)


def teams_entries(runtime: RuntimeProcess, case_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = requests.get(runtime.url("/_local/outbox.json"), timeout=10).json()
    return [entry for entry in found if entry["case_id"] == case_id and entry["channel"] == "teams"]


def test_the_card_is_posted_once_and_its_button_acknowledges(teams_alerting: RuntimeProcess) -> None:
    case_id = post_negative(teams_alerting)
    # THEN the card went to Support EMEA's workflow, once, in Kari's Norwegian
    posted = wait_for(lambda: teams_entries(teams_alerting, case_id), timeout=10)
    assert [(e["to"], e["kind"]) for e in posted] == [("support-emea", "alert")]
    card = json.loads(posted[0]["text"])
    assert card["type"] == "AdaptiveCard" and card["lang"] == "nb"
    ack, case_link = card["actions"]
    assert ack["title"] == "Kvitter" and case_link["url"].endswith(f"/console/#/cases/{case_id}")
    assert ack["url"].startswith(teams_alerting["api_url"] + "/a/") and ack["url"] in posted[0]["links"]
    # WHEN the button's link is confirmed THEN the case is acknowledged, and no second card follows
    done = requests.post(ack["url"], timeout=10)
    assert done.status_code == 200 and "Eskaleringen er stoppet" in done.text  # as Kari, in her language
    assert requests.post(ack["url"], timeout=10).status_code == 410  # single-use
    assert len(teams_entries(teams_alerting, case_id)) == 1
