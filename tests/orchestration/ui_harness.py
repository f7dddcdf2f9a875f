"""Start the Dagster webserver on loopback and drive it with headless Chromium.

The webserver runs in its own process group so teardown can end it together with the code
server it spawns; a test that fails halfway leaves no process behind.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from orchestration.settings import REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = REPO_ROOT / "tests" / "artifacts"
# Importing the definitions and parsing the dbt manifest takes 30-60 s on a 2-core machine.
START_TIMEOUT_SECONDS = 240.0
STOP_TIMEOUT_SECONDS = 20.0

WORKSPACE_QUERY = """
query Workspace {
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError {
          __typename
          ... on PythonError { message }
        }
      }
    }
  }
}
"""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Webserver:
    """A running webserver: where it answers and where its output goes."""

    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def graphql(self, query: str) -> dict[str, object]:
        """Run one GraphQL document against ``/graphql`` and return its ``data``."""
        response = httpx.post(f"{self.base_url}/graphql", json={"query": query}, timeout=60)
        response.raise_for_status()
        body = response.json()
        if body.get("errors"):
            raise AssertionError(f"GraphQL errors for {query.split()[1]}: {body['errors']}")
        return body["data"]


def _stop(process: subprocess.Popen[bytes]) -> None:
    # The webserver's pid leads its session's process group; the group holds the code server.
    try:
        pgid = os.getpgid(process.pid)
    except ProcessLookupError:
        return
    for sig, grace in ((signal.SIGTERM, STOP_TIMEOUT_SECONDS), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
        # The leader may exit before its children; wait until the group is gone too.
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)
    process.wait(timeout=5)


def _wait_until_ready(server: Webserver) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(
                f"dagster-webserver exited with {server.process.returncode} before answering; "
                f"its log ends with:\n{server.log_tail()}"
            )
        try:
            if httpx.get(f"{server.base_url}/server_info", timeout=5).status_code == 200:
                break
        except httpx.HTTPError as exc:
            last_error = f"{type(exc).__name__}: {exc}"
        time.sleep(1)
    else:
        raise AssertionError(
            f"dagster-webserver did not answer /server_info within {START_TIMEOUT_SECONDS:.0f} s "
            f"({last_error}); its log ends with:\n{server.log_tail()}"
        )
    while time.monotonic() < deadline:
        entries = server.graphql(WORKSPACE_QUERY)["workspaceOrError"]["locationEntries"]
        if entries and all(e["loadStatus"] == "LOADED" for e in entries):
            errors = [
                e["locationOrLoadError"]["message"]
                for e in entries
                if e["locationOrLoadError"]["__typename"] == "PythonError"
            ]
            if errors:
                raise AssertionError(f"the code location failed to load:\n{errors[0]}")
            return
        time.sleep(1)
    raise AssertionError(f"the code location did not load in time:\n{server.log_tail()}")


@contextmanager
def running_webserver(
    dagster_home: Path, env: dict[str, str], log_path: Path
) -> Iterator[Webserver]:
    """``dagster-webserver -m orchestration.definitions`` on a free loopback port, until exit."""
    port = free_port()
    command = [
        str(REPO_ROOT / ".venv" / "bin" / "dagster-webserver"),
        "-m",
        "orchestration.definitions",
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
    ]
    full_env = {**os.environ, **env, "DAGSTER_HOME": str(dagster_home)}
    # The UI must never be able to call Perspective with a real key from the developer's shell.
    full_env.pop("PERSPECTIVE_API_KEY", None)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Webserver(f"http://127.0.0.1:{port}", process, log_path)
    try:
        _wait_until_ready(server)
        yield server
    finally:
        _stop(process)


def dismiss_newsletter_dialog(server: Webserver) -> None:
    """Mark the first-run "Join the Dagster community" dialog as seen for this instance.

    The UI shows it on loopback origins until ``setNuxSeen`` is called; it would otherwise
    cover the page a second after load.
    """
    server.graphql("mutation SetNuxSeen { setNuxSeen }")
    if server.graphql("query ShouldShowNux { shouldShowNux }")["shouldShowNux"]:
        raise AssertionError("setNuxSeen did not stop the first-run dialog")


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's headless Chromium through Playwright; fails loudly when it is not installed."""
    if not CHROMIUM.is_file():
        pytest.fail(
            f"{CHROMIUM} not found: the browser tests need Debian's chromium package "
            "(apt-get install chromium)",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot as ``tests/artifacts/<name>.png``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
