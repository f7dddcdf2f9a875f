"""A stand-in Perspective API on loopback, faithful enough to test a real client against.

Runs a real HTTP/1.1 server (stdlib ``ThreadingHTTPServer``, one thread per connection, so slow
answers and dropped connections are real socket behaviour) and answers
``POST /v1alpha1/comments:analyze`` and ``comments:suggestscore`` the way the reference notes
(``perspective_api.md`` sections 1, 3 and 6) describe the live service:

- the key comes from the ``key`` query parameter: none gives 403 ``PERMISSION_DENIED``, an
  unknown one gives 400 ``API key not valid...`` with a ``google.rpc.ErrorInfo`` detail;
- a per-minute quota (sliding window) answers 429 ``RESOURCE_EXHAUSTED`` with the observed
  ``ErrorInfo`` and ``Help`` details, plus a ``Retry-After`` header;
- the body is checked field by field (unknown fields, comment type, both context kinds, empty
  text, the 20,480-byte limit, requested attributes, score types, languages per attribute), each
  failure with the documented message and ``errorType``;
- scores are float32 values derived from a hash of attribute and text, or taken from a lookup
  table keyed by ``text_hash``; spans, ``scoreThreshold``, ``clientToken`` and
  ``detectedLanguages`` behave as documented;
- faults (500s, bursts of 503s, slow answers, dropped connections, truncated JSON) are injected
  at a seeded rate, so a test run is reproducible for a given arrival order.

Assumptions where the live behaviour is unknown: the too-long answer has no ``details`` (as
observed in 2022); an unknown attribute has ``errorType: INVALID_REQUEST``; a text without
letters is detected as ``und`` (which then fails the language check, as observed); a quota
rejection does not use up quota; a ``gone`` server (after the shutdown) answers 404 everywhere.

It lives with the tests because only tests and benchmarks use it. Run it standalone from the
repository root with ``python -m tests.scoring.fake_perspective --port 8089 --quota-per-minute
600``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import random
import re
import signal
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

from scoring.attributes import API_VERSION, ATTRIBUTE_LANGUAGES, MAX_COMMENT_BYTES

FAULT_KINDS = ("http500", "http503_burst", "slow", "drop", "malformed")
ANALYZE_PATH = f"/{API_VERSION}/comments:analyze"
SUGGEST_PATH = f"/{API_VERSION}/comments:suggestscore"
STATS_PATH = "/_fake/stats"

_PERSPECTIVE_ERROR = "type.googleapis.com/google.commentanalyzer.v1alpha1.Error"
_ANALYZE_FIELDS = frozenset(
    {
        "comment",
        "context",
        "requestedAttributes",
        "languages",
        "doNotStore",
        "spanAnnotations",
        "clientToken",
        "sessionId",
        "communityId",
        "dropUnsupportedAttributes",
    }
)
_SCORE_TYPES = frozenset({"PROBABILITY", "SCORE_TYPE_UNSPECIFIED"})
_SENTENCE = re.compile(r"[^.!?]+(?:[.!?]+|$)")


@dataclass(frozen=True)
class FakeConfig:
    """How the fake behaves; defaults are the real API's (60 requests a minute, no faults)."""

    api_keys: frozenset[str] = frozenset({"test-key"})
    quota_per_minute: int | None = 60
    quota_window: float = 60.0
    fault_rate: float = 0.0
    fault_kinds: tuple[str, ...] = FAULT_KINDS
    burst_length: int = 3
    slow_seconds: float = 2.0
    latency: float = 0.0
    seed: int = 0
    score_table: Mapping[str, Mapping[str, float]] | None = None
    attribute_languages: Mapping[str, frozenset[str]] = field(
        default_factory=lambda: dict(ATTRIBUTE_LANGUAGES)
    )
    gone: bool = False
    project_number: str = "123456789012"

    def __post_init__(self) -> None:
        unknown = set(self.fault_kinds) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {FAULT_KINDS}")
        if not 0 <= self.fault_rate <= 1:
            raise ValueError(f"fault_rate must be in [0, 1], got {self.fault_rate}")


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the server saw it (the key is never kept)."""

    at: float
    path: str
    text_hash: str | None
    status: int | None
    fault: str | None


@dataclass(frozen=True)
class _Reply:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0
    drop: bool = False


class _BadRequest(Exception):
    def __init__(self, message: str, error_type: str | None, extra: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.error_type = error_type
        self.extra = extra or {}


def _json(status: int, payload: object, headers: tuple[tuple[str, str], ...] = ()) -> _Reply:
    return _Reply(status, json.dumps(payload).encode("utf-8"), headers)


def _error(
    code: int,
    status: str,
    message: str,
    details: list[dict] | None = None,
    headers: tuple[tuple[str, str], ...] = (),
) -> _Reply:
    error: dict[str, object] = {"code": code, "message": message, "status": status}
    if details:
        error["details"] = details
    return _json(code, {"error": error}, headers)


def _float32(value: float) -> float:
    return struct.unpack("f", struct.pack("f", value))[0]


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class FakePerspective:
    """The request handling, free of sockets so it can be reasoned about on its own."""

    def __init__(self, config: FakeConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._rng = random.Random(config.seed)
        self._burst_left = 0
        self._admitted: deque[float] = deque()
        self.log: list[LoggedRequest] = []

    def handle(self, method: str, target: str, body: bytes) -> _Reply:
        url = urlsplit(target)
        if method == "GET" and url.path == STATS_PATH:
            return _json(200, self.stats())
        text_hash = self._text_hash(body)
        with self._lock:
            now = time.time()
            reply, fault = self._admit(method, url.path, url.query, now)
            if reply is None:
                reply = self._answer(url.path, body, fault)
            status = None if reply.drop else reply.status
            self.log.append(LoggedRequest(now, url.path, text_hash, status, fault))
        if reply.drop:
            return reply
        return _Reply(reply.status, reply.body, reply.headers, reply.delay + self.config.latency)

    def stats(self) -> dict[str, object]:
        """Counts by status and fault, and the span of admitted requests, as plain JSON."""
        with self._lock:
            log = list(self.log)
        statuses: dict[str, int] = {}
        faults: dict[str, int] = {}
        for entry in log:
            key = "dropped" if entry.status is None else str(entry.status)
            statuses[key] = statuses.get(key, 0) + 1
            if entry.fault:
                faults[entry.fault] = faults.get(entry.fault, 0) + 1
        return {"requests": len(log), "by_status": statuses, "by_fault": faults}

    @staticmethod
    def _text_hash(body: bytes) -> str | None:
        try:
            text = json.loads(body)["comment"]["text"]
        except (ValueError, KeyError, TypeError):
            return None
        return hashlib.sha256(text.encode("utf-8")).hexdigest() if isinstance(text, str) else None

    def _admit(
        self, method: str, path: str, query: str, now: float
    ) -> tuple[_Reply | None, str | None]:
        """Route, key, quota and fault checks, in the order Google's front end applies them."""
        if self.config.gone or method != "POST" or path not in (ANALYZE_PATH, SUGGEST_PATH):
            return _error(404, "NOT_FOUND", f"Method not found: {method} {path}"), None
        keys = parse_qs(query).get("key")
        if not keys:
            return _error(403, "PERMISSION_DENIED", "The request is missing a valid API key."), None
        if keys[0] not in self.config.api_keys:
            info = {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": "commentanalyzer.googleapis.com"},
            }
            message = "API key not valid. Please pass a valid API key."
            return _error(400, "INVALID_ARGUMENT", message, [info]), None
        quota = self._quota_reply(now)
        if quota is not None:
            return quota, "quota"
        return self._fault()

    def _quota_reply(self, now: float) -> _Reply | None:
        limit = self.config.quota_per_minute
        if not limit:
            return None
        window = self.config.quota_window
        while self._admitted and self._admitted[0] <= now - window:
            self._admitted.popleft()
        if len(self._admitted) < limit:
            self._admitted.append(now)
            return None
        wait = max(1, math.ceil(self._admitted[0] + window - now))
        consumer = f"project_number:{self.config.project_number}"
        message = (
            "Quota exceeded for quota metric 'Analysis requests (AnalyzeComment)' and limit "
            "'Analysis requests (AnalyzeComment) per minute' of service "
            f"'commentanalyzer.googleapis.com' for consumer '{consumer}'."
        )
        details = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "RATE_LIMIT_EXCEEDED",
                "domain": "googleapis.com",
                "metadata": {
                    "quota_limit_value": str(limit),
                    "quota_limit": "AnalyzeRequestsPerMinutePerProject",
                    "consumer": f"projects/{self.config.project_number}",
                    "service": "commentanalyzer.googleapis.com",
                    "quota_location": "global",
                    "quota_metric": "CommentAnalyzerService/analyze_requests",
                },
            },
            {
                "@type": "type.googleapis.com/google.rpc.Help",
                "links": [
                    {
                        "description": "Request a higher quota limit.",
                        "url": "https://cloud.google.com/docs/quota#requesting_higher_quota",
                    }
                ],
            },
        ]
        return _error(
            429, "RESOURCE_EXHAUSTED", message, details, headers=(("Retry-After", str(wait)),)
        )

    def _fault(self) -> tuple[_Reply | None, str | None]:
        if self._burst_left > 0:
            self._burst_left -= 1
            return self._fault_reply("http503_burst"), "http503_burst"
        if not self.config.fault_kinds or self._rng.random() >= self.config.fault_rate:
            return None, None
        kind = self._rng.choice(self.config.fault_kinds)
        if kind == "http503_burst":
            self._burst_left = max(0, self.config.burst_length - 1)
        # A slow answer is still a correct answer: it is built by _answer and only delayed.
        return (None if kind == "slow" else self._fault_reply(kind)), kind

    def _fault_reply(self, kind: str) -> _Reply:
        if kind == "http500":
            return _error(500, "INTERNAL", "Internal error encountered.")
        if kind == "http503_burst":
            return _error(
                503,
                "UNAVAILABLE",
                "The service is currently unavailable.",
                headers=(("Retry-After", "1"),),
            )
        if kind == "drop":
            return _Reply(0, b"", drop=True)
        return _Reply(200, b'{"attributeScores": {"TOXICITY": {"summaryScore": {"val', ())

    def _answer(self, path: str, body: bytes, fault: str | None) -> _Reply:
        try:
            payload = json.loads(body)
        except ValueError:
            return _error(
                400,
                "INVALID_ARGUMENT",
                "Invalid JSON payload received. Unexpected token.",
                [{"@type": _PERSPECTIVE_ERROR, "errorType": "INVALID_REQUEST"}],
            )
        try:
            if not isinstance(payload, dict):
                raise _BadRequest("Invalid JSON payload received. Expected an object.", None)
            answer = self._analyze(payload) if path == ANALYZE_PATH else self._suggest(payload)
        except _BadRequest as exc:
            details = None
            if exc.error_type:
                details = [{"@type": _PERSPECTIVE_ERROR, "errorType": exc.error_type, **exc.extra}]
            return _error(400, "INVALID_ARGUMENT", exc.message, details)
        reply = _json(200, answer)
        return _Reply(200, reply.body, delay=self.config.slow_seconds if fault == "slow" else 0)

    def _comment_text(self, payload: dict) -> str:
        comment = payload.get("comment")
        if not isinstance(comment, dict):
            raise _BadRequest("Comment must be non-empty.", "COMMENT_EMPTY")
        kind = comment.get("type", "PLAIN_TEXT")
        if kind == "HTML":
            raise _BadRequest("Currently, only 'PLAIN_TEXT' comments are supported", None)
        if kind not in ("PLAIN_TEXT", "TEXT_TYPE_UNSPECIFIED"):
            raise _BadRequest("Unknown text type", "INVALID_REQUEST")
        text = comment.get("text")
        if not isinstance(text, str) or not text:
            raise _BadRequest("Comment must be non-empty.", "COMMENT_EMPTY")
        n_bytes = len(text.encode("utf-8"))
        if n_bytes > MAX_COMMENT_BYTES:
            raise _BadRequest(
                f"Comment text was too many bytes. Value ({n_bytes}) exceeded limit "
                f"({MAX_COMMENT_BYTES}).",
                None,
            )
        return text

    def _analyze(self, payload: dict) -> dict[str, object]:
        unknown = sorted(set(payload) - _ANALYZE_FIELDS)
        if unknown:
            raise _BadRequest(
                f'Invalid JSON payload received. Unknown name "{unknown[0]}": Cannot find field.',
                "INVALID_REQUEST",
            )
        context = payload.get("context")
        if (
            isinstance(context, dict)
            and "entries" in context
            and ("articleAndParentComment" in context)
        ):
            raise _BadRequest(
                "Context can have either entries or article_and_parent_comment, but both fields "
                "were populated.",
                "INVALID_REQUEST",
            )
        text = self._comment_text(payload)
        requested = payload.get("requestedAttributes")
        if not isinstance(requested, dict) or not requested:
            raise _BadRequest("Missing requested_attributes", "NO_REQUESTED_ATTRIBUTES")
        for name, params in requested.items():
            if name not in self.config.attribute_languages:
                raise _BadRequest(f"Unknown requested attribute: {name}", "INVALID_REQUEST")
            score_type = (params or {}).get("scoreType", "PROBABILITY")
            if score_type not in _SCORE_TYPES:
                raise _BadRequest(
                    f"Requested score type {score_type} is not supported by attribute {name}",
                    "INVALID_REQUEST",
                )
        languages = payload.get("languages")
        detected = languages is None or languages == []
        if detected:
            languages = ["en" if any(c.isalpha() for c in text) else "und"]
        if not isinstance(languages, list) or not all(isinstance(x, str) for x in languages):
            raise _BadRequest("Invalid value at 'languages': expected a list of strings", None)
        keep = {}
        for name, params in requested.items():
            unsupported = [x for x in languages if x not in self.config.attribute_languages[name]]
            if not unsupported:
                keep[name] = params or {}
            elif not payload.get("dropUnsupportedAttributes"):
                key = "detectedLanguages" if detected else "requestedLanguages"
                raise _BadRequest(
                    f"Attribute {name} does not support request languages: "
                    f"{', '.join(unsupported)}",
                    "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE",
                    {"languageNotSupportedByAttributeError": {key: languages, "attribute": name}},
                )
        answer: dict[str, object] = {
            "attributeScores": self._scores(text, keep, bool(payload.get("spanAnnotations"))),
            "languages": languages,
        }
        if detected:
            answer["detectedLanguages"] = languages
        if "clientToken" in payload:
            answer["clientToken"] = payload["clientToken"]
        return answer

    def _value(self, text: str, attribute: str) -> float:
        table = self.config.score_table
        if table is not None:
            known = table.get(hashlib.sha256(text.encode("utf-8")).hexdigest(), {})
            if attribute in known:
                return known[attribute]
        digest = hashlib.sha256(f"{attribute}\n{text}".encode()).digest()
        return _float32(int.from_bytes(digest[:4], "big") / 2**32)

    def _scores(self, text: str, requested: dict[str, dict], spans: bool) -> dict[str, object]:
        out: dict[str, object] = {}
        for name, params in requested.items():
            value = self._value(text, name)
            threshold = params.get("scoreThreshold")
            if isinstance(threshold, int | float) and value < threshold:
                continue
            score_type = params.get("scoreType", "PROBABILITY")
            if score_type == "SCORE_TYPE_UNSPECIFIED":
                score_type = "PROBABILITY"
            if spans:
                pieces = [
                    (m.start(), m.end(), m.group()) for m in _SENTENCE.finditer(text) if m.group()
                ]
            else:
                pieces = [(0, len(text), text)]
            out[name] = {
                "spanScores": [
                    {
                        "begin": _utf16_len(text[:start]),
                        "end": _utf16_len(text[:end]),
                        "score": {"value": self._value(piece, name), "type": score_type},
                    }
                    for start, end, piece in pieces
                ],
                "summaryScore": {"value": value, "type": score_type},
            }
        return out

    def _suggest(self, payload: dict) -> dict[str, object]:
        self._comment_text(payload)
        scores = payload.get("attributeScores")
        if not isinstance(scores, dict) or not scores:
            raise _BadRequest("Missing attribute_scores", "INVALID_REQUEST")
        return {"clientToken": payload["clientToken"]} if "clientToken" in payload else {}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, each answer waits for a delayed ACK.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        # The default logs every request line, ``?key=`` included, to stderr.
        return

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        reply = self.server.fake.handle(method, self.path, body)
        if reply.drop:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if reply.delay:
            time.sleep(reply.delay)
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            # A client that timed out on a delayed reply has hung up, as a real one would.
            self.close_connection = True

    def do_POST(self) -> None:
        self._serve("POST")

    def do_GET(self) -> None:
        self._serve("GET")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Benchmarks open a connection per worker at once; the default backlog of 5 would drop some.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], fake: FakePerspective) -> None:
        self.fake = fake
        super().__init__(address, _Handler)


