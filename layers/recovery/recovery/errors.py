"""Domain exceptions. Each maps to exactly one HTTP answer, in one place per function."""

from __future__ import annotations


class RecoveryError(Exception):
    """Base of the errors the API answers deliberately."""


class Unauthorized(RecoveryError):
    """No key, or a key that matches no source."""


class TransientFailure(RecoveryError):
    """AWS failed in a way a retry can fix (throttling, 5xx, network). Nothing was written."""


class Conflict(RecoveryError):
    """Concurrent writers kept winning; the caller may retry."""
