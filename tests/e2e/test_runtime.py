"""The embedded runtime from outside: its start line, clock, outbox, persistence, HTTP and triggers."""

from __future__ import annotations

import base64
import itertools
import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
import requests
import yaml
from samtranslator.yaml_helper import yaml_parse

from recovery.sources import config, signatures

if TYPE_CHECKING:
    from tests.e2e.conftest import RuntimeLauncher, RuntimeProcess

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"


# ---------------------------------------------------------------------------------------- helpers
def probe_template(directory: Path) -> Path:
    """template.yaml plus fixtures/probe.yaml, with code paths made absolute (it lives elsewhere)."""
    template = yaml_parse((REPO / "template.yaml").read_text(encoding="utf-8"))
    extra = yaml_parse((FIXTURES / "probe.yaml").read_text(encoding="utf-8"))
    template["Resources"].update(extra["Resources"])
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(key), str):
                properties[key] = str(REPO / properties[key]) + "/"
    path = directory / "template.yaml"
    path.write_text(yaml.safe_dump(template, sort_keys=False), encoding="utf-8")
    return path


def wait_for(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.05)


def calls(runtime: RuntimeProcess, source: str) -> list[dict[str, Any]]:
    response = requests.get(runtime.url("/probe/calls"), timeout=10)
    response.raise_for_status()
    return [call for call in response.json() if call["source"] == source]


def moto_client(runtime: RuntimeProcess, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=runtime.moto_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="module")
def probe(
    runtime_launcher: RuntimeLauncher, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RuntimeProcess]:
    """A runtime serving template.yaml plus the probe function."""
    template = probe_template(tmp_path_factory.mktemp("probe-template"))
    running = runtime_launcher.start(template=template)
    yield running
    runtime_launcher.stop(running)


# ---------------------------------------------------------------------------------------- start line
def configured_entry(source_id: str) -> dict[str, Any]:
    entries = yaml.safe_load((REPO / "config" / "sources.yaml").read_text()) or []
    return next(entry for entry in entries if entry["id"] == source_id)


def rotation_form(entry: dict[str, Any]) -> str:
    """`whsec` when a rotation of this source gives a Standard Webhooks secret, `text` otherwise."""
    spec = config.parse_source(entry)
    if not spec.has_hook:
        return "whsec"  # no hook: the runtime's default form
    return "whsec" if signatures.new_secret(config.resolve(spec).signature).startswith("whsec_") else "text"


def test_start_line_gives_every_field_and_is_written_to_local_runtime_json(runtime: RuntimeProcess) -> None:
    # GIVEN a runtime started on free ports WHEN its start line is read
    info = runtime.info
    # THEN it names the API, console and moto, with keys for every configured source
    assert info["api_url"].startswith("http://127.0.0.1:")
    assert info["console_url"] == info["api_url"] + "/console/"
    assert info["moto_url"].startswith("http://127.0.0.1:") and info["moto_url"] != info["api_url"]
    assert info["admin_key"].startswith("rla_")
    assert info["console_login"]["username"] == "kari@example.com" and info["console_login"]["password"]
    configured = [item["id"] for item in yaml.safe_load((REPO / "config" / "sources.yaml").read_text()) or []]
    assert [source["id"] for source in info["sources"]] == configured
    for source in info["sources"]:
        assert source["key"].startswith(f"rlk_{source['id']}_")
        assert source["hook_url"] == f"{info['api_url']}/v1/hooks/{source['id']}"
        # a webhook secret in the form its scheme takes, as `sources add` and `sources rotate` give it
        scheme = rotation_form(configured_entry(source["id"]))
        if scheme == "whsec":
            assert len(base64.b64decode(source["secret"].removeprefix("whsec_"))) == 32
        else:
            assert not source["secret"].startswith("whsec_") and len(source["secret"]) >= 32
    # AND the same JSON is in .local/runtime.json under its working directory
    assert json.loads((runtime.cwd / ".local" / "runtime.json").read_text()) == info


