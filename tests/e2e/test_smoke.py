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


def smoke(
    runtime: RuntimeProcess, *args: str, password: str | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tools.smoke", "--url", runtime["api_url"], *args]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "PYTHONPATH": str(ROOT),
            "PATH": "/usr/bin:/bin",
            **({"SMOKE_LEAD_PASSWORD": password} if password else {}),
        },
        check=False,
    )


def smoke_lead(runtime: RuntimeProcess) -> tuple[str, str]:
    """A lead of the smoke team in the runtime's user pool (`make lead` without --pool)."""
    email = "smoke-lead@example.com"
    added = subprocess.run(
        [sys.executable, "-m", "tools.ops", "add-lead", "--email", email, "--team", "smoke"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=runtime.cwd,
        env={"PYTHONPATH": f"{ROOT}:{ROOT / 'layers/recovery'}", "PATH": "/usr/bin:/bin"},
        check=True,
    )
    password = re.search(r"with the password (\S+) ", added.stdout)
    assert password is not None, added.stdout
    return email, password.group(1)


def test_the_smoke_script_passes_and_cleans_up(runtime: RuntimeProcess) -> None:
    # GIVEN the running stack, a source key, the admin key and a lead of the smoke team
    keys = ["--key", runtime["sources"][0]["key"], "--admin-key", runtime["admin_key"]]
    lead, password = smoke_lead(runtime)
    outbox_before = len(requests.get(runtime.url("/_local/outbox.json"), timeout=30).json())

    # WHEN the smoke script runs
    done = smoke(runtime, *keys, "--lead", lead, "--timeout", "30", password=password)

    # THEN every step passed, in order, each with its time
    assert done.returncode == 0, done.stdout + done.stderr
    steps = re.findall(r"^ok\s+(\w+)\s+\d+\.\d\d s", done.stdout, re.MULTILINE)
    assert steps == ["health", "feedback", "case", "delivery", "close", "cleanup"], done.stdout
    # AND the case went to the smoke team, whose contact alone was alerted: no real lead was paged
    assert re.search(r"^ok\s+close .* of team smoke acknowledged", done.stdout, re.MULTILINE), done.stdout
    assert re.search(r"^ok\s+delivery .*sent to smoke:email$", done.stdout, re.MULTILINE), done.stdout
    sent = requests.get(runtime.url("/_local/outbox.json"), timeout=30).json()[outbox_before:]
    case_id = re.search(r"^ok\s+feedback .*case (cs_\w+)", done.stdout, re.MULTILINE)
    assert case_id is not None
    assert {m["to"] for m in sent if m["case_id"] == case_id.group(1)} == {"smoke-test@example.com"}
    # AND the case is closed: resolved by the smoke lead
    token = requests.post(
        runtime.url("/v1/session"), json={"username": lead, "password": password}, timeout=30
    ).json()["token"]
    case = requests.get(
        runtime.url(f"/v1/cases/{case_id.group(1)}"), headers={"Authorization": f"Bearer {token}"}, timeout=30
    ).json()
    assert case["status"] == "resolved" and case["team"] == "smoke"
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
