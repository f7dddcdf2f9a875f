"""What can go wrong when asking Perspective for a score, split by what the caller should do.

- :class:`TransientError`: try the same request again later (429, 5xx, timeouts, dropped
  connections, unreadable answers).
- :class:`TextRejectedError`: the API refused this text for good (``COMMENT_TOO_LONG``,
  ``LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE``...): record it against the text, never resend it.
- :class:`RunAbortedError`: nothing sent with this configuration can succeed (bad or missing
  key, the endpoint gone after the shutdown): stop the run; the texts stay pending.
"""

from __future__ import annotations

# Error types that describe the run, not the text: a later run with a fixed key or a working
# endpoint should try the text again, so failures of these types do not block it.
RUN_LEVEL_ERROR_TYPES = frozenset(
    {"API_KEY_INVALID", "PERMISSION_DENIED", "ENDPOINT_GONE", "RETRIES_EXHAUSTED"}
)


class ScoringError(Exception):
    """A Perspective request failed; carries the text, HTTP status and a body excerpt."""

    def __init__(
        self,
        error_type: str,
        message: str,
        *,
        text_hash: str | None = None,
        http_status: int | None = None,
    ) -> None:
        self.error_type = error_type
        self.message = message
        self.text_hash = text_hash
        self.http_status = http_status
        where = f"text {text_hash}" if text_hash else "request"
        status = f"HTTP {http_status}" if http_status is not None else "no HTTP status"
        super().__init__(f"{error_type} for {where} ({status}): {message}")


class TransientError(ScoringError):
    """Worth retrying; ``retry_after`` is the server's ``Retry-After`` in seconds, if any."""

    def __init__(
        self,
        error_type: str,
        message: str,
        *,
        text_hash: str | None = None,
        http_status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(error_type, message, text_hash=text_hash, http_status=http_status)
        self.retry_after = retry_after


class TextRejectedError(ScoringError):
    """Perspective refused this text; resending the same request would fail the same way."""


class RunAbortedError(ScoringError):
    """No request in this run can succeed; stop and leave the remaining texts pending."""
