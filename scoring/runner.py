"""A scoring run: plan the pending texts, send them within quota, and store every outcome.

Shape of a run: workers (``concurrency`` of them, so slow answers do not leave quota unused)
take planned texts in hash order; every attempt passes the shared rate limiter; each finished
text goes to a single writer task that commits it to DuckDB, and the worker waits for that
commit before taking the next text. At any moment, then, at most ``concurrency`` texts have
been answered without being stored, which bounds what a killed run can waste.

Every text ends the run in one of four states: scored; recorded as refused by the API
(``error`` with the API's ``errorType``); recorded as ``skipped`` by policy; or pending because
the run stopped (request budget reached, key rejected, endpoint gone). Texts that ran out of
retries get a ``RETRIES_EXHAUSTED`` row and are tried again by the next run.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from scoring.attributes import (
    API_VERSION,
    DEFAULT_API_URL,
    PAPER_ATTRIBUTES,
    SHUTDOWN_DATE,
    validate_attributes,
)
from scoring.client import AnalyzeResult, PerspectiveClient
from scoring.errors import RunAbortedError, ScoringError, TextRejectedError, TransientError
from scoring.pacing import RatePolicy, RetryPolicy
from scoring.store import FailureRow, ScoreRow, ScoreStore, utcnow
from scoring.texts import (
    TEXTS_TABLE,
    LanguagePolicy,
    OversizePolicy,
    PlannedRequest,
    PlannedSkip,
    load_text_records,
    plan_text,
)

logger = logging.getLogger(__name__)

PERSPECTIVE_SCORER = "perspective"


@dataclass(frozen=True)
class ScoringConfig:
    """Everything that shapes a run except the key, which is passed separately."""

    attributes: tuple[str, ...] = PAPER_ATTRIBUTES
    scorer: str = PERSPECTIVE_SCORER
    base_url: str = DEFAULT_API_URL
    qps: float = 1.0
    headroom: float = 0.98
    quota_window: float = 60.0
    concurrency: int | None = None
    timeout: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    oversize: OversizePolicy = "truncate"
    language: LanguagePolicy = "per_language"
    max_requests: int | None = None
    abort_after_exhausted: int = 5
    texts_table: str = TEXTS_TABLE
    progress_interval: float = 10.0

    @property
    def workers(self) -> int:
        """Enough in flight to cover a couple of seconds of latency at the target rate."""
        if self.concurrency is not None:
            return max(1, self.concurrency)
        return min(64, max(4, math.ceil(self.qps * 2)))

    @property
    def rate_policy(self) -> RatePolicy:
        return RatePolicy(self.qps, self.headroom, self.quota_window)

    @property
    def scorer_version(self) -> str:
        # Perspective exposes no model version; the endpoint plus ``scored_at`` is all there is.
        return f"{API_VERSION}@{urlsplit(self.base_url).netloc}"


@dataclass
class Progress:
    """A snapshot of a run, for logs and materialisation metadata."""

    planned: int
    done: int = 0
    scored: int = 0
    skipped: int = 0
    requests: int = 0
    started: float = field(default_factory=time.monotonic)
    # Final outcomes by type (``skipped:<reason>`` for policy skips) ...
    errors: Counter[str] = field(default_factory=Counter)
    # ... and every transient failure of an attempt, whether or not a retry followed.
    retried: Counter[str] = field(default_factory=Counter)

    @property
    def remaining(self) -> int:
        return self.planned - self.done

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta_seconds(self) -> float | None:
        if not self.done:
            return None
        return self.remaining * self.elapsed / self.done

    def summary(self) -> str:
        eta = "unknown" if self.eta_seconds is None else f"{self.eta_seconds:.0f}s"
        errors = ", ".join(f"{k}={v}" for k, v in sorted(self.errors.items())) or "none"
        retried = ", ".join(f"{k}={v}" for k, v in sorted(self.retried.items())) or "none"
        return (
            f"{self.done}/{self.planned} texts done ({self.scored} scored, {self.skipped} "
            f"skipped), {self.remaining} remaining, {self.requests} requests at "
            f"{self.requests_per_second:.2f}/s, errors: {errors}, retried: {retried}, ETA {eta}"
        )


@dataclass(frozen=True)
class RunReport:
    """How a run ended; ``aborted`` names the run-level error that stopped it, if any."""

    progress: Progress
    skipped_before_sending: int
    already_complete: int
    aborted: str | None

    @property
    def requests_per_text(self) -> float:
        sent = self.progress.done - self.skipped_before_sending
        return self.progress.requests / sent if sent > 0 else 0.0


@dataclass(frozen=True)
class _Outcome:
    text_hash: str
    scorer: str
    scores: list[ScoreRow]
    failure: FailureRow | None = None
    resolved: bool = False


@dataclass
class _RunState:
    aborted: str | None = None
    exhausted_streak: int = 0


def _skip_row(skip: PlannedSkip, scorer: str) -> FailureRow:
    return FailureRow(
        text_hash=skip.text_hash,
        scorer=scorer,
        outcome="skipped",
        error_type=skip.error_type,
        http_status=None,
        message=skip.message,
        attempts=0,
        recorded_at=utcnow(),
    )


def _error_row(exc: ScoringError, text_hash: str, scorer: str, attempts: int) -> FailureRow:
    return FailureRow(
        text_hash=text_hash,
        scorer=scorer,
        outcome="error",
        error_type=exc.error_type,
        http_status=exc.http_status,
        message=exc.message,
        attempts=attempts,
        recorded_at=utcnow(),
    )


def _success(
    request: PlannedRequest, result: AnalyzeResult, config: ScoringConfig, attempts: int
) -> _Outcome:
    now = utcnow()
    languages = result.languages or request.languages
    scores = [
        ScoreRow(
            text_hash=request.text_hash,
            attribute=attribute,
            value=value,
            scorer=config.scorer,
            scorer_version=config.scorer_version,
            languages=languages,
            scored_at=now,
            policy=request.policy,
        )
        for attribute, value in sorted(result.scores.items())
    ]
    missing = [a for a in request.attributes if a not in result.scores]
    failure: FailureRow | None = None
    if missing:
        failure = FailureRow(
            text_hash=request.text_hash,
            scorer=config.scorer,
            outcome="error",
            error_type="ATTRIBUTE_NOT_RETURNED",
            http_status=200,
            message=f"requested but absent from the answer: {', '.join(missing)}",
            attempts=attempts,
            recorded_at=now,
        )
    elif request.skip_message:
        failure = FailureRow(
            text_hash=request.text_hash,
            scorer=config.scorer,
            outcome="skipped",
            error_type="LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE",
            http_status=None,
            message=request.skip_message,
            attempts=attempts,
            recorded_at=now,
        )
    return _Outcome(
        text_hash=request.text_hash,
        scorer=config.scorer,
        scores=scores,
        failure=failure,
        resolved=failure is None and request.had_failure,
    )


class _Writer:
    """The only task that writes: drains whatever results are waiting into one transaction."""

    def __init__(self, store: ScoreStore) -> None:
        self._store = store
        self._queue: asyncio.Queue[tuple[_Outcome, asyncio.Future[None]]] = asyncio.Queue()

    async def submit(self, outcome: _Outcome) -> None:
        """Queue ``outcome`` and return once it is committed."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self._queue.put((outcome, done))
        await done

    async def run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            outcomes = [o for o, _ in batch]
            try:
                await asyncio.to_thread(
                    self._store.record_results,
                    [s for o in outcomes for s in o.scores],
                    [o.failure for o in outcomes if o.failure is not None],
                    [(o.text_hash, o.scorer) for o in outcomes if o.resolved],
                )
            except Exception as exc:
                for _, fut in batch:
                    fut.set_exception(exc)
                raise
            for _, fut in batch:
                fut.set_result(None)


