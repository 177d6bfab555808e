"""Every kind of event the code records is known to the timeline, and reads in every console language:
a kind added to a flow without its labels fails here."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import get_args

import pytest
from pydantic import BaseModel

from recovery.domain import cases as rules
from recovery.domain import timeline
from recovery.services.customer_contact import Status, timeline_kind

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "layers" / "recovery" / "recovery"
I18N = ROOT / "functions" / "console" / "static" / "i18n"
LANGUAGES = ("en", "de", "nb", "ja", "zh", "tr")
# The calls that write a timeline event, and where their kind is (position; or the `kind=` keyword).
WRITERS = {
    "record": 1,
    "record_delivery": 1,
    "append_event": 1,
    "new_event": 1,
    "_event": 1,
    "note": 2,
    "decide_compensation": 2,
    "add_compensation": 3,
    "_change": 3,
    "_close": 5,
}
# Kinds made at run time, from their parts: every combination is a kind.
CUSTOMER_MESSAGES = {
    timeline_kind(kind, status)
    for kind in ("customer_ack", "followup", "message")
    for status in get_args(Status)
}


def _constants(node: ast.AST) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _constants(node.body) | _constants(node.orelse)
    return set()


def recorded_kinds() -> dict[str, str]:
    """Every kind written as a literal at an event-writing call: kind -> where."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name not in WRITERS and name != "CaseEventItem":
                continue
            arguments: list[ast.AST] = [k.value for k in node.keywords if k.arg in ("kind", "event_kind")]
            if name in WRITERS and len(node.args) > WRITERS[name]:
                arguments.append(node.args[WRITERS[name]])
            for argument in arguments:
                for kind in _constants(argument):
                    found.setdefault(kind, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def every_kind() -> set[str]:
    actions = {get_args(model.model_fields["type"].annotation)[0] for model in _action_models()}
    compensations = {f"compensation_{status}" for status in ("granted", "requested", "approved", "declined")}
    return set(recorded_kinds()) | CUSTOMER_MESSAGES | actions | compensations


def _action_models() -> list[type[BaseModel]]:
    return [rules.NoteAction, rules.ContactedAction, rules.ApologyAction]


def test_the_scan_finds_the_flows_kinds() -> None:
    # a check on the check: the scan sees literals in services and stores alike
    found = recorded_kinds()
    assert {"alerted", "escalated", "acknowledged", "followup_answered", "erased", "external_link"} <= set(
        found
    )


def test_every_recorded_kind_is_known_to_the_timeline() -> None:
    unknown = sorted(every_kind() - timeline.KINDS)
    where = recorded_kinds()
    assert not unknown, [f"{kind} ({where.get(kind, 'made at run time')})" for kind in unknown]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_kind_and_actor_has_a_label(language: str) -> None:
    words = json.loads((I18N / f"{language}.json").read_text())
    missing = [
        f"event.{kind}" for kind in sorted(timeline.KINDS | every_kind()) if f"event.{kind}" not in words
    ]
    parts = {part for part in timeline.PARTS.values() if part} | {"automatic"}
    missing += [f"actor.{part}" for part in sorted(parts) if f"actor.{part}" not in words]
    missing += [key for key in ("actor.customer", "actor.admin") if key not in words]
    missing += [f"reason.{code}" for code in sorted(timeline.REASONS) if f"reason.{code}" not in words]
    assert not missing, f"{language}.json has no label for {missing}"


def recorded_reasons() -> set[str]:
    """Every literal `reason=` at an event-writing call, and every reason a customer message or the
    follow-up run records (their `reason=` literals and `_skip(..., "<reason>")` calls)."""
    found: set[str] = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name in (*WRITERS, "stop", "SendOutcome", "_mark_breached"):
                for keyword in node.keywords:
                    if keyword.arg == "reason":
                        found |= _constants(keyword.value)
            if name == "_skip":
                found |= {value for argument in node.args for value in _constants(argument)}
    return {reason.replace(" ", "_") for reason in found}


def test_every_recorded_reason_is_known_to_the_timeline() -> None:
    found = recorded_reasons()
    assert {"no_address", "case_resolved", "nobody_on_duty", "cap"} <= found  # the scan sees them
    assert not sorted(found - timeline.REASONS)


def test_who_an_event_is_by() -> None:
    assert timeline.actor_of("followup_answered", "system") == {"type": "customer", "id": None, "part": None}
    assert timeline.actor_of("acknowledged", "lena") == {"type": "lead", "id": "lena", "part": None}
    assert timeline.actor_of("escalated", "system")["part"] == "sweep"
    assert timeline.actor_of("customer_followup_sent", "system")["part"] == "followup"
    assert timeline.actor_of("something_new", None)["part"] == "automatic"
    assert timeline.actor_of("erased", "admin")["type"] == "admin"
