"""Storage for outbound webhooks: the endpoint document, delivery rows, and links to outside records.

Endpoints (with their signing secrets) are one config item, `CFG#OUTBOUND` / `CFG`, like teams and
routing. One delivery row per (event, endpoint), `DLV#<case>#OUT#<endpoint>#<message id>`, created
conditionally before posting: a redelivered message finds it `sent` and posts nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError
from pynamodb.expressions.update import Action

from recovery.store.alerting import save_config
from recovery.store.cases import new_event
from recovery.store.errors import transient_as_domain
from recovery.store.models import CaseEventItem, CaseItem, ConfigItem, DeliveryItem, get_item

CONFIG_PK = "CFG#OUTBOUND"
DELIVERY_LIFETIME_DAYS = 90
STALE_SENDING = timedelta(minutes=2)  # longer than the function timeout


def delivery_pk(case_id: str, endpoint_id: str, message_id: str) -> str:
    return f"DLV#{case_id}#OUT#{endpoint_id}#{message_id}"


class OutboundStore:
    def document(self) -> dict[str, Any] | None:
        """The stored endpoint document, or None before any was stored."""
        with transient_as_domain():
            item = get_item(ConfigItem, CONFIG_PK, "CFG")
        return dict(item.document) if item is not None else None

    def versioned(self) -> tuple[dict[str, Any], int] | None:
        """The stored endpoint document and its version (the admin API's ETag), or None."""
        with transient_as_domain():
            item = get_item(ConfigItem, CONFIG_PK, "CFG")
        return (dict(item.document), int(item.version or 0)) if item is not None else None

    def put_document(
        self, document: dict[str, Any], now: datetime, by: str | None, expected_version: int | None = None
    ) -> int:
        """Store a validated document; with `expected_version`, only over that version (else
        `StaleConfig`: a concurrent change wins). The new version."""
        return save_config(
            CONFIG_PK, document, now, by, expected_version, "the endpoints changed meanwhile; read them again"
        )

    def claim(
        self, case_id: str, endpoint_id: str, message_id: str, kind: str, now: datetime
    ) -> DeliveryItem | None:
        """The delivery row in state `sending`, or None when this message already went (or is going)
        to this endpoint. A row left `failed`, or stuck `sending`, is claimed again: a new attempt."""
        item = DeliveryItem(
            delivery_pk(case_id, endpoint_id, message_id),
            "DLV",
            case_id=case_id,
            level=0,
            channel="webhook",
            contact_id=endpoint_id,
            kind=kind,
            state="sending",
            attempts=0,
            updated_at=now,
            expires_at=now + timedelta(days=DELIVERY_LIFETIME_DAYS),
        )
        try:
            with transient_as_domain():
                item.save(
                    condition=DeliveryItem.pk.does_not_exist()
                    | (DeliveryItem.state == "failed")
                    # a row left `sending` by an invocation that died mid-post (past the timeout)
                    | ((DeliveryItem.state == "sending") & (DeliveryItem.updated_at < now - STALE_SENDING))
                )
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return None
            raise
        return item

    def finish(self, item: DeliveryItem, state: str, now: datetime, error: str | None = None) -> None:
        actions: list[Action] = [DeliveryItem.state.set(state), DeliveryItem.updated_at.set(now)]
        if error is not None:
            actions.append(DeliveryItem.error.set(error))
        with transient_as_domain():
            item.update(actions=actions)

    def link(self, case_id: str, endpoint_id: str, link: dict[str, Any], now: datetime) -> None:
        """Store a record made elsewhere (a helpdesk ticket) on the case, with a timeline event."""
        with transient_as_domain():
            case = get_item(CaseItem, f"CASE#{case_id}", "CASE")
            if case is None:
                return
            links = dict(case.external_links or {})
            links[endpoint_id] = link
            case.update(actions=[CaseItem.external_links.set(links)], add_version_condition=False)
            new_event(case_id, "external_link", now, "system", endpoint=endpoint_id, link=link).save(
                condition=CaseEventItem.sk.does_not_exist()
            )
