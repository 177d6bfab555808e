"""Smoke test of a running stack, deployed or embedded: one negative test feedback, followed end to end.

    python -m tools.smoke --url https://... --key rlk_... --admin-key rla_... [--lead EMAIL] [--timeout 60]
    (`make smoke URL=... KEY=... ADMIN_KEY=... LEAD=...`; the keys default to SMOKE_SOURCE_KEY,
    RECOVERY_ADMIN_KEY, the lead's password to SMOKE_LEAD_PASSWORD)

Steps, each printed with its time; the first that fails is named and the exit status is 1:
1. health: `GET /v1/health` answers 200.
2. feedback: `POST /v1/feedback` with the source key: NPS 0 from a reserved test customer
   (`rl-smoke-test-<run>`), tagged `smoke-test`, answered 201 with a case.
3. case: the admin API's export of that customer holds the case, open.
4. delivery: the case's delivery rows (`GET /v1/admin/cases/{case_id}/deliveries`, recipients masked)
   hold at least one message sent to a lead.
5. close: with `--lead` (a lead of the smoke team and SMOKE_LEAD_PASSWORD), the case is acknowledged
   and resolved through the cases API, so no open case is left behind.
6. cleanup: the test customer is erased through the privacy API.
Steps 5 and 6 run even when a step failed after the feedback was accepted.
Where the case goes is up to routing: config/teams.yaml routes the tag `smoke-test` to the team `smoke`,
whose contact is no real lead. The close step signs in as a lead of that team only, so a case routed
anywhere else fails it (the lead may not see it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

from tools import cli

CUSTOMER_PREFIX = "rl-smoke-test-"  # reserved: never a real customer's id
TAG = "smoke-test"


class StepFailed(RuntimeError):
    """A step did not get what it expected; the message says what it got."""


def _request(
    method: str,
    url: str,
    key: str | None = None,
    body: Any = None,
    timeout: float = 30,
    if_match: str | None = None,
) -> tuple[int, Any]:
    data = json.dumps(body).encode("utf-8") if body is not None else None
    headers = {"Accept": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    if if_match:
        headers["If-Match"] = if_match
    if data is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310 - http(s) only
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw or b"null")
        except json.JSONDecodeError:
            return error.code, raw[:300].decode("utf-8", "replace")


class Smoke:
    def __init__(
        self,
        url: str,
        source_key: str,
        admin_key: str,
        timeout: float = 60,
        say: Callable[[str], None] = print,
        poll_seconds: float = 0.5,
        lead: tuple[str, str] | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.lead = lead
        self.source_key = source_key
        self.admin_key = admin_key
        self.timeout = timeout
        self.say = say
        self.poll_seconds = poll_seconds
        self.run_id = uuid.uuid4().hex[:12]
        self.customer_id = f"{CUSTOMER_PREFIX}{self.run_id}"
        self.case_id: str | None = None
        self.recipients: list[str] = []

    def run(self) -> str | None:
        """Every step in order; the name of the first failing step, or None when all passed."""
        failed: str | None = None
        started = time.monotonic()
        steps = (
            ("health", self.health),
            ("feedback", self.feedback),
            ("case", self.case),
            ("delivery", self.delivery),
        )
        for name, step in steps:
            if not self._step(name, step):
                failed = name
                break
        # Whatever failed after the feedback was accepted, the case is closed and the customer erased.
        if self.case_id is not None and self.lead is not None and not self._step("close", self.close):
            failed = failed or "close"
        if self.case_id is not None and not self._step("cleanup", self.cleanup):
            failed = failed or "cleanup"
        total = time.monotonic() - started
        self.say(f"{'FAILED at ' + failed if failed else 'passed'} in {total:.2f} s (run {self.run_id})")
        return failed

    def _step(self, name: str, step: Callable[[], str]) -> bool:
        started = time.monotonic()
        try:
            detail = step()
        except (StepFailed, OSError, ValueError) as error:
            self.say(f"FAIL {name:<9} {time.monotonic() - started:6.2f} s  {error}")
            return False
        self.say(f"ok   {name:<9} {time.monotonic() - started:6.2f} s  {detail}")
        return True

    def health(self) -> str:
        status, _ = _request("GET", f"{self.url}/v1/health")
        if status != 200:
            raise StepFailed(f"GET /v1/health answered {status}")
        return "GET /v1/health 200"

    def feedback(self) -> str:
        body = {
            "external_id": f"smoke-{self.run_id}",
            "customer": {"id": self.customer_id, "name": "Smoke Test"},
            "interaction": {"channel": "smoke-test"},
            "score": {"type": "nps", "value": 0},
            "comment": "Smoke test of the deployment: please ignore.",
            "tags": [TAG],
            "metadata": {"smoke_test": True, "run": self.run_id},
        }
        status, answer = _request("POST", f"{self.url}/v1/feedback", self.source_key, body)
        if status != 201 or not isinstance(answer, dict) or not answer.get("case_id"):
            raise StepFailed(f"POST /v1/feedback answered {status} {answer!r}; expected 201 with a case")
        self.case_id = str(answer["case_id"])
        return f"201, case {self.case_id}"

    def case(self) -> str:
        found = self._until(
            lambda export: self._case(export) is not None, "the case in the customer's export"
        )
        case = self._case(found) or {}
        if case.get("status") != "open":
            raise StepFailed(f"case {self.case_id} is {case.get('status')!r}, expected open")
        return f"case {self.case_id} open, {case.get('priority', '?')}"

    def delivery(self) -> str:
        deadline = time.monotonic() + self.timeout
        rows = self._deliveries()
        while not any(row.get("state") == "sent" for row in rows):
            if time.monotonic() >= deadline:
                seen = ", ".join(
                    f"{row.get('contact_id')}:{row.get('channel')} {row.get('state')}" for row in rows
                )
                raise StepFailed(f"no delivery sent within {self.timeout:g} s (rows: {seen or 'none'})")
            time.sleep(self.poll_seconds)
            rows = self._deliveries()
        self.recipients = [
            f"{row['contact_id']}:{row['channel']}" for row in rows if row.get("state") == "sent"
        ]
        others = [
            f"{row['contact_id']}:{row['channel']} {row['state']}"
            for row in rows
            if row.get("state") != "sent"
        ]
        return f"sent to {', '.join(self.recipients)}" + (f" (also: {', '.join(others)})" if others else "")

    def close(self) -> str:
        """Acknowledge and resolve the case as a lead of the smoke team, each over the version just read."""
        assert self.lead is not None
        username, password = self.lead
        status, session = _request(
            "POST", f"{self.url}/v1/session", body={"username": username, "password": password}
        )
        if status != 200 or not isinstance(session, dict) or not session.get("token"):
            raise StepFailed(f"signing in as {username} answered {status} {session!r}")
        token = str(session["token"])
        case_url = f"{self.url}/v1/cases/{urllib.parse.quote(str(self.case_id), safe='')}"
        changes: tuple[tuple[str, dict[str, str]], ...] = (
            ("ack", {}),
            ("resolve", {"root_cause": "other", "summary": f"Smoke test {self.run_id}: nothing to recover."}),
        )
        for operation, body in changes:
            status, case = _request("GET", case_url, token)
            if status != 200 or not isinstance(case, dict):
                raise StepFailed(f"GET the case answered {status} {case!r}")
            if operation == "ack" and case.get("status") != "open":
                continue  # acknowledged already (by the link, say)
            etag = f'"{case.get("version")}"'
            status, answer = _request("POST", f"{case_url}/{operation}", token, body, if_match=etag)
            if status != 200:
                raise StepFailed(f"{operation} answered {status} {answer!r}")
        team = case.get("team") if isinstance(case, dict) else None
        return f"case {self.case_id} of team {team} acknowledged and resolved by {username}"

    def cleanup(self) -> str:
        path = urllib.parse.quote(self.customer_id, safe="")
        status, answer = _request("DELETE", f"{self.url}/v1/admin/customers/{path}", self.admin_key)
        if status != 200:
            raise StepFailed(f"erasing the test customer answered {status} {answer!r}")
        return f"test customer {self.customer_id} erased"

    def _export(self) -> dict[str, Any] | None:
        path = urllib.parse.quote(self.customer_id, safe="")
        status, answer = _request("GET", f"{self.url}/v1/admin/customers/{path}", self.admin_key)
        if status == 404:
            return None
        if status != 200 or not isinstance(answer, dict):
            raise StepFailed(f"GET /v1/admin/customers answered {status} {answer!r}")
        return answer

    def _deliveries(self) -> list[dict[str, Any]]:
        path = urllib.parse.quote(str(self.case_id), safe="")
        url = f"{self.url}/v1/admin/cases/{path}/deliveries"
        status, answer = _request("GET", url, self.admin_key)
        if status != 200 or not isinstance(answer, dict):
            raise StepFailed(f"GET /v1/admin/cases/{{case_id}}/deliveries answered {status} {answer!r}")
        return [dict(row) for row in answer.get("deliveries", [])]

    def _case(self, export: dict[str, Any]) -> dict[str, Any] | None:
        for entry in export.get("cases", []):
            if entry.get("case", {}).get("case_id") == self.case_id:
                return dict(entry["case"])
        return None

    def _until(self, ready: Callable[[dict[str, Any]], bool], what: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while True:
            export = self._export()
            if export is not None and ready(export):
                return export
            if time.monotonic() >= deadline:
                raise StepFailed(f"no {what} within {self.timeout:g} s")
            time.sleep(self.poll_seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.smoke", description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="API base URL (stack output ApiUrl)")
    parser.add_argument("--key", default=os.environ.get("SMOKE_SOURCE_KEY"), help="a test source's API key")
    parser.add_argument("--admin-key", default=os.environ.get("RECOVERY_ADMIN_KEY"), help="the admin key")
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait for the case and alert")
    parser.add_argument(
        "--lead", default=os.environ.get("SMOKE_LEAD"), help="a lead of the smoke team, to close the case"
    )
    args = parser.parse_args(argv)
    if not args.key or not args.admin_key:
        print("error: --key (a source key) and --admin-key are needed", file=sys.stderr)
        return 2
    lead = None
    if args.lead:
        password = os.environ.get("SMOKE_LEAD_PASSWORD")
        if not password:
            print("error: --lead needs the lead's password in SMOKE_LEAD_PASSWORD", file=sys.stderr)
            return 2
        lead = (args.lead, password)
    failed = Smoke(args.url, args.key, args.admin_key, args.timeout, lead=lead).run()
    return 1 if failed else 0


if __name__ == "__main__":
    cli.run(main)
