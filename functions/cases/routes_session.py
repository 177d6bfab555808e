"""Signing in (`POST /v1/session`) and who the signed-in lead is (`GET /v1/me`)."""

from __future__ import annotations

import base64
import json
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, ConfigDict, Field
from services import cases, client_id, sign_in_throttle, user_pool

from recovery import clock
from recovery.domain.cases import Lead
from recovery.errors import TransientFailure
from recovery.web import auth, http, requests

router = Router()


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Cognito's user names are letters, marks, symbols, numbers and punctuation: no spaces or controls.
    username: str = Field(min_length=1, max_length=128, pattern=r"^[^\s\x00-\x1f\x7f-\x9f]+$")
    password: str = Field(min_length=1, max_length=256)
    new_password: str | None = Field(default=None, min_length=1, max_length=256)


@router.post("/v1/session")
def sign_in() -> Response[str]:
    """Sign in with the user pool (USER_PASSWORD_AUTH). A first sign-in with a temporary password is
    answered 403 with `"challenge": "NEW_PASSWORD_REQUIRED"`; the same request with `new_password` sets
    it. The password is never logged.

    Each attempt is counted against the user name and the caller's address before the user pool sees it
    (services.sign_in): too many is 429 with Retry-After, and the password is not checked then."""
    event = router.current_event
    credentials = requests.validated(SignIn, requests.json_body(event))
    attempt = sign_in_throttle.admit(credentials.username, _source_ip(event.raw_event), clock.now())
    cognito = user_pool()
    try:
        answer = cognito.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=client_id,
            AuthParameters={"USERNAME": credentials.username, "PASSWORD": credentials.password},
        )
        sign_in_throttle.succeeded(attempt)  # the password was right, whatever step comes next
        if answer.get("ChallengeName") == "NEW_PASSWORD_REQUIRED" and credentials.new_password:
            answer = cognito.respond_to_auth_challenge(
                ClientId=client_id,
                ChallengeName="NEW_PASSWORD_REQUIRED",
                Session=answer["Session"],
                ChallengeResponses={
                    "USERNAME": credentials.username,
                    "NEW_PASSWORD": credentials.new_password,
                },
            )
    except (
        cognito.exceptions.NotAuthorizedException,
        cognito.exceptions.UserNotFoundException,
        cognito.exceptions.UserNotConfirmedException,
        cognito.exceptions.PasswordResetRequiredException,
    ):
        # One answer for every reason a name and password don't sign in: none tells who exists.
        return http.problem(401, "Unauthorized", "wrong user name or password")
    except cognito.exceptions.InvalidParameterException:
        return http.problem(400, "Invalid request", "the user pool refused the user name or password")
    except (cognito.exceptions.TooManyRequestsException, cognito.exceptions.LimitExceededException) as error:
        raise TransientFailure("the user pool is throttling sign-ins") from error
    except cognito.exceptions.InvalidPasswordException as error:
        detail = error.response.get("Error", {}).get("Message", "the new password is too weak")
        return http.problem(400, "Invalid request", detail, [{"pointer": "/new_password", "detail": detail}])
    if "AuthenticationResult" not in answer:
        return _challenge(str(answer.get("ChallengeName")))
    result = answer["AuthenticationResult"]
    token = result["IdToken"]
    lead = cases.lead(_unverified_claims(token))
    return http.json_response(
        200, {"token": token, "expires_in": result.get("ExpiresIn", 3600), "user": _me(lead)}
    )


def _source_ip(event: dict[str, Any]) -> str | None:
    """The caller's address as API Gateway saw it (`requestContext.http.sourceIp`), never a header the
    caller could write."""
    context = event.get("requestContext") or {}
    address = (context.get("http") or {}).get("sourceIp")
    return address if isinstance(address, str) else None


def _challenge(challenge: str) -> Response[str]:
    """403 for a sign-in that needs one more step; `challenge` names it (a problem document plus)."""
    document = {
        "type": "about:blank",
        "title": "Sign-in incomplete",
        "status": 403,
        "detail": "choose a new password"
        if challenge == "NEW_PASSWORD_REQUIRED"
        else f"the account needs {challenge}",
        "challenge": challenge,
    }
    return Response(403, http.PROBLEM, json.dumps(document), headers=dict(http.NO_STORE))


def _unverified_claims(token: str) -> dict[str, Any]:
    """The claims of a token Cognito just handed us over TLS (describes the user to the console only;
    every API call is checked by the authorizer)."""
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


@router.get("/v1/me")
def me() -> Response[str]:
    return http.json_response(200, _me(cases.lead(auth.claims(router.current_event))))


def _me(lead: Lead) -> dict[str, Any]:
    config = cases.config()
    names = {team.id: team.name for team in config.teams} if config else {}
    visible = cases.visible_teams(lead)
    return {
        "user": lead.user,
        "actor": lead.actor,
        "admin": lead.admin,
        "teams": [{"id": team, "name": names.get(team, team)} for team in visible],
    }
