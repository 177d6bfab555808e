"""Outbound endpoint configuration and the Standard Webhooks signer (no AWS, no network)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from recovery.notify import webhooks
from recovery.services.outbound_webhooks import OutboundConfigError, message_id, parse_outbound

# The published Standard Webhooks example (https://github.com/standard-webhooks/standard-webhooks).
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIME = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_signature_matches_the_standard_webhooks_example() -> None:
    # GIVEN the specification's example WHEN signed THEN the published signature comes out
    assert webhooks.signature(VECTOR_SECRET, VECTOR_ID, VECTOR_TIME, VECTOR_BODY) == VECTOR_SIGNATURE


def test_signed_headers_verify_and_a_changed_body_does_not() -> None:
    # GIVEN a fresh secret and a body signed now
    secret = webhooks.new_secret()
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    headers = webhooks.signed_headers(secret, "msg_1", b'{"a":1}', now)
    # THEN the headers carry the timestamp, and only the exact bytes verify
    assert headers["webhook-timestamp"] == str(int(now.timestamp()))
    assert webhooks.verify(secret, headers, b'{"a":1}')
    assert not webhooks.verify(secret, headers, b'{"a":2}')


def test_with_a_time_a_replayed_message_is_refused() -> None:
    # GIVEN a message signed now
    secret = webhooks.new_secret()
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    headers = webhooks.signed_headers(secret, "msg_1", b"{}", now)
    # THEN it verifies within 5 minutes, and not 6 minutes later
    assert webhooks.verify(secret, headers, b"{}", now + timedelta(minutes=5))
    assert not webhooks.verify(secret, headers, b"{}", now + timedelta(minutes=6))


def endpoint(**changes: Any) -> dict[str, Any]:
    return {"id": "crm", "url": "https://crm.example.com/hooks", "secret": webhooks.new_secret(), **changes}


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"url": "http://crm.example.com/hooks"}, "endpoints/0/url"),
        ({"url": "ftp://127.0.0.1/x"}, "endpoints/0/url"),
        ({"secret": "not-a-secret"}, "endpoints/0/secret"),
        ({"secret": "whsec_c2hvcnQ="}, "endpoints/0/secret"),
        ({"events": ["CaseDeleted"]}, "endpoints/0/events/0"),
        ({"id": "Bad Id"}, "endpoints/0/id"),
        ({"preset": "zendesk", "secret": None}, "credentials_secret"),
        ({"colour": "red"}, "endpoints/0/colour"),
    ],
)
def test_a_bad_endpoint_is_refused_naming_the_key(changes: dict[str, Any], named: str) -> None:
    # GIVEN an endpoint with one bad field WHEN parsed THEN the error names it
    with pytest.raises(OutboundConfigError, match=named):
        parse_outbound({"endpoints": [endpoint(**changes)]})


def test_a_valid_document_parses_with_loopback_http_and_defaults() -> None:
    # GIVEN a receiver on 127.0.0.1 and no events listed
    config = parse_outbound({"endpoints": [endpoint(url="http://127.0.0.1:8080/in")]})
    # THEN it is accepted and subscribed to the four case events
    assert config.endpoints[0].events == ("CaseOpened", "CaseAcknowledged", "CaseResolved", "CaseRecovered")
    with pytest.raises(OutboundConfigError, match="unique"):
        parse_outbound({"endpoints": [endpoint(), endpoint()]})


def test_message_ids_are_stable_per_change_and_type() -> None:
    # GIVEN one case change WHEN it is redelivered THEN the webhook-id is the same; another type differs
    detail = {"event_id": "e1", "case_id": "cs_1"}
    assert message_id("CaseResolved", detail) == message_id("CaseResolved", dict(detail))
    assert message_id("CaseResolved", detail) != message_id("CaseRecovered", detail)
