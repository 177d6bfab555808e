"""The fetch step of id-only webhooks, against a vendor API stubbed at the HTTP layer on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from recovery.sources import config
from recovery.sources.fetch import FetchFailed, FetchInputError, FetchStep, enrich, fetch_response
from recovery.sources.fetched_presets import OptionsError, PresetParts, qualtrics, surveymonkey
from recovery.sources.mapping import MappingSpec, apply_mapping, document
from recovery.sources.signatures import parse_scheme, verify
from tests.vendor_stub import VendorStub

ROOT = Path(__file__).resolve().parents[3]
SHARED = ROOT / "tests" / "fixtures" / "vendor"  # a copy of shared/fixtures/webhooks
LOCAL = ROOT / "tests" / "fixtures" / "webhooks"
SM_CALLBACK = SHARED / "surveymonkey" / "callback_event_example_A_filter_type_survey.json"
SM_DETAILS = SHARED / "surveymonkey" / "response_details_GET_example.json"
QX_EVENT = LOCAL / "qualtrics" / "completedResponse_event.UNVERIFIED.form"
QX_RESPONSE = LOCAL / "qualtrics" / "single_response_GET.UNVERIFIED.json"


def surveymonkey_step(base_url: str, **changes: Any) -> FetchStep:
    return FetchStep(
        api="surveymonkey",
        credentials="recovery-loop/test/surveymonkey",
        survey_id="body.resources.survey_id",
        response_id="body.object_id",
        base_url=base_url,
        **changes,
    )


def qualtrics_step(base_url: str) -> FetchStep:
    return FetchStep(
        api="qualtrics",
        credentials="recovery-loop/test/qualtrics",
        survey_id="body.SurveyID",
        response_id="body.ResponseID",
        base_url=base_url,
    )


def sm_document() -> dict[str, Any]:
    return {"body": json.loads(SM_CALLBACK.read_bytes()), "headers": {}, "query": {}}


def token(name: str) -> str:
    return {"recovery-loop/test/surveymonkey": "sm-token-1", "recovery-loop/test/qualtrics": "qx-token-1"}[
        name
    ]


def test_surveymonkey_callback_fetches_the_response_details_with_the_bearer_token(vendor: VendorStub) -> None:
    # GIVEN the vendor API serving the published response-details example for the callback's ids
    vendor.routes["/v3/surveys/123456789/responses/123456/details"] = (200, SM_DETAILS.read_bytes())
    # WHEN the callback is enriched
    document = enrich(surveymonkey_step(vendor.url), sm_document(), token_for=token)
    # THEN the fetched response is beside the webhook body, fetched once with the token from the secret
    assert document["response"] == json.loads(SM_DETAILS.read_bytes())
    assert document["body"]["object_id"] == "123456"
    assert len(vendor.seen) == 1
    assert vendor.seen[0][1]["authorization"] == "Bearer sm-token-1"


def test_qualtrics_event_fetches_the_response_with_the_api_token_and_unwraps_result(
    vendor: VendorStub,
) -> None:
    # GIVEN a form-encoded completedResponse event and the vendor API serving that response
    form = {k: v[0] for k, v in urllib.parse.parse_qs(QX_EVENT.read_text(encoding="utf-8")).items()}
    vendor.routes["/API/v3/surveys/SV_3aJ5o0UyhLxmsCx/responses/R_1ma7yqJ8gkNSs4v"] = (
        200,
        QX_RESPONSE.read_bytes(),
    )
    # WHEN the response is fetched
    response = fetch_response(qualtrics_step(vendor.url), {"body": form}, token_for=token)
    # THEN the mapping can read `values` directly, and the token went in X-API-TOKEN
    assert response["values"]["QID1"] == 3
    assert response["values"]["recipientEmail"] == "ada@example.com"
    assert vendor.seen[0][1]["x-api-token"] == "qx-token-1"
    assert "authorization" not in vendor.seen[0][1]


def test_qualtrics_host_comes_from_the_datacenter() -> None:
    # GIVEN a Qualtrics step with only a datacenter
    step = FetchStep(
        api="qualtrics",
        credentials="s",
        survey_id="body.SurveyID",
        response_id="body.ResponseID",
        datacenter="fra1",
    )
    # THEN the API root is that datacenter's host
    assert step.root() == "https://fra1.qualtrics.com"


def test_a_slow_vendor_is_a_transient_failure_within_the_budget(vendor: VendorStub) -> None:
    # GIVEN a vendor that answers after the budget
    vendor.routes["/v3/surveys/123456789/responses/123456/details"] = (200, SM_DETAILS.read_bytes())
    vendor.delay = 1.5
    step = surveymonkey_step(vendor.url, timeout_seconds=0.3)
    # WHEN the response is fetched
    started = time.monotonic()
    with pytest.raises(FetchFailed) as failure:
        fetch_response(step, sm_document(), token_for=token)
    # THEN it gives up on time with a reason the delivery log can show
    assert time.monotonic() - started < 1.2
    assert failure.value.reason == "the surveymonkey API did not answer within 0.3 s"


def test_a_vendor_that_is_down_is_a_transient_failure() -> None:
    # GIVEN nothing listening on the vendor's port
    step = surveymonkey_step("http://127.0.0.1:9")
    # WHEN the response is fetched / THEN it is a transient failure, which the hook answers with 503
    with pytest.raises(FetchFailed, match="unreachable"):
        fetch_response(step, sm_document(), token_for=token)


@pytest.mark.parametrize(
    ("status", "body"), [(503, b"{}"), (401, b'{"error": 1}'), (404, b"{}"), (200, b"<html>"), (200, b"[]")]
)
def test_a_vendor_error_or_odd_answer_is_a_transient_failure(
    vendor: VendorStub, status: int, body: bytes
) -> None:
    # GIVEN the vendor answering with an error or something that is not a response object
    vendor.routes["/v3/surveys/123456789/responses/123456/details"] = (status, body)
    # WHEN the response is fetched / THEN the failure names what went wrong, and carries no token
    with pytest.raises(FetchFailed) as failure:
        fetch_response(surveymonkey_step(vendor.url), sm_document(), token_for=token)
    assert "surveymonkey API" in failure.value.reason
    assert "sm-token-1" not in failure.value.reason


def test_a_webhook_without_the_response_id_is_a_body_error_and_calls_nobody(vendor: VendorStub) -> None:
    # GIVEN a callback whose object id is missing
    document = sm_document()
    del document["body"]["object_id"]
    # WHEN the response is fetched / THEN the error points at the missing id, and the vendor is not called
    with pytest.raises(FetchInputError) as failure:
        fetch_response(surveymonkey_step(vendor.url), document, token_for=token)
    assert failure.value.pointer == "/response_id"
    assert vendor.seen == []


def test_an_id_with_a_path_in_it_is_refused(vendor: VendorStub) -> None:
    # GIVEN a callback whose id tries to walk the vendor's API
    document = sm_document()
    document["body"]["object_id"] = "../../users/me"
    # WHEN the response is fetched / THEN it is refused before any request
    with pytest.raises(FetchInputError, match="not a vendor id"):
        fetch_response(surveymonkey_step(vendor.url), document, token_for=token)
    assert vendor.seen == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"base_url": "http://api.example.com"}, "base_url"),
        ({"credentials": ""}, "credentials"),
        ({"survey_id": "body.["}, "survey_id"),
        ({"timeout_seconds": 6}, "timeout_seconds"),
    ],
)
def test_a_bad_step_is_refused_naming_the_key(changes: dict[str, Any], message: str) -> None:
    # GIVEN a step with one bad setting / THEN building it names that setting
    settings: dict[str, Any] = {
        "api": "surveymonkey",
        "credentials": "s",
        "survey_id": "body.resources.survey_id",
        "response_id": "body.object_id",
        **changes,
    }
    with pytest.raises(ValueError, match=message):
        FetchStep(**settings)


def test_qualtrics_needs_a_datacenter() -> None:
    with pytest.raises(ValueError, match="datacenter"):
        FetchStep(api="qualtrics", credentials="s", survey_id="body.SurveyID", response_id="body.ResponseID")


# The presets: signature, fetch and mapping together, on the fixtures' exact bytes.

SM_SECRET = "sm-api-key&sm-api-secret"
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def sm_sign(secret: str, raw: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha1).digest()).decode()


def sm_parts(vendor: VendorStub, **options: Any) -> PresetParts:
    return surveymonkey(
        {
            "credentials": "recovery-loop/test/surveymonkey",
            "score_question": "319352786",
            "score_choices": {"3057839051": 9},
            "customer_variable": "custvar_1",
            "api_base_url": vendor.url,
            **options,
        }
    )


def test_surveymonkey_preset_maps_the_fetched_details_field_by_field(vendor: VendorStub) -> None:
    # GIVEN the published callback, signed as SurveyMonkey signs it, and the API serving the details
    raw = SM_CALLBACK.read_bytes()
    headers = {"sm-signature": sm_sign(SM_SECRET, raw), "content-type": "application/json"}
    vendor.routes["/v3/surveys/123456789/responses/123456/details"] = (200, SM_DETAILS.read_bytes())
    parts = sm_parts(vendor)
    scheme = parse_scheme(parts.signature)
    mapping = MappingSpec.model_validate(parts.mapping)
    # WHEN the delivery is verified, enriched and mapped
    check = verify(scheme, [SM_SECRET], raw, headers, {}, NOW)
    doc = document(raw, headers["content-type"], headers, {}, mapping.body)
    mapped = apply_mapping(
        mapping, enrich(parts.fetch, doc, event=mapping.event, events=mapping.events, token_for=token)
    )
    # THEN it is accepted as canonical feedback, field by field
    assert check.ok
    assert mapped.action == "accept"
    assert mapped.delivery_id == "123456789"
    assert mapped.response_id == "123456"
    feedback = mapped.feedback
    assert feedback is not None
    assert feedback.external_id == "123456"
    assert (feedback.score.type, feedback.score.value) == ("nps", 9)  # type: ignore[union-attr]
    assert feedback.customer.id == "one"
    assert feedback.customer.email is None
    assert feedback.comment is None
    assert feedback.occurred_at == datetime(2015, 12, 28, 21, 59, 38, tzinfo=UTC)
    assert feedback.metadata == {"survey_id": "105724755", "collector_id": "50253690"}


def test_surveymonkey_preset_reads_the_comment_question(vendor: VendorStub) -> None:
    # GIVEN the details with an open-ended answer added on the same page
    details = json.loads(SM_DETAILS.read_bytes())
    details["pages"][0]["questions"].append({"id": "319352790", "answers": [{"text": "Nobody called back."}]})
    vendor.routes["/v3/surveys/123456789/responses/123456/details"] = (200, json.dumps(details).encode())
    parts = sm_parts(vendor, comment_question="319352790")
    mapping = MappingSpec.model_validate(parts.mapping)
    raw = SM_CALLBACK.read_bytes()
    # WHEN it is enriched and mapped
    doc = enrich(parts.fetch, document(raw, "application/json", {}, {}), token_for=token)
    mapped = apply_mapping(mapping, doc)
    # THEN the comment is the open-ended answer
    assert mapped.feedback is not None
    assert mapped.feedback.comment == "Nobody called back."


@pytest.mark.parametrize(
    ("raw", "secret"),
    [
        (SM_CALLBACK.read_bytes().replace(b"123456", b"654321"), SM_SECRET),  # tampered body
        (SM_CALLBACK.read_bytes(), "other-key&other-secret"),  # wrong api key and secret
    ],
)
def test_surveymonkey_wrong_signature_is_refused(raw: bytes, secret: str) -> None:
    # GIVEN a callback signed over other bytes, or with another key
    scheme = parse_scheme(surveymonkey({"credentials": "s", "score_question": "1"}).signature)
    headers = {"Sm-Signature": sm_sign(SM_SECRET, SM_CALLBACK.read_bytes())}
    # WHEN it is verified with the source's secret / THEN it is refused as a bad signature
    check = verify(scheme, [secret], raw, headers, {}, NOW)
    assert (check.ok, check.reason) == (False, "bad signature")


def test_surveymonkey_ignored_event_calls_no_api(vendor: VendorStub) -> None:
    # GIVEN a callback for an event the preset does not use
    body = json.loads(SM_CALLBACK.read_bytes()) | {"event_type": "response_deleted"}
    parts = sm_parts(vendor)
    mapping = MappingSpec.model_validate(parts.mapping)
    # WHEN it is enriched and mapped
    doc = enrich(parts.fetch, {"body": body}, event=mapping.event, events=mapping.events, token_for=token)
    mapped = apply_mapping(mapping, doc)
    # THEN it is ignored without a call to the vendor
    assert mapped.action == "ignore"
    assert vendor.seen == []


def test_qualtrics_preset_takes_its_token_and_maps_the_fetched_response(vendor: VendorStub) -> None:
    # GIVEN the form-encoded event on a hook URL with the source's token, and the API serving the response
    raw = QX_EVENT.read_bytes()
    vendor.routes["/API/v3/surveys/SV_3aJ5o0UyhLxmsCx/responses/R_1ma7yqJ8gkNSs4v"] = (
        200,
        QX_RESPONSE.read_bytes(),
    )
    parts = qualtrics(
        {
            "credentials": "recovery-loop/test/qualtrics",
            "score_question": "QID1",
            "comment_question": "QID2",
            "api_base_url": vendor.url,
        }
    )
    scheme = parse_scheme(parts.signature)
    mapping = MappingSpec.model_validate(parts.mapping)
    # WHEN it is verified, enriched and mapped
    good = verify(scheme, ["url-token-1"], raw, {}, {"token": "url-token-1"}, NOW)
    bad = verify(scheme, ["url-token-1"], raw, {}, {"token": "url-token-2"}, NOW)
    doc = document(raw, "application/x-www-form-urlencoded", {}, {"token": "url-token-1"}, mapping.body)
    mapped = apply_mapping(mapping, enrich(parts.fetch, doc, token_for=token))
    # THEN only the right token passes, and the response maps field by field
    assert good.ok
    assert (bad.ok, bad.reason) == (False, "bad token")
    assert (mapped.action, mapped.delivery_id, mapped.response_id) == (
        "accept",
        "R_1ma7yqJ8gkNSs4v",
        "R_1ma7yqJ8gkNSs4v",
    )
    feedback = mapped.feedback
    assert feedback is not None
    assert feedback.external_id == "R_1ma7yqJ8gkNSs4v"
    assert (feedback.score.type, feedback.score.value) == ("nps", 3)  # type: ignore[union-attr]
    assert feedback.comment == "Waited 40 minutes on hold and nobody answered."
    assert (feedback.customer.id, feedback.customer.email, feedback.customer.name) == (
        "c-42",
        "ada@example.com",
        "Ada",
    )
    assert feedback.interaction.channel == "email"
    assert feedback.occurred_at == datetime(2026, 11, 20, 9, 41, 7, tzinfo=UTC)
    assert feedback.metadata == {"survey_id": "SV_3aJ5o0UyhLxmsCx"}


@pytest.mark.parametrize(
    ("preset", "options", "pointer"),
    [
        (surveymonkey, {"credentials": "s", "score_question": "abc"}, "options/score_question"),
        (surveymonkey, {"credentials": "s", "score_question": "1", "colour": "red"}, "options/colour"),
        (surveymonkey, {"score_question": "1"}, "options/credentials"),
        (qualtrics, {"credentials": "s", "score_question": "QID1"}, "options/datacenter"),
        (
            qualtrics,
            {"credentials": "s", "score_question": "QID1'] | x", "datacenter": "fra1"},
            "options/score_question",
        ),
        (
            surveymonkey,
            {"credentials": "s", "score_question": "1", "api_base_url": "http://evil.example"},
            "options/api_base_url",
        ),
    ],
)
def test_a_bad_option_is_named(preset: Any, options: dict[str, Any], pointer: str) -> None:
    # GIVEN options with one bad key / THEN the preset names it
    with pytest.raises(OptionsError) as failure:
        preset(options)
    assert failure.value.pointer == pointer


def test_a_source_with_the_preset_resolves_to_a_connector_with_the_fetch_step() -> None:
    # GIVEN a SurveyMonkey source as configured
    source = {
        "id": "sm-nps",
        "name": "SurveyMonkey NPS",
        "preset": "surveymonkey",
        "options": {"credentials": "recovery-loop/prod/sources/sm", "score_question": "319352786"},
    }
    # WHEN it is loaded
    connector = config.resolve(config.parse_source(source))
    # THEN the connector carries the fetch step with the credentials and the callback's id paths
    assert connector.fetch == FetchStep(
        api="surveymonkey",
        credentials="recovery-loop/prod/sources/sm",
        survey_id="body.resources.survey_id",
        response_id="body.object_id",
        event="body.event_type",
        events=("response_completed", "response_updated"),
    )
    assert connector.signature.model_dump()["header"] == "sm-signature"


def test_a_bad_preset_option_is_named_when_the_source_is_loaded() -> None:
    # GIVEN a Qualtrics source without its datacenter
    source = {
        "id": "qx",
        "name": "Qualtrics",
        "preset": "qualtrics",
        "options": {"credentials": "s", "score_question": "QID1"},
    }
    # WHEN the sources document is loaded / THEN the error names the option
    with pytest.raises(config.ConfigError) as failure:
        config.parse_sources([source])
    assert failure.value.pointer == "sources/0/options/datacenter"


# The source's own event table: what it maps is what is fetched.
def sm_connectors(base_url: str, events: dict[str, str]) -> tuple[Any, Any]:
    from recovery.domain.source import StoredSource
    from recovery.services.inbound_hooks import Connectors, HookSource, intake_source
    from recovery.store.sources import SourceStore

    source = {
        "id": "sm-csat",
        "name": "SurveyMonkey",
        "preset": "surveymonkey",
        "options": {
            "credentials": "recovery-loop/test/surveymonkey",
            "score_question": "319352786",
            "score_type": "csat",
            "score_choices": {"3057839051": 2},
            "anonymous": True,
            "api_base_url": base_url,
        },
        "mapping": {"events": events},
    }
    connector = config.resolve(config.parse_source(source))
    item = StoredSource(source_id="sm-csat", name="SurveyMonkey", updated_at=None)
    hook = HookSource(intake_source(item), connector, ())
    fetch = lambda step, doc, **table: enrich(step, doc, token_for=token, **table)  # noqa: E731
    return Connectors(SourceStore(), fetch=fetch), hook


def sm_delivery(event_type: str) -> Any:
    from recovery.services.inbound_hooks import Delivery

    body = json.loads(SM_CALLBACK.read_bytes()) | {"event_type": event_type}
    return Delivery(json.dumps(body).encode("utf-8"), {"content-type": "application/json"}, {})


def test_an_event_the_source_newly_accepts_is_fetched_and_mapped(vendor: VendorStub) -> None:
    # GIVEN a SurveyMonkey source whose own event table accepts response_created (the preset's does not)
    vendor.routes["/v3/surveys/123456789/responses/123456/details"] = (200, SM_DETAILS.read_bytes())
    connectors, hook = sm_connectors(vendor.url, {"response_created": "accept"})
    # WHEN a response_created callback is mapped
    mapped = connectors.map(hook, sm_delivery("response_created"))
    # THEN the response was fetched, and its answer is the score
    assert len(vendor.seen) == 1
    assert mapped.action == "accept" and mapped.feedback is not None
    assert mapped.feedback.score is not None and mapped.feedback.score.value == 2


def test_an_event_the_source_no_longer_accepts_is_not_fetched(vendor: VendorStub) -> None:
    # GIVEN a SurveyMonkey source whose own event table drops response_updated
    connectors, hook = sm_connectors(vendor.url, {"response_completed": "accept"})
    # WHEN a response_updated callback is mapped
    mapped = connectors.map(hook, sm_delivery("response_updated"))
    # THEN the vendor API is not called and the delivery is ignored
    assert vendor.seen == []
    assert mapped.action == "ignore"


# --- Qualtrics's signed form (an event subscription with a sharedKey) -------------------------------
QX_SIGNED = LOCAL / "qualtrics" / "completedResponse_event.sharedKey.UNVERIFIED.form"
QX_SHARED_KEY = "qualtrics-shared-key-1"  # the key the fixture is signed with
QX_PATH = "/API/v3/surveys/SV_3aJ5o0UyhLxmsCx/responses/R_1ma7yqJ8gkNSs4v"
FORM = "application/x-www-form-urlencoded"


def qualtrics_parts(base_url: str, **options: Any) -> PresetParts:
    return qualtrics(
        {"credentials": "recovery-loop/test/qualtrics", "score_question": "QID1", "api_base_url": base_url}
        | options
    )


def qx_check(parts: PresetParts, raw: bytes, secret: str, query: dict[str, str] | None = None) -> Any:
    return verify(parse_scheme(parts.signature), [secret], raw, {"content-type": FORM}, query or {}, NOW)


def qx_mapped(parts: PresetParts, raw: bytes, query: dict[str, str] | None = None) -> Any:
    mapping = MappingSpec.model_validate(parts.mapping)
    doc = document(raw, FORM, {}, query or {}, mapping.body)
    return apply_mapping(mapping, enrich(parts.fetch, doc, token_for=token))


def test_qualtrics_signed_event_is_verified_fetched_and_mapped(vendor: VendorStub) -> None:
    # GIVEN a source signing with the subscription's sharedKey, and a signed event (Topic, MSG, HMAC)
    vendor.routes[QX_PATH] = (200, QX_RESPONSE.read_bytes())
    parts = qualtrics_parts(vendor.url, signing="shared_key")
    raw = QX_SIGNED.read_bytes()
    # WHEN it is verified with the shared key, then fetched and mapped
    check = qx_check(parts, raw, QX_SHARED_KEY)
    mapped = qx_mapped(parts, raw)
    # THEN the HMAC is good, the ids came from the JSON in MSG, and the response maps as the unsigned one
    assert check.ok, check.reason
    assert [path for path, _ in vendor.seen] == [QX_PATH]
    assert (mapped.action, mapped.delivery_id, mapped.response_id) == (
        "accept", "R_1ma7yqJ8gkNSs4v", "R_1ma7yqJ8gkNSs4v",
    )  # fmt: skip
    assert mapped.feedback.customer.email == "ada@example.com"
    assert mapped.feedback.metadata == {"survey_id": "SV_3aJ5o0UyhLxmsCx"}


def test_qualtrics_signed_event_tampered_or_under_another_key_is_refused() -> None:
    # GIVEN the signed event with its message changed, and the same event checked with another key
    parts = qualtrics_parts("https://fra1.qualtrics.com", signing="shared_key")
    raw = QX_SIGNED.read_bytes()
    tampered = raw.replace(b"R_1ma7yqJ8gkNSs4v", b"R_2ma7yqJ8gkNSs4v")
    assert tampered != raw
    # WHEN verified THEN both are refused (the hook answers 401 before any fetch)
    assert qx_check(parts, tampered, QX_SHARED_KEY).reason == "bad signature"
    assert qx_check(parts, raw, "another-shared-key").reason == "bad signature"
    # AND an unsigned event, even with a URL token, is refused by a source that expects the signature
    unsigned = QX_EVENT.read_bytes()
    assert qx_check(parts, unsigned, QX_SHARED_KEY, {"token": QX_SHARED_KEY}).reason == "missing signature"


def test_qualtrics_token_signing_is_the_default_and_reads_either_form(vendor: VendorStub) -> None:
    # GIVEN a source without the option (token signing), and the unsigned and the signed form of an event
    vendor.routes[QX_PATH] = (200, QX_RESPONSE.read_bytes())
    parts = qualtrics_parts(vendor.url)
    assert parts.signature == {"token": "query"}
    query = {"token": "url-token-1"}
    # WHEN each arrives on the hook URL with the token
    for raw in (QX_EVENT.read_bytes(), QX_SIGNED.read_bytes()):
        check = qx_check(parts, raw, "url-token-1", query)
        mapped = qx_mapped(parts, raw, query)
        # THEN the token is checked, and the response is found and mapped from either form
        assert check.ok, check.reason
        assert (mapped.action, mapped.response_id) == ("accept", "R_1ma7yqJ8gkNSs4v")
    assert len(vendor.seen) == 2


def test_qualtrics_msg_that_is_not_json_is_a_body_error_and_calls_nobody(vendor: VendorStub) -> None:
    # GIVEN an event whose MSG is not JSON
    parts = qualtrics_parts(vendor.url, signing="shared_key")
    mapping = MappingSpec.model_validate(parts.mapping)
    raw = b"Topic=t&MSG=%7Bnot+json&HMAC=00"
    # WHEN it is enriched THEN the fetch step names the field, and the vendor is not called
    with pytest.raises(FetchInputError) as failure:
        enrich(parts.fetch, document(raw, FORM, {}, {}, mapping.body), token_for=token)
    assert failure.value.pointer == "/MSG"
    assert vendor.seen == []


def test_qualtrics_signing_option_is_checked() -> None:
    # GIVEN an unknown signing option / THEN the preset names it
    with pytest.raises(OptionsError) as failure:
        qualtrics_parts("https://fra1.qualtrics.com", signing="sha1")
    assert failure.value.pointer == "options/signing"


@pytest.mark.parametrize(
    ("user_language", "locale"), [("NO", "no"), ("ZH-S", "zh-Hans"), ("EN-GB", "en-GB"), ("PT-BR", "pt-BR")]
)
def test_qualtrics_user_language_is_the_customers_locale(
    vendor: VendorStub, user_language: str, locale: str
) -> None:
    # GIVEN a response taken in a language: Qualtrics's code in the response's userLanguage
    response = json.loads(QX_RESPONSE.read_bytes())
    response["result"]["values"]["userLanguage"] = user_language
    vendor.routes[QX_PATH] = (200, json.dumps(response).encode())
    parts = qualtrics_parts(vendor.url, signing="shared_key")
    # WHEN the signed event is mapped with the fetched response
    mapped = qx_mapped(parts, QX_SIGNED.read_bytes())
    # THEN the customer's locale is the BCP 47 tag (a Norwegian respondent: no, written to in Norwegian)
    assert mapped.action == "accept"
    assert mapped.feedback.customer.locale == locale


# --- Intercom: the rating contact read from the Contacts API when the source has credentials -----------
IC_ADMIN_STARTED = LOCAL / "intercom" / "conversation_rating_added_admin_initiated.UNVERIFIED.json"
IC_CONTACT = LOCAL / "intercom" / "contact_GET.UNVERIFIED.json"
IC_PATH = "/contacts/6643b1f09c8d7e0012399876"


def intercom_connectors(base_url: str) -> tuple[Any, Any]:
    from recovery.domain.source import StoredSource
    from recovery.services.inbound_hooks import Connectors, HookSource, intake_source
    from recovery.store.sources import SourceStore

    source = {
        "id": "ic-csat",
        "name": "Intercom",
        "preset": "intercom",
        "options": {"credentials": "recovery-loop/test/intercom", "api_base_url": base_url},
    }
    connector = config.resolve(config.parse_source(source))
    hook = HookSource(
        intake_source(StoredSource(source_id="ic-csat", name="Intercom", updated_at=None)), connector, ()
    )
    tokens = {"recovery-loop/test/intercom": "ic-token-1"}
    fetch = lambda step, doc, **table: enrich(step, doc, token_for=tokens.__getitem__, **table)  # noqa: E731
    return Connectors(SourceStore(), fetch=fetch), hook


def ic_delivery(raw: bytes) -> Any:
    from recovery.services.inbound_hooks import Delivery

    return Delivery(raw, {"content-type": "application/json"}, {})


def test_intercom_admin_started_rating_reads_the_contact_with_the_token(vendor: VendorStub) -> None:
    # GIVEN an Intercom source with an access token, and the Contacts API serving the rating contact
    vendor.routes[IC_PATH] = (200, IC_CONTACT.read_bytes())
    connectors, hook = intercom_connectors(vendor.url)
    # WHEN a rating of a conversation a teammate started is mapped
    mapped = connectors.map(hook, ic_delivery(IC_ADMIN_STARTED.read_bytes()))
    # THEN the contact was read by its Intercom id, with the bearer token and an API version
    [(path, headers)] = vendor.seen
    assert path == IC_PATH
    assert headers["authorization"] == "Bearer ic-token-1" and headers["intercom-version"]
    # AND the customer is that contact (email, name, browser language), never the teammate who wrote first
    customer = mapped.feedback.customer
    assert (customer.id, customer.email, customer.name, customer.locale) == (
        "6643b1f09c8d7e0012399876", "ingrid.dahl@example.com", "Ingrid Dahl", "nb",
    )  # fmt: skip
    assert customer.phone is None  # typed as "91 23 45 67": not taken, so it cannot refuse the rating


def test_intercom_contact_gone_is_taken_in_by_id_and_a_ping_is_not_fetched(vendor: VendorStub) -> None:
    # GIVEN the Contacts API answering 404 (the contact was deleted)
    connectors, hook = intercom_connectors(vendor.url)
    # WHEN the rating is mapped, then Intercom's ping
    mapped = connectors.map(hook, ic_delivery(IC_ADMIN_STARTED.read_bytes()))
    ping = connectors.map(hook, ic_delivery(b'{"type": "notification_event", "topic": "ping", "id": "n1"}'))
    # THEN the rating is accepted with the contact's id only, and the ping is ignored without a request
    assert mapped.action == "accept"
    assert (mapped.feedback.customer.id, mapped.feedback.customer.email) == ("6643b1f09c8d7e0012399876", None)
    assert ping.action == "ignore"
    assert [path for path, _ in vendor.seen] == [IC_PATH]


def test_intercom_api_failing_is_a_transient_failure(vendor: VendorStub) -> None:
    # GIVEN the Contacts API failing
    vendor.routes[IC_PATH] = (500, b"{}")
    connectors, hook = intercom_connectors(vendor.url)
    # WHEN a rating is mapped THEN it fails transiently (the hook answers 503, Intercom resends)
    with pytest.raises(FetchFailed, match="the intercom API answered 500"):
        connectors.map(hook, ic_delivery(IC_ADMIN_STARTED.read_bytes()))


def test_intercom_without_credentials_fetches_nothing_and_base_url_needs_them() -> None:
    # GIVEN the preset without credentials, and with an API host but no credentials
    plain = config.resolve(config.parse_source({"id": "ic", "name": "Intercom", "preset": "intercom"}))
    source = {
        "id": "ic",
        "name": "Intercom",
        "preset": "intercom",
        "options": {"api_base_url": "https://x.example"},
    }
    # WHEN resolved THEN the first has no fetch step, the second is refused naming the option
    assert plain.fetch is None
    with pytest.raises(config.ConfigError) as failure:
        config.parse_source(source)
    assert failure.value.pointer == "source/options/api_base_url"
