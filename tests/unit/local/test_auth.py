"""The embedded runtime's JWT authorizer: API Gateway's checks, on tokens as the runtime's Cognito signs
them, with the runtime's own key and never moto's published one."""

from __future__ import annotations

import json
import logging
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey
from moto import mock_aws
from moto.utilities.utils import load_resource
from werkzeug.test import Client

from local.auth import KEY_FILE, JwtAuthorizer, SigningKey, build_authorizers, sign_cognito_tokens_with
from local.clock import VirtualClock
from local.http_api import Forbidden, Router, Unauthorized
from local.refs import Names
from local.server import LocalApp, allow_all
from local.template import HttpApiDef, RouteDef, TemplateError

NOW = 1_800_000_000.0  # the real wall clock, as the authorizer reads it
ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_pool"
CLIENT_ID = "console-client"
ROUTE = RouteDef("GET", "/v1/me", "CasesFunction", "LeadJwt")
KEY = SigningKey.generate()  # the runtime's own
MOTO_KEY = RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))  # moto ships it


def sign(claims: dict[str, Any], key: RSAKey = KEY.private, kid: str | None = KEY.kid) -> str:
    """A token signed like the runtime's Cognito signs them (RS256, the key's thumbprint as kid)."""
    header = {"alg": "RS256", **({"kid": kid} if kid else {})}
    return jwt.encode(header, claims, key)


def id_token(**changes: Any) -> str:
    claims = {
        "iss": ISSUER,
        "sub": "3f1c",
        "aud": CLIENT_ID,
        "token_use": "id",
        "iat": int(NOW) - 60,
        "auth_time": int(NOW) - 60,
        "exp": int(NOW) + 3540,
        "email": "kari@example.com",
        "email_verified": True,
        "cognito:username": "kari@example.com",
        "cognito:groups": ["admin", "team-support-emea"],
    }
    claims.update(changes)
    return sign({key: value for key, value in claims.items() if value is not ...})


def authorizer(clock: float = NOW) -> JwtAuthorizer:
    definition = {
        "type": "jwt",
        "identitySource": "$request.header.Authorization",
        "jwtConfiguration": {"issuer": ISSUER, "audience": [CLIENT_ID]},
    }
    return JwtAuthorizer.from_definition("LeadJwt", definition, KEY.key_set(), wall_clock=lambda: clock)


def event(authorization: str | None) -> dict[str, Any]:
    headers = {} if authorization is None else {"authorization": authorization}
    return {"headers": headers, "requestContext": {}}


# ---------------------------------------------------------------------------------------- accepted
def test_a_good_id_token_passes_with_claims_as_api_gateway_hands_them_over() -> None:
    # GIVEN an ID token from the pool, for the console client, with two groups
    token = id_token()
    # WHEN a request carries it as a bearer token
    context = authorizer()(ROUTE, event(f"Bearer {token}"))
    # THEN the claims arrive as payload 2.0 strings: numbers and booleans as text, arrays as "[a b]"
    claims = context["jwt"]["claims"]
    assert claims["cognito:groups"] == "[admin team-support-emea]"
    assert claims["exp"] == str(int(NOW) + 3540) and claims["email_verified"] == "true"
    assert claims["email"] == "kari@example.com" and claims["aud"] == CLIENT_ID
    assert all(isinstance(value, str) for value in claims.values())
    # AND a route without scopes gets scopes null
    assert context["jwt"]["scopes"] is None


def test_the_bearer_prefix_is_optional() -> None:
    # GIVEN a token sent bare, as API Gateway also accepts
    context = authorizer()(ROUTE, event(id_token()))
    # THEN it passes
    assert context["jwt"]["claims"]["sub"] == "3f1c"


def test_null_claims_are_left_out_and_objects_arrive_as_json() -> None:
    context = authorizer()(ROUTE, event("Bearer " + id_token(nickname=None, address={"country": "NO"})))
    claims = context["jwt"]["claims"]
    assert "nickname" not in claims
    assert json.loads(claims["address"]) == {"country": "NO"}


