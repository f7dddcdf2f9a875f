"""How fast to send and when to try again: the request rate limiter and the retry policy.

Perspective enforces its quota per minute (``AnalyzeRequestsPerMinutePerProject``), so the rate
is held by a leaky bucket (aiolimiter) whose burst is small enough that no quota window (60
seconds for the real API) can exceed ``window * qps`` requests, and every attempt, retries
included, passes through it. A sliver of headroom absorbs the jitter between our send times
and the server's arrival times, which would otherwise push an occasional window one request
over and earn a 429.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiolimiter import AsyncLimiter
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from scoring.errors import TransientError


@dataclass(frozen=True)
class RatePolicy:
    """The quota to respect (``qps`` averaged over ``window`` seconds) and the share to use."""

    qps: float = 1.0
    headroom: float = 0.98
    window: float = 60.0

    def __post_init__(self) -> None:
        if self.qps <= 0:
            raise ValueError(f"qps must be positive, got {self.qps}")
        if not 0 < self.headroom <= 1:
            raise ValueError(f"headroom must be in (0, 1], got {self.headroom}")

    @property
    def target_rate(self) -> float:
        """Requests per second actually aimed for."""
        return self.qps * self.headroom

    @property
    def burst(self) -> int:
        """Bucket size: half the slack in one quota window, so a burst never breaks the quota.

        A bucket of one would cost throughput whenever the event loop wakes a waiter late; a
        few tokens of slack let the limiter catch up without exceeding the quota.
        """
        slack = self.window * self.qps * (1 - self.headroom)
        return max(1, int(slack / 2))

    def limiter(self) -> AsyncLimiter:
        return AsyncLimiter(max_rate=self.burst, time_period=self.burst / self.target_rate)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter for transient errors, honouring ``Retry-After``."""

    max_attempts: int = 8
    initial_wait: float = 1.0
    max_wait: float = 60.0
    jitter: float = 1.0

    def retrying(self) -> AsyncRetrying:
        backoff = wait_exponential_jitter(
            multiplier=self.initial_wait, max=self.max_wait, jitter=self.jitter
        )

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            retry_after = exc.retry_after if isinstance(exc, TransientError) else None
            return max(backoff(state), retry_after or 0.0)

        return AsyncRetrying(
            retry=retry_if_exception_type(TransientError),
            wait=wait,
            stop=stop_after_attempt(self.max_attempts),
            reraise=True,
        )
