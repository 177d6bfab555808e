"""`make lead` without `--pool`: a console user in the embedded runtime's user pool, who can sign in."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import RuntimeProcess
from tests.support import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]


def add_lead(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.ops", "add-lead", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        # No AWS credentials or region of any kind: the local form needs none.
        env={
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "layers/recovery")]),
            "PATH": "/usr/bin:/bin",
        },
        check=False,
    )


def test_a_local_lead_is_created_and_signs_in(runtime: RuntimeProcess) -> None:
    # GIVEN the running runtime's .local/runtime.json in the working directory
    assert (runtime.cwd / ".local" / "runtime.json").is_file()
    # WHEN a lead of support-apac and an admin is added, with no --pool
    done = add_lead(runtime.cwd, "--email", "ana.local@example.com", "--team", "support-apac", "--admin")
    assert done.returncode == 0, done.stderr
    password = re.search(
        r"created ana\.local@example\.com with the password (\S+) \(shown once\)", done.stdout
    )
    assert password is not None, done.stdout
    # THEN that lead signs in, and is an admin leading support-apac
    session = requests.post(
        runtime.url("/v1/session"),
        json={"username": "ana.local@example.com", "password": password.group(1)},
        timeout=30,
    )
    assert session.status_code == 200, session.text
    me = requests.get(
        runtime.url("/v1/me"), headers={"Authorization": f"Bearer {session.json()['token']}"}, timeout=30
    ).json()
    assert me["admin"] is True and "support-apac" in [team["id"] for team in me["teams"]]
    # AND running it again adds groups without a second user or a new password
    again = add_lead(runtime.cwd, "--email", "ana.local@example.com", "--team", "support-emea")
    assert (
        again.returncode == 0 and "exists; adding groups" in again.stdout and "password" not in again.stdout
    )


def test_without_a_runtime_or_a_pool_it_says_what_to_do(tmp_path: Path) -> None:
    done = add_lead(tmp_path, "--email", "ana@example.com", "--team", "support-emea")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "error: no .local/runtime.json: start `make run` first, or give --pool for a deployed stack"
    )
