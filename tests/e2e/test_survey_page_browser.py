"""The hosted feedback page (`/s/{source_id}`) in a real headless Chromium at phone size: the visitor
switches language with the page's own links, answers by keyboard, and a negative opens a case that the
leads are alerted about and that the cases API shows."""

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
from tests.e2e.test_alerts_http import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]
MONDAY_MORNING = "2030-01-07T10:00:00Z"  # leads are on duty


@pytest.fixture(scope="module")
def running(runtime_launcher: Any) -> Iterator[RuntimeProcess]:
    started = runtime_launcher.start()
    try:
        moved = requests.post(
            started.url("/_local/clock"), json={"set": MONDAY_MORNING, "catch_up": "last"}, timeout=60
        )
        assert moved.status_code == 200, moved.text
        yield started
    finally:
        runtime_launcher.stop(started)


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with chromium("en-US") as driver:
        yield driver


def alerted_cases(runtime: RuntimeProcess) -> set[str]:
    messages = requests.get(runtime.url("/_local/outbox.json"), timeout=10).json()
    return {message["case_id"] for message in messages if message["kind"] == "alert" and message["case_id"]}


def answer_by_keyboard(browser: WebDriver, score: int, comment: str) -> None:
    """Focus the first rating, move right with the arrow keys, type the comment and send with Enter
    from the last field."""
    first = browser.find_element(By.CSS_SELECTOR, 'input[name="score"]')
    browser.execute_script("arguments[0].focus()", first)
    keys = ActionChains(browser)
    keys.send_keys(Keys.SPACE)
    for _ in range(score):
        keys.send_keys(Keys.ARROW_RIGHT)
    keys.send_keys(Keys.TAB, comment, Keys.TAB, Keys.TAB, Keys.ENTER)
    keys.perform()


PAGES = {
    "de": {"title": "Wie waren wir?", "thanks": "Vielen Dank", "comment": "Niemand hat geantwortet."},
    "ja": {
        "title": "ご利用はいかがでしたか？",
        "thanks": "ありがとうございました",
        "comment": "40分待ちました。",
    },
}


@pytest.mark.parametrize("language", sorted(PAGES))
def test_the_page_switches_language_and_a_negative_opens_a_case(
    browser: WebDriver, running: RuntimeProcess, language: str
) -> None:
    words = PAGES[language]
    source = running["sources"][0]["id"]
    before = alerted_cases(running)
    # GIVEN the page from a QR code with a store, opened in an English browser
    browser.get(running.url(f"/s/{source}?store=oslo-1"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    # WHEN the visitor picks their language from the page's switcher
    browser.find_element(By.CSS_SELECTOR, f'nav a[hreflang="{language}"]').click()
    # THEN the page is in that language, fits the phone, and still carries the store
    wait(browser, lambda b: b.find_element(By.TAG_NAME, "html").get_attribute("lang") == language)
    assert browser.find_element(By.TAG_NAME, "h1").text == words["title"]
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390
    assert browser.find_element(By.CSS_SELECTOR, 'input[name="store"]').get_attribute("value") == "oslo-1"

    # WHEN they give a 2 out of 10 and a comment, by keyboard alone
    answer_by_keyboard(browser, 2, words["comment"])
    # THEN they are thanked in their language
    wait(browser, lambda b: b.find_element(By.TAG_NAME, "h1").text == words["thanks"])
    assert not [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]

    # AND a case was opened and the leads alerted about it
    new = wait_for(lambda: alerted_cases(running) - before, timeout=10)
    assert len(new) == 1, new
    login = requests.post(running.url("/v1/session"), json=running["console_login"], timeout=10)
    auth = {"Authorization": f"Bearer {login.json()['token']}"}
    case = requests.get(running.url(f"/v1/cases/{new.pop()}"), headers=auth, timeout=10)
    assert case.status_code == 200, case.text
    document = case.json()
    assert document["channel"] == "store" and document["status"] == "open"
    assert document["feedback"]["comment"] == words["comment"]
    assert document["feedback"]["score"] == {"type": "nps", "value": 2}
