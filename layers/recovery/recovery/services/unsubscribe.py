"""`/u/{code}`: a customer stops all messages about their feedback, from a link in any email we sent.

A GET only shows what would happen (mail scanners prefetch links); a POST, from the page's form or an
RFC 8058 one-click request (`List-Unsubscribe=One-Click`), opts the customer out of email and SMS. The
link is reusable and long-lived: a second one-click POST answers the same, and changes nothing more.
"""

from __future__ import annotations

from datetime import datetime

from recovery.domain import links
from recovery.domain.records import Customer
from recovery.store.customer_messages import CustomerPreferences
from recovery.store.links import LinkStore

CHANNELS = ("email", "sms")


class Unsubscribes:
    def __init__(self, links_store: LinkStore, preferences: CustomerPreferences) -> None:
        self._links = links_store
        self._preferences = preferences

    def inspect(self, code: str, now: datetime) -> tuple[links.Verdict, Customer | None]:
        """Whether the code may unsubscribe now, and whose it is (also when expired: the refusal is then
        shown in the customer's language); changes nothing."""
        grant = self._links.resolve(code)
        verdict = links.check(grant, links.Purpose.UNSUBSCRIBE, now)
        if grant is None or verdict in (links.Verdict.UNKNOWN, links.Verdict.WRONG_PURPOSE):
            return verdict, None
        return verdict, self._preferences.get(grant.subject)

    def unsubscribe(self, code: str, now: datetime) -> tuple[links.Verdict, Customer | None]:
        verdict, customer = self.inspect(code, now)
        if verdict is not links.Verdict.OK:
            return verdict, customer
        grant = self._links.resolve(code)
        assert grant is not None
        if not self._links.use(code, grant.audience, now):
            return links.Verdict.EXPIRED, None  # it expired between the two reads
        if customer is None:
            return verdict, None  # erased meanwhile: nothing left to message
        return verdict, self._preferences.opt_out(grant.subject, CHANNELS, now)
