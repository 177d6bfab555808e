"""The customer's value (customer.value) where vendors carry it: Typeform and Tally hidden fields, Delighted
person properties, Formbricks contact attributes, Zendesk organization fields in the documented trigger
body, Intercom contact custom attributes; and in a declarative mapping. A value that does not hold is left
out and the rating still counts."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Any

import pytest
from pydantic import ValidationError

from recovery.sources import config, mapping
from recovery.sources.fetched_presets import qualtrics, surveymonkey
from tests.unit.sources.test_presets import (
    LOCAL,
    ROOT,
    SHARED,
    WHSEC,
    b64_hmac,
    connector,
    deliver,
    formbricks_headers,
    zendesk_headers,
)

EUR_12000 = {"amount": "12000.00", "currency": "EUR"}


def typeform(hidden: dict[str, str], **options: Any) -> Any:
    body = json.loads((SHARED / "typeform" / "form_response_official_example.json").read_text())
    body["form_response"]["hidden"].update(hidden)
    raw = json.dumps(body).encode()
    hook = connector(
        "typeform", score_ref="WOTdC00F8A3h", score_type="stars", customer_hidden="user_id", **options
    )
    mapped = deliver(hook, ["k"], raw, {"Typeform-Signature": "sha256=" + b64_hmac(b"k", raw)})
    assert mapped.action == "accept" and mapped.feedback is not None
    return mapped.feedback


def value(feedback: Any) -> dict[str, str] | None:
    found = feedback.customer.value
    return found.model_dump(mode="json") if found is not None else None


@pytest.mark.parametrize(
    ("hidden", "want"),
    [
        ({"customer_value": "12000", "currency": "eur"}, EUR_12000),  # hidden fields are text; case folded
        ({"customer_value": " 950.5 ", "currency": "NOK"}, {"amount": "950.50", "currency": "NOK"}),
        ({}, None),  # the official example carries none
        ({"customer_value": "12000"}, None),  # no currency: no value
        ({"customer_value": "lots", "currency": "EUR"}, None),  # not a number: left out, rating kept
        ({"customer_value": "-5", "currency": "EUR"}, None),
        ({"customer_value": "12000", "currency": "euros"}, None),
        ({"customer_value": "", "currency": "EUR"}, None),
    ],
)
def test_typeform_reads_the_value_from_hidden_fields(hidden: dict[str, str], want: Any) -> None:
    feedback = typeform(hidden)
    assert value(feedback) == want
    assert feedback.customer.id == "abc123456"  # the rest maps as before


def test_typeform_hidden_field_names_are_options() -> None:
    feedback = typeform({"arr": "12000", "cur": "EUR"}, value_hidden="arr", currency_hidden="cur")
    assert value(feedback) == EUR_12000


def test_tally_reads_the_value_from_hidden_fields() -> None:
    body = json.loads((LOCAL / "tally" / "form_response.UNVERIFIED.json").read_text())
    for label, answer in (("customer_value", "12000"), ("currency", "EUR")):
        body["data"]["fields"].append(
            {"key": f"question_{label}", "label": label, "type": "HIDDEN_FIELDS", "value": answer}
        )
    raw = json.dumps(body).encode()
    mapped = deliver(
        connector("tally", score_field="question_7Rb2aP"),
        ["t"],
        raw,
        {"Tally-Signature": b64_hmac(b"t", raw)},
    )
    assert mapped.feedback is not None and value(mapped.feedback) == EUR_12000


@pytest.mark.parametrize(
    "properties",
    [{"customer_value": "12000", "currency": "EUR"}, {"Customer Value": 12000, "Currency": "EUR"}],
)
def test_delighted_reads_the_value_from_person_properties(properties: dict[str, Any]) -> None:
    body = json.loads(
        (SHARED / "delighted" / "survey_response_updated_non_promoter.zulip_fixture.json").read_text()
    )
    body["event_data"]["person_properties"] = properties
    raw = json.dumps(body).encode()
    digest = hmac.new(b"d", raw, hashlib.sha256).hexdigest()
    mapped = deliver(
        connector("delighted"), ["d"], raw, {"X-Delighted-Webhook-Signature": f"sha256={digest}"}
    )
    assert mapped.feedback is not None and value(mapped.feedback) == EUR_12000


def test_formbricks_reads_the_value_from_contact_attributes() -> None:
    body = json.loads((SHARED / "formbricks" / "responseFinished_docs.json").read_text())
    body["data"]["data"]["nps"] = 2
    body["data"]["contactAttributes"] = {
        "email": "ada@example.com",
        "customer_value": 12000,
        "currency": "EUR",
    }
    raw = json.dumps(body).encode()
    mapped = deliver(
        connector("formbricks", score_question="nps"), [WHSEC], raw, formbricks_headers(raw, "m")
    )
    assert mapped.feedback is not None and value(mapped.feedback) == EUR_12000


@pytest.mark.parametrize(
    ("amount", "currency", "want"),
    [("12000", "EUR", EUR_12000), ("", "", None)],  # an unset organization field renders as empty text
)
def test_zendesk_documented_trigger_body_carries_the_organizations_value(
    amount: str, currency: str, want: Any
) -> None:
    guide = (ROOT / "docs" / "connectors" / "zendesk.md").read_text(encoding="utf-8")
    template = re.findall(r"```json\n(.*?)```", guide, flags=re.DOTALL)[0]
    values = {
        "ticket.id": "4411",
        "ticket.requester.email": "kim@example.com",
        "satisfaction.current_rating": "Bad",
        "ticket.updated_at_with_timestamp": "2026-03-01T09:30:00Z",
        "ticket.organization.custom_fields.customer_value": amount,
        "ticket.organization.custom_fields.customer_currency": currency,
    }
    rendered = re.sub(r"\{\{([a-z_.]+)\}\}", lambda found: values.get(found.group(1), ""), template)
    assert "customer_value" in template and "customer_currency" in template
    raw = rendered.encode()
    mapped = deliver(connector("zendesk"), ["z"], raw, zendesk_headers(raw, "z"))
    assert mapped.action == "accept" and mapped.feedback is not None
    assert value(mapped.feedback) == want


def test_intercom_reads_the_contacts_custom_attributes_when_fetched() -> None:
    raw = (LOCAL / "intercom" / "conversation_rating_added.UNVERIFIED.json").read_bytes()
    hook = connector("intercom")
    document = mapping.document(raw, "application/json", {}, {}, hook.mapping.body)
    document["contact"] = {"custom_attributes": {"customer_value": 12000, "currency": "EUR"}}
    mapped = mapping.apply(hook, document)
    assert mapped.feedback is not None and value(mapped.feedback) == EUR_12000


def test_a_declarative_mapping_sets_the_value_with_a_literal_currency() -> None:
    spec = config.SourceSpec.model_validate(
        {
            "id": "crm",
            "name": "CRM form",
            "signature": {"token": "query"},
            "mapping": {
                "response_id": "body.id",
                "score": {"type": "nps", "value": "body.nps"},
                "customer": {"id": "body.account", "value": {"amount": "body.arr", "currency": "'EUR'"}},
            },
        }
    )
    hook = config.resolve(spec)
    raw = json.dumps({"id": "r1", "nps": 2, "account": "acme", "arr": 12000}).encode()
    mapped = mapping.apply(hook, mapping.document(raw, "application/json", {}, {}, hook.mapping.body))
    assert mapped.feedback is not None and value(mapped.feedback) == EUR_12000


def test_a_mapping_value_needs_both_expressions() -> None:
    with pytest.raises(ValidationError, match=r"customer\.value\.currency"):
        mapping.MappingSpec.model_validate(
            {"score": {"type": "nps", "value": "body.nps"}, "customer": {"value": {"amount": "body.arr"}}}
        )


def test_surveymonkey_reads_the_value_from_custom_variables() -> None:
    # GIVEN the published callback and its details (as the fetch step adds them), whose survey link
    # carried the custom variables customer_value and currency
    details = json.loads((SHARED / "surveymonkey" / "response_details_GET_example.json").read_text())
    details["custom_variables"] |= {"customer_value": "12000", "currency": "EUR"}
    callback = json.loads(
        (SHARED / "surveymonkey" / "callback_event_example_A_filter_type_survey.json").read_text()
    )
    parts = surveymonkey(
        {
            "credentials": "s",
            "score_question": "319352786",
            "score_choices": {"3057839051": 9},
            "customer_variable": "custvar_1",
        }
    )
    mapped = mapping.apply_mapping(
        mapping.MappingSpec.model_validate(parts.mapping), {"body": callback, "response": details}
    )
    assert mapped.feedback is not None and value(mapped.feedback) == EUR_12000


def test_qualtrics_reads_the_value_from_embedded_data() -> None:
    response = json.loads((LOCAL / "qualtrics" / "single_response_GET.UNVERIFIED.json").read_text())
    response["result"]["values"] |= {"customer_value": 12000, "currency": "EUR"}
    body = {"ResponseID": "R_1", "SurveyID": "SV_1"}
    parts = qualtrics({"credentials": "q", "score_question": "QID1", "datacenter": "fra1"})
    spec = mapping.MappingSpec.model_validate(parts.mapping)
    mapped = mapping.apply_mapping(spec, {"body": body, "response": response["result"]})
    assert mapped.feedback is not None and value(mapped.feedback) == EUR_12000


def test_a_source_overrides_or_turns_off_its_presets_value() -> None:
    base = {"id": "tf", "name": "Typeform", "preset": "typeform", "options": {"score_ref": "nps"}}
    fixed = config.resolve(
        config.SourceSpec.model_validate({**base, "mapping": {"customer": {"value": {"currency": "'NOK'"}}}})
    )
    off = config.resolve(config.SourceSpec.model_validate({**base, "mapping": {"customer": {"value": None}}}))
    assert fixed.mapping.customer.value is not None
    assert fixed.mapping.customer.value.amount == 'body.form_response.hidden."customer_value"'
    assert fixed.mapping.customer.value.currency == "'NOK'"
    assert off.mapping.customer.value is None
