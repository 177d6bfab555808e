"""The dashboard in a real headless Chromium at phone size (390x844), against the embedded runtime: a
known history seeded through the intake and case APIs on the virtual clock, then every chart drawn with
no console error, the headline numbers shown, and drill-downs that open exactly the cases behind a
funnel bar (by mouse) and a heatmap cell (by keyboard); then the root causes by category, a drill-down
by score, the control chart of one tag picked in the console, and an anomaly's link to its chart.

History (team Support EMEA, Europe/Oslo, UTC+1 in January), seen on Sunday 2030-01-13:
- A: negative, Tuesday 09:30 local, customer worth EUR 1,200, acknowledged, resolved (root cause
  delivery), follow-up answered 9;
- B: negative, Tuesday 09:45 local, acknowledged;
- C: negative, Wednesday 15:10 local, left open;
- P: positive, Wednesday 11:00 local.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

from tests.e2e.browser import DESKTOP, PHONE, chromium, screenshot, wait
from tests.e2e.conftest import RuntimeLauncher, RuntimeProcess
from tests.e2e.test_alerts_http import wait_for
from tests.e2e.test_closed_loop_http import change, sign_in
from tests.support import EVENTS

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]
THURSDAY_NOON = "2030-01-10T12:00:00Z"
CHARTS = ("funnel", "scores", "heatmap", "control", "causes", "categories")


def feedback(
    runtime: RuntimeProcess, occurred_at: str, score: int, value: dict[str, Any] | None = None
) -> str | None:
    sample = json.loads((EVENTS / "ingest_feedback_negative.json").read_text())
    body: dict[str, Any] = json.loads(sample["body"])
    body["external_id"] = f"resp-{uuid.uuid4().hex[:10]}"
    body["customer"]["id"] = f"cust-{uuid.uuid4().hex[:10]}"
    body["occurred_at"] = occurred_at
    body["score"] = {"type": "nps", "value": score}
    body["comment"] = "Waited forever." if score < 7 else "Quick and kind."
    if value is not None:
        body["customer"]["value"] = value
    key = runtime["sources"][0]["key"]
    answer = requests.post(
        runtime.url("/v1/feedback"), json=body, headers={"Authorization": f"Bearer {key}"}, timeout=10
    )
    assert answer.status_code == 201, answer.text
    return answer.json().get("case_id")


def move_clock(runtime: RuntimeProcess, **how: Any) -> None:
    moved = requests.post(runtime.url("/_local/clock"), json={**how, "catch_up": "last"}, timeout=300)
    assert moved.status_code == 200, moved.text


@pytest.fixture(scope="module")
def history(runtime_launcher: RuntimeLauncher) -> Iterator[tuple[RuntimeProcess, dict[str, str]]]:
    """A runtime of the module's own (its clock moves) holding the history in the module docstring."""
    runtime = runtime_launcher.start()
    move_clock(runtime, set=THURSDAY_NOON)
    cases = {
        "A": feedback(runtime, "2030-01-08T08:30:00Z", 3, {"amount": 1200, "currency": "EUR"}),
        "B": feedback(runtime, "2030-01-08T08:45:00Z", 2),
        "C": feedback(runtime, "2030-01-09T14:10:00Z", 4),
    }
    assert feedback(runtime, "2030-01-09T10:00:00Z", 10) is None
    move_clock(runtime, advance_seconds=60)  # alerts and the customer's acknowledgement go out
    token = sign_in(runtime)
    for name in ("A", "B"):
        change(runtime, token, cases[name], "ack", {})
    change(runtime, token, cases["A"], "resolve", {"root_cause": "delivery", "summary": "Parcel re-sent."})
    move_clock(runtime, advance_seconds=3 * 24 * 3600 + 3600)  # the follow-up is due after three days

    def followup_link() -> str | None:
        messages = requests.get(runtime.url("/_local/outbox.json"), timeout=10).json()
        for message in messages:
            if message["case_id"] == cases["A"] and message["kind"] == "followup":
                return next(link for link in message["links"] if "/f/" in link)
        return None

    form = wait_for(followup_link, timeout=20.0)
    assert form, "no follow-up was sent for case A"
    answered = requests.post(form, data={"score": "9", "satisfied": "yes"}, timeout=10)
    assert answered.status_code == 200, answered.text
    yield runtime, {name: str(case_id) for name, case_id in cases.items()}
    runtime_launcher.stop(runtime)


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with chromium() as driver:
        yield driver


