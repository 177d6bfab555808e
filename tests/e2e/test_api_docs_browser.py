"""The API documents in a real headless Chromium: `/docs` (Swagger UI, its assets served with the page)
lists every operation of `/v1/openapi.json`, which covers every route of the template, at phone and
desktop size, with no script error and no request to another host."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.e2e.browser import DESKTOP, chromium, screenshot, wait
from tests.e2e.conftest import RuntimeProcess

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with chromium() as driver:
        yield driver


def test_the_docs_page_lists_every_operation_of_the_api(runtime: RuntimeProcess, browser: WebDriver) -> None:
    # GIVEN the served document, which covers every route of the template (tests/unit/tools)
    document = requests.get(runtime.url("/v1/openapi.json"), timeout=10).json()
    operations = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}
    assert len(operations) >= 39
    # WHEN /docs is opened on a phone
    browser.get(runtime.url("/docs"))

    def shown(driver: WebDriver) -> set[tuple[str, str]] | bool:
        blocks = driver.find_elements(By.CSS_SELECTOR, ".opblock-summary")
        found = set()
        for block in blocks:
            method = block.find_element(By.CSS_SELECTOR, ".opblock-summary-method").text.strip()
            path = block.find_element(By.CSS_SELECTOR, ".opblock-summary-path").get_attribute("data-path")
            found.add((method, str(path)))
        return found if len(found) >= len(operations) else False

    # THEN Swagger UI draws one block per operation, every one of the document's
    assert wait(browser, shown, timeout=30) == operations
    # AND the credentials are offered: source key, lead JWT, admin key
    browser.find_element(By.CSS_SELECTOR, "button.authorize").click()
    dialog = wait(browser, lambda b: b.find_element(By.CSS_SELECTOR, ".modal-ux"))
    assert all(scheme in dialog.text for scheme in ("sourceKey", "leadJwt", "adminKey")), dialog.text
    assert dialog.is_displayed()
    browser.find_element(By.CSS_SELECTOR, ".modal-ux .close-modal").click()
    # AND nothing failed, and nothing came from another host
    severe = [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert [message for message in severe if "favicon.ico" not in message] == []
    hosts = browser.execute_script(
        "return performance.getEntriesByType('resource').map((entry) => new URL(entry.name).host)"
    )
    assert set(hosts) <= {runtime.url("/").split("/")[2]}, hosts
    # AND its link to the document names the route that serves it
    link = browser.find_element(By.CSS_SELECTOR, ".info .link, .info a")
    assert str(link.get_attribute("href")).endswith("/v1/openapi.json")
    # AND the page is laid out for the phone: nothing wider than its 390 px
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390
    screenshot(browser, "api-docs-phone")
    # AND on a desktop
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DESKTOP)
    browser.refresh()
    wait(browser, shown, timeout=30)
    screenshot(browser, "api-docs-desktop")
