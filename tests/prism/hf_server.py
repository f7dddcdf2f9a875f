"""A loopback stand-in for Hugging Face's ``resolve`` endpoint, with Range support and faults."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from orchestration.prism.hub import HF_REPOSITORY

RESOLVE = re.compile(rf"^/datasets/{re.escape(HF_REPOSITORY)}/resolve/([^/]+)/([^/]+)$")


@dataclass
class FakeHub:
    """Files served at every revision in ``revisions``; faults are consumed one per request."""

    files: dict[str, bytes]
    commit: str = "0123456789abcdef0123456789abcdef01234567"
    revisions: set[str] = field(default_factory=lambda: {"main"})
    truncate_next: int = 0
    fail_next_with: list[int] = field(default_factory=list)
    required_token: str | None = None
    requests: list[dict[str, str | None]] = field(default_factory=list)
    url: str = ""


class _Handler(BaseHTTPRequestHandler):
    hub: FakeHub

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        """Keep test output quiet."""

    def do_HEAD(self) -> None:  # noqa: N802 - stdlib name
        self._answer(body=False)

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self._answer(body=True)

    def _answer(self, body: bool) -> None:
        hub = self.hub
        hub.requests.append(
            {
                "path": self.path,
                "range": self.headers.get("Range"),
                "authorization": self.headers.get("Authorization"),
            }
        )
        match = RESOLVE.match(self.path)
        revision_known = match and match.group(1) in hub.revisions | {hub.commit}
        if not match or not revision_known or match.group(2) not in hub.files:
            self._empty(404)
            return
        if hub.required_token and self.headers.get("Authorization") != (
            f"Bearer {hub.required_token}"
        ):
            self._empty(401)
            return
        if hub.fail_next_with:
            self._empty(hub.fail_next_with.pop(0))
            return
        content = hub.files[match.group(2)]
        start = 0
        requested = self.headers.get("Range")
        if requested:
            start = int(requested.removeprefix("bytes=").split("-")[0])
            if start >= len(content):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(content)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(content) - 1}/{len(content)}")
        else:
            self.send_response(200)
        payload = content[start:]
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-Repo-Commit", hub.commit)
        self.end_headers()
        if not body:
            return
        if hub.truncate_next:
            hub.truncate_next -= 1
            # Promise the whole payload, send half, then hang up.
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(payload)

    def _empty(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


@contextmanager
def serve(hub: FakeHub) -> Iterator[FakeHub]:
    """Run ``hub`` on 127.0.0.1 in a thread; ``hub.url`` is its base URL."""
    handler = type("Handler", (_Handler,), {"hub": hub})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hub.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield hub
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
