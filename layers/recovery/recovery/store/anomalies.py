"""Each team's anomaly state: one item per team, saved over the version it was read at.

| item          | pk           | sk    |
|---------------|--------------|-------|
| anomaly state | ANOM#<team>  | STATE |

`groups` holds only the groups with an open anomaly (a group in control has the default state and no
entry), keyed `<dimension>|<quoted value>`; `history` the last HISTORY closed anomalies, newest first;
`last_hour` the UTC hour judged last, so a second run for the same hour does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pynamodb.exceptions import PutError

from recovery.store.errors import transient_as_domain
from recovery.store.models import AnomalyStateItem, get_item

HISTORY = 50
_SK = "STATE"


def state_pk(team_id: str) -> str:
    return f"ANOM#{team_id}"


@dataclass
class TeamAnomalies:
    """A team's state as read; `version` None when the team has none stored yet."""

    team: str
    last_hour: str | None = None
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    version: int | None = None


class AnomalyStore:
    def get(self, team_id: str) -> TeamAnomalies:
        with transient_as_domain():
            item = get_item(AnomalyStateItem, state_pk(team_id), _SK)
        if item is None:
            return TeamAnomalies(team_id)
        return TeamAnomalies(
            team_id,
            item.last_hour,
            dict(item.groups or {}),
            list(item.history or []),
            int(item.version) if item.version is not None else None,
        )

    def save(self, state: TeamAnomalies, now: datetime) -> bool:
        """Save over the version read (or only if none exists); False when another run saved first."""
        item = AnomalyStateItem(
            state_pk(state.team),
            _SK,
            team=state.team,
            last_hour=state.last_hour,
            groups=state.groups,
            history=state.history[:HISTORY],
            updated_at=now,
        )
        if state.version is not None:
            item.version = state.version
        try:
            with transient_as_domain():
                item.save()  # pynamodb adds the version condition (attribute absent when new)
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        state.version = int(item.version or 0)
        return True
