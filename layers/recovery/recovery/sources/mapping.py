"""Mappings: from a vendor's webhook body to canonical feedback, by configuration.

A mapping names, for each canonical field, a JMESPath expression over the document
`{"body": ..., "headers": {...}, "query": {...}}` (header names lower-case). The body is read from the raw
bytes as JSON, form-encoded or multipart, so any vendor content type is accepted. The result is validated
into `FeedbackIn`; anything that does not fit is a `MappingError` naming where it went wrong.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from functools import cache
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qs

import jmespath
from jmespath.exceptions import JMESPathError
from jmespath.parser import ParsedResult
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from recovery.domain import contacts, json_input
from recovery.domain.feedback import CustomerValue, FeedbackIn
from recovery.domain.locales import bcp47

if TYPE_CHECKING:
    from recovery.sources.config import Connector

BodyKind = Literal["json", "form", "multipart"]
# hold marks a response in progress (a missing score is expected); with or without it, a delivery with
# no score is held and one with a score accepted. ignore answers 200 and maps nothing.
EventAction = Literal["accept", "hold", "ignore"]
Action = Literal["accept", "hold", "ignore"]
MAX_BODY_BYTES = 256 * 1024
MAX_PARTS = 200


class MappingError(ValueError):
    """A delivery that the mapping cannot turn into feedback. `pointer` says where (`body`,
    `score/value`, `customer/email`, ...), `reason` says why, in words fit for the delivery log."""

    def __init__(self, pointer: str, reason: str) -> None:
        super().__init__(f"{pointer}: {reason}")
        self.pointer = pointer
        self.reason = reason


@cache
def _compiled(expression: str) -> ParsedResult:
    return jmespath.compile(expression)


def _expression(value: str | None) -> str | None:
    if value is not None:
        try:
            _compiled(value)
        except JMESPathError as error:
            raise ValueError(f"not a valid JMESPath expression: {error}") from None
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScoreRule(_Strict):
    """Where the score is, and what kind of score it is."""

    type: Literal["nps", "csat", "stars", "ces", "thumbs", "custom"]
    value: str = Field(description="JMESPath to the answer")
    map: dict[str, float | int | str | None] | None = Field(
        default=None,
        description="applied before type checks; keys compare as text, ignoring case; null: no score yet",
    )
    min: float | None = Field(default=None, description="custom only")
    max: float | None = Field(default=None, description="custom only")
    higher_is_better: bool = True

    _value = field_validator("value")(_expression)

    @model_validator(mode="after")
    def _scale(self) -> ScoreRule:
        if self.type == "custom":
            if self.min is None or self.max is None:
                raise ValueError("a custom score needs min and max")
            if not self.min < self.max:
                raise ValueError("min must be below max")
        elif self.min is not None or self.max is not None:
            raise ValueError("min and max are for custom scores only")
        return self


class ValueRule(_Strict):
    """Where the customer's value is (`customer.value`): its amount, and its currency (an expression, or a
    JMESPath literal such as `'EUR'` when every response of the source is in one currency)."""

    amount: str = Field(description='JMESPath to the amount: a number, or text such as "1200.50"')
    currency: str = Field(description="JMESPath to the ISO 4217 code, or a literal such as 'EUR'")

    _paths = field_validator("*")(_expression)


class CustomerRule(_Strict):
    id: str | None = None
    email: str | None = None
    phone: str | None = None
    name: str | None = None
    locale: str | None = None
    timezone: str | None = None
    value: ValueRule | None = None

    _paths = field_validator("id", "email", "phone", "name", "locale", "timezone")(_expression)


class InteractionRule(_Strict):
    id: str | None = None
    channel: str | None = None
    agent: str | None = None
    team: str | None = None
    product: str | None = None

    _paths = field_validator("*")(_expression)


class MappingSpec(_Strict):
    """A whole mapping, as written under `mapping:` in a source's configuration."""

    body: BodyKind = "json"
    json_field: str | None = Field(default=None, description="a form/multipart field that holds JSON")
    json_field_optional: bool = Field(
        default=False, description="a body without json_field is read as it is (a tool that sends both forms)"
    )
    delivery_id: str | None = Field(default=None, description="the vendor's id of this delivery (dedupe)")
    response_id: str | None = Field(default=None, description="the vendor's id of the response (update)")
    event: str | None = None
    events: dict[str, EventAction] = Field(
        default_factory=dict, description="event name -> action; events not listed are ignored"
    )
    score: ScoreRule
    comment: str | None = None
    customer: CustomerRule = Field(default_factory=CustomerRule)
    interaction: InteractionRule = Field(default_factory=InteractionRule)
    occurred_at: str | None = None
    tags: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict, description="metadata key -> JMESPath")

    _paths = field_validator("delivery_id", "response_id", "event", "comment", "occurred_at", "tags")(
        _expression
    )

    @field_validator("metadata")
    @classmethod
    def _metadata_paths(cls, value: dict[str, str]) -> dict[str, str]:
        for path in value.values():
            _expression(path)
        return value

    @model_validator(mode="after")
    def _events_need_event(self) -> MappingSpec:
        if self.events and self.event is None:
            raise ValueError("events needs event (the expression that reads the event name)")
        return self


