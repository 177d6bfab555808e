"""The queue and the case page as a lead reads them, in headless Chromium at phone (390x844) and desktop
(1280x900) widths, against the embedded runtime: each queue row says who and what (the customer's name,
the score, the comment's first words); the case page shows the follow-up's answer in full, the change
("NPS 3 → 9"), and a translated label and a real actor on every timeline event. Nothing overflows
sideways. Screenshots of both pages at both sizes are saved (docs/screenshots/ under `make screenshots`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.e2e.browser import DESKTOP, PHONE, chromium, no_sideways_overflow, screenshot, wait
from tests.e2e.conftest import RuntimeProcess
from tests.e2e.test_alerts_http import negative, outbox, wait_for
from tests.e2e.test_closed_loop_http import sign_in
from tests.e2e.test_console_browser import queue_row
from tests.e2e.test_console_browser import sign_in as sign_in_browser

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]
MONDAY_MORNING = "2030-01-07T10:00:00Z"  # 11:00 in Oslo
WAITING = (
    "Waited 40 minutes on the phone, was transferred three times and then cut off without an answer "
    "about the invoice that charged me twice for the same order"
)
THANKS = "Thank you, you called back the same day and sorted out the invoice. Much better than last time."


def change(runtime: RuntimeProcess, auth: dict[str, str], case_id: str, operation: str, body: Any) -> Any:
    """The change, read and written again while the case is still moving (its alert, the customer's ack)."""
    for _ in range(20):
        current = requests.get(runtime.url(f"/v1/cases/{case_id}"), headers=auth, timeout=10)
        answer = requests.post(
            runtime.url(f"/v1/cases/{case_id}/{operation}"),
            json=body,
            headers={**auth, "If-Match": current.headers["ETag"]},
            timeout=30,
        )
        if answer.status_code != 412:
            assert answer.status_code == 200, answer.text
            return answer.json()
        time.sleep(0.2)
    raise AssertionError(f"{operation} kept meeting a newer version of {case_id}")


@pytest.fixture(scope="module")
def lead_day(runtime_launcher: Any) -> Iterator[dict[str, Any]]:
    """A runtime with three cases of support-emea: Ada's, open (NPS 3, a long comment); Ola's,
    resolved and answered in its follow-up (NPS 3, then 9, satisfied, with a comment); and an open
    one from a customer who gave no name (thumbs down)."""
    running = runtime_launcher.start()
    moved = requests.post(
        running.url("/_local/clock"), json={"set": MONDAY_MORNING, "catch_up": "last"}, timeout=60
    )
    assert moved.status_code == 200, moved.text
    key = running["sources"][0]["key"]

    def post(name: str | None, comment: str, score: dict[str, Any] | None = None) -> str:
        body = negative()
        if score is not None:
            body["score"] = score
        body["customer"].update(name=name, locale="en-GB")
        if name is None:
            del body["customer"]["name"]
        body["comment"] = comment
        answer = requests.post(
            running.url("/v1/feedback"), json=body, headers={"Authorization": f"Bearer {key}"}, timeout=10
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["case_id"])

    open_case = post("Ada Lovelace", WAITING)
    answered = post("Ola Nordmann", "Nobody answered my emails for a week.")
    unnamed = post(None, "Die Rechnung war doppelt.", {"type": "thumbs", "value": "down"})
    auth = sign_in(running)
    change(running, auth, answered, "ack", {})
    resolved = change(
        running, auth, answered, "resolve", {"root_cause": "billing", "summary": "Corrected the invoice."}
    )
    due = datetime.fromisoformat(resolved["followup"]["scheduled_for"].replace("Z", "+00:00"))
    moved = requests.post(
        running.url("/_local/clock"),
        json={"set": (due + timedelta(minutes=6)).isoformat(), "catch_up": "last"},
        timeout=300,
    )
    assert moved.status_code == 200, moved.text
    sent = wait_for(lambda: [m for m in outbox(running, answered) if m["kind"] == "followup"], timeout=15)
    assert sent, outbox(running, answered)
    form_url = next(link for link in sent[0]["links"] if "/f/" in link)
    posted = requests.post(form_url, data={"score": "9", "satisfied": "yes", "comment": THANKS}, timeout=10)
    assert posted.status_code == 200, posted.text
    yield {"runtime": running, "open": open_case, "answered": answered, "unnamed": unnamed}
    runtime_launcher.stop(running)


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with chromium() as driver:
        yield driver


def at_width(browser: WebDriver, metrics: dict[str, Any]) -> None:
    browser.set_window_size(metrics["width"] + 130, metrics["height"] + 200)
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)


