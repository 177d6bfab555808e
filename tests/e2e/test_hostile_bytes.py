"""Bytes, not only valid JSON, to every HTTP route in the template: whatever a client sends, the answer is
below 500, and a refusal writes nothing.

Each route gets arbitrary bytes, structurally extreme JSON (nesting thousands deep, integers past Python's
digit limit, `1e999`, `NaN`, unpaired surrogates), a valid document of the route with one value replaced
by such a token, and form bodies; with arbitrary content types, and with every kind of credential the API
knows (none, a lead's token, the admin key, a source key, garbage). Vendor hooks get a valid signature
over the hostile bytes, so the bytes reach the mapping.

Refusals may write only the records that exist to note refusals: a known source's delivery log and
sign-in throttling. Everything else in the table must be as it was.

`HOSTILE_EXAMPLES` sets the examples per route and credential mode (default 12); failures are kept in
Hypothesis' example database under `.hypothesis/` and replayed first on the next run.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recovery.sources import config, signatures
from tests.e2e.conftest import RuntimeLauncher, RuntimeProcess
from tests.support import ROOT, template

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]
EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "12"))
HOOK_SOURCE = "demo-typeform"
# Records whose purpose is to note a refusal: a delivery to a known source is always logged (a refused
# one's bytes kept beside its log line, for replay), and a failed sign-in is counted.
AUDIT_PREFIXES = ("HOOKLOG#", "HOOKBODY#", "THROTTLE#")


def _routes() -> list[tuple[str, str]]:
    found = set()
    for resource in template()["Resources"].values():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for event in (resource["Properties"].get("Events") or {}).values():
            if event.get("Type") == "HttpApi":
                found.add((event["Properties"]["Method"].upper(), event["Properties"]["Path"]))
    return sorted(found, key=lambda route: (route[1], route[0]))


ROUTES = _routes()


# ----------------------------------------------------------------------------------------- bytes
def _nested(depth: int, kind: str) -> bytes:
    if kind == "array":
        return b"[" * depth + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


TOKENS = st.one_of(
    st.sampled_from(
        [
            b"1e999",
            b"-1e999",
            b"NaN",
            b"Infinity",
            b"-Infinity",
            b'"\\ud800"',
            b'"x\\udfffy"',
            b'"\\u0000"',
            b'"\\u202e\\u2066\\u200b"',
            b"1.7976931348623157e309",
            b"null",
            b"true",
            b'""',
            b"[]",
            b"{}",
            b"-0",
            b"1E400",
        ]
    ),
    st.integers(39, 6000).map(lambda digits: b"9" * digits),
    st.integers(2, 3000).flatmap(
        lambda depth: st.sampled_from([_nested(depth, "array"), _nested(depth, "object")])
    ),
    st.integers(-(10**40), 10**40).map(lambda number: str(number).encode()),
    st.text(max_size=40).map(lambda text: json.dumps(text).encode()),
    st.binary(max_size=40),
)
STRUCTURES = st.one_of(
    st.integers(2, 6000).flatmap(
        lambda depth: st.sampled_from([_nested(depth, "array"), _nested(depth, "object")])
    ),
    st.integers(20, 9000).map(lambda digits: b'{"value": ' + b"1" * digits + b"}"),
    TOKENS,
    st.sampled_from([b"", b" ", b"\xef\xbb\xbf{}", b"\xff\xfe{\x00}\x00", b"{", b'{"a":}', b"\x00" * 8]),
)
FORMS = st.dictionaries(st.text(max_size=12), st.text(max_size=40), max_size=5).map(
    lambda fields: "&".join(
        f"{requests.utils.quote(k)}={requests.utils.quote(v)}" for k, v in fields.items()
    ).encode()
)
CONTENT_TYPES = st.one_of(
    st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-8",
            "application/problem+json",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "multipart/form-data",
            "text/plain",
            "application/octet-stream",
            "application/json; charset=latin-1",
            "",
        ]
    ),
    # What a client library lets through: printable ASCII with no surrounding space.
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=40),
)
PLACEHOLDER = "\x00hostile\x00"


def _leaves(document: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(document, dict):
        for key, value in document.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from _leaves(value, (*path, index))


def _with_token(document: Any, path: tuple[Any, ...], token: bytes) -> bytes:
    """`document` as JSON with the value at `path` replaced by the raw `token`."""
    if not path:
        return token
    copy = json.loads(json.dumps(document))
    parent = copy
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = PLACEHOLDER
    return json.dumps(copy).encode().replace(json.dumps(PLACEHOLDER).encode(), token)


def bodies(seed: Any) -> st.SearchStrategy[bytes]:
    choices = [st.binary(max_size=600), STRUCTURES, FORMS]
    if seed is not None:
        paths = list(_leaves(seed))
        choices.append(st.tuples(st.sampled_from(paths), TOKENS).map(lambda pair: _with_token(seed, *pair)))
        choices.append(st.just(json.dumps(seed).encode()))
    return st.one_of(*choices)


# --------------------------------------------------------------------------------------- the world
class World:
    """What the runtime knows, for path values and credentials that reach past the gates."""

    def __init__(self, runtime: RuntimeProcess) -> None:
        self.runtime = runtime
        self.dynamodb = boto3.client(
            "dynamodb",
            endpoint_url=runtime["moto_url"],
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        self.table = self.dynamodb.list_tables()["TableNames"][0]
        login = runtime["console_login"]
        answer = requests.post(runtime.url("/v1/session"), json=login, timeout=30)
        assert answer.status_code == 200, answer.text
        self.login = login
        self.credentials = {
            "none": {},
            "lead": {"Authorization": f"Bearer {answer.json()['token']}"},
            "admin": {"Authorization": f"Bearer {runtime['admin_key']}"},
            "source": {"Authorization": f"Bearer {runtime['sources'][0]['key']}"},
            "garbage": {"Authorization": "Bearer eyJhbGciOiJub25lIn0.e30."},
        }
        negative = json.loads(
            json.loads((ROOT / "events" / "ingest_feedback_negative.json").read_text())["body"]
        )
        negative["external_id"] = f"hostile-{uuid.uuid4().hex}"
        created = requests.post(
            runtime.url("/v1/feedback"), json=negative, headers=self.credentials["source"], timeout=30
        )
        assert created.status_code == 201, created.text
        self.case_id = created.json()["case_id"]
        self.customer_id = negative["customer"]["id"]
        self.feedback = negative
        self.drain()
        outbox = requests.get(runtime.url("/_local/outbox.json"), timeout=30).json()
        links = " ".join(
            " ".join(entry.get("links") or []) + " " + (entry.get("text") or "") for entry in outbox
        )
        self.codes = sorted(set(re.findall(r"/[acfu]/([A-Za-z0-9_-]{8,})", links))) or ["none"]
        self.alerting = requests.get(
            runtime.url("/v1/admin/alerting"), headers=self.credentials["admin"], timeout=30
        ).json()
        self.outbound = requests.get(
            runtime.url("/v1/admin/outbound"), headers=self.credentials["admin"], timeout=30
        ).json()
        source = next(item for item in runtime["sources"] if item["id"] == HOOK_SOURCE)
        self.hook_secret = source["secret"]
        spec = config.parse_source(
            {"id": HOOK_SOURCE, "name": "x", "preset": "typeform", "options": {"score_ref": "nps"}}
        )
        self.hook_signature = config.resolve(spec).signature

    def drain(self) -> None:
        """Let the runtime finish what a write set off (streams, the bus, queues)."""
        moved = requests.post(self.runtime.url("/_local/clock"), json={"advance_seconds": 0}, timeout=60)
        assert moved.status_code == 200, moved.text

    def snapshot(self) -> dict[tuple[str, str], str]:
        items: dict[tuple[str, str], str] = {}
        for page in self.dynamodb.get_paginator("scan").paginate(TableName=self.table):
            for item in page["Items"]:
                key = (item["pk"]["S"], item["sk"]["S"])
                # A binary attribute (a refused delivery's kept body) compares by its bytes.
                items[key] = json.dumps(item, sort_keys=True, default=lambda value: bytes(value).hex())
        return items

    def path_values(self, name: str) -> list[str]:
        sources = [item["id"] for item in self.runtime["sources"]]
        return {
            "source_id": [*sources, "no-such-source"],
            "case_id": [self.case_id, "cs_" + "0" * 26, "../../etc"],
            "operation": ["ack", "actions", "assign", "messages", "resolve", "reopen", "delete"],
            "code": [*self.codes, "A" * 22],
            "customer_id": [self.customer_id, "nobody"],
            "report": ["summary", "trend", "dashboard", "cases", "anomalies", "markers", "other"],
            "proxy+": ["app.js", "index.html", "..%2F..%2Fetc%2Fpasswd", "missing.css"],
        }.get(name, ["x"])

    def seed(self, method: str, path: str) -> Any:
        seeds: dict[str, Any] = {
            "/v1/feedback": self.feedback,
            "/v1/feedback/batch": {"items": [self.feedback]},
            "/v1/session": {"username": self.login["username"], "password": "wrong password"},
            "/v1/cases/{case_id}/{operation}": {"text": "called back", "reason": "fixed", "assignee": "lena"},
            "/v1/markers": {"component": "web", "version": "1.2.3", "tags": ["deploy"]},
            "/v1/admin/alerting": self.alerting,
            "/v1/admin/outbound": self.outbound,
            "/v1/admin/sources": {"id": "hostile", "name": "Hostile", "preset": "typeform"},
            "/v1/admin/sources/{source_id}/dry-run": {"event_type": "form_response", "form_response": {}},
            "/v1/hooks/{source_id}": {"event_id": "e", "event_type": "form_response", "form_response": {}},
        }
        return seeds.get(path) if method in ("POST", "PUT") else None


@pytest.fixture(scope="module")
def world(runtime_launcher: RuntimeLauncher) -> Iterator[World]:
    # The clock barely moves on its own, so no schedule writes while a refusal is being checked.
    running = runtime_launcher.start("--speed", "0.001")
    try:
        yield World(running)
    finally:
        runtime_launcher.stop(running)


def _written(before: dict[tuple[str, str], str], after: dict[tuple[str, str], str]) -> list[tuple[str, str]]:
    changed = [key for key, item in after.items() if before.get(key) != item]
    changed += [key for key in before if key not in after]
    return [key for key in changed if not key[0].startswith(AUDIT_PREFIXES)]


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_no_bytes_make_a_5xx_and_refusals_write_nothing(world: World, method: str, path: str) -> None:
    names = re.findall(r"{([^}]+)}", path)
    seed = world.seed(method, path)
    statuses: list[int] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=False,
    )
    @given(
        values=st.fixed_dictionaries({name: st.sampled_from(world.path_values(name)) for name in names}),
        body=bodies(seed),
        content_type=CONTENT_TYPES,
        credential=st.sampled_from(sorted(world.credentials)),
        if_match=st.sampled_from([None, '"1"', 'W/"999"', "*", "garbage"]),
    )
    def call(
        values: dict[str, str], body: bytes, content_type: str, credential: str, if_match: str | None
    ) -> None:
        url_path = path
        for name, value in values.items():
            url_path = url_path.replace("{" + name + "}", value)
        headers = dict(world.credentials[credential])
        if content_type:
            headers["Content-Type"] = content_type
        if if_match is not None:
            headers["If-Match"] = if_match
        if path == "/v1/hooks/{source_id}":
            headers |= signatures.sign(
                world.hook_signature, world.hook_secret, body, headers, datetime.now(UTC)
            )
        before = world.snapshot()
        answer = requests.request(method, world.runtime.url(url_path), data=body, headers=headers, timeout=60)
        statuses.append(answer.status_code)
        assert answer.status_code < 500, f"{method} {url_path}: {answer.status_code} {answer.text[:300]}"
        if answer.status_code >= 400:
            written = _written(before, world.snapshot())
            assert not written, f"{method} {url_path} answered {answer.status_code} but wrote {written[:5]}"
        else:
            world.drain()

    call()
    assert statuses, "no request was sent"


def test_the_routes_are_the_templates() -> None:
    # Guard the parametrisation: a route added to the template is fuzzed without a second registration.
    assert ("POST", "/v1/session") in ROUTES and ("POST", "/s/{source_id}") in ROUTES
    assert len(ROUTES) >= 38, ROUTES


FAULTS = {
    "not UTF-8": (b'{"comment": "\xff\xfe"}', "application/json", 400, "not valid UTF-8"),
    "too deep": (b"[" * 5000 + b"]" * 5000, "application/json", 400, "nested deeper than 32 levels"),
    "too many digits": (b'{"a": ' + b"9" * 5000 + b"}", "application/json", 400, "more than 38 digits"),
    "not finite": (b'{"a": 1e999}', "application/json", 400, "is not finite"),
    "NaN": (b'{"a": NaN}', "application/json", 400, "NaN is not a number in JSON"),
    "another media type": (b"{}", "text/plain", 415, "application/json"),
    "empty": (b"", "application/json", 400, "the body is empty"),
}
JSON_ROUTES = {
    "POST /v1/feedback": "source",
    "POST /v1/feedback/batch": "source",
    "POST /v1/session": "none",
    "POST /v1/cases/{case_id}/actions": "lead",
    "POST /v1/markers": "admin",
    "PUT /v1/admin/alerting": "admin",
    "PUT /v1/admin/outbound": "admin",
    "POST /v1/admin/sources": "admin",
    "POST /v1/admin/sources/{source_id}/dry-run": "admin",
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("route", sorted(JSON_ROUTES))
def test_each_body_fault_is_a_4xx_that_names_it(world: World, route: str, fault: str) -> None:
    body, content_type, status, named = FAULTS[fault]
    method, path = route.split(" ")
    path = path.replace("{case_id}", world.case_id).replace("{source_id}", HOOK_SOURCE)
    headers = {**world.credentials[JSON_ROUTES[route]], "Content-Type": content_type}
    if "/v1/cases/" in path:
        current = requests.get(world.runtime.url(f"/v1/cases/{world.case_id}"), headers=headers, timeout=30)
        headers["If-Match"] = current.headers["ETag"]
    before = world.snapshot()
    answer = requests.request(method, world.runtime.url(path), data=body, headers=headers, timeout=60)
    assert answer.status_code == status, answer.text[:300]
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert named in answer.json()["detail"], answer.json()
    assert not _written(before, world.snapshot())