@dataclass(frozen=True)
class Mapped:
    """One delivery, mapped.

    `action` is `ignore` for an event the source does not use (the route answers 200), `hold` when the
    response has no score yet (intake holds it and answers 202 until the scored version comes), and
    `accept` otherwise. `feedback` is None only when the delivery is ignored, or held before it can be
    mapped completely (no respondent yet, say): only a scored delivery must map cleanly.
    """

    action: Action
    delivery_id: str | None
    response_id: str | None
    feedback: FeedbackIn | None
    event: str | None = None


def read_body(raw: bytes, content_type: str | None, expect: BodyKind | None = None) -> Any:
    """The body of a delivery, parsed from its exact bytes.

    JSON (also vendor media types such as `application/vnd.surveymonkey.response.v1+json`), form-encoded
    (a dict of field -> text, or a list of texts when a field repeats) or multipart (fields as for forms;
    file parts are left out). `expect` (from the mapping) wins over the content type, which vendors
    sometimes get wrong; multipart still needs the content type's boundary.
    """
    if len(raw) > MAX_BODY_BYTES:
        raise MappingError("body", "too large")
    media = (content_type or "").split(";", 1)[0].strip().lower()
    kind: BodyKind
    if expect is not None:
        kind = expect
    elif media == "application/x-www-form-urlencoded":
        kind = "form"
    elif media.startswith("multipart/"):
        kind = "multipart"
    else:
        kind = "json"
    if kind == "form":
        return _read_form(raw)
    if kind == "multipart":
        return _read_multipart(raw, content_type or "")
    return _read_json(raw)


def document(
    raw: bytes,
    content_type: str | None,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    expect: BodyKind | None = None,
) -> dict[str, Any]:
    """What mapping expressions read: the parsed body, headers with lower-case names, and the query."""
    return {
        "body": read_body(raw, content_type, expect),
        "headers": {name.lower(): value for name, value in headers.items()},
        "query": dict(query),
    }


def apply(connector: Connector, document: Mapping[str, Any]) -> Mapped:
    """Map one delivery's document (see `document`) through the connector's mapping."""
    return apply_mapping(connector.mapping, document)


def apply_mapping(mapping: MappingSpec, document: Mapping[str, Any]) -> Mapped:
    """`apply` for a bare mapping (the dry run of a pasted mapping uses it)."""
    doc = expanded(mapping, document)
    delivery_id = _text(_search(mapping.delivery_id, doc), "delivery_id")
    response_id = _text(_search(mapping.response_id, doc), "response_id")
    event: str | None = None
    configured: EventAction = "accept"
    if mapping.event is not None:
        event = _text(_search(mapping.event, doc), "event")
        if mapping.events:
            configured = mapping.events.get(event or "", "ignore")
    if configured == "ignore":
        return Mapped("ignore", delivery_id, response_id, None, event)
    score = _score(mapping.score, doc)
    action: Action = "accept" if score is not None else "hold"
    candidate = {
        "external_id": response_id,
        "occurred_at": _search(mapping.occurred_at, doc),
        "customer": _customer(mapping.customer, doc),
        "interaction": _fields(mapping.interaction, doc),
        "score": score,
        "comment": _comment(_search(mapping.comment, doc)),
        "tags": _tags(_search(mapping.tags, doc)),
        "metadata": _metadata(mapping.metadata, doc),
    }
    try:
        feedback = FeedbackIn.model_validate(candidate)
    except ValidationError as error:
        first = error.errors()[0]
        pointer = "/".join(str(part) for part in first["loc"]) or "feedback"
        if action == "hold":
            # A response without a score is not used yet; only its scored version must be complete.
            return Mapped("hold", delivery_id, response_id, None, event)
        raise MappingError(pointer, first["msg"]) from None
    return Mapped(action, delivery_id, response_id, feedback, event)


