"""Storage for alerting: the teams-and-routing document, cases' alert state, deliveries, the timeline."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.update import Action

from recovery.domain.routing import Config, parse_config
from recovery.store.errors import transient_as_domain
from recovery.store.models import CaseEventItem, CaseItem, ConfigItem, DeliveryItem, get_item

CONFIG_PK = "CFG#ALERTING"
DELIVERY_LIFETIME = timedelta(days=90)


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


class AlertStore:
    def get_case(self, case_id: str) -> CaseItem | None:
        with transient_as_domain():
            return get_item(CaseItem, f"CASE#{case_id}", "CASE")

    def due(self, partition: str, until: str, page: int = 100) -> list[str]:
        """Case ids due at or before `until` in one partition of the sparse due index (keys only)."""
        with transient_as_domain():
            found = CaseItem.due_index.query(partition, CaseItem.due_at <= until, page_size=page)
            return [str(item.pk).removeprefix("CASE#") for item in found]

    def claim_delivery(
        self, pk: str, case_id: str, level: int, channel: str, contact_id: str, kind: str, now: datetime
    ) -> DeliveryItem | None:
        """Create the delivery row, or return None if it exists and was sent, suppressed or is being
        sent: a redelivered event or a retried invocation must not send twice. A row left `failed`
        is claimed again (a new attempt)."""
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
        )
        try:
            with transient_as_domain():
                item.save(condition=DeliveryItem.pk.does_not_exist() | (DeliveryItem.state == "failed"))
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return None
            raise
        return item

    def finish_delivery(self, item: DeliveryItem, state: str, now: datetime, **fields: Any) -> None:
        actions: list[Action] = [DeliveryItem.state.set(state), DeliveryItem.updated_at.set(now)]
        actions += [
            getattr(DeliveryItem, name).set(value) for name, value in fields.items() if value is not None
        ]
        with transient_as_domain():
            item.update(actions=actions)

    def update_case(self, case: CaseItem, condition: Any, actions: list[Any]) -> bool:
        """A conditional update of the case; False when the condition no longer holds."""
        try:
            with transient_as_domain():
                case.update(actions=actions, condition=condition, add_version_condition=False)
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def record(self, case_id: str, kind: str, at: datetime, actor: str | None, **detail: Any) -> None:
        """Append to the case's timeline."""
        with transient_as_domain():
            CaseEventItem(
                f"CASE#{case_id}",
                f"EVT#{at.isoformat()}#{kind}",
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

    def case(self, case_id: str) -> CaseItem | None:
        with transient_as_domain():
            return get_item(CaseItem, f"CASE#{case_id}", "CASE")

    def timeline(self, case_id: str) -> list[CaseEventItem]:
        with transient_as_domain():
            return list(CaseEventItem.query(f"CASE#{case_id}", CaseEventItem.sk.startswith("EVT#")))

    def deliveries(self, pks: list[str]) -> list[DeliveryItem]:
        if not pks:
            return []
        with transient_as_domain():
            return list(DeliveryItem.batch_get([(pk, "DLV") for pk in dict.fromkeys(pks)]))
