"""Stopping on SIGINT and SIGTERM, with signal handlers that never take a lock.

A Python signal handler runs in the main thread between two bytecodes, wherever that thread happens to
be: inside `threading.Event.wait`, for instance, while it holds the Event's own lock. A handler that
then sets that Event, or logs (logging takes its handlers' locks), waits for a lock its own thread
holds, for ever, and every later Ctrl-C or SIGTERM runs the same stuck handler. So the handler here
only records the signal in plain attributes, and the interpreter itself writes a byte to a pipe
(`signal.set_wakeup_fd`) that the main thread waits on with `select`, which takes no lock either.

- While the runtime starts, a signal ends the process at once: it has accepted nothing yet, and the
  saved state on disk is only ever replaced whole.
- Once it serves, the first signal asks for a graceful stop: the main thread wakes, stops serving,
  drains and saves, within a deadline that a watchdog enforces (`local.runtime`).
- Another signal at least `REPEAT_WINDOW_SECONDS` after the first ends the process at once, without
  saving. One that comes sooner is the same request again: `make run` passes the SIGTERM it receives
  on to the runtime, so a SIGTERM to the whole process group arrives twice.

This module imports nothing heavy, so `python -m local` installs it before it loads moto.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import time
from types import FrameType
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
REPEAT_WINDOW_SECONDS = 1.0


def exit_at_once(code: int, message: bytes) -> None:
    """Leave now: one raw write to stderr and `_exit`, neither of which takes a lock."""
    with contextlib.suppress(OSError):
        os.write(2, message)
    os._exit(code)


class StopSignals:
    """SIGINT and SIGTERM for the main thread to wait on; see the module docstring."""

    def __init__(self) -> None:
        self.received: int | None = None  # the first stop signal
        self.received_at = 0.0  # time.monotonic() when it came
        self.serving = False
        self._read_fd = -1
        self._write_fd = -1
        self._previous_wakeup_fd = -1
        self._previous_handlers: dict[int, Any] = {}

    def install(self) -> StopSignals:
        """From the main thread, as early as possible."""
        self._read_fd, self._write_fd = os.pipe()
        for descriptor in (self._read_fd, self._write_fd):
            os.set_blocking(descriptor, False)
        self._previous_wakeup_fd = signal.set_wakeup_fd(self._write_fd, warn_on_full_buffer=False)
        for signum in STOP_SIGNALS:
            self._previous_handlers[signum] = signal.signal(signum, self._handle)
        return self

    def uninstall(self) -> None:
        for signum, handler in self._previous_handlers.items():
            signal.signal(signum, handler)
        self._previous_handlers.clear()
        signal.set_wakeup_fd(self._previous_wakeup_fd)
        for descriptor in (self._read_fd, self._write_fd):
            if descriptor >= 0:
                os.close(descriptor)
        self._read_fd = self._write_fd = -1

    def start_serving(self) -> None:
        """From now on the first signal asks for a graceful stop instead of ending the process."""
        self.serving = True

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        # Plain attributes, time.monotonic(), os.write and os._exit only: no lock, no logging.
        now = time.monotonic()
        if self.received is None:
            self.received = signum
            self.received_at = now
            if not self.serving:
                exit_at_once(128 + signum, b"local: stopped while starting\n")
            return
        if now - self.received_at >= REPEAT_WINDOW_SECONDS:
            exit_at_once(128 + signum, b"local: second signal, stopped at once without saving\n")

    def wait(self, timeout: float | None = None) -> int | None:
        """Block until a stop signal has come; answer it, or None after `timeout` seconds without one."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.received is None:
            remaining = 1.0 if deadline is None else min(1.0, deadline - time.monotonic())
            if remaining <= 0:
                return None
            # The interpreter writes to the pipe before the handler runs, so the byte is there even
            # when the signal lands between the check above and this call. The one-second bound is a
            # second line of defence only.
            readable, _, _ = select.select([self._read_fd], [], [], remaining)
            if readable:
                self._empty_pipe()
        return self.received

    def _empty_pipe(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while os.read(self._read_fd, 512):
                pass
