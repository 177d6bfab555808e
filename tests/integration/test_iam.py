"""The functions act with their roles from template.yaml: a statement taken out of a copy of the template
denies exactly that call, the way AWS would on the first real deploy."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pynamodb.exceptions import PynamoDBException

from local import iam
from local import template as sam
from local.iam_requests import Request
from tests.support import (
    REGION,
    ROOT,
    Context,
    Stack,
    StackNames,
    event,
    function_role,
    load_function,
    load_module,
)

DUE_INDEX_QUERY = """            - Effect: Allow
              Action: [dynamodb:Query]
              Resource: !Sub ${Table.Arn}/index/due
"""


def without(text: str, resource: str, statement: str) -> str:
    """The template text with `statement` taken out of the resource `resource`."""
    start = text.index(statement, text.index(f"\n  {resource}:\n"))
    return text[:start] + text[start + len(statement) :]


def test_a_statement_missing_from_the_template_denies_that_call(
    stack: Stack, tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(iam.SEEN_FILE_VARIABLE, raising=False)  # a denial on purpose: not for make iam-report
    # GIVEN a copy of template.yaml whose SweepFunction may no longer query the due index
    copy = tmp_path / "template.yaml"
    copy.write_text(without((ROOT / "template.yaml").read_text("utf-8"), "SweepFunction", DUE_INDEX_QUERY))
    template = sam.load(copy, REGION)
    role = iam.roles(template, StackNames.from_environment(template))["SweepFunction"]
    with iam.acting_as(role):
        sweep = load_module(ROOT / "functions" / "sweep" / "app.py", "fn_sweep_without_query")
    # WHEN the sweep runs with that role
    with iam.acting_as(role), pytest.raises(PynamoDBException) as denied, caplog.at_level(logging.ERROR):
        sweep.lambda_handler(event("sweep_schedule.json"), Context())
    # THEN the query is refused as AWS refuses it, and the log names the function, action and resource
    index = f"table/{stack.table}/index/due"
    assert denied.value.cause_response_code == "AccessDeniedException"  # pynamodb wraps the ClientError
    assert f"dynamodb:Query on resource: arn:aws:dynamodb:{REGION}:123456789012:{index}" in str(denied.value)
    assert "SweepFunction may not dynamodb:Query on" in caplog.text and index in caplog.text


def test_with_the_template_as_it_is_the_same_sweep_runs(stack: Stack) -> None:
    assert "dynamodb:query" in "".join(function_role("sweep").documents)
    answer = load_function("sweep").lambda_handler(event("sweep_schedule.json"), Context())
    assert answer["items_read"] == 0


def test_every_function_has_a_role_the_runtime_can_evaluate(stack: Stack) -> None:
    functions = sorted(path.parent.name for path in (ROOT / "functions").glob("*/app.py"))
    roles = {name: function_role(name) for name in functions}
    assert all(role.documents for role in roles.values())
    # the SMS permission never reaches a topic
    cases = roles["cases"]
    assert cases.decide(Request("sns:Publish", "*")) == "allowed"
    assert cases.decide(Request("sns:Publish", f"arn:aws:sns:{REGION}:123456789012:any")) == "explicit"
