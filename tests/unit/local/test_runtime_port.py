"""Which port the API binds: the one given, else the saved one when free, else any free one."""

from __future__ import annotations

import logging
import socket
from types import SimpleNamespace
from typing import Any

import pytest

from local.runtime import Runtime
from local.state import RuntimeState


def bound(port: int, saved_port: int) -> tuple[Any, int]:
    runtime: Any = object.__new__(Runtime)
    runtime.options = SimpleNamespace(host="127.0.0.1", port=port)
    runtime.saved = RuntimeState(api_port=saved_port) if saved_port else None
    runtime._wsgi = lambda environ, start_response: []
    server = runtime._api_server()
    server.server_close()
    return server, int(server.server_port)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_port_0_takes_the_saved_port_when_it_is_free() -> None:
    saved = free_port()
    assert bound(0, saved)[1] == saved


def test_a_taken_saved_port_gives_way_to_a_free_one_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = int(holder.getsockname()[1])
        with caplog.at_level(logging.WARNING, logger="local"):
            port = bound(0, taken)[1]
    assert port not in (0, taken)
    assert f"the saved port {taken} is not free" in caplog.text


def test_a_given_port_wins_over_the_saved_one() -> None:
    given, saved = free_port(), free_port()
    assert bound(given, saved)[1] == given


def test_a_state_saved_before_ports_were_kept_has_none() -> None:
    old = RuntimeState()
    del old.__dict__["api_port"]  # as unpickled from a file written before the field existed
    assert old.api_port == 0
