"""The console function serves the static pages: content types, caching, security headers, and nothing
outside functions/console/static/."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.support import ROOT, Context, event, load_function

STATIC = ROOT / "functions" / "console" / "static"
VENDOR = STATIC / "vendor"
LANGUAGES = ("en", "de", "nb", "ja", "zh", "tr")


@pytest.fixture(scope="module")
def console() -> ModuleType:
    return load_function("console")


def request(console: ModuleType, path: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """GET <path> as API Gateway sends it: `/console` has no path parameter, the rest a `proxy`."""
    proxy = path.removeprefix("/console").removeprefix("/")
    sample = event(
        "console_file.json",
        rawPath=path,
        routeKey="GET /console/{proxy+}" if proxy else "GET /console",
        headers=headers or {},
        pathParameters={"proxy": proxy} if proxy else None,
    )
    result: dict[str, Any] = console.lambda_handler(sample, Context())
    return result


def test_the_app_page_is_served_at_console_with_its_security_headers(console: ModuleType) -> None:
    # GIVEN the console function; WHEN /console is asked for
    result = request(console, "/console")
    # THEN the app page answers with a strict policy: same origin only, no inline script
    headers = result["headers"]
    assert result["statusCode"] == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert '<script type="module" src="/console/app.js">' in result["body"]
    policy = headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "http" not in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-cache" and re.fullmatch(r'"[0-9a-f]{20}"', headers["ETag"])


def test_with_a_trailing_slash_it_is_the_same_page(console: ModuleType) -> None:
    # GIVEN API Gateway, which routes /console/ to the `GET /console` route (no path parameter)
    sample = event("console_file.json", rawPath="/console/", routeKey="GET /console", pathParameters=None)
    # WHEN it arrives, THEN it is the app page, byte for byte
    result = console.lambda_handler(sample, Context())
    assert result["statusCode"] == 200
    assert result["body"] == request(console, "/console")["body"]


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/console/index.html", "text/html; charset=utf-8"),
        ("/console/app.js", "text/javascript; charset=utf-8"),
        ("/console/views/case.js", "text/javascript; charset=utf-8"),
        ("/console/console.css", "text/css; charset=utf-8"),
        ("/console/i18n/nb.json", "application/json; charset=utf-8"),
        ("/console/favicon.svg", "image/svg+xml"),
    ],
)
def test_each_kind_of_file_has_its_content_type(console: ModuleType, path: str, content_type: str) -> None:
    result = request(console, path)
    assert (result["statusCode"], result["headers"]["Content-Type"]) == (200, content_type)
    assert result["body"] == (STATIC / path.removeprefix("/console/")).read_text(encoding="utf-8")


def test_an_unchanged_file_answers_304_without_a_body(console: ModuleType) -> None:
    # GIVEN the ETag of app.js
    etag = request(console, "/console/app.js")["headers"]["ETag"]
    # WHEN the browser revalidates with it (and with a stale one)
    same = request(console, "/console/app.js", {"if-none-match": f'W/"stale", {etag}'})
    stale = request(console, "/console/app.js", {"if-none-match": '"0123456789abcdef0123"'})
    # THEN only the matching one is a 304, and it carries no body
    assert (same["statusCode"], same["body"], same["headers"]["ETag"]) == (304, "", etag)
    assert stale["statusCode"] == 200 and stale["body"]


@pytest.mark.parametrize(
    "path",
    [
        "/console/nothing.js",
        "/console/../app.py",
        "/console/..%2fapp.py",
        "/console/%2e%2e/%2e%2e/template.yaml",
        "/console/i18n/../../app.py",
        "/console//etc/passwd",
        "/console/static/app.js",
        "/console/app.js/",
        "/console/i18n",
    ],
)
def test_anything_else_is_404_and_nothing_outside_static_is_reachable(console: ModuleType, path: str) -> None:
    # GIVEN a path that is not a file under static/ (API Gateway decodes %2f in the proxy parameter)
    proxy = path.removeprefix("/console/").replace("%2f", "/").replace("%2e", ".")
    sample = event("console_file.json", rawPath=path, headers={}, pathParameters={"proxy": proxy})
    # WHEN it is asked for
    result = console.lambda_handler(sample, Context())
    # THEN a 404 problem, with the same security headers, and no file content
    assert result["statusCode"] == 404
    assert result["headers"]["Content-Type"] == "application/problem+json"
    assert result["headers"]["X-Content-Type-Options"] == "nosniff"
    assert json.loads(result["body"])["status"] == 404


def test_every_asset_the_pages_name_is_served_by_the_stack(console: ModuleType) -> None:
    # GIVEN the app page and every module it imports
    index = (STATIC / "index.html").read_text(encoding="utf-8")
    named = set(re.findall(r'(?:src|href)="(/console/[^"]+)"', index))
    for module in STATIC.rglob("*.js"):
        for target in re.findall(r'from "(\.{1,2}/[^"]+)"', module.read_text(encoding="utf-8")):
            resolved = (module.parent / target).resolve().relative_to(STATIC.resolve())
            named.add(f"/console/{resolved.as_posix()}")
    named |= {f"/console/i18n/{code}.json" for code in LANGUAGES}
    # THEN each one is served, and nothing comes from another origin
    assert len(named) > 10
    for path in sorted(named):
        assert request(console, path)["statusCode"] == 200, path
    for file in STATIC.rglob("*"):
        if file.is_file():
            assert not re.search(
                r"(?:src|href|url)\(?=?[\"']?(?:https?:)?//", file.read_text(encoding="utf-8")
            ), file


def own_scripts() -> list[Path]:
    """The console's own modules: vendor/ holds third-party code, checked by its own test."""
    return [path for path in STATIC.rglob("*.js") if VENDOR not in path.parents]


