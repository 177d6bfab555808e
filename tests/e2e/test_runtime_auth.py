"""Who the runtime's JWT authorizer trusts: tokens its own Cognito signs, with the key pair the runtime
keeps in its state directory, and never a token signed with the private key moto ships in its source."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey
from moto.utilities.utils import load_resource

from tests.e2e.conftest import RuntimeProcess

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]

# moto/cognitoidp/resources/jwks-private.json: public, so anyone can sign with it
MOTO_KEY = RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))


def part(token: str, index: int) -> dict[str, Any]:
    segment = token.split(".")[index]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    return decoded


def cases(runtime: RuntimeProcess, token: str) -> requests.Response:
    return requests.get(runtime.url("/v1/cases"), headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_a_token_signed_with_motos_key_is_refused_and_the_runtimes_own_sign_in_works(
    runtime: RuntimeProcess,
) -> None:
    # GIVEN a lead signed in through the runtime (POST /v1/session, the console's way)
    answer = requests.post(runtime.url("/v1/session"), json=runtime["console_login"], timeout=30)
    assert answer.status_code == 200, answer.text
    token = answer.json()["token"]
    # AND tokens with the same claims, made admin and valid for an hour, signed with moto's private key:
    # once under moto's kid, once under the runtime's
    claims = {**part(token, 1), "cognito:groups": ["admin"], "iat": int(time.time()) - 5}
    claims["exp"] = int(time.time()) + 3600
    forged = [
        jwt.encode({"alg": "RS256", "kid": kid}, claims, MOTO_KEY) for kid in ("dummy", part(token, 0)["kid"])
    ]
    # WHEN each calls a lead route
    refused = [cases(runtime, token) for token in forged]
    # THEN API Gateway's 401 answers before the function runs
    assert [(response.status_code, response.json()) for response in refused] == [
        (401, {"message": "Unauthorized"})
    ] * 2
    # AND the runtime's own token works, signed by a key of its own rather than moto's
    assert part(token, 0)["kid"] != "dummy"
    assert cases(runtime, token).status_code == 200
    # AND that key, alone, is what the moto server publishes as the pool's key set
    pool = part(token, 1)["iss"].rsplit("/", 1)[1]
    published = requests.get(f"{runtime.moto_url}/{pool}/.well-known/jwks.json", timeout=30).json()
    assert [key["kid"] for key in published["keys"]] == [part(token, 0)["kid"]]