async def score_pending(
    store: ScoreStore,
    api_key: str | None,
    config: ScoringConfig,
    *,
    on_progress: Callable[[Progress], None] | None = None,
) -> RunReport:
    """Score every text in ``config.texts_table`` that lacks scores under ``config.scorer``."""
    attributes = validate_attributes(config.attributes)
    if config.base_url.rstrip("/") == DEFAULT_API_URL and utcnow().date() > SHUTDOWN_DATE:
        logger.warning(
            "Perspective was due to shut down after %s; if the endpoint is gone this run will "
            "stop at the first answer. Import scores instead (scorer 'imported:<name>').",
            SHUTDOWN_DATE.isoformat(),
        )
    records = await asyncio.to_thread(
        load_text_records, store.conn, config.scorer, config.texts_table
    )
    requests: list[PlannedRequest] = []
    skips: list[PlannedSkip] = []
    complete = 0
    for record in records:
        plan = plan_text(record, attributes, oversize=config.oversize, language=config.language)
        if plan is None:
            complete += 1
        elif isinstance(plan, PlannedSkip):
            skips.append(plan)
        else:
            requests.append(plan)

    progress = Progress(planned=len(requests) + len(skips))
    if skips:
        await asyncio.to_thread(
            store.record_results, [], [_skip_row(s, config.scorer) for s in skips]
        )
        progress.done += len(skips)
        progress.skipped += len(skips)
        progress.errors.update(f"skipped:{s.error_type}" for s in skips)
    logger.info(
        "scoring %d texts with %s (%d skipped by policy, %d already complete), %.2f req/s, "
        "%d in flight",
        len(requests),
        config.scorer,
        len(skips),
        complete,
        config.rate_policy.target_rate,
        config.workers,
    )
    aborted = await _send_all(store, api_key, config, requests, progress, on_progress)
    if on_progress is not None:
        on_progress(progress)
    return RunReport(
        progress=progress,
        skipped_before_sending=len(skips),
        already_complete=complete,
        aborted=aborted,
    )


