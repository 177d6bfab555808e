"""Builds the unsubscribe function's service: a customer's opt-out, by the code in their message's link."""

from __future__ import annotations

from recovery.services.unsubscribe import Unsubscribes
from recovery.settings import Settings
from recovery.store.customer_messages import CustomerPreferences
from recovery.store.links import LinkStore
from recovery.wiring import bind_table


def build_unsubscribes(settings: Settings) -> Unsubscribes:
    bind_table(settings)
    return Unsubscribes(LinkStore(), CustomerPreferences())
