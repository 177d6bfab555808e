"""The cases API for leads (JWT): sign-in, the queue, a case, and every change to it; plus the
compensation approval page (`/c/{code}`) that a level-2 contact opens from their message."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from recovery import clock
from recovery.domain import cases as rules
from recovery.domain.links import Verdict
from recovery.domain.routing import Contact
from recovery.errors import TransientFailure
from recovery.notify.approval import approval_strings, browser_language, compensation_text
from recovery.notify.render import language_of, sentence
from recovery.observability import logger, metrics
from recovery.services.cases import Forbidden, NotFound
from recovery.services.inbound_hooks import SourceAdmin, UnknownSource
from recovery.settings import public_base_url
from recovery.store.cases import BadCursor, StaleCase
from recovery.store.hook_log import BadCursor as BadLogCursor
from recovery.store.hook_log import HookLog
from recovery.store.sources import SourceStore
from recovery.web import http
from recovery.web.case_views import case_document, summary
from recovery.web.pages import page
from recovery.wiring.cases import build_cases, user_pool_client_id
from recovery.wiring.messaging import MessagingSettings

cases = build_cases(MessagingSettings.from_env())
client_id = user_pool_client_id()
source_admin = SourceAdmin(SourceStore(), HookLog(), public_base_url())
app = APIGatewayHttpResolver()

REQUESTS: dict[str, type[BaseModel]] = {
    "ack": rules.AckRequest,
    "actions": rules.ActionRequest,
    "assign": rules.AssignRequest,
    "messages": rules.MessageRequest,
    "resolve": rules.ResolveRequest,
    "reopen": rules.ReopenRequest,
}
# Why an approval link is refused: keys of "refused" in the approval wording (recovery.notify.approval).
REFUSED = {
    Verdict.UNKNOWN: "unknown",
    Verdict.WRONG_PURPOSE: "wrong_purpose",
    Verdict.EXPIRED: "expired",
    Verdict.USED: "used",
}


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=256)
    new_password: str | None = Field(default=None, min_length=1, max_length=256)


# ---------------------------------------------------------------------------------------- sign-in
@app.post("/v1/session")
def sign_in() -> Response[str]:
    """Sign in with the user pool (USER_PASSWORD_AUTH). A first sign-in with a temporary password is
    answered 403 with `"challenge": "NEW_PASSWORD_REQUIRED"`; the same request with `new_password` sets
    it. The password is never logged."""
    credentials = _body(SignIn)
    import boto3

    cognito = boto3.client("cognito-idp")
    refused = http.problem(401, "Unauthorized", "wrong user name or password")
    try:
        answer = cognito.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=client_id,
            AuthParameters={"USERNAME": credentials.username, "PASSWORD": credentials.password},
        )
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
    except (cognito.exceptions.NotAuthorizedException, cognito.exceptions.UserNotFoundException):
        return refused
    except cognito.exceptions.InvalidPasswordException as error:
        detail = error.response.get("Error", {}).get("Message", "the new password is too weak")
        return http.problem(400, "Invalid request", detail, [{"pointer": "/new_password", "detail": detail}])
    if "AuthenticationResult" not in answer:
        challenge = str(answer.get("ChallengeName"))
        document = {
            "type": "about:blank",
            "title": "Sign-in incomplete",
            "status": 403,
            "detail": "choose a new password"
            if challenge == "NEW_PASSWORD_REQUIRED"
            else f"the account needs {challenge}",
            "challenge": challenge,
        }
        return Response(403, http.PROBLEM, json.dumps(document), headers={"Cache-Control": "no-store"})
    result = answer["AuthenticationResult"]
    token = result["IdToken"]
    lead = cases.lead(_unverified_claims(token))
    return _json(200, {"token": token, "expires_in": result.get("ExpiresIn", 3600), "user": _me(lead)})


def _unverified_claims(token: str) -> dict[str, Any]:
    """The claims of a token Cognito just handed us over TLS (describes the user to the console only;
    every API call is checked by the authorizer)."""
    import base64

    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


@app.get("/v1/me")
def me() -> Response[str]:
    return _json(200, _me(_lead()))


def _me(lead: rules.Lead) -> dict[str, Any]:
    config = cases.config()
    names = {team.id: team.name for team in config.teams} if config else {}
    visible = cases.visible_teams(lead)
    return {
        "user": lead.user,
        "actor": lead.actor,
        "admin": lead.admin,
        "teams": [{"id": team, "name": names.get(team, team)} for team in visible],
    }


# ------------------------------------------------------------------------------------------ cases
@app.get("/v1/cases")
def list_cases() -> Response[str]:
    lead = _lead()
    query = app.current_event.query_string_parameters or {}
    status = query.get("status", "open")
    if status not in rules.STATUSES:
        return _bad("/status", f"status must be one of {', '.join(rules.STATUSES)}", "query")
    priority_text = query.get("priority")
    priority = None
    if priority_text is not None:
        if priority_text not in ("P1", "P2", "P3", "P4"):
            return _bad("/priority", "priority must be P1, P2, P3 or P4", "query")
        priority = int(priority_text[1])
    limit_text = query.get("limit", "25")
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= 100:
        return _bad("/limit", "limit must be a whole number from 1 to 100", "query")
    team, found = cases.queue(lead, query.get("team"), status, priority, int(limit_text), query.get("cursor"))
    now = clock.now()
    return _json(
        200,
        {
            "team": team,
            "status": status,
            "items": [summary(case, now) for case in found.items],
            "next_cursor": found.next_cursor,
        },
    )


@app.get("/v1/cases/<case_id>")
def get_case(case_id: str) -> Response[str]:
    view = cases.get(_lead(), case_id)
    return _json(200, case_document(view, clock.now()), etag=int(view.case.version or 0))


@app.post("/v1/cases/<case_id>/<operation>")
def change_case(case_id: str, operation: str) -> Response[str]:
    lead = _lead()
    model = REQUESTS.get(operation)
    if model is None:
        return http.problem(404, "Not found", f"no operation {operation!r}; use {', '.join(REQUESTS)}")
    version = _if_match()
    request = _body(model, empty_ok=operation == "ack")
    if isinstance(request, rules.AckRequest):
        case = cases.acknowledge(lead, case_id, version)
    elif isinstance(request, rules.ActionRequest):
        case = cases.act(lead, case_id, version, request)
    elif isinstance(request, rules.AssignRequest):
        case = cases.assign(lead, case_id, version, request)
    elif isinstance(request, rules.ResolveRequest):
        case = cases.resolve(lead, case_id, version, request)
    elif isinstance(request, rules.ReopenRequest):
        case = cases.reopen(lead, case_id, version, request)
    else:
        assert isinstance(request, rules.MessageRequest)
        result = cases.message(lead, case_id, version, request)
        updated = cases.get(lead, case_id)
        return _json(
            200,
            {"message": result, "case": case_document(updated, clock.now())},
            etag=int(updated.case.version or 0),
        )
    logger.info("case changed", extra={"case_id": case_id, "operation": operation, "actor": lead.actor})
    view = cases.get(lead, case_id)
    status = 202 if operation == "actions" and _pending(case) else 200
    return _json(status, case_document(view, clock.now()), etag=int(case.version or 0))


def _pending(case: Any) -> bool:
    return bool(case.compensations) and case.compensations[-1].get("status") == "pending"


# ------------------------------------------------------------------------- sources (admins only)
@app.get("/v1/sources")
def list_sources() -> Response[str]:
    """The sources and their hook URLs, for the console's delivery log. Never a secret or key hash."""
    _admin()
    return _json(200, {"items": source_admin.listing()})