def test_an_access_token_is_checked_by_client_id() -> None:
    # GIVEN an access token: no aud, the client in client_id, as Cognito issues them
    token = id_token(token_use="access", aud=..., client_id=CLIENT_ID, scope="aws.cognito.signin.user.admin")
    # WHEN it is sent THEN it passes
    claims = authorizer()(ROUTE, event(f"Bearer {token}"))["jwt"]["claims"]
    assert claims["client_id"] == CLIENT_ID and claims["token_use"] == "access"


def test_an_access_token_for_another_client_is_refused() -> None:
    token = id_token(token_use="access", aud=CLIENT_ID, client_id="other-client")
    with pytest.raises(Unauthorized, match="audience"):
        authorizer()(ROUTE, event(f"Bearer {token}"))


# ---------------------------------------------------------------------------------------- refused
@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        (None, "no token"),
        ("", "no token"),
        ("Bearer ", "no token"),
        ("Bearer not-a-token", "does not verify"),
        ("Bearer a.b.c", "does not verify"),
    ],
)
def test_a_missing_or_malformed_token_is_refused(authorization: str | None, reason: str) -> None:
    with pytest.raises(Unauthorized, match=reason):
        authorizer()(ROUTE, event(authorization))


def test_a_tampered_token_is_refused() -> None:
    # GIVEN a good token whose payload is swapped for one granting admin to someone else
    header, _, signature = id_token().split(".")
    _, forged_payload, _ = id_token(sub="intruder").split(".")
    # WHEN it is sent THEN the signature no longer matches
    with pytest.raises(Unauthorized, match="does not verify"):
        authorizer()(ROUTE, event(f"Bearer {header}.{forged_payload}.{signature}"))


def test_a_token_signed_with_another_key_is_refused() -> None:
    other = RSAKey.generate_key(2048)
    with pytest.raises(Unauthorized, match="does not verify"):
        authorizer()(
            ROUTE, event("Bearer " + jwt.encode({"alg": "RS256", "kid": "dummy"}, {"iss": ISSUER}, other))
        )


def test_a_token_signed_with_motos_published_key_is_refused() -> None:
    # GIVEN a token with every claim right, admin included, signed with the private key moto ships,
    # once with moto's kid and once naming the runtime's key
    claims = {"cognito:groups": ["admin"]}
    for kid in ("dummy", KEY.kid):
        forged = id_token(**claims).split(".")[1]
        header = {"alg": "RS256", "kid": kid}
        token = jwt.encode(header, json.loads(base64url_decode(forged)), MOTO_KEY)
        # WHEN it is sent THEN the signature does not verify with the runtime's key
        with pytest.raises(Unauthorized, match="does not verify"):
            authorizer()(ROUTE, event(f"Bearer {token}"))


