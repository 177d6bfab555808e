"""`--port 0 --state DIR`: a restart comes back on the port the state had, so links already sent work."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import RuntimeProcess

pytestmark = [pytest.mark.e2e]


def alert_link(runtime: RuntimeProcess, case_id: str) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        outbox: list[dict[str, Any]] = requests.get(runtime.url("/_local/outbox.json"), timeout=10).json()
        for message in outbox:
            if message["kind"] == "alert" and message["case_id"] == case_id and message["channel"] == "email":
                return str(message["links"][0])
        time.sleep(0.2)
    raise AssertionError(f"no alert for {case_id}")


def test_a_link_sent_before_a_restart_on_port_0_still_opens(
    start_runtime: Callable[..., RuntimeProcess], tmp_path: Path
) -> None:
    # GIVEN a runtime on a free port with --state, and a lead's acknowledge link it sent
    state = tmp_path / "state"
    first = start_runtime("--port", "0", "--state", str(state))
    answer = requests.post(
        first.url("/v1/feedback"),
        json={"customer": {"id": "c-port"}, "score": {"type": "nps", "value": 2}},
        headers={"Authorization": f"Bearer {first['sources'][0]['key']}"},
        timeout=30,
    ).json()
    link = alert_link(first, answer["case_id"])
    assert link.startswith(first.api_url + "/a/")
    # WHEN it stops and starts again with --port 0 and the same state
    assert first.stop() == 0
    second = start_runtime("--port", "0", "--state", str(state))
    # THEN it is on the same port, and the link opens the case
    assert second.api_url == first.api_url
    opened = requests.get(link, timeout=30)
    assert opened.status_code == 200 and "text/html" in opened.headers["Content-Type"]
