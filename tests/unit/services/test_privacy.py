"""Redaction rules, without AWS: what goes, what stays, and what the safety net catches."""

from __future__ import annotations

import pytest

from recovery.domain.feedback import Customer
from recovery.domain.identity import PiiHasher
from recovery.services.privacy import MARKER, BadLookup, Needles, identify, redact, redact_customer

ADA = Needles.of(names=["Ada"], contacts=["ada@example.com", "+4791234568"], quotes=["Waited forty minutes"])


def test_free_text_goes_at_any_depth_and_the_facts_stay() -> None:
    # GIVEN a timeline event with a note and a compensation with its own text
    event = {
        "pk": "CASE#cs_1",
        "sk": "EVT#2026-11-23T10:00:00+00:00#compensation",
        "kind": "compensation",
        "actor": "kari",
        "detail": {"text": "Goodwill", "compensation": {"type": "refund", "amount": "25.00", "note": "x"}},
    }
    # WHEN it is redacted
    redacted = redact(event, ADA)
    # THEN the texts are marked, amounts, kinds and actors stay
    assert redacted["detail"] == {
        "text": MARKER,
        "compensation": {"type": "refund", "amount": "25.00", "note": MARKER},
    }
    assert (redacted["kind"], redacted["actor"]) == ("compensation", "kari")
    # AND a second pass changes nothing
    assert redact(redacted, ADA) == redacted


def test_a_reason_code_stays_and_a_reason_in_words_goes() -> None:
    skipped = {"pk": "CASE#cs_1", "sk": "EVT#1", "detail": {"reason": "case_resolved"}}
    reopened = {"pk": "CASE#cs_1", "sk": "EVT#2", "detail": {"reason": "She called again, still angry"}}
    assert redact(skipped, ADA) == skipped
    assert redact(reopened, ADA)["detail"] == {"reason": MARKER}


def test_feedback_keeps_only_the_score_and_its_classification() -> None:
    feedback = {
        "pk": "FB#web#r1",
        "sk": "FB",
        "verdict": "negative",
        "agent": "Ada",  # an agent who shares the customer's name keeps it: counters are built from it
        "detail": {
            "score": {"type": "nps", "value": 2},
            "tags": ["wait-time"],
            "signals": ["wait"],
            "comment": "Waited forty minutes",
            "metadata": {"order": "A-1"},
            "locale": "nb-NO",
            "interaction_id": "t-998",
        },
    }
    redacted = redact(feedback, ADA)
    assert redacted["detail"] == {
        "score": {"type": "nps", "value": 2},
        "tags": ["wait-time"],
        "signals": ["wait"],
    }
    assert (redacted["verdict"], redacted["agent"]) == ("negative", "Ada")


@pytest.mark.parametrize(
    ("value", "hit"),
    [
        ("Ada", True),
        ("Called ada back", True),
        ("Adam called", False),  # a name is matched as a word
        ("reach me at ADA@example.com", True),
        ("call 4791234568", True),  # a phone number without its plus
        ("order 147912345689", False),
        ("She said: waited forty minutes!", True),  # her own words, copied elsewhere
        ("escalated", False),
    ],
)
def test_the_safety_net_finds_her_details_in_any_field(value: str, hit: bool) -> None:
    item = {"pk": "X#1", "sk": "X", "someone_added": value}
    assert (redact(item, ADA)["someone_added"] == MARKER) is hit


def test_a_short_name_is_matched_only_as_a_whole_value() -> None:
    al = Needles.of(names=["Al"])
    assert redact({"pk": "X", "sk": "X", "a": "Al", "b": "alerted"}, al) == {
        "pk": "X",
        "sk": "X",
        "a": MARKER,
        "b": "alerted",
    }


def test_the_customer_item_loses_its_contact_details() -> None:
    customer = {
        "pk": "CUST#k",
        "sk": "CUST",
        "name": "Ada",
        "email": "ada@example.com",
        "phone": "+4791234568",
        "locale": "nb-NO",
        "timezone": "Europe/Oslo",
        "opted_out": {"sms": "2026-11-01T00:00:00Z"},
    }
    assert redact_customer(customer, ADA) == {
        "pk": "CUST#k",
        "sk": "CUST",
        "opted_out": {"sms": "2026-11-01T00:00:00Z"},
    }


def test_lookups_are_validated_and_normalised_as_intake_does() -> None:
    hasher = PiiHasher(b"k" * 32)
    as_intake_saw_her = hasher.customer_key(Customer(email="ada@example.com"))
    assert hasher.customer_key(identify("Ada@Example.com", "email")) == as_intake_saw_her
    assert identify("+47 912 34 568", "phone").phone == "+4791234568"
    assert identify("c-42", None).id == "c-42"
    with pytest.raises(BadLookup, match="by must be"):
        identify("c-42", "name")
    with pytest.raises(BadLookup, match=r"^phone"):
        identify("12", "phone")
