"""Storage for alerting: the teams-and-routing document, cases' alert state, deliveries, the timeline."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from recovery import clock
from recovery.domain.identity import due_partition, shard_partition
from recovery.domain.records import Case, CaseEvent, Customer, Delivery, Feedback
from recovery.domain.routing import Config, parse_config
from recovery.store.cases import (
    acknowledge_actions,
    history_partition,
    history_sort_key,
    queue_partition,
    queue_sort_key,
)
from recovery.store.errors import transient_as_domain
from recovery.store.models import (
    CaseEventItem,
    CaseItem,
    ConfigItem,
    CustomerItem,
    DeliveryItem,
    FeedbackItem,
    get_item,
)
from recovery.store.records import (
    case_item,
    case_of,
    customer_of,
    delivery_item,
    delivery_of,
    event_of,
    feedback_of,
)

CONFIG_PK = "CFG#ALERTING"
DELIVERY_LIFETIME = timedelta(days=90)
# A delivery row is `sending` from its claim until the send's outcome is written: seconds. One still
# `sending` after this lease was left by an invocation that died mid-send (the longest function that
# sends times out after 2 minutes), and the sweep marks it failed ("interrupted"). docs/decisions.md.
SENDING_LEASE = timedelta(minutes=5)
SENDING_DUE_KIND = "sending"  # its due index partition: DUE#sending#<shard>, sorted by the lease's end
INTERRUPTED = "interrupted"


class ConfigStore:
    def get(self) -> tuple[Config, int] | None:
        """The current configuration and its version, or None before any was stored."""
        with transient_as_domain():
            item = get_item(ConfigItem, CONFIG_PK, "CFG")
        if item is None:
            return None
        return parse_config(item.document), int(item.version or 0)

    def put(self, config: Config, now: datetime, by: str | None, expected_version: int | None = None) -> int:
        """Store a validated configuration. With `expected_version`, only over that version (else a
        concurrent change wins and this raises `StaleConfig`)."""
        return save_config(
            CONFIG_PK,
            config.model_dump(mode="json"),
            now,
            by,
            expected_version,
            "the configuration changed meanwhile; read it again",
        )


def save_config(
    pk: str,
    document: dict[str, Any],
    now: datetime,
    by: str | None,
    expected_version: int | None,
    stale_message: str,
) -> int:
    """Put a configuration document whole; with `expected_version`, only over that version (else
    `StaleConfig(stale_message)`). Answers the new version (the admin API's ETag)."""
    item = ConfigItem(pk, "CFG", document=document, updated_at=now, updated_by=by)
    if expected_version is not None:
        item.version = expected_version
    try:
        with transient_as_domain():
            item.save(add_version_condition=expected_version is not None)
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise StaleConfig(stale_message) from error
        raise
    return int(item.version or 0)


class StaleConfig(Exception):
    pass


def delivery_pk(case_id: str, level: int, channel: str, address_hash: str) -> str:
    return f"DLV#{case_id}#{level}#{channel}#{address_hash}"


class DeliveryRows(Protocol):
    """One row per message, claimed before it is sent, finished after: what makes a send happen once.
    `AlertStore` keeps them in the table; `recovery.store.fakes.MemoryDeliveryRows` in memory."""

    def claim_delivery(
        self, pk: str, case_id: str, level: int, channel: str, contact_id: str, kind: str, now: datetime
    ) -> Delivery | None: ...

    def finish_delivery(self, row: Delivery, state: str, now: datetime, **fields: Any) -> None: ...


class AlertStore:
    """A case's alerting: its reads, its delivery rows, and each step of its alert state."""

    def get_case(self, case_id: str) -> Case | None:
        with transient_as_domain():
            item = get_item(CaseItem, f"CASE#{case_id}", "CASE")
        return case_of(item) if item is not None else None

    def get_feedback(self, pk: str) -> Feedback | None:
        with transient_as_domain():
            item = get_item(FeedbackItem, pk, "FB")
        return feedback_of(item) if item is not None else None

    def get_customer(self, customer_key: str) -> Customer | None:
        with transient_as_domain():
            item = get_item(CustomerItem, f"CUST#{customer_key}", "CUST")
        return customer_of(item) if item is not None else None

    def due(self, kind: str, shard: int, until: str, page: int = 100) -> list[str]:
        """Case ids whose `kind` of work (`alert`, `ack`) is due at or before `until` in one shard of the
        sparse due index (keys only)."""
        with transient_as_domain():
            found = CaseItem.due_index.query(
                shard_partition(kind, shard), CaseItem.due_at <= until, page_size=page
            )
            return [str(item.pk).removeprefix("CASE#") for item in found]

    def claim_delivery(
        self, pk: str, case_id: str, level: int, channel: str, contact_id: str, kind: str, now: datetime
    ) -> Delivery | None:
        """Create the delivery row, or return None if it exists and was sent, suppressed or is being
        sent: a redelivered event or a retried invocation must not send twice. A row left `failed`
        is claimed again (a new attempt). While `sending` it is in the due index until its lease ends
        (`SENDING_LEASE`): the sweep finds it there if no outcome is ever written."""
        item = DeliveryItem(
            pk,
            "DLV",
            case_id=case_id,
            level=level,
            channel=channel,
            contact_id=contact_id,
            kind=kind,
            state="sending",
            attempts=0,
            updated_at=now,
            expires_at=now + DELIVERY_LIFETIME,
            due_pk=due_partition(SENDING_DUE_KIND, case_id),
            due_at=clock.iso(now + SENDING_LEASE),
        )
        try:
            with transient_as_domain():
                item.save(condition=DeliveryItem.pk.does_not_exist() | (DeliveryItem.state == "failed"))
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return None
            raise
        return delivery_of(item)

    def finish_delivery(self, row: Delivery, state: str, now: datetime, **fields: Any) -> None:
        """The send's outcome (`sent`, `failed`, `suppressed`), out of the due index."""
        actions: list[Action] = [
            DeliveryItem.state.set(state),
            DeliveryItem.updated_at.set(now),
            DeliveryItem.due_pk.remove(),
            DeliveryItem.due_at.remove(),
        ]
        actions += [
            getattr(DeliveryItem, name).set(value) for name, value in fields.items() if value is not None
        ]
        with transient_as_domain():
            delivery_item(row).update(actions=actions)

    def get_delivery(self, pk: str) -> Delivery | None:
        """One delivery row by its key (where a case's Slack message is: its `ts` is the message id)."""
        with transient_as_domain():
            item = get_item(DeliveryItem, pk, "DLV")
        return delivery_of(item) if item is not None else None

    def stuck_deliveries(self, shard: int, until: str, page: int = 100) -> list[str]:
        """Keys of delivery rows still `sending` whose lease ended at or before `until`, in one shard of
        the sparse due index (keys only: no Scan, and only what is due is read)."""
        with transient_as_domain():
            found = DeliveryItem.due_index.query(
                shard_partition(SENDING_DUE_KIND, shard), DeliveryItem.due_at <= until, page_size=page
            )
            return [str(item.pk) for item in found if str(item.pk).startswith("DLV#")]

    def interrupt_delivery(self, pk: str, now: datetime) -> Delivery | None:
        """Mark a row whose lease ended `failed` with the error `interrupted`, out of the due index; None
        when it is no longer stuck (its send finished, or a new attempt claimed it since)."""
        item = DeliveryItem(pk, "DLV")
        condition = (DeliveryItem.state == "sending") & (DeliveryItem.due_at <= clock.iso(now))
        actions: list[Action] = [
            DeliveryItem.state.set("failed"),
            DeliveryItem.error.set(INTERRUPTED),
            DeliveryItem.updated_at.set(now),
            DeliveryItem.due_pk.remove(),
            DeliveryItem.due_at.remove(),
        ]
        try:
            with transient_as_domain():
                item.update(actions=actions, condition=condition)
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return None
            raise
        return delivery_of(item)

    def mark_alerted(self, case: Case, team: str, level: int, deadline: datetime, now: datetime) -> bool:
        """The level's messages went out: the case waits for an acknowledgement by `deadline` (the due
        index), in the team's open queue, and in the reports' drill-down. Only while still open (an
        acknowledgement racing in must not be undone); False when it was not."""
        actions: list[Action] = [
            CaseItem.alert_state.set("sent"),
            CaseItem.level.set(level),
            CaseItem.team.set(team),
            CaseItem.ack_due_at.set(deadline),
            CaseItem.due_pk.set(due_partition("ack", case.case_id)),
            CaseItem.due_at.set(clock.iso(deadline)),
            CaseItem.queue_pk.set(queue_partition(team, "open")),
            CaseItem.queue_sk.set(queue_sort_key(int(case.priority), deadline, case.case_id)),
            # The reports' drill-down index, keyed by the team alerted (not set at intake: its write
            # budget is spent).
            CaseItem.hist_pk.set(history_partition(team, case.occurred_at)),
            CaseItem.hist_sk.set(history_sort_key(case.occurred_at, case.case_id)),
        ]
        if case.alerted_at is None:
            actions.append(CaseItem.alerted_at.set(now))
        return self._update_case(case, CaseItem.status == "open", actions)

    def mark_breached(self, case: Case) -> bool:
        """No acknowledgement at any level: SLA breached, out of the due index. Only while still open."""
        actions: list[Action] = [
            CaseItem.sla_breached.set(True),
            CaseItem.due_pk.remove(),
            CaseItem.due_at.remove(),
        ]
        return self._update_case(case, CaseItem.status == "open", actions)

    def acknowledge(self, case: Case, by: str, now: datetime) -> bool:
        """A lead's tap on the alert's link: acknowledged, no more escalation. Only while still open."""
        return self._update_case(case, CaseItem.status == "open", acknowledge_actions(case, by, now))

    def mark_customer_acked(self, case: Case, summary: str, again: bool = False) -> bool:
        """How the customer was told of the case (`sent`, `deferred`, `skipped:<why>`): once, unless
        `again` (a scheduled message's outcome replaces its `deferred`)."""
        condition = CaseItem.pk.exists() if again else CaseItem.customer_acked.does_not_exist()
        return self._update_case(case, condition, [CaseItem.customer_acked.set(summary)])

    def _update_case(self, case: Case, condition: Condition, actions: list[Action]) -> bool:
        """A conditional update of the case; False when the condition no longer holds."""
        try:
            with transient_as_domain():
                case_item(case).update(actions=actions, condition=condition, add_version_condition=False)
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def record_delivery(self, row: Delivery, kind: str, at: datetime, detail: dict[str, Any]) -> None:
        """Append what became of a delivery row to its case's timeline: one event per row, even for several
        rows of the case at the same instant (the row's key after `DLV#<case>#` tells them apart)."""
        distinct = row.key.split("#", 2)[-1]
        with transient_as_domain():
            CaseEventItem(
                f"CASE#{row.case_id}",
                f"EVT#{at.isoformat()}#{kind}#{distinct}",
                case_id=row.case_id,
                kind=kind,
                at=at,
                actor="system",
                detail=detail,
            ).save()

    def record(
        self, case_id: str, kind: str, at: datetime, actor: str | None, *, distinct: str = "", **detail: Any
    ) -> None:
        """Append to the case's timeline. `distinct` tells apart events of one kind at the same instant
        (a level after level falling through)."""
        with transient_as_domain():
            CaseEventItem(
                f"CASE#{case_id}",
                f"EVT#{at.isoformat()}#{kind}" + (f"#{distinct}" if distinct else ""),
                case_id=case_id,
                kind=kind,
                at=at,
                actor=actor,
                detail=detail,
            ).save()


class CaseDeliveryStore:
    """Reads for the admin view of a case's deliveries: the case, its timeline (one Query on the case's
    partition) and the delivery rows by key (BatchGetItem). Delivery rows are keyed per recipient, so
    they share no partition; their keys come from the timeline and the configuration."""

    def case(self, case_id: str) -> Case | None:
        with transient_as_domain():
            item = get_item(CaseItem, f"CASE#{case_id}", "CASE")
        return case_of(item) if item is not None else None

    def timeline(self, case_id: str) -> list[CaseEvent]:
        with transient_as_domain():
            found = CaseEventItem.query(f"CASE#{case_id}", CaseEventItem.sk.startswith("EVT#"))
            return [event_of(item) for item in found]

    def deliveries(self, pks: list[str]) -> list[Delivery]:
        if not pks:
            return []
        with transient_as_domain():
            found = DeliveryItem.batch_get([(pk, "DLV") for pk in dict.fromkeys(pks)])
            return [delivery_of(item) for item in found]
