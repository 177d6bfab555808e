"""Owner notices: who is told when a case needs its owner's eyes, and when an idle case is reminded of.

Pure: no storage, no clock. The notices (docs/notices.md) are timeline events of the kinds in
`recovery.domain.changes.NOTICE_KINDS`; `recovery.services.owner_notices` sends them.

- Who: the case's owner (a contact id of the team), while they are in the team; otherwise the team's
  level-1 leads on duty now, and when none is on duty, every level-1 lead (a notice waits in an inbox
  rather than being lost). Only contacts with an email address: a notice is an email.
- The reminder: a case acknowledged and then left without any action is reminded of once, half-way
  through its resolve SLA (half of the time from `opened_at` to `resolve_due_at`). A case acknowledged
  after that point is reminded of half-way between its acknowledgement and its resolve deadline instead
  (a reminder a minute after acknowledging would tell the lead nothing); one acknowledged after its
  resolve deadline gets no reminder (the breach shows in the reports already).
"""

from __future__ import annotations

from datetime import datetime

from recovery.domain.duty import is_on_duty
from recovery.domain.routing import Contact, Team

REMINDER_DUE_KIND = "remind"  # its due index partition: DUE#remind#<shard>, sorted by when it is due


def reminder_due(opened_at: datetime, resolve_due_at: datetime, acked_at: datetime) -> datetime | None:
    """When an acknowledged case with no action since is reminded of; None: never (see the module notes)."""
    half_way = opened_at + (resolve_due_at - opened_at) / 2
    if acked_at < half_way:
        return half_way
    if acked_at >= resolve_due_at:
        return None
    return acked_at + (resolve_due_at - acked_at) / 2


def notice_recipients(team: Team, owner: str | None, now: datetime) -> list[Contact]:
    """Who a notice goes to (see the module notes); contacts without an email address are left out."""
    contact = team.contact(owner) if owner else None
    if contact is not None and contact.email:
        return [contact]
    leads = [lead for lead in team.level(1) if lead.email]
    on_duty = [lead for lead in leads if is_on_duty(lead.on_duty, now)]
    return on_duty or leads