def open_dashboard(browser: WebDriver, runtime: RuntimeProcess) -> WebDriver:
    """Sign in on the console, then open the dashboard by its link in the top bar."""
    browser.get(runtime.url("/console"))
    browser.execute_script("sessionStorage.clear(); localStorage.clear(); location.hash = '#/';")
    browser.refresh()
    login = runtime["console_login"]
    wait(browser, lambda b: b.find_element(By.NAME, "username")).send_keys(login["username"])
    browser.find_element(By.NAME, "password").send_keys(login["password"])
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait(browser, lambda b: b.find_element(By.CSS_SELECTOR, "section.queue h1"))
    browser.get_log("browser")  # the log from here on belongs to the dashboard
    browser.find_element(By.ID, "nav-dashboard").click()
    wait(browser, lambda b: b.find_element(By.ID, "anomalies"), timeout=30)
    return browser


def painted_pixels(browser: WebDriver, chart: WebElement) -> int:
    """Pixels the chart's canvases paint (not transparent)."""
    script = """
      let painted = 0;
      for (const canvas of arguments[0].querySelectorAll('canvas')) {
        if (!canvas.width || !canvas.height) continue;
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 3; i < data.length; i += 4) if (data[i]) painted += 1;
      }
      return painted;
    """
    return int(browser.execute_script(script, chart))


def drilled_cases(browser: WebDriver) -> set[str]:
    """The case ids the drill-down lists, once it has finished loading."""

    def listed(driver: WebDriver) -> set[str] | bool:
        panel = driver.find_element(By.ID, "drill")
        if not panel.is_displayed() or panel.find_element(By.CSS_SELECTOR, ".notice").text.strip():
            return False
        rows = panel.find_elements(By.CSS_SELECTOR, "li.case-row")
        return {str(row.get_attribute("data-case-id")) for row in rows} or False

    return set(wait(browser, listed, timeout=20))


