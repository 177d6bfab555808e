"""SurveyMonkey and Qualtrics through the hook route: the webhook carries ids only, the hook function
fetches the response from the vendor API (a real HTTP server on 127.0.0.1 serving the fixtures) with the
token from Secrets Manager (moto), and maps it through the same intake."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from types import ModuleType
from typing import Any

import boto3
import pytest

from recovery.sources import config
from recovery.store.feedback import FeedbackStore
from recovery.store.hook_log import HookLog
from recovery.store.sources import SourceStore
from tests.integration.conftest import Clock
from tests.support import REGION, ROOT, Context, Stack, event, load_function
from tests.vendor_stub import VendorStub

SHARED = ROOT / "tests" / "fixtures" / "vendor"  # a copy of shared/fixtures/webhooks
LOCAL = ROOT / "tests" / "fixtures" / "webhooks"
SM_CALLBACK = (SHARED / "surveymonkey" / "callback_event_example_A_filter_type_survey.json").read_bytes()
SM_DETAILS = (SHARED / "surveymonkey" / "response_details_GET_example.json").read_bytes()
SM_PATH = "/v3/surveys/123456789/responses/123456/details"
QX_EVENT = (LOCAL / "qualtrics" / "completedResponse_event.UNVERIFIED.form").read_bytes()
QX_RESPONSE = (LOCAL / "qualtrics" / "single_response_GET.UNVERIFIED.json").read_bytes()
QX_PATH = "/API/v3/surveys/SV_3aJ5o0UyhLxmsCx/responses/R_1ma7yqJ8gkNSs4v"
SM_SECRET = "sm-integration-api-key&sm-integration-api-secret"
QX_TOKEN = "qualtrics-url-token-0123456789"


@pytest.fixture
def hooks(stack: Stack, virtual_clock: Clock, vendor: VendorStub) -> ModuleType:
    manager = boto3.client("secretsmanager", region_name=REGION)
    manager.create_secret(Name="recovery-loop/test/sources/surveymonkey", SecretString="sm-api-token")
    manager.create_secret(
        Name="recovery-loop/test/sources/qualtrics", SecretString='{"token": "qx-api-token"}'
    )
    sources = [
        (
            {
                "id": "sm-nps",
                "name": "SurveyMonkey",
                "preset": "surveymonkey",
                "options": {
                    "credentials": "recovery-loop/test/sources/surveymonkey",
                    "score_question": "319352786",
                    "score_choices": {"3057839051": 3},
                    "customer_variable": "custvar_1",
                    "api_base_url": vendor.url,
                },
            },
            SM_SECRET,
        ),
        (
            {
                "id": "qx-nps",
                "name": "Qualtrics",
                "preset": "qualtrics",
                "options": {
                    "credentials": "recovery-loop/test/sources/qualtrics",
                    "score_question": "QID1",
                    "comment_question": "QID2",
                    "api_base_url": vendor.url,
                },
            },
            QX_TOKEN,
        ),
    ]
    store = SourceStore()
    for document, secret in sources:
        spec = config.parse_source(document)
        store.put(spec.id, spec.name, [], spec.thresholds.model_dump(), secret, spec.model_dump(mode="json"))
    return load_function("hooks")


def deliver(
    module: ModuleType, source_id: str, raw: bytes, headers: dict[str, str], query: str = ""
) -> tuple[int, Any]:
    request = event("hooks_typeform.json")
    request["rawPath"] = f"/v1/hooks/{source_id}"
    request["requestContext"]["http"]["path"] = request["rawPath"]
    request["pathParameters"] = {"source_id": source_id}
    request["rawQueryString"] = query
    request["headers"] = headers
    request["isBase64Encoded"] = True
    request["body"] = base64.b64encode(raw).decode("ascii")
    response = module.lambda_handler(request, Context())
    return response["statusCode"], json.loads(response["body"])


def sm_headers(raw: bytes, secret: str = SM_SECRET) -> dict[str, str]:
    signature = base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha1).digest()).decode()
    return {"content-type": "application/json", "sm-signature": signature}


def log_of(source_id: str) -> list[dict[str, Any]]:
    return [entry.as_json() for entry in HookLog().read(source_id, 100).entries]


def test_surveymonkey_callback_is_fetched_mapped_and_opens_a_case(
    hooks: ModuleType, vendor: VendorStub
) -> None:
    # GIVEN the published callback, signed over its exact bytes, and the API serving the details
    vendor.routes[SM_PATH] = (200, SM_DETAILS)
    # WHEN it is delivered
    status, body = deliver(hooks, "sm-nps", SM_CALLBACK, sm_headers(SM_CALLBACK))
    # THEN the answer's choice maps to an NPS of 3, which opens a case; the token came from Secrets Manager
    assert status == 201, body
    assert body["verdict"] == "negative" and body["case_id"]
    assert vendor.seen[0][1]["authorization"] == "Bearer sm-api-token"
    stored = FeedbackStore().feedback_fields("FB#sm-nps#123456")
    assert stored is not None
    assert stored["detail"]["score"] == {"type": "nps", "value": 3}
    assert log_of("sm-nps")[0]["outcome"] == "created"


def test_surveymonkey_api_down_is_a_503_the_vendor_retries(hooks: ModuleType, vendor: VendorStub) -> None:
    # GIVEN the vendor API failing
    vendor.routes[SM_PATH] = (502, b"{}")
    # WHEN the callback is delivered
    status, problem = deliver(hooks, "sm-nps", SM_CALLBACK, sm_headers(SM_CALLBACK))
    # THEN it answers 503 (SurveyMonkey resends), stores no feedback and logs why
    assert status == 503
    assert problem["detail"] == "the surveymonkey API answered 502"
    assert FeedbackStore().feedback_fields("FB#sm-nps#123456") is None
    logged = log_of("sm-nps")[0]
    assert {
        key: logged[key] for key in ("status", "outcome", "reason", "delivery_id", "feedback_id", "case_id")
    } == {
        "status": 503,
        "outcome": "failed",
        "reason": "the surveymonkey API answered 502",
        "delivery_id": None,
        "feedback_id": None,
        "case_id": None,
    }
    # AND it can be replayed from the log should the vendor give up resending
    assert logged["replayable"] is True and logged["replay_of"] is None


def test_surveymonkey_wrong_signature_is_refused_before_any_fetch(
    hooks: ModuleType, vendor: VendorStub
) -> None:
    # GIVEN a callback signed with another api key and secret
    vendor.routes[SM_PATH] = (200, SM_DETAILS)
    # WHEN it is delivered
    status, problem = deliver(hooks, "sm-nps", SM_CALLBACK, sm_headers(SM_CALLBACK, "other&pair"))
    # THEN it is refused, logged, and the vendor API is never called
    assert status == 401 and problem["detail"] == "bad signature"
    assert vendor.seen == []
    assert log_of("sm-nps")[0]["reason"] == "bad signature"


def test_qualtrics_event_with_its_token_is_fetched_and_mapped(hooks: ModuleType, vendor: VendorStub) -> None:
    # GIVEN the form-encoded event on the hook URL with the source's token, and the API serving the response
    vendor.routes[QX_PATH] = (200, QX_RESPONSE)
    form = {"content-type": "application/x-www-form-urlencoded"}
    # WHEN it is delivered with the right token, then with a wrong one
    status, body = deliver(hooks, "qx-nps", QX_EVENT, form, f"token={QX_TOKEN}")
    refused, problem = deliver(hooks, "qx-nps", QX_EVENT, form, "token=guessed")
    # THEN the first opens a case from the fetched answers, the second is refused without a fetch
    assert status == 201, body
    assert body["verdict"] == "negative"
    assert vendor.seen[0][1]["x-api-token"] == "qx-api-token"
    assert len(vendor.seen) == 1
    stored = FeedbackStore().feedback_fields("FB#qx-nps#R_1ma7yqJ8gkNSs4v")
    assert stored is not None
    assert stored["detail"]["comment"] == "Waited 40 minutes on hold and nobody answered."
    assert (refused, problem["detail"]) == (401, "bad token")


def test_surveymonkey_event_the_preset_ignores_is_not_fetched(hooks: ModuleType, vendor: VendorStub) -> None:
    # GIVEN a signed callback for a deleted response, while the vendor API is down
    raw = SM_CALLBACK.replace(b'"response_completed"', b'"response_deleted"')
    vendor.routes[SM_PATH] = (503, b"{}")
    # WHEN it is delivered
    status, body = deliver(hooks, "sm-nps", raw, sm_headers(raw))
    # THEN it is answered 200 and ignored, without a call to the API (so no 503 and no endless resends)
    assert status == 200, body
    assert body["status"] == "ignored"
    assert vendor.seen == []
