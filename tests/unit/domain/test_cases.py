"""The rules of working a case: transitions, who the signed-in user is, and compensation limits."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from recovery.domain import cases as rules
from recovery.domain.routing import parse_config

CONFIG = parse_config(yaml.safe_load((Path(__file__).parents[3] / "config" / "teams.yaml").read_text()))
EMEA = CONFIG.team("support-emea")


@pytest.mark.parametrize(
    ("operation", "status", "allowed"),
    [
        ("ack", "open", True),
        ("ack", "acknowledged", False),
        ("resolve", "open", False),
        ("resolve", "acknowledged", True),
        ("resolve", "resolved", False),
        ("reopen", "resolved", True),
        ("reopen", "acknowledged", False),
        ("actions", "resolved", False),
        ("assign", "open", True),
        ("messages", "resolved", True),
    ],
)
def test_transitions(operation: rules.Operation, status: str, allowed: bool) -> None:
    if allowed:
        rules.check_transition(operation, status)
        assert operation in rules.allowed_operations(status)
    else:
        with pytest.raises(rules.InvalidTransition) as refused:
            rules.check_transition(operation, status)
        assert status in str(refused.value) and operation not in rules.allowed_operations(status)


@pytest.mark.parametrize(
    ("claim", "groups"),
    [
        ("[team-support-emea admin]", ["team-support-emea", "admin"]),
        (["team-a", "admin"], ["team-a", "admin"]),
        ('["team-a","team-b"]', ["team-a", "team-b"]),
        ("team-a", ["team-a"]),
        (None, []),
        ("[]", []),
    ],
)
def test_groups_claim_in_every_shape_api_gateway_passes(claim: object, groups: list[str]) -> None:
    assert rules.groups_claim(claim) == groups


def test_the_actor_is_the_contact_with_the_tokens_email() -> None:
    lead = rules.lead_from_claims(
        {"cognito:username": "u-1", "email": "Kari@Example.com", "cognito:groups": "[team-support-emea]"},
        CONFIG,
    )
    assert lead.actor == "kari" and lead.teams == {"support-emea"} and not lead.admin
    assert lead.may_see("support-emea") and not lead.may_see("support-apac") and not lead.may_see(None)
    # A lead of another team is not named after a contact of a team they do not lead
    stranger = rules.lead_from_claims(
        {"cognito:username": "u-2", "email": "kari@example.com", "cognito:groups": "[team-support-apac]"},
        CONFIG,
    )
    assert stranger.actor == "u-2"


def test_no_claims_is_not_signed_in() -> None:
    with pytest.raises(rules.NotSignedIn):
        rules.lead_from_claims(None, CONFIG)
    with pytest.raises(rules.NotSignedIn):
        rules.lead_from_claims({"email": "x@example.com"}, CONFIG)


@pytest.mark.parametrize(
    ("kind", "amount", "currency", "alone"),
    [
        ("refund", "50.00", "EUR", True),
        ("refund", "50.01", "EUR", False),
        ("upgrade", "1.00", "EUR", False),  # a type with no limit always needs approval
        ("refund", "10.00", "USD", False),  # so does a currency with no limits
        ("discount", "250", "NOK", True),
    ],
)
def test_compensation_limits(kind: str, amount: str, currency: str, alone: bool) -> None:
    offer = rules.Compensation(type=kind, amount=Decimal(amount), currency=currency)  # type: ignore[arg-type]
    assert rules.within_limit(EMEA, offer) is alone
    assert rules.within_limit(None, offer) is False


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999"), places=2))
def test_a_limit_is_inclusive_and_exact(amount: Decimal) -> None:
    offer = rules.Compensation(type="refund", amount=amount, currency="EUR")
    assert rules.within_limit(EMEA, offer) is (amount <= Decimal(50))


def test_approvers_are_level_2() -> None:
    assert [contact.id for contact in rules.approvers(EMEA)] == ["ingrid"]


def test_checklist_follows_the_timeline() -> None:
    assert rules.checklist("open", [], None, None) == dict.fromkeys(rules.CHECKLIST, False)
    done = rules.checklist("resolved", ["acknowledged", "apology", "contacted"], "recovered", "answered")
    assert done == dict.fromkeys(rules.CHECKLIST, True)
