"""The compensation approval page (`/c/{code}`) a level-2 contact opens from their message: GET shows
the request and changes nothing, POST approves or declines it. In the contact's language."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from services import cases

from recovery import clock
from recovery.domain.links import Verdict
from recovery.domain.routing import Contact
from recovery.notify.approval import approval_strings, compensation_text
from recovery.notify.render import language_of, sentence
from recovery.observability import logger
from recovery.web import requests
from recovery.web.languages import preferred_language
from recovery.web.pages import page

router = Router()

# Why an approval link is refused: keys of "refused" in the approval wording (recovery.notify.approval).
REFUSED = {
    Verdict.UNKNOWN: "unknown",
    Verdict.WRONG_PURPOSE: "wrong_purpose",
    Verdict.EXPIRED: "expired",
    Verdict.USED: "used",
}


@router.get("/c/<code>")
def approval_page(code: str) -> Response[str]:
    verdict, case, entry, approver = cases.inspect_approval(code, clock.now())
    language = _language(approver)
    if case is None or entry is None or verdict in (Verdict.UNKNOWN, Verdict.WRONG_PURPOSE, Verdict.EXPIRED):
        return _refused(verdict if verdict is not Verdict.OK else Verdict.UNKNOWN, language)
    return _approval_page(case, entry, language)


@router.post("/c/<code>")
def approval_decision(code: str) -> Response[str]:
    form = requests.form_fields(router.current_event.raw_event, {"decision"}, most=10) or {}
    decision = form.get("decision", "")
    if decision not in ("approve", "decline"):
        _, _, _, approver = cases.inspect_approval(code, clock.now())
        return _refused_page(400, "no_decision", _language(approver))
    verdict, case, entry, approver = cases.decide(code, decision == "approve", clock.now())
    language = _language(approver)
    if verdict is not Verdict.OK or case is None or entry is None:
        return _refused(verdict if verdict is not Verdict.OK else Verdict.UNKNOWN, language)
    logger.info("compensation decided", extra={"case_id": case.case_id, "decision": entry["status"]})
    return _approval_page(case, entry, language)


def _language(approver: Contact | None) -> str:
    """The language of the contact the link was sent to; for a code that names nobody, the browser's."""
    if approver is not None:
        return language_of(approver.language)
    return preferred_language(router.current_event.headers.get("accept-language"))


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
