"""Link grants in the table, keyed by the SHA-256 of their code: the plain code is never stored.

| item | pk                  | sk   |
|------|---------------------|------|
| link | LINK#<sha256(code)> | LINK |

`valid_until` is when the link stops working. `expires_at` is the table's TTL attribute, set 30 days
later, so a used or expired link still answers 410 ("no longer valid") for a while rather than 403
("never valid"), and then disappears. TTL deletes lazily, so nothing relies on it for expiry.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.exceptions import PutError, UpdateError

from recovery import clock
from recovery.domain.links import (
    Grant,
    Purpose,
    code_hash,
    new_code,
    new_reply_code,
    well_formed,
    well_formed_reply,
)
from recovery.store.errors import transient_as_domain
from recovery.store.models import LinkItem, get_item

LINGER = timedelta(days=30)  # how long a dead link answers 410 before TTL removes it
_SK = "LINK"
_CONDITION_FAILED = "ConditionalCheckFailedException"


def link_pk(digest: str) -> str:
    return f"LINK#{digest}"


def _grant(item: LinkItem) -> Grant:
    return Grant(
        code_hash=item.pk.removeprefix("LINK#"),
        purpose=Purpose(item.purpose),
        subject=item.subject,
        audience=item.audience,
        expires_at=item.valid_until,
        single_use=bool(item.single_use),
        used_at=item.used_at,
        used_by=item.used_by,
    )


class LinkStore:
    def issue(
        self, purpose: Purpose, subject: str, audience: str, lifetime: timedelta, single_use: bool = True
    ) -> str:
        """Store a new grant and return its code: the only time the code exists in plain form."""
        return self._issue(new_code(), purpose, subject, audience, lifetime, single_use)

    def issue_reply(self, case_id: str, customer_key: str, lifetime: timedelta) -> str:
        """A reply code for a customer's email about `case_id` (the `reply+<code>@` of its Reply-To):
        reusable until it expires, so every reply to the same thread lands on the case."""
        return self._issue(new_reply_code(), Purpose.REPLY, case_id, customer_key, lifetime, False)

    def resolve_reply(self, code: str) -> Grant | None:
        """The grant behind a reply code, or None. A code that can't be one of ours costs no read."""
        if not well_formed_reply(code):
            return None
        with transient_as_domain():
            item = get_item(LinkItem, link_pk(code_hash(code)), _SK)
        return _grant(item) if item is not None else None

    def _issue(
        self, code: str, purpose: Purpose, subject: str, audience: str, lifetime: timedelta, single_use: bool
    ) -> str:
        if lifetime <= timedelta(0):
            raise ValueError("a link's lifetime must be positive")
        now = clock.now()
        item = LinkItem(
            link_pk(code_hash(code)),
            _SK,
            purpose=Purpose(purpose).value,
            subject=subject,
            audience=audience,
            issued_at=now,
            valid_until=now + lifetime,
            single_use=single_use,
            expires_at=now + lifetime + LINGER,
        )
        # Never overwrite a grant: with 96 random bits a collision won't happen, and if it ever did, the
        # holder of the first link must not silently gain someone else's grant.
        with transient_as_domain():
            try:
                item.save(condition=LinkItem.pk.does_not_exist())
            except PutError as error:
                if error.cause_response_code == _CONDITION_FAILED:
                    raise RuntimeError("link code collision; issue again") from error
                raise
        return code

    def resolve(self, code: str) -> Grant | None:
        """The grant behind `code`, or None. A code that can't be one of ours costs no read."""
        if not well_formed(code):
            return None
        with transient_as_domain():
            item = get_item(LinkItem, link_pk(code_hash(code)), _SK)
        return _grant(item) if item is not None else None

    def use(self, code: str, by: str, now: datetime) -> bool:
        """Mark the grant used by `by` at `now`, atomically, only if it exists, has not expired and (when
        single-use) was never used: of two concurrent uses exactly one gets True."""
        if not well_formed(code):
            return False
        condition = LinkItem.pk.exists() & (LinkItem.valid_until > now)
        condition &= (LinkItem.single_use == False) | LinkItem.used_at.does_not_exist()  # noqa: E712
        item = LinkItem(link_pk(code_hash(code)), _SK)
        with transient_as_domain():
            try:
                item.update(
                    actions=[LinkItem.used_at.set(now), LinkItem.used_by.set(by)],
                    condition=condition,
                )
            except UpdateError as error:
                if error.cause_response_code == _CONDITION_FAILED:
                    return False
                raise
        return True