def _read_json(raw: bytes) -> Any:
    try:
        return json_input.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise MappingError("body", "not valid UTF-8") from None
    except json_input.JsonRefused as refused:
        raise MappingError("body", refused.reason) from None


def _read_form(raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
        pairs = parse_qs(text, keep_blank_values=True, errors="strict", max_num_fields=MAX_PARTS)
    except (UnicodeDecodeError, ValueError):
        raise MappingError("body", "not a valid form body") from None
    return {key: values[0] if len(values) == 1 else values for key, values in pairs.items()}


def _read_multipart(raw: bytes, content_type: str) -> dict[str, Any]:
    if "boundary=" not in content_type.lower():
        raise MappingError("body", "multipart body without a boundary")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("utf-8", "replace")
    try:
        message = BytesParser(policy=HTTP).parsebytes(head + raw)
    except Exception:  # the stdlib parser raises many kinds on hostile input
        raise MappingError("body", "not a valid multipart body") from None
    if not message.is_multipart():
        raise MappingError("body", "not a valid multipart body")
    fields: dict[str, Any] = {}
    for count, part in enumerate(message.iter_parts()):
        if count >= MAX_PARTS:
            raise MappingError("body", "too many parts")
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or part.get_filename() is not None:
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        charset = part.get_content_charset() or "utf-8"
        try:
            value = payload.decode(charset, "replace")
        except LookupError:
            value = payload.decode("utf-8", "replace")
        previous = fields.get(name)
        if previous is None:
            fields[name] = value
        elif isinstance(previous, list):
            previous.append(value)
        else:
            fields[name] = [previous, value]
    return fields


def _expand_json_field(body: Any, field: str, optional: bool = False) -> Any:
    if optional and not (isinstance(body, dict) and field in body):
        return body
    if not isinstance(body, dict) or not isinstance(body.get(field), str):
        raise MappingError(f"body/{field}", "missing")
    try:
        parsed = json_input.loads(body[field])
    except json_input.JsonRefused as refused:
        raise MappingError(f"body/{field}", refused.reason) from None
    return {**body, field: parsed}


def _search(expression: str | None, doc: Mapping[str, Any]) -> Any:
    if expression is None:
        return None
    try:
        return _compiled(expression).search(doc)
    except (JMESPathError, TypeError, ValueError, RecursionError):
        return None  # a function applied to a value of the wrong type: nothing is there


def _text(value: Any, pointer: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise MappingError(pointer, "must be text or a whole number")
    return str(value)


def _fields(rule: BaseModel, doc: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, expression in rule.model_dump(exclude_none=True).items():
        value = _search(expression, doc)
        if value is None or value == "":
            continue
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        found[name] = value
    return found


def _customer(rule: CustomerRule, doc: Mapping[str, Any]) -> dict[str, Any]:
    """The customer's fields; the locale made a BCP 47 tag, and left out when it names no language
    (an unknown language must not refuse a delivery: the customer is then written to in English)."""
    found = _fields(rule.model_copy(update={"value": None}), doc)
    value = _customer_value(rule.value, doc)
    if value is not None:
        found["value"] = value
    if "locale" in found:
        locale = bcp47(found.pop("locale"))
        if locale is not None:
            found["locale"] = locale
    # A phone or email the customer cannot be reached at (a number without its country code, a typo) is
    # left out while another field still identifies them: the vendor cannot correct it, and refusing
    # would lose the rating. As the only identity it stays, and the delivery is refused naming it.
    for name, usable in (("phone", contacts.e164), ("email", contacts.email)):
        others = [key for key in ("id", "email", "phone") if key != name and key in found]
        if name in found and others:
            try:
                usable(str(found[name]))
            except ValueError:
                del found[name]
    return found


def _customer_value(rule: ValueRule | None, doc: Mapping[str, Any]) -> dict[str, Any] | None:
    """The customer's value, when the delivery carries one that holds: an amount (a number, or text like
    "1200.50") and a currency code (upper-cased). One that does not hold (no currency, "a lot", a
    negative amount) is left out, like an unreachable phone: the rating still counts without it."""
    if rule is None:
        return None
    amount, currency = _search(rule.amount, doc), _search(rule.currency, doc)
    if amount is None or amount == "" or not isinstance(currency, str) or isinstance(amount, bool):
        return None
    if not isinstance(amount, int | float | str):
        return None
    candidate = {
        "amount": amount.strip() if isinstance(amount, str) else amount,
        "currency": currency.strip().upper(),
    }
    try:
        return CustomerValue.model_validate(candidate).model_dump(mode="json")
    except ValidationError:
        return None


def _score(rule: ScoreRule, doc: Mapping[str, Any]) -> dict[str, Any] | None:
    value = _search(rule.value, doc)
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None or value == "":
        return None
    if rule.map is not None:
        key = str(value).strip().casefold() if not isinstance(value, bool) else str(value).lower()
        table = {str(k).strip().casefold(): v for k, v in rule.map.items()}
        if key not in table:
            raise MappingError("score/value", f"{_shown(value)} is not in the score map")
        value = table[key]
        if value is None:
            return None
    if rule.type == "thumbs":
        if value not in ("up", "down"):
            raise MappingError("score/value", "a thumbs score is up or down (use map)")
        return {"type": "thumbs", "value": value}
    number = _number(value)
    if rule.type == "custom":
        return {"type": "custom", "value": number, "min": rule.min, "max": rule.max,
                "higher_is_better": rule.higher_is_better}  # fmt: skip
    if number != int(number):
        raise MappingError("score/value", f"a {rule.type} score is a whole number")
    return {"type": rule.type, "value": int(number)}


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise MappingError("score/value", "a yes/no answer needs a score map")
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:  # an integer past the float range
            raise MappingError("score/value", "not a finite number") from None
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise MappingError("score/value", f"{_shown(value)} is not a number (use map)") from None
    else:
        raise MappingError("score/value", "not a number")
    if not math.isfinite(number):
        raise MappingError("score/value", "not a finite number")
    return number


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def _comment(value: Any) -> str | None:
    if isinstance(value, list):
        value = "\n\n".join(str(item) for item in value if isinstance(item, str) and item.strip())
    if value is None or not isinstance(value, str | int | float) or isinstance(value, bool):
        return None
    text = str(value).strip()
    return text or None


def _tags(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).replace(",", " ").split()
    tags: list[str] = []
    for item in items:
        if isinstance(item, str | int) and not isinstance(item, bool) and str(item).strip():
            tag = str(item).strip()
            if tag not in tags:
                tags.append(tag)
    return tags[:20]


def _metadata(paths: Mapping[str, str], doc: Mapping[str, Any]) -> dict[str, Any]:
    found = {key: _meta(_search(path, doc)) for key, path in paths.items()}
    return {key: value for key, value in found.items() if value is not None}


def _meta(value: Any) -> str | int | float | bool | None:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return value[:500]
    return None


# ------------------------------------------------------------------------- for explanations (dry run)
def search(expression: str | None, document: Mapping[str, Any]) -> Any:
    """What one expression finds in a delivery's document, exactly as the mapping reads it: None for
    nothing (and for a function applied to a value of the wrong type)."""
    return _search(expression, document)


def expanded(mapping: MappingSpec, document: Mapping[str, Any]) -> dict[str, Any]:
    """The document as the mapping's expressions see it: its `json_field` parsed. Raises MappingError."""
    doc = dict(document)
    if mapping.json_field is not None:
        doc["body"] = _expand_json_field(doc.get("body"), mapping.json_field, mapping.json_field_optional)
    return doc
