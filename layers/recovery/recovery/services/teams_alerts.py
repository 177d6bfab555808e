"""Microsoft Teams alerts (docs/teams.md): a team with a `teams_webhook` gets each new case posted once to
its channel through its Teams workflow, as an Adaptive Card (`notify/teams_card`).

The card's acknowledge button is a real signed link, as an alert email's: single-use, expiring with the
email's (`LINK_LIFETIME`), issued for the first contact the alert reaches (the team's first on-duty
level-1 contact, else the first of the level the alert went to), so whoever taps it in the channel
acknowledges as that contact. The card is in the language of the team's first level-1 contact.

The post is a delivery row like every message (channel `teams`, claimed before posting, so a
redelivered event, a retried invocation or the sweep's resend never posts twice), retried with
backoff, and a failure counts in `DeliveriesFailed`, which is alarmed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from recovery import clock
from recovery.domain import links
from recovery.domain.records import Case, Customer, Feedback
from recovery.domain.routing import Contact, Team
from recovery.notify.senders import as_send_failed, send_with_retry
from recovery.notify.teams import TeamsPoster
from recovery.notify.teams_card import TeamsCase, alert_card
from recovery.observability import RecordMetric
from recovery.store.alerting import DeliveryRows, delivery_pk
from recovery.store.links import LinkStore

TEAMS = "teams"  # a delivery row's channel, and its contact: the team's channel, not a person
TEAMS_LEVEL = 1  # the key level of a case's Teams card, whatever level its first alert reached


class TeamsAlerts:
    def __init__(
        self,
        store: DeliveryRows,
        links_store: LinkStore,
        poster: TeamsPoster,
        public_url: str,
        metric: RecordMetric,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._store = store
        self._links = links_store
        self._poster = poster
        self._public_url = public_url.rstrip("/")
        self._metric = metric
        self._sleep = sleep

    def post(
        self,
        case: Case,
        feedback: Feedback | None,
        customer: Customer | None,
        team: Team,
        alerted: Sequence[Contact],
        deadline: datetime,
        now: datetime,
    ) -> str | None:
        """The case's card in the team's channel, once: `posted`, `failed`, or None when the team has no
        workflow or the card was posted (or is being posted) before. `alerted`: the contacts the alert
        reaches, the first of whom the acknowledge link is for."""
        if team.teams_webhook is None or not alerted:
            return None
        webhook = team.teams_webhook
        key = delivery_pk(case.case_id, TEAMS_LEVEL, TEAMS, webhook)
        row = self._store.claim_delivery(key, case.case_id, TEAMS_LEVEL, TEAMS, TEAMS, "alert", now)
        if row is None:
            return None  # posted (or being posted) before: never twice
        try:  # the row is claimed: whatever rendering or posting raises, it ends `failed`, not `sending`
            from recovery.services.alerts import LINK_LIFETIME

            code = self._links.issue(links.Purpose.ACK, case.case_id, alerted[0].id, LINK_LIFETIME)
            message = alert_card(self._card(case, feedback, customer, team, deadline, code))
            retry: dict[str, Any] = {"sleep": self._sleep} if self._sleep is not None else {}
            run = send_with_retry(partial(self._poster.post, webhook, message), **retry)
        except Exception as raised:
            error = as_send_failed(raised)
            self._store.finish_delivery(row, "failed", clock.now(), error=str(error)[:500])
            self._metric("DeliveriesFailed", 1, "Count")
            return "failed"
        self._store.finish_delivery(row, "sent", clock.now(), message_id=run[:200])
        return "posted"

    def _card(
        self,
        case: Case,
        feedback: Feedback | None,
        customer: Customer | None,
        team: Team,
        deadline: datetime,
        code: str,
    ) -> TeamsCase:
        from recovery.services.alerts import chat_facts

        facts = chat_facts(case, feedback, customer, team, deadline, self._public_url)
        return TeamsCase(**facts, ack_url=f"{self._public_url}/a/{code}", language=team.level(1)[0].language)
