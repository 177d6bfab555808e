"""The console's sign-in end to end: moto's Cognito issues the token, the template's JWT authorizer
(`LeadJwt`) checks it on `/v1/me`, and the demo login is Kari, a lead of support-emea."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from tests.e2e.conftest import RuntimeProcess

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]
UNAUTHORIZED = {"message": "Unauthorized"}


def cognito(runtime: RuntimeProcess) -> Any:
    return boto3.client(
        "cognito-idp",
        endpoint_url=runtime.moto_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def lead_pool(runtime: RuntimeProcess) -> tuple[str, str]:
    """The template's user pool and its console client, as the moto server lists them."""
    client = cognito(runtime)
    pools = [
        pool for pool in client.list_user_pools(MaxResults=60)["UserPools"] if pool["Name"].endswith("-leads")
    ]
    assert len(pools) == 1, pools
    clients = client.list_user_pool_clients(UserPoolId=pools[0]["Id"], MaxResults=60)["UserPoolClients"]
    console = [item["ClientId"] for item in clients if item["ClientName"] == "console"]
    assert len(console) == 1, clients
    return pools[0]["Id"], console[0]


def sign_in(runtime: RuntimeProcess) -> dict[str, Any]:
    """The start line's console login through moto's Cognito: the AuthenticationResult."""
    _, client_id = lead_pool(runtime)
    login = runtime["console_login"]
    result: dict[str, Any] = cognito(runtime).initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": login["username"], "PASSWORD": login["password"]},
    )["AuthenticationResult"]
    return result


def me(runtime: RuntimeProcess, authorization: str | None) -> requests.Response:
    headers = {} if authorization is None else {"Authorization": authorization}
    return requests.get(runtime.url("/v1/me"), headers=headers, timeout=30)


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


def test_the_console_login_passes_the_authorizer_and_nothing_else_does(runtime: RuntimeProcess) -> None:
    # GIVEN the start line's console login, signed in through moto's Cognito
    tokens = sign_in(runtime)
    id_token = tokens["IdToken"]
    # WHEN /v1/me is called with the ID token (with and without "Bearer "), and with the access token
    passed = [
        me(runtime, f"Bearer {id_token}"),
        me(runtime, id_token),
        me(runtime, f"Bearer {tokens['AccessToken']}"),
    ]
    # THEN the authorizer lets each through to the cases function
    assert [response.status_code for response in passed if response.status_code == 401] == []
    if passed[0].status_code == 200:  # the cases function reads the claims: Kari, lead of support-emea
        answer = passed[0].json()
        assert answer["actor"] == "kari" and [team["id"] for team in answer["teams"]] == ["support-emea"]
    # AND without a token, or with a tampered one, API Gateway's own 401 answers
    header, payload, signature = id_token.split(".")
    forged_claims = {**claims_of(id_token), "cognito:groups": ["admin"]}
    forged = base64.urlsafe_b64encode(json.dumps(forged_claims).encode()).decode().rstrip("=")
    for authorization in (None, "Bearer ", f"Bearer {header}.{forged}.{signature}", f"Bearer {payload}"):
        refused = me(runtime, authorization)
        assert (refused.status_code, refused.json()) == (401, UNAUTHORIZED), authorization


def test_the_demo_login_is_kari_a_lead_of_support_emea(runtime: RuntimeProcess) -> None:
    # GIVEN the runtime's user pool
    pool_id, _ = lead_pool(runtime)
    client = cognito(runtime)
    # WHEN the console login signs in
    claims = claims_of(sign_in(runtime)["IdToken"])
    # THEN it is Kari, whom config/teams.yaml names as a level-1 contact of support-emea, in that team's group
    assert runtime["console_login"]["username"] == "kari@example.com"
    assert claims["email"] == "kari@example.com" and "team-support-emea" in claims["cognito:groups"]
    # AND every configured team has its group, next to the template's admin group
    groups = {group["GroupName"] for group in client.list_groups(UserPoolId=pool_id)["Groups"]}
    assert {"admin", "team-support-emea", "team-support-apac"} <= groups


def test_a_session_outlives_clock_jumps_and_restarts(start_runtime: Any, tmp_path: Path) -> None:
    # GIVEN a runtime with --state and a lead signed in
    state = str(tmp_path / "state")
    first = start_runtime("--state", state)
    token = sign_in(first)["IdToken"]
    # WHEN the virtual clock moves three days ahead (tokens expire by the real clock, as in AWS)
    moved = requests.post(
        first.url("/_local/clock"), json={"advance_seconds": 3 * 86400, "catch_up": "last"}, timeout=120
    )
    assert moved.status_code == 200, moved.text
    # THEN the one-hour token still passes
    assert me(first, f"Bearer {token}").status_code != 401
    # AND after a restart from the same state the same login signs in, and the old token still passes
    first.stop()
    second = start_runtime("--state", state)
    assert second["console_login"] == first["console_login"]
    assert me(second, f"Bearer {token}").status_code != 401
    fresh = sign_in(second)["IdToken"]
    assert "team-support-emea" in claims_of(fresh)["cognito:groups"]
    assert me(second, f"Bearer {fresh}").status_code != 401