@app.get("/v1/sources/<source_id>/deliveries")
def source_deliveries(source_id: str) -> Response[str]:
    """A source's delivery log, newest first; `cursor` from the previous page reads older entries."""
    _admin()
    query = app.current_event.query_string_parameters or {}
    limit_text = query.get("limit", "50")
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= 100:
        return _bad("/limit", "limit must be a whole number from 1 to 100", "query")
    found = source_admin.deliveries(source_id, int(limit_text), query.get("cursor"))
    return _json(200, {"items": [entry.as_json() for entry in found.entries], "cursor": found.cursor})


def _admin() -> rules.Lead:
    lead = _lead()
    if not lead.admin:
        raise Forbidden("only admins read sources and their delivery logs")
    return lead


# -------------------------------------------------------------------------------------- approvals
@app.get("/c/<code>")
def approval_page(code: str) -> Response[str]:
    verdict, case, entry, approver = cases.inspect_approval(code, clock.now())
    language = _approval_language(approver)
    if case is None or entry is None or verdict in (Verdict.UNKNOWN, Verdict.WRONG_PURPOSE, Verdict.EXPIRED):
        return _refused(verdict if verdict is not Verdict.OK else Verdict.UNKNOWN, language)
    return _approval_page(case, entry, language)


@app.post("/c/<code>")
def approval_decision(code: str) -> Response[str]:
    form = parse_qs(http.decoded_body(app.current_event.raw_event))
    decision = (form.get("decision") or [""])[0]
    if decision not in ("approve", "decline"):
        _, _, _, approver = cases.inspect_approval(code, clock.now())
        return _refused_page(400, "no_decision", _approval_language(approver))
    verdict, case, entry, approver = cases.decide(code, decision == "approve", clock.now())
    language = _approval_language(approver)
    if verdict is not Verdict.OK or case is None or entry is None:
        return _refused(verdict if verdict is not Verdict.OK else Verdict.UNKNOWN, language)
    logger.info("compensation decided", extra={"case_id": case.case_id, "decision": entry["status"]})
    return _approval_page(case, entry, language)


