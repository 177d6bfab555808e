"""What a case's timeline can say, and who said it.

Every kind of event any flow records is listed here with the part of the system that writes it when no
person does. A kind added to a flow belongs here too, with a label in every console language:
tests/unit/domain/test_timeline.py finds every kind the code records and holds both to it.

An event's stored `actor` is a lead's contact id, `admin`, `customer` or `system`. How it reads:
- a lead (or an approver) by their id;
- the customer, for what the customer did (answering the follow-up), also on events stored before the
  customer was recorded as their actor;
- the system by the part that acted (`alerts`, `follow-up`, ...), so nobody reads "by system" and wonders
  who that is.
"""

from __future__ import annotations

from typing import Any, Literal

ActorType = Literal["lead", "customer", "admin", "system"]

# The customer's messages (`customer_<kind>_<status>`, see services.customer_contact.timeline_kind).
_CUSTOMER_MESSAGES = {
    "customer_acknowledged": "customer_messages",
    **{
        f"customer_{kind}_{status}": "followup" if kind == "followup" else "customer_messages"
        for kind in ("ack", "followup", "message")
        for status in ("sent", "deferred", "skipped", "failed")
        if (kind, status) != ("ack", "sent")
    },
}

# kind -> the part of the system that records it when the actor is `system` (None: a person's act).
PARTS: dict[str, str | None] = {
    "alerted": "alerts",
    "escalated": "sweep",
    "sla_breached": "sweep",
    "nobody_on_duty": "alerts",
    "delivery_failed": "alerts",
    "delivery_suppressed": "alerts",
    "delivery_interrupted": "sweep",
    "acknowledged": None,
    "note": None,
    "contacted": None,
    "apology": None,
    "compensation_granted": None,
    "compensation_requested": None,
    "compensation_approved": None,
    "compensation_declined": None,
    "approval_requested": "approvals",
    "assigned": None,
    "customer_message": None,
    "resolved": None,
    "reopened": None,
    "followup_answered": "followup",
    "followup_no_response": "followup",
    "followup_cancelled": "followup",
    "external_link": "integrations",
    # Owner notices (docs/notices.md): a customer message bounced or was complained about; an acknowledged
    # case left idle past half its resolve SLA.
    "customer_unreachable": "customer_messages",
    # A customer's email or SMS reply threaded onto the case (docs/replies.md): the customer's own act.
    "customer_reply": None,
    "ack_reminder": "sweep",
    "erased": "privacy",
    **_CUSTOMER_MESSAGES,
}
KINDS = frozenset(PARTS)
# Why the system skipped or failed something (an event's `reason`), each with a label in the console.
# A reason a lead writes (reopening) is their own words; a provider's error code is shown as it is.
REASONS = frozenset(
    {
        "case_resolved",
        "no_customer",
        "turned_off",
        "no_address",
        "opted_out",
        "suppressed",
        "unsendable",
        "already_sent",
        "send_failed",
        "interrupted",
        "cap",
        "failed",
        "case_not_resolved",  # stored as "case not resolved"
        "nobody_on_duty",  # stored as "nobody on duty"
        "not_acknowledged_at_any_level",
        "bounce",  # a customer_unreachable's reasons (opted_out is above)
        "complaint",
        "customer_reply",  # a case reopened by the customer's reply
    }
)
BY_CUSTOMER = frozenset({"followup_answered"})  # what the customer does: theirs, whatever was stored


def actor_of(kind: str, actor: str | None) -> dict[str, Any]:
    """How the event's actor reads: `{"type", "id", "part"}`; `part` only for the system."""
    if kind in BY_CUSTOMER or actor == "customer":
        return {"type": "customer", "id": None, "part": None}
    if actor == "admin":
        return {"type": "admin", "id": None, "part": None}
    if actor in (None, "", "system"):
        return {"type": "system", "id": None, "part": PARTS.get(kind) or "automatic"}
    return {"type": "lead", "id": actor, "part": None}
