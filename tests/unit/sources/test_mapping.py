"""Mappings: bodies read from raw bytes in any content type, JMESPath to canonical fields, value maps,
score types, events, and errors that say where."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import yaml

from recovery.domain.feedback import CesScore, CsatScore, CustomScore, NpsScore, ThumbsScore
from recovery.sources import config, mapping
from recovery.sources.mapping import MappingError, MappingSpec, apply_mapping, document, read_body

ROOT = Path(__file__).resolve().parents[3]


def spec(**overrides: Any) -> MappingSpec:
    base: dict[str, Any] = {
        "response_id": "body.id",
        "score": {"type": "nps", "value": "body.score"},
        "customer": {"id": "body.customer"},
    }
    return MappingSpec.model_validate({**base, **overrides})


def mapped(rules: MappingSpec, body: Any, headers: dict[str, str] | None = None) -> mapping.Mapped:
    return apply_mapping(rules, {"body": body, "headers": headers or {}, "query": {}})


def test_custom_tool_configured_only_from_the_documented_guide() -> None:
    # GIVEN the source written out in docs/connectors/custom-mapping.md, and the delivery it shows
    guide = (ROOT / "docs" / "connectors" / "custom-mapping.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", guide, flags=re.DOTALL)
    [source] = yaml.safe_load(blocks[0])
    sample = json.loads(re.findall(r"```json\n(.*?)```", guide, flags=re.DOTALL)[0])
    connector = config.resolve(config.parse_source(source))
    raw = urlencode(sample).encode()
    # WHEN the form-encoded delivery is read and mapped, the token in the URL
    doc = document(raw, "application/x-www-form-urlencoded", {"X-Survey-Event": "completed"}, {"token": "t"},
                   connector.mapping.body)  # fmt: skip
    result = mapping.apply(connector, doc)
    # THEN the canonical fields come out as the guide says
    assert (result.action, result.response_id, result.delivery_id) == ("accept", "r-1001", "r-1001")
    feedback = result.feedback
    assert feedback is not None
    assert feedback.score == CsatScore(type="csat", value=2)
    assert feedback.comment == "The parcel arrived open."
    assert (feedback.customer.id, feedback.customer.email) == ("c-77", "noor@example.com")
    assert (feedback.interaction.channel, feedback.interaction.agent) == ("store", "Oslo S")
    assert feedback.tags == ["delivery", "damage"]


def test_json_including_vendor_media_types() -> None:
    # GIVEN JSON bodies with a vendor media type, a BOM, and none at all
    # WHEN read THEN each is parsed as JSON
    assert read_body(b'{"a": 1}', "application/vnd.surveymonkey.response.v1+json") == {"a": 1}
    assert read_body('\ufeff{"a": 2}'.encode(), "application/json; charset=utf-8") == {"a": 2}
    assert read_body(b"[1]", None) == [1]


def test_form_bodies_keep_repeated_fields_as_lists() -> None:
    # GIVEN a form-encoded body with one repeated field
    raw = b"Topic=surveyengine.completedResponse.SV_1&ResponseID=R_9&tag=a&tag=b&empty="
    # WHEN read
    body = read_body(raw, "application/x-www-form-urlencoded")
    # THEN single fields are text and repeated ones lists
    assert body == {"Topic": "surveyengine.completedResponse.SV_1", "ResponseID": "R_9", "tag": ["a", "b"],
                    "empty": ""}  # fmt: skip


def test_the_mappings_body_kind_wins_over_a_wrong_content_type() -> None:
    # GIVEN a form body sent as text/plain
    # WHEN read with the mapping's kind THEN it is parsed as a form
    assert read_body(b"a=1", "text/plain", "form") == {"a": "1"}


@pytest.mark.parametrize(
    ("raw", "content_type", "reason"),
    [
        (b"{", "application/json", "not valid JSON"),
        (b"\xff\xfe", "application/json", "not valid UTF-8"),
        (b'{"a": NaN}', "application/json", "not valid JSON: NaN is not a number in JSON"),
        (b'{"a": 1e999}', "application/json", "out of range: the number 1e999 is not finite"),
        (b"[" * 40 + b"]" * 40, "application/json", "nested deeper than 32 levels"),
        (b"--x\r\n", "multipart/form-data", "multipart body without a boundary"),
        (b"%ff=1", "application/x-www-form-urlencoded", "not a valid form body"),
        (b"x" * (mapping.MAX_BODY_BYTES + 1), "application/json", "too large"),
    ],
)
def test_unreadable_bodies_are_mapping_errors(raw: bytes, content_type: str, reason: str) -> None:
    # GIVEN a body that cannot be read WHEN read THEN a MappingError names the body and why
    with pytest.raises(MappingError) as error:
        read_body(raw, content_type)
    assert (error.value.pointer, error.value.reason) == ("body", reason)


def test_multipart_skips_files_and_json_field_is_parsed() -> None:
    # GIVEN a multipart body with a file part and a field holding JSON
    boundary = "b0undary"
    raw = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="upload"; filename="a.txt"\r\n\r\nfile\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="raw"\r\n\r\n'
        '{"score": "8", "customer": "c1", "id": "s1"}\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    rules = spec(
        body="multipart",
        json_field="raw",
        response_id="body.raw.id",
        score={"type": "nps", "value": "body.raw.score"},
        customer={"id": "body.raw.customer"},
    )
    # WHEN read and mapped
    body = read_body(raw, f"multipart/form-data; boundary={boundary}", "multipart")
    result = mapped(rules, body)
    # THEN the file is left out and the JSON field's answers are used (text "8" read as a number)
    assert "upload" not in body
    assert result.feedback is not None and result.feedback.score == NpsScore(type="nps", value=8)


def test_json_field_missing_or_broken_is_named() -> None:
    # GIVEN a mapping that expects JSON in rawRequest
    rules = spec(body="multipart", json_field="rawRequest")
    # WHEN the field is missing, or not JSON THEN the error names it
    with pytest.raises(MappingError, match="body/rawRequest: missing"):
        mapped(rules, {"other": "1"})
    with pytest.raises(MappingError, match="body/rawRequest: not valid JSON"):
        mapped(rules, {"rawRequest": "{"})


@pytest.mark.parametrize(
    ("score_rule", "value", "expected"),
    [
        ({"type": "csat", "value": "body.score", "map": {"Very good": 5, "Bad": 1}}, "very GOOD",
         CsatScore(type="csat", value=5)),
        ({"type": "thumbs", "value": "body.score", "map": {"true": "up", "false": "down"}}, False,
         ThumbsScore(type="thumbs", value="down")),
        ({"type": "thumbs", "value": "body.score"}, "up", ThumbsScore(type="thumbs", value="up")),
        ({"type": "ces", "value": "body.score"}, 6.0, CesScore(type="ces", value=6)),
        ({"type": "custom", "value": "body.score", "min": 0, "max": 100, "higher_is_better": False}, "42.5",
         CustomScore(type="custom", value=42.5, min=0, max=100, higher_is_better=False)),
        ({"type": "nps", "value": "body.score"}, [7], NpsScore(type="nps", value=7)),
    ],
)  # fmt: skip
def test_score_types_and_value_maps(score_rule: dict[str, Any], value: Any, expected: Any) -> None:
    # GIVEN a score rule and an answer WHEN mapped THEN the canonical score is as expected
    result = mapped(spec(score=score_rule), {"id": "r", "customer": "c", "score": value})
    assert result.feedback is not None and result.feedback.score == expected


@pytest.mark.parametrize(
    ("score_rule", "value", "reason"),
    [
        ({"type": "csat", "value": "body.score", "map": {"Good": 5}}, "Meh", '"Meh" is not in the score map'),
        ({"type": "nps", "value": "body.score"}, "ten", '"ten" is not a number (use map)'),
        ({"type": "nps", "value": "body.score"}, 7.5, "a nps score is a whole number"),
        ({"type": "nps", "value": "body.score"}, True, "a yes/no answer needs a score map"),
        ({"type": "thumbs", "value": "body.score"}, "yes", "a thumbs score is up or down (use map)"),
        ({"type": "nps", "value": "body.score"}, {"a": 1}, "not a number"),
        ({"type": "custom", "value": "body.score", "min": 0, "max": 1}, "inf", "not a finite number"),
    ],
)
def test_scores_that_do_not_fit_say_why(score_rule: dict[str, Any], value: Any, reason: str) -> None:
    # GIVEN an answer that does not fit the score rule WHEN mapped THEN the error points at score/value
    with pytest.raises(MappingError) as error:
        mapped(spec(score=score_rule), {"id": "r", "customer": "c", "score": value})
    assert (error.value.pointer, error.value.reason) == ("score/value", reason)


def test_out_of_range_score_is_refused_by_the_canonical_model() -> None:
    # GIVEN an NPS of 11 WHEN mapped THEN the canonical validation names the score
    with pytest.raises(MappingError) as error:
        mapped(spec(), {"id": "r", "customer": "c", "score": 11})
    assert error.value.pointer.startswith("score")


def test_a_scored_response_without_a_respondent_is_refused() -> None:
    # GIVEN a scored answer but no id, email or phone
    with pytest.raises(MappingError) as error:
        mapped(spec(), {"id": "r", "score": 3})
    # THEN the error names the customer
    assert error.value.pointer == "customer"


def test_invalid_email_and_phone_are_named() -> None:
    # GIVEN a mapping of email and phone, and values that are not an address and not a number
    rules = spec(customer={"email": "body.email", "phone": "body.phone"})
    # WHEN mapped THEN each error names its field
    with pytest.raises(MappingError) as email:
        mapped(rules, {"id": "r", "score": 3, "email": "not-an-address"})
    with pytest.raises(MappingError) as phone:
        mapped(rules, {"id": "r", "score": 3, "phone": "12"})
    assert (email.value.pointer, phone.value.pointer) == ("customer/email", "customer/phone")


def test_events_accept_hold_ignore_and_unlisted() -> None:
    # GIVEN a mapping with an event table
    rules = spec(event='headers."x-event"', events={"done": "accept", "started": "hold", "ping": "ignore"})
    body = {"id": "r", "customer": "c", "score": 9}
    # WHEN each event comes THEN the action follows the table; unlisted events are ignored
    assert mapped(rules, body, {"x-event": "done"}).action == "accept"
    assert mapped(rules, {"id": "r", "customer": "c"}, {"x-event": "started"}).action == "hold"
    assert mapped(rules, body, {"x-event": "ping"}).action == "ignore"
    assert mapped(rules, body, {"x-event": "deleted"}).feedback is None


def test_an_accepted_event_with_no_score_is_held_for_intake() -> None:
    # GIVEN an event the source uses, but the respondent has not answered the score question yet
    result = mapped(spec(), {"id": "r-5", "customer": "c"})
    # THEN it is held with a null score and the response id, which intake answers with 202
    assert result.action == "hold"
    assert result.feedback is not None
    assert (result.feedback.score, result.feedback.external_id) == (None, "r-5")


def test_ids_must_be_text_or_whole_numbers() -> None:
    # GIVEN a response id that is an object WHEN mapped THEN the error names response_id
    with pytest.raises(MappingError) as error:
        mapped(spec(), {"id": {"x": 1}, "customer": "c", "score": 1})
    assert error.value.pointer == "response_id"
    # and numbers become text
    result = mapped(spec(), {"id": 42, "customer": 7, "score": 1})
    assert result.response_id == "42" and result.feedback is not None and result.feedback.customer.id == "7"


def test_comment_tags_and_metadata_are_tidied() -> None:
    # GIVEN a comment spread over two answers, tags as one text, and metadata of several types
    rules = spec(comment="body.texts", tags="body.tags", metadata={"store": "body.store", "obj": "body.obj"})
    body = {"id": "r", "customer": "c", "score": 3, "texts": ["Slow.", " ", "Rude."], "tags": "a, b a",
            "store": 12, "obj": {"x": 1}}  # fmt: skip
    # WHEN mapped
    feedback = mapped(rules, body).feedback
    # THEN answers join, tags split and dedupe, metadata keeps scalars only
    assert feedback is not None
    assert feedback.comment == "Slow.\n\nRude."
    assert feedback.tags == ["a", "b"]
    assert feedback.metadata == {"store": 12}


def test_jmespath_functions_on_wrong_types_find_nothing() -> None:
    # GIVEN a comment expression that applies a string function to a number
    rules = spec(comment="join(', ', body.score)")
    # WHEN mapped THEN the comment is simply absent
    feedback = mapped(rules, {"id": "r", "customer": "c", "score": 3}).feedback
    assert feedback is not None and feedback.comment is None


def test_mapping_spec_refuses_bad_configuration() -> None:
    # GIVEN mappings with events but no event expression, and an invalid expression
    # WHEN validated THEN each is refused
    with pytest.raises(ValueError, match="events needs event"):
        spec(events={"a": "accept"})
    with pytest.raises(ValueError, match="not a valid JMESPath"):
        spec(customer={"email": "body.[["})
    with pytest.raises(ValueError, match="for custom scores only"):
        spec(score={"type": "nps", "value": "body.s", "min": 0})


def test_an_integer_past_the_float_range_is_a_mapping_error_not_an_overflow() -> None:
    # The JSON reader caps digits; an integer that reaches the score another way is still refused.
    with pytest.raises(MappingError, match="not a finite number"):
        mapping._number(10**400)


@pytest.mark.parametrize(
    ("sent", "locale"),
    [("NO", "no"), ("ZH-S", "zh-Hans"), ("en_us", "en-US"), ("Norwegian", "no"), ("default", None),
     ("no language", None), (7, None)],
)  # fmt: skip
def test_customer_locale_is_a_bcp47_tag_or_left_out(sent: Any, locale: str | None) -> None:
    # GIVEN a mapping of customer.locale, and a tool's language value (a Qualtrics code, a name, or none)
    rules = spec(customer={"id": "body.customer", "locale": "body.language"})
    # WHEN a scored delivery is mapped
    result = mapped(rules, {"id": "r", "score": 3, "customer": "c-1", "language": sent})
    # THEN it is accepted, with the canonical tag, or with no locale: never refused for its language
    assert result.action == "accept" and result.feedback is not None
    assert result.feedback.customer.locale == locale


def test_an_unreachable_phone_or_email_is_left_out_while_the_customer_is_still_identified() -> None:
    # GIVEN a helpdesk's requester with an id, a phone typed without its country code and a mistyped email
    rules = spec(customer={"id": "body.who.id", "email": "body.who.email", "phone": "body.who.phone"})
    body = {"id": "r", "score": 2, "who": {"id": "u-7", "email": "kari@example", "phone": "912 34 567"}}
    # WHEN the scored delivery is mapped
    result = mapped(rules, body)
    # THEN the rating is taken in under the id, without the details nobody could reach them at
    assert result.action == "accept" and result.feedback is not None
    customer = result.feedback.customer
    assert (customer.id, customer.email, customer.phone) == ("u-7", None, None)
    # AND a usable phone is kept, in E.164
    body["who"]["phone"] = "+47 912 34 567"
    assert mapped(rules, body).feedback.customer.phone == "+4791234567"  # type: ignore[union-attr]


def test_an_unreachable_phone_that_is_the_only_identity_refuses_the_delivery_naming_it() -> None:
    rules = spec(customer={"phone": "body.phone"})
    with pytest.raises(MappingError) as refused:
        mapped(rules, {"id": "r", "score": 2, "phone": "912 34 567"})
    assert refused.value.pointer == "customer/phone"
