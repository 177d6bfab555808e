"""Link grants against moto, in the table built from template.yaml."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from recovery import clock
from recovery.domain.links import Purpose, Verdict, check, code_hash, new_code
from recovery.errors import TransientFailure
from recovery.store import models
from recovery.store.links import LINGER, LinkStore
from recovery.store.models import LinkItem, dynamodb_client
from tests.integration.conftest import table_items
from tests.support import REGION, Stack, template

NOW = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def links(stack: Stack) -> Iterator[LinkStore]:
    clock.set_source(lambda: NOW)
    yield LinkStore()
    clock.reset()


@contextmanager
def calls() -> Iterator[list[str]]:
    """The names of the DynamoDB operations made inside the block."""
    seen: list[str] = []

    def record(model: Any, **_: Any) -> None:
        seen.append(model.name)

    client = dynamodb_client()
    client.meta.events.register("before-call.dynamodb.*", record)
    try:
        yield seen
    finally:
        client.meta.events.unregister("before-call.dynamodb.*", record)


@contextmanager
def failing(operation: str, code: str) -> Iterator[None]:
    def fail(model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        return AWSResponse("https://dynamodb", 400, {}, None), {
            "Error": {"Code": code, "Message": "injected"},
            "ResponseMetadata": {},
        }

    client = dynamodb_client()
    client.meta.events.register_first(f"before-call.dynamodb.{operation}", fail)
    try:
        yield
    finally:
        client.meta.events.unregister(f"before-call.dynamodb.{operation}", fail)


def link_items(stack: Stack) -> list[dict[str, Any]]:
    return [item for item in table_items(stack) if item["pk"]["S"].startswith("LINK#")]


def test_issue_resolve_use_once(links: LinkStore, stack: Stack) -> None:
    # GIVEN an acknowledge link for a case
    code = links.issue(Purpose.ACK, "cs_1", "lead-1", HOUR)
    # WHEN it is resolved
    grant = links.resolve(code)
    # THEN it grants exactly what was issued
    assert grant is not None
    assert (grant.purpose, grant.subject, grant.audience) == (Purpose.ACK, "cs_1", "lead-1")
    assert (grant.expires_at, grant.single_use, grant.used_at, grant.used_by) == (
        NOW + HOUR,
        True,
        None,
        None,
    )
    assert grant.code_hash == code_hash(code)
    assert check(grant, Purpose.ACK, NOW) is Verdict.OK
    # WHEN it is used, THEN once only
    assert links.use(code, "lead-1", NOW + timedelta(minutes=5)) is True
    assert links.use(code, "lead-2", NOW + timedelta(minutes=6)) is False
    used = links.resolve(code)
    assert used is not None and (used.used_at, used.used_by) == (NOW + timedelta(minutes=5), "lead-1")
    assert check(used, Purpose.ACK, NOW + timedelta(minutes=6)) is Verdict.USED


def test_two_uses_that_both_saw_a_fresh_grant_only_one_wins(links: LinkStore) -> None:
    code = links.issue(Purpose.ACK, "cs_1", "lead-1", HOUR)
    # GIVEN two requests that each resolved the code before either used it
    first, second = links.resolve(code), links.resolve(code)
    assert check(first, Purpose.ACK, NOW) is check(second, Purpose.ACK, NOW) is Verdict.OK
    # THEN the conditional write lets exactly one through
    assert [links.use(code, "lead-1", NOW), links.use(code, "lead-1", NOW)] == [True, False]


def test_an_expired_code_is_expired_and_cannot_be_used(links: LinkStore) -> None:
    code = links.issue(Purpose.ACK, "cs_1", "lead-1", HOUR)
    later = NOW + HOUR
    assert check(links.resolve(code), Purpose.ACK, later) is Verdict.EXPIRED
    assert links.use(code, "lead-1", later) is False
    assert links.use(code, "lead-1", later - timedelta(seconds=1)) is True


def test_a_reusable_code_can_be_used_again_until_it_expires(links: LinkStore) -> None:
    code = links.issue(Purpose.UNSUBSCRIBE, "cust_9", "cust_9", HOUR, single_use=False)
    assert links.use(code, "cust_9", NOW) is True
    assert links.use(code, "cust_9", NOW + timedelta(minutes=1)) is True
    assert check(links.resolve(code), Purpose.UNSUBSCRIBE, NOW + timedelta(minutes=2)) is Verdict.OK
    assert links.use(code, "cust_9", NOW + HOUR) is False


def test_a_code_for_another_purpose_is_refused(links: LinkStore) -> None:
    code = links.issue(Purpose.FOLLOWUP, "cs_1", "cust_9", HOUR)
    assert check(links.resolve(code), Purpose.ACK, NOW) is Verdict.WRONG_PURPOSE


def test_an_unknown_code_resolves_to_nothing_and_cannot_be_used(links: LinkStore) -> None:
    code = new_code()
    with calls() as made:
        assert links.resolve(code) is None
    assert made == ["GetItem"]
    assert check(None, Purpose.ACK, NOW) is Verdict.UNKNOWN
    assert links.use(code, "lead-1", NOW) is False


@pytest.mark.parametrize(
    "code", ["", "short", "A" * 17, "AAAAAAAAAAAAAA/=", "../../etc/passwd", "ÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅ"]
)
def test_a_malformed_code_costs_no_read(links: LinkStore, code: str) -> None:
    with calls() as made:
        assert links.resolve(code) is None
        assert links.use(code, "lead-1", NOW) is False
    assert made == []


def test_the_plain_code_is_stored_nowhere(links: LinkStore, stack: Stack) -> None:
    code = links.issue(Purpose.ACK, "cs_1", "lead-1", HOUR)
    links.use(code, "lead-1", NOW)
    everything = json.dumps(table_items(stack))
    assert code not in everything
    assert code_hash(code) in everything  # the key is the hash


def test_the_item_shape_and_ttl(links: LinkStore, stack: Stack) -> None:
    code = links.issue(Purpose.ACK, "cs_1", "lead-1", HOUR)
    (item,) = link_items(stack)
    assert (item["pk"]["S"], item["sk"]["S"]) == (f"LINK#{code_hash(code)}", "LINK")
    assert item["purpose"] == {"S": "ack"} and item["single_use"] == {"BOOL": True}
    # The table's TTL attribute: a number of epoch seconds, 30 days after the link stops working
    assert item["expires_at"] == {"N": str(int((NOW + HOUR + LINGER).timestamp()))}
    assert item["valid_until"]["S"].startswith("2026-01-12T10:00:00")
    ttl = template()["Resources"]["Table"]["Properties"]["TimeToLiveSpecification"]
    assert ttl == {"AttributeName": "expires_at", "Enabled": True}


def test_codes_are_distinct_items(links: LinkStore, stack: Stack) -> None:
    codes = {links.issue(Purpose.ACK, f"cs_{n}", "lead-1", HOUR) for n in range(20)}
    assert len(codes) == 20 and len(link_items(stack)) == 20


def test_a_zero_lifetime_is_refused(links: LinkStore) -> None:
    with pytest.raises(ValueError, match="positive"):
        links.issue(Purpose.ACK, "cs_1", "lead-1", timedelta(0))


@pytest.mark.parametrize("operation", ["PutItem", "GetItem", "UpdateItem"])
def test_a_throttled_request_is_a_transient_failure(links: LinkStore, operation: str) -> None:
    code = links.issue(Purpose.ACK, "cs_1", "lead-1", HOUR)
    with failing(operation, "ThrottlingException"), pytest.raises(TransientFailure):
        {
            "PutItem": lambda: links.issue(Purpose.ACK, "cs_2", "lead-1", HOUR),
            "GetItem": lambda: links.resolve(code),
            "UpdateItem": lambda: links.use(code, "lead-1", NOW),
        }[operation]()


def test_links_follow_every_rebind_of_the_models(links: LinkStore, stack: Stack) -> None:
    # GIVEN the models are rebound (a new container, another table)
    code = links.issue(Purpose.ACK, "cs_1", "lead-1", HOUR)
    models.bind("elsewhere", REGION)
    assert LinkItem.Meta.table_name == "elsewhere"
    assert LinkItem._get_connection().connection is dynamodb_client_connection()
    # WHEN they are bound back, THEN the link store reads the right table again with the shared client
    models.bind(stack.table, REGION)
    assert links.resolve(code) is not None
    assert LinkItem._get_connection().connection is dynamodb_client_connection()


def dynamodb_client_connection() -> Any:
    return models.FeedbackItem._get_connection().connection
