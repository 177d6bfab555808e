"""The daily digest: each contact who chose it (`digest: {daily: true, at: "08:00"}`) gets their team's
open cases by email at that hour on their own clock (`Team.zone_for`), in their language.

The schedule fires every hour; a run picks the contacts whose local hour is their `at` (a whole hour), so
each gets it in their own morning. The team's open cases are read from the `queue` index (the first page,
as the console reads it, never a Scan), their customers in one BatchGet. Cases whose priority the contact
moved to `digest` in their tiers (docs/alert-tiers.md) are what the digest is for; they are marked.

Each digest is a delivery row claimed before sending (the lead mail path), keyed by team, contact, local
date and address: a retried or repeated run sends nobody a second digest that day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from recovery.domain.contacts import mask_email, mask_phone
from recovery.domain.records import Case, Customer
from recovery.domain.routing import PRIORITIES, Contact, Team
from recovery.notify.daily_digest import DailyContext, OpenCase, render_daily_digest
from recovery.notify.senders import Sender
from recovery.observability import RecordMetric, logger
from recovery.services.alerts import CachedConfig
from recovery.services.digest import QUEUE_PAGE, DigestFailed
from recovery.services.lead_mail import LeadMailer
from recovery.store.alerting import DeliveryRows, delivery_pk
from recovery.store.cases import CaseStore


@dataclass
class DailyOutcome:
    contacts: list[str] = field(default_factory=list)  # team/contact whose digest hour this was
    sent: int = 0
    skipped: int = 0  # sent before
    suppressed: int = 0
    failed: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "contacts": self.contacts,
            "sent": self.sent,
            "skipped": self.skipped,
            "suppressed": self.suppressed,
            "failed": self.failed,
        }


def due(contact: Contact, zone: str, now: datetime) -> date | None:
    """The contact's local date when `now` is their digest hour, else None."""
    if not contact.digest.daily or not contact.email:
        return None
    local = now.astimezone(ZoneInfo(zone))
    return local.date() if local.hour == int(contact.digest.at[:2]) else None


def daily_subject(team_id: str, contact_id: str, day: date) -> str:
    return f"daily-{team_id}-{contact_id}-{day.isoformat()}"


def daily_delivery_pk(team_id: str, contact_id: str, day: date, address_hash: str) -> str:
    """One row per team, contact, local date and address."""
    return delivery_pk(daily_subject(team_id, contact_id, day), 1, "email", address_hash)


def _masked(customer: Customer | None) -> str | None:
    if customer is None:
        return None
    if customer.email:
        return mask_email(customer.email)
    return mask_phone(customer.phone) if customer.phone else None


class DailyDigestRun:
    def __init__(
        self,
        config: CachedConfig,
        cases: CaseStore,
        store: DeliveryRows,
        sender: Sender,
        address_hash: Callable[[str], str],
        public_url: str,
        metric: RecordMetric,
        suppressed: Callable[[str], bool] = lambda _: False,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._config = config
        self._cases = cases
        self._mailer = LeadMailer(store, sender, address_hash, metric, suppressed, sleep)
        self._public_url = public_url.rstrip("/")
        self._metric = metric

    def run(self, now: datetime) -> dict[str, Any]:
        """Send the daily digest to every contact whose digest hour `now` is; a summary for the log. A team
        whose cases can't be read is logged and skipped, and the run then raises `DigestFailed` so the
        schedule's retry tries again (sending only what is left)."""
        outcome = DailyOutcome()
        failed: list[str] = []
        for team in self._config.get().teams:
            readers = [
                (contact, day)
                for contacts in team.levels.values()
                for contact in contacts
                if (day := due(contact, team.zone_for(contact), now)) is not None
            ]
            if not readers:
                continue
            try:
                open_cases = self._open_cases(team, now)
                for contact, day in readers:
                    outcome.contacts.append(f"{team.id}/{contact.id}")
                    self._send(team, contact, day, open_cases, now, outcome)
            except Exception:
                logger.exception("daily digest not prepared", extra={"team": team.id})
                failed.append(team.id)
        if outcome.sent:
            self._metric("DigestsSent", outcome.sent, "Count")
        if failed:
            raise DigestFailed(f"daily digest not sent for teams: {', '.join(failed)}")
        return outcome.summary()

    def _open_cases(self, team: Team, now: datetime) -> list[tuple[Case, str | None]]:
        """The team's open (not yet acknowledged) cases, most urgent first, oldest first within a priority."""
        cases = self._cases.queue(team.id, "open", None, QUEUE_PAGE, None).items
        _, customers = self._cases.people(cases)
        found = [(case, _masked(customers.get(case.customer_key))) for case in cases]
        found.sort(key=lambda entry: (int(entry[0].priority), entry[0].opened_at, entry[0].case_id))
        return found

    def _send(
        self,
        team: Team,
        contact: Contact,
        day: date,
        open_cases: list[tuple[Case, str | None]],
        now: datetime,
        outcome: DailyOutcome,
    ) -> None:
        assert contact.email is not None  # `due` picks only contacts with an email address
        chosen = [priority for priority in PRIORITIES if contact.in_digest(priority)]
        context = DailyContext(
            team=team.name,
            recipient_name=contact.name,
            language=contact.language,
            timezone=team.zone_for(contact),
            day=day,
            now=now,
            at=contact.digest.at,
            digest_priorities=chosen,
            cases=[
                OpenCase(
                    case.case_id,
                    int(case.priority),
                    case.opened_at,
                    masked,
                    f"{self._public_url}/console/#/cases/{case.case_id}",
                    f"P{int(case.priority)}" in chosen,
                )
                for case, masked in open_cases
            ],
            console_url=f"{self._public_url}/console/",
        )
        result = self._mailer.send(
            contact,
            contact.email,
            lambda address_hash: daily_delivery_pk(team.id, contact.id, day, address_hash),
            daily_subject(team.id, contact.id, day),
            "digest",
            now,
            lambda: render_daily_digest(context),
            {"kind": "daily_digest", "team": team.id},
        )
        if result == "done before":
            outcome.skipped += 1
        elif result == "suppressed":
            outcome.suppressed += 1
        elif result == "failed":
            outcome.failed += 1
        else:
            outcome.sent += 1
