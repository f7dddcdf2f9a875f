"""The Perspective client: request shape, answers and every error class, over real HTTP."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest

from scoring.attributes import PAPER_ATTRIBUTES
from scoring.client import PerspectiveClient
from scoring.errors import RunAbortedError, TextRejectedError, TransientError
from tests.scoring.fake_perspective import FakePerspectiveServer
from tests.scoring.support import API_KEY, fake_server


def analyze(
    server: FakePerspectiveServer, text: str, attrs=PAPER_ATTRIBUTES, langs=("en",), key=API_KEY
):
    async def go():
        async with PerspectiveClient(key, base_url=server.url, timeout=5) as client:
            return await client.analyze(text, attrs, langs, text_hash="h" * 64)

    return asyncio.run(go())


def test_request_shape_and_key_only_on_the_wire() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        scores = {
            a: {"summaryScore": {"value": 0.25, "type": "PROBABILITY"}} for a in PAPER_ATTRIBUTES
        }
        return httpx.Response(200, json={"attributeScores": scores, "languages": ["en"]})

    async def go():
        client = PerspectiveClient(
            API_KEY, base_url="https://example.test", transport=httpx.MockTransport(handler)
        )
        async with client:
            return client, await client.analyze("hello there", PAPER_ATTRIBUTES, ("en",))

    client, result = asyncio.run(go())
    assert result.scores == dict.fromkeys(PAPER_ATTRIBUTES, 0.25)
    assert result.languages == ("en",)
    (request,) = seen
    assert request.url.path == "/v1alpha1/comments:analyze"
    assert request.url.params["key"] == API_KEY
    body = json.loads(request.content)
    assert body == {
        "comment": {"text": "hello there", "type": "PLAIN_TEXT"},
        "requestedAttributes": {a: {} for a in PAPER_ATTRIBUTES},
        "languages": ["en"],
        "doNotStore": True,
    }
    assert API_KEY not in repr(client)


def test_scores_are_deterministic_float32_in_range(server: FakePerspectiveServer) -> None:
    first = analyze(server, "A calm and careful reply.")
    second = analyze(server, "A calm and careful reply.")
    assert first == second
    assert set(first.scores) == set(PAPER_ATTRIBUTES)
    assert all(0.0 <= v <= 1.0 for v in first.scores.values())
    assert len({round(v, 6) for v in first.scores.values()}) == len(PAPER_ATTRIBUTES)


@pytest.mark.parametrize(
    ("text", "attrs", "langs", "error_type", "message"),
    [
        (
            "x" * 20_481,
            ("TOXICITY",),
            ("en",),
            "COMMENT_TOO_LONG",
            "Comment text was too many bytes. Value (20481) exceeded limit (20480).",
        ),
        ("", ("TOXICITY",), ("en",), "COMMENT_EMPTY", "Comment must be non-empty."),
        (
            "hola",
            ("REASONING_EXPERIMENTAL",),
            ("es",),
            "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE",
            "Attribute REASONING_EXPERIMENTAL does not support request languages: es",
        ),
        (
            "hello",
            ("NOT_AN_ATTRIBUTE",),
            ("en",),
            "INVALID_REQUEST",
            "Unknown requested attribute: NOT_AN_ATTRIBUTE",
        ),
        ("hello", (), ("en",), "NO_REQUESTED_ATTRIBUTES", "Missing requested_attributes"),
    ],
)
def test_text_rejections_carry_type_status_and_message(
    server, text, attrs, langs, error_type, message
) -> None:
    with pytest.raises(TextRejectedError) as caught:
        analyze(server, text, attrs, langs)
    assert caught.value.error_type == error_type
    assert caught.value.http_status == 400
    assert caught.value.message == message
    assert "h" * 64 in str(caught.value)


def test_bad_and_missing_key_abort_the_run(server: FakePerspectiveServer) -> None:
    with pytest.raises(RunAbortedError) as bad:
        analyze(server, "hello", key="wrong-key-123")
    assert (bad.value.error_type, bad.value.http_status) == ("API_KEY_INVALID", 400)
    assert bad.value.message == "API key not valid. Please pass a valid API key."
    with pytest.raises(RunAbortedError) as missing:
        analyze(server, "hello", key=None)
    assert (missing.value.error_type, missing.value.http_status) == ("PERMISSION_DENIED", 403)


def test_quota_answer_is_transient_with_retry_after() -> None:
    with fake_server(quota_per_minute=2) as server:
        analyze(server, "one")
        analyze(server, "two")
        with pytest.raises(TransientError) as caught:
            analyze(server, "three")
    assert caught.value.error_type == "RESOURCE_EXHAUSTED"
    assert caught.value.http_status == 429
    assert caught.value.message.startswith(
        "Quota exceeded for quota metric 'Analysis requests (AnalyzeComment)'"
    )
    assert caught.value.retry_after is not None and 0 < caught.value.retry_after <= 60


@pytest.mark.parametrize(
    ("kind", "error_type", "status"),
    [
        ("http500", "HTTP_500", 500),
        ("http503_burst", "HTTP_503", 503),
        ("drop", "CONNECTION_ERROR", None),
        ("malformed", "MALFORMED_RESPONSE", 200),
    ],
)
def test_faults_are_transient(kind: str, error_type: str, status: int | None) -> None:
    with (
        fake_server(fault_rate=1.0, fault_kinds=(kind,)) as server,
        pytest.raises(TransientError) as caught,
    ):
        analyze(server, "hello")
    assert caught.value.error_type == error_type
    assert caught.value.http_status == status


def test_slow_answer_times_out_as_transient() -> None:
    with fake_server(fault_rate=1.0, fault_kinds=("slow",), slow_seconds=1.5) as server:

        async def go():
            async with PerspectiveClient(API_KEY, base_url=server.url, timeout=0.3) as client:
                return await client.analyze("hello", ("TOXICITY",), ("en",))

        with pytest.raises(TransientError) as caught:
            asyncio.run(go())
    assert caught.value.error_type == "TIMEOUT"


def test_endpoint_gone_aborts() -> None:
    with fake_server(gone=True) as server, pytest.raises(RunAbortedError) as caught:
        analyze(server, "hello")
    assert caught.value.error_type == "ENDPOINT_GONE"
    assert caught.value.http_status == 404


def test_key_never_logged_by_httpx(
    server: FakePerspectiveServer, caplog: pytest.LogCaptureFixture, capfd
) -> None:
    with caplog.at_level(logging.DEBUG):
        analyze(server, "hello")
        with pytest.raises(TextRejectedError) as caught:
            analyze(server, "")
    assert "HTTP Request: POST" in caplog.text
    assert API_KEY not in caplog.text
    assert API_KEY not in str(caught.value) and API_KEY not in repr(caught.value)
    out, err = capfd.readouterr()
    assert API_KEY not in out + err