def test_the_dashboard_draws_every_chart_and_drills_down_to_the_right_cases(
    history: tuple[RuntimeProcess, dict[str, str]],
    browser: WebDriver,
) -> None:
    runtime, cases = history
    # GIVEN the reports API agrees the history is counted (the stream function runs after each write)
    token = sign_in(runtime)

    def counted() -> dict[str, Any] | None:
        answer = requests.get(
            runtime.url("/v1/reports/dashboard"), params={"team": "support-emea"}, headers=token, timeout=30
        )
        assert answer.status_code == 200, answer.text
        document: dict[str, Any] = answer.json()
        funnel = {step["step"]: step["count"] for step in document["funnel"]}
        complete = funnel.get("negative") == 3 and funnel.get("answered") == 1 and document.get("causes")
        return document if complete else None

    assert wait_for(counted, timeout=20.0), "the dashboard never counted the seeded history"

    # WHEN the lead opens the dashboard
    page = open_dashboard(browser, runtime)

    # THEN the headline numbers are those of the history: 4 feedback, 3 of them negative
    figure = page.find_element(By.CSS_SELECTOR, '.figure[data-metric="volume"] .value')
    assert figure.text == "4"
    assert page.find_element(By.CSS_SELECTOR, '.figure[data-metric="negative_rate"] .value').text == "75%"
    # AND every chart is drawn on a canvas that has something on it
    for name in CHARTS:
        section = page.find_element(By.ID, f"chart-{name}")
        charts = section.find_elements(By.CSS_SELECTOR, ".chart")
        assert charts, f"{name} has no chart: {section.text}"
        for chart in charts:
            assert chart.find_elements(By.TAG_NAME, "canvas"), name
            assert painted_pixels(page, chart) > 500, name
    # AND the Pareto chart's table names the one root cause recorded
    causes = page.find_elements(By.CSS_SELECTOR, "#chart-causes tbody th")
    assert [cause.get_attribute("textContent") for cause in causes] == ["Delivery"]

    # WHEN the lead clicks the funnel's "Resolved" bar
    funnel = page.find_element(By.CSS_SELECTOR, "#chart-funnel .chart")
    page.execute_script("arguments[0].scrollIntoView({block: 'center'})", funnel)
    x, y = page.execute_script(
        "const chart = echarts.getInstanceByDom(arguments[0]);"
        "return chart.convertToPixel({seriesIndex: 0}, [0.5, 3]);",  # half a case into the 4th bar
        funnel,
    )
    size = funnel.size
    ActionChains(page).move_to_element_with_offset(
        funnel, int(x - size["width"] / 2) + 2, int(y - size["height"] / 2)
    ).click().perform()
    # THEN the drill-down lists exactly the one resolved case, with a link to its page
    assert drilled_cases(page) == {cases["A"]}
    assert "Resolved" in page.find_element(By.ID, "drill-title").text
    link = page.find_element(By.CSS_SELECTOR, f'#drill li[data-case-id="{cases["A"]}"] a')
    assert link.get_attribute("href").endswith(f"#/cases/{cases['A']}")

    # WHEN the lead opens the heatmap's table and, by keyboard, asks for Tuesday 09:00-10:00
    heatmap = page.find_element(By.ID, "chart-heatmap")
    summary = heatmap.find_element(By.CSS_SELECTOR, "details summary")
    page.execute_script("arguments[0].focus()", summary)
    ActionChains(page).send_keys(Keys.ENTER).perform()
    rows = heatmap.find_elements(By.CSS_SELECTOR, "tbody tr")
    tuesday = next(row for row in rows if row.text.startswith("Tuesday, 09:00"))
    button = tuesday.find_element(By.CSS_SELECTOR, "button.drill-button")
    page.execute_script("arguments[0].focus()", button)
    ActionChains(page).send_keys(Keys.ENTER).perform()
    # THEN exactly the two Tuesday-morning cases are listed, and focus is on the list's heading
    assert drilled_cases(page) == {cases["A"], cases["B"]}
    assert page.switch_to.active_element.get_attribute("id") == "drill-title"
    assert "Tuesday" in page.find_element(By.ID, "drill-title").text

    # AND nothing failed in the page: no script error, nothing the policy refused
    assert [entry["message"] for entry in page.get_log("browser") if entry["level"] == "SEVERE"] == []


# An open anomaly of the tag, planted in the dashboard document the page receives (a real one needs
# weeks of baseline): the test is of the console's link, the detection has its own tests.
PLANT_ANOMALY = """
  const real = window.fetch;
  window.fetch = async (resource, init) => {
    const answer = await real(resource, init);
    if (!String(resource).includes("/v1/reports/dashboard")) return answer;
    const document = await answer.json();
    document.anomalies = [{dimension: "tag", value: "wait-time", since: "2030-01-08T08:00:00Z", open: true,
                           rate: 0.75, limit: 0.5, marker: null}];
    const headers = {"content-type": "application/json"};
    return new Response(JSON.stringify(document), {status: 200, headers});
  };
"""


