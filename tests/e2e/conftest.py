"""Starting the embedded runtime (`python -m local`) as a process for end-to-end tests.

Fixtures:
- `runtime`: one runtime for the whole session (per xdist worker), on free ports, with `--state` in a
  temporary directory. It yields a `RuntimeProcess`: the start-line fields as attributes and keys
  (`runtime.api_url`, `runtime["sources"]`), plus `runtime.url("/v1/health")`.
- `start_runtime(*args, template=None, cwd=None)`: a runtime of the test's own (extra command-line
  arguments, another template); stopped when the test ends.
- `runtime_launcher`: the same for wider scopes; `runtime_launcher.start(...)` / `.stop(process)`.

The process runs in a temporary working directory, so its `.local/runtime.json` never overwrites the
one of a `make run` in the repository; `--template` and `--config` default to the repository's.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import ROOT

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 60


class RuntimeProcess:
    """A running `python -m local` and the details its start line gave."""

    def __init__(self, info: dict[str, Any], process: subprocess.Popen[bytes], cwd: Path, log: Path) -> None:
        self.info = info
        self.process = process
        self.cwd = cwd
        self.log_path = log

    def __getitem__(self, key: str) -> Any:
        return self.info[key]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["info"][name]
        except KeyError:
            raise AttributeError(name) from None

    def url(self, path: str) -> str:
        return self.info["api_url"] + path

    def logs(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM (which saves `--state`), then wait; kill if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


class RuntimeLauncher:
    def __init__(self, workdir_factory: Callable[[], Path]) -> None:
        self._workdir = workdir_factory
        self._running: list[RuntimeProcess] = []

    def start(
        self,
        *args: str,
        template: Path | str | None = None,
        cwd: Path | None = None,
        config: Path | str | None = None,
    ) -> RuntimeProcess:
        cwd = cwd or self._workdir()
        command = [sys.executable, "-m", "local", "--port", "0", "--moto-port", "0"]
        command += ["--template", str(template or REPO / "template.yaml")]
        command += ["--config", str(config or REPO / "config"), *args]
        environment = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
        }
        log_path = cwd / f"runtime-{len(self._running)}-{time.monotonic_ns()}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(command, cwd=cwd, env=environment, stdout=subprocess.PIPE, stderr=log)
        try:
            line = first_line(process, START_TIMEOUT_SECONDS)
            info = json.loads(line)
        except Exception as error:
            process.kill()
            process.wait()
            tail = log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
            raise RuntimeError(f"the runtime did not start: {error}\n--- its log ---\n{tail}") from error
        running = RuntimeProcess(info, process, cwd, log_path)
        self._running.append(running)
        return running

    def stop(self, running: RuntimeProcess) -> int:
        code = running.stop()
        if running in self._running:
            self._running.remove(running)
        return code

    def stop_all(self) -> None:
        for running in list(self._running):
            self.stop(running)


def first_line(process: subprocess.Popen[bytes], timeout: float) -> str:
    """The runtime's start line: the first line of its output, within `timeout` seconds."""
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    buffer = b""
    while b"\n" not in buffer:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no start line within {timeout} s")
        if not selector.select(remaining):
            continue
        chunk = os.read(process.stdout.fileno(), 65536)
        if not chunk:
            raise EOFError(f"the runtime exited with {process.wait()}")
        buffer += chunk
    return buffer.split(b"\n", 1)[0].decode("utf-8")


@pytest.fixture(scope="session")
def runtime_launcher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RuntimeLauncher]:
    launcher = RuntimeLauncher(lambda: tmp_path_factory.mktemp("runtime"))
    yield launcher
    launcher.stop_all()


@pytest.fixture(scope="session")
def runtime(
    runtime_launcher: RuntimeLauncher, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RuntimeProcess]:
    state = tmp_path_factory.mktemp("runtime-state")
    running = runtime_launcher.start("--state", str(state))
    yield running
    runtime_launcher.stop(running)


@pytest.fixture
def start_runtime(runtime_launcher: RuntimeLauncher) -> Iterator[Callable[..., RuntimeProcess]]:
    started: list[RuntimeProcess] = []

    def start(*args: str, template: Path | str | None = None, cwd: Path | None = None) -> RuntimeProcess:
        running = runtime_launcher.start(*args, template=template, cwd=cwd)
        started.append(running)
        return running

    yield start
    for running in started:
        runtime_launcher.stop(running)


def admin_cli(runtime: Any, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m tools.admin` against a running runtime, with its admin key."""
    command = [sys.executable, "-m", "tools.admin", "--url", runtime["api_url"]]
    return subprocess.run(
        [*command, "--key", runtime["admin_key"], *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        check=False,
    )
