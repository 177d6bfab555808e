"""The README's walkthrough, run as written: when the README drifts from the product, this fails.

Conventions (README.md):
- The walkthrough is every section from `## Two commands` up to the next `## ` heading after it
  (the `###` sections: post, alert and acknowledge, escalation, the case through the API, the
  follow-up, the reports). Every ```bash block there is run, in the order written.
- A block preceded by the line `<!-- not run -->` (an HTML comment, invisible on GitHub) is skipped:
  it starts the runtime itself (`make run`) or is not meant to be run here.
- The blocks use `http://127.0.0.1:3000` (the API) and `http://127.0.0.1:5000` (moto), the ports of a
  plain `make run`; the test starts a runtime of its own on free ports and rewrites those two origins to
  the runtime's. The working directory is a temporary one whose `.local/runtime.json` is that runtime's
  start line, as `make run` writes it.
- Between two blocks the script lets the runtime finish what the block started (the alert of a new
  case, say), as a reader takes a moment to read on: `POST /_local/clock {"advance_seconds": 0}`
  answers once the streams, the bus and the queues are idle.
- All blocks run in one `bash -e -o pipefail`, so a variable or function one block defines is there for
  the next, as in the reader's terminal; `curl` is wrapped with `--fail-with-body`, so an HTTP error
  answer fails its block. Each block must reach its end.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import RuntimeProcess, admin_cli

pytestmark = [pytest.mark.e2e]
REPO = Path(__file__).resolve().parents[2]
SKIP_MARKER = "<!-- not run -->"
DONE = "@@README block {} done@@"


def walkthrough_blocks(readme: str) -> list[str]:
    """The ```bash blocks of the walkthrough, in order, without those marked not to be run."""
    start = readme.index("\n## Two commands")
    following = readme.find("\n## ", start + 1)
    section = readme[start : following if following != -1 else len(readme)]
    blocks = []
    for found in re.finditer(r"(?P<before>[^\n]*)\n```bash\n(?P<body>.*?)\n```", section, re.S):
        if found["before"].strip() != SKIP_MARKER:
            blocks.append(found["body"])
    return blocks


def for_runtime(block: str, runtime: RuntimeProcess) -> str:
    return block.replace("http://127.0.0.1:3000", runtime["api_url"]).replace(
        "http://127.0.0.1:5000", runtime["moto_url"]
    )


# A reader takes a moment between two blocks; the script instead lets the runtime finish the work the
# block started (`advance_seconds: 0` moves no time, and answers once streams, bus and queues are idle).
SETTLE = """settle() {
  command curl -s -o /dev/null -X POST "$1/_local/clock" -d '{"advance_seconds": 0}'
}"""


def script(blocks: list[str], api_url: str) -> str:
    lines = ['curl() { command curl --fail-with-body "$@"; }', SETTLE]
    for number, block in enumerate(blocks, 1):
        lines += [block, f"echo '{DONE.format(number)}'", f"settle {api_url}"]
    return "\n".join(lines) + "\n"


def outputs(text: str, count: int) -> list[str]:
    """Each block's output (stdout and stderr, merged), split at the markers the script prints."""
    parts = []
    rest = text
    for number in range(1, count + 1):
        head, marker, rest = rest.partition(DONE.format(number))
        if not marker:
            break
        parts.append(head)
    return parts


def documents(text: str) -> list[Any]:
    """The JSON documents in a block's output, one after another (curl adds no newline after a body)."""
    decoder = json.JSONDecoder()
    found: list[Any] = []
    at = 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            return found
        document, at = decoder.raw_decode(text, at)
        found.append(document)


def at_time_of_day(runtime: RuntimeProcess, hour_minute: str) -> None:
    """Move the runtime's clock to the next `hour_minute` UTC (each schedule runs once on the way)."""
    now = datetime.fromisoformat(_call(runtime, "GET", "/_local/clock")["now"])
    hour, minute = (int(part) for part in hour_minute.split(":"))
    target = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if target <= now:
        target += timedelta(days=1)
    _call(runtime, "POST", "/_local/clock", {"set": target.isoformat(), "catch_up": "last"})


def _call(runtime: RuntimeProcess, method: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(runtime.url(path), data=data, method=method)
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read())


def outbox(runtime: RuntimeProcess) -> list[dict[str, Any]]:
    with urllib.request.urlopen(runtime.url("/_local/outbox.json"), timeout=10) as answer:
        messages: list[dict[str, Any]] = json.load(answer)
    return messages


def test_the_marker_skips_a_block_and_the_walkthrough_ends_at_the_next_section() -> None:
    readme = "\n".join(
        [
            "# x",
            "```bash",
            "echo before",
            "```",
            "## Two commands",
            SKIP_MARKER,
            "```bash",
            "make run",
            "```",
            "### A step",
            "```bash",
            "echo one",
            "```",
            "```json",
            "{}",
            "```",
            "## Elsewhere",
            "```bash",
            "echo after",
            "```",
        ]
    )
    assert walkthrough_blocks(readme) == ["echo one"]


