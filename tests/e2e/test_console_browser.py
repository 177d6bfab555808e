"""The lead console in a real headless Chromium at phone size (390x844), against the embedded runtime:
sign in, find a negative in the queue, work it to resolved, by mouse and by keyboard, in two languages.

One browser for the module; each test starts from a signed-out page with empty storage.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select

from tests.e2e.browser import chromium, wait
from tests.e2e.conftest import RuntimeProcess
from tests.support import EVENTS

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with chromium() as driver:
        yield driver


@pytest.fixture
def console(browser: WebDriver, runtime: RuntimeProcess) -> WebDriver:
    """The console's sign-in page, signed out, with no remembered language."""
    # API Gateway routes /console/ to the /console route too; the page is the same at both.
    browser.get(runtime.url("/console"))
    browser.execute_script("sessionStorage.clear(); localStorage.clear(); location.hash = '#/';")
    browser.refresh()
    wait(browser, lambda b: b.find_element(By.NAME, "username"))
    browser.get_log("browser")  # start each test with an empty console log
    return browser


def post_negative(
    runtime: RuntimeProcess, comment: str, customer_id: str | None = None, **changes: Any
) -> str:
    """A negative posted through /v1/feedback; `changes` replace top-level fields or, with a `customer_`
    or `interaction_` prefix, fields of those objects (`customer_name="..."`)."""
    body: dict[str, Any] = json.loads(
        json.loads((EVENTS / "ingest_feedback_negative.json").read_text())["body"]
    )
    body["external_id"] = f"resp-{uuid.uuid4().hex[:10]}"
    body["customer"]["id"] = customer_id or f"cust-{uuid.uuid4().hex[:10]}"
    body["customer"]["locale"] = "en-GB"
    body.pop("occurred_at")
    body["comment"] = comment
    for name, value in changes.items():
        part, _, field = name.partition("_")
        if part in ("customer", "interaction"):
            body[part][field] = value
        else:
            body[name] = value
    key = runtime["sources"][0]["key"]
    answer = requests.post(
        runtime.url("/v1/feedback"), json=body, headers={"Authorization": f"Bearer {key}"}, timeout=10
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["case_id"])


def api_token(runtime: RuntimeProcess) -> str:
    answer = requests.post(runtime.url("/v1/session"), json=runtime["console_login"], timeout=10)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])


def sign_in(browser: WebDriver, runtime: RuntimeProcess) -> None:
    login = runtime["console_login"]
    browser.find_element(By.NAME, "username").send_keys(login["username"])
    browser.find_element(By.NAME, "password").send_keys(login["password"])
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait(browser, lambda b: b.find_element(By.CSS_SELECTOR, "section.queue h1"))


def queue_row(browser: WebDriver, case_id: str) -> WebElement:
    """The case's row in the queue, loading more pages while it is not on the ones shown."""
    selector = f'li.case-row[data-case-id="{case_id}"]'

    def found(driver: WebDriver) -> WebElement | bool:
        rows = driver.find_elements(By.CSS_SELECTOR, selector)
        if rows:
            return rows[0]
        more = driver.find_elements(By.CSS_SELECTOR, "button.more:not([hidden])")
        if more and more[0].is_enabled():
            more[0].click()
        return False

    return wait(browser, found, timeout=30)


def open_operation(browser: WebDriver, operation: str) -> WebElement:
    form = browser.find_element(By.CSS_SELECTOR, f'form[data-operation="{operation}"]')
    box = browser.execute_script("return arguments[0].closest('details')", form)
    if box is not None and not box.get_attribute("open"):
        box.find_element(By.TAG_NAME, "summary").click()
    return form


def notice(browser: WebDriver, expected: str) -> str:
    """The page's notice once it says `expected` (it replaces the one an earlier change left)."""

    def says(driver: WebDriver) -> str | bool:
        text = str(driver.find_element(By.CSS_SELECTOR, ".page-notice").text)
        return text if expected in text else False

    try:
        return str(wait(browser, says))
    except TimeoutException:
        shown = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".page-notice, .error") if e.text]
        raise AssertionError(f"no notice saying {expected!r}; the page shows {shown}") from None


def status_badge(browser: WebDriver) -> str:
    return str(browser.find_element(By.ID, "case-status").text)


