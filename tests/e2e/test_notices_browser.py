"""The case page in a real headless Chromium shows what owner notices are about: a channel the customer
cannot be reached on as a badge at once, and a customer's reply quoted as text (never markup)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.e2e.browser import chromium, wait
from tests.e2e.conftest import RuntimeProcess
from tests.e2e.test_console_browser import post_negative, sign_in
from tests.support import REGION

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]

HOSTILE = '<img src="x" onerror="window.pwned = 1">Still broken.\nSecond line'


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with chromium() as driver:
        yield driver


def append_event(
    runtime: RuntimeProcess, case_id: str, kind: str, actor: str, detail: dict[str, object]
) -> None:
    """A timeline event as the deliveries and inbound functions write it, into the runtime's table."""
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=runtime["moto_url"],
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    table = dynamodb.list_tables()["TableNames"][0]
    at = "2030-01-07T10:05:00.000000+0000"
    dynamodb.put_item(
        TableName=table,
        Item={
            "pk": {"S": f"CASE#{case_id}"},
            "sk": {"S": f"EVT#2030-01-07T10:05:00+00:00#{kind}#e2e"},
            "case_id": {"S": case_id},
            "kind": {"S": kind},
            "at": {"S": at},
            "actor": {"S": actor},
            "detail": {"S": json.dumps(detail)},
        },
    )


def test_the_case_shows_an_unreachable_channel_and_quotes_a_reply_as_text(
    browser: WebDriver, runtime: RuntimeProcess
) -> None:
    # GIVEN a case whose customer email bounced, and who then replied by SMS with markup in the text
    case_id = post_negative(runtime, "Waited 40 minutes.")
    append_event(runtime, case_id, "customer_unreachable", "system", {"channel": "email", "reason": "bounce"})
    reply = {"channel": "sms", "text": HOSTILE, "truncated": True}
    append_event(runtime, case_id, "customer_reply", "customer", reply)
    # WHEN the lead opens the case
    browser.get(runtime.url("/console"))
    browser.execute_script("sessionStorage.clear(); localStorage.clear(); location.hash = '#/';")
    browser.refresh()
    wait(browser, lambda b: b.find_element(By.NAME, "username"))
    sign_in(browser, runtime)
    browser.get(runtime.url(f"/console#/cases/{case_id}"))
    badge = wait(browser, lambda b: b.find_element(By.CSS_SELECTOR, ".badges .badge.unreachable"))
    # THEN the badge on top names the channel
    assert badge.text == "Unreachable by Email" and badge.get_attribute("data-channel") == "email"
    row = browser.find_element(By.CSS_SELECTOR, '.timeline li[data-kind="customer_unreachable"]')
    assert "The customer cannot be reached" in row.text and "the email bounced" in row.text
    # AND the reply is quoted exactly as written, as text: nothing in it became an element or ran
    quote = browser.find_element(By.CSS_SELECTOR, '.timeline li[data-kind="customer_reply"] blockquote.reply')
    assert quote.text.startswith('<img src="x" onerror="window.pwned = 1">Still broken.\nSecond line')
    assert "Shortened" in quote.text
    assert [child.tag_name for child in quote.find_elements(By.XPATH, "./*")] == ["span"]
    assert browser.execute_script("return window.pwned") is None
