"""No body, however malformed, makes the hook route answer 5xx: correctly signed garbage of every content
type goes through verification and the mapping to a 2xx or a 4xx with a problem document."""

from __future__ import annotations

import json
from types import ModuleType

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.test_hooks import SOURCES, deliver, hooks, signed  # noqa: F401  (fixture)

CONTENT_TYPES = (
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "application/vnd.surveymonkey.response.v1+json",
    "text/plain",
    "",
)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
BODIES = st.one_of(
    st.binary(max_size=2000),
    JSONISH.map(lambda value: json.dumps(value).encode()),
    st.text(max_size=500).map(str.encode),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    source_id=st.sampled_from(sorted(SOURCES)),
    raw=BODIES,
    content_type=st.sampled_from(CONTENT_TYPES),
)
def test_signed_garbage_never_makes_a_5xx(
    hooks: ModuleType,  # noqa: F811  (the fixture imported above)
    source_id: str,
    raw: bytes,
    content_type: str,
) -> None:
    headers = {**signed(source_id, raw), "content-type": content_type}
    status, answer = deliver(hooks, source_id, raw, headers, base64_body=True)
    assert status < 500, answer
    if status >= 400:
        assert answer["status"] == status and answer["detail"]
