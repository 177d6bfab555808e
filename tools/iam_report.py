"""Least privilege, measured: for each function, the actions its role grants and those it was seen to use.

`make iam-report` runs the integration and end-to-end suites with every authorisation recorded (local.iam
appends one JSON line per check to the file named by RECOVERY_IAM_SEEN), then this prints, per function:
- used: granted actions the suites exercised;
- unused: granted actions no test exercised (a candidate for removal, or a path no test reaches);
- denied: calls the role refused (a green suite has none).
Grants from AWS managed policies (logs, X-Ray, event sources: what Lambda itself does with the role) are
listed apart and not counted. `python -m tools.iam_report SEEN.jsonl [--template template.yaml]`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from local import iam
from local import template as sam
from local.refs import PlaceholderNames, pseudo_parameters

REGION = "us-east-1"


@dataclass
class Usage:
    granted: list[str] = field(default_factory=list)  # Allow actions of the template's own statements
    managed: list[str] = field(default_factory=list)  # Allow actions of AWS managed policies
    seen: set[str] = field(default_factory=set)
    denied: set[tuple[str, str]] = field(default_factory=set)

    def used(self) -> list[str]:
        return [grant for grant in self.granted if any(_matches(grant, action) for action in self.seen)]

    def unused(self) -> list[str]:
        return [grant for grant in self.granted if grant not in self.used()]

    def beyond(self) -> list[str]:
        """Actions seen that no statement of the template's own grants (allowed by a managed policy)."""
        return sorted(action for action in self.seen if not any(_matches(g, action) for g in self.granted))


def _matches(grant: str, action: str) -> bool:
    pattern = "".join(".*" if part == "*" else re.escape(part) for part in re.split(r"(\*)", grant.lower()))
    return re.fullmatch(pattern, action.lower()) is not None


def usage(template: sam.Template, seen_lines: Iterable[str]) -> dict[str, Usage]:
    """Per function of the template; what other functions were seen doing is left out."""
    names = PlaceholderNames(
        refs={**pseudo_parameters(REGION), **template.parameters}, conditions=template.conditions
    )
    found: dict[str, Usage] = {}
    for function, role in iam.roles(template, names).items():
        entry = found.setdefault(function, Usage())
        for statement in role.statements:
            if statement.effect != "Allow":
                continue
            target = entry.managed if statement.managed else entry.granted
            target += [action for action in statement.actions if action not in target]
    for line in seen_lines:
        if not line.strip():
            continue
        record = json.loads(line)
        seen = found.get(record["function"])
        if seen is None:
            continue  # a function of a test's own template (the runtime's probe), not of this one
        if record["decision"] == "allowed":
            seen.seen.add(record["action"])
        else:
            seen.denied.add((record["action"], record["resource"]))
    return found


def render(found: dict[str, Usage]) -> str:
    lines = []
    totals: defaultdict[str, int] = defaultdict(int)
    for function in sorted(found):
        entry = found[function]
        used, unused = entry.used(), entry.unused()
        totals["granted"] += len(entry.granted)
        totals["used"] += len(used)
        totals["unused"] += len(unused)
        totals["denied"] += len(entry.denied)
        lines.append(f"{function}: {len(entry.granted)} granted, {len(used)} used, {len(unused)} unused")
        lines.append(f"  used:    {', '.join(used) or '-'}")
        lines.append(f"  unused:  {', '.join(unused) or '-'}")
        if entry.beyond():
            lines.append(f"  by AWS managed policies: {', '.join(entry.beyond())}")
        for action, resource in sorted(entry.denied):
            lines.append(f"  DENIED:  {action} on {resource}")
    lines.append(
        f"all functions: {totals['granted']} granted, {totals['used']} used, {totals['unused']} unused, "
        f"{totals['denied']} denied"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.iam_report", description=__doc__.splitlines()[0])
    parser.add_argument("seen", type=Path, help="the JSON-lines file the suites wrote (RECOVERY_IAM_SEEN)")
    parser.add_argument("--template", type=Path, default=Path("template.yaml"))
    args = parser.parse_args(argv)
    if not args.seen.exists():
        print(f"{args.seen}: no such file; run `make iam-report` to record one", file=sys.stderr)
        return 2
    template = sam.load(args.template.resolve(), REGION)
    found = usage(template, args.seen.read_text(encoding="utf-8").splitlines())
    print(render(found))
    return 1 if any(entry.denied for entry in found.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
