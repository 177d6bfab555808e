"""Who calls: the lead's claims from the JWT authorizer, the admin key, and the visitor's language."""

from __future__ import annotations

from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from recovery.domain.keys import hash_key
from recovery.web import auth, http
from recovery.web.languages import preferred_language

KEY = "rla_unit-test-admin-key"


def with_context(context: dict[str, Any]) -> APIGatewayProxyEventV2:
    return APIGatewayProxyEventV2({"rawPath": "/", "requestContext": context})


def test_claims_are_what_the_authorizer_passes_on() -> None:
    claims = {"sub": "s-kari", "cognito:groups": "[team-support-emea]"}
    assert auth.claims(with_context({"authorizer": {"jwt": {"claims": claims, "scopes": None}}})) == claims
    assert auth.claims(with_context({"authorizer": {}})) is None
    assert auth.claims(with_context({})) is None


def test_the_admin_key_is_checked_against_its_hashes() -> None:
    auth.require_admin_key({"authorization": f"Bearer {KEY}"}, lambda: [hash_key("old"), hash_key(KEY)])


@pytest.mark.parametrize("header", [None, "", "Bearer", f"Basic {KEY}", "Bearer rla_other"])
def test_a_missing_or_unknown_admin_key_is_a_401(header: str | None) -> None:
    headers = {"authorization": header} if header is not None else {}
    with pytest.raises(http.Problem) as refused:
        auth.require_admin_key(headers, lambda: [hash_key(KEY)])
    assert refused.value.status == 401 and refused.value.headers == {"WWW-Authenticate": "Bearer"}
    assert refused.value.detail == "missing or unknown admin key"


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "en"),
        ("", "en"),
        ("*", "en"),
        ("fr", "en"),
        ("zh-CN,zh;q=0.9", "zh"),
        ("fr-CH, fr;q=0.9, de;q=0.8", "de"),  # the first *supported* one, not the first one
        ("en-GB,ja;q=0.5", "en"),
        ("de_DE", "de"),
        ("en_US, de", "en"),
        ("no", "nb"),
        ("ja-JP", "ja"),
    ],
)
def test_the_visitor_language_is_the_first_supported_one(header: str | None, language: str) -> None:
    assert preferred_language(header) == language
