"""Every vendor fixture through its preset: the signature computed here over the exact bytes, then the
canonical result asserted field by field."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from recovery.domain.feedback import CsatScore, NpsScore, StarsScore, ThumbsScore
from recovery.sources import config, mapping, signatures
from recovery.sources.mapping import Mapped, MappingError
from recovery.sources.presets import PRESETS

ROOT = Path(__file__).resolve().parents[3]
SHARED = ROOT / "tests" / "fixtures" / "vendor"  # a copy of shared/fixtures/webhooks
LOCAL = ROOT / "tests" / "fixtures" / "webhooks"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
JSON = "application/json"
JOTFORM_TYPE = "multipart/form-data; boundary=------------------------d74496d66958873e"


def connector(preset: str, **options: Any) -> config.Connector:
    return config.resolve(config.SourceSpec(id="src-1", name="Source", preset=preset, options=options))


def deliver(
    hook: config.Connector,
    secrets: list[str],
    raw: bytes,
    headers: Mapping[str, str],
    content_type: str = JSON,
    query: Mapping[str, str] | None = None,
) -> Mapped:
    """What the hook route does with one delivery: verify the raw bytes, then map them."""
    check = signatures.verify(hook.signature, secrets, raw, headers, query or {}, NOW)
    assert check.ok, check.reason
    document = mapping.document(raw, content_type, headers, query or {}, hook.mapping.body)
    return mapping.apply(hook, document)


def b64_hmac(key: bytes, message: bytes, algorithm: str = "sha256") -> str:
    return base64.b64encode(hmac.new(key, message, getattr(hashlib, algorithm)).digest()).decode()


# --- Typeform ---------------------------------------------------------------------------------------


def test_typeform_official_example() -> None:
    # GIVEN Typeform's example delivery, signed as Typeform signs (base64 HMAC-SHA256 of the raw body)
    raw = (SHARED / "typeform" / "form_response_official_example.json").read_bytes()
    hook = connector(
        "typeform", score_ref="WOTdC00F8A3h", score_type="stars", comment_ref="DlXFaesGBpoF",
        customer_hidden="user_id",
    )  # fmt: skip
    headers = {"Typeform-Signature": "sha256=" + b64_hmac(b"tf-secret", raw)}
    # WHEN it is delivered
    mapped = deliver(hook, ["tf-secret"], raw, headers)
    # THEN every canonical field comes from the answer the options name
    assert (mapped.action, mapped.event) == ("accept", "form_response")
    assert mapped.delivery_id == "LtWXD3crgy"
    assert mapped.response_id == "a3a12ec67a1365927098a606107fac15"
    feedback = mapped.feedback
    assert feedback is not None
    assert feedback.external_id == "a3a12ec67a1365927098a606107fac15"
    assert feedback.score == StarsScore(type="stars", value=3)
    assert feedback.comment is not None and feedback.comment.startswith("It's cold right now!")
    assert (feedback.customer.id, feedback.customer.email) == ("abc123456", "laura@example.com")
    assert feedback.occurred_at == datetime(2018, 1, 18, 18, 17, 2, tzinfo=UTC)
    assert feedback.metadata == {"form_id": "lT4Z3j"}
    assert feedback.tags == []


def test_typeform_answer_found_by_field_ref() -> None:
    # GIVEN the captured delivery, whose answer carries a field ref (a text answer, used here as comment)
    raw = (SHARED / "typeform" / "form_response.pipedream_captured_minimal.json").read_bytes()
    ref = "45678961-d3e4-4603-b12g-h789e456mno9"
    hook = connector("typeform", score_ref="nps", comment_ref=ref)
    headers = {"typeform-signature": "sha256=" + b64_hmac(b"k", raw)}
    # WHEN it is delivered (it has no score question, no respondent, and a submitted_at in 2030)
    mapped = deliver(hook, ["k"], raw, headers)
    # THEN it is held under its ids: nothing to use until a scored version comes
    assert mapped == Mapped("hold", "02D88GHHT019W71HGP3DS8FED2", "20gh4opy9jh1jh6s0bd2n20gh4fy4rf4", None,
                            "form_response")  # fmt: skip


# --- Delighted --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "score", "email", "person", "comment"),
    [
        ("survey_response_updated_non_promoter.zulip_fixture.json", 5, "paul_gravis@example.com",
         "Paul Gravis", "Your service is slow, but nearly flawless! Keep up the good work!"),
        ("survey_response_updated_promoter.zulip_fixture.json", 9, "charlie_gravis@example.com",
         "Charlie Gravis", "Your service is fast and flawless!"),
    ],
)  # fmt: skip
def test_delighted_updates(name: str, score: int, email: str, person: str, comment: str) -> None:
    # GIVEN a Delighted delivery signed sha256= + hex HMAC of the raw body
    raw = (SHARED / "delighted" / name).read_bytes()
    digest = hmac.new(b"d-key", raw, hashlib.sha256).hexdigest()
    # WHEN it is delivered
    mapped = deliver(
        connector("delighted"), ["d-key"], raw, {"X-Delighted-Webhook-Signature": f"sha256={digest}"}
    )
    # THEN the update maps onto the response id, with score and comment
    assert (mapped.action, mapped.event) == ("accept", "survey_response.updated")
    assert mapped.delivery_id == "b8d057c59327541d7ec2104c0a9a255ad1997fb00831b9c6bbf09561e6d5cbd0"
    assert mapped.response_id == "5435"
    feedback = mapped.feedback
    assert feedback is not None
    assert feedback.external_id == "5435"
    assert feedback.score == NpsScore(type="nps", value=score)
    assert feedback.comment == comment
    assert (feedback.customer.id, feedback.customer.email, feedback.customer.name) == ("5975", email, person)
    assert feedback.occurred_at == datetime.fromtimestamp(1482589409, UTC)
    assert feedback.metadata == {"permalink": "https://delighted.com/r/5pFDpmlyC8GUc5oxU6USto5VonSKAqOa"}


def test_delighted_unsubscribe_event_is_ignored() -> None:
    # GIVEN a Delighted event the connector does not use
    raw = json.dumps({"event_type": "unsubscribe.created", "event_id": "u1", "event_data": {}}).encode()
    digest = hmac.new(b"d-key", raw, hashlib.sha256).hexdigest()
    # WHEN it is delivered THEN it is ignored, not refused
    mapped = deliver(
        connector("delighted"), ["d-key"], raw, {"x-delighted-webhook-signature": f"sha256={digest}"}
    )
    assert (mapped.action, mapped.delivery_id, mapped.feedback) == ("ignore", "u1", None)


# --- Formbricks (Standard Webhooks) -----------------------------------------------------------------

WHSEC_KEY = b"formbricks-test-key-32-bytes-ok!"
WHSEC = "whsec_" + base64.b64encode(WHSEC_KEY).decode()


def formbricks_headers(raw: bytes, msg_id: str) -> dict[str, str]:
    stamp = str(int(NOW.timestamp()))
    signature = b64_hmac(WHSEC_KEY, f"{msg_id}.{stamp}.".encode() + raw)
    return {"webhook-id": msg_id, "webhook-timestamp": stamp, "webhook-signature": f"v1,{signature}"}


@pytest.mark.parametrize(
    ("name", "event"),
    [
        ("responseCreated_docs.json", "responseCreated"),
        ("responseUpdated_docs.json", "responseUpdated"),
        ("responseFinished_docs.json", "responseFinished"),
    ],
)
def test_formbricks_without_a_score_is_held(name: str, event: str) -> None:
    # GIVEN a Formbricks delivery (no score question answered in the docs' examples), anonymous respondent
    raw = (SHARED / "formbricks" / name).read_bytes()
    hook = connector("formbricks", score_question="nps", anonymous=True)
    # WHEN it is delivered
    mapped = deliver(hook, [WHSEC], raw, formbricks_headers(raw, "msg_2ab"))
    # THEN it is held under the webhook id and the response id, with a score of null for intake
    assert (mapped.action, mapped.event) == ("hold", event)
    assert (mapped.delivery_id, mapped.response_id) == ("msg_2ab", "responseId")
    feedback = mapped.feedback
    assert feedback is not None
    assert (feedback.score, feedback.external_id, feedback.customer.id) == (None, "responseId", "responseId")
    assert feedback.occurred_at == datetime(2025, 7, 24, 7, 47, 29, 507000, tzinfo=UTC)
    assert feedback.metadata == {"language": "en", "survey_id": "surveyId"}


def test_formbricks_created_without_respondent_is_held_without_feedback() -> None:
    # GIVEN responseCreated from a survey with no contact and no anonymous option
    raw = (SHARED / "formbricks" / "responseCreated_docs.json").read_bytes()
    # WHEN delivered THEN held, with no feedback (the finished response will carry the respondent)
    mapped = deliver(
        connector("formbricks", score_question="nps"), [WHSEC], raw, formbricks_headers(raw, "m")
    )
    assert (mapped.action, mapped.response_id, mapped.feedback) == ("hold", "responseId", None)


def test_formbricks_scored_response_is_accepted() -> None:
    # GIVEN the finished example with an NPS answer and a comment added under the question ids
    document = json.loads((SHARED / "formbricks" / "responseFinished_docs.json").read_text())
    document["data"]["data"].update({"nps": 2, "why": "Checkout kept failing."})
    document["data"]["contact"] = {"id": "ct_1", "userId": "user-42"}
    raw = json.dumps(document).encode()
    hook = connector("formbricks", score_question="nps", comment_question="why")
    # WHEN delivered
    mapped = deliver(hook, [WHSEC], raw, formbricks_headers(raw, "msg_3"))
    # THEN the score, comment and respondent are mapped
    assert mapped.action == "accept"
    assert mapped.feedback is not None
    assert mapped.feedback.score == NpsScore(type="nps", value=2)
    assert mapped.feedback.comment == "Checkout kept failing."
    assert mapped.feedback.customer.id == "user-42"


# --- Zendesk ----------------------------------------------------------------------------------------


def zendesk_headers(raw: bytes, secret: str) -> dict[str, str]:
    stamp = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "X-Zendesk-Webhook-Signature": b64_hmac(secret.encode(), stamp.encode() + raw),
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        "X-Zendesk-Webhook-Invocation-Id": "inv-1",
    }


def test_zendesk_trigger_body_as_documented() -> None:
    # GIVEN the trigger body we document, as Zendesk renders it for a bad rating
    template = (SHARED / "zendesk" / "trigger_webhook_body_template.CONSTRUCTED.json").read_text()
    values = {
        "ticket.id": "4411", "ticket.url": "acme.zendesk.com/agent/tickets/4411",
        "ticket.requester.email": "kim@example.com", "ticket.requester.external_id": "cust-9",
        "ticket.requester.phone": "+4791234567", "satisfaction.current_rating": "Bad",
        "satisfaction.current_comment": "Still broken.",
        "ticket.updated_at_with_timestamp": "2026-03-01T09:30:00Z",
        "ticket.assignee.email": "agent@acme.example", "ticket.brand.name": "Acme",
        "ticket.tags": "vip billing",
    }  # fmt: skip
    for placeholder, value in values.items():
        template = template.replace("{{" + placeholder + "}}", value)
    raw = template.encode()
    # WHEN it is delivered, signed timestamp + body
    mapped = deliver(connector("zendesk"), ["z-secret"], raw, zendesk_headers(raw, "z-secret"))
    # THEN each field lands where the guide says
    assert (mapped.action, mapped.delivery_id, mapped.response_id) == ("accept", "inv-1", "4411")
    feedback = mapped.feedback
    assert feedback is not None
    assert feedback.score == ThumbsScore(type="thumbs", value="down")
    assert feedback.comment == "Still broken."
    assert (feedback.customer.id, feedback.customer.email, feedback.customer.phone) == (
        "cust-9", "kim@example.com", "+4791234567",
    )  # fmt: skip
    assert (feedback.interaction.id, feedback.interaction.agent, feedback.interaction.product) == (
        "4411", "agent@acme.example", "Acme",
    )  # fmt: skip
    assert feedback.interaction.channel == "support"
    assert feedback.tags == ["vip", "billing"]
    assert feedback.occurred_at == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    assert feedback.metadata == {"ticket_url": "acme.zendesk.com/agent/tickets/4411"}


def test_zendesk_offered_rating_is_held() -> None:
    # GIVEN a trigger body sent before the customer rated ("Offered")
    raw = json.dumps(
        {"ticket_id": "5", "requester_email": "a@example.com", "satisfaction_rating": "Offered"}
    ).encode()
    # WHEN delivered THEN held, not refused
    mapped = deliver(connector("zendesk"), ["z"], raw, zendesk_headers(raw, "z"))
    assert mapped.action == "hold"
    assert mapped.feedback is not None and mapped.feedback.score is None


def test_zendesk_satisfaction_rating_object_from_the_api() -> None:
    # GIVEN the API's satisfaction rating object (a backfill reads these)
    raw = (SHARED / "zendesk" / "satisfaction_rating_object.legacy_api_docs.json").read_bytes()
    # WHEN delivered
    mapped = deliver(connector("zendesk"), ["z"], raw, zendesk_headers(raw, "z"))
    # THEN it maps the same way as the trigger body
    feedback = mapped.feedback
    assert feedback is not None
    assert (mapped.action, mapped.response_id) == ("accept", "208")
    assert feedback.score == ThumbsScore(type="thumbs", value="up")
    assert (feedback.customer.id, feedback.interaction.id, feedback.interaction.agent) == (
        "7881",
        "208",
        "135",
    )
    assert feedback.comment is None
    assert feedback.occurred_at == datetime(2011, 7, 20, 22, 55, 29, tzinfo=UTC)


def test_zendesk_satisfaction_ratings_list_items() -> None:
    # GIVEN each item of the API's list example
    items = json.loads((SHARED / "zendesk" / "satisfaction_ratings_list.openapi_example.json").read_text())
    results = []
    for item in items["satisfaction_ratings"]:
        raw = json.dumps(item).encode()
        # WHEN each is delivered
        mapped = deliver(connector("zendesk"), ["z"], raw, zendesk_headers(raw, "z"))
        assert mapped.feedback is not None
        results.append((mapped.response_id, mapped.feedback.score, mapped.feedback.comment,
                        mapped.feedback.interaction.agent, mapped.feedback.occurred_at))  # fmt: skip
    # THEN both are mapped with their own ticket, agent and time
    up = ThumbsScore(type="thumbs", value="up")
    assert results == [
        ("208", up, "Awesome support!", "135", datetime(2011, 7, 20, 22, 55, 29, tzinfo=UTC)),
        ("209", up, "Awesome support!", "136", datetime(2012, 2, 2, 10, 32, 59, tzinfo=UTC)),
    ]


# --- The respondent's language ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "locale"), [("no", "no"), ("nb", "nb"), ("pt-BR", "pt-BR"), ("default", None)]
)
def test_formbricks_language_is_the_customers_locale(language: str, locale: str | None) -> None:
    # GIVEN a scored Formbricks response shown in a language (or in the survey's default one)
    document = json.loads((SHARED / "formbricks" / "responseFinished_docs.json").read_text())
    document["data"]["data"]["nps"] = 2
    document["data"]["contact"] = {"id": "ct_1", "userId": "user-42"}
    document["data"]["language"] = language
    raw = json.dumps(document).encode()
    # WHEN delivered
    mapped = deliver(
        connector("formbricks", score_question="nps"), [WHSEC], raw, formbricks_headers(raw, "m")
    )
    # THEN the language is the customer's locale; "default" names none, and the response is still taken
    assert mapped.action == "accept" and mapped.feedback is not None
    assert mapped.feedback.customer.locale == locale


@pytest.mark.parametrize(
    ("hidden", "locale"), [({"language": "NB"}, "nb"), ({"lang": "de_DE"}, "de-DE"), ({}, None)]
)
def test_typeform_language_hidden_field_is_the_customers_locale(
    hidden: dict[str, str], locale: str | None
) -> None:
    # GIVEN Typeform's example with a language hidden field set from the survey link, or none
    body = json.loads((SHARED / "typeform" / "form_response_official_example.json").read_text())
    body["form_response"]["hidden"].update(hidden)
    raw = json.dumps(body).encode()
    hook = connector("typeform", score_ref="WOTdC00F8A3h", score_type="stars", customer_hidden="user_id")
    # WHEN delivered THEN the locale is the hidden field's, as a BCP 47 tag
    mapped = deliver(hook, ["k"], raw, {"Typeform-Signature": "sha256=" + b64_hmac(b"k", raw)})
    assert mapped.feedback is not None and mapped.feedback.customer.locale == locale


def test_delighted_locale_property_is_the_customers_locale() -> None:
    # GIVEN a Delighted response whose person was surveyed with the locale property
    body = json.loads(
        (SHARED / "delighted" / "survey_response_updated_non_promoter.zulip_fixture.json").read_text()
    )
    body["event_data"]["person_properties"] = {"locale": "pt-BR", "Purchase Experience": "Mobile App"}
    raw = json.dumps(body).encode()
    digest = hmac.new(b"d-key", raw, hashlib.sha256).hexdigest()
    # WHEN delivered THEN the customer's locale is that property
    mapped = deliver(
        connector("delighted"), ["d-key"], raw, {"X-Delighted-Webhook-Signature": f"sha256={digest}"}
    )
    assert mapped.feedback is not None and mapped.feedback.customer.locale == "pt-BR"


@pytest.mark.parametrize(
    ("language", "locale"),
    [
        ("Norwegian", "no"),
        ("Norsk", "no"),
        ("English", "en"),
        ("pt-br", "pt-BR"),
        ("Klingon", None),
        ("", None),
    ],
)
def test_zendesk_documented_trigger_body_carries_the_requesters_language(
    language: str, locale: str | None
) -> None:
    # GIVEN the trigger body from docs/connectors/zendesk.md, rendered for a bad rating
    guide = (ROOT / "docs" / "connectors" / "zendesk.md").read_text(encoding="utf-8")
    template = re.findall(r"```json\n(.*?)```", guide, flags=re.DOTALL)[0]
    assert "{{ticket.requester.language}}" in template
    values = {
        "ticket.id": "4411",
        "ticket.requester.email": "kim@example.com",
        "satisfaction.current_rating": "Bad",
        "ticket.requester.language": language,
        "ticket.updated_at_with_timestamp": "2026-03-01T09:30:00Z",
    }
    rendered = re.sub(r"\{\{([a-z_.]+)\}\}", lambda found: values.get(found.group(1), ""), template)
    raw = rendered.encode()
    # WHEN delivered
    mapped = deliver(connector("zendesk"), ["z"], raw, zendesk_headers(raw, "z"))
    # THEN the requester's language, a name or a locale, is their locale; one not known is left out
    assert mapped.action == "accept" and mapped.feedback is not None
    assert mapped.feedback.customer.email == "kim@example.com"
    assert mapped.feedback.customer.locale == locale


def test_tally_language_hidden_field_is_the_customers_locale() -> None:
    # GIVEN the Tally example with a hidden field "language"
    body = json.loads((LOCAL / "tally" / "form_response.UNVERIFIED.json").read_text())
    body["data"]["fields"].append(
        {"key": "question_lang", "label": "language", "type": "HIDDEN_FIELDS", "value": "NO"}
    )
    raw = json.dumps(body).encode()
    hook = connector("tally", score_field="question_7Rb2aP")
    # WHEN delivered THEN the customer's locale is Norwegian
    mapped = deliver(hook, ["t"], raw, {"Tally-Signature": b64_hmac(b"t", raw)})
    assert mapped.feedback is not None and mapped.feedback.customer.locale == "no"


# --- Tally, Intercom, Help Scout, Jotform (fixtures built from the vendors' docs: UNVERIFIED) ---------


def test_tally_form_response() -> None:
    # GIVEN a Tally delivery signed with base64 HMAC-SHA256 of the body
    raw = (LOCAL / "tally" / "form_response.UNVERIFIED.json").read_bytes()
    hook = connector("tally", score_field="question_7Rb2aP", comment_field="What should we do better?")
    # WHEN delivered
    mapped = deliver(hook, ["t"], raw, {"Tally-Signature": b64_hmac(b"t", raw)})
    # THEN score by key, comment by label, respondent from the hidden field and the email question
    assert (mapped.action, mapped.event) == ("accept", "FORM_RESPONSE")
    assert (mapped.delivery_id, mapped.response_id) == ("3f1c2a4e-7d51-4a0b-9a63-5b2e9c0d7e11", "mZ4qLr")
    feedback = mapped.feedback
    assert feedback is not None
    assert feedback.score == NpsScore(type="nps", value=3)
    assert feedback.comment == "Nobody answered the phone for twenty minutes."
    assert (feedback.customer.id, feedback.customer.email) == ("cust-4410", "ana.silva@example.com")
    assert feedback.occurred_at == datetime(2024, 5, 14, 9, 12, 39, tzinfo=UTC)
    assert feedback.metadata == {"form_id": "wA7bQ2"}


def test_intercom_conversation_rating() -> None:
    # GIVEN an Intercom notification signed sha1= + hex HMAC-SHA1 with the app's client secret
    raw = (LOCAL / "intercom" / "conversation_rating_added.UNVERIFIED.json").read_bytes()
    digest = hmac.new(b"client-secret", raw, hashlib.sha1).hexdigest()
    # WHEN delivered
    mapped = deliver(connector("intercom"), ["client-secret"], raw, {"X-Hub-Signature": f"sha1={digest}"})
    # THEN the rating is a CSAT on the conversation
    assert (mapped.action, mapped.event) == ("accept", "conversation.rating.added")
    assert (mapped.delivery_id, mapped.response_id) == (
        "notif_8e0c2d8a-4b1f-4f64-9d1e-3a9b6f2c7d10", "215470339417658",
    )  # fmt: skip
    feedback = mapped.feedback
    assert feedback is not None
    assert feedback.score == CsatScore(type="csat", value=2)
    assert feedback.comment == "The answer came too late to help."
    assert (feedback.customer.id, feedback.customer.email, feedback.customer.name) == (
        "cust-7781", "jonas.berg@example.com", "Jonas Berg",
    )  # fmt: skip
    assert (feedback.interaction.id, feedback.interaction.channel) == ("215470339417658", "chat")
    assert (feedback.interaction.agent, feedback.interaction.team) == ("814860", "5017691")
    assert feedback.occurred_at == datetime.fromtimestamp(1715681000, UTC)


def test_intercom_admin_started_conversation_takes_the_contact_not_the_teammate() -> None:
    # GIVEN a rating of a conversation a teammate started (source.author is an admin, with an email),
    # the rating contact named by its Intercom id only
    raw = (LOCAL / "intercom" / "conversation_rating_added_admin_initiated.UNVERIFIED.json").read_bytes()
    digest = hmac.new(b"client-secret", raw, hashlib.sha1).hexdigest()
    # WHEN delivered
    mapped = deliver(connector("intercom"), ["client-secret"], raw, {"X-Hub-Signature": f"sha1={digest}"})
    # THEN the customer is the contact who rated, by Intercom's contact id
    feedback = mapped.feedback
    assert mapped.action == "accept" and feedback is not None
    assert feedback.customer.id == "6643b1f09c8d7e0012399876"
    # AND nothing of the teammate became the customer's
    assert feedback.customer.email is None and feedback.customer.name is None
    assert "mark.teammate@company.example" not in feedback.model_dump_json()
    # AND the teammate is the agent, as for any rating
    assert feedback.interaction.agent == "814860"


@pytest.mark.parametrize("author_type", ["admin", "bot", "team"])
def test_intercom_takes_email_and_name_only_from_a_contact_author(author_type: str) -> None:
    # GIVEN the customer-started example, its author changed to a teammate, bot or team
    body = json.loads((LOCAL / "intercom" / "conversation_rating_added.UNVERIFIED.json").read_bytes())
    body["data"]["item"]["source"]["author"]["type"] = author_type
    raw = json.dumps(body).encode()
    digest = hmac.new(b"client-secret", raw, hashlib.sha1).hexdigest()
    # WHEN delivered
    mapped = deliver(connector("intercom"), ["client-secret"], raw, {"X-Hub-Signature": f"sha1={digest}"})
    # THEN the author's email and name are not the customer's; the rating contact still identifies them
    assert mapped.feedback is not None
    assert (mapped.feedback.customer.email, mapped.feedback.customer.name) == (None, None)
    assert mapped.feedback.customer.id == "cust-7781"


@pytest.mark.parametrize("author_type", ["user", "lead"])
def test_intercom_takes_email_and_name_from_a_user_or_lead_author(author_type: str) -> None:
    # GIVEN a conversation a user or a lead (a visitor who gave an email) started
    body = json.loads((LOCAL / "intercom" / "conversation_rating_added.UNVERIFIED.json").read_bytes())
    body["data"]["item"]["source"]["author"]["type"] = author_type
    raw = json.dumps(body).encode()
    digest = hmac.new(b"client-secret", raw, hashlib.sha1).hexdigest()
    # WHEN delivered THEN the author is the customer
    mapped = deliver(connector("intercom"), ["client-secret"], raw, {"X-Hub-Signature": f"sha1={digest}"})
    assert mapped.feedback is not None
    assert mapped.feedback.customer.email == "jonas.berg@example.com"


def test_helpscout_satisfaction_rating() -> None:
    # GIVEN a Help Scout rating signed with base64 HMAC-SHA1, its event in a header
    raw = (LOCAL / "helpscout" / "satisfaction_rating.UNVERIFIED.json").read_bytes()
    headers = {
        "X-HelpScout-Signature": b64_hmac(b"hs", raw, "sha1"),
        "X-HelpScout-Event": "satisfaction.ratings",
    }
    # WHEN delivered
    mapped = deliver(connector("helpscout"), ["hs"], raw, headers)
    # THEN the rating word becomes a CSAT score
    assert (mapped.action, mapped.delivery_id, mapped.response_id) == ("accept", None, "81234")
    feedback = mapped.feedback
    assert feedback is not None
    assert feedback.score == CsatScore(type="csat", value=1)
    assert feedback.comment == "I had to explain the problem three times."
    assert (feedback.customer.id, feedback.customer.email, feedback.customer.name) == (
        "55012", "maria.lind@example.com", "Maria Lind",
    )  # fmt: skip
    assert (feedback.interaction.id, feedback.interaction.channel, feedback.interaction.team) == (
        "2210045", "email", "Support",
    )  # fmt: skip
    assert feedback.occurred_at == datetime(2024, 5, 14, 10, 1, 12, tzinfo=UTC)


def test_helpscout_other_events_are_ignored() -> None:
    # GIVEN a conversation event on the same webhook
    raw = b'{"id": 1}'
    headers = {"X-HelpScout-Signature": b64_hmac(b"hs", raw, "sha1"), "X-HelpScout-Event": "convo.created"}
    # WHEN delivered THEN ignored
    assert deliver(connector("helpscout"), ["hs"], raw, headers).action == "ignore"


def test_jotform_multipart_with_url_token() -> None:
    # GIVEN a Jotform submission: multipart, answers as JSON in rawRequest, authenticated by URL token
    raw = (LOCAL / "jotform" / "submission.UNVERIFIED.multipart").read_bytes()
    hook = connector(
        "jotform", score_field="q3_howLikely", comment_field="q4_whatCould", email_field="q5_email",
        customer_field="q6_customerId",
    )  # fmt: skip
    # WHEN delivered with the token in the query
    mapped = deliver(hook, ["jf-token"], raw, {}, JOTFORM_TYPE, {"token": "jf-token"})
    # THEN the answers are read from rawRequest
    assert (mapped.action, mapped.delivery_id, mapped.response_id) == (
        "accept", "5912345678901234567", "5912345678901234567",
    )  # fmt: skip
    feedback = mapped.feedback
    assert feedback is not None
    assert feedback.score == NpsScore(type="nps", value=4)
    assert feedback.comment == "The delivery was two days late."
    assert (feedback.customer.id, feedback.customer.email) == ("cust-3021", "lee.chen@example.com")
    assert feedback.metadata == {"form_id": "241340000000001"}


def test_jotform_without_token_is_refused() -> None:
    # GIVEN a Jotform source
    hook = connector("jotform", score_field="q3_howLikely")
    # WHEN a delivery comes without the token, or with another
    # THEN it is refused with the reason
    assert signatures.verify(hook.signature, ["jf"], b"", {}, {}, NOW).reason == "missing token"
    assert signatures.verify(hook.signature, ["jf"], b"", {}, {"token": "x"}, NOW).reason == "bad token"


# --- across presets ---------------------------------------------------------------------------------


def test_a_score_outside_the_scale_is_a_mapping_error_naming_the_field() -> None:
    # GIVEN a Delighted delivery whose score is 11
    raw = json.dumps({"event_type": "survey_response.created", "event_id": "e", "event_data": {
        "id": "1", "score": 11, "person": {"id": "p"}}}).encode()  # fmt: skip
    digest = hmac.new(b"k", raw, hashlib.sha256).hexdigest()
    # WHEN delivered THEN the mapping error points at the score
    with pytest.raises(MappingError) as error:
        deliver(connector("delighted"), ["k"], raw, {"x-delighted-webhook-signature": f"sha256={digest}"})
    assert error.value.pointer.startswith("score")


def test_every_preset_resolves_and_documents_itself() -> None:
    # GIVEN every preset of this module
    docs = ROOT / "docs" / "connectors"
    minimal = {"typeform": {"score_ref": "nps"}, "formbricks": {"score_question": "nps"},
               "tally": {"score_field": "nps"}, "jotform": {"score_field": "q1"}}  # fmt: skip
    for name in (
        "typeform",
        "delighted",
        "formbricks",
        "zendesk",
        "tally",
        "intercom",
        "helpscout",
        "jotform",
    ):
        # WHEN it is resolved with its required options
        hook = connector(name, **minimal.get(name, {}))
        # THEN it has a scheme, a mapping, and a page in docs/connectors/
        assert name in PRESETS and hook.preset == name
        assert (docs / f"{name}.md").is_file(), f"docs/connectors/{name}.md is missing"


def test_every_source_example_in_the_connector_pages_is_valid() -> None:
    # GIVEN every YAML block of docs/connectors/ that is a source (or a list of sources)
    examples = []
    for page in sorted((ROOT / "docs" / "connectors").glob("*.md")):
        for block in re.findall(r"```yaml\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.DOTALL):
            document = yaml.safe_load(block)
            sources = document if isinstance(document, list) else [document]
            if all(isinstance(source, dict) and "id" in source for source in sources):
                examples.append((page.name, sources))
    assert {name for name, _ in examples} >= {"jotform.md", "qualtrics.md", "custom-mapping.md"}
    # WHEN each is loaded THEN it is accepted as written (options such as anonymous under options:)
    for name, sources in examples:
        try:
            config.parse_sources(sources)
        except config.ConfigError as error:
            pytest.fail(f"{name}: {error}")


def test_every_preset_page_that_offers_anonymous_shows_it_under_options() -> None:
    # GIVEN each preset page that tells how to accept anonymous respondents
    pages = [
        page
        for page in sorted((ROOT / "docs" / "connectors").glob("*.md"))
        if page.name != "README.md"
        and re.search(r"anonymous: (true|false)", page.read_text(encoding="utf-8"))
    ]
    assert {page.name for page in pages} >= {"jotform.md", "formbricks.md", "typeform.md"}
    for page in pages:
        # WHEN its source examples are loaded with the option switched on (commented lines included)
        blocks = re.findall(r"```yaml\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.DOTALL)
        shown = [block for block in blocks if re.search(r"anonymous: (true|false)", block)]
        # THEN one example shows where the option goes, and there it is accepted
        assert shown, f"{page.name} offers anonymous but shows no source with it"
        for block in shown:
            switched = re.sub(r"#\s*anonymous: true", "anonymous: true", block)
            switched = re.sub(r"anonymous: false", "anonymous: true", switched)
            document = yaml.safe_load(switched)
            sources = document if isinstance(document, list) else [document]
            try:
                config.parse_sources(sources)
            except config.ConfigError as error:
                pytest.fail(f"{page.name}: {error}")
