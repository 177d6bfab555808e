"""The checkov gate (tools/checkov_gate.py): checkov's findings held to the committed baseline."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tools.checkov_gate import (
    BASELINE,
    Finding,
    GateError,
    compare,
    explain,
    findings,
    main,
    parse_baseline,
)

BASELINE_TEXT = """
CKV_AWS_117:  # inside a VPC
  AWS::Lambda::Function.IngestFunction: &no-vpc no private resources to reach
  AWS::Lambda::Function.AlertFunction: *no-vpc
CKV_AWS_27:
  AWS::SQS::Queue.AlertDLQ: SSE-SQS, which checkov does not count
"""


def report(*failed: tuple[str, str], skipped: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
    """checkov's JSON report (one framework) with these failed and skipped (check id, resource) pairs."""

    def checks(pairs: tuple[tuple[str, str], ...]) -> list[dict[str, Any]]:
        return [{"check_id": c, "resource": r, "check_name": f"title of {c}"} for c, r in pairs]

    return {
        "check_type": "cloudformation",
        "results": {"failed_checks": checks(failed), "skipped_checks": checks(skipped)},
        "summary": {"passed": 3, "failed": len(failed), "parsing_errors": 0, "resource_count": 5},
    }


ACCEPTED = (
    ("CKV_AWS_117", "AWS::Lambda::Function.IngestFunction"),
    ("CKV_AWS_117", "AWS::Lambda::Function.AlertFunction"),
    ("CKV_AWS_27", "AWS::SQS::Queue.AlertDLQ"),
)


def test_findings_all_in_the_baseline_pass() -> None:
    # GIVEN a baseline (anchors for shared reasons) and a scan that finds exactly what it accepts
    baseline = parse_baseline(BASELINE_TEXT)
    assert baseline[ACCEPTED[1]] == "no private resources to reach"
    # WHEN they are compared
    comparison = compare(findings(report(*ACCEPTED)), baseline)
    # THEN the gate passes and says how many it accepted
    assert comparison.passed
    assert (comparison.new, comparison.stale) == ((), ())
    assert explain(comparison, "baseline.yaml") == ["checkov: 3 findings, each accepted in baseline.yaml"]


def test_a_new_finding_fails() -> None:
    # GIVEN a scan with one finding the baseline does not list
    new = ("CKV_AWS_116", "AWS::Lambda::Function.AlertFunction")
    comparison = compare(findings(report(*ACCEPTED, new)), parse_baseline(BASELINE_TEXT))
    # THEN the gate fails, naming it with checkov's title
    assert not comparison.passed
    assert comparison.new == (Finding(*new, title="title of CKV_AWS_116"),)
    lines = explain(comparison, "baseline.yaml")
    assert lines[0].startswith("checkov: 1 new finding(s)")
    assert lines[1] == "  CKV_AWS_116 AWS::Lambda::Function.AlertFunction  (title of CKV_AWS_116)"


def test_a_check_skipped_in_the_template_still_counts() -> None:
    # GIVEN a finding suppressed by checkov's own Metadata skip instead of the baseline
    skipped = ("CKV_AWS_158", "AWS::Logs::LogGroup.IngestLogGroup")
    comparison = compare(findings(report(*ACCEPTED, skipped=(skipped,))), parse_baseline(BASELINE_TEXT))
    # THEN it is a new finding all the same: the baseline is the one place to accept one
    assert [f.key for f in comparison.new] == [skipped]


def test_a_baseline_entry_that_no_longer_occurs_fails() -> None:
    # GIVEN the template was fixed, so checkov no longer reports the queue
    comparison = compare(findings(report(*ACCEPTED[:2])), parse_baseline(BASELINE_TEXT))
    # THEN the gate fails until the stale entry is deleted
    assert not comparison.passed
    assert comparison.stale == (("CKV_AWS_27", "AWS::SQS::Queue.AlertDLQ"),)
    assert explain(comparison, "baseline.yaml")[1:] == ["  CKV_AWS_27 AWS::SQS::Queue.AlertDLQ"]


@pytest.mark.parametrize(
    "text",
    [
        "CKV_AWS_27:\n  AWS::SQS::Queue.AlertDLQ:\n",  # no reason
        "CKV_AWS_27:\n  AWS::SQS::Queue.AlertDLQ: |\n    two\n    lines\n",
        "CKV_AWS_27: [AWS::SQS::Queue.AlertDLQ]\n",  # resources without reasons
        "- CKV_AWS_27\n",
    ],
)
def test_a_baseline_entry_without_a_one_line_reason_is_refused(text: str) -> None:
    with pytest.raises(GateError):
        parse_baseline(text)


