"""The benchmark's result helpers: budget verdicts, the README block and the import-time profile."""

from __future__ import annotations

import pytest

from bench.cold_start import MARKER, parse_importtime
from bench.report import END, START, Budget, replace_block, table, verdict


def test_verdicts() -> None:
    assert verdict(Budget("a", "a", 1, "calls", 1, "")) == "pass"
    assert verdict(Budget("b", "b", 3.3, "$", 3.0, "")) == "FAIL (10% over)"
    assert verdict(Budget("d", "d", 6.9, "x", 2.0, "")) == "FAIL (245% over)"
    assert verdict(Budget("c", "c", 2.0, "x", None, "")) == "reported"


def test_table_rows() -> None:
    rows = table([Budget("cost", "cost per million", 2.5, "$", 3.0, "model")]).splitlines()
    assert rows[2] == "| cost per million | $2.50 | at most $3.00 | pass | model |"


def test_replace_block_keeps_the_rest() -> None:
    text = f"intro\n{START}\nold\n{END}\nafter\n"
    assert replace_block(text, "new") == f"intro\n{START}\nnew\n{END}\nafter\n"
    with pytest.raises(ValueError):
        replace_block("no markers", "new")


def test_parse_importtime_counts_only_after_the_marker() -> None:
    stderr = "\n".join(
        [
            "import time: self [us] | cumulative | imported package",
            "import time:       900 |        900 | site",
            MARKER,
            "import time:       100 |        100 |   pydantic.fields",
            "import time:       400 |        500 | pydantic",
            "import time:      1000 |       1000 | boto3",
        ]
    )
    profile = parse_importtime(stderr)
    assert profile["total_self_ms"] == 1.5
    assert profile["top_packages_self_ms"] == [
        {"package": "boto3", "ms": 1.0},
        {"package": "pydantic", "ms": 0.5},
    ]
    assert profile["top_direct_imports_cumulative_ms"] == [
        {"module": "boto3", "ms": 1.0},
        {"module": "pydantic", "ms": 0.5},
    ]