def test_a_lead_works_a_negative_from_the_queue_to_resolved(
    console: WebDriver, runtime: RuntimeProcess
) -> None:
    # GIVEN a negative posted through /v1/feedback
    case_id = post_negative(runtime, "The parcel came two weeks late and nobody answered my emails.")

    # WHEN the lead signs in, THEN the queue shows it with its priority badge and a live countdown
    sign_in(console, runtime)
    assert console.execute_script("return window.innerWidth") == 390
    row = queue_row(console, case_id)
    assert re.fullmatch(r"P[1-4]", row.find_element(By.CSS_SELECTOR, ".badge.priority").text)
    countdown = row.find_element(By.CSS_SELECTOR, ".countdown")
    first = countdown.text
    assert re.fullmatch(r"Acknowledge within: (\d+:)?\d{1,2}:\d{2} left", first), first
    assert "breached" not in (countdown.get_attribute("class") or "")
    wait(console, lambda b: countdown.text != first, timeout=4)  # it ticks

    # WHEN the lead opens the case and acknowledges it
    row.find_element(By.TAG_NAME, "a").click()
    wait(console, lambda b: b.find_element(By.ID, "case-title").text == f"Case {case_id}")
    assert "two weeks late" in console.find_element(By.ID, "feedback-comment").text
    open_operation(console, "ack").find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    # THEN the page shows it acknowledged, and the recovery steps say so
    assert notice(console, "acknowledged") == "Case acknowledged."
    assert status_badge(console) == "Acknowledged"
    assert console.find_elements(By.CSS_SELECTOR, '[data-operation="ack"]') == []

    # WHEN the lead records a refund within the team's limit
    form = open_operation(console, "actions")
    Select(form.find_element(By.NAME, "type")).select_by_value("compensation")
    Select(form.find_element(By.NAME, "compensation_type")).select_by_value("refund")
    form.find_element(By.NAME, "amount").send_keys("25.00")
    currency = form.find_element(By.NAME, "currency")
    currency.clear()
    currency.send_keys("EUR")
    form.find_element(By.NAME, "text").send_keys("Refunded the shipping.")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    # THEN it is listed as granted
    assert notice(console, "saved") == "Action saved."
    granted = console.find_element(By.CSS_SELECTOR, '.compensations li[data-status="granted"]')
    assert "Refund" in granted.text and "25.00" in granted.text

    # WHEN the lead resolves it with a root cause and a summary
    form = open_operation(console, "resolve")
    Select(form.find_element(By.NAME, "root_cause")).select_by_value("delivery")
    form.find_element(By.NAME, "summary").send_keys("Apologised, refunded the shipping, parcel delivered.")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    # THEN the page shows it resolved, with the fix step done, and the API agrees
    assert notice(console, "resolved").startswith("Case resolved.")
    assert status_badge(console) == "Resolved"
    assert "done" in console.find_element(By.CSS_SELECTOR, '.steps li[data-step="fix"]').get_attribute(
        "class"
    )
    assert console.find_elements(By.CSS_SELECTOR, '[data-operation="reopen"]')
    token = api_token(runtime)
    stored = requests.get(
        runtime.url(f"/v1/cases/{case_id}"), headers={"Authorization": f"Bearer {token}"}, timeout=10
    ).json()
    assert stored["status"] == "resolved" and stored["resolution"]["root_cause"] == "delivery"
    assert [c["status"] for c in stored["compensations"]] == ["granted"]
    # AND nothing failed in the page along the way: no script error, nothing the policy refused
    assert [entry["message"] for entry in console.get_log("browser") if entry["level"] == "SEVERE"] == []


def test_sign_in_works_by_keyboard_alone(console: WebDriver, runtime: RuntimeProcess) -> None:
    login = runtime["console_login"]
    # GIVEN the sign-in page: focus starts in the user name field (once the page has rendered). Whether the
    # ring shows before any key is pressed depends on the window having focus, so it is checked after Tab.
    assert wait(console, lambda b: b.switch_to.active_element.get_attribute("name") == "username")
    # WHEN the lead types, tabs to the password and to the button, and presses Enter
    keys = ActionChains(console)
    keys.send_keys(login["username"]).send_keys(Keys.TAB).send_keys(login["password"]).send_keys(Keys.TAB)
    keys.perform()
    button = console.switch_to.active_element
    assert (button.tag_name, button.get_attribute("type")) == ("button", "submit")
    assert button.value_of_css_property("outline-style") != "none"  # a visible focus ring
    ActionChains(console).send_keys(Keys.ENTER).perform()
    # THEN the queue opens with its heading focused, and its tabs are links reachable by Tab
    heading = wait(console, lambda b: b.find_element(By.CSS_SELECTOR, "section.queue h1"))
    assert console.switch_to.active_element == heading
    ActionChains(console).send_keys(Keys.TAB).perform()
    assert console.switch_to.active_element.tag_name == "a"