def test_unknown_route_answers_404_like_api_gateway(runtime: RuntimeProcess) -> None:
    response = requests.get(runtime.url("/no/such/route"), timeout=10)
    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}


def test_template_routes_reach_their_function(runtime: RuntimeProcess) -> None:
    response = requests.get(runtime.url("/v1/health"), timeout=10)
    assert response.status_code == 200
    assert response.headers["apigw-requestid"]


def test_moto_server_shares_the_in_process_state(runtime: RuntimeProcess) -> None:
    # The AWS CLI's view (the moto server) sees the table and bus the runtime created in-process.
    tables = moto_client(runtime, "dynamodb").list_tables()["TableNames"]
    assert any(name.endswith("-Table") for name in tables)
    buses = [bus["Name"] for bus in moto_client(runtime, "events").list_event_buses()["EventBuses"]]
    assert "recovery-loop-dev" in buses


# ---------------------------------------------------------------------------------------- clock
def test_clock_reads_advances_and_sets(runtime: RuntimeProcess) -> None:
    before = requests.get(runtime.url("/_local/clock"), timeout=10).json()["now"]
    assert before.endswith("Z")
    advanced = requests.post(runtime.url("/_local/clock"), json={"advance_seconds": 3600}, timeout=30)
    assert advanced.status_code == 200
    body = advanced.json()
    assert body["now"] >= _plus(before, 3600) and isinstance(body["fired"], list)
    target = _plus(body["now"], 3 * 3600)  # every one-minute sweep in between runs: keep it short
    moved = requests.post(runtime.url("/_local/clock"), json={"set": target}, timeout=60)
    assert moved.status_code == 200
    assert moved.json()["now"][:19] == target[:19]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b"{}",
        b'{"advance_seconds": -5}',
        b'{"advance_seconds": true}',
        b'{"advance_seconds": "10"}',
        b'{"set": "yesterday"}',
        b'{"set": "2001-01-01T00:00:00Z"}',
        b'{"set": "2999-01-01T00:00:00"}',
        b'{"advance_seconds": 1, "set": "2999-01-01T00:00:00Z"}',
        b'{"advance_seconds": 1, "extra": 1}',
        b'{"advance_seconds": 1, "catch_up": "some"}',
    ],
)
def test_clock_rejects_bad_bodies_with_a_problem(runtime: RuntimeProcess, body: bytes) -> None:
    response = requests.post(runtime.url("/_local/clock"), data=body, timeout=10)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 400


def _plus(iso_time: str, seconds: int) -> str:
    from datetime import datetime, timedelta

    moment = datetime.fromisoformat(iso_time.replace("Z", "+00:00")) + timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# ---------------------------------------------------------------------------------------- state
def test_state_survives_a_restart_with_the_same_keys(
    start_runtime: Callable[..., RuntimeProcess], tmp_path: Path
) -> None:
    # GIVEN a runtime with --state, an item written through the moto server and a moved clock
    state = tmp_path / "state"
    first = start_runtime("--state", str(state))
    table = next(
        name for name in moto_client(first, "dynamodb").list_tables()["TableNames"] if name.endswith("-Table")
    )
    item = {"pk": {"S": "TEST#restart"}, "sk": {"S": "TEST"}, "note": {"S": "kept"}}
    moto_client(first, "dynamodb").put_item(TableName=table, Item=item)
    # A week of one-minute sweeps is 10,080 runs: only the last of each schedule matters here.
    moved = requests.post(
        first.url("/_local/clock"), json={"advance_seconds": 7 * 86400, "catch_up": "last"}, timeout=60
    ).json()
    # WHEN it stops and starts again from the same state
    assert first.stop() == 0
    second = start_runtime("--state", str(state))
    # THEN the item, the keys and the clock are still there, and nothing was created twice
    got = moto_client(second, "dynamodb").get_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]})
    assert got["Item"]["note"] == {"S": "kept"}
    assert second["sources"] == [
        {**source, "hook_url": source["hook_url"].replace(first.api_url, second.api_url)}
        for source in first["sources"]
    ]
    assert second["admin_key"] == first["admin_key"]
    assert second["console_login"] == first["console_login"]
    assert requests.get(second.url("/_local/clock"), timeout=10).json()["now"] >= moved["now"]
    assert moto_client(second, "dynamodb").list_tables()["TableNames"].count(table) == 1
    queues = moto_client(second, "sqs").list_queues().get("QueueUrls", [])
    assert len(queues) == len(set(queues))
    secrets = moto_client(second, "secretsmanager").list_secrets()["SecretList"]
    assert len(secrets) == len({secret["Name"] for secret in secrets})