def _approval_language(approver: Contact | None) -> str:
    """The language of the contact the link was sent to; for a code that names nobody, the browser's."""
    if approver is not None:
        return language_of(approver.language)
    return browser_language(app.current_event.headers.get("accept-language"))


def _approval_page(case: Any, entry: dict[str, Any], language: str) -> Response[str]:
    t = approval_strings(language)
    team = cases.team_of(case.team)

    def name(contact_id: str | None) -> str:
        contact = team.contact(contact_id) if team and contact_id else None
        return contact.name if contact else contact_id or ""

    state = t["statuses"].get(entry["status"], entry["status"])
    if entry.get("decided_by"):
        state = t["decided_by"].format(status=state, name=name(entry["decided_by"]))
    compensation = compensation_text(entry["type"], entry["amount"], entry["currency"], language)
    return page(
        200,
        "approval.html",
        lang=language,
        t=t,
        case=case,
        entry=entry,
        team=team.name if team else case.team or t["unrouted"],
        compensation=sentence(compensation),
        requester=name(entry.get("by")),
        state=state,
    )


def _refused(verdict: Verdict, language: str) -> Response[str]:
    return _refused_page(verdict.http_status, REFUSED[verdict], language)


def _refused_page(status: int, reason: str, language: str) -> Response[str]:
    t = approval_strings(language)
    title, explanation = t["refused"][reason]
    return page(
        status,
        "link_refused.html",
        lang=language,
        page_title=t["refused_title"],
        title=title,
        explanation=explanation,
        hint=t["refused_hint"],
    )


# ---------------------------------------------------------------------------------------- helpers
class _Answer(Exception):
    def __init__(self, response: Response[str]) -> None:
        self.response = response


def _lead() -> rules.Lead:
    context = app.current_event.raw_event.get("requestContext") or {}
    claims = ((context.get("authorizer") or {}).get("jwt") or {}).get("claims")
    return cases.lead(claims)


