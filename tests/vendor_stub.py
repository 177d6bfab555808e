"""A vendor API stubbed at the HTTP layer: a real server on 127.0.0.1 serving fixture bytes, so the code
under test makes its real requests (headers, timeouts, status codes) and nothing of ours is mocked."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class VendorStub:
    """path -> (status, body bytes), an optional delay before answering, and the requests it saw."""

    routes: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    delay: float = 0.0
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    url: str = ""


@contextmanager
def serve_vendor() -> Iterator[VendorStub]:
    stub = VendorStub()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            stub.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            time.sleep(stub.delay)
            status, body = stub.routes.get(self.path, (404, b'{"error": "not found"}'))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
