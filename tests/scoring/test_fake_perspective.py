"""The fake Perspective answers like the documented API, error bodies included."""

from __future__ import annotations

import hashlib
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.scoring.fake_perspective import FakePerspectiveServer
from tests.scoring.support import API_KEY, fake_server

ANALYZE = "/v1alpha1/comments:analyze"


def post(server: FakePerspectiveServer, body: object, key: str | None = API_KEY) -> httpx.Response:
    params = {"key": key} if key else {}
    if isinstance(body, bytes):
        return httpx.post(server.url + ANALYZE, params=params, content=body, timeout=5)
    return httpx.post(server.url + ANALYZE, params=params, json=body, timeout=5)


def body(text: str = "Hi there. How are you?", **extra: object) -> dict[str, object]:
    return {
        "comment": {"text": text},
        "requestedAttributes": {"TOXICITY": {}},
        "languages": ["en"],
        **extra,
    }


def test_success_shape(server: FakePerspectiveServer) -> None:
    answer = post(server, body(clientToken="tok-1")).json()
    tox = answer["attributeScores"]["TOXICITY"]
    assert tox["summaryScore"]["type"] == "PROBABILITY"
    assert tox["spanScores"][0]["begin"] == 0 and tox["spanScores"][0]["end"] == 22
    assert answer["languages"] == ["en"]
    assert answer["clientToken"] == "tok-1"
    assert "detectedLanguages" not in answer


def test_sentence_spans_threshold_and_detection(server: FakePerspectiveServer) -> None:
    spans = post(server, body(spanAnnotations=True)).json()["attributeScores"]["TOXICITY"][
        "spanScores"
    ]
    assert [(s["begin"], s["end"]) for s in spans] == [(0, 9), (9, 22)]
    detected = post(
        server, {"comment": {"text": "hello"}, "requestedAttributes": {"TOXICITY": {}}}
    ).json()
    assert detected["detectedLanguages"] == ["en"]
    high = {
        "comment": {"text": "hello"},
        "requestedAttributes": {"TOXICITY": {"scoreThreshold": 1.0}},
    }
    assert post(server, high).json()["attributeScores"] == {}


def test_utf16_span_offsets(server: FakePerspectiveServer) -> None:
    answer = post(server, body("smile 😀")).json()
    assert answer["attributeScores"]["TOXICITY"]["spanScores"][0]["end"] == 8


@pytest.mark.parametrize(
    ("payload", "message", "error_type"),
    [
        (
            {"comment": {"text": ""}, "requestedAttributes": {"TOXICITY": {}}},
            "Comment must be non-empty.",
            "COMMENT_EMPTY",
        ),
        (
            {"comment": {"text": "hi", "type": "HTML"}, "requestedAttributes": {"TOXICITY": {}}},
            "Currently, only 'PLAIN_TEXT' comments are supported",
            None,
        ),
        (
            {"comment": {"text": "hi"}, "requestedAttributes": {}},
            "Missing requested_attributes",
            "NO_REQUESTED_ATTRIBUTES",
        ),
        (
            {"comment": {"text": "hi"}, "requestedAttributes": {"BOGUS": {}}},
            "Unknown requested attribute: BOGUS",
            "INVALID_REQUEST",
        ),
        (
            {"comment": {"text": "hi"}, "requestedAttributes": {"TOXICITY": {"scoreType": "RAW"}}},
            "Requested score type RAW is not supported by attribute TOXICITY",
            "INVALID_REQUEST",
        ),
        (
            {"comment": {"text": "hi"}, "requestedAttributes": {"TOXICITY": {}}, "bogusField": 1},
            'Invalid JSON payload received. Unknown name "bogusField": Cannot find field.',
            "INVALID_REQUEST",
        ),
        (
            {
                "comment": {"text": "hi"},
                "requestedAttributes": {"TOXICITY": {}},
                "context": {"entries": [], "articleAndParentComment": {}},
            },
            "Context can have either entries or article_and_parent_comment, but both fields "
            "were populated.",
            "INVALID_REQUEST",
        ),
        (
            {"comment": {"text": "123 456"}, "requestedAttributes": {"INSULT": {}}},
            "Attribute INSULT does not support request languages: und",
            "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE",
        ),
    ],
)
def test_invalid_requests(server: FakePerspectiveServer, payload, message, error_type) -> None:
    response = post(server, payload)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["status"], error["message"]) == (400, "INVALID_ARGUMENT", message)
    if error_type is None:
        assert "details" not in error
    else:
        assert (
            error["details"][0]["@type"]
            == "type.googleapis.com/google.commentanalyzer.v1alpha1.Error"
        )
        assert error["details"][0]["errorType"] == error_type


