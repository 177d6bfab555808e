"""Every page and every kind of email at phone size (390x844) and desktop size (1280x800), in a real
headless Chromium: nothing is wider than the screen, and each is saved as a screenshot under
docs/screenshots/ under `make screenshots` (`<page>-phone.png`, `<page>-desktop.png`) for people to look at.

One runtime of this module's own, its clock on a Monday morning. The pages' links come from the outbox:
- case A (a Norwegian customer) is left open: its alert (ack link `/a/`), its customer acknowledgement
  (unsubscribe link `/u/`), and, three days on, its escalation;
- case C is resolved, and three days on its follow-up goes out (link `/f/`);
- case B, then, is acknowledged and gets a refund above the lead's limit (an approval email, link `/c/`)
  and a message to the customer, who answers it: the lead's notice of the reply.
The weekly digest and the anomaly alert depend on a week of history and a spike; they are rendered by
their renderers with realistic values instead.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from recovery.domain.metrics import PeriodChange
from recovery.notify.anomaly import AnomalyContext, render_anomaly
from recovery.notify.digest import DigestContext, Figure, NearCase, render_digest
from tests.e2e.browser import SCREENSHOTS as SHOTS
from tests.e2e.browser import chromium, wait
from tests.e2e.conftest import RuntimeLauncher, RuntimeProcess
from tests.e2e.test_alerts_http import wait_for
from tests.e2e.test_closed_loop_http import sign_in
from tests.support import EVENTS

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]
MONDAY_MORNING = "2030-01-07T10:00:00Z"  # 11:00 in Oslo: inside every customer's contact hours
SIZES = {
    "phone": {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True},
    "desktop": {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False},
}
LONGEST_SHOT = 5000  # px: a full page, cut there
CHART_ANIMATION_SECONDS = 1.5  # the charts grow into place
EMAIL_KINDS = ("alert", "escalation", "customer_ack", "followup", "approval", "message", "notice")


@dataclass
class Site:
    runtime: RuntimeProcess
    pages: dict[str, str]  # name -> URL
    emails: dict[str, str]  # kind -> HTML


def post_negative(runtime: RuntimeProcess, locale: str, name: str) -> str:
    body: dict[str, Any] = json.loads(
        json.loads((EVENTS / "ingest_feedback_negative.json").read_text())["body"]
    )
    body["external_id"] = f"resp-{uuid.uuid4().hex[:10]}"
    body["customer"].update(id=f"cust-{uuid.uuid4().hex[:10]}", locale=locale, name=name)
    body.pop("occurred_at")
    key = runtime["sources"][0]["key"]
    answer = requests.post(
        runtime.url("/v1/feedback"), json=body, headers={"Authorization": f"Bearer {key}"}, timeout=30
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["case_id"])


def sent(runtime: RuntimeProcess, case_id: str, kind: str) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        messages = requests.get(runtime.url("/_local/outbox.json"), timeout=10).json()
        return next(
            (
                m
                for m in messages
                if m["case_id"] == case_id and m["kind"] == kind and m["channel"] == "email"
            ),
            None,
        )

    message = wait_for(found, timeout=30)
    assert message, f"no {kind} email for {case_id}"
    return dict(message)


def change(runtime: RuntimeProcess, auth: dict[str, str], case_id: str, operation: str, body: Any) -> None:
    """One change with the current ETag; the alert and the customer's acknowledgement also change a case
    just after it opens, so a 412 means: read it again and retry."""
    for _ in range(10):
        etag = requests.get(runtime.url(f"/v1/cases/{case_id}"), headers=auth, timeout=10).headers["ETag"]
        answer = requests.post(
            runtime.url(f"/v1/cases/{case_id}/{operation}"),
            json=body,
            headers={**auth, "If-Match": etag},
            timeout=30,
        )
        if answer.status_code != 412:
            break
    assert answer.status_code in (200, 202), answer.text


def link(message: dict[str, Any], prefix: str) -> str:
    return next(url for url in message["links"] if f"/{prefix}/" in url)


def move_clock(runtime: RuntimeProcess, **how: Any) -> None:
    moved = requests.post(runtime.url("/_local/clock"), json={**how, "catch_up": "last"}, timeout=300)
    assert moved.status_code == 200, moved.text


def digest_html(console: str) -> str:
    now = datetime(2030, 1, 13, 18, 0, tzinfo=UTC)
    case = "cs_3fe996ac62b232ad8b7b150b"
    return render_digest(
        DigestContext(
            team="Support EMEA",
            recipient_name="Kari Nordmann",
            language="nb",
            timezone="Europe/Oslo",
            week_from=date(2030, 1, 7),
            week_to=date(2030, 1, 13),
            now=now,
            figures=[
                Figure("negative_rate", "share", 0.15, 0.125, PeriodChange(0.025, 0.2), "down"),
                Figure("alert_p90_s", "seconds", 13.0, 20.0, PeriodChange(-7, -0.35), "down"),
                Figure("volume", "count", 412, 380, PeriodChange(32, 0.08), None),
            ],
            compensation=[
                Figure(
                    "compensation",
                    "money",
                    Decimal("260.00"),
                    Decimal("90"),
                    PeriodChange(170, 1.9),
                    None,
                    "EUR",
                )
            ],
            anomalies=[
                {
                    "dimension": "tag",
                    "value": "checkout-payment-timeouts",
                    "since": "2030-01-10T09:00:00Z",
                    "open": True,
                    "rate": 0.4,
                    "limit": 0.2,
                    "marker": {"component": "checkout", "version": "2.3.1", "at": "2030-01-10T08:30:00Z"},
                }
            ],
            cases=[
                NearCase(case, 1, "ack", now - timedelta(minutes=5), f"{console}#/cases/{case}"),
                NearCase(
                    case[:-1] + "c", 2, "resolve", now + timedelta(hours=2), f"{console}#/cases/{case}c"
                ),
            ],
            console_url=console,
        )
    ).html


def anomaly_html(console: str) -> str:
    return render_anomaly(
        AnomalyContext(
            team="Support EMEA",
            dimension="tag",
            value="checkout-payment-timeouts",
            hour=datetime(2030, 1, 10, 8, 0, tzinfo=UTC),
            timezone="Europe/Oslo",
            rate=0.42,
            limit=0.2,
            centre=0.11,
            negatives=21,
            volume=50,
            dashboard_url=f"{console}#/dashboard?team=support-emea&group=tag%3Acheckout-payment-timeouts",
            recipient_name="Kari Nordmann",
            language="nb",
            window_hours=3,
            clear_hours=2,
            cause_component="checkout",
            cause_version="2.3.1",
            cause_at=datetime(2030, 1, 10, 7, 30, tzinfo=UTC),
        )
    ).html


@pytest.fixture(scope="module")
def site(runtime_launcher: RuntimeLauncher) -> Iterator[Site]:
    runtime = runtime_launcher.start()
    try:
        move_clock(runtime, set=MONDAY_MORNING)
        auth = sign_in(runtime)
        case_a = post_negative(runtime, "nb-NO", "Ingrid Bakken-Solheim")
        case_b = post_negative(runtime, "en-GB", "Alexandra Montgomery-Fitzgerald")
        case_c = post_negative(runtime, "en-GB", "Sam Lee")
        alert, ack = sent(runtime, case_a, "alert"), sent(runtime, case_a, "customer_ack")
        # C: resolved; three days on, its follow-up goes out (and A, never acknowledged, has escalated)
        change(runtime, auth, case_c, "ack", {})
        change(runtime, auth, case_c, "actions", {"type": "apology", "text": "Called and apologised."})
        change(runtime, auth, case_c, "resolve", {"root_cause": "wait_time", "summary": "More chat staff."})
        move_clock(runtime, advance_seconds=3 * 24 * 3600 + 3600)
        followup, escalation = sent(runtime, case_c, "followup"), sent(runtime, case_a, "escalation")
        # B, after the move so that its links are fresh: a refund above the lead's limit asks a level-2
        # contact to approve; a message goes to the customer
        auth = sign_in(runtime)
        change(runtime, auth, case_b, "ack", {})
        refund = {"type": "refund", "amount": "200.00", "currency": "EUR"}
        change(runtime, auth, case_b, "actions", {"type": "compensation", "compensation": refund})
        approval = sent(runtime, case_b, "approval")
        body = {
            "channel": "email",
            "subject": "Your wait on Monday",
            "text": "We have added staff to the queue.",
        }
        change(runtime, auth, case_b, "messages", body)
        message = sent(runtime, case_b, "message")
        reply = {
            "channel": "email",
            "from": "a@example.com",
            "to": message["reply_to"],
            "subject": "Re: Your wait on Monday",
            "text": "Thank you, that helps. The app still logs me out every few minutes, though.\n\n"
            "On Mon, 7 Dec 2026 at 09:30, Support EMEA <support@example.com> wrote:\n"
            "> We have added staff to the queue.\n",
        }
        assert requests.post(runtime.url("/_local/inbound"), json=reply, timeout=30).status_code == 202
        notice = sent(runtime, case_b, "notice")
        console = runtime.url("/console/")
        pages = {
            "survey": runtime.url(f"/s/{runtime['sources'][0]['id']}"),
            "followup": link(followup, "f"),
            "ack": link(alert, "a"),
            "approval": link(approval, "c"),
            "unsubscribe": link(ack, "u"),
            "outbox": runtime.url("/_local/outbox"),
        }
        emails = {
            "alert": alert["html"],
            "escalation": escalation["html"],
            "customer_ack": ack["html"],
            "followup": followup["html"],
            "approval": approval["html"],
            "message": message["html"],
            "notice": notice["html"],
            "digest": digest_html(console),
            "anomaly": anomaly_html(console),
        }
        yield Site(runtime, pages, emails)
    finally:
        runtime_launcher.stop(runtime)


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with chromium() as driver:
        yield driver


def at_size(browser: WebDriver, size: str) -> None:
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", SIZES[size])


def overflow(browser: WebDriver) -> int:
    """How many px the page is wider than the screen (0: it fits)."""
    return int(
        browser.execute_script(
            "const e = document.documentElement; return Math.max(0, e.scrollWidth - e.clientWidth);"
        )
    )


def content_overflow(browser: WebDriver) -> list[str]:
    """Visible elements whose box ends right of the viewport (an email's clipped table counts too)."""
    return list(
        browser.execute_script(
            """
            const width = document.documentElement.clientWidth;
            return [...document.body.querySelectorAll('*')]
              .filter((e) => e.getClientRects().length && e.getBoundingClientRect().right > width + 0.5)
              .map((e) => `${e.tagName.toLowerCase()} ${Math.round(e.getBoundingClientRect().right)}px: `
                          + (e.textContent || '').trim().slice(0, 40));
            """
        )
    )


def shoot(browser: WebDriver, name: str, size: str) -> Path:
    """The whole page (up to LONGEST_SHOT px) as <name>-<size>.png in the screenshots folder: the screen is
    made as tall as the page for the shot (frames below the fold are painted only on the screen)."""
    screen = SIZES[size]
    height = min(
        LONGEST_SHOT,
        max(
            int(screen["height"]), int(browser.execute_script("return document.documentElement.scrollHeight"))
        ),
    )
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**screen, "height": height})
    try:
        wait(browser, lambda b: b.execute_script("return document.readyState") == "complete")
        shot = browser.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
    finally:
        at_size(browser, size)
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}-{size}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def check_page(browser: WebDriver, name: str) -> None:
    """At each size: nothing wider than the screen; then a screenshot."""
    for size in SIZES:
        at_size(browser, size)
        browser.execute_script("window.scrollTo(0, 0)")
        assert overflow(browser) == 0, f"{name} at {size} is {overflow(browser)} px too wide"
        shoot(browser, name, size)


