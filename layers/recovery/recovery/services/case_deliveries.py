"""A case's alert deliveries, for the admin API (`GET /v1/admin/cases/{case_id}/deliveries`) and the
smoke test: one entry per message to a lead, with its state, and the recipient masked.

A delivery row is keyed per recipient (`DLV#<case>#<level>#<channel>#<hmac(address)>`), so a case's
rows share no partition and cannot be listed by a Query. Their keys are derived instead: the timeline
(one Query on the case's partition) names each level alerted and the team; the current configuration
gives that level's contacts, whose addresses hash to the keys; one BatchGetItem reads the rows. No Scan.
A contact removed from the configuration since the alert is no longer listed: its row stays, unread.
The team's Slack message and its escalation replies are listed too (channel `slack`, the channel id as
recipient: not personal data), while the team still names that channel; so is its Teams card (channel
`teams`, the workflow's name as recipient: never its URL), while the team still names that workflow.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from recovery.domain.contacts import mask_email, mask_phone
from recovery.domain.records import Case, CaseEvent, Delivery
from recovery.domain.routing import Config
from recovery.services.alerts import SLACK, SLACK_ROOT_LEVEL
from recovery.services.teams_alerts import TEAMS, TEAMS_LEVEL
from recovery.store.alerting import delivery_pk

CASE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_ALERT_KINDS = ("alerted", "escalated")


class BadCaseId(ValueError):
    """The path's case id is not one this service could have issued (HTTP 400)."""


class CaseNotFound(LookupError):
    """No case with that id (HTTP 404)."""


class Reads(Protocol):
    def case(self, case_id: str) -> Case | None: ...

    def timeline(self, case_id: str) -> list[CaseEvent]: ...

    def deliveries(self, pks: list[str]) -> list[Delivery]: ...


@dataclass(frozen=True)
class _Candidate:
    level: int
    channel: str
    contact_id: str
    recipient: str  # masked


class CaseDeliveries:
    def __init__(
        self,
        store: Reads,
        config: Callable[[], Config | None],
        address_hash: Callable[[str], str],
    ) -> None:
        self._store = store
        self._config = config
        self._hash = address_hash

    def of_case(self, case_id: str) -> dict[str, Any]:
        if not CASE_ID.fullmatch(case_id):
            raise BadCaseId("case_id: letters, digits, '_' and '-' only, at most 64")
        case = self._store.case(case_id)
        if case is None:
            raise CaseNotFound(f"no case {case_id!r}")
        candidates = self._candidates(case_id, self._store.timeline(case_id))
        rows = {row.key: row for row in self._store.deliveries(list(candidates))}
        deliveries = [
            {
                "level": candidate.level,
                "channel": candidate.channel,
                "contact_id": candidate.contact_id,
                "recipient": candidate.recipient,
                "kind": row.kind,
                "state": row.state,
                "attempts": int(row.attempts or 0),
                "updated_at": row.updated_at.isoformat(),
            }
            for pk, candidate in candidates.items()
            if (row := rows.get(pk)) is not None
        ]
        deliveries.sort(key=lambda entry: (entry["level"], entry["contact_id"], entry["channel"]))
        return {"case_id": case_id, "status": case.status, "deliveries": deliveries}

    def _candidates(self, case_id: str, timeline: list[CaseEvent]) -> dict[str, _Candidate]:
        details = [event.detail or {} for event in timeline if event.kind in _ALERT_KINDS]
        alerted = {
            (int(detail["level"]), str(detail["team"]))
            for detail in details
            if "level" in detail and "team" in detail
        }
        config = self._config() if alerted else None
        if config is None:
            return {}
        teams = {team.id: team for team in config.teams}
        candidates: dict[str, _Candidate] = {}
        for level, team_id in sorted(alerted):
            team = teams.get(team_id)
            for contact in team.level(level) if team else []:
                for channel in contact.channels:
                    address = contact.email if channel == "email" else contact.phone
                    if not address:
                        continue
                    masked = mask_email(address) if channel == "email" else mask_phone(address)
                    pk = delivery_pk(case_id, level, channel, self._hash(address.lower()))
                    candidates[pk] = _Candidate(level, channel, contact.id, masked)
            if team is not None and team.slack_channel is not None:
                for slack_level in {SLACK_ROOT_LEVEL, level}:
                    pk = delivery_pk(case_id, slack_level, SLACK, team.slack_channel)
                    candidates[pk] = _Candidate(slack_level, SLACK, SLACK, team.slack_channel)
            if team is not None and team.teams_webhook is not None:
                pk = delivery_pk(case_id, TEAMS_LEVEL, TEAMS, team.teams_webhook)
                candidates[pk] = _Candidate(TEAMS_LEVEL, TEAMS, TEAMS, team.teams_webhook)
        return candidates
