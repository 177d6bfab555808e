"""A Qualtrics event signed with the subscription's sharedKey, through the hook function: verified on the
MSG field, the response fetched from the vendor API (127.0.0.1), and a Norwegian respondent
(userLanguage NO) acknowledged in Norwegian."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import boto3
import pytest

from recovery import clock
from recovery.domain.identity import PiiHasher
from recovery.domain.routing import parse_config
from recovery.notify.senders import RecordingSender
from recovery.services.alerts import CachedConfig
from recovery.services.customer_ack import CustomerAcks
from recovery.services.customer_contact import CustomerMessenger
from recovery.sources import config
from recovery.store.alerting import AlertStore, ConfigStore
from recovery.store.customer_messages import ScheduledMessageStore
from recovery.store.feedback import FeedbackStore
from recovery.store.hook_log import HookLog
from recovery.store.links import LinkStore
from recovery.store.sources import SourceStore
from recovery.store.suppressions import SuppressionStore
from tests.integration.conftest import Clock, clock_at
from tests.support import REGION, ROOT, Context, Stack, event, load_function
from tests.vendor_stub import VendorStub
from tools.seed import load_alerting

LOCAL = ROOT / "tests" / "fixtures" / "webhooks" / "qualtrics"
SIGNED = (LOCAL / "completedResponse_event.sharedKey.UNVERIFIED.form").read_bytes()
SHARED_KEY = "qualtrics-shared-key-1"  # the key the fixture is signed with
RESPONSE = json.loads((LOCAL / "single_response_GET.UNVERIFIED.json").read_bytes())
PATH = "/API/v3/surveys/SV_3aJ5o0UyhLxmsCx/responses/R_1ma7yqJ8gkNSs4v"
FORM = {"content-type": "application/x-www-form-urlencoded"}
# 10:00 UTC on a Monday: 11:00 in Oslo, inside the customer's contact hours.
MORNING_UTC = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def virtual_clock() -> Iterator[Clock]:
    with clock_at(MORNING_UTC) as moment:
        yield moment


@pytest.fixture
def hooks(stack: Stack, virtual_clock: Clock, vendor: VendorStub) -> ModuleType:
    boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="recovery-loop/test/sources/qualtrics", SecretString='{"token": "qx-api-token"}'
    )
    source = {
        "id": "qx-signed",
        "name": "Qualtrics",
        "preset": "qualtrics",
        "options": {
            "credentials": "recovery-loop/test/sources/qualtrics",
            "score_question": "QID1",
            "comment_question": "QID2",
            "signing": "shared_key",
            "api_base_url": vendor.url,
        },
    }
    spec = config.parse_source(source)
    SourceStore().put(
        spec.id, spec.name, [], spec.thresholds.model_dump(), SHARED_KEY, spec.model_dump(mode="json")
    )
    teams = load_alerting(ROOT / "config")
    assert teams is not None
    ConfigStore().put(parse_config(teams.model_dump(mode="json")), clock.now(), by="test")
    return load_function("hooks")


def deliver(module: ModuleType, raw: bytes) -> tuple[int, Any]:
    request = event("hooks_typeform.json")
    request["rawPath"] = "/v1/hooks/qx-signed"
    request["requestContext"]["http"]["path"] = request["rawPath"]
    request["pathParameters"] = {"source_id": "qx-signed"}
    request["rawQueryString"] = ""
    request["headers"] = dict(FORM)
    request["isBase64Encoded"] = True
    request["body"] = base64.b64encode(raw).decode("ascii")
    response = module.lambda_handler(request, Context())
    return response["statusCode"], json.loads(response["body"])


def acknowledgements(sender: RecordingSender) -> CustomerAcks:
    hasher = PiiHasher(b"k" * 32)
    messenger = CustomerMessenger(
        AlertStore(),
        LinkStore(),
        sender,
        lambda address: hasher.digest("address", address.lower()),
        "http://127.0.0.1:3000",
        suppressed=SuppressionStore().is_suppressed,
        sleep=lambda _: None,
    )
    return CustomerAcks(
        AlertStore(), FeedbackStore(), CachedConfig(ConfigStore()), messenger, ScheduledMessageStore()
    )


def test_a_signed_event_from_a_norwegian_respondent_is_acknowledged_in_norwegian(
    hooks: ModuleType, vendor: VendorStub, sender: RecordingSender
) -> None:
    # GIVEN the vendor API answering with the response of a respondent who took the survey in Norwegian
    response = copy.deepcopy(RESPONSE)
    response["result"]["values"]["userLanguage"] = "NO"
    vendor.routes[PATH] = (200, json.dumps(response).encode())
    # WHEN Qualtrics posts the signed event (Topic, MSG, HMAC) to the hook
    status, body = deliver(hooks, SIGNED)
    # THEN the HMAC is good, the response is fetched and opens a case for the detractor
    assert status == 201, body
    assert body["verdict"] == "negative" and body["case_id"]
    assert [path for path, _ in vendor.seen] == [PATH]
    # AND the customer's locale is no, so the acknowledgement the case sends is in Norwegian
    result = acknowledgements(sender).acknowledge(body["case_id"], clock.now())
    [message] = [sent for sent in sender.sent if sent.tags.get("kind") == "customer_ack"]
    assert (result, message.to) == ("sent", "ada@example.com")
    assert message.subject == "Vi beklager, og vi tar tak i det"
    assert message.text.startswith("Hei Ada,")


def test_a_tampered_or_unsigned_event_is_refused_and_nothing_is_fetched(
    hooks: ModuleType, vendor: VendorStub
) -> None:
    # GIVEN the signed event with another response id in MSG, and the unsigned form of an event
    tampered = SIGNED.replace(b"R_1ma7yqJ8gkNSs4v", b"R_9ma7yqJ8gkNSs4v")
    unsigned = (LOCAL / "completedResponse_event.UNVERIFIED.form").read_bytes()
    # WHEN each is posted to the source that expects the shared key's signature
    refused, problem = deliver(hooks, tampered)
    missing, absent = deliver(hooks, unsigned)
    # THEN both are 401 with their reasons, logged, and the vendor API is never called
    assert (refused, problem["detail"]) == (401, "bad signature")
    assert (missing, absent["detail"]) == (401, "missing signature")
    assert vendor.seen == []
    assert sorted(entry.reason or "" for entry in HookLog().read("qx-signed", 10).entries) == [
        "bad signature",
        "missing signature",
    ]
