"""Property tests: whatever bytes and headers arrive, verifying and mapping only ever answer with a
documented refusal or a MappingError (which the hook route turns into 401 or 400), never anything else."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recovery.sources import config, mapping, signatures
from recovery.sources.mapping import MappingError

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
REASONS = {
    signatures.MISSING_SIGNATURE, signatures.BAD_SIGNATURE, signatures.MISSING_TIMESTAMP,
    signatures.STALE_TIMESTAMP, signatures.MISSING_TOKEN, signatures.BAD_TOKEN, signatures.NO_SECRET,
}  # fmt: skip
OPTIONS: dict[str, dict[str, Any]] = {
    "typeform": {"score_ref": "nps", "comment_ref": "why", "anonymous": True},
    "delighted": {},
    "formbricks": {"score_question": "nps", "comment_question": "why"},
    "zendesk": {},
    "tally": {"score_field": "nps", "comment_field": "why"},
    "intercom": {},
    "helpscout": {},
    "jotform": {"score_field": "q1", "comment_field": "q2", "email_field": "q3"},
}
CONNECTORS = [
    config.resolve(config.SourceSpec(id=f"s-{name}", name=name, preset=name, options=options))
    for name, options in OPTIONS.items()
] + [
    config.resolve(config.SourceSpec.model_validate({
        "id": "custom", "name": "Custom", "signature": {"token": "query"},
        "mapping": {"body": "form", "response_id": "body.id", "event": "body.e",
                    "events": {"a": "accept", "h": "hold"},
                    "score": {"type": "custom", "value": "body.s", "min": 0, "max": 10, "map": {"x": 3}},
                    "customer": {"email": "body.m", "phone": "body.p"}, "occurred_at": "body.t",
                    "tags": "body.g"},
    }))
]  # fmt: skip

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=25,
)
header_names = st.sampled_from([
    "typeform-signature", "webhook-id", "webhook-timestamp", "webhook-signature", "x-hub-signature",
    "x-zendesk-webhook-signature", "x-zendesk-webhook-signature-timestamp", "x-helpscout-event",
    "tally-signature", "x-delighted-webhook-signature", "Content-Type",
]) | st.text(max_size=20)  # fmt: skip
headers = st.dictionaries(header_names, st.text(max_size=60), max_size=6)
content_types = st.sampled_from([
    None, "application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=b",
    "multipart/form-data", "text/plain", "application/vnd.x+json",
]) | st.text(max_size=40)  # fmt: skip


def _bodies() -> st.SearchStrategy[bytes]:
    as_json = json_values.map(lambda value: json.dumps(value).encode())
    shaped = st.fixed_dictionaries({
        "event_type": st.sampled_from(["form_response", "survey_response.created", "x"]),
        "event_data": st.fixed_dictionaries({"id": json_values, "score": json_values, "person": json_values}),
        "form_response": st.fixed_dictionaries({"token": json_values, "answers": json_values}),
        "data": json_values, "topic": st.sampled_from(["conversation.rating.added", "ping"]),
        "satisfaction_rating": json_values, "ticket_id": json_values, "rating": json_values,
    }).map(lambda value: json.dumps(value).encode())  # fmt: skip
    multipart = st.lists(st.tuples(st.text(max_size=10), st.text(max_size=40)), max_size=4).map(
        lambda parts: (
            "".join(f'--b\r\nContent-Disposition: form-data; name="{n}"\r\n\r\n{v}\r\n' for n, v in parts)
            + "--b--"
        ).encode("utf-8", "replace")
    )
    return st.binary(max_size=300) | as_json | shaped | multipart


def run(connector: config.Connector, raw: bytes, sent: dict[str, str], content_type: str | None) -> None:
    check = signatures.verify(connector.signature, ["secret", "whsec_c2VjcmV0"], raw, sent, sent, NOW)
    assert check.ok or check.reason in REASONS
    try:
        doc = mapping.document(raw, content_type, sent, sent, connector.mapping.body)
        result = mapping.apply(connector, doc)
    except MappingError as error:
        assert error.pointer and error.reason
        return
    assert result.action in ("accept", "hold", "ignore")
    if result.action == "accept":
        assert result.feedback is not None and result.feedback.score is not None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    index=st.integers(0, len(CONNECTORS) - 1), raw=_bodies(), sent=headers, content_type=content_types,
    expect=st.sampled_from([None, "json", "form", "multipart"]),
)  # fmt: skip
def test_any_delivery_is_answered_or_refused_never_crashes(
    index: int, raw: bytes, sent: dict[str, str], content_type: str | None, expect: Any
) -> None:
    # GIVEN any connector and any bytes, headers and content type
    # WHEN verified and mapped (also read as a body kind the mapping does not declare)
    # THEN only documented refusals and MappingErrors come out
    run(CONNECTORS[index], raw, sent, content_type)
    with contextlib.suppress(MappingError):
        mapping.read_body(raw, content_type, expect)


@settings(max_examples=120, deadline=None)
@given(value=json_values, index=st.integers(0, len(CONNECTORS) - 1))
def test_any_json_document_maps_or_says_why(value: Any, index: int) -> None:
    # GIVEN any JSON body placed where every preset looks
    body = {"body": {"data": value, "event_data": value, "form_response": value, "rawRequest": value,
                     "score": value, "rating": value}, "headers": {}, "query": {}}  # fmt: skip
    # WHEN mapped THEN it maps, is held or ignored, or raises MappingError
    try:
        result = mapping.apply(CONNECTORS[index], body)
    except MappingError as error:
        assert error.pointer
        return
    assert result.action in ("accept", "hold", "ignore")
