"""Alert latency: from the 201 of a negative feedback POST to the lead's email and SMS in the outbox.

A fresh embedded runtime (`python -m local`, started by the end-to-end tests' `RuntimeLauncher`, no
`--state`) on loopback. Negatives from new customers are posted one at a time, all routed to team
support-emea, whose lead Kari is always on duty (config/teams.yaml). After each 201 the outbox
(`GET /_local/outbox.json`) is polled every 10 ms until it holds both the email to Kari's address and
the SMS to her number with `kind: "alert"` and the case id; the figure is the wall time from receiving
the 201 to receiving the outbox answer that shows both. The outbox is then cleared
(`DELETE /_local/outbox`), so every poll stays small whatever the sample size. One warm-up negative
goes first and is reported apart.

This is an absolute time, as the budget defines it: a product latency through the runtime's whole
chain (stream record, stream function, CaseOpened on the bus, alert function, SES and SNS), not a
ratio of CPU times. The runtime runs one handler at a time, as one Lambda environment per function
would not; the figure is an upper bound for that reason too.
"""

from __future__ import annotations

import http.client
import json
import math
import random
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from bench import ROOT, scenario

LEAD_TEAM = "support-emea"
LEAD_ID = "kari"  # level 1 of support-emea, on duty around the clock
POLL_SECONDS = 0.01
TIMEOUT_SECONDS = 10.0
LIMIT_SECONDS = 1.0
WARMUP = 1


# ---------------------------------------------------------------------------------------------- helpers
def percentile(values: Iterable[float], share: float) -> float:
    """Nearest rank: the smallest value with at least `share` of the values at or below it."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    rank = max(1, math.ceil(share * len(ordered) - 1e-9))
    return ordered[rank - 1]


def summary_ms(values: list[float]) -> dict[str, float]:
    """p50, p95, max and mean of durations in seconds, in milliseconds."""
    return {
        "p50_ms": round(percentile(values, 0.5) * 1000, 1),
        "p95_ms": round(percentile(values, 0.95) * 1000, 1),
        "max_ms": round(max(values) * 1000, 1),
        "mean_ms": round(sum(values) / len(values) * 1000, 1),
    }


@dataclass(frozen=True)
class Lead:
    email: str
    phone: str


def lead(config_dir: Path = ROOT / "config") -> Lead:
    """The always-on lead's email and phone, from the demo teams file."""
    document = yaml.safe_load((config_dir / "teams.yaml").read_text(encoding="utf-8"))
    team = next(team for team in document["teams"] if team["id"] == LEAD_TEAM)
    contact = next(contact for contact in team["levels"][1] if contact["id"] == LEAD_ID)
    return Lead(contact["email"], contact["phone"])


def has_both(entries: Iterable[dict[str, Any]], case_id: str, who: Lead) -> bool:
    """Whether the outbox holds the lead's alert email and alert SMS for the case."""
    seen = {
        (entry.get("channel"), entry.get("to"))
        for entry in entries
        if entry.get("case_id") == case_id and entry.get("kind") == "alert"
    }
    return ("email", who.email) in seen and ("sms", who.phone) in seen


def negative_body(index: int, occurred: datetime, rng: random.Random, prefix: str) -> dict[str, Any]:
    """A benchmark negative (new customer, under 1 KB) routed to the lead's team."""
    body = scenario.negative(index, occurred, rng, prefix=prefix)
    body["customer"]["id"] = f"cust-{prefix}{index:05d}"
    body["interaction"]["team"] = LEAD_TEAM
    return body


# ------------------------------------------------------------------------------------- the runtime, HTTP
class Api:
    """One keep-alive HTTP connection to the runtime (use one per thread)."""

    def __init__(self, base_url: str, key: str | None = None, timeout: float = 60.0) -> None:
        parts = urlsplit(base_url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._key = key
        self._timeout = timeout
        self._connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: Any = None, key: str | None = None) -> tuple[int, bytes]:
        """(status, body). GET and DELETE are retried once on a dropped connection; a POST never is."""
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {"content-type": "application/json"} if data is not None else {}
        if key or self._key:
            headers["authorization"] = f"Bearer {key or self._key}"
        for attempt in (1, 2):
            connection = self._connection or http.client.HTTPConnection(
                self._host, self._port, timeout=self._timeout
            )
            self._connection = None
            try:
                connection.request(method, path, body=data, headers=headers)
                response = connection.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException):
                connection.close()
                if method == "POST" or attempt == 2:
                    raise
                continue
            if response.will_close:
                connection.close()
            else:
                self._connection = connection
            return response.status, payload
        raise AssertionError("unreachable")

    def json(self, method: str, path: str, body: Any = None) -> Any:
        status, payload = self.request(method, path, body)
        if status >= 400:
            raise RuntimeError(f"{method} {path}: {status} {payload[:300]!r}")
        return json.loads(payload) if payload else None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