def test_a_token_the_api_refuses_goes_back_to_sign_in(console: WebDriver) -> None:
    # GIVEN a tab holding a token the API does not accept (expired, revoked, or forged)
    console.execute_script(
        "sessionStorage.setItem('recovery.token', 'eyJhbGciOiJub25lIn0.e30.');"
        "sessionStorage.setItem('recovery.expires', String(Date.now() + 3600000));"
        "sessionStorage.setItem('recovery.user', 'kari');"
    )
    # WHEN the console loads and calls the API
    console.refresh()
    # THEN the 401 brings back the sign-in page, says why, and the token is gone
    note = wait(console, lambda b: b.find_element(By.CSS_SELECTOR, "form .notice"))
    assert note.text == "Your session has ended. Please sign in again."
    assert console.execute_script("return sessionStorage.getItem('recovery.token')") is None
    assert console.find_elements(By.CSS_SELECTOR, "section.queue") == []


def test_a_hostile_comment_is_shown_as_text(console: WebDriver, runtime: RuntimeProcess) -> None:
    # GIVEN a customer whose comment is markup (and who failed before: a repeat failure, at P1)
    customer = f"cust-{uuid.uuid4().hex[:10]}"
    post_negative(runtime, "First time it went wrong.", customer)
    hostile = '<script>window.pwned = 1</script><img src="x" onerror="window.pwned = 2"><b>bold</b>'
    case_id = post_negative(runtime, hostile, customer)
    # WHEN the lead opens the case
    sign_in(console, runtime)
    console.get(runtime.url(f"/console#/cases/{case_id}"))
    comment = wait(console, lambda b: b.find_element(By.ID, "feedback-comment"))
    # THEN the comment reads exactly as typed, and none of it ran or became an element
    assert comment.text == hostile
    assert comment.find_elements(By.XPATH, "./*") == []
    assert console.execute_script("return window.pwned") is None
    badges = console.find_element(By.CSS_SELECTOR, ".badges").text
    assert "P1" in badges and "Repeat failure" in badges
    assert "First time it went wrong." in console.find_element(By.CSS_SELECTOR, "ul.history").text


# The x position of each character of an element's first text node, in the order the text holds them:
# where a person sees each one. A right-to-left override lays what follows it out from right to left.
CHARACTER_POSITIONS = """
const node = arguments[0].firstChild;
const range = document.createRange();
const positions = [];
for (let index = 0; index < node.data.length; index += 1) {
  range.setStart(node, index);
  range.setEnd(node, index + 1);
  positions.push([node.data[index], range.getBoundingClientRect().left]);
}
return positions;
"""
# The console's own `shown` (text.js), run in the page on each sample.
CONSOLE_SHOWN = """
const [samples, done] = arguments;
import("/console/text.js").then((module) => done(samples.map((sample) => module.shown(sample))));
"""
SAMPLES = [
    "invoice\u202efdp.exe",
    "Ada\u200bLovelace",
    "a\u202a\u202b\u2066b\u2069",
    "\ufeffx\u2060y\u061cz\u200e\u200f",
    "pay\u200cpal \u200dstart",
    "👩\u200d💻 می\u200cخواهم क्\u200dष",
    "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f \U000e0068\U000e0069",
    "line\r\nnext\u2028last\ttab",
    "soft\u00adhyphen bell\x07 c1\x85",
    "Ærlig talt: 50€ 日本語",
]