def test_a_scan_that_saw_nothing_or_could_not_parse_is_refused() -> None:
    # GIVEN checkov reports no resources, or a parsing error THEN there is nothing to trust
    empty = report()
    empty["summary"]["resource_count"] = 0
    broken = report()
    broken["summary"]["parsing_errors"] = 1
    for bad in (empty, broken, [], "Traceback"):
        with pytest.raises(GateError):
            findings(bad)


def test_the_committed_baseline_parses_and_gives_every_entry_a_reason() -> None:
    baseline = parse_baseline(BASELINE.read_text(encoding="utf-8"))
    assert baseline
    assert all(check.startswith("CKV_") and "." in resource for check, resource in baseline)


FAKE_CHECKOV = """
import json, os, sys
from pathlib import Path
Path(os.environ["FAKE_CHECKOV_LOG"]).write_text(json.dumps({"argv": sys.argv[1:], "env": dict(os.environ),
    "cwd": os.getcwd(), "template": json.loads(Path(sys.argv[sys.argv.index("-f") + 1]).read_text())}))
print(json.dumps(json.loads(os.environ["FAKE_CHECKOV_REPORT"])))
"""


def test_main_expands_the_template_and_runs_checkov_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a SAM template, a baseline, a developer's checkov settings and API key in the environment,
    # and a stand-in for checkov that records how it was run
    template = tmp_path / "template.yaml"
    template.write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  AlertFunction:\n"
        "    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: functions/alert/\n      Handler: app.handler\n      Runtime: python3.12\n"
    )
    baseline = tmp_path / "baseline.yaml"
    baseline.write_text(BASELINE_TEXT)
    checkov = tmp_path / "checkov"
    checkov.write_text(f"#!{sys.executable}\n{FAKE_CHECKOV}")
    checkov.chmod(0o755)
    log = tmp_path / "log.json"
    monkeypatch.setenv("FAKE_CHECKOV_LOG", str(log))
    monkeypatch.setenv("FAKE_CHECKOV_REPORT", json.dumps(report(*ACCEPTED)))
    monkeypatch.setenv("BC_API_KEY", "a-key-that-must-not-reach-checkov")
    monkeypatch.setenv("CKV_FRAMEWORK", "terraform")
    expanded = tmp_path / "out" / "template.json"
    # WHEN the gate runs
    arguments = ["--checkov", str(checkov), "--template", str(template), "--baseline", str(baseline)]
    code = main([*arguments, "--expanded", str(expanded), "--region", "eu-west-1"])
    # THEN it passes on the accepted findings
    assert code == 0, capsys.readouterr()
    assert "3 findings, each accepted" in capsys.readouterr().out
    # AND checkov scanned the SAM-expanded template as CloudFormation, quietly and offline
    run = json.loads(log.read_text())
    assert run["template"]["Resources"]["AlertFunction"]["Type"] == "AWS::Lambda::Function"
    assert "AlertFunctionRole" in run["template"]["Resources"]
    assert run["argv"][:2] == ["-f", "template.json"] and Path(run["cwd"]) == expanded.parent
    assert {"--framework", "cloudformation", "-o", "json", "--skip-download"} <= set(run["argv"])
    assert run["env"]["CKV_SKIP_PACKAGE_UPDATE_CHECK"] == "true"
    assert "BC_API_KEY" not in run["env"] and "CKV_FRAMEWORK" not in run["env"]
    assert Path(run["env"]["HOME"]) == expanded.parent  # no ~/.checkov.yaml of the developer's


def test_main_fails_when_checkov_reports_something_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    template = tmp_path / "template.yaml"
    template.write_text("Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n")
    baseline = tmp_path / "baseline.yaml"
    baseline.write_text(BASELINE_TEXT)
    checkov = tmp_path / "checkov"
    checkov.write_text(f"#!{sys.executable}\n{FAKE_CHECKOV}")
    checkov.chmod(0o755)
    monkeypatch.setenv("FAKE_CHECKOV_LOG", str(tmp_path / "log.json"))
    new = ("CKV_AWS_27", "AWS::SQS::Queue.Queue")
    monkeypatch.setenv("FAKE_CHECKOV_REPORT", json.dumps(report(*ACCEPTED, new)))
    arguments = ["--checkov", str(checkov), "--template", str(template), "--baseline", str(baseline)]
    assert main([*arguments, "--expanded", str(tmp_path / "out.json")]) == 1
    assert "CKV_AWS_27 AWS::SQS::Queue.Queue" in capsys.readouterr().err
