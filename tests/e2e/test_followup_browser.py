"""The customer's follow-up page (`/f/{code}`) in a real headless Chromium at phone size: it speaks the
customer's language, takes one answer by keyboard, and refuses a second one.

The cases are resolved through the API on a runtime of this module's own; the virtual clock then moves
three days on, and the follow-up links come from the outbox.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from tests.e2e.browser import chromium, wait
from tests.e2e.conftest import RuntimeProcess
from tests.e2e.test_alerts_http import negative, outbox, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]
MONDAY_MORNING = "2030-01-07T10:00:00Z"  # 11:00 in Oslo: inside every customer's contact hours


def change(runtime: RuntimeProcess, auth: dict[str, str], case_id: str, operation: str, body: Any) -> None:
    """One change with the current ETag; the alert and the customer's acknowledgement also change the
    case just after it opens, so a 412 means: read it again and retry."""
    for _ in range(5):
        etag = requests.get(runtime.url(f"/v1/cases/{case_id}"), headers=auth, timeout=10).headers["ETag"]
        answer = requests.post(
            runtime.url(f"/v1/cases/{case_id}/{operation}"),
            json=body,
            headers={**auth, "If-Match": etag},
            timeout=30,
        )
        if answer.status_code != 412:
            break
    assert answer.status_code == 200, answer.text


def resolve(runtime: RuntimeProcess, auth: dict[str, str], case_id: str) -> None:
    change(runtime, auth, case_id, "ack", {})
    change(runtime, auth, case_id, "actions", {"type": "apology", "text": "Called and apologised."})
    change(runtime, auth, case_id, "resolve", {"root_cause": "wait_time", "summary": "More chat staff."})


@pytest.fixture(scope="module")
def followup_links(runtime_launcher: Any) -> Iterator[dict[str, str]]:
    """{language: follow-up link} for a Norwegian and an English customer whose cases were resolved."""
    running = runtime_launcher.start()
    try:
        moved = requests.post(
            running.url("/_local/clock"), json={"set": MONDAY_MORNING, "catch_up": "last"}, timeout=60
        )
        assert moved.status_code == 200, moved.text
        login = requests.post(running.url("/v1/session"), json=running["console_login"], timeout=10)
        auth = {"Authorization": f"Bearer {login.json()['token']}"}
        key = running["sources"][0]["key"]
        cases = {}
        for language, locale in (("nb", "nb-NO"), ("en", "en-GB")):
            body = negative()
            body["customer"]["locale"] = locale
            created = requests.post(
                running.url("/v1/feedback"), json=body, headers={"Authorization": f"Bearer {key}"}, timeout=10
            )
            assert created.status_code == 201, created.text
            cases[language] = created.json()["case_id"]
            resolve(running, auth, cases[language])
        moved = requests.post(
            running.url("/_local/clock"),
            # each schedule once, at the end: the follow-up run sends whatever is due by then
            json={"advance_seconds": 3 * 24 * 3600 + 3600, "catch_up": "last"},
            timeout=300,
        )
        assert moved.status_code == 200, moved.text
        links = {}
        for language, case_id in cases.items():
            sent = wait_for(lambda c=case_id: [m for m in outbox(running, c) if m["kind"] == "followup"])
            assert sent, outbox(running, case_id)
            links[language] = next(link for link in sent[0]["links"] if "/f/" in link)
        yield links
    finally:
        runtime_launcher.stop(running)


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with chromium() as driver:
        yield driver


def answer_by_keyboard(browser: WebDriver, score: str, comment: str) -> None:
    """Choose the score and "yes" with the arrow keys and space, type a comment, and send with Enter."""
    first = browser.find_element(By.CSS_SELECTOR, 'input[name="score"]')
    browser.execute_script("arguments[0].focus()", first)
    keys = ActionChains(browser)
    for _ in range(int(score) - int(first.get_attribute("value") or 0)):
        keys.send_keys(Keys.ARROW_RIGHT)
    keys.send_keys(Keys.TAB, Keys.SPACE)  # the "satisfied" group: its first choice is yes
    keys.send_keys(Keys.TAB, comment, Keys.TAB, Keys.ENTER)
    keys.perform()


PAGES = {
    "nb": {
        "title": "Hvordan gjorde vi det?",
        "satisfied": "Er du fornøyd med hvordan vi løste dette?",
        "thanks": "Takk",
        "used": "Allerede besvart",
    },
    "en": {
        "title": "How did we do?",
        "satisfied": "Are you satisfied with how we resolved this?",
        "thanks": "Thank you",
        "used": "Already answered",
    },
}


@pytest.mark.parametrize("language", sorted(PAGES))
def test_the_followup_page_speaks_the_customers_language_and_takes_one_answer(
    browser: WebDriver, followup_links: dict[str, str], language: str
) -> None:
    words = PAGES[language]
    # GIVEN the follow-up link sent to the customer; WHEN they open it on their phone
    browser.get(followup_links[language])
    # THEN the page is in their language and asks the original scale again (NPS: 0 to 10)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == language
    assert browser.find_element(By.TAG_NAME, "h1").text == words["title"]
    legends = [legend.text for legend in browser.find_elements(By.TAG_NAME, "legend")]
    assert legends[1] == words["satisfied"]
    values = [radio.get_attribute("value") for radio in browser.find_elements(By.NAME, "score")]
    assert values == [str(value) for value in range(11)]
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390

    # WHEN they answer by keyboard alone
    answer_by_keyboard(browser, "9", "Much better now.")
    # THEN they are thanked
    wait(browser, lambda b: b.find_element(By.TAG_NAME, "h1").text == words["thanks"])

    # WHEN they open the link again, THEN it is refused as already answered, in their language
    browser.get(followup_links[language])
    assert browser.find_element(By.TAG_NAME, "h1").text == words["used"]
    assert browser.find_elements(By.TAG_NAME, "form") == []