@pytest.mark.parametrize("time_of_day", [None, "02:30", "19:45"], ids=["now", "night", "evening"])
def test_the_readme_walkthrough_runs_as_written(
    start_runtime: Callable[..., RuntimeProcess], tmp_path: Path, time_of_day: str | None
) -> None:
    blocks = walkthrough_blocks((REPO / "README.md").read_text(encoding="utf-8"))
    assert len(blocks) >= 8, "the walkthrough lost its command blocks"
    assert not any("make run" in block for block in blocks), "a block that starts the runtime must be marked"

    runtime = start_runtime()
    if time_of_day is not None:
        # The walkthrough must not depend on when it is read: start it at night, or late in the evening
        # (UTC), when contact hours and duty windows fall differently than in a working day.
        at_time_of_day(runtime, time_of_day)
    # The reader's repository root: everything the repository holds, and this runtime's start line.
    for entry in REPO.iterdir():
        if entry.name not in (".local", ".git"):
            (tmp_path / entry.name).symlink_to(entry)
    (tmp_path / ".local").mkdir()
    (tmp_path / ".local" / "runtime.json").write_text(json.dumps(runtime.info), encoding="utf-8")
    ran = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-s"],
        input=script([for_runtime(block, runtime) for block in blocks], runtime["api_url"]),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
        check=False,
    )
    said = outputs(ran.stdout, len(blocks))
    if len(said) < len(blocks):
        failed = len(said)
        pytest.fail(
            f"README block {failed + 1} failed (exit {ran.returncode}):\n{blocks[failed]}\n--- output ---\n"
            + ran.stdout.rsplit("@@", 1)[-1][-3000:]
        )
    assert ran.returncode == 0

    def block_with(text: str) -> str:
        return next(output for block, output in zip(blocks, said, strict=True) if text in block)

    # The first feedback: a 201 with a new case (a duplicate or an update would answer 200).
    [created] = documents(block_with('"external_id": "resp_123"'))
    assert created["status"] == "created" and created["verdict"] == "negative"
    first_case = created["case_id"]
    messages = outbox(runtime)
    alerts = [m for m in messages if m["kind"] == "alert" and m["case_id"] == first_case]
    assert {m["channel"] for m in alerts} == {"email", "sms", "slack"}  # Slack: Support EMEA's channel
    email = next(m for m in alerts if m["channel"] == "email")
    assert any(link.startswith(runtime["api_url"] + "/a/") for link in email["links"])

    # Acknowledged through the link: that case never escalates.
    assert block_with('"$LINK"').strip() == "200"
    assert not [m for m in messages if m["kind"] == "escalation" and m["case_id"] == first_case]

    # Acknowledged from Slack, as Kari: the press answers 200, and the case's Slack message is updated.
    assert block_with("slack press").strip().splitlines()[0] == "200"
    slack_acked = {m["case_id"] for m in messages if m["channel"] == "slack" and m["kind"] == "acknowledged"}

    # The second feedback, left alone: after the clock moves past the SLA, level 2 is alerted.
    second = json.loads(block_with('"external_id": "resp_124"').split("escalation", 1)[0])
    assert second["status"] == "created"
    # (Ada's by the link, Ben's in the console below, and Cleo's in Slack: each updates its Slack message)
    assert len(slack_acked - {first_case, second["case_id"]}) == 1, slack_acked
    escalations = [m for m in messages if m["kind"] == "escalation"]
    assert escalations and {m["case_id"] for m in escalations} == {second["case_id"]}
    assert second["case_id"] in block_with('"escalation"')

    # Worked through the API: listed as the one open case, acknowledged, resolved.
    listed, acked = documents(block_with("/ack "))
    assert [item["id"] for item in listed["items"]] == [second["case_id"]]
    assert acked["id"] == second["case_id"] and acked["status"] == "acknowledged"
    [resolved] = documents(block_with("/resolve "))
    assert resolved["id"] == second["case_id"] and resolved["status"] == "resolved"

    # The follow-up, after the clock moved to the case's follow-up time, whatever the time of day.
    followups = [m for m in messages if m["kind"] == "followup"]
    assert [m["case_id"] for m in followups] == [second["case_id"]]
    assert any("/f/" in link for link in followups[0]["links"])
    assert "followup ben@example.com" in block_with('"followup"')

    # Ben answers the follow-up: his words are on the case, which is acknowledged again, and Kari is told.
    delivered, reply = block_with("/_local/inbound").strip().splitlines()[-2:]
    assert delivered == "202" and reply.startswith("acknowledged ['Thanks, the refund"), reply
    notices = [m for m in outbox(runtime) if m["kind"] == "notice" and m["case_id"] == second["case_id"]]
    assert {m["channel"] for m in notices} >= {"email"}, notices
    assert any("the app still charges twice" in m["text"] for m in notices if m["channel"] == "email")