@dataclass
class Runtime:
    """A running embedded runtime: its start line, and its exit status once stopped."""

    info: dict[str, Any]
    exit_code: int | None = None
    log_tail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return str(self.info["api_url"])

    def source_key(self, source_id: str) -> str:
        return next(str(source["key"]) for source in self.info["sources"] if source["id"] == source_id)

    def clock(self) -> datetime:
        answer = Api(self.api_url).json("GET", "/_local/clock")
        return datetime.fromisoformat(answer["now"].replace("Z", "+00:00"))


@contextmanager
def runtime(environment: dict[str, str] | None = None) -> Iterator[Runtime]:
    """A fresh `python -m local` on free ports in a temporary directory; SIGTERM when done."""
    from tests.e2e.conftest import RuntimeLauncher
    from tests.support import environment as patched

    with tempfile.TemporaryDirectory(prefix="bench-runtime-") as folder:
        launcher = RuntimeLauncher(lambda: Path(tempfile.mkdtemp(dir=folder)))
        with patched(environment or {}):
            process = launcher.start()
        running = Runtime(process.info)
        try:
            yield running
        finally:
            running.exit_code = launcher.stop(process)
            running.log_tail = process.logs()[-2000:]


# ------------------------------------------------------------------------------------------ the measure
def measure(samples: int, progress: Callable[[str], None]) -> dict[str, Any]:
    who = lead()
    rng = random.Random(5)
    latencies: list[float] = []
    post_times: list[float] = []
    polls: list[int] = []
    warmup: list[float] = []
    timeouts: list[str] = []
    with runtime() as running:
        api = Api(running.api_url, running.source_key("demo-web"))
        now = running.clock()
        for index in range(WARMUP + samples):
            body = negative_body(index, now - timedelta(minutes=5), rng, prefix="l")
            sent = time.perf_counter()
            status, payload = api.request("POST", "/v1/feedback", body)
            answered = time.perf_counter()
            if status != 201:
                raise RuntimeError(f"feedback POST answered {status}: {payload[:300]!r}")
            case_id = json.loads(payload)["case_id"]
            count = 0
            while True:
                entries = api.json("GET", "/_local/outbox.json")
                count += 1
                seen = time.perf_counter()
                if has_both(entries, case_id, who):
                    break
                if seen - answered > TIMEOUT_SECONDS:
                    timeouts.append(case_id)
                    break
                time.sleep(POLL_SECONDS)
            api.request("DELETE", "/_local/outbox")
            if index < WARMUP:
                warmup.append(seen - answered)
                continue
            latencies.append(seen - answered)
            post_times.append(answered - sent)
            polls.append(count)
            if (index - WARMUP + 1) % max(1, samples // 4) == 0:
                so_far = percentile(latencies, 0.95) * 1000
                progress(f"{index - WARMUP + 1}/{samples} negatives, p95 so far {so_far:.0f} ms")
        api.close()
    if running.exit_code != 0:
        progress(f"WARNING: the runtime exited with {running.exit_code}")
    return {
        "samples": samples,
        "warmup": WARMUP,
        "lead": {"team": LEAD_TEAM, "contact": LEAD_ID},
        "poll_interval_ms": POLL_SECONDS * 1000,
        "timeout_s": TIMEOUT_SECONDS,
        "latency": summary_ms(latencies),
        "p95_s": round(percentile(latencies, 0.95), 3),
        # The trend over the run: the runtime's table (and moto's copy of it per transaction) grows.
        "by_tenth_p50_ms": [
            round(percentile(part, 0.5) * 1000, 1)
            for part in (
                latencies[n * len(latencies) // 10 : (n + 1) * len(latencies) // 10] for n in range(10)
            )
            if part
        ],
        "warmup_latency_ms": [round(value * 1000, 1) for value in warmup],
        "post_round_trip": summary_ms(post_times),
        "polls_per_sample_mean": round(sum(polls) / len(polls), 1),
        "timeouts": timeouts,
        "runtime_exit_code": running.exit_code,
        "samples_ms": [round(value * 1000, 1) for value in latencies],
    }