# ---------------------------------------------------------------------------------------- probe: HTTP
def test_a_route_added_to_the_template_answers(probe: RuntimeProcess) -> None:
    response = requests.post(
        probe.url("/probe/echo?a=1&a=2&b=x%20y"),
        json={"hello": "wörld"},
        headers={"X-Trace": "one", "Cookie": "c1=1; c2=2"},
        timeout=10,
    )
    assert response.status_code == 200
    echoed = response.json()
    assert echoed["routeKey"] == "ANY /probe/{proxy+}"
    assert echoed["pathParameters"] == {"proxy": "echo"}
    assert echoed["queryStringParameters"] == {"a": "1,2", "b": "x y"}
    assert echoed["rawQueryString"] == "a=1&a=2&b=x%20y"
    assert echoed["headers"]["x-trace"] == "one" and "cookie" not in echoed["headers"]
    assert echoed["cookies"] == ["c1=1", "c2=2"]
    assert echoed["isBase64Encoded"] is False and json.loads(echoed["body"]) == {"hello": "wörld"}
    assert echoed["function_name"].endswith("ProbeFunction")
    assert echoed["env_probe_queue"].endswith("ProbeQueue")


def test_non_text_bodies_arrive_base64_encoded(probe: RuntimeProcess) -> None:
    form = requests.post(probe.url("/probe/echo"), data={"score": "3"}, timeout=10).json()
    assert form["isBase64Encoded"] is True and base64.b64decode(form["body"]) == b"score=3"
    raw = requests.post(probe.url("/probe/echo"), data=b"\xff\x00", timeout=10).json()
    assert raw["isBase64Encoded"] is True and base64.b64decode(raw["body"]) == b"\xff\x00"


def test_base64_responses_are_decoded(probe: RuntimeProcess) -> None:
    response = requests.get(probe.url("/probe/binary"), timeout=10)
    assert response.content == b"\x89PNG\x00\x01" and response.headers["content-type"] == "image/png"


def test_a_crashing_handler_gives_500_and_the_runtime_lives_on(probe: RuntimeProcess) -> None:
    response = requests.get(probe.url("/probe/crash"), timeout=10)
    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}
    assert requests.get(probe.url("/v1/health"), timeout=10).status_code == 200
    assert "the probe crashed on purpose" in probe.logs()


def test_payloads_over_10_mb_are_refused(probe: RuntimeProcess) -> None:
    response = requests.post(probe.url("/probe/echo"), data=b"x" * (10 * 1024 * 1024 + 1), timeout=30)
    assert response.status_code == 413


def test_one_handler_runs_at_a_time(probe: RuntimeProcess) -> None:
    # GIVEN eight requests at once to a route that records when it enters and leaves
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: requests.get(probe.url("/probe/slow"), timeout=30), range(8)))
    # THEN all succeed and no two calls overlapped
    assert [response.status_code for response in responses] == [200] * 8
    spans = sorted((call["enter"], call["exit"]) for call in calls(probe, "slow"))
    assert len(spans) >= 8
    assert all(earlier[1] <= later[0] for earlier, later in itertools.pairwise(spans))


