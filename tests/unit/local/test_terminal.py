from typing import Any

import pytest

from local.terminal import outcome, shown_path, trigger


@pytest.mark.parametrize(
    ("raw", "template", "parameters", "shown"),
    [
        ("/a/Zx8kQ2", "/a/{code}", {"code": "Zx8kQ2"}, "/a/{code}"),
        (
            "/v1/cases/cs_1/ack",
            "/v1/cases/{case_id}/{operation}",
            {"case_id": "cs_1", "operation": "ack"},
            "/v1/cases/cs_1/ack",
        ),
        (
            "/v1/admin/customers/c-42",
            "/v1/admin/customers/{customer_id}",
            {"customer_id": "c-42"},
            "/v1/admin/customers/{customer_id}",
        ),
        (
            "/console/views/queue.js",
            "/console/{proxy+}",
            {"proxy": "views/queue.js"},
            "/console/views/queue.js",
        ),
        ("/nowhere/secret-code", None, {}, "/nowhere/…"),
    ],
)
def test_a_request_line_never_shows_a_link_code_or_a_customer_id(
    raw: str, template: str | None, parameters: dict[str, str], shown: str
) -> None:
    assert shown_path(raw, template, parameters) == shown


@pytest.mark.parametrize(
    ("event", "kind"),
    [
        ({"requestContext": {"http": {"method": "GET"}}}, None),
        ({"Records": [{"eventSource": "aws:dynamodb"}] * 2}, "stream (2 records)"),
        ({"Records": [{"eventSource": "aws:sqs"}]}, "queue (1 record)"),
        ({"detail-type": "Scheduled Event"}, "schedule"),
        ({"detail-type": "CaseOpened"}, "event CaseOpened"),
        ({}, "invoke"),
    ],
)
def test_a_call_is_named_by_what_started_it(event: dict[str, Any], kind: str | None) -> None:
    assert trigger(event) == kind


def test_a_call_outcome_names_failures() -> None:
    assert outcome({"batchItemFailures": []}, None) == "ok"
    assert outcome({"batchItemFailures": [{"itemIdentifier": "1"}]}, None) == "1 failed"
    assert outcome(None, ValueError("x")) == "failed (ValueError)"