def test_every_file_a_readme_command_names_ships_with_the_repository() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    named = {
        word
        for arguments in re.findall(r'ARGS="([^"]*)"', readme)
        for word in arguments.split()
        if re.search(r"\.(ya?ml|json|csv)$", word) and "<" not in word
    }
    assert "examples/source.yaml" in named and "examples/typeform-payload.json" in named
    assert sorted(name for name in named if not (REPO / name).is_file()) == []


@pytest.mark.xdist_group("runtime")
def test_the_example_source_takes_the_example_payload(runtime: RuntimeProcess) -> None:
    # The README's two commands, as `make admin` runs them, from the repository.
    added = admin_cli(runtime, "sources", "add", str(REPO / "examples" / "source.yaml"))
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["hook_url"] == runtime.url("/v1/hooks/typeform-example")
    tried = admin_cli(
        runtime, "sources", "dry-run", "typeform-example", str(REPO / "examples" / "typeform-payload.json")
    )
    assert tried.returncode == 0, tried.stderr
    result = json.loads(tried.stdout)
    assert result["action"] == "accept" and result["verdict"] == "negative"
    assert result["feedback"]["score"] == {"type": "nps", "value": 2}
    # Typeform's own example delivery, unchanged.
    assert (REPO / "examples" / "typeform-payload.json").read_bytes() == (
        REPO / "tests/fixtures/vendor/typeform/form_response_official_example.json"
    ).read_bytes()


@pytest.mark.xdist_group("runtime")
def test_the_readme_aws_cli_command_needs_no_credentials_of_ones_own(
    runtime: RuntimeProcess, tmp_path: Path
) -> None:
    aws = shutil.which("aws")
    if aws is None:
        pytest.skip("no AWS CLI on this machine")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    [command] = [found for found in re.findall(r"`([^`]*\baws --endpoint-url[^`]*)`", readme)]
    # No credentials in the environment or in a profile: the command brings what it needs.
    environment = {"PATH": f"{Path(aws).parent}:/usr/bin:/bin", "HOME": str(tmp_path)}
    ran = subprocess.run(
        ["bash", "-c", for_runtime(command, runtime)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["Items"]
