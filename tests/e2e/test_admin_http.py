"""The admin CLI against the embedded runtime: bad config refused with the bad key named, the old stays."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.conftest import admin_cli
from tests.support import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]


def test_cli_reads_replaces_and_refuses(start_runtime: Any, tmp_path: Path) -> None:
    runtime = start_runtime()
    shown = admin_cli(runtime, "alerting", "get")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["routing"]["default_team"] == "support-emea"

    document = yaml.safe_load((ROOT / "config" / "teams.yaml").read_text())
    document["teams"][0]["ack_sla_minutes"] = 5
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(document))
    assert admin_cli(runtime, "alerting", "put", str(good)).returncode == 0

    document["teams"][1]["levels"][1][0]["email"] = "not-an-address"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(document))
    refused = admin_cli(runtime, "alerting", "put", str(bad))
    assert refused.returncode == 1 and "teams/1/levels/1/0/email" in refused.stderr

    kept = json.loads(admin_cli(runtime, "alerting", "get").stdout)
    assert (
        kept["teams"][0]["ack_sla_minutes"] == 5
        and kept["teams"][1]["levels"]["1"][0]["email"] == "yuki@example.com"
    )
    wrong_key = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.admin",
            "--url",
            runtime["api_url"],
            "--key",
            "rla_nope",
            "alerting",
            "get",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert wrong_key.returncode == 1 and "401" in wrong_key.stderr
