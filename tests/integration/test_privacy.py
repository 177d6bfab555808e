"""A customer's data on moto, through the admin handler in-process: exported whole, then erased in place
(nothing of the person left anywhere in the table), with counters and suppression untouched."""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any
from urllib.parse import quote

import boto3
import pytest

from recovery import clock
from recovery.domain.identity import PiiHasher
from recovery.services.intake import hash_key
from recovery.services.privacy import Privacy, identify
from recovery.services.stream_processor import StreamProcessor
from recovery.store import secrets
from recovery.store.admin import AdminKeyStore
from recovery.store.alerting import AlertStore
from recovery.store.customer_messages import ScheduledMessageStore
from recovery.store.models import CaseItem, FollowUpItem
from recovery.store.privacy import PrivacyStore, Stored
from tests.integration.conftest import Api, table_items
from tests.integration.test_stream import RecordingBus, counters
from tests.support import REGION, Context, Stack, StreamReader, environment, event, load_function

ADMIN_KEY = "rla_integration-test-admin-key-0000000000000000"
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
ADA = {
    "id": "c-ada-1815",
    "name": "Ada Lovelace",
    "email": "ada.lovelace@example.com",
    "phone": "+4791234568",
    "locale": "en-GB",
    "timezone": "Europe/London",
}
COMMENTS = {
    "pos-1": "Lovely help from the chat team today",
    "neg-1": "Waited forty minutes on the phone and nobody answered",
    "neu-1": "Fine overall but the delivery was slow again",
}
# What must be gone from every item after the erase.
PERSONAL = [ADA["name"], "Lovelace", ADA["email"], ADA["phone"], ADA["phone"][1:], *COMMENTS.values()]
ANSWER = "Thanks, that made up for it"  # her comment on the follow-up
SUMMARY = "Refunded Ada for the long wait"  # the lead's resolution summary
PERSONAL += [ANSWER, SUMMARY]


@pytest.fixture
def admin(stack: Stack) -> Iterator[ModuleType]:
    AdminKeyStore().put([hash_key(ADMIN_KEY)], NOW)
    clock.set_source(lambda: NOW)
    yield load_function("admin")
    clock.reset()


def call(
    module: ModuleType, method: str, customer: str, by: str | None = None, key: str | None = ADMIN_KEY
) -> tuple[int, dict[str, str], Any]:
    request = event("admin_export_customer.json")
    path = f"/v1/admin/customers/{quote(customer, safe='')}"
    request["routeKey"] = f"{method} /v1/admin/customers/{{customer_id}}"
    request["rawPath"] = path
    request["rawQueryString"] = f"by={by}" if by else ""
    request["queryStringParameters"] = {"by": by} if by else None
    request["pathParameters"] = {"customer_id": customer}
    request["requestContext"]["http"].update(method=method, path=path)
    request["headers"] = {"authorization": f"Bearer {key}"} if key else {}
    response = module.lambda_handler(request, Context())
    headers = {name.lower(): value for name, value in (response.get("headers") or {}).items()}
    return response["statusCode"], headers, json.loads(response["body"] or "null")


