"""The hosted feedback page (/s/{source_id}) through its handler, against moto: languages, form tokens,
double submits, cases, the rate limit and the URL parameters."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any
from urllib.parse import urlencode

import pytest

from recovery import clock
from recovery.store.models import CaseItem, FeedbackItem, RateLimitItem, SourceItem
from recovery.store.sources import source_pk
from tests.support import Context, Stack, event, load_function

NOW = datetime(2026, 11, 23, 10, 0, 5, tzinfo=UTC)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def virtual_clock(stack: Stack) -> Iterator[Clock]:
    source = Clock(NOW)
    clock.set_source(source)
    yield source
    clock.reset()


@pytest.fixture
def page(virtual_clock: Clock) -> ModuleType:
    return load_function("survey_page")


def call(
    module: ModuleType,
    method: str,
    source_id: str = "demo-web",
    query: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    language: str = "",
) -> dict[str, Any]:
    request = event("survey_page_show.json")
    path = f"/s/{source_id}"
    request["routeKey"] = request["requestContext"]["routeKey"] = f"{method} /s/{{source_id}}"
    request["rawPath"] = request["requestContext"]["http"]["path"] = path
    request["requestContext"]["http"]["method"] = method
    request["pathParameters"] = {"source_id": source_id}
    request["rawQueryString"] = urlencode(query or {})
    request["queryStringParameters"] = query or None
    request["headers"] = {"accept": "text/html", "accept-language": language}
    if form is not None:
        request["headers"]["content-type"] = "application/x-www-form-urlencoded"
        request["body"] = urlencode(form)
    response: dict[str, Any] = module.lambda_handler(request, Context())
    return response


def hidden(body: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([a-z]+)" value="([^"]*)">', body))


def submit(module: ModuleType, score: str, **fields: str) -> dict[str, Any]:
    """GET the page, then POST it back with its hidden fields and the answer."""
    query = {key: fields.pop(key) for key in ("store", "agent", "order", "lang") if key in fields}
    shown = call(module, "GET", query=query)
    assert shown["statusCode"] == 200
    return call(module, "POST", form={**hidden(shown["body"]), "score": score, **fields})


def feedback_items() -> list[FeedbackItem]:
    return [item for item in FeedbackItem.scan() if item.sk == "FB"]  # test inspection only


def test_page_speaks_the_visitors_language_with_a_switcher(page: ModuleType) -> None:
    # GIVEN browsers preferring German, Japanese, Norwegian (as "no") and an unsupported language
    cases = {"de-DE,de;q=0.9": "de", "ja": "ja", "no-NO": "nb", "fr-FR,fr;q=0.9": "en", "": "en"}
    for header, expected in cases.items():
        # WHEN each opens the page
        response = call(page, "GET", language=header)
        # THEN the page is in that language (English when unsupported), with the NPS scale 0..10
        assert response["statusCode"] == 200
        assert f'<html lang="{expected}">' in response["body"], header
        assert re.findall(r'name="score" value="(\d+)"', response["body"]) == [str(v) for v in range(11)]
    # AND the switcher links to every language, with no script and the pages' strict headers
    german = call(page, "GET", language="de")
    assert "Wie waren wir?" in german["body"] and "<script" not in german["body"]
    assert re.findall(r'hreflang="([a-z]+)"', german["body"]) == ["en", "de", "nb", "ja", "zh", "tr"]
    assert german["headers"]["Content-Security-Policy"].startswith("default-src 'none'")
    switched = call(page, "GET", query={"lang": "ja"}, language="de")
    assert '<html lang="ja">' in switched["body"] and "ご利用はいかがでしたか" in switched["body"]


def test_unknown_or_disabled_source_is_a_404_page(page: ModuleType) -> None:
    # GIVEN a disabled source
    item = SourceItem.get(source_pk("demo-support"), "CFG")
    item.update(actions=[SourceItem.enabled.set(False)])
    # WHEN a visitor opens it, or a source nobody configured
    for source_id in ("demo-support", "nobody"):
        response = call(page, "GET", source_id=source_id, language="de")
        # THEN a 404 page in their language
        assert response["statusCode"] == 404 and "Seite nicht gefunden" in response["body"]
    assert call(page, "POST", source_id="nobody", form={"score": "3"})["statusCode"] == 404


def test_score_type_comes_from_the_page_settings(page: ModuleType) -> None:
    # GIVEN a source whose page asks for CSAT
    item = SourceItem.get(source_pk("demo-support"), "CFG")
    item.update(actions=[SourceItem.page.set({"score_type": "csat"})])
    # WHEN the page is shown
    body = call(page, "GET", source_id="demo-support")["body"]
    # THEN the scale is 1..5 with the CSAT question
    assert re.findall(r'name="score" value="(\d+)"', body) == ["1", "2", "3", "4", "5"]
    assert "How satisfied are you with us?" in body


def test_a_negative_opens_a_case_and_a_double_submit_is_one_response(page: ModuleType) -> None:
    # GIVEN the page, shown once
    shown = call(page, "GET", query={"store": "oslo-1", "agent": "mark", "order": "A-1001"})
    form = {**hidden(shown["body"]), "score": "2", "comment": "Waited 40 minutes.", "email": "a@example.com"}
    # WHEN it is submitted twice (a double tap), and once more with a changed comment (the back button)
    first = call(page, "POST", form=form)
    second = call(page, "POST", form=form)
    third = call(page, "POST", form={**form, "comment": "Waited 45 minutes."})
    # THEN all three thank the visitor, and there is one response with one case
    assert [r["statusCode"] for r in (first, second, third)] == [200, 200, 200]
    assert "Thank you for your feedback" in first["body"]
    [item] = feedback_items()
    assert item.verdict == "negative" and item.case_id is not None and item.revision == 2
    assert item.detail["comment"] == "Waited 45 minutes."
    case = CaseItem.get(f"CASE#{item.case_id}", "CASE")
    assert case.status == "open" and case.agent == "mark"
    # AND the URL parameters were carried through the form into the response
    assert (item.agent, item.channel, item.detail["interaction_id"]) == ("mark", "store", "A-1001")
    assert item.detail["metadata"] == {"store": "oslo-1", "agent": "mark", "order": "A-1001"}


def test_without_a_contact_the_customer_is_anonymous_per_token(page: ModuleType) -> None:
    # WHEN two visitors answer negatively with no email or phone
    for _ in range(2):
        assert submit(page, "1")["statusCode"] == 200
    # THEN two responses, two cases, two different anonymous customers (no repeat failure)
    items = feedback_items()
    assert len(items) == 2 and len({item.cust_pk for item in items}) == 2
    assert all(item.case_id for item in items)
    assert all(CaseItem.get(f"CASE#{item.case_id}", "CASE").repeat_failure is False for item in items)


def test_tampered_or_expired_token_is_refused(page: ModuleType, virtual_clock: Clock) -> None:
    shown = call(page, "GET", language="nb")
    fields = hidden(shown["body"])
    issued, nonce, mac = fields["token"].split(".")
    # WHEN the token's time or nonce is changed, it is missing, or it belongs to another source
    tampered = [
        f"{int(issued) + 60}.{nonce}.{mac}",
        f"{issued}.{'A' * 16}.{mac}",
        "",
    ]
    for token in tampered:
        response = call(page, "POST", form={**fields, "token": token, "score": "9"})
        # THEN the form comes back, 400, asking to send again in the visitor's language
        assert response["statusCode"] == 400 and "Skjemaet var utløpt" in response["body"]
    other = call(page, "POST", source_id="demo-support", form={**fields, "score": "9"})
    assert other["statusCode"] == 400
    # AND a token older than a day is refused too, though it was valid
    virtual_clock.advance(hours=24, seconds=1)
    assert call(page, "POST", form={**fields, "score": "9"})["statusCode"] == 400
    assert feedback_items() == []


def test_bad_input_shows_the_form_again(page: ModuleType) -> None:
    fields = hidden(call(page, "GET", query={"store": "oslo-1"})["body"])
    bad = [
        ({"score": "11"}, "Please choose a rating."),
        ({"score": ""}, "Please choose a rating."),
        ({"score": "5", "email": "not-an-address"}, "Please check the email address."),
        ({"score": "5", "phone": "12"}, "Please check the phone number"),
        ({"score": "5", "comment": "x" * 2001}, "2000 characters"),
    ]
    for answer, message in bad:
        # WHEN the form is posted with a bad field
        response = call(page, "POST", form={**fields, **answer})
        # THEN 400, the form again with the message, the URL parameters still carried
        assert response["statusCode"] == 400 and message in response["body"], answer
        assert hidden(response["body"])["store"] == "oslo-1"
    assert feedback_items() == []


def test_invalid_url_parameters_are_dropped(page: ModuleType) -> None:
    # WHEN a link carries a script and an over-long value
    body = call(page, "GET", query={"store": "<script>", "agent": "a" * 65, "order": "ok-1"})["body"]
    # THEN only the well-formed parameter is kept
    assert {key: value for key, value in hidden(body).items() if key in ("store", "agent", "order")} == {
        "order": "ok-1"
    }
    assert "<script>" not in body


def test_rate_limit_per_source_per_minute(page: ModuleType, virtual_clock: Clock) -> None:
    # GIVEN a limit of 30 submissions a minute, already used up for this minute
    shown = [hidden(call(page, "GET")["body"]) for _ in range(31)]
    for fields in shown[:30]:
        assert call(page, "POST", form={**fields, "score": "10"})["statusCode"] == 200
    # WHEN the 31st arrives in the same minute
    refused = call(page, "POST", form={**shown[30], "score": "10"})
    # THEN 429 with Retry-After until the next minute, and nothing stored for it
    assert refused["statusCode"] == 429 and refused["headers"]["Retry-After"] == "55"
    assert len(feedback_items()) == 30
    counter = RateLimitItem.get("RATE#page#demo-web#2026-11-23T10:00", "RATE")
    assert counter.hits == 30 and counter.expires_at == datetime(2026, 11, 23, 10, 10, tzinfo=UTC)
    # AND another source is not limited, and the next minute is open again
    other = hidden(call(page, "GET", source_id="demo-support")["body"])
    assert call(page, "POST", source_id="demo-support", form={**other, "score": "10"})["statusCode"] == 200
    virtual_clock.advance(minutes=1)
    assert call(page, "POST", form={**shown[30], "score": "10"})["statusCode"] == 200
