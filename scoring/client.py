"""One ``comments:analyze`` call over httpx, turned into scores or a typed error.

The API key travels as the ``key`` query parameter, as Google documents, but it is added by a
transport wrapper below httpx's client. The request the client logs (httpx logs every URL at
INFO), stores in exceptions and attaches to responses therefore never contains it; only the
copy handed to the socket layer does.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType

import httpx

from scoring.attributes import API_VERSION, DEFAULT_API_URL
from scoring.errors import RunAbortedError, TextRejectedError, TransientError

BODY_EXCERPT_CHARS = 500
REDACTED = "[REDACTED]"


class _KeyTransport(httpx.AsyncBaseTransport):
    """Adds ``?key=`` on the way to the wire so no higher layer ever sees the key."""

    def __init__(self, inner: httpx.AsyncBaseTransport, api_key: str | None) -> None:
        self._inner = inner
        self._api_key = api_key

    def __repr__(self) -> str:
        return f"<_KeyTransport key={'set' if self._api_key else 'absent'}>"

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._api_key:
            request = httpx.Request(
                request.method,
                request.url.copy_merge_params({"key": self._api_key}),
                headers=request.headers,
                stream=request.stream,
                extensions=request.extensions,
            )
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


@dataclass(frozen=True)
class AnalyzeResult:
    """The summary scores Perspective returned and the languages it scored the text as."""

    scores: dict[str, float]
    languages: tuple[str, ...]


class PerspectiveClient:
    """Async client for ``POST /v1alpha1/comments:analyze``; one attempt per :meth:`analyze`."""

    def __init__(
        self,
        api_key: str | None,
        *,
        base_url: str = DEFAULT_API_URL,
        timeout: float = 30.0,
        max_connections: int = 16,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._api_key = api_key
        self.base_url = base_url.rstrip("/")
        inner = transport or httpx.AsyncHTTPTransport(
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            )
        )
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            transport=_KeyTransport(inner, api_key),
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        )

    def __repr__(self) -> str:
        return f"<PerspectiveClient {self.base_url} key={'set' if self._api_key else 'absent'}>"

    async def __aenter__(self) -> PerspectiveClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def redact(self, text: str) -> str:
        """``text`` with the API key blanked, for anything that echoes a server answer."""
        return text.replace(self._api_key, REDACTED) if self._api_key else text

    async def analyze(
        self,
        text: str,
        attributes: Sequence[str],
        languages: Sequence[str],
        *,
        text_hash: str | None = None,
    ) -> AnalyzeResult:
        """Score ``text`` for ``attributes`` as ``languages``; raise a :mod:`scoring.errors` type.

        ``doNotStore`` is always sent: PRISM texts come from research participants.
        """
        body = {
            "comment": {"text": text, "type": "PLAIN_TEXT"},
            "requestedAttributes": {a: {} for a in attributes},
            "languages": list(languages),
            "doNotStore": True,
        }
        try:
            response = await self._http.post(f"/{API_VERSION}/comments:analyze", json=body)
        except httpx.TimeoutException as exc:
            raise TransientError(
                "TIMEOUT", self.redact(f"{type(exc).__name__}: {exc}"), text_hash=text_hash
            ) from None
        except httpx.TransportError as exc:
            raise TransientError(
                "CONNECTION_ERROR", self.redact(f"{type(exc).__name__}: {exc}"), text_hash=text_hash
            ) from None
        return self._interpret(response, attributes, text_hash)

    def _interpret(
        self, response: httpx.Response, attributes: Sequence[str], text_hash: str | None
    ) -> AnalyzeResult:
        status = response.status_code
        excerpt = self.redact(response.text[:BODY_EXCERPT_CHARS])
        if status == 200:
            return self._parse_scores(response, attributes, text_hash, excerpt)
        if status == 429 or status >= 500:
            kind = "RESOURCE_EXHAUSTED" if status == 429 else f"HTTP_{status}"
            raise TransientError(
                kind,
                _error_message(response) or excerpt,
                text_hash=text_hash,
                http_status=status,
                retry_after=_retry_after(response),
            )
        error_type, message = _error_type(response), _error_message(response) or excerpt
        message = self.redact(message)
        if status in (401, 403) or error_type == "API_KEY_INVALID":
            # Always a run-level type, whatever reason Google gives, so the text stays pending.
            kind = "API_KEY_INVALID" if error_type == "API_KEY_INVALID" else "PERMISSION_DENIED"
            if error_type and error_type != kind:
                message = f"{error_type}: {message}"
            raise RunAbortedError(kind, message, text_hash=text_hash, http_status=status)
        if status in (404, 410):
            raise RunAbortedError(
                "ENDPOINT_GONE",
                f"{self.base_url} answered {status}; Perspective may be shut down: {message}",
                text_hash=text_hash,
                http_status=status,
            )
        raise TextRejectedError(
            error_type or _infer_error_type(message),
            message,
            text_hash=text_hash,
            http_status=status,
        )

    def _parse_scores(
        self,
        response: httpx.Response,
        attributes: Sequence[str],
        text_hash: str | None,
        excerpt: str,
    ) -> AnalyzeResult:
        try:
            payload = response.json()
            scores = {
                name: float(entry["summaryScore"]["value"])
                for name, entry in payload["attributeScores"].items()
                if name in attributes
            }
            languages = tuple(payload.get("languages") or ())
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            # A truncated or garbled 200 is a transport fault, not a verdict on the text.
            raise TransientError(
                "MALFORMED_RESPONSE",
                f"unreadable 200 answer ({type(exc).__name__}): {excerpt}",
                text_hash=text_hash,
                http_status=200,
            ) from None
        bad = {a: v for a, v in scores.items() if not (math.isfinite(v) and 0.0 <= v <= 1.0)}
        if bad:
            raise TransientError(
                "MALFORMED_RESPONSE",
                f"scores outside [0, 1]: {bad}",
                text_hash=text_hash,
                http_status=200,
            )
        return AnalyzeResult(scores=scores, languages=languages)


def _error_body(response: httpx.Response) -> dict[str, object]:
    try:
        payload = json.loads(response.text)
    except ValueError:
        return {}
    error = payload.get("error") if isinstance(payload, dict) else None
    return error if isinstance(error, dict) else {}


def _error_message(response: httpx.Response) -> str:
    message = _error_body(response).get("message")
    return message if isinstance(message, str) else ""


def _error_type(response: httpx.Response) -> str | None:
    """The Perspective ``errorType`` from ``details``, else a Google ``ErrorInfo`` reason."""
    details = _error_body(response).get("details")
    if not isinstance(details, list):
        return None
    for detail in details:
        if isinstance(detail, dict) and isinstance(detail.get("errorType"), str):
            return detail["errorType"]
    for detail in details:
        if isinstance(detail, dict) and isinstance(detail.get("reason"), str):
            return detail["reason"]
    return None


# Responses captured in the wild sometimes lack ``details`` (the 2022 too-long answer did), so
# the documented messages are the fallback for naming the error.
_MESSAGE_TYPES = (
    ("too many bytes", "COMMENT_TOO_LONG"),
    ("too long", "COMMENT_TOO_LONG"),
    ("must be non-empty", "COMMENT_EMPTY"),
    ("does not support request languages", "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE"),
    ("unable to detect language", "LANGUAGE_DETECTION_FAILED"),
    ("missing requested_attributes", "NO_REQUESTED_ATTRIBUTES"),
)


def _infer_error_type(message: str) -> str:
    lowered = message.lower()
    for needle, error_type in _MESSAGE_TYPES:
        if needle in lowered:
            return error_type
    return "INVALID_REQUEST"


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
