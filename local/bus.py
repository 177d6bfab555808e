"""EventBridge: catching events put on a bus and handing them to the rules' targets.

moto matches PutEvents against its rules but delivers only to a few target kinds (SQS, logs), never to
a Lambda function, and stamps `time` as a number. The runtime takes over delivery: moto's per-rule
delivery step is replaced by one that queues (rule, event) for the dispatcher. This covers events from
functions, from the runtime itself and from the AWS CLI talking to the moto server alike.
"""

from __future__ import annotations

import copy
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from local import lambda_events


@dataclass(frozen=True)
class BusDelivery:
    rule: str
    rule_arn: str
    targets: tuple[dict[str, Any], ...]
    event: dict[str, Any]


class BusTap:
    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self._pending: deque[BusDelivery] = deque()
        self._lock = threading.Lock()

    def install(self) -> None:
        from moto.events import models

        tap = self

        def send_to_targets(rule: Any, original_event: dict[str, Any], transform_input: bool = True) -> None:
            if rule.state != "ENABLED" or not rule.event_pattern.matches_event(original_event):
                return
            tap._pending.append(
                BusDelivery(
                    rule=rule.name,
                    rule_arn=rule.arn,
                    targets=tuple(copy.deepcopy(rule.targets)),
                    event=lambda_events.bus_event(original_event, tap._now()),
                )
            )

        models.Rule.send_to_targets = send_to_targets  # type: ignore[method-assign,assignment]

    def take(self) -> list[BusDelivery]:
        taken = []
        while self._pending:
            taken.append(self._pending.popleft())
        return taken

    def put_back(self, deliveries: list[BusDelivery]) -> None:
        """Deliveries taken but not made: first in line again, in their order."""
        self._pending.extendleft(reversed(deliveries))

    def __len__(self) -> int:
        return len(self._pending)
