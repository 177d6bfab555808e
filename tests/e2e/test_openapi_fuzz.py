"""schemathesis against the served OpenAPI document: whatever it sends, no 5xx."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.conftest import RuntimeLauncher, RuntimeProcess
from tests.e2e.test_closed_loop_http import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]
# The document covers every route (about 40 operations), each called with and without its credential:
# 15 examples each keeps the whole run near a minute (measured: 33 s for 12).
EXAMPLES_PER_OPERATION = 15
TIME_LIMIT_S = 150


@pytest.fixture(scope="module")
def own_runtime(runtime_launcher: RuntimeLauncher) -> Iterator[RuntimeProcess]:
    """A runtime of the module's own: fuzzing the admin routes with the admin key and sign-in with
    made-up names changes state (throttles, sources) that other tests must not see."""
    running = runtime_launcher.start()
    yield running
    runtime_launcher.stop(running)


def credentials(runtime: RuntimeProcess) -> dict[str, dict[str, str]]:
    """The header each security scheme of the document takes."""
    return {
        "sourceKey": {"Authorization": f"Bearer {runtime['sources'][0]['key']}"},
        "adminKey": {"Authorization": f"Bearer {runtime['admin_key']}"},
        "leadJwt": sign_in(runtime),
    }


def test_no_input_yields_a_5xx(own_runtime: RuntimeProcess) -> None:
    runtime = own_runtime
    schema = schemathesis.openapi.from_url(runtime.url("/v1/openapi.json"))
    operations = [result.ok() for result in schema.get_all_operations()]
    names = {f"{op.method.upper()} {op.path}" for op in operations}
    assert names >= {"POST /v1/feedback", "GET /v1/health", "GET /v1/cases", "PUT /v1/admin/alerting"}
    documented = requests.get(runtime.url("/v1/openapi.json"), timeout=10).json()["paths"]
    # every documented operation is fuzzed (schemathesis leaves out the document's own route)
    assert names | {"GET /v1/openapi.json"} == {
        f"{method.upper()} {path}" for path, ops in documented.items() for method in ops
    }
    headers_of = credentials(runtime)
    seen: dict[tuple[str, int], int] = {}
    keys_of: dict[tuple[str, str], list[dict[str, str]]] = {}
    started = time.monotonic()

    for operation in operations:
        schemes = [name for entry in operation.definition.raw.get("security") or [] for name in entry]
        keys_of[operation.path, operation.method] = [headers_of[name] for name in schemes]

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
        def call(case: Any) -> None:
            # With the operation's credential, generated input reaches validation and storage; without,
            # the gate.
            for headers in (*keys_of[operation.path, operation.method], {}):  # noqa: B023 - run now
                response = case.call(base_url=runtime["api_url"], headers=headers, timeout=20)
                slot = (case.path, response.status_code)
                seen[slot] = seen.get(slot, 0) + 1
                assert response.status_code < 500, (
                    f"{case.method} {case.path}: {response.status_code} {response.text[:300]}"
                )

        call()
    # Generated bodies reached validation, and calls without a key were refused.
    assert seen.get(("/v1/feedback", 400), 0) > 0 and seen.get(("/v1/feedback", 401), 0) > 0, seen
    assert seen.get(("/v1/cases", 401), 0) > 0 and seen.get(("/v1/cases", 200), 0) > 0, seen
    assert time.monotonic() - started < TIME_LIMIT_S


text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)
short_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200)  # names
label = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40
).filter(str.strip)
scores = st.one_of(
    st.fixed_dictionaries({"type": st.just("nps"), "value": st.integers(0, 10)}),
    st.fixed_dictionaries({"type": st.sampled_from(["csat", "stars"]), "value": st.integers(1, 5)}),
    st.fixed_dictionaries({"type": st.just("ces"), "value": st.integers(1, 7)}),
    st.fixed_dictionaries({"type": st.just("thumbs"), "value": st.sampled_from(["up", "down"])}),
    st.fixed_dictionaries(
        {
            "type": st.just("custom"),
            "value": st.just(3),
            "min": st.just(0),
            "max": st.just(10),
            "higher_is_better": st.booleans(),
        }
    ),
)
feedback = st.fixed_dictionaries(
    {
        "external_id": st.uuids().map(str),
        "customer": st.fixed_dictionaries(
            {"id": label},
            optional={
                "name": short_text,
                "email": st.just("someone@example.com"),
                "locale": st.sampled_from(["tr-TR", "ja"]),
            },
        ),
        "score": scores,
    },
    optional={
        "comment": text,
        "tags": st.lists(label, max_size=5),
        "interaction": st.fixed_dictionaries({}, optional={"team": label, "channel": label, "agent": label}),
        "metadata": st.dictionaries(
            st.text(max_size=10), st.one_of(st.integers(), st.booleans(), text), max_size=5
        ),
    },
)


def test_any_valid_feedback_is_stored(runtime: RuntimeProcess) -> None:
    key = {"Authorization": f"Bearer {runtime['sources'][0]['key']}"}
    statuses: list[int] = []

    @given(body=feedback)
    @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
    def post(body: dict[str, Any]) -> None:
        response = requests.post(runtime.url("/v1/feedback"), json=body, headers=key, timeout=20)
        statuses.append(response.status_code)
        assert response.status_code in (200, 201, 202), response.text[:300]

    post()
    assert 201 in statuses