@pytest.mark.parametrize(("size", "metrics"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_the_queue_says_who_and_what_and_the_case_shows_the_answer(
    browser: WebDriver, lead_day: dict[str, Any], size: str, metrics: dict[str, Any]
) -> None:
    runtime: RuntimeProcess = lead_day["runtime"]
    at_width(browser, metrics)
    browser.get(runtime.url("/console"))
    browser.execute_script("sessionStorage.clear(); localStorage.clear(); location.hash = '#/';")
    browser.refresh()
    wait(browser, lambda b: b.find_element(By.NAME, "username"))
    sign_in_browser(browser, runtime)

    # WHEN the lead looks at the open queue
    row = queue_row(browser, lead_day["open"])
    # THEN Ada's row names her, with her score, the first words of her comment, channel and agent,
    # priority and countdown
    assert row.find_element(By.CSS_SELECTOR, ".row-who").text == "Ada Lovelace"
    assert row.find_element(By.CSS_SELECTOR, ".badge.score").text == "3 / 10 (NPS)"
    words = row.find_element(By.CSS_SELECTOR, ".row-comment").text
    assert words.startswith("Waited 40 minutes on the phone") and words.endswith("…")
    assert "Chat" in row.text and "mark" in row.text
    assert row.find_element(By.CSS_SELECTOR, ".badge.priority").text.startswith("P")
    assert row.find_element(By.CSS_SELECTOR, ".countdown").text.startswith("Acknowledge within")
    # AND a customer who gave no name is shown by their email, masked
    other = queue_row(browser, lead_day["unnamed"])
    assert other.find_element(By.CSS_SELECTOR, ".row-who").text == "a***@example.com"
    assert other.find_element(By.CSS_SELECTOR, ".row-comment").text == "Die Rechnung war doppelt."
    assert other.find_element(By.CSS_SELECTOR, ".badge.score").text == "thumbs down"
    no_sideways_overflow(browser)
    screenshot(browser, f"console-queue-{size}")

    # WHEN the lead opens Ola's resolved case
    browser.get(runtime.url(f"/console#/cases/{lead_day['answered']}"))
    wait(browser, lambda b: b.find_element(By.ID, "case-title").text == f"Case {lead_day['answered']}")
    outcome = browser.find_element(By.CSS_SELECTOR, "section[aria-labelledby=outcome-title]")
    # THEN the follow-up's answer is there in full, beside the first rating, with the change explained
    assert "NPS 3 → 9" in outcome.text
    assert "Satisfied with the resolution\nYes" in outcome.text
    assert browser.find_element(By.ID, "followup-comment").text == THANKS
    # AND every timeline event has a label and a real actor: the answer is the customer's
    events = browser.find_elements(By.CSS_SELECTOR, ".timeline li")
    labels = {e.get_attribute("data-kind"): e.find_element(By.TAG_NAME, "strong").text for e in events}
    assert all(label and "_" not in label and label != kind for kind, label in labels.items()), labels
    assert labels["customer_followup_sent"] == "Follow-up sent to the customer"
    actors = {e.get_attribute("data-kind"): e.find_element(By.CSS_SELECTOR, ".actor").text for e in events}
    assert actors["followup_answered"] == "by the customer"
    assert actors["customer_followup_sent"] == "automatic · follow-up"
    assert not [actor for actor in actors.values() if "system" in actor], actors
    no_sideways_overflow(browser)
    screenshot(browser, f"console-case-{size}")
