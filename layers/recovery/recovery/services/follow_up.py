"""Follow-ups: a few days after a case is resolved, ask the customer again, and record how it ended.

For the cases API (`CaseStore.resolve` puts the plan in the case's own transaction, and `CaseStore.reopen`
cancels a follow-up not sent yet in its own):

    plan_follow_up(case: Case, customer: Customer | None, team: Team | None, score: dict,
                   resolved_at: datetime) -> FollowUpPlan | None
        The follow-up to schedule on resolve (state `scheduled`, in the due index at the due time), or
        None when the team's follow-up is off or the customer has neither address nor phone.
        `score` is the original score (`feedback.detail["score"]`): the scale the customer is asked again.

Then, every 5 minutes, `FollowUps.run(now)` reads the due index only:
- `DUE#followup#<shard>`: send. The case must still be resolved (else the follow-up is cancelled). One
  run takes it (scheduled -> sending, conditionally), the customer's cap is counted under the
  customer's version, and `CustomerMessenger` sends (opt-out, suppression, contact hours, delivery rows,
  unsubscribe). Email when there is an address, else SMS, with a single-use `/f/{code}` link valid for
  the answer window. Sent, it moves to `DUE#noresponse#<shard>` at the end of the window.
- `DUE#noresponse#<shard>`: no answer in time: the follow-up and the case's outcome become `no_response`.

The customer answers on `/f/{code}` (`inspect` for the page, `answer` for the form): the follow-up, the
case's outcome and ratings, and a timeline event are written in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from recovery import clock
from recovery.domain import follow_up as followup
from recovery.domain import links
from recovery.domain.classify import Thresholds
from recovery.domain.feedback import Score
from recovery.domain.follow_up import FollowUpPlan
from recovery.domain.identity import DUE_SHARDS
from recovery.domain.records import Case, Customer, FollowUp
from recovery.domain.routing import FollowUpPolicy, Team
from recovery.notify.follow_up import FollowUpContext, render_follow_up
from recovery.observability import RecordMetric
from recovery.services.alerts import CachedConfig
from recovery.services.customer_contact import CustomerMessenger, MessageLinks, contact_zone, timeline_kind
from recovery.store.follow_up import DUE_KIND, NO_RESPONSE_KIND, FollowUpStore
from recovery.store.links import LinkStore

KIND = "followup"  # the outbox kind
CAP_WINDOW = timedelta(days=30)
LEASE = timedelta(minutes=15)  # a run that took a follow-up and died: another may take it after this
RETRY_AFTER = timedelta(minutes=30)
MAX_ATTEMPTS = 3
COMMENT_MAX = 2000


# ------------------------------------------------------------------------------------------ cases API
def policy_of(team: Team | None) -> FollowUpPolicy:
    return team.followup if team is not None else FollowUpPolicy()


def plan_follow_up(
    case: Case,
    customer: Customer | None,
    team: Team | None,
    score: dict[str, Any],
    resolved_at: datetime,
) -> FollowUpPlan | None:
    """The follow-up to put in the resolve transaction, or None (see the module doc)."""
    policy = policy_of(team)
    if not policy.enabled or customer is None or not (customer.email or customer.phone):
        return None
    due = followup.due_time(resolved_at, policy, contact_zone(customer, team))
    return FollowUpPlan(
        case_id=case.case_id,
        customer_key=case.customer_key,
        team=team.id if team is not None else case.team,
        scheduled_for=due,
        score=dict(score),
        resolved_at=resolved_at,
    )


# ---------------------------------------------------------------------------------------- the run
@dataclass
class RunOutcome:
    sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    no_response: list[str] = field(default_factory=list)
    items_read: int = 0  # keys read from the due index

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass(frozen=True)
class View:
    """What the follow-up page shows for a code: the original score's scale, in the customer's language."""

    followup: FollowUp
    score: Score
    language: str | None  # the customer's locale
    grant: links.Grant


@dataclass(frozen=True)
class Answer:
    """A validated answer from the form."""

    score: Score
    satisfied: bool
    comment: str | None


class BadAnswer(ValueError):
    """The form was not filled in correctly; `field` names what to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class FollowUps:
    def __init__(
        self,
        store: FollowUpStore,
        config: CachedConfig,
        links_store: LinkStore,
        messenger: CustomerMessenger,
        public_url: str,
        metric: RecordMetric,
        thresholds: Callable[[str], Thresholds | None] = lambda _: None,
    ) -> None:
        self._store = store
        self._config = config
        self._links = links_store
        self._messenger = messenger
        self._public_url = public_url.rstrip("/")
        self._metric = metric
        self._thresholds = thresholds

    def run(self, now: datetime) -> RunOutcome:
        """Due work only: follow-ups to send, and answer windows that closed."""
        outcome = RunOutcome()
        until = clock.iso(now)
        for shard in range(DUE_SHARDS):
            due = self._store.due(DUE_KIND, shard, until)
            outcome.items_read += len(due)
            for case_id in due:
                result = self.send(case_id, now)
                if result != "nothing":
                    getattr(outcome, result).append(case_id)
            closing = self._store.due(NO_RESPONSE_KIND, shard, until)
            outcome.items_read += len(closing)
            for case_id in closing:
                if self.close_unanswered(case_id, now):
                    outcome.no_response.append(case_id)
        return outcome

    # ------------------------------------------------------------------------------------------ send
    def send(self, case_id: str, now: datetime) -> str:
        """Send one due follow-up. Answers sent, skipped, deferred, failed, cancelled or "nothing"."""
        item = self._store.get(case_id)
        if item is None or not _due(item, DUE_KIND, now) or item.state not in ("scheduled", "sending"):
            return "nothing"
        case = self._store.get_case(case_id)
        if case is None or case.status != "resolved":
            if self._store.cancel(item):
                self._store.record(case_id, "followup_cancelled", now, reason="case not resolved")
            return "cancelled"
        # One run takes it. A "sending" left by a run that died is taken over once its lease ran out.
        previous = item.claimed_at if item.state == "sending" else None
        stamp = clock.iso(now)
        if not self._store.claim(item, now, LEASE):
            return "nothing"

        team = self._team(item, case)
        policy = policy_of(team)
        customer = self._store.get_customer(item.customer_key)
        if customer is None:
            return self._skip(item, case_id, now, "no_address", record=True)

        def fits(sent: list[str]) -> list[str] | None:
            recent = [at for at in sent if at > clock.iso(now - CAP_WINDOW) and at != previous]
            return None if len(recent) >= policy.max_per_customer else [*recent, stamp]

        counted, customer = self._store.count_follow_up(customer, now, fits)
        if not counted:
            self._metric("FollowupsCapped", 1, "Count")
            return self._skip(item, case_id, now, "cap", record=True)

        result = self._messenger.send(
            case_id, customer, KIND, None, self._renderer(case_id, customer, team, policy), now, team=team
        )
        if result.status == "sent" or (result.status == "skipped" and result.reason == "already_sent"):
            channel = result.channel or ("email" if customer.email else "sms")
            self._store.mark_sent(item, channel, now, now + timedelta(days=policy.answer_days))
            self._store.mark_case_sent(case, now)
            self._metric("FollowupsSent", 1, "Count")
            return "sent"
        self._store.uncount_follow_up(customer, stamp)
        if result.status == "skipped":
            return self._skip(item, case_id, now, result.reason or "skipped", record=False)
        if result.status == "deferred" and result.until is not None:
            self._reschedule(item, result.until, attempts=int(item.attempts or 0))
            return "deferred"
        attempts = int(item.attempts or 0) + 1
        if attempts >= MAX_ATTEMPTS:
            self._metric("FollowupsFailed", 1, "Count")
            return self._skip(item, case_id, now, "failed", record=True)
        self._reschedule(item, now + RETRY_AFTER, attempts=attempts)
        return "failed"

    def _renderer(
        self, case_id: str, customer: Customer, team: Team | None, policy: FollowUpPolicy
    ) -> Callable[[str, MessageLinks], Any]:
        """The messenger calls this once the guardrails let the message go, before it claims the delivery
        row: the link is issued then, and once."""
        codes: list[str] = []

        def render(language: str, message_links: MessageLinks) -> Any:
            if not codes:
                lifetime = timedelta(days=policy.answer_days)
                codes.append(self._links.issue(links.Purpose.FOLLOWUP, case_id, customer.key, lifetime))
            context = FollowUpContext(
                answer_url=f"{self._public_url}/f/{codes[0]}",
                team=team.name if team is not None else "Customer care",
                customer_name=customer.name,
                answer_days=policy.answer_days,
            )
            return render_follow_up(language, message_links, context)

        return render

    def _team(self, item: FollowUp, case: Case) -> Team | None:
        wanted = item.team or case.team
        if not wanted:
            return None
        return next((team for team in self._config.get().teams if team.id == wanted), None)

    def _skip(self, item: FollowUp, case_id: str, now: datetime, reason: str, record: bool) -> str:
        if self._store.skip(item, reason) and record:
            self._store.record(case_id, timeline_kind(KIND, "skipped"), now, reason=reason)
        return "skipped"

    def _reschedule(self, item: FollowUp, when: datetime, attempts: int) -> None:
        self._store.reschedule(item, when, attempts)

    # ---------------------------------------------------------------------------------- no response
    def close_unanswered(self, case_id: str, now: datetime) -> bool:
        """The answer window closed without an answer: outcome `no_response`, on the case too."""
        item = self._store.get(case_id)
        if item is None or item.state != "sent" or not _due(item, NO_RESPONSE_KIND, now):
            return False
        case = self._store.get_case(case_id)
        closed = self._store.close_unanswered(item, case, followup.NO_RESPONSE, now)
        if case is None:
            return closed
        if closed:
            self._metric("FollowupsUnanswered", 1, "Count")
        return closed

    # --------------------------------------------------------------------------------------- answer
    def inspect(self, code: str, now: datetime) -> tuple[links.Verdict, View | None]:
        """What the page shows for a code (a GET changes nothing: mail scanners prefetch links).

        The view comes with an expired or answered code too (the page then speaks the customer's
        language), never with one that grants nothing here. A code used by a submit whose write then
        failed (the follow-up still waits for its answer) shows the form again, so the customer can
        send it again; once answered it is `USED`.
        """
        grant = self._links.resolve(code)
        verdict = links.check(grant, links.Purpose.FOLLOWUP, now)
        if grant is None or verdict in (links.Verdict.UNKNOWN, links.Verdict.WRONG_PURPOSE):
            return verdict, None
        item = self._store.get(grant.subject)
        if item is None or item.customer_key != grant.audience:
            return links.Verdict.UNKNOWN, None
        try:
            score = followup.parse_score(item.score)
        except ValueError:
            return links.Verdict.UNKNOWN, None
        customer = self._store.get_customer(item.customer_key)
        view = View(item, score, customer.locale if customer is not None else None, grant)
        if verdict is links.Verdict.EXPIRED:
            return verdict, view
        return (links.Verdict.OK if item.state == "sent" else links.Verdict.USED), view

    def answer(
        self,
        code: str,
        form: dict[str, str],
        now: datetime,
        inspected: tuple[links.Verdict, View | None] | None = None,
    ) -> tuple[links.Verdict, View | None, str]:
        """Validate and store the customer's answer. Raises BadAnswer (the form again, 400) before the
        link is used. Answers the verdict, the view and the outcome ("" when refused). `inspected` is
        what `inspect` answered for this request, if the caller asked already."""
        verdict, view = inspected or self.inspect(code, now)
        if verdict is not links.Verdict.OK or view is None:
            return verdict, view, ""
        answer = parse_answer(view.score, form)
        if not self._links.use(code, view.grant.audience, now) and view.grant.used_at is None:
            # Used or expired between the read and now: say which.
            return links.check(self._links.resolve(code), links.Purpose.FOLLOWUP, now), view, ""

        item = view.followup
        case = self._store.get_case(item.case_id)
        if case is None:
            return links.Verdict.UNKNOWN, view, ""
        thresholds = self._thresholds(case.source) if case.source else None
        before = view.score
        result = followup.outcome(before, answer.score, thresholds)
        change = followup.delta(before, answer.score)
        before_dump, after_dump = before.model_dump(mode="json"), answer.score.model_dump(mode="json")
        stored = {"score": after_dump, "satisfied": answer.satisfied, "comment": answer.comment}
        detail = {
            "outcome": result,
            "delta": change,
            "satisfied": answer.satisfied,
            "comment": bool(answer.comment),
        }
        if not self._store.record_answer(
            item, case, stored, result, before_dump, after_dump, change, now, detail
        ):
            return links.Verdict.USED, view, ""
        self._metric("FollowupsAnswered", 1, "Count")
        self._metric(f"Outcome_{result}", 1, "Count")
        return links.Verdict.OK, view, result


def _due(item: FollowUp, kind: str, now: datetime) -> bool:
    return bool(item.due_kind == kind and item.due_at and item.due_at <= clock.iso(now))


def parse_answer(original: Score, form: dict[str, str]) -> Answer:
    """The form's fields (`score`, `satisfied` yes|no, `comment`) checked against the original scale."""
    raw = (form.get("score") or "").strip()
    if not raw:
        raise BadAnswer("score", "choose a rating")
    value: Any = raw
    if original.type != "thumbs":
        try:
            value = float(raw) if original.type == "custom" else int(raw)
        except ValueError as error:
            raise BadAnswer("score", "choose a rating") from error
    try:
        score = followup.same_scale(original, value)
    except ValueError as error:
        raise BadAnswer("score", "choose a rating on the scale shown") from error
    satisfied = (form.get("satisfied") or "").strip()
    if satisfied not in ("yes", "no"):
        raise BadAnswer("satisfied", "answer yes or no")
    comment = (form.get("comment") or "").replace("\r\n", "\n").strip()
    if len(comment) > COMMENT_MAX:
        raise BadAnswer("comment", f"keep the comment to {COMMENT_MAX} characters")
    return Answer(score, satisfied == "yes", comment or None)