def test_a_comment_that_reverses_itself_shows_what_it_holds(
    console: WebDriver, runtime: RuntimeProcess
) -> None:
    from recovery.domain.text import shown

    # GIVEN a comment whose right-to-left override makes "invoice<RLO>fdp.exe" look like
    # "invoiceexe.pdf", from a customer whose name hides a zero width space and is filed under a tag
    # holding an override, by a right-to-left agent name
    comment = "invoice\u202efdp.exe"
    case_id = post_negative(
        runtime,
        comment,
        customer_name="Ada\u200bLovelace",
        interaction_agent="אבי\u202e",
        tags=["refund\u202eed", "late"],
    )
    # WHEN the lead opens the case
    sign_in(console, runtime)
    console.get(runtime.url(f"/console#/cases/{case_id}"))
    element = wait(console, lambda b: b.find_element(By.ID, "feedback-comment"))
    console.execute_script("arguments[0].closest('section').scrollIntoView()", element)
    console.save_screenshot("/tmp/console-reversed-comment.png")  # to look at by eye
    # THEN the lead sees "invoice", a marker where the override was, then "fdp.exe", in that order
    assert element.text == "invoice\ufffdfdp.exe"
    assert console.execute_script("return arguments[0].innerText", element) == "invoice\ufffdfdp.exe"
    positions = console.execute_script(CHARACTER_POSITIONS, element)
    assert "".join(char for char, _ in positions) == "invoice\ufffdfdp.exe"
    lefts = [left for _, left in positions]
    assert lefts == sorted(lefts), positions  # laid out left to right, nothing reversed
    # AND the comment is isolated from what is around it: its own direction, its own bidi paragraph
    assert element.get_attribute("dir") == "auto"
    assert element.value_of_css_property("unicode-bidi") == "isolate"
    # AND the name, the agent and the tags each show their marker, each in its own <bdi>
    isolated = [bdi.text for bdi in console.find_elements(By.CSS_SELECTOR, "dl.facts dd bdi")]
    assert "Ada\ufffdLovelace" in isolated and "אבי\ufffd" in isolated
    assert "refund\ufffded" in isolated and "late" in isolated
    # AND no override, isolate or zero width character is anywhere on the page
    page = console.execute_script("return document.body.textContent")
    assert not set(page) & set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200e\u200f")
    # AND the console's rules are the server's: the same samples give the same text
    console.set_script_timeout(10)
    assert console.execute_async_script(CONSOLE_SHOWN, SAMPLES) == [shown(sample) for sample in SAMPLES]
    # AND the API still returns what the customer sent, exactly
    token = api_token(runtime)
    stored = requests.get(
        runtime.url(f"/v1/cases/{case_id}"), headers={"Authorization": f"Bearer {token}"}, timeout=10
    ).json()
    assert stored["feedback"]["comment"] == comment
    assert stored["customer"]["name"] == "Ada\u200bLovelace"
    assert [entry["message"] for entry in console.get_log("browser") if entry["level"] == "SEVERE"] == []


def test_a_stale_page_says_the_case_changed_and_reloads(console: WebDriver, runtime: RuntimeProcess) -> None:
    # GIVEN a case open in the console
    case_id = post_negative(runtime, "Nobody called back.")
    sign_in(console, runtime)
    console.get(runtime.url(f"/console#/cases/{case_id}"))
    wait(console, lambda b: b.find_element(By.CSS_SELECTOR, '[data-operation="ack"]'))
    # WHEN someone else adds a note meanwhile, and then the lead acknowledges from the old page
    token = api_token(runtime)
    headers = {"Authorization": f"Bearer {token}"}
    etag = requests.get(runtime.url(f"/v1/cases/{case_id}"), headers=headers, timeout=10).headers["ETag"]
    noted = requests.post(
        runtime.url(f"/v1/cases/{case_id}/actions"),
        json={"type": "note", "text": "Called, no answer."},
        headers={**headers, "If-Match": etag},
        timeout=10,
    )
    assert noted.status_code == 200, noted.text
    open_operation(console, "ack").find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    # THEN the 412 is explained, the page reloads with the note, and nothing was acknowledged
    assert "reloaded" in notice(console, "changed meanwhile")
    assert "Called, no answer." in console.find_element(By.CSS_SELECTOR, ".timeline").text
    assert status_badge(console) == "Open"