class FakePerspectiveServer:
    """A :class:`FakePerspective` served on ``127.0.0.1`` from a background thread.

    Use as a context manager; ``port=0`` picks a free port, and ``url`` is the base to give a
    client as ``PERSPECTIVE_API_URL``.
    """

    def __init__(self, config: FakeConfig | None = None, *, port: int = 0) -> None:
        self.fake = FakePerspective(config or FakeConfig())
        self._server = _Server(("127.0.0.1", port), self.fake)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-perspective",
            daemon=True,
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def log(self) -> list[LoggedRequest]:
        return list(self.fake.log)

    def start(self) -> FakePerspectiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakePerspectiveServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def load_score_table(path: str | Path) -> dict[str, dict[str, float]]:
    """A wide score file (``text_hash`` plus one column per attribute) as a lookup table."""
    table: dict[str, dict[str, float]] = {}
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            text_hash = row.pop("text_hash")
            table[text_hash] = {
                name: float(value)
                for name, value in row.items()
                if name in ATTRIBUTE_LANGUAGES and value not in (None, "")
            }
    return table


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--api-key", action="append", help="accepted key (repeatable)")
    parser.add_argument("--quota-per-minute", type=int, default=60, help="0 disables the quota")
    parser.add_argument("--quota-window", type=float, default=60.0, help="seconds")
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--fault-kinds", default=",".join(FAULT_KINDS))
    parser.add_argument("--burst-length", type=int, default=3)
    parser.add_argument("--slow-seconds", type=float, default=2.0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scores", type=Path, help="wide CSV (text_hash, ATTRIBUTE...) to serve")
    parser.add_argument("--gone", action="store_true", help="answer 404 as after the shutdown")
    args = parser.parse_args(argv)
    config = FakeConfig(
        api_keys=frozenset(args.api_key or ["test-key"]),
        quota_per_minute=args.quota_per_minute or None,
        quota_window=args.quota_window,
        fault_rate=args.fault_rate,
        fault_kinds=tuple(k for k in args.fault_kinds.split(",") if k),
        burst_length=args.burst_length,
        slow_seconds=args.slow_seconds,
        latency=args.latency,
        seed=args.seed,
        score_table=load_score_table(args.scores) if args.scores else None,
        gone=args.gone,
    )
    server = _Server((args.host, args.port), FakePerspective(config))
    # A process started from a background shell can inherit SIGTERM as ignored; the server must
    # still stop when terminated, so it says what SIGTERM does rather than inherit it.
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    print(f"fake Perspective on http://{args.host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
