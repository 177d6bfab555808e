"""Every exception the API functions answer deliberately, and its answer: one map, registered on each
API function's resolver (`register(app)`, once) and applied to the gate that runs before routing
(`before_routing`). Anything else is a bug, and Lambda answers it 500.

The map names each exception by the module that defines it, and `register` takes those whose module the
function has imported: a function that never loads the reports service cannot raise its exceptions, and
does not pay to import them (ingest's cold start is a budget). A unit test imports every name, so an
exception that moves or is renamed fails there rather than in production.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.metrics import MetricUnit

from recovery.observability import logger, metrics
from recovery.web.http import as_event_response, invalid, problem
from recovery.web.requests import validation_errors

Answer = Callable[[Any], Response[str]]
BEARER = {"WWW-Authenticate": "Bearer"}


def _says(status: int, title: str) -> Answer:
    """A problem document whose detail is the exception's message."""
    return lambda error: problem(status, title, str(error))


def _at(pointer: str) -> Answer:
    """400 naming the query parameter at `pointer`, with the exception's message."""
    return lambda error: invalid(pointer, str(error)).response()


def note_transient(error: Exception) -> None:
    """Log and count a transient AWS failure: the TransientAwsFailure alarm sums them across functions.
    (A page that answers one in HTML calls this too.)"""
    logger.warning("transient AWS failure", extra={"cause": str(error)})
    metrics.add_metric(name="TransientAwsFailure", unit=MetricUnit.Count, value=1)


def _transient(error: Exception) -> Response[str]:
    note_transient(error)
    return problem(503, "Service unavailable", "a storage call failed; retry", headers={"Retry-After": "2"})


def _invalid_body(error: Any) -> Response[str]:
    """A body that failed Powertools' validation (the intake's feedback models)."""
    malformed, errors = validation_errors(error.errors())
    if malformed:
        return problem(400, "Malformed JSON", "the body is not valid JSON")
    return problem(400, "Invalid feedback", "the body does not match the schema", errors)


ANSWERS: Mapping[str, Answer] = {
    # The edge's own refusals, and Powertools' body validation.
    "recovery.web.http.Problem": lambda error: error.response(),
    "aws_lambda_powertools.event_handler.openapi.exceptions.RequestValidationError": _invalid_body,
    # A method and path the function has no route for (Powertools raises it, or answers its own
    # non-problem 404 when nothing is registered for it).
    "aws_lambda_powertools.event_handler.exceptions.NotFoundError": lambda error: problem(
        404, "Not found", str(error) or "no such resource"
    ),
    # Across the service.
    "recovery.errors.Unauthorized": lambda error: problem(401, "Unauthorized", str(error), headers=BEARER),
    "recovery.errors.TransientFailure": _transient,
    "recovery.errors.Conflict": lambda error: problem(
        409, "Conflict", str(error), headers={"Retry-After": "1"}
    ),
    # Leads signing in, and their cases.
    "recovery.services.sign_in.TooManySignIns": lambda error: problem(
        429, "Too many requests", str(error), headers={"Retry-After": str(error.retry_after)}
    ),
    "recovery.domain.cases.NotSignedIn": lambda error: problem(
        401, "Unauthorized", str(error), headers=BEARER
    ),
    "recovery.domain.cases.InvalidTransition": _says(409, "Conflict"),
    "recovery.services.cases.NotFound": _says(404, "Not found"),
    "recovery.services.cases.Forbidden": _says(403, "Forbidden"),
    "recovery.store.cases.StaleCase": _says(412, "Precondition failed"),
    "recovery.store.cases.BadCursor": _at("/cursor"),
    # Reports and markers.
    "recovery.services.reports.UnknownTeam": lambda error: problem(404, "Not found", str(error.args[0])),
    "recovery.services.reports.BadPeriod": _at("/from"),
    "recovery.services.markers.BadMarker": lambda error: problem(
        400, "Invalid marker", error.reason, [{"pointer": error.pointer, "detail": error.reason}]
    ),
    # Survey-tool sources and their delivery logs.
    "recovery.services.inbound_hooks.UnknownSource": lambda error: problem(
        404, "Not found", f"no source {error.args[0]!r}"
    ),
    "recovery.services.inbound_hooks.BadSourceRequest": _says(400, "Invalid source request"),
    "recovery.store.hook_log.BadCursor": _at("/cursor"),
    "recovery.services.inbound_hooks.UnknownEntry": _says(404, "Not found"),
    "recovery.services.inbound_hooks.NotReplayable": _says(409, "Not replayable"),
    # Administration: configuration, customers' data, a case's deliveries.
    "recovery.store.alerting.StaleConfig": _says(412, "Precondition failed"),
    "recovery.services.privacy.BadLookup": _says(400, "Bad customer reference"),
    "recovery.services.privacy.CustomerNotFound": _says(404, "Not found"),
    "recovery.services.case_deliveries.BadCaseId": _says(400, "Invalid case id"),
    "recovery.services.case_deliveries.CaseNotFound": _says(404, "Not found"),
}


def _name(kind: type) -> str:
    return f"{kind.__module__}.{kind.__qualname__}"


def exception_class(name: str) -> type[Exception] | None:
    """The class a map entry names, if its module is loaded."""
    module_name, _, class_name = name.rpartition(".")
    module = sys.modules.get(module_name)
    found = getattr(module, class_name, None) if module is not None else None
    return found if isinstance(found, type) and issubclass(found, Exception) else None


def register(app: ApiGatewayResolver) -> None:
    """Answer every mapped exception the function can raise (call it once its modules are imported)."""
    for name, answer in ANSWERS.items():
        kind = exception_class(name)
        if kind is not None:
            app.exception_handler(kind)(answer)


def answer_to(error: Exception) -> Response[str] | None:
    """The map's answer to `error` (the nearest mapped class in its MRO), or None when it has none."""
    for kind in type(error).__mro__:
        found = ANSWERS.get(_name(kind))
        if found is not None:
            return found(error)
    return None


def before_routing(event: dict[str, Any], gate: Callable[[dict[str, Any]], None]) -> dict[str, Any] | None:
    """Run the function's gate on the raw event: the answer when it refuses (or fails with a mapped
    exception, such as a transient failure reading keys), None to route the request."""
    try:
        gate(event)
    except Exception as error:
        refused = answer_to(error)
        if refused is None:
            raise
        return as_event_response(refused)
    return None