def settled(browser: WebDriver) -> bool:
    """A console view has drawn: a heading, no loading line."""
    return bool(
        browser.execute_script(
            "return !!document.querySelector('main h1') && !document.querySelector('main .loading')"
        )
    )


def test_the_console_pages_fit_a_phone_and_a_desktop(browser: WebDriver, site: Site) -> None:
    runtime = site.runtime
    at_size(browser, "phone")
    browser.get(runtime.url("/console/"))
    browser.execute_script("sessionStorage.clear(); localStorage.clear(); location.hash = '#/';")
    browser.refresh()
    wait(browser, lambda b: b.find_element(By.NAME, "username"))
    check_page(browser, "console-signin")
    login = runtime["console_login"]
    browser.find_element(By.NAME, "username").send_keys(login["username"])
    browser.find_element(By.NAME, "password").send_keys(login["password"])
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait(browser, lambda b: b.find_element(By.CSS_SELECTOR, "li.case-row"))
    check_page(browser, "console-queue")
    case_id = browser.find_element(By.CSS_SELECTOR, "li.case-row").get_attribute("data-case-id")
    for name, view, drawn in (
        ("console-case", f"#/cases/{case_id}", "main h1"),
        ("console-dashboard", "#/dashboard?team=support-emea", "#anomalies"),  # the last part drawn
        ("console-sources", "#/sources", "main h1"),
    ):
        at_size(browser, "phone")
        browser.execute_script("location.hash = arguments[0]", view)
        wait(browser, lambda b, css=drawn: settled(b) and b.find_elements(By.CSS_SELECTOR, css), timeout=30)
        if name == "console-dashboard":
            time.sleep(CHART_ANIMATION_SECONDS)
        check_page(browser, name)
    # A count reads in the language's plural form: "1 case shown", never "1 cases shown".
    words = browser.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        import('/console/i18n.js').then(async (i18n) => {
          const said = [];
          for (const code of ['en', 'nb', 'de']) {
            await i18n.setLanguage(code);
            said.push(i18n.t('queue.loaded', { count: 1 }), i18n.t('queue.loaded', { count: 3 }));
          }
          await i18n.setLanguage('en');
          done(said);
        });
        """
    )
    assert words == [
        "1 case shown.",
        "3 cases shown.",
        "1 sak vises.",
        "3 saker vises.",
        "1 Fall angezeigt.",
        "3 Fälle angezeigt.",
    ]


@pytest.mark.parametrize("name", ["survey", "followup", "ack", "approval", "unsubscribe", "outbox"])
def test_each_page_fits_a_phone_and_a_desktop(browser: WebDriver, site: Site, name: str) -> None:
    at_size(browser, "phone")
    browser.get(site.pages[name])
    wait(browser, lambda b: b.find_element(By.TAG_NAME, "h1"))
    check_page(browser, name)
    if name in ("survey", "followup"):
        # the 0-10 scale is one row of eleven at phone size, not 6 + 5
        at_size(browser, "phone")
        tops = browser.execute_script(
            "return [...document.querySelectorAll('input[name=score] + span')]"
            ".map((e) => Math.round(e.getBoundingClientRect().top))"
        )
        assert len(tops) == 11 and len(set(tops)) == 1, tops
    if name == "outbox":
        # each email is shown rendered, in a frame the page's scripts can't reach into (sandboxed)
        frame = browser.find_element(By.CSS_SELECTOR, "article iframe[sandbox]")
        assert browser.execute_script("return arguments[0].contentDocument", frame) is None
        browser.switch_to.frame(frame)
        try:
            assert browser.find_elements(By.CSS_SELECTOR, "table[role=presentation]")
        finally:
            browser.switch_to.default_content()


@pytest.mark.parametrize("kind", [*EMAIL_KINDS, "digest", "anomaly"])
def test_each_email_fits_a_phone_and_a_desktop(
    browser: WebDriver, site: Site, kind: str, tmp_path: Path
) -> None:
    # GIVEN the email's HTML as its reader's client gets it, opened as a file
    page = tmp_path / f"{kind}.html"
    page.write_text(site.emails[kind], encoding="utf-8")
    at_size(browser, "phone")
    browser.get(page.as_uri())
    # THEN at each size neither the page nor anything in it is wider than the screen
    for size in SIZES:
        at_size(browser, size)
        assert overflow(browser) == 0, f"the {kind} email at {size} is {overflow(browser)} px too wide"
        assert content_overflow(browser) == [], kind
        shoot(browser, f"email-{kind}", size)
