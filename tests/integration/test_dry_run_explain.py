"""The dry run shows its work: through the admin route and the CLI, each field's expression and value, the
keys where an empty one stopped, and a missing event header named with the header to pass."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pytest

from tests.integration.test_hooks import (
    admin,  # noqa: F401 - fixtures
    call,
    hooks,  # noqa: F401
)

HELPSCOUT = {"id": "helpscout-csat", "name": "Help Scout", "preset": "helpscout"}
RATING = {
    "id": 101,
    "rating": "not good",
    "comments": "Slow.",
    "customer": {"id": 7, "email": "a@example.com"},
}


def test_a_missing_help_scout_event_header_is_named_in_the_answer(admin: ModuleType) -> None:  # noqa: F811
    # GIVEN a Help Scout source and a pasted rating without its event header
    assert call(admin, "POST", "/v1/admin/sources", HELPSCOUT)[0] == 201
    pasted = {"body": json.dumps(RATING), "headers": {}}
    # WHEN it is dry-run
    status, result = call(admin, "POST", "/v1/admin/sources/helpscout-csat/dry-run", pasted)
    # THEN the answer says the event read nothing, so it is ignored, and names the header to pass
    assert status == 200 and result["action"] == "ignore", result
    assert any("--header x-helpscout-event=satisfaction.ratings" in warning for warning in result["warnings"])
    assert result["explanation"]["event"]["expected_header"] == "x-helpscout-event"
    # AND with the header, it maps, and each field names its expression and value
    pasted["headers"] = {"X-HelpScout-Event": "satisfaction.ratings"}
    status, result = call(admin, "POST", "/v1/admin/sources/helpscout-csat/dry-run", pasted)
    assert status == 200 and result["action"] == "accept" and result["warnings"] == [], result
    fields = {field["field"]: field for field in result["explanation"]["fields"]}
    assert fields["score/value"] == {"field": "score/value", "expression": "body.rating", "value": "not good"}
    assert fields["interaction/id"]["empty"] is True
    assert fields["interaction/id"]["reach"]["keys"] == ["id", "rating", "comments", "customer"]


def test_a_refused_mapping_still_explains_itself(admin: ModuleType) -> None:  # noqa: F811
    # GIVEN a rating the score map does not know
    assert call(admin, "POST", "/v1/admin/sources", HELPSCOUT)[0] == 201
    body = json.dumps({**RATING, "rating": "meh"})
    pasted = {"body": body, "headers": {"x-helpscout-event": "satisfaction.ratings"}}
    # WHEN it is dry-run / THEN the error comes with the explanation of what was read
    status, result = call(admin, "POST", "/v1/admin/sources/helpscout-csat/dry-run", pasted)
    assert status == 200 and result["error"]["pointer"] == "score/value", result
    assert result["explanation"]["event"]["action"] == "accept"


def test_the_cli_prints_the_explanation_readably(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    from tools import admin as admin_cli

    explanation = {
        "event": {"expression": 'headers."x-helpscout-event"', "value": None, "action": "ignore",
                  "meaning": "answered 200 and not mapped"},
        "fields": [
            {"field": "score/value", "expression": "body.rating", "value": "bad"},
            {"field": "customer/id", "expression": "body.data.contact.userId", "value": None, "empty": True,
             "reach": {"at": "body.data", "missing": "contact", "keys": ["id", "answers"]}},
        ],
        "keys": {"body": ["id", "rating"]},
        "warnings": ["the event read nothing: pass --header x-helpscout-event=satisfaction.ratings"],
    }  # fmt: skip

    def request(method: str, url: str, key: str, body: Any = None, etag: Any = None) -> tuple[int, Any]:
        return 200, {"action": "ignore", "explanation": explanation}

    monkeypatch.setattr(admin_cli, "_request", request)
    payload = tmp_path / "rating.json"
    payload.write_text(json.dumps(RATING))
    # WHEN a dry run is run from the command line
    assert (
        admin_cli.main(["--url", "http://127.0.0.1:1", "--key", "k", "sources", "dry-run", "h", str(payload)])
        == 0
    )
    out, err = capsys.readouterr()
    # THEN stdout is the JSON answer, and the explanation is printed line by line
    assert json.loads(out)["action"] == "ignore"
    assert 'body.rating -> "bad"' in err
    assert "empty: stopped at body.data, no 'contact'; keys: id, answers" in err
    assert "keys of body: id, rating" in err
    assert "Note: the event read nothing: pass --header x-helpscout-event=satisfaction.ratings" in err
