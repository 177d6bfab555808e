"""A source whose vendor fixes the secret, through the admin and hook routes: added with none, its
deliveries refused and logged as "the secret was never set", then working once the vendor's is supplied."""

from __future__ import annotations

import hashlib
import hmac
from types import ModuleType

from recovery.sources import signatures
from tests.integration.test_hooks import admin, call, deliver, hooks, log_of  # noqa: F401 - fixtures
from tests.support import ROOT, Stack

INTERCOM = ROOT / "tests" / "fixtures" / "webhooks" / "intercom" / "conversation_rating_added.UNVERIFIED.json"
CLIENT_SECRET = "intercom-client-secret-0123456789"


def intercom_headers(raw: bytes, secret: str) -> dict[str, str]:
    digest = hmac.new(secret.encode("utf-8"), raw, hashlib.sha1).hexdigest()
    return {"content-type": "application/json", "x-hub-signature": f"sha1={digest}"}


def test_an_intercom_source_waits_for_the_client_secret_and_the_log_says_so(
    admin: ModuleType,  # noqa: F811
    hooks: ModuleType,  # noqa: F811
    stack: Stack,
) -> None:
    # GIVEN an Intercom source added with no secret
    document = {"id": "intercom-new", "name": "Intercom", "preset": "intercom"}
    status, added = call(admin, "POST", "/v1/admin/sources", document)
    assert status == 201, added
    assert added["secret"] is None
    assert "sources rotate intercom-new --what secret --secret-env NAME" in added["next"]
    # WHEN Intercom delivers a rating signed with the app's client secret
    raw = INTERCOM.read_bytes()
    status, problem = deliver(hooks, "intercom-new", raw, intercom_headers(raw, CLIENT_SECRET))
    # THEN it is refused, and the delivery log says the secret was never set and how to set it
    assert status == 401, problem
    [entry] = log_of("intercom-new")
    assert entry["outcome"] == "refused"
    assert entry["reason"].startswith(signatures.NO_SECRET) and "never set" in entry["reason"]
    assert "sources rotate intercom-new --what secret --secret-env NAME" in entry["reason"]
    # AND a rotation that supplies no secret is refused rather than generating a useless one
    status, problem = call(admin, "POST", "/v1/admin/sources/intercom-new/rotate", {"what": "secret"})
    assert status == 400 and "vendor fixes the secret" in problem["detail"]
    # WHEN the client secret is supplied by a rotation
    rotation = {"what": "secret", "secret": CLIENT_SECRET}
    status, rotated = call(admin, "POST", "/v1/admin/sources/intercom-new/rotate", rotation)
    assert status == 200 and rotated["secret"] == CLIENT_SECRET
    # THEN the same delivery is taken in
    status, answer = deliver(hooks, "intercom-new", raw, intercom_headers(raw, CLIENT_SECRET))
    assert status == 201, answer
    # (the test clock stands still, so both lines have the same time and either may read first)
    assert sorted(entry["outcome"] for entry in log_of("intercom-new")) == ["created", "refused"]