def _if_match() -> int:
    header = app.current_event.headers.get("if-match") or app.current_event.headers.get("If-Match")
    if not header:
        raise _Answer(http.problem(428, "Precondition required", "send If-Match with the ETag from GET"))
    value = header.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise _Answer(http.problem(412, "Precondition failed", "If-Match is not an ETag of this case"))
    return int(value)


def _body(model: type[Any], empty_ok: bool = False) -> Any:
    raw = http.decoded_body(app.current_event.raw_event).strip()
    if not raw and empty_ok:
        raw = "{}"
    if not raw:
        raise _Answer(http.problem(400, "Malformed JSON", "the body is empty"))
    if len(raw) > http.MAX_BODY:
        raise _Answer(http.problem(413, "Payload too large", "the body is too large"))
    try:
        document = json.loads(raw)
    except json.JSONDecodeError:
        raise _Answer(http.problem(400, "Malformed JSON", "the body is not valid JSON")) from None
    try:
        if model is rules.ActionRequest:
            return model.model_validate({"action": document})
        return model.model_validate(document)
    except ValidationError as error:
        listed = [
            {
                "pointer": _action_pointer(http.pointer(item["loc"]), model),
                "detail": str(item["msg"]).removeprefix("Value error, "),
            }
            for item in error.errors()
        ]
        raise _Answer(
            http.problem(400, "Invalid request", "the body does not match the schema", listed)
        ) from None


def _action_pointer(pointer: str, model: type[Any]) -> str:
    if model is not rules.ActionRequest:
        return pointer
    parts = pointer.split("/")[2:]  # drop "", "action"
    if parts and parts[0] in ("note", "contacted", "apology", "compensation"):
        parts = parts[1:]
    return "/" + "/".join(parts)


def _bad(pointer: str, detail: str, where: str) -> Response[str]:
    return http.problem(400, "Invalid request", detail, [{"pointer": pointer, "detail": detail, "in": where}])


def _json(status: int, document: Any, etag: int | None = None) -> Response[str]:
    headers = {"Cache-Control": "no-store"}
    if etag is not None:
        headers["ETag"] = f'"{etag}"'
    return Response(status, "application/json", json.dumps(document, default=str), headers=headers)


@app.exception_handler(_Answer)
def answer(error: _Answer) -> Response[str]:
    return error.response


@app.exception_handler(rules.NotSignedIn)
def not_signed_in(error: rules.NotSignedIn) -> Response[str]:
    return http.problem(401, "Unauthorized", str(error), headers={"WWW-Authenticate": "Bearer"})


@app.exception_handler(NotFound)
def not_found(error: NotFound) -> Response[str]:
    return http.problem(404, "Not found", str(error))


@app.exception_handler(Forbidden)
def forbidden(error: Forbidden) -> Response[str]:
    return http.problem(403, "Forbidden", str(error))


@app.exception_handler(rules.InvalidTransition)
def conflict(error: rules.InvalidTransition) -> Response[str]:
    return http.problem(409, "Conflict", str(error))


@app.exception_handler(StaleCase)
def stale(error: StaleCase) -> Response[str]:
    return http.problem(412, "Precondition failed", str(error))


@app.exception_handler(BadCursor)
def bad_cursor(error: BadCursor) -> Response[str]:
    return _bad("/cursor", str(error), "query")


@app.exception_handler(BadLogCursor)
def bad_log_cursor(error: BadLogCursor) -> Response[str]:
    return _bad("/cursor", str(error), "query")


@app.exception_handler(UnknownSource)
def unknown_source(error: UnknownSource) -> Response[str]:
    return http.problem(404, "Not found", f"no source {error.args[0]!r}")


@app.exception_handler(TransientFailure)
def transient(error: TransientFailure) -> Response[str]:
    return http.problem(
        503, "Service unavailable", "a storage call failed; retry", headers={"Retry-After": "2"}
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
