"""Schedules from the template (`Schedule` and `ScheduleV2` events), fired by the virtual clock."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from local import lambda_events
from local.refs import Names, resolve
from local.schedule_expressions import Schedule, parse_schedule
from local.template import Template


@dataclass
class ScheduledRule:
    name: str  # the logical id: what the template author knows it by
    arn: str
    schedule: Schedule
    targets: list[dict[str, Any]]
    next_at: datetime | None

    def fire_event(self, moment: datetime, region: str) -> dict[str, Any]:
        return lambda_events.scheduled_event(self.arn, moment, region)


def scheduled_rules(template: Template, names: Names, start: datetime) -> list[ScheduledRule]:
    """Every enabled schedule; rates count from `start`, cron follows the calendar."""
    rules = []
    for logical_id, properties in template.of_type("AWS::Events::Rule").items():
        spec = resolve(properties, names)
        if "ScheduleExpression" not in spec or spec.get("State", "ENABLED") != "ENABLED":
            continue
        schedule = parse_schedule(spec["ScheduleExpression"], start)
        arn = names.get_att(logical_id, "Arn")
        rules.append(
            ScheduledRule(logical_id, arn, schedule, spec.get("Targets", []), schedule.next_after(start))
        )
    for logical_id, properties in template.of_type("AWS::Scheduler::Schedule").items():
        spec = resolve(properties, names)
        if spec.get("State", "ENABLED") != "ENABLED":
            continue
        schedule = parse_schedule(spec["ScheduleExpression"], start, spec.get("ScheduleExpressionTimezone"))
        target = dict(spec["Target"])
        if isinstance(target.get("Input"), dict):
            target["Input"] = json.dumps(target["Input"])
        arn = names.get_att(logical_id, "Arn")
        rules.append(ScheduledRule(logical_id, arn, schedule, [target], schedule.next_after(start)))
    return rules


def due(rules: list[ScheduledRule], until: datetime) -> ScheduledRule | None:
    """The rule whose next firing comes first, if it is at or before `until`."""
    candidates = [rule for rule in rules if rule.next_at is not None and rule.next_at <= until]
    return min(candidates, key=lambda rule: (rule.next_at, rules.index(rule))) if candidates else None
