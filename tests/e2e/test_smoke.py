"""The smoke script (`make smoke`) against the embedded runtime: the same script as against a deployed
stack, run as a process."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import requests

from tests.e2e.conftest import RuntimeProcess
from tests.support import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]


def smoke(runtime: RuntimeProcess, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tools.smoke", "--url", runtime["api_url"], *args]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        check=False,
    )


def test_the_smoke_script_passes_and_cleans_up(runtime: RuntimeProcess) -> None:
    # GIVEN the running stack, a source key and the admin key
    keys = ["--key", runtime["sources"][0]["key"], "--admin-key", runtime["admin_key"]]

    # WHEN the smoke script runs
    done = smoke(runtime, *keys, "--timeout", "30")

    # THEN every step passed, in order, each with its time
    assert done.returncode == 0, done.stdout + done.stderr
    steps = re.findall(r"^ok\s+(\w+)\s+\d+\.\d\d s", done.stdout, re.MULTILINE)
    assert steps == ["health", "feedback", "case", "delivery", "cleanup"], done.stdout
    assert re.search(r"^ok\s+delivery .*sent to kari:email", done.stdout, re.MULTILINE), done.stdout
    # AND the test customer was erased: the export finds only redacted data
    customer = re.search(r"test customer (rl-smoke-test-\w+) erased", done.stdout)
    assert customer is not None
    export = requests.get(
        runtime.url(f"/v1/admin/customers/{customer.group(1)}"),
        headers={"Authorization": f"Bearer {runtime['admin_key']}"},
        timeout=30,
    )
    assert "Smoke test of the deployment" not in export.text
    assert "Smoke Test" not in export.text


def test_a_failing_step_is_named_and_exits_non_zero(runtime: RuntimeProcess) -> None:
    # GIVEN a source key the stack does not know
    keys = ["--key", "rlk_nope_not-a-key", "--admin-key", runtime["admin_key"]]
    # WHEN the smoke script runs
    done = smoke(runtime, *keys)
    # THEN it stops at the feedback step, names it, and exits 1 with nothing to clean up
    assert done.returncode == 1
    assert re.search(r"^FAIL feedback .*answered 401", done.stdout, re.MULTILINE), done.stdout
    assert "FAILED at feedback" in done.stdout and "cleanup" not in done.stdout