# ---------------------------------------------------------------------------------------- probe: triggers
def test_a_schedule_fires_by_the_virtual_clock(probe: RuntimeProcess) -> None:
    # GIVEN rate(5 minutes) WHEN the clock moves 5 minutes THEN it fires exactly once
    before = len(calls(probe, "schedule"))
    fired = requests.post(probe.url("/_local/clock"), json={"advance_seconds": 300}, timeout=60).json()[
        "fired"
    ]
    assert [entry["rule"] for entry in fired].count("ProbeFunctionEvery5Minutes") == 1
    assert len(calls(probe, "schedule")) == before + 1
    # WHEN it moves 10 minutes THEN twice, in order, each with its own scheduled time
    fired = requests.post(probe.url("/_local/clock"), json={"advance_seconds": 600}, timeout=60).json()[
        "fired"
    ]
    probe_firings = [entry for entry in fired if entry["rule"] == "ProbeFunctionEvery5Minutes"]
    assert len(probe_firings) == 2 and probe_firings[0]["time"] < probe_firings[1]["time"]
    recorded = calls(probe, "schedule")[-2:]
    assert [call["time"] for call in recorded] == [entry["time"] for entry in probe_firings]
    assert recorded[0]["resources"][0].endswith("ProbeFunctionEvery5Minutes")
    # WHEN a day passes with catch_up "last" THEN each schedule fires once, at its last due time
    body = {"advance_seconds": 86400, "catch_up": "last"}
    fired = requests.post(probe.url("/_local/clock"), json=body, timeout=60).json()["fired"]
    probe_firings = [entry for entry in fired if entry["rule"] == "ProbeFunctionEvery5Minutes"]
    assert len(probe_firings) == 1
    assert calls(probe, "schedule")[-1]["time"] == probe_firings[0]["time"]


def test_an_event_put_on_the_bus_reaches_the_rule_target(probe: RuntimeProcess) -> None:
    requests.post(probe.url("/probe/put-event"), data="ping-1", timeout=10).raise_for_status()
    received = wait_for(lambda: [c for c in calls(probe, "eventbridge") if c["detail"] == {"ping": "ping-1"}])
    assert received, probe.logs()[-3000:]
    assert received[0]["time"].endswith("Z")


def test_a_call_the_functions_role_does_not_allow_is_refused_as_on_aws(probe: RuntimeProcess) -> None:
    # GIVEN the probe's role allows no Secrets Manager call  WHEN it reads a secret
    response = requests.post(probe.url("/probe/read-secret"), timeout=10)
    # THEN AWS's refusal, and the runtime's log names the function, the action and the resource
    assert response.status_code == 403, response.text
    error = response.json()
    assert error["Code"] == "AccessDeniedException"
    assert (
        "is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:"
        in error["Message"]
    )
    assert (
        "IAM: ProbeFunction may not secretsmanager:GetSecretValue on arn:aws:secretsmanager:" in probe.logs()
    )


def test_a_queue_message_reaches_the_queue_triggered_function(probe: RuntimeProcess) -> None:
    requests.post(probe.url("/probe/send-message"), data="queued-1", timeout=10).raise_for_status()
    assert wait_for(lambda: [c for c in calls(probe, "sqs") if c["body"] == "queued-1"]), probe.logs()[-3000:]


def test_a_table_write_reaches_the_stream_triggered_function_within_a_second(probe: RuntimeProcess) -> None:
    started = time.monotonic()
    requests.post(probe.url("/probe/put-item"), data="stream-1", timeout=10).raise_for_status()
    received = wait_for(
        lambda: [c for c in calls(probe, "stream") if c["keys"]["pk"] == {"S": "PROBE#stream-1"}]
    )
    assert received, probe.logs()[-3000:]
    assert time.monotonic() - started < 1.0
    assert received[0]["event"] == "INSERT"
    # AND the record is stamped with the virtual clock (moved forward by other tests), not real time
    now = requests.get(probe.url("/_local/clock"), timeout=10).json()["now"]
    virtual = datetime.fromisoformat(now.replace("Z", "+00:00")).timestamp()
    assert abs(received[0]["created"] - virtual) < 60