async def _send_all(
    store: ScoreStore,
    api_key: str | None,
    config: ScoringConfig,
    requests: Sequence[PlannedRequest],
    progress: Progress,
    on_progress: Callable[[Progress], None] | None,
) -> str | None:
    if not requests:
        return None
    limiter = config.rate_policy.limiter()
    pending: asyncio.Queue[PlannedRequest] = asyncio.Queue()
    for request in requests:
        pending.put_nowait(request)
    writer = _Writer(store)
    stop = asyncio.Event()
    state = _RunState()

    async def attempt(client: PerspectiveClient, request: PlannedRequest) -> AnalyzeResult:
        async with limiter:
            progress.requests += 1
            return await client.analyze(
                request.text, request.attributes, request.languages, text_hash=request.text_hash
            )

    async def score_one(client: PerspectiveClient, request: PlannedRequest) -> _Outcome:
        attempts = 0

        def failed(exc: ScoringError) -> _Outcome:
            row = _error_row(exc, request.text_hash, config.scorer, attempts)
            return _Outcome(request.text_hash, config.scorer, [], row)

        try:
            async for retry_state in config.retry.retrying():
                with retry_state:
                    attempts += 1
                    try:
                        result = await attempt(client, request)
                    except TransientError as exc:
                        progress.retried[exc.error_type] += 1
                        raise
            state.exhausted_streak = 0
            return _success(request, result, config, attempts)
        except TransientError as exc:
            exhausted = TransientError(
                "RETRIES_EXHAUSTED",
                f"gave up after {attempts} attempts; last: {exc.error_type}: {exc.message}",
                text_hash=request.text_hash,
                http_status=exc.http_status,
            )
            state.exhausted_streak += 1
            if state.exhausted_streak >= config.abort_after_exhausted:
                state.aborted = (
                    f"{state.exhausted_streak} texts in a row ran out of retries "
                    f"(last: {exhausted.message}); is {config.base_url} reachable?"
                )
                stop.set()
            return failed(exhausted)
        except TextRejectedError as exc:
            state.exhausted_streak = 0
            return failed(exc)
        except RunAbortedError as exc:
            state.aborted = str(exc)
            stop.set()
            return failed(exc)

    dispatched = 0

    async def worker(client: PerspectiveClient) -> None:
        nonlocal dispatched
        while not stop.is_set():
            # The budget counts texts started; their retries may add a few requests on top.
            if config.max_requests is not None and dispatched >= config.max_requests:
                return
            try:
                request = pending.get_nowait()
            except asyncio.QueueEmpty:
                return
            dispatched += 1
            outcome = await score_one(client, request)
            await writer.submit(outcome)
            progress.done += 1
            if outcome.scores:
                progress.scored += 1
            if outcome.failure is not None and outcome.failure.outcome == "error":
                progress.errors[outcome.failure.error_type] += 1

    async def report_progress() -> None:
        while True:
            await asyncio.sleep(config.progress_interval)
            logger.info("scoring progress: %s", progress.summary())
            if on_progress is not None:
                on_progress(progress)

    async with PerspectiveClient(
        api_key, base_url=config.base_url, timeout=config.timeout, max_connections=config.workers
    ) as client:
        writer_task = asyncio.create_task(writer.run())
        ticker = asyncio.create_task(report_progress())
        workers = [asyncio.create_task(worker(client)) for _ in range(config.workers)]
        try:
            done, _ = await asyncio.wait(
                [asyncio.gather(*workers), writer_task], return_when=asyncio.FIRST_COMPLETED
            )
            for task in done:
                task.result()
        finally:
            for task in (*workers, writer_task, ticker):
                task.cancel()
            await asyncio.gather(*workers, writer_task, ticker, return_exceptions=True)
    if state.aborted:
        logger.error("scoring run stopped: %s", state.aborted)
    logger.info("scoring finished: %s", progress.summary())
    return state.aborted


def run_scoring(
    store: ScoreStore,
    api_key: str | None,
    config: ScoringConfig,
    *,
    on_progress: Callable[[Progress], None] | None = None,
) -> RunReport:
    """Blocking wrapper around :func:`score_pending` for callers without an event loop."""
    return asyncio.run(score_pending(store, api_key, config, on_progress=on_progress))