def test_causes_by_category_scores_and_group_control_charts(
    history: tuple[RuntimeProcess, dict[str, str]],
    browser: WebDriver,
) -> None:
    runtime, cases = history
    # GIVEN the dashboard of the history (counted, as the first test waited for)
    page = open_dashboard(browser, runtime)

    # THEN the cause-and-effect view puts the one root cause (delivery) under "Partners and delivery"
    cells = page.find_elements(By.CSS_SELECTOR, "#chart-categories tbody tr > *")
    assert [cell.get_attribute("textContent") for cell in cells][:3] == [
        "Partners and delivery",
        "Delivery",
        "1",
    ]
    # WHEN the lead clicks the category's bar
    chart = page.find_element(By.CSS_SELECTOR, "#chart-categories .chart")
    page.execute_script("arguments[0].scrollIntoView({block: 'center'})", chart)
    x, y = page.execute_script(
        "return echarts.getInstanceByDom(arguments[0]).convertToPixel({seriesIndex: 0}, [0.5, 0]);", chart
    )
    size = chart.size
    ActionChains(page).move_to_element_with_offset(
        chart, int(x - size["width"] / 2), int(y - size["height"] / 2)
    ).click().perform()
    # THEN the drill-down lists the case with that root cause
    assert drilled_cases(page) == {cases["A"]}
    assert "Delivery" in page.find_element(By.ID, "drill-title").text

    # WHEN, in the scores table, the lead asks for the cases that answered 9 after recovery
    scores = page.find_element(By.ID, "chart-scores")
    page.execute_script("arguments[0].open = true", scores.find_element(By.CSS_SELECTOR, "details"))
    row = next(r for r in scores.find_elements(By.CSS_SELECTOR, "tbody tr") if r.text.startswith("9"))
    buttons = row.find_elements(By.CSS_SELECTOR, "button.drill-button")
    assert [b.text for b in buttons] == ["Cases with this score before", "Cases with this score after"]
    page.execute_script("arguments[0].click()", buttons[1])
    # THEN exactly case A is listed (B and C never answered), by score and when
    assert drilled_cases(page) == {cases["A"]}
    assert page.find_element(By.ID, "drill").get_attribute("data-filter") == "score=nps%3A9&when=after"
    # AND nobody rated 9 before recovery: the list says so
    page.execute_script("arguments[0].click()", buttons[0])
    wait(page, lambda b: b.find_element(By.CSS_SELECTOR, "#drill .notice").text == "No cases match.")

    # WHEN the lead picks the tag "wait-time" for the control chart
    picker = page.find_element(By.CSS_SELECTOR, "#chart-control select[name=group]")
    labels = [o.text for o in picker.find_elements(By.TAG_NAME, "option")]
    assert labels == ["The whole team", "Agent: mark", "Tag: wait-time"]
    page.execute_script(
        "arguments[0].value = 'tag:wait-time'; arguments[0].dispatchEvent(new Event('change'))", picker
    )
    # THEN the dashboard reloads with the tag's chart, drawn, and says whose it is
    hint = wait(page, lambda b: b.find_element(By.ID, "control-group"), timeout=30)
    assert hint.text == "Group: Tag wait-time" and "group=tag%3Await-time" in page.current_url
    control = page.find_element(By.CSS_SELECTOR, "#chart-control .chart")
    assert painted_pixels(page, control) > 500
    volumes = page.find_elements(By.CSS_SELECTOR, "#chart-control tbody tr td:nth-child(2)")
    assert sum(int(v.get_attribute("textContent")) for v in volumes) == 4  # every seeded feedback has the tag

    # WHEN an open anomaly of another group is listed, on the whole team's dashboard
    page.execute_script(PLANT_ANOMALY)
    page.execute_script("location.hash = '#/dashboard?team=support-emea'")
    link = wait(page, lambda b: b.find_element(By.CSS_SELECTOR, "#anomalies a.control-link"), timeout=30)
    assert not page.find_elements(By.ID, "control-group")
    # THEN its link opens that group's control chart, for the same team and period
    href = str(link.get_attribute("href"))
    assert "#/dashboard?team=support-emea&from=" in href and href.endswith("&group=tag%3Await-time")
    page.execute_script("arguments[0].click()", link)
    assert (
        wait(page, lambda b: b.find_element(By.ID, "control-group"), timeout=30).text
        == "Group: Tag wait-time"
    )

    # AND nothing failed in the page
    assert [entry["message"] for entry in page.get_log("browser") if entry["level"] == "SEVERE"] == []


