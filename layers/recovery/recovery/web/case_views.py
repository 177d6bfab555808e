"""How cases read in the API: the queue's summary and the case page's whole document (JSON-ready)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from recovery import clock
from recovery.domain import cases as rules
from recovery.domain import timeline as events
from recovery.domain.records import Case, Feedback, FollowUp
from recovery.services.cases import CaseView, QueueRow

EXCERPT = 120  # characters of a comment a queue row shows


def _iso(value: datetime | None) -> str | None:
    return clock.iso(value) if value is not None else None


def deadline(case: Case) -> datetime | None:
    """The deadline that matters now: acknowledge-by while open, resolve-by while acknowledged."""
    if case.status == "open":
        return case.ack_due_at
    if case.status == "acknowledged":
        return case.resolve_due_at
    return None


def summary(case: Case, now: datetime) -> dict[str, Any]:
    due = deadline(case)
    return {
        "id": case.case_id,
        "status": case.status,
        "priority": f"P{int(case.priority)}",
        "repeat_failure": bool(case.repeat_failure),
        "team": case.team,
        "owner": case.owner,
        "channel": case.channel,
        "agent": case.agent,
        "opened_at": _iso(case.opened_at),
        "ack_due_at": _iso(case.ack_due_at),
        "resolve_due_at": _iso(case.resolve_due_at),
        "deadline": _iso(due),
        "seconds_left": int((due - now).total_seconds()) if due is not None else None,
        "sla_breached": bool(case.sla_breached) or (due is not None and due < now),
        "acked_at": _iso(case.acked_at),
        "acked_by": case.acked_by,
        "resolved_at": _iso(case.resolved_at),
        "outcome": case.outcome,
        "pending_approvals": sum(1 for c in case.compensations or [] if c.get("status") == "pending"),
        "version": int(case.version or 0),
    }


def excerpt(text: str | None, limit: int = EXCERPT) -> str | None:
    """The comment's first words: whole, or cut at the last word boundary within `limit` characters,
    with an ellipsis. Runs of white space read as one space. A text without spaces (Japanese, Chinese)
    is cut at `limit`."""
    if text is None:
        return None
    flat = " ".join(text.split())
    if not flat:
        return None
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + "…"


def queue_item(row: QueueRow, now: datetime) -> dict[str, Any]:
    """A queue row: the case's summary, and who and what it is about."""
    document = summary(row.case, now)
    document["customer"] = {"name": row.name, "contact": row.contact}
    document["score"] = dict(row.score) if row.score is not None else None
    document["comment"] = excerpt(row.comment)
    return document


def _followup(followup: FollowUp) -> dict[str, Any]:
    answer = followup.answer or {}
    return {
        "state": followup.state,
        "scheduled_for": _iso(followup.scheduled_for),
        "sent_at": _iso(followup.sent_at),
        "answered_at": _iso(followup.answered_at),
        "channel": followup.channel,
        "skip_reason": followup.skip_reason,
        # The customer's answer in full: the rating on the first scale, yes/no, and their words.
        "answer": {
            "score": answer.get("score"),
            "satisfied": answer.get("satisfied"),
            "comment": answer.get("comment") or None,
        }
        if followup.answer
        else None,
    }


def _feedback(item: Feedback) -> dict[str, Any]:
    detail = item.detail or {}
    return {
        "id": item.feedback_id,
        "source": item.source,
        "occurred_at": _iso(item.occurred_at),
        "score": detail.get("score"),
        "verdict": item.verdict,
        "comment": detail.get("comment"),
        "tags": detail.get("tags") or [],
        "channel": item.channel,
        "agent": item.agent,
        "team": item.team,
        "case_id": item.case_id,
    }


def case_document(view: CaseView, now: datetime) -> dict[str, Any]:
    case = view.case
    customer = view.customer
    followup = view.followup
    kinds = [event.kind for event in view.timeline]
    document = summary(case, now)
    document.update(
        {
            "customer_acked": case.customer_acked,
            "resolution": case.resolution,
            "compensations": list(case.compensations or []),
            "rating": {
                "before": case.rating_before,
                "after": case.rating_after,
                "delta": float(case.rating_delta) if case.rating_delta is not None else None,
            },
            "feedback": _feedback(view.feedback) if view.feedback else None,
            "customer": {
                "name": customer.name,
                "email": customer.email,
                "phone": customer.phone,
                "locale": customer.locale,
                "timezone": customer.timezone,
                "opted_out": sorted((customer.opted_out or {}).keys()),
                "erased": customer.erased_at is not None,
                # What the customer was worth when the case opened ({amount, currency}), as routing saw it.
                "value": dict(case.customer_value) if case.customer_value else None,
            }
            if customer
            else None,
            "followup": _followup(followup) if followup else None,
            "timeline": [
                {
                    "at": _iso(event.at),
                    "kind": event.kind,
                    "actor": event.actor,
                    "by": events.actor_of(event.kind, event.actor),
                    "detail": event.detail or {},
                }
                for event in view.timeline
            ],
            "history": {
                "feedback": [_feedback(item) for item in view.earlier_feedback],
                "cases": [
                    {
                        "id": item.case_id,
                        "status": item.status,
                        "priority": f"P{int(item.priority)}",
                        "opened_at": _iso(item.opened_at),
                        "resolved_at": _iso(item.resolved_at),
                        "outcome": item.outcome,
                        "root_cause": (item.resolution or {}).get("root_cause"),
                    }
                    for item in view.earlier_cases
                ],
            },
            "checklist": rules.checklist(
                case.status, kinds, case.outcome, followup.state if followup else None
            ),
            "allowed": rules.allowed_operations(case.status),
            "assignable": [
                {"id": contact.id, "name": contact.name}
                for level in sorted(view.team.levels)
                for contact in view.team.level(level)
            ]
            if view.team
            else [],
            "root_causes": list(rules.ROOT_CAUSES),
        }
    )
    return document
