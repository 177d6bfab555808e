"""JSON from outside, read with limits: what the standard parser accepts but nothing here can use is
refused with a reason a caller can read.

`json.loads` alone lets through, or fails on, inputs a hostile client can send:
- `NaN`, `Infinity` and numbers past the float range (`1e999`) that it reads as infinite, which no
  JSON writer can give back;
- integers of thousands of digits, which raise `ValueError` past Python's conversion limit and are past
  DynamoDB's 38 digits of precision long before that;
- nesting thousands of levels deep, which raises `RecursionError` (or, just below the limit, reaches the
  models and their validators);
- `\\uD800` escapes with no partner, which become strings that cannot be encoded as UTF-8 again.

Every refusal is a `JsonRefused`, a `ValueError` whose `reason` completes "the body is ...": `not valid
JSON`, `nested deeper than 32 levels`, `out of range: ...`.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 32
MAX_INTEGER_DIGITS = 38
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class JsonRefused(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def loads(text: str) -> Any:
    """`text` as JSON within the limits above; `JsonRefused` names the first thing wrong."""
    try:
        document = _DECODER.decode(text)
    except JsonRefused:
        raise
    except RecursionError:
        raise JsonRefused(f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError:  # JSONDecodeError, and anything the parser raises on its own
        raise JsonRefused("not valid JSON") from None
    # Both walks only run when the text could hold what they look for (the counts are C-speed).
    if text.count("{") + text.count("[") > MAX_DEPTH and depth(document) > MAX_DEPTH:
        raise JsonRefused(f"nested deeper than {MAX_DEPTH} levels")
    if _SURROGATE_ESCAPE.search(text) and _holds_surrogate(document):
        raise JsonRefused("not valid JSON: a \\uD800-\\uDFFF escape has no pair")
    return document


def depth(document: Any) -> int:
    """How deeply objects and arrays nest in `document` (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(document, 0)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        level += 1
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, level) for child in children)
    return deepest


def _holds_surrogate(document: Any) -> bool:
    stack: list[Any] = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                return True
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def _constant(name: str) -> Any:
    raise JsonRefused(f"not valid JSON: {name} is not a number in JSON")


def _float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise JsonRefused(f"out of range: the number {_shown(text)} is not finite")
    return number


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        shown = _shown(text)
        raise JsonRefused(f"out of range: the number {shown} has more than {MAX_INTEGER_DIGITS} digits")
    return int(text)


def _shown(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:12]}…{text[-6:]} ({len(text)} characters)"


# One decoder, built once: `json.loads` with hooks would build a new one on every call.
_DECODER = json.JSONDecoder(parse_constant=_constant, parse_float=_float, parse_int=_integer)
