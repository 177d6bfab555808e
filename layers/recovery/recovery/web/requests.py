"""Reading a request at the HTTP edge: headers, the body (size, media type, JSON, a model), query
parameters, If-Match and Accept. Whatever is wrong raises `Problem` with the document the caller gets.

The gate functions (`require_json`, `lower_headers`) read the raw API Gateway v2 event, before routing;
the others read the Powertools event a route sees.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import date
from typing import Any, TypeVar, overload
from urllib.parse import parse_qs

from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent
from pydantic import BaseModel, ValidationError

from recovery.domain import json_input
from recovery.web.http import Problem, invalid

MAX_BODY = 256 * 1024
_UNION_TAGS = frozenset({"nps", "csat", "stars", "ces", "thumbs", "custom"})
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SURROGATE = re.compile("[\ud800-\udfff]")
Model = TypeVar("Model", bound=BaseModel)


# ------------------------------------------------------------------------------------ before routing
def body_size(event: Mapping[str, Any]) -> int:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return len(body) * 3 // 4
    return len(body.encode("utf-8", "surrogatepass"))


def lower_headers(event: Mapping[str, Any]) -> dict[str, str]:
    """Header names lower-cased (API Gateway v2 does it already; other callers may not)."""
    return {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}


def require_json(event: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> None:
    """400 for an empty body, 413 over 256 KiB, 415 unless the body is declared JSON."""
    size = body_size(event)
    if size == 0:
        raise Problem(400, "Malformed JSON", "the body is empty")
    if size > MAX_BODY:
        raise Problem(413, "Payload too large", f"the body is larger than {MAX_BODY // 1024} KiB")
    _require_json_type(headers or lower_headers(event))
    body_text(event)  # 400 now for bytes that aren't text, before anything reads them


def _require_json_type(headers: Mapping[str, str]) -> None:
    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        raise Problem(415, "Unsupported media type", "send the body as application/json")


def body_text(event: Mapping[str, Any]) -> str:
    """The body as text: 400 when it is not valid base64 (as flagged) or not UTF-8. Powertools'
    `decoded_body` raises on both, which would answer 500."""
    body = event.get("body") or ""
    if not isinstance(body, str):
        raise Problem(400, "Malformed body", "the body is not text")
    if not event.get("isBase64Encoded"):
        if _SURROGATE.search(body):  # bytes a server let through as lone surrogates
            raise Problem(400, "Malformed body", "the body is not valid UTF-8")
        return body
    try:
        raw = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise Problem(400, "Malformed body", "the body is not valid base64") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Problem(400, "Malformed body", f"the body is not valid UTF-8 (byte {error.start})") from None


def form_fields(
    event: Mapping[str, Any], names: Collection[str], *, most: int, max_size: int = 16 * 1024
) -> dict[str, str] | None:
    """A form body's fields among `names`, the first value of each; None for a body that is not text,
    larger than `max_size` or with more than `most` fields: it is not the form, and a page answers it
    with its own 400."""
    try:
        body = body_text(event)
    except Problem:
        return None
    if len(body) > max_size:
        return None
    try:
        fields = parse_qs(body, keep_blank_values=True, max_num_fields=most, errors="strict")
    except (ValueError, UnicodeDecodeError):  # too many fields, or a %-escape that is not UTF-8
        return None
    return {name: values[0] for name, values in fields.items() if values and name in names}


def parse_json(text: str) -> Any:
    """`text` as JSON from outside (`domain.json_input`): 400 naming what is wrong. Also the JSON reader
    of resolvers whose models Powertools validates (`json_body_deserializer`)."""
    try:
        return json_input.loads(text)
    except json_input.JsonRefused as refused:
        raise Problem(400, "Malformed JSON", f"the body is {refused.reason}") from None


# ---------------------------------------------------------------------------------------- the body
def json_body(event: BaseProxyEvent, *, empty: str | None = None) -> Any:
    """The body as JSON. 400 when it is empty (unless `empty` stands in for it), not text or not JSON
    within the limits, 413 when it is too large, 415 when a body is sent as anything but JSON."""
    raw_event = event.raw_event
    if body_size(raw_event) > MAX_BODY:
        raise Problem(413, "Payload too large", f"the body is larger than {MAX_BODY // 1024} KiB")
    raw = body_text(raw_event).strip()
    if not raw and empty is not None:
        return parse_json(empty)
    if not raw:
        raise Problem(400, "Malformed JSON", "the body is empty")
    _require_json_type(lower_headers(raw_event))
    return parse_json(raw)


def validated(model: type[Model], document: Any, pointer_of: Callable[[str], str] | None = None) -> Model:
    """`document` as `model`; 400 listing each error at its JSON Pointer (rewritten by `pointer_of`)."""
    try:
        return model.model_validate(document)
    except ValidationError as error:
        listed = []
        for item in error.errors():
            at = pointer(item["loc"])
            listed.append(
                {
                    "pointer": pointer_of(at) if pointer_of else at,
                    "detail": str(item["msg"]).removeprefix("Value error, "),
                }
            )
        raise Problem(400, "Invalid request", "the body does not match the schema", listed) from None


def pointer(location: Iterable[Any]) -> str:
    """A pydantic error location as a JSON Pointer into the request body: ("body","score","nps","value")
    -> "/score/value". Discriminator tags that pydantic inserts are dropped."""
    parts = list(location)
    if parts and parts[0] == "body":
        parts = parts[1:]
    kept: list[str] = []
    for index, part in enumerate(parts):
        if part in _UNION_TAGS and index > 0 and parts[index - 1] == "score":
            continue
        kept.append(str(part).replace("~", "~0").replace("/", "~1"))
    return "/" + "/".join(kept) if kept else ""


def validation_errors(errors: Iterable[Mapping[str, Any]]) -> tuple[bool, list[dict[str, str]]]:
    """(malformed JSON?, [{"pointer", "detail"}]) from Powertools' RequestValidationError.errors()."""
    malformed = False
    listed: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for error in errors:
        if error.get("type") == "json_invalid":
            malformed = True
            continue
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        entry = (pointer(error.get("loc", ())), message)
        if entry not in seen:
            seen.add(entry)
            listed.append({"pointer": entry[0], "detail": entry[1]})
    return malformed, listed