def test_the_funnel_narrows_and_times_state_their_unit_and_resolution(
    history: tuple[RuntimeProcess, dict[str, str]],
    browser: WebDriver,
) -> None:
    runtime, _ = history
    # GIVEN the dashboard of the history (counted, as the first test waited for)
    page = open_dashboard(browser, runtime)
    # THEN the time to alert reads with its unit, never as a clock ("00:13")
    figure = page.find_element(By.CSS_SELECTOR, '.figure[data-metric="alert_p90_s"]')
    value = figure.find_element(By.CSS_SELECTOR, ".value").text
    assert re.fullmatch(r"\d+(\.\d)? (sec|min|hr)", value), value
    # AND it names the histogram bucket its value lies in: the figure's resolution
    resolution = figure.find_element(By.CSS_SELECTOR, ".resolution").text
    assert re.fullmatch(r"p90 lies in the bucket \d+ sec–\d+ sec", resolution), resolution
    # AND no funnel step outnumbers the one before it
    cells = page.find_elements(By.CSS_SELECTOR, "#chart-funnel tbody tr td:nth-child(2)")
    counts = [int(cell.get_attribute("textContent") or 0) for cell in cells]
    assert len(counts) == 7 and counts[0] == 3 and counts == sorted(counts, reverse=True), counts
    # AND nothing is wider than the phone
    assert page.execute_script("return document.documentElement.scrollWidth") <= 390
    screenshot(page, "dashboard-phone")
    # WHEN the same page is seen on a desktop
    page.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DESKTOP)
    try:
        page.execute_script("window.dispatchEvent(new Event('resize'))")
        wait(page, lambda b: b.execute_script("return document.documentElement.scrollWidth") <= 1280)
        time.sleep(1)  # the charts redraw at the new width
        screenshot(page, "dashboard-desktop")
    finally:
        page.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)


def test_closed_on_time_reads_on_both_clocks_against_the_goal(
    history: tuple[RuntimeProcess, dict[str, str]],
    browser: WebDriver,
) -> None:
    runtime, _ = history
    # GIVEN the history: case A resolved at once, and Kari, a lead, always on duty (business hours are
    # then the wall clock) / WHEN the lead opens the dashboard
    page = open_dashboard(browser, runtime)
    section = page.find_element(By.ID, "chart-closing")
    # THEN both shares read 100% against the team's goal, 80% within 48 hours
    for name in ("share", "business_share"):
        figure = section.find_element(By.CSS_SELECTOR, f'.figure[data-figure="{name}"]')
        assert figure.find_element(By.CSS_SELECTOR, ".value").text == "100%"
        goal = figure.find_element(By.CSS_SELECTOR, ".change")
        assert goal.text == "Goal: 80% within 48 h" and "better" in str(goal.get_attribute("class"))
    labels = [term.text for term in section.find_elements(By.CSS_SELECTOR, "dt")]
    assert labels == ["Wall clock", "Business hours"]


def test_the_value_at_stake_sits_beside_the_funnel(
    history: tuple[RuntimeProcess, dict[str, str]],
    browser: WebDriver,
) -> None:
    runtime, _ = history
    token = sign_in(runtime)

    def counted() -> bool:
        answer = requests.get(
            runtime.url("/v1/reports/dashboard"), params={"team": "support-emea"}, headers=token, timeout=30
        )
        return answer.json().get("value", {}).get("EUR", {}).get("retained") == "1200.00"

    assert wait_for(counted, timeout=20.0), "the recovered customer's value was never counted"
    # WHEN the lead opens the dashboard
    page = open_dashboard(browser, runtime)
    # THEN the value at stake is the section right after the funnel
    sections = [
        each.get_attribute("id") for each in page.find_elements(By.CSS_SELECTOR, "section.chart-card")
    ]
    assert sections[sections.index("chart-funnel") + 1] == "chart-value"
    # AND its EUR column: A's customer was at risk and, recovered, retained; nothing was given, so net is all
    cells = {
        row.get_attribute("data-figure"): row.find_element(By.CSS_SELECTOR, 'td[data-currency="EUR"]').text
        for row in page.find_elements(By.CSS_SELECTOR, "#chart-value tbody tr")
    }
    assert cells == {
        "at_risk": "€1,200.00",
        "retained": "€1,200.00",
        "compensation": "€0.00",
        "net": "€1,200.00",
    }
    assert page.find_element(By.ID, "chart-value-title").text == "Value at stake"
    assert page.execute_script("return document.documentElement.scrollWidth") <= 390
