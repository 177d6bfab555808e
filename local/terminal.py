"""What the runtime's terminal shows: one line per HTTP request and one per triggered call.

Without `--verbose` the functions' own output is kept quiet: Powertools metrics (EMF JSON, one record per
call) are switched off and Powertools logs show warnings and errors only, so the terminal reads as a
list of requests and events. `--verbose` shows everything, as CloudWatch Logs would hold it.

A link code is a bearer secret, so a request line shows its route's placeholder (`/a/{code}`), never
the code; query strings are never shown.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from typing import Any

log = logging.getLogger("local")

# Path parameters a request line never shows: link codes are secrets, customer ids are personal data.
HIDDEN_PARAMETERS = frozenset({"code", "customer_id"})
QUIET_LOGGERS = ("botocore", "boto3", "urllib3", "pynamodb", "samtranslator")


def quiet_environment() -> dict[str, str]:
    """Variables every function gets when the runtime is not verbose."""
    return {"POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "WARNING"}


def quiet_libraries() -> None:
    """Libraries' info logs off; so is Powertools' warning for a call that recorded no metric (with
    metrics off, every call records none)."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("samtranslator").setLevel(logging.ERROR)  # feature toggles it has not heard of
    warnings.filterwarnings("ignore", message="No application metrics to publish")


def shown_path(raw_path: str, template: str | None, parameters: Mapping[str, str]) -> str:
    """The path as a request line shows it: the route's template with each parameter filled in, except
    the hidden ones; a path no route matched is cut after its first segment (it may hold anything)."""
    if template is None or template == "$default":
        first = raw_path.split("/")[1] if raw_path.count("/") >= 1 else ""
        return f"/{first[:40]}" + ("/…" if raw_path.count("/") > 1 or len(first) > 40 else "")
    shown = template
    for name, value in parameters.items():
        if name not in HIDDEN_PARAMETERS:
            shown = shown.replace("{" + name + "+}", value).replace("{" + name + "}", value)
    return shown


def request(method: str, path: str, status: int, milliseconds: float) -> None:
    log.info("%s %s %d %.0f ms", method, path, status, milliseconds)


def trigger(event: Any) -> str | None:
    """What started a call, from its event's shape; None for an HTTP request (it has its own line)."""
    if not isinstance(event, Mapping):
        return "invoke"
    context = event.get("requestContext")
    if isinstance(context, Mapping) and "http" in context:
        return None
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], Mapping):
        first = records[0]
        source = first.get("eventSource") or first.get("EventSource") or ""
        kind = {"aws:dynamodb": "stream", "aws:sqs": "queue", "aws:sns": "sns"}.get(
            source, source or "records"
        )
        return f"{kind} ({len(records)} record{'s' if len(records) != 1 else ''})"
    detail_type = event.get("detail-type")
    if detail_type == "Scheduled Event":
        return "schedule"
    if isinstance(detail_type, str):
        return f"event {detail_type}"
    return "invoke"


def outcome(result: Any, error: BaseException | None) -> str:
    if error is not None:
        return f"failed ({type(error).__name__})"
    if isinstance(result, Mapping):
        failures = result.get("batchItemFailures")
        if isinstance(failures, list) and failures:
            return f"{len(failures)} failed"
    return "ok"


def call(kind: str, function: str, result: Any, error: BaseException | None, milliseconds: float) -> None:
    log.info("%s -> %s %s %.0f ms", kind, function, outcome(result, error), milliseconds)
