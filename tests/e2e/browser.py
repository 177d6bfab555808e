"""Headless Chromium for the page tests: Debian's chromium driven by Debian's chromedriver (nothing is
downloaded), with a throwaway profile and a phone-sized viewport (390x844)."""

from __future__ import annotations

import base64
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}
DESKTOP = {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}
WAIT_SECONDS = 10
# Where browser tests put their screenshots: docs/screenshots/ with `make screenshots` (which sets
# SCREENSHOTS_DIR), otherwise .local/screenshots/, so a test run leaves the committed ones alone.
SCREENSHOTS = Path(
    os.environ.get("SCREENSHOTS_DIR") or Path(__file__).resolve().parents[2] / ".local" / "screenshots"
).resolve()
T = TypeVar("T")


@contextmanager
def chromium(language: str = "en-US") -> Iterator[WebDriver]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail("chromium and chromium-driver are missing: run `make browser` (Debian packages)")
    with tempfile.TemporaryDirectory(prefix="browser-test-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in (
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--window-size=390,844",
            f"--lang={language}",
        ):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # console errors, CSP reports
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
        # Headless Chromium keeps windows at least 500 px wide and counts its (hidden) toolbar in the
        # height, so the phone's viewport is emulated inside a window that holds all of it (a click
        # outside the real window would land nowhere).
        driver.set_window_size(520, 1044)
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
        try:
            yield driver
        finally:
            driver.quit()


def wait(browser: WebDriver, condition: Callable[[WebDriver], T], timeout: float = WAIT_SECONDS) -> T:
    """Poll `condition` until it answers something truthy; a missing element is just "not yet"."""

    def check(driver: WebDriver) -> T | bool:
        try:
            return condition(driver)
        except (NoSuchElementException, WebDriverException):
            return False

    return WebDriverWait(browser, timeout).until(check)  # type: ignore[arg-type]


def at_size(browser: WebDriver, metrics: dict[str, Any]) -> None:
    """Emulate a screen (PHONE, DESKTOP) in a window that holds all of it."""
    browser.set_window_size(metrics["width"] + 130, metrics["height"] + 200)
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)


def no_sideways_overflow(browser: WebDriver) -> None:
    widths = browser.execute_script(
        "const e = document.documentElement; return [e.scrollWidth, e.clientWidth];"
    )
    assert widths[0] <= widths[1], f"the page is {widths[0]} px wide in a {widths[1]} px viewport"


def screenshot(browser: WebDriver, name: str) -> Path:
    """The whole page, beyond the viewport, as <name>.png in the screenshots folder."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = browser.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    shot = browser.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
        },
    )
    path = SCREENSHOTS / f"{name}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    return path
