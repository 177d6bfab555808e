"""checkov, a second and independent scanner, on the template as CloudFormation deploys it, held to a
baseline of accepted findings. `make validate` runs it after the repository's own cfn-lint rules:

    .venv-sam/bin/python -m tools.checkov_gate --checkov .venv-checkov/bin/checkov

1. aws-sam-translator expands template.yaml (as the guardrails and the embedded runtime do) and the
   result goes to .local/checkov/template.json (git-ignored);
2. checkov scans that file (`--framework cloudformation -o json`) offline and quietly: no API key, so
   nothing is uploaded; `--skip-download`, so no guidelines are fetched; CKV_SKIP_PACKAGE_UPDATE_CHECK,
   so no version check; and none of a developer's own checkov settings or config files apply;
3. its findings, keyed by check id and resource, are compared with lint_rules/checkov-baseline.yaml,
   where every accepted finding has a one-line reason. A finding that is not there fails the build, and
   so does an entry that no longer occurs: the baseline lists what is true today, nothing more. A check
   skipped in the template's Metadata (checkov's own mechanism) still counts as a finding, so the
   baseline stays the one place where findings are accepted.

It runs with the SAM CLI's virtualenv (aws-sam-translator, PyYAML); checkov has its own (.venv-checkov,
requirements/checkov.lock), as its pins clash with the SAM CLI's.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "lint_rules" / "checkov-baseline.yaml"
EXPANDED = ROOT / ".local" / "checkov" / "template.json"
# Settings a developer's environment may hold that would change what checkov does or where it reports.
_FOREIGN_SETTINGS = ("BC_", "CKV_", "CHECKOV_", "PRISMA_")


@dataclass(frozen=True, order=True)
class Finding:
    """One failed check on one resource, as checkov names them (`AWS::SQS::Queue.AlertDLQ`)."""

    check_id: str
    resource: str
    title: str = field(default="", compare=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.check_id, self.resource)


# (check id, resource) -> why the finding is accepted
Baseline = dict[tuple[str, str], str]


@dataclass(frozen=True)
class Comparison:
    new: tuple[Finding, ...]
    stale: tuple[tuple[str, str], ...]
    accepted: tuple[Finding, ...]

    @property
    def passed(self) -> bool:
        return not self.new and not self.stale


class GateError(Exception):
    """The scan could not be judged: a malformed baseline, or checkov did not scan the template."""


def parse_baseline(text: str) -> Baseline:
    """The baseline file: `check id: {resource: one-line reason}`."""
    document = yaml.safe_load(text) or {}
    if not isinstance(document, dict):
        raise GateError("the baseline is a mapping of check ids to {resource: reason}")
    baseline: Baseline = {}
    for check_id, resources in document.items():
        if not isinstance(resources, dict) or not resources:
            raise GateError(f"{check_id}: list each accepted resource with its reason")
        for resource, reason in resources.items():
            if not isinstance(reason, str) or not reason.strip() or "\n" in reason.strip():
                raise GateError(f"{check_id} {resource}: the reason must be one non-empty line")
            baseline[(str(check_id), str(resource))] = reason.strip()
    return baseline


def findings(report: Any) -> list[Finding]:
    """The failed (and Metadata-skipped) checks of checkov's JSON report, which is one object per
    framework, or a list of them."""
    reports = report if isinstance(report, list) else [report]
    found: set[Finding] = set()
    scanned = 0
    for part in reports:
        if not isinstance(part, dict):
            raise GateError(f"checkov's report is not what it should be: {str(part)[:200]}")
        summary = part.get("summary") or {}
        if summary.get("parsing_errors"):
            raise GateError(f"checkov could not parse the template: {summary}")
        scanned += int(summary.get("resource_count") or 0)
        results = part.get("results") or {}
        for kind in ("failed_checks", "skipped_checks"):
            for check in results.get(kind) or []:
                title = str(check.get("check_name") or "")
                found.add(Finding(str(check["check_id"]), str(check["resource"]), title))
    if not scanned:
        raise GateError("checkov scanned no resources, so its silence proves nothing")
    return sorted(found)


def compare(found: Iterable[Finding], baseline: Baseline) -> Comparison:
    found = sorted(set(found))
    keys = {finding.key for finding in found}
    return Comparison(
        new=tuple(finding for finding in found if finding.key not in baseline),
        stale=tuple(sorted(key for key in baseline if key not in keys)),
        accepted=tuple(finding for finding in found if finding.key in baseline),
    )


def explain(comparison: Comparison, baseline_name: str) -> list[str]:
    """What to tell the developer: each new finding and each stale entry, one line each."""
    lines = []
    if comparison.new:
        lines.append(
            f"checkov: {len(comparison.new)} new finding(s): fix the template, or accept each in "
            f"{baseline_name} with a one-line reason"
        )
        lines += [f"  {f.check_id} {f.resource}  ({f.title})" for f in comparison.new]
    if comparison.stale:
        lines.append(
            f"checkov: {len(comparison.stale)} baseline entr(ies) no longer found: delete them from "
            f"{baseline_name}"
        )
        lines += [f"  {check_id} {resource}" for check_id, resource in comparison.stale]
    if comparison.passed:
        lines.append(f"checkov: {len(comparison.accepted)} findings, each accepted in {baseline_name}")
    return lines


def expand(template: Path, region: str) -> dict[str, Any]:
    """The template as CloudFormation deploys it: aws-sam-translator, code locations as S3 URIs."""
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    logging.getLogger("samtranslator").setLevel(logging.ERROR)  # feature-toggle chatter
    raw = yaml_parse(template.read_text(encoding="utf-8"))
    source = copy.deepcopy(raw)
    sections = [r.get("Properties", {}) for r in source.get("Resources", {}).values() if isinstance(r, dict)]
    sections.append(source.get("Globals", {}).get("Function", {}))
    for properties in sections:
        for key in ("CodeUri", "ContentUri", "DefinitionUri"):
            value = properties.get(key) if isinstance(properties, dict) else None
            if isinstance(value, str) and not value.startswith("s3://"):
                properties[key] = f"s3://local/{value.strip('/') or 'code'}"
    previous = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = region  # the translator reads the region from here
    try:
        expanded: dict[str, Any] = transform(source, {}, _NoManagedPolicies())
    finally:
        if previous is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = previous
    return expanded


class _NoManagedPolicies:
    def load(self) -> dict[str, str]:
        return {}


def scan(checkov: Path, expanded: Path) -> Any:
    """checkov's JSON report on one CloudFormation file, with nothing sent anywhere."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(_FOREIGN_SETTINGS)}
    # checkov reads .checkov.yaml from the home and working directories: neither is the developer's.
    environment.update(CKV_SKIP_PACKAGE_UPDATE_CHECK="true", HOME=str(expanded.parent), LOG_LEVEL="ERROR")
    if not checkov.is_file():
        raise GateError(f"no checkov at {checkov} (`make validate` installs it in .venv-checkov)")
    command = [str(checkov.absolute()), "-f", expanded.name, "--framework", "cloudformation", "-o", "json"]
    command += ["--quiet", "--skip-download"]
    run = subprocess.run(  # noqa: S603 - our own checkov, with fixed arguments
        command, cwd=expanded.parent, env=environment, capture_output=True, text=True, timeout=600
    )
    try:
        return json.loads(run.stdout)
    except json.JSONDecodeError as error:
        raise GateError(f"checkov failed (exit {run.returncode}): {run.stderr.strip()[-2000:]}") from error


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--checkov", type=Path, required=True, help="the checkov executable")
    parser.add_argument("--template", type=Path, default=ROOT / "template.yaml")
    parser.add_argument("--baseline", type=Path, default=BASELINE)
    parser.add_argument("--expanded", type=Path, default=EXPANDED, help="where the expanded JSON goes")
    parser.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION") or "us-east-1")
    arguments = parser.parse_args(argv)
    try:
        baseline = parse_baseline(arguments.baseline.read_text(encoding="utf-8"))
        arguments.expanded.parent.mkdir(parents=True, exist_ok=True)
        expanded = expand(arguments.template, arguments.region)
        arguments.expanded.write_text(json.dumps(expanded, indent=1, default=str), encoding="utf-8")
        comparison = compare(findings(scan(arguments.checkov, arguments.expanded)), baseline)
    except GateError as error:
        print(f"checkov: {error}", file=sys.stderr)
        return 1
    name = os.path.relpath(arguments.baseline)
    print("\n".join(explain(comparison, name)), file=sys.stdout if comparison.passed else sys.stderr)
    return 0 if comparison.passed else 1


if __name__ == "__main__":
    sys.exit(main())