# ----------------------------------------------------------------------------------------- headers
def if_match(event: BaseProxyEvent) -> int | None:
    """The version an If-Match header names (`"3"`, `W/"3"` or `3`); None without one, or for a value
    that names no version."""
    value = (event.headers.get("if-match") or "").strip().removeprefix("W/").strip('"')
    return int(value) if value.isdigit() else None


def require_if_match(event: BaseProxyEvent, subject: str) -> int:
    """The version a write must name: 428 without If-Match, 412 when it names no version of `subject`."""
    if not event.headers.get("if-match"):
        raise Problem(428, "Precondition required", "send If-Match with the ETag from GET")
    version = if_match(event)
    if version is None:
        raise Problem(412, "Precondition failed", f"If-Match is not an ETag of this {subject}")
    return version


def accepts(event: BaseProxyEvent, media_type: str) -> bool:
    """Whether the Accept header names `media_type` (parameters and q-values aside)."""
    accept = event.headers.get("accept") or ""
    return any(part.split(";")[0].strip().lower() == media_type for part in accept.split(","))


# ----------------------------------------------------------------------------------- query string
class Query:
    """A request's query parameters, each read as the API documents it: a bad one is a 400 that names
    it (`{"pointer": "/limit", "in": "query"}`)."""

    def __init__(self, event: BaseProxyEvent) -> None:
        self.values: dict[str, str] = dict(event.query_string_parameters or {})

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.values.get(name, default)

    @overload
    def choice(self, name: str, allowed: Iterable[str], default: str) -> str: ...
    @overload
    def choice(self, name: str, allowed: Iterable[str], default: None = None) -> str | None: ...
    def choice(self, name: str, allowed: Iterable[str], default: str | None = None) -> str | None:
        """`name`, one of `allowed` (or `default` when absent)."""
        value = self.values.get(name, default)
        allowed = tuple(allowed)
        if value is not None and value not in allowed:
            raise invalid(f"/{name}", f"{name} must be one of {', '.join(allowed)}")
        return value

    def whole(self, name: str, highest: int, lowest: int = 0) -> int | None:
        text = self.values.get(name)
        if text is None:
            return None
        if not text.isdigit() or not lowest <= int(text) <= highest:
            raise invalid(f"/{name}", f"{name} must be a whole number from {lowest} to {highest}")
        return int(text)

    def limit(self, default: int, highest: int = 100) -> int:
        """`limit`, the size of a page: 1 to `highest`."""
        found = self.whole("limit", highest, lowest=1)
        return default if found is None else found

    def date(self, name: str) -> date | None:
        text = self.values.get(name)
        if text is None:
            return None
        try:
            if not _DATE.match(text):
                raise ValueError(text)
            return date.fromisoformat(text)
        except ValueError:
            raise invalid(f"/{name}", f"{name} must be a date, YYYY-MM-DD") from None