# ---------------------------------------------------------------------------------------- probe: outbox
def test_mail_and_sms_land_in_the_outbox(probe: RuntimeProcess) -> None:
    # GIVEN an empty outbox WHEN a function sends an email through SES and an SMS through SNS
    assert requests.delete(probe.url("/_local/outbox"), timeout=10).status_code == 204
    requests.post(probe.url("/probe/send-mail"), timeout=10).raise_for_status()
    # THEN both are in the outbox, oldest first, with their tags and links
    email, sms = requests.get(probe.url("/_local/outbox.json"), timeout=10).json()
    assert email["channel"] == "email" and email["to"] == "lead@example.com"
    assert email["subject"] == "Case <b>C-1</b> needs you"
    assert (email["kind"], email["case_id"]) == ("alert", "C-1")
    assert email["links"] == ["https://example.com/a/abc123", "https://example.com/a/abc123?x=1&y=2"]
    assert sms["channel"] == "sms" and sms["to"] == "+4791234567"
    assert (sms["kind"], sms["case_id"], sms["subject"]) == ("alert", "C-1", None)
    assert sms["links"] == ["https://example.com/a/abc123"]
    assert email["sent_at"].endswith("Z") and email["id"] != sms["id"]
    # AND the page shows them escaped
    page = requests.get(probe.url("/_local/outbox"), timeout=10)
    assert "text/html" in page.headers["content-type"]
    assert "Case &lt;b&gt;C-1&lt;/b&gt; needs you" in page.text and "<b>C-1</b>" not in page.text
    # WHEN the outbox is cleared THEN it is empty
    requests.delete(probe.url("/_local/outbox"), timeout=10)
    assert requests.get(probe.url("/_local/outbox.json"), timeout=10).json() == []


# ---------------------------------------------------------------------------------------- probe: failures
def dead_letters(runtime: RuntimeProcess) -> list[dict[str, Any]]:
    sqs = moto_client(runtime, "sqs")
    url = next(url for url in sqs.list_queues()["QueueUrls"] if url.endswith("-ProbeDLQ"))
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(message["Body"]) for message in messages]


def test_a_failing_stream_batch_is_retried_then_dead_lettered(probe: RuntimeProcess) -> None:
    # GIVEN MaximumRetryAttempts 2 WHEN the function fails on a record
    requests.post(probe.url("/probe/put-item"), data="fail-1", timeout=10).raise_for_status()
    # THEN the same batch is tried three times, then a pointer to it goes to the OnFailure queue
    records = wait_for(lambda: [r for r in dead_letters(probe) if "DDBStreamBatchInfo" in r], timeout=10)
    assert records, probe.logs()[-3000:]
    assert records[0]["requestContext"]["approximateInvokeCount"] == 3
    assert records[0]["DDBStreamBatchInfo"]["batchSize"] == 1
    attempts = [c for c in calls(probe, "stream") if c["keys"]["pk"] == {"S": "PROBE#fail-1"}]
    assert len(attempts) == 3
    # AND the shard moves on: a later record still arrives
    requests.post(probe.url("/probe/put-item"), data="after-fail", timeout=10).raise_for_status()
    after = {"S": "PROBE#after-fail"}
    assert wait_for(lambda: [c for c in calls(probe, "stream") if c["keys"]["pk"] == after])


def test_a_failing_event_target_is_retried_then_dead_lettered(probe: RuntimeProcess) -> None:
    # GIVEN EventInvokeConfig MaximumRetryAttempts 1 WHEN the target function fails
    requests.post(probe.url("/probe/put-event"), data="fail", timeout=10).raise_for_status()
    # THEN it ran twice, and the failure record carries the event
    records = wait_for(lambda: [r for r in dead_letters(probe) if "requestPayload" in r], timeout=10)
    assert records, probe.logs()[-3000:]
    assert records[0]["requestContext"]["condition"] == "RetriesExhausted"
    assert records[0]["requestContext"]["approximateInvokeCount"] == 2
    assert records[0]["requestPayload"]["detail"] == {"ping": "fail"}
    assert len([c for c in calls(probe, "eventbridge") if c["detail"] == {"ping": "fail"}]) == 2
