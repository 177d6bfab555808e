"""The admin view of a case's deliveries: the rows the alert wrote, found by key (no Scan), masked."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import pytest

from recovery.domain.identity import PiiHasher
from recovery.notify.senders import RecordingSender
from recovery.services.alerts import Alerts, CachedConfig
from recovery.services.intake import hash_key
from recovery.store import secrets
from recovery.store.admin import AdminKeyStore
from recovery.store.alerting import AlertStore, ConfigStore
from recovery.store.feedback import FeedbackStore
from recovery.store.links import LinkStore
from tests.integration.conftest import Api, Clock
from tests.integration.test_alerts import open_case
from tests.support import ROOT, Context, Stack, event, load_function
from tools.seed import seed_alerting

ADMIN_KEY = "rla_integration-test-admin-key-0000000000000000"


@pytest.fixture
def admin(stack: Stack) -> ModuleType:
    AdminKeyStore().put([hash_key(ADMIN_KEY)], datetime.now(UTC))
    return load_function("admin")


@pytest.fixture
def stack_alerts(stack: Stack, virtual_clock: Clock, sender: RecordingSender) -> Alerts:
    """The alert service hashing addresses with the stack's own PII key, as the deployed one does."""
    assert seed_alerting(ROOT / "config")
    hasher = PiiHasher(secrets.secret_bytes(stack.secret_arn))
    return Alerts(
        AlertStore(),
        FeedbackStore(),
        CachedConfig(ConfigStore()),
        LinkStore(),
        sender,
        lambda address: hasher.digest("address", address.lower()),
        "http://127.0.0.1:3000",
        lambda *_: None,
        sleep=lambda _: None,
    )


def deliveries(module: ModuleType, case_id: str, key: str = ADMIN_KEY) -> tuple[int, Any]:
    request = event("admin_export_customer.json")
    request["routeKey"] = "GET /v1/admin/cases/{case_id}/deliveries"
    request["rawPath"] = f"/v1/admin/cases/{case_id}/deliveries"
    request["pathParameters"] = {"case_id": case_id}
    request["headers"] = {"authorization": f"Bearer {key}"}
    response = module.lambda_handler(request, Context())
    return response["statusCode"], json.loads(response["body"] or "null")


def test_a_case_lists_each_message_sent_with_the_recipient_masked(
    api: Api, stack_alerts: Alerts, admin: ModuleType
) -> None:
    # GIVEN a negative whose alert went to Kari by email and SMS
    case_id = open_case(api)
    assert stack_alerts.alert(case_id).sent == 2
    # WHEN an admin reads the case's deliveries
    status, body = deliveries(admin, case_id)
    # THEN both rows are there, sent, with no address or phone number in clear
    assert status == 200 and body["case_id"] == case_id and body["status"] == "open"
    assert [(d["level"], d["channel"], d["state"], d["kind"]) for d in body["deliveries"]] == [
        (1, "email", "sent", "alert"),
        (1, "sms", "sent", "alert"),
    ]
    assert [d["recipient"] for d in body["deliveries"]] == ["k***@example.com", "+47 *** ** 567"]
    text = json.dumps(body)
    assert "kari@example.com" not in text and "91234567" not in text


def test_a_case_not_yet_alerted_has_no_deliveries(api: Api, stack_alerts: Alerts, admin: ModuleType) -> None:
    # GIVEN a case whose alert has not run
    case_id = open_case(api)
    # WHEN its deliveries are read THEN the list is empty
    assert deliveries(admin, case_id) == (200, {"case_id": case_id, "status": "open", "deliveries": []})


def test_unknown_and_malformed_case_ids_and_keys_are_refused(admin: ModuleType) -> None:
    # GIVEN no such case WHEN it is read THEN 404
    assert deliveries(admin, "cs_000000000000000000000000")[0] == 404
    # GIVEN a case id with characters no case id has WHEN read THEN 400 naming the parameter
    status, problem = deliveries(admin, "cs_1;drop")
    assert status == 400 and problem["detail"].startswith("case_id:")
    # GIVEN no admin key THEN 401
    assert deliveries(admin, "cs_000000000000000000000000", key="rla_wrong")[0] == 401
