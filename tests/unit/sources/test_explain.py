"""The dry run's explanation: each field's expression and value, where an empty one's path stopped and
which keys were there, and what the event table does with the event (a missing event header named)."""

from __future__ import annotations

from typing import Any

from recovery.sources import config, explain, mapping


def connector(document: dict[str, Any]) -> config.Connector:
    return config.resolve(config.parse_source({"id": "s", "name": "S", **document}))


def doc(body: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {"body": body, "headers": headers or {}, "query": {}}


def by_field(explained: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {field["field"]: field for field in explained["fields"]}


CUSTOM = {
    "signature": {"token": "query"},
    "mapping": {
        "response_id": "body.data.id",
        "score": {"type": "nps", "value": "body.data.answers.nps"},
        "customer": {"id": "body.data.contact.userId", "email": "body.data.contact.email"},
        "metadata": {"form": "body.data.form"},
    },
}


def test_each_field_names_its_expression_and_value() -> None:
    # GIVEN a delivery where every path is there
    body = {"data": {"id": "r1", "answers": {"nps": 3}, "contact": {"userId": "c-1"}, "form": "f"}}
    # WHEN it is explained
    fields = by_field(explain.explain(connector(CUSTOM).mapping, doc(body)))
    # THEN each field shows the expression that filled it and the value found
    assert fields["score/value"] == {
        "field": "score/value",
        "expression": "body.data.answers.nps",
        "value": 3,
    }
    assert fields["customer/id"]["value"] == "c-1" and "empty" not in fields["customer/id"]
    assert fields["metadata/form"]["value"] == "f"


def test_an_empty_field_shows_the_keys_where_its_path_stopped() -> None:
    # GIVEN the contact has no userId, and in a second delivery there is no contact at all
    with_contact = {"data": {"id": "r1", "contact": {"user_id": "c-1", "mail": "x"}}}
    without = {"data": {"id": "r1", "answers": {"nps": 9}}}
    # WHEN they are explained
    first = by_field(explain.explain(connector(CUSTOM).mapping, doc(with_contact)))
    second = by_field(explain.explain(connector(CUSTOM).mapping, doc(without)))
    # THEN the empty field lists the keys of body.data.contact, or of body.data when contact is missing
    assert first["customer/id"]["empty"] is True
    assert first["customer/id"]["reach"] == {
        "at": "body.data.contact",
        "missing": "userId",
        "keys": ["user_id", "mail"],
    }
    assert second["customer/id"]["reach"]["at"] == "body.data"
    assert second["customer/id"]["reach"]["missing"] == "contact"
    assert second["customer/id"]["reach"]["keys"] == ["id", "answers"]


def test_a_filtered_list_shows_its_items_keys() -> None:
    # GIVEN Tally's fields list, with no field of the score's label
    tally = connector({"preset": "tally", "options": {"score_field": "Score"}})
    body = {"eventType": "FORM_RESPONSE", "data": {"fields": [{"key": "q1", "label": "Other", "value": 1}]}}
    # WHEN it is explained / THEN the score's path reached body.data.fields: one item, and its keys
    reach = by_field(explain.explain(tally.mapping, doc(body)))["score/value"]["reach"]
    assert reach == {
        "at": "body.data.fields",
        "missing": None,
        "items": 1,
        "item_keys": ["key", "label", "value"],
    }


def test_the_event_and_what_the_table_does_with_it() -> None:
    # GIVEN Help Scout's preset, whose event is a header
    helpscout = connector({"preset": "helpscout"}).mapping
    body = {"id": 1, "rating": "bad", "customer": {"id": 7}}
    # WHEN the header is there
    event = explain.explain(helpscout, doc(body, {"x-helpscout-event": "satisfaction.ratings"}))["event"]
    # THEN the event, its expression and its action are shown
    assert event["value"] == "satisfaction.ratings" and event["action"] == "accept"
    assert event["expression"] == 'headers."x-helpscout-event"' and "note" not in event


def test_a_missing_event_header_is_named_with_the_header_to_pass() -> None:
    # GIVEN a pasted Help Scout payload without its event header
    helpscout = connector({"preset": "helpscout"}).mapping
    body = {"id": 1, "rating": "bad", "customer": {"id": 7}}
    # WHEN it is explained
    explained = explain.explain(helpscout, doc(body))
    # THEN the event read nothing, the delivery would be ignored, and the header and a value are named
    event = explained["event"]
    assert event["value"] is None and event["action"] == "ignore"
    assert event["expected_header"] == "x-helpscout-event"
    assert "--header x-helpscout-event=satisfaction.ratings" in event["note"]
    assert explained["warnings"] == [event["note"]]


def test_an_event_not_in_the_table_says_it_is_ignored() -> None:
    tally = connector({"preset": "tally", "options": {"score_field": "Score"}}).mapping
    event = explain.explain(tally, doc({"eventType": "FORM_DELETED"}))["event"]
    assert event["action"] == "ignore" and "FORM_DELETED" in event["note"]


def test_the_leading_path_of_expressions() -> None:
    assert explain.leading_path("body.data.contact.userId") == ["body", "data", "contact", "userId"]
    assert explain.leading_path("body.data.fields[?key=='x'] | [0].value") == ["body", "data", "fields"]
    assert explain.leading_path('headers."x-helpscout-event"') == ["headers", "x-helpscout-event"]
    assert explain.leading_path("body.items[0].x") == ["body", "items", 0, "x"]
    assert explain.leading_path("body.customer.email || body.customer.emails[0].value") == [
        "body",
        "customer",
        "email",
    ]
    assert explain.leading_path("'store'") == []
    assert explain.dotted(["headers", "x-helpscout-event", 0]) == 'headers."x-helpscout-event"[0]'


def test_a_json_field_is_read_as_the_mapping_reads_it() -> None:
    # GIVEN Jotform, whose answers are JSON in rawRequest, and a submission without the score field
    jotform = connector({"preset": "jotform", "options": {"score_field": "q3_score"}}).mapping
    body = {"submissionID": "1", "rawRequest": '{"q4_comment": "slow", "q5_email": "a@example.com"}'}
    # WHEN it is explained / THEN the empty score lists every key of the submission
    explained = explain.explain(jotform, doc(body))
    reach = by_field(explained)["score/value"]["reach"]
    assert reach["at"] == "body.rawRequest" and reach["keys"] == ["q4_comment", "q5_email"]
    # AND the explanation lists every key of the submission, whatever the mapping found
    assert explained["keys"] == {
        "body": ["submissionID", "rawRequest"],
        "body.rawRequest": ["q4_comment", "q5_email"],
    }


def test_the_search_helper_reads_as_the_mapping_does() -> None:
    assert mapping.search("body.a", {"body": {"a": 1}}) == 1
    assert mapping.search("abs(body.a)", {"body": {"a": "x"}}) is None
    assert mapping.search(None, {}) is None


def test_an_unsigned_qualtrics_event_is_explained_without_its_optional_msg() -> None:
    # GIVEN Qualtrics, whose ids are top-level fields unless the event is signed (then JSON in MSG)
    qualtrics = connector(
        {
            "preset": "qualtrics",
            "options": {
                "credentials": "recovery-loop/test/sources/q",
                "datacenter": "fra1",
                "score_question": "QID1",
            },
        }
    ).mapping
    body = {"Topic": "surveyengine.completedResponse.SV_1", "SurveyID": "SV_1", "ResponseID": "R_1"}
    # WHEN the unsigned form is explained / THEN it reads its ids, with no complaint about MSG
    fields = by_field(explain.explain(qualtrics, doc(body)))
    assert fields["response_id"]["value"] == "R_1"