def base64url_decode(part: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def test_a_token_without_kid_is_refused() -> None:
    claims = {"iss": ISSUER, "aud": CLIENT_ID, "token_use": "id", "exp": int(NOW) + 60}
    with pytest.raises(Unauthorized, match="signing key"):
        authorizer()(ROUTE, event("Bearer " + sign(claims, kid=None)))


def test_an_expired_token_is_refused_by_the_wall_clock() -> None:
    # GIVEN a token that expired one second ago by the real time
    token = id_token(exp=int(NOW) - 1)
    # WHEN it is sent THEN it is refused
    with pytest.raises(Unauthorized, match="expired"):
        authorizer()(ROUTE, event(f"Bearer {token}"))
    # AND the same token still passes a second before it expires
    assert authorizer(clock=NOW - 2)(ROUTE, event(f"Bearer {token}"))["jwt"]["claims"]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"}, "another issuer"),
        ({"iss": ...}, "another issuer"),
        ({"aud": "other-client"}, "another audience"),
        ({"aud": ..., "client_id": CLIENT_ID}, "another audience"),  # an ID token names its client in aud
        ({"token_use": "refresh"}, "neither an ID token nor an access token"),
        ({"exp": ...}, "no expiry"),
        ({"nbf": int(NOW) + 600}, "nbf is in the future"),
        ({"iat": int(NOW) + 600}, "iat is in the future"),
    ],
)
def test_a_token_for_someone_else_or_not_yet_valid_is_refused(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(Unauthorized, match=reason):
        authorizer()(ROUTE, event("Bearer " + id_token(**changes)))


def test_a_token_without_token_use_may_name_its_audience_either_way() -> None:
    token = id_token(token_use=..., aud=..., client_id=CLIENT_ID)
    assert authorizer()(ROUTE, event(f"Bearer {token}"))["jwt"]["claims"]["client_id"] == CLIENT_ID


# ---------------------------------------------------------------------------------------- scopes
def test_a_route_with_scopes_needs_one_of_them_and_receives_the_tokens_scopes() -> None:
    # GIVEN a route that declares scopes
    route = RouteDef("GET", "/v1/reports", "ReportsFunction", "LeadJwt", ("reports/read", "reports/all"))
    # WHEN a token with one of them is sent THEN it passes with its scopes listed
    token = id_token(token_use="access", aud=..., client_id=CLIENT_ID, scope="openid reports/read")
    assert authorizer()(route, event(f"Bearer {token}"))["jwt"]["scopes"] == ["openid", "reports/read"]
    # AND a token with none of them is forbidden
    with pytest.raises(Forbidden):
        authorizer()(route, event("Bearer " + id_token()))


# ---------------------------------------------------------------------------------------- from the template
def test_built_from_the_template_definition_with_intrinsics_resolved() -> None:
    # GIVEN the HttpApi's authorizers as the expanded template gives them, still with Fn::Sub and Ref
    api = HttpApiDef(
        "HttpApi",
        (ROUTE,),
        {
            "LeadJwt": {
                "type": "jwt",
                "identitySource": "$request.header.Authorization",
                "jwtConfiguration": {
                    "issuer": {"Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${LeadPool}"},
                    "audience": [{"Ref": "LeadPoolClient"}],
                },
            }
        },
    )
    names = Names(
        refs={"AWS::Region": "us-east-1", "LeadPool": "us-east-1_pool", "LeadPoolClient": CLIENT_ID}
    )
    # WHEN the authorizers are built with this runtime's names
    built = build_authorizers([api], names, KEY.key_set())
    # THEN the JWT authorizer checks this pool and client
    lead_jwt = built["LeadJwt"]
    assert isinstance(lead_jwt, JwtAuthorizer)
    assert (lead_jwt.issuer, lead_jwt.audience, lead_jwt.header) == (ISSUER, {CLIENT_ID}, "authorization")


def test_an_unknown_authorizer_type_stays_open_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    api = HttpApiDef("HttpApi", (), {"Custom": {"type": "request", "authorizerUri": "arn:..."}})
    with caplog.at_level(logging.WARNING, logger="local.auth"):
        built = build_authorizers([api], Names(), KEY.key_set())
    assert built["Custom"] is allow_all
    assert "Custom: request authorizers are not enforced locally" in caplog.text


@pytest.mark.parametrize(
    "definition",
    [
        {"type": "jwt", "jwtConfiguration": {"audience": [CLIENT_ID]}},
        {"type": "jwt", "jwtConfiguration": {"issuer": ISSUER, "audience": []}},
        {
            "type": "jwt",
            "identitySource": "$request.querystring.token",
            "jwtConfiguration": {"issuer": ISSUER},
        },
    ],
)
def test_a_jwt_authorizer_the_runtime_cannot_enforce_stops_the_start(definition: dict[str, Any]) -> None:
    with pytest.raises(TemplateError, match="LeadJwt"):
        build_authorizers([HttpApiDef("HttpApi", (), {"LeadJwt": definition})], Names(), KEY.key_set())


# ---------------------------------------------------------------------------------------- over HTTP
def test_the_app_answers_401_like_api_gateway_and_never_logs_the_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # GIVEN the app with the authorizer, a route behind it, and a route naming an authorizer it lacks
    orphan = RouteDef("GET", "/v1/orphan", "CasesFunction", "Missing")
    unused: Any = None  # no function, dispatcher or outbox is reached on a refusal
    clock = VirtualClock(datetime.fromtimestamp(NOW, UTC))
    app = LocalApp(Router([ROUTE, orphan]), unused, clock, unused, unused, {"LeadJwt": authorizer()})
    client = Client(app)
    token = id_token(exp=int(NOW) - 1)
    # WHEN an expired token is sent, and the orphan route is called
    with caplog.at_level(logging.DEBUG):
        expired = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
        closed = client.get("/v1/orphan", headers={"Authorization": f"Bearer {id_token()}"})
    # THEN both are 401 with API Gateway's body, before any function runs
    assert expired.status_code == 401 and expired.get_json() == {"message": "Unauthorized"}
    assert closed.status_code == 401
    # AND the reason is logged, the token is not
    assert "the token has expired" in caplog.text
    assert token.split(".")[2] not in caplog.text and token.split(".")[1] not in caplog.text


# ---------------------------------------------------------------------------------------- the signing key
def test_the_key_is_made_once_per_state_directory_readable_by_its_owner_only(tmp_path: Path) -> None:
    # GIVEN a state directory without a key
    state = tmp_path / "state"
    # WHEN the runtime starts twice from it
    first = SigningKey.for_state(state)
    second = SigningKey.for_state(state)
    # THEN the key was written once, mode 0600, and is the same key both times
    assert stat.S_IMODE((state / KEY_FILE).stat().st_mode) == 0o600
    assert first.kid == second.kid and first.public() == second.public()
    assert not list(state.glob(".key-*"))
    # AND a token signed before the restart still verifies with the key set of after
    token = first.sign({}, {"sub": "kari"})
    assert jwt.decode(token, second.key_set()).claims == {"sub": "kari"}
    # AND the key set holds the public half only
    assert "d" not in second.key_set().keys[0].as_dict()


def test_without_a_state_directory_every_run_has_a_key_of_its_own() -> None:
    assert SigningKey.for_state(None).kid != SigningKey.for_state(None).kid


def test_a_key_file_others_could_read_is_made_private(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key = SigningKey.for_state(tmp_path)
    (tmp_path / KEY_FILE).chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="local.auth"):
        assert SigningKey.for_state(tmp_path).kid == key.kid
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600
    assert "could be read by others" in caplog.text


def test_a_damaged_key_file_stops_the_start_with_a_message(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE).write_bytes(b"-----BEGIN PRIVATE KEY-----\nnot a key\n")
    with pytest.raises(ValueError, match="not an RSA private key"):
        SigningKey.for_state(tmp_path)


def test_motos_cognito_signs_with_the_runtimes_key_and_its_server_publishes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN moto's Cognito pointed at the runtime's key (undone after the test)
    from moto.cognitoidp import models, responses

    monkeypatch.setattr(models, "jwt", models.jwt)
    published = responses.CognitoIdpJsonWebKeyResponse
    monkeypatch.setattr(published, "json_web_key", published.json_web_key)
    sign_cognito_tokens_with(KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        cognito = boto3.client("cognito-idp")
        pool = cognito.create_user_pool(PoolName="leads")["UserPool"]["Id"]
        client = cognito.create_user_pool_client(
            UserPoolId=pool, ClientName="console", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
        )["UserPoolClient"]["ClientId"]
        cognito.admin_create_user(UserPoolId=pool, Username="kari@example.com", MessageAction="SUPPRESS")
        cognito.admin_set_user_password(
            UserPoolId=pool, Username="kari@example.com", Password="Aa1!" + "a" * 10, Permanent=True
        )
        # WHEN a lead signs in
        tokens = cognito.initiate_auth(
            ClientId=client,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "kari@example.com", "PASSWORD": "Aa1!" + "a" * 10},
        )["AuthenticationResult"]
    # THEN both tokens name and verify with the runtime's key, and not with moto's
    for token in (tokens["IdToken"], tokens["AccessToken"]):
        decoded = jwt.decode(token, KEY.key_set(), algorithms=["RS256"])
        assert decoded.header["kid"] == KEY.kid
        with pytest.raises(JoseError):
            jwt.decode(token, KeySet([RSAKey.import_key(MOTO_KEY.as_dict(private=False))]))
    # AND the moto server's jwks.json publishes the runtime's public key alone
    assert json.loads(published.json_web_key) == {"keys": [KEY.public()]}