def test_the_console_speaks_norwegian_and_remembers_it(console: WebDriver, runtime: RuntimeProcess) -> None:
    # WHEN the lead picks Norsk bokmål on the sign-in page
    Select(console.find_element(By.ID, "language")).select_by_value("nb")
    # THEN the labels are Norwegian
    wait(console, lambda b: b.find_element(By.CSS_SELECTOR, "form h1").text == "Logg inn")
    labels = [label.text for label in console.find_elements(By.CSS_SELECTOR, "form label")]
    assert labels == ["Brukernavn eller e-post", "Passord"]
    assert console.find_element(By.TAG_NAME, "html").get_attribute("lang") == "nb"
    # AND after a reload and sign-in, the queue is in Norwegian too
    console.refresh()
    wait(console, lambda b: b.find_element(By.CSS_SELECTOR, "form h1").text == "Logg inn")
    sign_in(console, runtime)
    assert console.find_element(By.CSS_SELECTOR, "section.queue h1").text.startswith("Saker for ")
    tabs = [tab.text for tab in console.find_elements(By.CSS_SELECTOR, "nav.tabs a")]
    assert tabs == ["Åpne", "Påtatt", "Løst"]
    assert console.find_element(By.ID, "sign-out").text == "Logg ut"


def test_an_admin_reads_a_sources_delivery_log(console: WebDriver, runtime: RuntimeProcess) -> None:
    from datetime import UTC, datetime

    import boto3

    from recovery.sources import config, signatures
    from tests.e2e.test_hooks_http import DEMO, demo_source, typeform_body
    from tests.support import REGION

    # GIVEN a signed delivery to the demo Typeform hook, and a tampered copy of another
    source = demo_source(runtime)
    now = requests.get(runtime.url("/_local/clock"), timeout=10).json()["now"]
    raw = typeform_body(now, uuid.uuid4().hex)
    spec = config.parse_source(
        {"id": DEMO, "name": "x", "preset": "typeform", "options": {"score_ref": "nps"}}
    )
    headers = {"Content-Type": "application/json"}
    headers |= signatures.sign(
        config.resolve(spec).signature, source["secret"], raw, headers, datetime.now(UTC)
    )
    accepted = requests.post(source["hook_url"], data=raw, headers=headers, timeout=30)
    assert accepted.status_code == 201, accepted.text
    case_id = accepted.json()["case_id"]
    tampered = typeform_body(now, uuid.uuid4().hex)
    refused = requests.post(source["hook_url"], data=tampered, headers=headers, timeout=30)
    assert refused.status_code == 401, refused.text
    # AND Kari, a lead who is not an admin, does not see Sources in the console
    sign_in(console, runtime)
    assert not console.find_element(By.ID, "nav-sources").is_displayed()
    console.find_element(By.ID, "sign-out").click()
    wait(console, lambda b: b.find_element(By.NAME, "username"))
    # WHEN she is made an admin and signs in again
    cognito = boto3.client(
        "cognito-idp",
        endpoint_url=runtime["moto_url"],
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    pool_id = cognito.list_user_pools(MaxResults=10)["UserPools"][0]["Id"]
    username = runtime["console_login"]["username"]
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName="admin")
    try:
        sign_in(console, runtime)
        # THEN Sources is in the nav, and opens by keyboard to the list of sources
        link = wait(
            console,
            lambda b: (
                b.find_element(By.ID, "nav-sources").is_displayed() and b.find_element(By.ID, "nav-sources")
            ),
        )
        link.send_keys(Keys.ENTER)
        row = wait(
            console, lambda b: b.find_element(By.CSS_SELECTOR, f'li.source-row[data-source-id="{DEMO}"]')
        )
        assert source["hook_url"] in row.text and source["secret"] not in console.page_source
        row.find_element(By.TAG_NAME, "a").send_keys(Keys.ENTER)
        # AND the delivery log shows the refused copy first with its reason, then the accepted one
        entries = wait(
            console,
            lambda b: (
                len(b.find_elements(By.CSS_SELECTOR, "li.delivery-row")) >= 2
                and b.find_elements(By.CSS_SELECTOR, "li.delivery-row")
            ),
        )
        assert entries[0].get_attribute("data-outcome") == "refused"
        assert "bad signature" in entries[0].find_element(By.CSS_SELECTOR, ".reason").text
        assert "401" in entries[0].text
        assert entries[1].get_attribute("data-outcome") == "created" and "201" in entries[1].text
        # AND the accepted delivery links to its case, which the admin can open
        entries[1].find_element(By.CSS_SELECTOR, f'a[href="#/cases/{case_id}"]').click()
        wait(console, lambda b: b.find_element(By.ID, "case-status"))
        assert case_id in console.find_element(By.TAG_NAME, "h1").text
        assert [entry for entry in console.get_log("browser") if entry["level"] == "SEVERE"] == []
    finally:
        cognito.admin_remove_user_from_group(UserPoolId=pool_id, Username=username, GroupName="admin")
