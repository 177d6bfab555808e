"""Builds what the deliveries function needs: the suppression list that SES bounces and complaints add to,
keyed by the same keyed hash of an address the senders check it by, and the cases' timelines a customer
message's bounce is written on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from recovery.settings import Settings
from recovery.store.notices import UnreachableStore
from recovery.store.suppressions import SuppressionStore
from recovery.wiring import bind_table
from recovery.wiring.messaging import address_hasher


@dataclass(frozen=True)
class SuppressionList:
    store: SuppressionStore
    address_hash: Callable[[str], str]
    cases: UnreachableStore


def build_suppression_list(settings: Settings) -> SuppressionList:
    bind_table(settings)
    return SuppressionList(SuppressionStore(), address_hasher(settings), UnreachableStore())
