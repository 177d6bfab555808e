"""The one worker that moves work along: schedules, bus events, stream records, queue messages.

It wakes every 200 ms, or at once when an HTTP call finished, and drains everything that is ready, so the
effects of a request (a stream record, then a domain event, then an alert) land within a fraction of a
second. Moving the clock goes through here too, so schedules fire in time order with the clock set to
each firing's time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from local.bus import BusTap
from local.clock import VirtualClock, iso_seconds
from local.delivery import Deliverer
from local.queues import QueuePoller
from local.schedules import ScheduledRule, due
from local.streams import StreamPoller

log = logging.getLogger(__name__)

TICK_SECONDS = 0.2
CATCH_UP_MODES = ("all", "last")
_MAX_ROUNDS = 10_000  # a loop of functions feeding each other must not hang the runtime


class Dispatcher:
    def __init__(
        self,
        clock: VirtualClock,
        deliverer: Deliverer,
        bus: BusTap,
        streams: list[StreamPoller],
        queues: list[QueuePoller],
        schedules: list[ScheduledRule],
        region: str,
        changed: Callable[[], None] = lambda: None,
    ) -> None:
        self.clock = clock
        self.deliverer = deliverer
        self.bus = bus
        self.streams = streams
        self.queues = queues
        self.schedules = schedules
        self.region = region
        self.changed = changed  # told whenever a delivery or a schedule may have changed state
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="dispatcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        """Stop the worker: it ends after the delivery in hand (an invocation is never cut short)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def finish(self, until: float) -> bool:
        """After stop(): deliver what is pending until `until` (time.monotonic()). True if nothing was
        left; False if time ran out first, or a clock move still held the worker's lock."""
        if not self._lock.acquire(timeout=max(0.0, until - time.monotonic())):
            return False
        try:
            return self.drain(until)
        finally:
            self._lock.release()

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(TICK_SECONDS)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                with self._lock:
                    self._fire_until(self.clock.now(), [])
                    self.drain()
            except Exception:
                log.exception("dispatcher step failed")

    def _halted(self, until: float | None) -> bool:
        """Time to leave off: past `until` if given, else once stop() was called."""
        return time.monotonic() >= until if until is not None else self._stop.is_set()

    def drain(self, until: float | None = None) -> bool:
        """Deliver until nothing is left to do (True), or until halted (False): see `_halted`.

        Halting happens between deliveries; pending bus events not yet delivered go back on the bus."""
        with self._lock:
            for _ in range(_MAX_ROUNDS):
                progressed = False
                pending = self.bus.take()
                while pending:
                    if self._halted(until):
                        self.bus.put_back(pending)
                        return False
                    delivery = pending.pop(0)
                    progressed = True
                    for target in delivery.targets:
                        self.deliverer.to_target(target, delivery.event)
                pollers: list[StreamPoller | QueuePoller] = [*self.streams, *self.queues]
                for poller in pollers:
                    if self._halted(until):
                        return False
                    progressed = poller.poll() or progressed
                if progressed:
                    self.changed()
                else:
                    return True
            log.warning(
                "stopped draining after %d rounds: do functions feed each other in a loop?", _MAX_ROUNDS
            )
            return False

    def move_clock(
        self, *, advance_seconds: float | None = None, to: datetime | None = None, catch_up: str = "all"
    ) -> dict[str, Any]:
        """Move the virtual clock forward, firing every schedule that falls due on the way, in order.

        With `catch_up="last"` each schedule fires only at its last due time in the interval, which
        turns days of one-minute sweeps into one run each (a coarser but much faster jump).
        """
        if catch_up not in CATCH_UP_MODES:
            raise ValueError(f"catch_up must be one of {', '.join(CATCH_UP_MODES)}")
        fired: list[dict[str, str]] = []
        with self._lock:
            now = self.clock.now()
            target = to if to is not None else now + timedelta(seconds=advance_seconds or 0)
            if target < now:
                raise ValueError("the clock only moves forward")
            if catch_up == "last":
                self._skip_to_last_due(target)
            if self._fire_until(target, fired):  # else the runtime is stopping: leave the clock there
                self.clock.advance_to(target)
                self.changed()
                self.drain()
            return {"now": self.clock.now(), "fired": fired}

    def _skip_to_last_due(self, until: datetime) -> None:
        for rule in self.schedules:
            moment = rule.next_at
            while moment is not None and moment <= until:
                following = rule.schedule.next_after(moment)
                if following is None or following > until:
                    break
                moment = following
            rule.next_at = moment

    def _fire_until(self, until: datetime, fired: list[dict[str, str]]) -> bool:
        """Fire every schedule due by `until`, in order; False if the runtime began to stop first."""
        while (rule := due(self.schedules, until)) is not None:
            if self._stop.is_set():
                return False
            moment = rule.next_at
            assert moment is not None
            self.clock.advance_to(moment)  # handlers see the time the schedule fired at
            fired.append({"rule": rule.name, "time": iso_seconds(moment)})
            event = rule.fire_event(moment, self.region)
            rule.next_at = rule.schedule.next_after(moment)
            for target in rule.targets:
                self.deliverer.to_target(target, event)
            self.changed()
            self.drain()
        return True
