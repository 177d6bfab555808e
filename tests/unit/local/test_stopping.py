"""Stop signals: a signal that lands anywhere in the main thread's wait is handled, and no handler blocks.

The waits run in a subprocess, traced line by line: run k raises SIGTERM at the k-th line the waiting
thread executes (its own code and the standard library's beneath it), for every k until a run ends
without reaching that many lines. So the signal lands at every line boundary of the wait, including
those where the waiting thread holds a lock. A handler that takes such a lock deadlocks there; the
subprocess's timeout turns that into a failure instead of a hung test run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from local.stopping import REPEAT_WINDOW_SECONDS, StopSignals

REPO = Path(__file__).resolve().parents[3]
HARNESS = textwrap.dedent(
    """
    import signal, sys, threading
    from local.stopping import StopSignals

    def stop_signals():
        signals = StopSignals().install()
        signals.start_serving()
        return (lambda: signals.wait(0.3) is not None), signals.uninstall

    def event_handler():
        # The runtime's former design: the handler sets the Event the main thread waits on.
        stopping = threading.Event()
        signal.signal(signal.SIGTERM, lambda signum, frame: stopping.set())
        return (lambda: stopping.wait(0.3)), lambda: signal.signal(signal.SIGTERM, signal.SIG_DFL)

    make = {"stop_signals": stop_signals, "event_handler": event_handler}[sys.argv[1]]
    landing = 0
    while True:
        wait, done = make()
        seen = 0

        def trace(frame, event, arg):
            global seen
            if event == "line":
                if seen == landing:
                    signal.raise_signal(signal.SIGTERM)
                seen += 1
            return trace

        sys.settrace(trace)
        stopped = wait()
        sys.settrace(None)
        # A signal that lands just as the wait times out is answered by the next wait.
        stopped = stopped or wait()
        done()
        if seen <= landing:  # this run never reached the landing line: every line has had its signal
            break
        assert stopped, f"the signal raised at line {landing} of the wait was lost"
        landing += 1
    print(landing)
    """
)


def run_harness(design: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", HARNESS, design],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_a_signal_landing_on_any_line_of_the_wait_stops_it() -> None:
    # GIVEN the stop signals the runtime waits on, serving
    # WHEN SIGTERM is raised at each line the waiting main thread runs, one run per line
    done = run_harness("stop_signals", timeout=30)
    # THEN every run returns the signal, and none deadlocks
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) >= 5  # the signal landed on that many distinct lines


def test_the_harness_catches_a_handler_that_sets_the_event_being_waited_on() -> None:
    # GIVEN the design the runtime had: the handler calls Event.set() on the Event the main thread waits on
    # WHEN the same harness lands SIGTERM on each line of Event.wait
    # THEN one landing, inside the Event's condition lock, deadlocks the handler: the run never ends
    with pytest.raises(subprocess.TimeoutExpired):
        run_harness("event_handler", timeout=5)


def test_a_repeat_within_the_window_is_the_same_request_and_a_later_one_exits(tmp_path: Path) -> None:
    # GIVEN a process that serves and waits for a stop signal, then takes a while to stop
    script = textwrap.dedent(
        """
        import sys, time
        from local.stopping import StopSignals
        signals = StopSignals().install()
        signals.start_serving()
        print("ready", flush=True)
        signals.wait()
        print("stopping", flush=True)
        time.sleep(float(sys.argv[1]))
        print("stopped cleanly", flush=True)
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script, "30"],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == "ready\n"
        # WHEN SIGTERM comes twice at once (make passes on the group's SIGTERM), then once more later
        process.send_signal(signal.SIGTERM)
        process.send_signal(signal.SIGTERM)
        assert process.stdout.readline() == "stopping\n"
        time.sleep(0.2)
        assert process.poll() is None  # the duplicate did not end it
        time.sleep(REPEAT_WINDOW_SECONDS)
        process.send_signal(signal.SIGINT)
        # THEN the later signal ends it at once, saying so
        assert process.wait(timeout=5) == 128 + signal.SIGINT
        assert b"second signal" in process.stderr.read().encode()
    finally:
        process.kill()
        process.wait()


def test_a_signal_while_starting_ends_the_process_at_once() -> None:
    script = "from local.stopping import StopSignals\nimport time\nStopSignals().install()\n"
    script += "print('ready', flush=True)\ntime.sleep(30)\n"
    process = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None and process.stdout.readline() == b"ready\n"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=5) == 128 + signal.SIGINT
    finally:
        process.kill()
        process.wait()


def test_wait_answers_none_after_its_timeout_without_a_signal() -> None:
    signals = StopSignals().install()
    try:
        signals.start_serving()
        started = time.monotonic()
        assert signals.wait(timeout=0.1) is None
        assert 0.1 <= time.monotonic() - started < 1.0
    finally:
        signals.uninstall()
