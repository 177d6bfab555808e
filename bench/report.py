"""Results: the budget rows, the JSON files, the stdout table and the table in bench/README.md."""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench import ROOT

RESULTS = ROOT / "bench" / "results"
README = ROOT / "bench" / "README.md"
START = "<!-- bench:results:start -->"
END = "<!-- bench:results:end -->"


@dataclass(frozen=True)
class Budget:
    id: str
    budget: str
    figure: float
    unit: str  # "calls", "units", "$", "x", "s", "/s", "items", "count"
    limit: float | None  # None: reported, no limit
    how: str

    @property
    def passed(self) -> bool | None:
        return None if self.limit is None else self.figure <= self.limit

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "pass": self.passed}


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "$":
        return f"${value:.2f}"
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "/s":
        return f"{value:.1f}/s"
    return f"{value:g}"


def verdict(budget: Budget) -> str:
    if budget.passed is None:
        return "reported"
    if budget.passed:
        return "pass"
    if not budget.limit:
        return "FAIL"
    return f"FAIL ({(budget.figure / budget.limit - 1) * 100:.0f}% over)"


def table(budgets: list[Budget]) -> str:
    rows = [
        "| budget | figure | limit | result | how measured |",
        "|---|---|---|---|---|",
    ]
    for budget in budgets:
        limit = f"at most {fmt(budget.limit, budget.unit)}" if budget.limit is not None else "-"
        figure = fmt(budget.figure, budget.unit)
        rows.append(f"| {budget.budget} | {figure} | {limit} | {verdict(budget)} | {budget.how} |")
    return "\n".join(rows)


def console_table(budgets: list[Budget]) -> str:
    width = max(len(budget.budget) for budget in budgets)
    lines = [f"{'budget':<{width}}  {'figure':>9}  {'limit':>9}  result"]
    for budget in budgets:
        limit = fmt(budget.limit, budget.unit)
        lines.append(
            f"{budget.budget:<{width}}  {fmt(budget.figure, budget.unit):>9}  {limit:>9}  {verdict(budget)}"
        )
    return "\n".join(lines)


def write_json(document: dict[str, Any], stamp: str, latest: bool) -> Path:
    """bench/results/<stamp>.json, and latest.json for full runs; written whole, then renamed."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{stamp}.json"
    targets = [path] + ([RESULTS / "latest.json"] if latest else [])
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    for target in targets:
        temporary = target.with_suffix(".json.tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)
    return path


def replace_block(text: str, block: str) -> str:
    """Put `block` between the README's result markers."""
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"{README} has no {START} ... {END} block")
    return pattern.sub(lambda _: f"{START}\n{block.strip()}\n{END}", text, count=1)


def update_readme(block: str) -> None:
    README.write_text(replace_block(README.read_text(encoding="utf-8"), block), encoding="utf-8")