def feedback(
    external_id: str, score: int, customer: dict[str, Any], comment: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(event("ingest_feedback_negative.json")["body"])
    body.update(
        external_id=external_id,
        occurred_at="2026-11-23T09:30:00Z",
        customer=customer,
        score={"type": "nps", "value": score},
        comment=comment,
        metadata={"order": "A-17", "note": "VIP"},
    )
    return body


def strings(value: Any) -> Iterator[str]:
    """Every string inside an attribute value, JSON documents stored as strings opened up."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
    elif isinstance(value, str):
        yield value
        if value[:1] in "{[":
            with contextlib.suppress(ValueError):
                yield from strings(json.loads(value))


def holding(stack: Stack, needles: list[str]) -> list[tuple[str, str, str]]:
    """(pk, sk, needle) for every item of the whole table (a Scan: tests only) that still holds one."""
    found = []
    for item in table_items(stack):
        texts = [text.casefold() for text in strings(item)]
        for needle in needles:
            if any(needle.casefold() in text for text in texts):
                found.append((item["pk"]["S"], item["sk"]["S"], needle))
    return found


def item(pk: str, sk: str) -> dict[str, Any]:
    found = boto3.client("dynamodb", region_name=REGION).get_item(
        TableName=table_name(), Key={"pk": {"S": pk}, "sk": {"S": sk}}
    )
    return dict(found.get("Item") or {})


def table_name() -> str:
    return str(CaseItem.Meta.table_name)


@pytest.fixture
def ada(api: Api, stack: Stack) -> dict[str, Any]:
    """Ada: a positive, a neutral and a negative with its case; notes naming her on the timeline, a
    resolution, an answered follow-up, a scheduled message, and items of kinds nobody planned for."""
    for external_id, score in (("pos-1", 9), ("neu-1", 7), ("neg-1", 2)):
        status, _, answer = api.post("/v1/feedback", feedback(external_id, score, ADA, COMMENTS[external_id]))
        assert status == 201, answer
    case_id = str(answer["case_id"])
    customer_key = PiiHasher(secrets.secret_bytes(stack.secret_arn)).digest("id", ADA["id"])
    alerts = AlertStore()
    alerts.record(case_id, "note", NOW, "kari", type="note", text="Called Ada Lovelace, she wants a refund")
    alerts.record(
        case_id, "contacted", NOW + timedelta(seconds=1), "kari", channel="email", text="Wrote to her"
    )
    alerts.record(
        case_id,
        "customer_acknowledged",
        NOW + timedelta(seconds=2),
        "system",
        channel="email",
        subject="Sorry, Ada Lovelace",
        to=ADA["email"],
    )
    alerts.record(case_id, "escalated", NOW + timedelta(seconds=3), "system", level=2, excerpt="Ada Lovelace")
    case = CaseItem.get(f"CASE#{case_id}", "CASE")
    case.update(
        actions=[
            CaseItem.status.set("resolved"),
            CaseItem.resolution.set({"root_cause": "wait_time", "summary": SUMMARY, "by": "kari"}),
        ]
    )
    FollowUpItem(
        f"FUP#{case_id}",
        "FUP",
        case_id=case_id,
        customer_key=customer_key,
        state="answered",
        scheduled_for=NOW,
        answer={
            "score": {"type": "nps", "value": 9},
            "satisfied": True,
            "comment": ANSWER,
        },
        cust_pk=f"CUST#{customer_key}",
        cust_sk=f"FUP#{clock.iso(NOW)}#{case_id}",
    ).save()
    assert ScheduledMessageStore().schedule(case_id, "customer_ack", "sms", NOW + timedelta(hours=9), NOW)
    client = boto3.client("dynamodb", region_name=REGION)
    client.put_item(  # a kind of item kept in the case's partition that this code never heard of
        TableName=stack.table,
        Item={
            "pk": {"S": f"CASE#{case_id}"},
            "sk": {"S": "DRAFT#1"},
            "payload": {"M": {"to": {"S": ADA["phone"]}, "text": {"S": "Hi Ada, about your refund"}}},
        },
    )
    client.put_item(  # and one listed under the customer in the by_customer index
        TableName=stack.table,
        Item={
            "pk": {"S": "SURVEY#x1"},
            "sk": {"S": "SURVEY"},
            "cust_pk": {"S": f"CUST#{customer_key}"},
            "cust_sk": {"S": "SURVEY#x1"},
            "answers": {"L": [{"S": f"reach me at {ADA['email']}"}, {"S": "7"}]},
        },
    )
    return {"case_id": case_id, "customer_key": customer_key}


@pytest.fixture
def someone_else(api: Api) -> str:
    body = feedback("other-1", 3, {"id": "c-other", "name": "Grace Hopper", "email": "grace@example.com"})
    body["comment"] = "Nobody called me back about the broken order"
    status, _, answer = api.post("/v1/feedback", body)
    assert status == 201
    return str(answer["case_id"])


def suppress(stack: Stack, address: str) -> Any:
    """SES reports a permanent bounce for `address`; the deliveries function suppresses it."""
    deliveries = load_function("deliveries")
    sample = copy.deepcopy(event("deliveries_bounce.json"))
    sample["Records"][0]["Sns"]["Message"] = sample["Records"][0]["Sns"]["Message"].replace(
        "jane@example.com", address
    )
    assert deliveries.lambda_handler(sample, Context())["suppressed"] == 1
    return deliveries


def test_export_returns_everything_held(admin: ModuleType, ada: dict[str, Any]) -> None:
    # WHEN the admin exports Ada, named by the id the survey tool knows her by
    status, headers, export = call(admin, "GET", ADA["id"])
    # THEN everything is there: her details, three responses, the case with its timeline, the follow-up,
    # the scheduled message and the items of unknown kinds
    assert status == 200 and headers["cache-control"] == "no-store"
    assert export["customer_key"] == ada["customer_key"]
    assert {export["customer"][name] for name in ("name", "email", "phone")} == {
        ADA["name"],
        ADA["email"],
        ADA["phone"],
    }
    assert sorted(item["detail"]["comment"] for item in export["feedback"]) == sorted(COMMENTS.values())
    [case] = export["cases"]
    assert case["case"]["case_id"] == ada["case_id"]
    assert case["case"]["resolution"]["summary"] == SUMMARY
    notes = [entry["detail"].get("text") for entry in case["timeline"] if entry["kind"] == "note"]
    assert notes == ["Called Ada Lovelace, she wants a refund"]
    assert [f["answer"]["comment"] for f in export["followups"]] == [ANSWER]
    assert [m["kind"] for m in export["scheduled_messages"]] == ["customer_ack"]
    assert sorted(other["pk"] for other in export["other"]) == [f"CASE#{ada['case_id']}", "SURVEY#x1"]


def test_erase_leaves_nothing_of_the_person_and_keeps_the_facts(
    admin: ModuleType, ada: dict[str, Any], someone_else: str, stack: Stack
) -> None:
    # GIVEN Ada's address bounced once, and the stream has counted her responses
    deliveries = suppress(stack, ADA["email"])
    reader = StreamReader(stack.table)
    stream = load_function("stream")
    bus = RecordingBus()
    stream.processor = StreamProcessor(stream.processor._counters, bus)
    stream.lambda_handler({"Records": reader.read()}, Context())
    counted = counters(stack)
    assert counted and holding(stack, PERSONAL)  # the test can fail: her data is there to begin with
    bus.events.clear()

    # WHEN the admin erases her
    status, _, erased = call(admin, "DELETE", ADA["id"])

    # THEN no item anywhere holds her name, email, phone or words
    assert status == 200, erased
    assert holding(stack, PERSONAL) == []
    assert erased["redacted"]["customer"] == 1 and erased["redacted"]["feedback"] == 3
    assert erased["redacted"]["event"] == 4 and erased["redacted"]["other"] == 2
    assert erased["erased_events"] == 1 and erased["erased_at"].startswith("2026-11-23T10:00:00")
    # the facts stay: scores, verdicts, tags, the case's status and root cause
    negative = item("FB#demo-web#neg-1", "FB")
    detail = json.loads(negative["detail"]["S"])
    assert negative["verdict"]["S"] == "negative" and detail["score"] == {"type": "nps", "value": 2}
    assert detail["tags"] == ["wait-time"] and "comment" not in detail and "metadata" not in detail
    case = item(f"CASE#{ada['case_id']}", "CASE")
    assert case["status"]["S"] == "resolved"
    assert json.loads(case["resolution"]["S"]) == {
        "root_cause": "wait_time",
        "summary": "[erased]",
        "by": "kari",
    }
    customer = item(f"CUST#{ada['customer_key']}", "CUST")
    assert "erased_at" in customer and not {"name", "email", "phone", "locale", "timezone"} & customer.keys()
    # the case's timeline says so
    status, _, export = call(admin, "GET", ADA["id"])
    erased_events = [e for e in export["cases"][0]["timeline"] if e["kind"] == "erased"]
    assert [e["actor"] for e in erased_events] == ["admin"]
    # counters do not move when the stream sees the rewrites, and the rewrites are no domain events
    stream.lambda_handler({"Records": reader.read()}, Context())
    assert counters(stack) == counted and bus.events == []
    # the bounced address stays suppressed (the suppression row is a keyed hash, not an address)
    assert deliveries.store.is_suppressed(deliveries.address_hash(ADA["email"]))
    # someone else's data is untouched
    assert holding(stack, ["Grace Hopper", "Nobody called me back about the broken order"])


def test_a_second_erase_finds_nothing_left(admin: ModuleType, ada: dict[str, Any]) -> None:
    # GIVEN Ada was erased
    first = call(admin, "DELETE", ADA["id"])[2]
    before = item(f"CUST#{ada['customer_key']}", "CUST")
    # WHEN the admin erases her again, later
    clock.set_source(lambda: NOW + timedelta(days=1))
    status, _, second = call(admin, "DELETE", ADA["id"])
    # THEN it succeeds with nothing to do, and the customer item keeps the first erasure's time
    assert status == 200
    assert second["redacted_total"] == 0 and second["erased_events"] == 0
    assert second["erased_at"] == first["erased_at"]
    assert item(f"CUST#{ada['customer_key']}", "CUST") == before


def test_an_interrupted_erase_finishes_when_run_again(
    admin: ModuleType, ada: dict[str, Any], stack: Stack
) -> None:
    # GIVEN an erase that fails after three writes (a timeout, say)
    class Failing(PrivacyStore):
        writes = 0

        def rewrite(self, before: Stored, after: Any) -> bool:
            Failing.writes += 1
            if Failing.writes > 3:
                raise TimeoutError("cut short")
            return super().rewrite(before, after)

    hasher = lambda: PiiHasher(secrets.secret_bytes(stack.secret_arn))  # noqa: E731
    with pytest.raises(TimeoutError):
        Privacy(Failing(), hasher).erase(identify(ADA["id"], "id"), NOW)
    assert holding(stack, PERSONAL)
    # WHEN the admin runs the erase again
    status, _, erased = call(admin, "DELETE", ADA["id"])
    # THEN it completes: the customer's details, erased last, still found the rest
    assert status == 200 and erased["redacted_total"] > 0
    assert holding(stack, PERSONAL) == []


def test_customers_are_found_by_email_or_phone_as_intake_keyed_them(api: Api, admin: ModuleType) -> None:
    # GIVEN one customer known only by email and one only by phone, both with positives only
    assert (
        api.post("/v1/feedback", feedback("e-1", 9, {"email": "Bea@Example.com"}, "Quick and kind"))[0] == 201
    )
    assert api.post("/v1/feedback", feedback("p-1", 10, {"phone": "+47 912 34 000"}))[0] == 201
    # WHEN they are named as the survey tool knows them (any case, any phone format)
    by_email = call(admin, "GET", "bea@example.COM", by="email")
    by_phone = call(admin, "GET", "+4791234000", by="phone")
    # THEN each is found, and an id lookup of the same string finds nobody
    assert by_email[0] == 200 and [f["detail"]["comment"] for f in by_email[2]["feedback"]] == [
        "Quick and kind"
    ]
    assert by_phone[0] == 200 and len(by_phone[2]["feedback"]) == 1 and by_phone[2]["customer"] is None
    assert call(admin, "GET", "bea@example.com")[0] == 404
    # AND erasing a customer who never had a customer item leaves a marker of the erasure
    status, _, erased = call(admin, "DELETE", "bea@example.com", by="email")
    assert status == 200 and erased["redacted"] == {**erased["redacted"], "feedback": 1, "customer": 1}
    assert call(admin, "GET", "bea@example.com", by="email")[2]["customer"]["erased_at"]
    assert call(admin, "DELETE", "bea@example.com", by="email")[2]["redacted_total"] == 0


def test_unknown_customer_is_404(admin: ModuleType) -> None:
    for method in ("GET", "DELETE"):
        status, headers, problem = call(admin, method, "nobody-here")
        assert status == 404 and headers["content-type"] == "application/problem+json"
        assert problem["status"] == 404


@pytest.mark.parametrize(
    ("customer", "by", "detail"),
    [("c-1", "name", "by must be"), ("not-an-address", "email", "email"), ("12", "phone", "phone")],
)
def test_bad_reference_is_400(admin: ModuleType, customer: str, by: str, detail: str) -> None:
    status, headers, problem = call(admin, "GET", customer, by=by)
    assert status == 400 and headers["content-type"] == "application/problem+json"
    assert problem["detail"].startswith(detail)
    assert call(admin, "DELETE", customer, by=by)[0] == 400


@pytest.mark.parametrize("key", [None, "rla_wrong"])
def test_only_the_admin_key_gets_in(admin: ModuleType, ada: dict[str, Any], key: str | None) -> None:
    for method in ("GET", "DELETE"):
        status, _, problem = call(admin, method, ADA["id"], key=key)
        assert status == 401 and "Lovelace" not in json.dumps(problem)
    assert call(admin, "GET", ADA["id"])[2]["customer"]["name"] == ADA["name"]  # nothing was erased


def test_intake_sets_expiry_from_the_retention_setting(stack: Stack) -> None:
    # GIVEN the template wires FeedbackRetentionDays into every function and TTL onto expires_at
    from tests.support import template

    document = template()
    variables = document["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["FEEDBACK_RETENTION_DAYS"] == {"Ref": "FeedbackRetentionDays"}
    ttl = document["Resources"]["Table"]["Properties"]["TimeToLiveSpecification"]
    assert ttl == {"AttributeName": "expires_at", "Enabled": True}
    # WHEN intake runs with a 30-day retention
    with environment({"FEEDBACK_RETENTION_DAYS": "30"}):
        ingest = Api(load_function("ingest"))
    clock.set_source(lambda: NOW)
    try:
        assert ingest.post("/v1/feedback", feedback("ttl-1", 9, {"id": "c-ttl"}))[0] == 201
    finally:
        clock.reset()
    # THEN the stored response expires 30 days after it was received
    stored = item("FB#demo-web#ttl-1", "FB")
    assert int(stored["expires_at"]["N"]) == int((NOW + timedelta(days=30)).timestamp())
