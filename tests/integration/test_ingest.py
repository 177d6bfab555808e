"""The ingest handler on API Gateway v2 events against moto, with the table built from template.yaml."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from recovery.store.models import FeedbackItem, dynamodb_client
from tests.integration.conftest import OTHER_KEY, Api, table_items
from tests.support import Stack, event


def negative() -> dict[str, Any]:
    return json.loads(event("ingest_feedback_negative.json")["body"])


def positive() -> dict[str, Any]:
    return json.loads(event("ingest_feedback_positive.json")["body"])


def keys(stack: Stack) -> set[str]:
    return {item["pk"]["S"] for item in table_items(stack)}


def test_positive_is_one_feedback_item(api: Api, stack: Stack) -> None:
    before = keys(stack)
    status, _, body = api.post("/v1/feedback", positive())
    assert status == 201
    assert body == {
        "feedback_id": body["feedback_id"],
        "verdict": "positive",
        "priority": None,
        "case_id": None,
        "status": "created",
    }
    assert keys(stack) - before == {"FB#demo-web#resp_124"}


def test_negative_commits_feedback_case_and_history(api: Api, stack: Stack) -> None:
    status, _, body = api.post("/v1/feedback", negative())
    assert (status, body["verdict"], body["priority"], body["status"]) == (201, "negative", "P2", "created")
    added = {key.split("#")[0] for key in keys(stack)}
    assert {"FB", "CASE", "CUST"} <= added
    case = next(i for i in table_items(stack) if i["pk"]["S"] == f"CASE#{body['case_id']}")
    assert case["status"]["S"] == "open" and case["alert_state"]["S"] == "pending"
    assert case["due_pk"]["S"].startswith("DUE#alert#")  # in the sparse due index
    assert case["queue_pk"]["S"] == "QUEUE#support-emea#open"


def test_no_personal_data_in_any_key(api: Api, stack: Stack) -> None:
    api.post("/v1/feedback", negative())
    for item in table_items(stack):
        for name in ("pk", "sk", "cust_pk", "cust_sk", "due_pk", "queue_pk", "queue_sk"):
            value = item.get(name, {}).get("S", "")
            for secret in ("a@example.com", "4791234567", "c-42", "Ada"):
                assert secret not in value


def test_duplicate_answers_the_same_ids_and_writes_nothing(api: Api, stack: Stack) -> None:
    _, _, first = api.post("/v1/feedback", negative())
    snapshot = table_items(stack)
    status, _, again = api.post("/v1/feedback", negative())
    assert status == 200
    assert again == {**first, "status": "duplicate"}
    assert table_items(stack) == snapshot


def test_changed_response_is_updated_and_never_opens_a_second_case(api: Api, stack: Stack) -> None:
    _, _, first = api.post("/v1/feedback", negative())
    changed = negative()
    changed["comment"] = "Ventet i 40 minutter. Jeg sier opp avtalen."
    status, _, body = api.post("/v1/feedback", changed)
    assert (status, body["status"]) == (200, "updated")
    assert body["feedback_id"] == first["feedback_id"] and body["case_id"] == first["case_id"]
    assert sum(1 for key in keys(stack) if key.startswith("CASE#")) == 1
    stored = FeedbackItem.get("FB#demo-web#resp_123", "FB")
    assert "cancel" in stored.detail["signals"] and stored.revision == 2


def test_positive_updated_to_negative_opens_its_first_case(api: Api, stack: Stack) -> None:
    _, _, first = api.post("/v1/feedback", positive())
    worse = positive()
    worse["score"] = {"type": "csat", "value": 1}
    status, _, body = api.post("/v1/feedback", worse)
    assert (status, body["status"], body["verdict"], body["priority"]) == (200, "updated", "negative", "P1")
    assert body["case_id"] and body["feedback_id"] == first["feedback_id"]


def test_held_until_the_score_arrives(api: Api, stack: Stack) -> None:
    unscored = negative()
    unscored["score"] = None
    status, _, body = api.post("/v1/feedback", unscored)
    assert (status, body["status"], body["verdict"], body["case_id"]) == (202, "held", None, None)
    assert not any(key.startswith("CASE#") for key in keys(stack))

    status, _, scored = api.post("/v1/feedback", negative())
    assert (status, scored["status"], scored["verdict"]) == (200, "updated", "negative")
    assert scored["feedback_id"] == body["feedback_id"] and scored["case_id"]


def test_later_event_without_score_keeps_the_score(api: Api, stack: Stack) -> None:
    api.post("/v1/feedback", negative())
    comment_only = negative()
    comment_only["score"] = None
    comment_only["comment"] = "Still waiting"
    status, _, body = api.post("/v1/feedback", comment_only)
    assert (status, body["status"], body["verdict"]) == (200, "updated", "negative")


def test_repeat_failure_within_90_days_is_p1(api: Api, stack: Stack) -> None:
    first = negative()
    first["score"] = {"type": "nps", "value": 5}
    first["comment"] = None
    assert api.post("/v1/feedback", first)[2]["priority"] == "P3"
    second = copy.deepcopy(first)
    second["external_id"] = "resp_999"
    second["occurred_at"] = "2026-11-22T20:00:00Z"
    _, _, body = api.post("/v1/feedback", second)
    assert body["priority"] == "P1"
    case = next(i for i in table_items(stack) if i["pk"]["S"] == f"CASE#{body['case_id']}")
    assert case["repeat_failure"]["BOOL"] is True


def test_per_source_thresholds(api: Api, stack: Stack) -> None:
    feedback = positive()
    feedback["score"] = {"type": "csat", "value": 3}
    assert api.post("/v1/feedback", feedback)[2]["verdict"] == "neutral"
    feedback["external_id"] = "other-source"
    assert api.post("/v1/feedback", feedback, key=OTHER_KEY)[2]["verdict"] == "negative"


def test_without_external_id_the_body_hash_dedupes(api: Api, stack: Stack) -> None:
    feedback = positive()
    del feedback["external_id"]
    first = api.post("/v1/feedback", feedback)
    second = api.post("/v1/feedback", feedback)
    assert (first[0], second[0]) == (201, 200)
    assert second[2]["status"] == "duplicate"


# ----------------------------------------------------------------- bad input writes nothing
@pytest.mark.parametrize(
    ("kwargs", "status", "title"),
    [
        ({"raw": "{not json"}, 400, "Malformed JSON"),
        ({"raw": ""}, 400, "Malformed JSON"),
        ({"key": None}, 401, "Unauthorized"),
        ({"key": "rlk_demo-web_wrong-key-000000000000000000000000"}, 401, "Unauthorized"),
        ({"key": "rlk_nosuchsource_x"}, 401, "Unauthorized"),
        ({"key": "Basic abc"}, 401, "Unauthorized"),
        ({"headers": {"content-type": "text/plain"}}, 415, "Unsupported media type"),
        ({"headers": {"content-type": "application/x-www-form-urlencoded"}}, 415, "Unsupported media type"),
        ({"raw": json.dumps({"pad": "x" * (256 * 1024)})}, 413, "Payload too large"),
    ],
)
def test_refused_requests_write_nothing(
    api: Api, stack: Stack, kwargs: dict[str, Any], status: int, title: str
) -> None:
    before = table_items(stack)
    code, headers, body = api.post("/v1/feedback", negative(), **kwargs)
    assert (code, body["title"]) == (status, title)
    assert headers["content-type"] == "application/problem+json"
    assert table_items(stack) == before


def test_schema_errors_list_every_bad_field_as_json_pointer(api: Api, stack: Stack) -> None:
    before = table_items(stack)
    bad = negative()
    bad["score"] = {"type": "nps", "value": 11}
    bad["customer"] = {"email": "not-an-email", "phone": "12345"}
    bad["tags"] = ["ok", ""]
    bad["surprise"] = True
    status, headers, body = api.post("/v1/feedback", bad)
    assert status == 400 and headers["content-type"] == "application/problem+json"
    pointers = {error["pointer"] for error in body["errors"]}
    assert {"/score/value", "/customer/email", "/customer/phone", "/tags/1", "/surprise"} <= pointers
    assert table_items(stack) == before


@pytest.mark.parametrize(
    ("score", "pointer"),
    [
        ({"type": "stars", "value": 0}, "/score/value"),
        ({"type": "thumbs", "value": "sideways"}, "/score/value"),
        ({"type": "custom", "value": 5, "min": 10, "max": 1}, "/score"),
        ({"type": "bogus", "value": 1}, "/score"),
    ],
)
def test_bad_scores_point_at_the_field(api: Api, score: dict[str, Any], pointer: str) -> None:
    bad = negative()
    bad["score"] = score
    status, _, body = api.post("/v1/feedback", bad)
    assert status == 400
    assert pointer in {error["pointer"] for error in body["errors"]}


def test_held_needs_an_external_id(api: Api) -> None:
    bad = negative()
    bad["score"] = None
    del bad["external_id"]
    status, _, body = api.post("/v1/feedback", bad)
    assert status == 400 and body["errors"][0]["detail"].startswith("a response without a score")


def test_base64_body_is_decoded(api: Api, stack: Stack) -> None:
    import base64

    request = event("ingest_feedback_positive.json")
    request["headers"]["authorization"] = "Bearer " + api_key()
    request["body"] = base64.b64encode(request["body"].encode()).decode()
    request["isBase64Encoded"] = True
    response = api.module.lambda_handler(request, __import__("tests.support", fromlist=["Context"]).Context())
    assert response["statusCode"] == 201


def api_key() -> str:
    from tests.integration.conftest import KEY

    return KEY


def test_transient_aws_failure_is_503_with_retry_after_and_writes_nothing(api: Api, stack: Stack) -> None:
    api.post("/v1/feedback", positive())  # warm: source cached
    before = table_items(stack)
    client = dynamodb_client()
    calls: list[str] = []

    def throttle(model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        # before-call short-circuits the request, so it never reaches moto.
        calls.append(model.name)
        error = {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}
        return AWSResponse("https://dynamodb", 400, {}, None), {"Error": error, "ResponseMetadata": {}}

    client.meta.events.register_first("before-call.dynamodb.TransactWriteItems", throttle)
    try:
        status, headers, body = api.post("/v1/feedback", negative())
    finally:
        client.meta.events.unregister("before-call.dynamodb.TransactWriteItems", throttle)
    assert calls == ["TransactWriteItems"]
    assert (status, headers.get("retry-after")) == (503, "2")
    assert body["title"] == "Service unavailable"
    assert table_items(stack) == before


# ----------------------------------------------------------------- batch
def test_batch_answers_a_status_per_item(api: Api, stack: Stack) -> None:
    items = json.loads(event("ingest_feedback_batch.json")["body"])["items"]
    status, _, body = api.post("/v1/feedback/batch", {"items": items})
    assert status == 200
    assert [(r["index"], r["status_code"], r["status"]) for r in body["results"]] == [
        (0, 201, "created"),
        (1, 201, "created"),
    ]
    status, _, again = api.post("/v1/feedback/batch", {"items": items})
    assert [r["status"] for r in again["results"]] == ["duplicate", "duplicate"]


def test_batch_with_one_bad_item_writes_nothing(api: Api, stack: Stack) -> None:
    before = table_items(stack)
    bad = negative()
    bad["score"] = {"type": "csat", "value": 9}
    status, _, body = api.post("/v1/feedback/batch", {"items": [positive(), bad]})
    assert status == 400
    assert "/items/1/score/value" in {error["pointer"] for error in body["errors"]}
    assert table_items(stack) == before


def test_batch_limits(api: Api) -> None:
    assert api.post("/v1/feedback/batch", {"items": []})[0] == 400
    assert api.post("/v1/feedback/batch", {"items": [positive()] * 101})[0] == 400


# ----------------------------------------------------------------- documents
def test_health_openapi_and_docs(api: Api) -> None:
    assert api.get("/v1/health")[:3:2] == (200, {"status": "ok"})
    status, _, document = api.get("/v1/openapi.json")
    assert status == 200 and "/v1/feedback" in document["paths"]
    assert "FeedbackIn" in json.dumps(document["components"])
    # the whole API, not only ingest's own routes
    assert {"/v1/cases", "/v1/reports/{report}", "/v1/admin/sources", "/v1/hooks/{source_id}"} <= set(
        document["paths"]
    )
    status, headers, page = api.get("/docs")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert "/v1/admin/customers/{customer_id}" in page
    assert "<script src=" not in page and "cdn" not in page.lower()  # assets inlined, no CDN


@pytest.mark.parametrize(
    "moment", ["0001-01-01T00:00:00+14:00", "1999-12-31T23:59:59Z", "2999-01-01T00:00:00Z"]
)
def test_implausible_interaction_times_are_refused(api: Api, moment: str) -> None:
    bad = negative()
    bad["occurred_at"] = moment
    status, _, body = api.post("/v1/feedback", bad)
    assert status == 400 and body["errors"][0]["pointer"] == "/occurred_at"
