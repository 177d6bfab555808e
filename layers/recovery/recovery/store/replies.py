"""Storage for customer replies: where a text from a phone number belongs, and threading a reply once.

| item            | pk                          | sk        |
|-----------------|-----------------------------|-----------|
| sms reply route | SMSROUTE#<hmac(phone)>      | <case id> |
| seen reply      | SEEN#reply#<sha256(msg id)> | SEEN      |

A route is written when a customer is texted about a case (only a customer we texted knows our number),
so a text back finds its cases by one Query on the key: the number itself is in no key. A reply is
threaded once: its `customer_reply` event is written in one transaction with a `SEEN` item keyed by the
provider's message id, so a retried or repeated delivery of the same message writes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from recovery.domain.records import Case
from recovery.store.cases import new_event
from recovery.store.errors import transient_as_domain
from recovery.store.models import CaseEventItem, CaseItem, ReplyRouteItem, SeenItem, _Item, get_item
from recovery.store.records import case_of

ROUTE_LIFETIME = timedelta(days=180)  # as long as a reply code: a text back to a follow-up still lands
SEEN_LIFETIME = timedelta(days=30)  # far past any provider's retries
_SEEN_SK = "SEEN"
_ROUTES_READ = 20  # the most recent cases a number was texted about that a text back is matched among


def route_pk(phone_hash: str) -> str:
    return f"SMSROUTE#{phone_hash}"


def seen_pk(message_id: str) -> str:
    return f"SEEN#reply#{hashlib.sha256(message_id.encode('utf-8')).hexdigest()}"


class Duplicate(Exception):
    """This message was threaded before (a retry, or the provider delivering it twice)."""


class ReplyStore:
    def remember_sms(self, phone_hash: str, case_id: str, customer_key: str, now: datetime) -> None:
        """The customer at `phone_hash` was texted about `case_id` now: a text back may be about it."""
        with transient_as_domain():
            ReplyRouteItem(
                route_pk(phone_hash),
                case_id,
                case_id=case_id,
                customer_key=customer_key,
                at=now,
                expires_at=now + ROUTE_LIFETIME,
            ).save()

    def cases_texted(self, phone_hash: str) -> list[Case]:
        """The cases the number was texted about (one Query on the route's key, one BatchGet)."""
        with transient_as_domain():
            routes = list(ReplyRouteItem.query(route_pk(phone_hash), limit=_ROUTES_READ))
            keys = [(f"CASE#{route.case_id}", "CASE") for route in routes]
            found = list(CaseItem.batch_get(keys)) if keys else []
        return [case_of(item) for item in found]

    def seen(self, message_id: str) -> bool:
        """Whether the message was threaded already (a cheap check before any other work)."""
        with transient_as_domain():
            return get_item(SeenItem, seen_pk(message_id), _SEEN_SK) is not None

    def reply_puts(
        self, case_id: str, message_id: str, now: datetime, kind: str, actor: str, detail: dict[str, Any]
    ) -> list[tuple[_Item, Condition | None]]:
        """The items that thread one reply: its timeline event and its `SEEN` marker, both only if new.
        For a case store transaction that also changes the case (a reopen)."""
        seen = SeenItem(seen_pk(message_id), _SEEN_SK, expires_at=now + SEEN_LIFETIME)
        event = new_event(case_id, kind, now, actor, **detail)
        return [(seen, SeenItem.pk.does_not_exist()), (event, CaseEventItem.sk.does_not_exist())]

    def thread(
        self, case_id: str, message_id: str, now: datetime, kind: str, actor: str, detail: dict[str, Any]
    ) -> None:
        """Append the event once per message id, with nothing else changed. Raises Duplicate when the
        message was threaded before."""
        self.write(self.reply_puts(case_id, message_id, now, kind, actor, detail))

    @staticmethod
    def write(puts: Sequence[tuple[_Item, Condition | None]]) -> None:
        try:
            with transient_as_domain(), TransactWrite(connection=_connection()) as transaction:
                for item, condition in puts:
                    transaction.save(item, condition=condition)
        except TransactWriteError as error:
            if error.cause_response_code == "TransactionCanceledException":
                raise Duplicate("this message was threaded already") from error
            raise


def _connection() -> Connection:
    return CaseItem._get_connection().connection
