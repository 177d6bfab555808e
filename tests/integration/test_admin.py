"""The admin API for teams and routing: the admin key, whole-document validation, the old config kept."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import pytest
import yaml

from recovery.services.intake import hash_key
from recovery.store.admin import AdminKeyStore
from tests.support import ROOT, Context, Stack, event, load_function

ADMIN_KEY = "rla_integration-test-admin-key-0000000000000000"


@pytest.fixture
def admin(stack: Stack) -> ModuleType:
    AdminKeyStore().put([hash_key(ADMIN_KEY)], datetime.now(UTC))
    return load_function("admin")


def call(module: ModuleType, method: str, body: Any = None, key: str = ADMIN_KEY, **headers: str) -> Any:
    request = event("admin_get_alerting.json")
    request["routeKey"] = f"{method} /v1/admin/alerting"
    request["requestContext"]["http"]["method"] = method
    request["headers"] = {"authorization": f"Bearer {key}", **headers}
    if body is not None:
        request["headers"]["content-type"] = "application/json"
        request["body"] = json.dumps(body)
    response = module.lambda_handler(request, Context())
    return response["statusCode"], response.get("headers", {}), json.loads(response["body"] or "null")


def demo() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "config" / "teams.yaml").read_text())
    return document


def test_replace_and_read_the_configuration(admin: ModuleType) -> None:
    assert call(admin, "GET")[0] == 404
    status, headers, body = call(admin, "PUT", demo())
    assert status == 200 and headers["ETag"] == '"1"'
    assert [team["id"] for team in body["teams"]] == ["support-emea", "support-apac", "smoke"]
    status, headers, body = call(admin, "GET")
    assert status == 200 and body["routing"]["default_team"] == "support-emea"


def test_bad_config_names_the_key_and_the_old_one_stays(admin: ModuleType) -> None:
    call(admin, "PUT", demo())
    bad = copy.deepcopy(demo())
    bad["teams"][0]["levels"][1][0]["phone"] = "+47 12"
    status, _, problem = call(admin, "PUT", bad)
    assert status == 400 and problem["detail"].startswith("teams/0/levels/1/0/phone")
    dangling = copy.deepcopy(demo())
    dangling["routing"]["default_team"] = "nobody"
    assert "default_team" in call(admin, "PUT", dangling)[2]["detail"]
    _, headers, body = call(admin, "GET")
    assert headers["ETag"] == '"1"' and body["teams"][0]["levels"]["1"][0]["phone"] == "+4791234567"


def test_a_stale_if_match_is_refused(admin: ModuleType) -> None:
    call(admin, "PUT", demo())
    call(admin, "PUT", demo(), **{"if-match": '"1"'})
    assert call(admin, "PUT", demo(), **{"if-match": '"1"'})[0] == 412


@pytest.mark.parametrize("key", ["", "rla_wrong", "rlk_demo-web_x"])
def test_only_the_admin_key_gets_in(admin: ModuleType, key: str) -> None:
    assert call(admin, "GET", key=key)[0] == 401
    assert call(admin, "PUT", demo(), key=key)[0] == 401
