"""`GET /v1/admin/sources/{id}`: a source's stored configuration and hook URL, never its secret or key."""

from __future__ import annotations

import json
from types import ModuleType

from recovery.store.sources import SourceStore
from tests.integration.test_hooks import admin, call, hooks  # noqa: F401 - fixtures


def test_a_source_is_described_as_added_without_its_secret_or_key(admin: ModuleType) -> None:  # noqa: F811
    # GIVEN a Jotform source (URL token) added through the admin API, and an intake-only source
    document = {
        "id": "jotform-new",
        "name": "Jotform",
        "preset": "jotform",
        "options": {"score_field": "q3_howLikely", "comment_field": "q4_whatCould"},
        "mapping": {"metadata": {"form_id": "body.formID", "title": "body.formTitle"}},
        "thresholds": {"nps": {"negative_max": 5, "positive_min": 9}},
    }
    status, added = call(admin, "POST", "/v1/admin/sources", document)
    assert status == 201, added
    SourceStore().put("web-only", "Web", [], None)  # as config/ seeds one (the admin API adds hook sources)
    # WHEN each is read
    status, described = call(admin, "GET", "/v1/admin/sources/jotform-new")
    # THEN the answer is the configuration as given, with the hook URL (the token left as a placeholder)
    assert status == 200, described
    assert {key: described[key] for key in ("id", "name", "preset", "options", "mapping")} == {
        key: document[key] for key in ("id", "name", "preset", "options", "mapping")
    }
    assert described["signature"] is None and described["secret_set"] is True
    assert described["thresholds"]["nps"]["negative_max"] == 5
    assert described["hook_url"].endswith("/v1/hooks/jotform-new?token=<token>")
    # AND neither the secret (the URL token) nor the key is in it
    assert added["secret"] not in json.dumps(described) and added["key"] not in json.dumps(described)
    status, web = call(admin, "GET", "/v1/admin/sources/web-only")
    assert status == 200 and (web["preset"], web["hook_url"], web["secret_set"]) == (None, None, False)
    # AND an unknown or malformed id is a 404
    assert call(admin, "GET", "/v1/admin/sources/nobody")[0] == 404
    assert call(admin, "GET", "/v1/admin/sources/Not_An_Id")[0] == 404
