"""The runtime's terminal reads as one line per request and per triggered call: no metric JSON and no
info logs from the functions unless `--verbose` is given, and never a link code."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import requests

from tests.e2e.conftest import RuntimeProcess
from tests.e2e.test_alerts_http import negative, outbox, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]
EMF = '"_aws"'  # every Embedded Metric Format record has it


def logs_with(runtime: RuntimeProcess, text: str) -> str | None:
    """The runtime's output once it holds `text` (a line may reach the file a little after its call)."""
    found = wait_for(lambda: text in runtime.logs(), timeout=10)
    return runtime.logs() if found else None


def post_negative(runtime: RuntimeProcess) -> str:
    """A negative feedback; answers the case id once its alert went out."""
    key = runtime["sources"][0]["key"]
    body = negative()
    del body["occurred_at"]  # now, on the runtime's clock
    created = requests.post(
        runtime.url("/v1/feedback"), json=body, headers={"Authorization": f"Bearer {key}"}, timeout=30
    )
    assert created.status_code == 201, created.text
    case_id: str = created.json()["case_id"]
    alerts = wait_for(lambda: [m for m in outbox(runtime, case_id) if m["kind"] == "alert"], timeout=20)
    assert alerts, runtime.logs()[-3000:]
    return case_id


def test_without_verbose_the_terminal_has_a_line_per_request_and_event_and_no_metric_json(
    start_runtime: Callable[..., RuntimeProcess],
) -> None:
    # GIVEN a runtime started without --verbose
    runtime = start_runtime()
    # WHEN a negative feedback comes in and its lead opens the alert's link
    case_id = post_negative(runtime)
    emails = wait_for(
        lambda: [m for m in outbox(runtime, case_id) if m["kind"] == "alert" and m["channel"] == "email"],
        timeout=20,
    )
    assert emails, runtime.logs()[-3000:]  # the first alert out may be the SMS or the Slack post
    alert = emails[0]
    link = next(link for link in alert["links"] if "/a/" in link)
    assert requests.get(link, timeout=30).status_code == 200
    code = link.rsplit("/", 1)[1]
    # THEN the terminal shows the request and the events it caused, one line each
    logs = logs_with(runtime, "GET /a/{code} 200")
    assert logs, runtime.logs()[-3000:]
    assert re.search(r"INFO local: POST /v1/feedback 201 \d+ ms$", logs, re.MULTILINE), logs[-3000:]
    assert re.search(r"INFO local: stream \(\d+ records?\) -> StreamFunction ok \d+ ms$", logs, re.MULTILINE)
    assert re.search(r"INFO local: event CaseOpened -> AlertFunction ok \d+ ms$", logs, re.MULTILINE)
    # AND no metric record, no function info log, no SDK chatter, and the link's code nowhere
    assert EMF not in logs
    assert '"level":"INFO"' not in logs
    assert "Found credentials" not in logs
    assert code not in logs


def test_with_verbose_the_functions_metrics_and_logs_are_shown(
    start_runtime: Callable[..., RuntimeProcess],
) -> None:
    # GIVEN a runtime started with --verbose; WHEN a negative feedback comes in
    runtime = start_runtime("--verbose")
    post_negative(runtime)
    # THEN the functions' metric records and info logs are in its output as well
    logs = logs_with(runtime, EMF)
    assert logs, runtime.logs()[-3000:]
    assert '"level":"INFO"' in logs
    assert re.search(r"INFO local: POST /v1/feedback 201 \d+ ms$", logs, re.MULTILINE)
