"""Why a delivery mapped as it did: the dry run's explanation.

For the event, the expression that read it, the value found and what the source's event table does with
it. For every canonical field the mapping names, the JMESPath expression, and the value it found. For a
field that came out empty, where its path stopped: the deepest object the expression's leading path could
reach in the document, and the keys (or, for a list, the items' keys) available there, so a wrong key is
one look away (`body.data.contact.userId` empty: the keys of `body.data.contact`, or of `body.data` when
there is no `contact`). And the keys of the body itself (and of a `json_field` inside it), so a pasted
submission shows every field it has.

Pure: it reads the document the mapping read (`mapping.document`) and writes nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError

from recovery.sources import mapping

MAX_KEYS = 100  # keys listed at one place
MAX_SHOWN = 300  # characters of a value shown as it is
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
Step = str | int


def explain(spec: mapping.MappingSpec, document: Mapping[str, Any]) -> dict[str, Any]:
    """The explanation of one mapped document. Raises mapping.MappingError when the body's `json_field`
    cannot be read (the mapping itself then refuses the delivery)."""
    doc = mapping.expanded(spec, document)
    event = _event(spec, doc)
    fields = [_field(name, expression, doc) for name, expression in expressions(spec)]
    warnings = [event["note"]] if event is not None and event.get("note") else []
    empty = [field["field"] for field in fields if field.get("empty")]
    if "score/value" in empty:
        warnings.append("the score expression read nothing: the delivery is held (no score yet)")
    return {
        "event": event,
        "fields": fields,
        "empty": empty,
        "keys": _body_keys(spec, doc),
        "warnings": warnings,
    }


def expressions(spec: mapping.MappingSpec) -> Iterator[tuple[str, str]]:
    """(canonical field, expression) for every field the mapping names, the event aside."""
    for name in ("delivery_id", "response_id"):
        value = getattr(spec, name)
        if value is not None:
            yield name, value
    yield "score/value", spec.score.value
    if spec.comment is not None:
        yield "comment", spec.comment
    for group in ("customer", "interaction"):
        for name, expression in getattr(spec, group).model_dump(exclude_none=True).items():
            if isinstance(expression, dict):  # customer/value: its amount and currency
                yield from ((f"{group}/{name}/{part}", path) for part, path in expression.items())
            else:
                yield f"{group}/{name}", expression
    for name in ("occurred_at", "tags"):
        value = getattr(spec, name)
        if value is not None:
            yield name, value
    for name, expression in spec.metadata.items():
        yield f"metadata/{name}", expression


def leading_path(expression: str) -> list[Step]:
    """The plain path an expression starts with (`body.data.fields` of
    `body.data.fields[?key=='x'] | [0].value`); empty for a literal or a function of several values."""
    try:
        parsed = jmespath.compile(expression).parsed
    except JMESPathError:
        return []
    return _path(parsed)[0]


def reach(steps: list[Step], doc: Any) -> dict[str, Any]:
    """How far `steps` get into `doc`: the path reached, the first step missing, and what is there."""
    current, reached = doc, []
    missing: Step | None = None
    for step in steps:
        if not _has(current, step):
            missing = step
            break
        current = current[step]
        reached.append(step)
    found: dict[str, Any] = {"at": dotted(reached) or "@", "missing": missing}
    if isinstance(current, dict):
        found["keys"] = _keys(current)
    elif isinstance(current, list):
        found["items"] = len(current)
        item_keys: dict[str, None] = {}
        for item in current[:50]:
            if isinstance(item, dict):
                item_keys.update(dict.fromkeys(str(key) for key in item))
        found["item_keys"] = list(item_keys)[:MAX_KEYS]
    else:
        found["type"] = _kind(current)
    return found


def dotted(steps: list[Step]) -> str:
    """A path as JMESPath writes it: `headers."x-helpscout-event"`, `body.items[0].x`."""
    text = ""
    for step in steps:
        if isinstance(step, int):
            text += f"[{step}]"
        else:
            name = step if _PLAIN.fullmatch(step) else json.dumps(step)
            text += f".{name}" if text else name
    return text


# ------------------------------------------------------------------------------------------ internals
def _event(spec: mapping.MappingSpec, doc: Mapping[str, Any]) -> dict[str, Any] | None:
    if spec.event is None:
        return None
    value = mapping.search(spec.event, doc)
    name = (
        str(value) if isinstance(value, str | int) and not isinstance(value, bool) and value != "" else None
    )
    event: dict[str, Any] = {"expression": spec.event, "value": _shown(value)}
    if not spec.events:
        event |= {"action": "accept", "meaning": "no event table: every event is mapped"}
        return event
    action = spec.events.get(name or "", "ignore")
    event |= {"action": action, "events": dict(spec.events)}
    if name is None:
        steps = leading_path(spec.event)
        event["reach"] = reach(steps, doc)
        expected = sorted(known for known, what in spec.events.items() if what != "ignore")
        example = expected[0] if expected else "<event>"
        if len(steps) == 2 and steps[0] == "headers" and isinstance(steps[1], str):
            header = steps[1]
            event["expected_header"] = header
            event["note"] = (
                f"the event expression {spec.event} read nothing: the event name is expected in the header "
                f"{header} (one of {', '.join(expected) or 'the events listed'}); without it the delivery "
                f"is ignored. Pass it, e.g. --header {header}={example}"
            )
        else:
            event["note"] = (
                f"the event expression {spec.event} read nothing, so the delivery is ignored "
                f"(the event table maps {', '.join(expected) or 'no event'})"
            )
    elif name not in spec.events:
        event["note"] = f"the event {name!r} is not in the source's event table, so the delivery is ignored"
    event["meaning"] = {
        "accept": "mapped and taken in",
        "hold": "mapped; held until a delivery brings the score",
        "ignore": "answered 200 and not mapped",
    }[action]
    return event


def _field(name: str, expression: str, doc: Mapping[str, Any]) -> dict[str, Any]:
    value = mapping.search(expression, doc)
    found: dict[str, Any] = {"field": name, "expression": expression, "value": _shown(value)}
    if value is None or value == "" or value == []:
        found["empty"] = True
        steps = leading_path(expression)
        if steps:
            found["reach"] = reach(steps, doc)
    return found


def _path(node: Mapping[str, Any]) -> tuple[list[Step], bool]:
    """The leading plain path of a parsed expression, and whether the node is nothing but that path."""
    kind = node.get("type")
    children = node.get("children") or []
    if kind == "field":
        return [str(node["value"])], True
    if kind in ("identity", "current"):
        return [], True
    if kind == "subexpression":
        steps: list[Step] = []
        for child in children:
            part, whole = _path(child)
            steps += part
            if not whole:
                return steps, False
        return steps, True
    if kind == "index_expression" and len(children) == 2:
        steps, whole = _path(children[0])
        index = children[1]
        if whole and index.get("type") == "index" and isinstance(index.get("value"), int):
            return [*steps, index["value"]], True
        return steps, False
    if kind in ("pipe", "projection", "filter_projection", "flatten", "or_expression", "function_expression"):
        return (_path(children[0])[0] if children else []), False
    return [], False


def _body_keys(spec: mapping.MappingSpec, doc: Mapping[str, Any]) -> dict[str, list[str]]:
    """Every key of the body (and of its `json_field`), so a pasted submission shows what it holds."""
    body = doc.get("body")
    found: dict[str, list[str]] = {}
    if isinstance(body, dict):
        found["body"] = _keys(body)
        inner = body.get(spec.json_field) if spec.json_field is not None else None
        if spec.json_field is not None and isinstance(inner, dict):
            found[dotted(["body", spec.json_field])] = _keys(inner)
    return found


def _has(current: Any, step: Step) -> bool:
    if isinstance(step, str):
        return isinstance(current, dict) and current.get(step) is not None
    return isinstance(current, list) and -len(current) <= step < len(current)


def _keys(found: Mapping[Any, Any]) -> list[str]:
    return [str(key) for key in list(found)[:MAX_KEYS]]


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "text" if isinstance(value, str) else type(value).__name__


def _shown(value: Any) -> Any:
    """The value as found, or a summary of it when it is large."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    if len(text) <= MAX_SHOWN:
        return value
    if isinstance(value, str):
        return value[: MAX_SHOWN - 3] + "..."
    if isinstance(value, dict):
        return {"object with keys": _keys(value)}
    if isinstance(value, list):
        return {"list of items": len(value)}
    return text[: MAX_SHOWN - 3] + "..."
