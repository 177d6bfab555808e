"""The acknowledge page (`/a/{code}`) in a real headless Chromium, at phone size (390 px) and desktop size:
it speaks the lead's language, shows the score and the comment and the deadline on the lead's clock, fits
the screen, and after acknowledging links into the case in the console. Screenshots of both pages at
both sizes are saved as ack-confirm-<size>.png and ack-done-<size>.png (in docs/screenshots/ under
`make screenshots`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.e2e.browser import at_size, chromium, no_sideways_overflow, screenshot, wait
from tests.e2e.conftest import RuntimeProcess
from tests.e2e.test_alerts_http import outbox, wait_for
from tests.support import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]
MONDAY_MORNING = "2030-01-07T10:00:00Z"  # 11:00 in Oslo
SIZES = {
    "phone": {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True},
    "desktop": {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False},
}
COMMENT = "Ventet i 40 minutter og ingen svarte. Bestillingen cs_0123456789abcdef0123456789abcdef kom aldri."


def post_negative(runtime: RuntimeProcess) -> str:
    body: dict[str, Any] = json.loads(
        json.loads((ROOT / "events" / "ingest_feedback_negative.json").read_text())["body"]
    )
    body.update(external_id=f"resp-{uuid.uuid4().hex[:10]}", comment=COMMENT)
    body["customer"]["id"] = f"cust-{uuid.uuid4().hex[:10]}"
    body.pop("occurred_at")
    key = runtime["sources"][0]["key"]
    answer = requests.post(
        runtime.url("/v1/feedback"), json=body, headers={"Authorization": f"Bearer {key}"}, timeout=30
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["case_id"])


def ack_link(runtime: RuntimeProcess, case_id: str) -> str:
    def found() -> str | None:
        emails = [m for m in outbox(runtime, case_id) if m["kind"] == "alert" and m["channel"] == "email"]
        return next((url for m in emails for url in m["links"] if "/a/" in url), None)

    link = wait_for(found, timeout=10)
    assert isinstance(link, str)
    return link


@pytest.fixture(scope="module")
def site(runtime_launcher: Any) -> Iterator[dict[str, Any]]:
    """A runtime at a Monday morning with one open case for Kari (nb, Oslo) per screen size."""
    running = runtime_launcher.start()
    try:
        moved = requests.post(
            running.url("/_local/clock"), json={"set": MONDAY_MORNING, "catch_up": "last"}, timeout=60
        )
        assert moved.status_code == 200, moved.text
        cases = {size: post_negative(running) for size in SIZES}
        yield {
            "runtime": running,
            "cases": cases,
            "links": {s: ack_link(running, c) for s, c in cases.items()},
        }
    finally:
        runtime_launcher.stop(running)


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with chromium("en-US") as driver:  # the browser asks for English: the page speaks Kari's Norwegian
        yield driver


@pytest.mark.parametrize("size", list(SIZES))
def test_the_ack_page_in_the_leads_language_then_into_the_console(
    site: dict[str, Any], browser: WebDriver, size: str
) -> None:
    runtime: RuntimeProcess = site["runtime"]
    case_id = site["cases"][size]
    at_size(browser, SIZES[size])
    # GIVEN Kari's acknowledge link WHEN she opens it
    browser.get(site["links"][size])
    wait(browser, lambda b: b.find_element(By.CSS_SELECTOR, "form button"))
    # THEN the page is Norwegian, with the score, the comment and the deadline in Oslo time
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "nb"
    text = browser.find_element(By.TAG_NAME, "body").text
    assert "Vurdering" in text and "NPS 3/10" in text
    assert "Ventet i 40 minutter og ingen svarte." in text
    assert "2030-01-07 11:15 CET" in text and "UTC" not in text
    no_sideways_overflow(browser)
    assert screenshot(browser, f"ack-confirm-{size}").stat().st_size > 5000

    # WHEN she acknowledges
    browser.find_element(By.CSS_SELECTOR, "form button").click()
    link = wait(browser, lambda b: b.find_element(By.CSS_SELECTOR, "a.button"))
    # THEN the case is hers, and the console's page of the case is one tap away
    assert "Eskaleringen er stoppet" in browser.find_element(By.TAG_NAME, "body").text
    assert link.text == "Åpne saken i konsollen"
    assert link.get_attribute("href") == f"{runtime['api_url']}/console/#/cases/{case_id}"
    no_sideways_overflow(browser)
    assert screenshot(browser, f"ack-done-{size}").stat().st_size > 3000
    case = [m for m in outbox(runtime, case_id) if m["kind"] == "escalation"]
    assert case == []
