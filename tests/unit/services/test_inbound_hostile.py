"""Whatever arrives from outside (an SNS message that is not ours, raw mail bytes of any shape, a text of
any content), the inbound function's service never raises and stores nothing it should not: the
hostile-input property for the two inbound channels, which have no HTTP route to fuzz."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recovery.domain.text import shown
from tests.unit.services.test_inbound_replies import ADA, ADA_PHONE, BUCKET, DOMAIN, NOW, World, sms_world

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
# Keys the service reads, so that a hostile document reaches past the first check.
SHAPED = st.fixed_dictionaries(
    {},
    optional={
        "notificationType": st.sampled_from(["Received", "Bounce", ""]) | JSON_VALUES,
        "mail": JSON_VALUES,
        "receipt": JSON_VALUES,
        "originationNumber": st.sampled_from([ADA_PHONE, "+1", "not a number", ""]) | JSON_VALUES,
        "messageBody": JSON_VALUES,
        "inboundMessageId": JSON_VALUES,
        "messageKeyword": JSON_VALUES,
    },
)


def nothing_stored(world: World) -> bool:
    return not world.replies.events and not world.preferences.opted and not world.cases.reopened


def stored_texts_are_bounded_and_shown(world: World) -> None:
    for _, kind, _, detail in world.replies.events:
        if kind == "customer_reply":
            assert len(detail["text"]) <= 2000
            assert shown(detail["text"]) == detail["text"]  # nothing left to hide


@SETTINGS
@given(message=st.text(max_size=200) | JSON_VALUES.map(json.dumps) | SHAPED.map(json.dumps))
def test_a_message_that_is_not_a_reply_is_dropped_with_nothing_stored(message: str) -> None:
    world = World()
    outcome = world.service.handle(message, NOW)
    assert outcome.status != "threaded"
    assert nothing_stored(world)


def notification(world: World, to: str, message_id: str) -> dict[str, Any]:
    key = f"inbound/{message_id}"
    return {
        "notificationType": "Received",
        "mail": {"messageId": message_id, "source": ADA, "destination": [to]},
        "receipt": {
            "recipients": [to],
            "spamVerdict": {"status": "PASS"},
            "virusVerdict": {"status": "PASS"},
            "action": {"type": "S3", "bucketName": BUCKET, "objectKey": key, "topicArn": "arn:t"},
        },
    }


@SETTINGS
@given(
    raw=st.binary(max_size=3000)
    | st.text(max_size=2000).map(
        lambda body: f"From: {ADA}\r\nSubject: x\r\n\r\n{body}".encode("utf-8", "replace")
    )
    | st.text(max_size=600).map(
        lambda body: (
            f"From: {ADA}\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n{body}\r\n--b--"
        ).encode("utf-8", "replace")
    )
)
def test_raw_mail_of_any_shape_to_a_live_code_never_raises_and_stores_only_shown_text(raw: bytes) -> None:
    # GIVEN a genuine notification for a live reply code, whose stored bytes are anything at all
    world = World()
    to = f"reply+{world.links.give('cs_1')}@{DOMAIN}"
    world.mail.objects[(BUCKET, "inbound/m-1")] = raw
    # WHEN it is handled
    outcome = world.service.handle(json.dumps(notification(world, to, "m-1")), NOW)
    # THEN it is threaded or dropped, never raised; what is kept is bounded and safe to show
    assert outcome.status in ("threaded", "dropped", "duplicate"), outcome
    stored_texts_are_bounded_and_shown(world)
    assert not world.preferences.opted


@SETTINGS
@given(body=st.text(max_size=300) | JSON_VALUES, keyword=st.text(max_size=20) | JSON_VALUES)
def test_a_text_of_any_content_never_raises_and_stores_only_shown_text(body: Any, keyword: Any) -> None:
    world = sms_world()
    document = {
        "originationNumber": ADA_PHONE,
        "destinationNumber": "+12065550100",
        "messageKeyword": keyword,
        "messageBody": body,
        "inboundMessageId": "sms-1",
    }
    outcome = world.service.handle(json.dumps(document), NOW)
    assert outcome.status in ("threaded", "dropped", "opted_out", "duplicate"), outcome
    stored_texts_are_bounded_and_shown(world)