def test_untrusted_text_never_becomes_markup() -> None:
    # The pages build the DOM with textContent and text nodes only: no HTML parsing of data anywhere.
    sinks = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function")
    offenders = [str(path) for path in own_scripts() if sinks.search(path.read_text(encoding="utf-8"))]
    assert offenders == []
    assert "<script>" not in (STATIC / "index.html").read_text(encoding="utf-8")  # no inline script


NO_SINGULAR_FORM = frozenset({"ja", "zh", "tr"})


def test_every_language_has_every_word() -> None:
    dictionaries = {
        code: json.loads((STATIC / "i18n" / f"{code}.json").read_text("utf-8")) for code in LANGUAGES
    }
    english = dictionaries["en"]
    for code, words in dictionaries.items():
        # A `<key>.one` form is for languages whose counts change form at one (Intl.PluralRules); ja,
        # zh and tr say "1 vaka" like "2 vaka", so they keep the one form that `<key>` holds.
        needed = {key for key in english if not (key.endswith(".one") and code in NO_SINGULAR_FORM)}
        assert set(words) == needed, code
        assert all(isinstance(text, str) and text.strip() for text in words.values()), code
        for key, text in words.items():
            assert set(re.findall(r"\{\w+\}", text)) == set(re.findall(r"\{\w+\}", english[key])), (code, key)
    # AND the translations are translations: most words differ from English
    for code in ("de", "nb", "ja", "zh", "tr"):
        same = sum(dictionaries[code].get(key) == text for key, text in english.items())
        assert same < len(english) * 0.15, code


def test_every_word_the_scripts_use_is_in_the_dictionary() -> None:
    english = json.loads((STATIC / "i18n" / "en.json").read_text("utf-8"))
    used: set[str] = set()
    for path in [*own_scripts(), STATIC / "index.html"]:
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'\b(?:t|phrase)\("([\w.]+)"', text))
        used |= set(re.findall(r'data-i18n="([\w.]+)"', text))
    assert len(used) > 80
    assert sorted(used - set(english)) == []


def test_the_chart_library_is_served_by_the_stack_with_its_licence(console: ModuleType) -> None:
    # GIVEN the vendored Apache ECharts build; WHEN the console asks for it
    result = request(console, "/console/vendor/echarts.min.js")
    # THEN it is served like every console file, it is the pinned release, and its licence ships with it
    assert result["statusCode"] == 200
    assert result["headers"]["Content-Type"] == "text/javascript; charset=utf-8"
    assert 'version:"6.1.0"' in result["body"]
    assert "unsafe-inline" not in result["headers"]["Content-Security-Policy"]
    assert "Apache License" in (VENDOR / "LICENSE").read_text(encoding="utf-8")
    assert "Apache ECharts" in (VENDOR / "NOTICE").read_text(encoding="utf-8")
    assert (VENDOR / "LICENSE-d3").is_file()
    # AND the dashboard loads it from the same origin only
    assert '"/console/vendor/echarts.min.js"' in (STATIC / "charts.js").read_text(encoding="utf-8")