def test_language_error_details_and_drop_unsupported(server: FakePerspectiveServer) -> None:
    payload = {
        "comment": {"text": "hola"},
        "requestedAttributes": {"TOXICITY": {}, "NUANCE_EXPERIMENTAL": {}},
        "languages": ["es"],
    }
    detail = post(server, payload).json()["error"]["details"][0]
    assert detail["languageNotSupportedByAttributeError"] == {
        "requestedLanguages": ["es"],
        "attribute": "NUANCE_EXPERIMENTAL",
    }
    dropped = post(server, {**payload, "dropUnsupportedAttributes": True}).json()
    assert list(dropped["attributeScores"]) == ["TOXICITY"]


def test_byte_limit_counts_utf8_bytes(server: FakePerspectiveServer) -> None:
    assert post(server, body("é" * 10_240)).status_code == 200  # 20,480 bytes
    response = post(server, body("é" * 10_241))
    assert (
        response.json()["error"]["message"]
        == "Comment text was too many bytes. Value (20482) exceeded limit (20480)."
    )


def test_key_errors(server: FakePerspectiveServer) -> None:
    missing = post(server, body(), key=None)
    assert missing.status_code == 403
    assert missing.json()["error"]["status"] == "PERMISSION_DENIED"
    bad = post(server, body(), key="nope")
    assert bad.status_code == 400
    assert bad.json()["error"]["message"] == "API key not valid. Please pass a valid API key."
    assert bad.json()["error"]["details"][0]["reason"] == "API_KEY_INVALID"


def test_quota_body_and_window() -> None:
    with fake_server(quota_per_minute=3, quota_window=1.0) as server:
        statuses = [post(server, body(f"t{i}")).status_code for i in range(4)]
        assert statuses == [200, 200, 200, 429]
        rejected = post(server, body("again"))
        error = rejected.json()["error"]
        assert (error["code"], error["status"]) == (429, "RESOURCE_EXHAUSTED")
        info, help_ = error["details"]
        assert info["reason"] == "RATE_LIMIT_EXCEEDED"
        assert info["metadata"]["quota_limit"] == "AnalyzeRequestsPerMinutePerProject"
        assert info["metadata"]["quota_limit_value"] == "3"
        assert help_["@type"] == "type.googleapis.com/google.rpc.Help"
        assert rejected.headers["Retry-After"] == "1"
        time.sleep(1.05)
        assert post(server, body("later")).status_code == 200


def test_lookup_table_scores() -> None:
    text = "a known text"
    table = {hashlib.sha256(text.encode()).hexdigest(): {"TOXICITY": 0.125}}
    with fake_server(score_table=table) as server:
        answer = post(server, body(text)).json()
        other = post(server, body("unknown text")).json()
    assert answer["attributeScores"]["TOXICITY"]["summaryScore"]["value"] == 0.125
    assert other["attributeScores"]["TOXICITY"]["summaryScore"]["value"] != 0.125


def test_seeded_faults_are_reproducible() -> None:
    def run() -> list[int | None]:
        with fake_server(fault_rate=0.5, fault_kinds=("http500", "malformed")) as server:
            for i in range(20):
                post(server, body(f"t{i}"))
            return [entry.status for entry in server.log]

    first, second = run(), run()
    assert first == second
    assert 500 in first and 200 in first


def test_cli_serves_on_requested_port() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.scoring.fake_perspective",
            "--port",
            str(port),
            "--api-key",
            API_KEY,
            "--quota-per-minute",
            "600",
        ],
        stdout=subprocess.PIPE,
        text=True,
        # `tests` is a package of the repository, importable from its root.
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert proc.stdout is not None
        assert f":{port}" in proc.stdout.readline()
        response = httpx.post(
            f"http://127.0.0.1:{port}{ANALYZE}", params={"key": API_KEY}, json=body(), timeout=5
        )
        assert response.status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/_fake/stats").json()["by_status"] == {"200": 1}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
