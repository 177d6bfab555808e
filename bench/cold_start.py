"""Budget 6: cold start of the ingest module against a module that imports boto3 and makes one client.

Each sample is a fresh interpreter (bench/cold_child.py) with the environment a deployed function has
(template Globals, stand-in AWS values, Lambda's own variables). The clock covers import and module
setup only; interpreter start-up is the same for both and left out. Variants run interleaved, after one
untimed run each (so bytecode caches and the page cache are warm for all of them), and the figures are
medians of wall time. One more run under `-X importtime` lists where our import time goes.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from bench import LAYER, ROOT
from bench.lambda_env import function_env

CHILD = ROOT / "bench" / "cold_child.py"
INGEST = ROOT / "functions" / "ingest" / "app.py"
BASELINE = ROOT / "bench" / "baseline_cold.py"
PATHS = [str(ROOT / "functions" / "ingest"), str(LAYER)]
MARKER = "-- cold start begins --"


def _env(tracer: bool) -> dict[str, str]:
    return {**function_env("ingest", tracer=tracer), "PATH": os.environ.get("PATH", "")}


VARIANTS = {
    "baseline": (BASELINE, False),
    "ours_tracer_off": (INGEST, False),
    "ours_tracer_on": (INGEST, True),
}


def _once(name: str, *flags: str) -> subprocess.CompletedProcess[str]:
    module, tracer = VARIANTS[name]
    return subprocess.run(
        [sys.executable, "-P", *flags, str(CHILD), str(module), *PATHS],
        env=_env(tracer),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )


def parse_importtime(stderr: str, top: int = 10) -> dict[str, Any]:
    """Top import costs after the marker: by top-level package (self time summed, so each microsecond
    counts once) and by module imported directly during the cold start (cumulative)."""
    lines = stderr.split(MARKER, 1)[-1].splitlines()
    by_package: dict[str, int] = defaultdict(int)
    direct: list[tuple[int, str]] = []
    total = 0
    for line in lines:
        if not line.startswith("import time:") or "imported package" in line:
            continue
        own, cumulative, name_field = line.split(":", 1)[1].split("|")
        name = name_field[1:]  # one space after the bar, then two per nesting level
        depth = (len(name) - len(name.lstrip(" "))) // 2
        module = name.strip()
        by_package[module.split(".", 1)[0]] += int(own)
        total += int(own)
        if depth == 0:
            direct.append((int(cumulative), module))
    packages = sorted(by_package.items(), key=lambda item: -item[1])[:top]
    return {
        "total_self_ms": round(total / 1000, 1),
        "top_packages_self_ms": [{"package": name, "ms": round(us / 1000, 1)} for name, us in packages],
        "top_direct_imports_cumulative_ms": [
            {"module": name, "ms": round(us / 1000, 1)} for us, name in sorted(direct, reverse=True)[:top]
        ],
    }


def run(runs: int, progress: Callable[[str], None]) -> dict[str, Any]:
    for name in VARIANTS:
        _once(name)  # untimed: bytecode caches and page cache warm for every variant
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in VARIANTS}
    names = list(VARIANTS)
    for number in range(runs):
        order = names[number % len(names) :] + names[: number % len(names)]
        for name in order:
            samples[name].append(json.loads(_once(name).stdout))
        if (number + 1) % 5 == 0 or number + 1 == runs:
            progress(f"cold start: {number + 1}/{runs} rounds of {len(names)} fresh interpreters")
    medians = {
        name: {metric: statistics.median(sample[metric] for sample in rows) for metric in ("wall", "cpu")}
        for name, rows in samples.items()
    }
    base = medians["baseline"]
    profile = parse_importtime(_once("ours_tracer_off", "-X", "importtime").stderr)
    profile_on = parse_importtime(_once("ours_tracer_on", "-X", "importtime").stderr)
    return {
        "runs": runs,
        "median_ms": {
            name: {metric: round(value * 1000, 1) for metric, value in values.items()}
            for name, values in medians.items()
        },
        "ratio_tracer_off": round(medians["ours_tracer_off"]["wall"] / base["wall"], 3),
        "ratio_tracer_on": round(medians["ours_tracer_on"]["wall"] / base["wall"], 3),
        "cpu_ratio_tracer_off": round(medians["ours_tracer_off"]["cpu"] / base["cpu"], 3),
        "cpu_ratio_tracer_on": round(medians["ours_tracer_on"]["cpu"] / base["cpu"], 3),
        "spread_ms": {
            name: [
                round(min(s["wall"] for s in rows) * 1000, 1),
                round(max(s["wall"] for s in rows) * 1000, 1),
            ]
            for name, rows in samples.items()
        },
        "import_profile_tracer_off": profile,
        "import_profile_tracer_on": {
            "total_self_ms": profile_on["total_self_ms"],
            "top_packages_self_ms": profile_on["top_packages_self_ms"],
        },
    }
