"""Downloading the four PRISM files from the Hugging Face dataset repository.

Transfers are streamed into ``<file>.part`` and resumed with an HTTP Range request after a broken
connection; a file only takes its final name once it matches ``prism-lock.json`` (or, on the
first download, once its size and sha256 have been recorded there).
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)
from tqdm import tqdm

from orchestration.prism.files import FILENAMES
from orchestration.prism.hub import HF_REPOSITORY, Hub
from orchestration.prism.lock import LockedFile, PrismLock, read_lock, write_lock

log = logging.getLogger(__name__)

COMMIT_HEADER = "X-Repo-Commit"
CHUNK_BYTES = 1 << 20
RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class PrismDownloadError(RuntimeError):
    """A PRISM file could not be downloaded or did not match the lock file."""

    def __init__(self, message: str, *, url: str, status: int | None, hint: str) -> None:
        self.url = url
        self.status = status
        self.hint = hint
        status_text = f"HTTP {status}" if status is not None else "no HTTP response"
        super().__init__(f"{message}: {url} ({status_text}). {hint}")


class _Incomplete(Exception):
    """A transfer that may succeed if resumed or retried."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class DownloadResult:
    """Where the four files are and which commit they came from (None if the server never said)."""

    directory: Path
    revision: str
    commit: str | None
    downloaded: tuple[str, ...]

    @property
    def dataset_revision(self) -> str:
        return self.commit or self.revision


def cached_download(revision: str, *, dest: Path, lock_path: Path) -> DownloadResult | None:
    """The cached files of ``revision`` under ``dest`` if all four match the lock, else None."""
    directory = dest / _directory_name(revision)
    locked = read_lock(lock_path, HF_REPOSITORY).revisions.get(revision)
    if locked is None:
        return None
    for filename in FILENAMES:
        expected = locked.files.get(filename)
        if expected is None or not _matches(directory / filename, expected):
            return None
    return DownloadResult(directory, revision, locked.commit, ())


def download_prism(
    hub: Hub,
    *,
    dest: Path,
    lock_path: Path,
    attempts: int = 5,
    backoff_seconds: float = 1.0,
    timeout: float = 60.0,
) -> DownloadResult:
    """Download (or verify the cached copy of) the four files into ``dest/<hub.revision>/``.

    Once the lock knows the commit behind the revision, files are fetched from that commit, so a
    moved branch cannot change the bytes silently.
    """
    revision = hub.revision
    directory = dest / _directory_name(revision)
    directory.mkdir(parents=True, exist_ok=True)
    lock = read_lock(lock_path, HF_REPOSITORY)
    downloaded: list[str] = []
    # identity encoding: Range offsets and the sha256 must refer to the file's own bytes.
    headers = {"Accept-Encoding": "identity"} | hub.auth_headers()
    with httpx.Client(headers=headers, follow_redirects=True, timeout=timeout) as client:
        for filename in FILENAMES:
            locked = lock.revision(revision)
            expected = locked.files.get(filename)
            target = directory / filename
            if expected is not None and _matches(target, expected):
                continue
            url = hub.file_url(filename, locked.commit or revision)
            commit = _fetch(client, url, target, attempts, backoff_seconds)
            _verify_and_record(lock, lock_path, revision, filename, target, url, commit)
            downloaded.append(filename)
    result = DownloadResult(directory, revision, lock.revision(revision).commit, tuple(downloaded))
    log.info(
        "PRISM %s (commit %s) in %s; downloaded %s",
        revision,
        result.commit,
        directory,
        ", ".join(downloaded) or "nothing (cache verified)",
    )
    return result


def _directory_name(revision: str) -> str:
    return quote(revision, safe="")


def _matches(path: Path, expected: LockedFile) -> bool:
    if not path.is_file() or path.stat().st_size != expected.size:
        return False
    return _sha256(path) == expected.sha256


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()


def _fetch(
    client: httpx.Client, url: str, target: Path, attempts: int, backoff_seconds: float
) -> str | None:
    """Stream ``url`` into ``target.part``, resuming after broken transfers; return the commit."""
    part = target.with_name(target.name + ".part")
    # tenacity rather than a hand-written loop: bounded attempts with exponential backoff.
    retrying = Retrying(
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=backoff_seconds, max=30 * backoff_seconds),
        retry=retry_if_exception_type((httpx.TransportError, _Incomplete)),
        reraise=False,
    )
    try:
        return retrying(_fetch_once, client, url, part)
    except RetryError as error:
        last = error.last_attempt.exception()
        status = last.status if isinstance(last, _Incomplete) else None
        raise PrismDownloadError(
            f"download failed after {attempts} attempts ({last})",
            url=url,
            status=status,
            hint=(
                "Is huggingface.co reachable from here? Set HF_TOKEN if access is gated or "
                "rate-limited, or set PRISM_SOURCE=synthetic or PRISM_SOURCE=<directory> to "
                "work without the download."
            ),
        ) from last


def _fetch_once(client: httpx.Client, url: str, part: Path) -> str | None:
    offset = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    with client.stream("GET", url, headers=headers) as response:
        commit = _commit_of(response)
        if response.status_code == 416:
            # The part file already holds everything (or is longer than the file: start over).
            total = _total_from_content_range(response.headers.get("Content-Range"))
            if total == offset:
                return commit
            part.unlink()
            raise _Incomplete(f"range {offset}- not satisfiable for a {total}-byte file", 416)
        if response.status_code in RETRYABLE_STATUS:
            raise _Incomplete(f"server answered {response.status_code}", response.status_code)
        if response.status_code not in (200, 206):
            raise PrismDownloadError(
                "download refused",
                url=url,
                status=response.status_code,
                hint=_refusal_hint(response.status_code),
            )
        if response.status_code == 200:
            # The server ignored the Range header and sent the whole file.
            offset = 0
        total = _expected_total(response, offset)
        mode = "ab" if offset else "wb"
        with (
            part.open(mode) as handle,
            tqdm(
                total=total,
                initial=offset,
                unit="B",
                unit_scale=True,
                desc=part.name.removesuffix(".part"),
                disable=None,
            ) as bar,
        ):
            # Raw network chunks: a re-chunking buffer would lose its bytes when the peer hangs up.
            for chunk in response.iter_raw():
                handle.write(chunk)
                bar.update(len(chunk))
    size = part.stat().st_size
    if total is not None and size != total:
        raise _Incomplete(f"transfer ended at byte {size} of {total}", response.status_code)
    return commit


def _commit_of(response: httpx.Response) -> str | None:
    # Hugging Face sets the header on its own (redirecting) response, not on the CDN's.
    for r in (response, *reversed(response.history)):
        commit = r.headers.get(COMMIT_HEADER)
        if commit:
            return commit
    return None


def _total_from_content_range(value: str | None) -> int | None:
    if not value or "/" not in value:
        return None
    total = value.rsplit("/", 1)[1]
    return int(total) if total.isdigit() else None


def _expected_total(response: httpx.Response, offset: int) -> int | None:
    if response.status_code == 206:
        content_range = response.headers.get("Content-Range", "")
        start = content_range.removeprefix("bytes ").split("-", 1)[0]
        if start != str(offset):
            raise _Incomplete(f"asked for bytes {offset}-, got {content_range!r}", 206)
        return _total_from_content_range(content_range)
    length = response.headers.get("Content-Length")
    return int(length) if length and length.isdigit() else None


def _refusal_hint(status: int) -> str:
    if status in (401, 403):
        return "Access denied: set HF_TOKEN to a Hugging Face token that can read the dataset."
    if status == 404:
        return "Not found: check PRISM_HF_REVISION and that the file exists at that revision."
    return "Unexpected answer from the server."


def _verify_and_record(
    lock: PrismLock,
    lock_path: Path,
    revision: str,
    filename: str,
    target: Path,
    url: str,
    commit: str | None,
) -> None:
    """Check the finished part file against the lock (or record it), then give it its name."""
    part = target.with_name(target.name + ".part")
    actual = LockedFile(part.stat().st_size, _sha256(part))
    locked = lock.revision(revision)
    expected = locked.files.get(filename)
    if expected is not None and expected != actual:
        part.unlink()
        raise PrismDownloadError(
            f"checksum mismatch for {filename}: expected {expected.size} bytes with sha256 "
            f"{expected.sha256}, got {actual.size} bytes with sha256 {actual.sha256}; the "
            f"download was deleted",
            url=url,
            status=200,
            hint=(
                f"{lock_path} pins different bytes. If the dataset was deliberately updated, "
                f"remove the {revision!r} entry from the lock file to record the new files."
            ),
        )
    if commit and locked.commit and commit != locked.commit:
        part.unlink()
        raise PrismDownloadError(
            f"{filename} came from commit {commit}, but the lock pins {locked.commit}",
            url=url,
            status=200,
            hint="The revision moved while downloading; run the download again.",
        )
    os.replace(part, target)
    if expected is None or (commit and not locked.commit):
        locked.commit = locked.commit or commit
        locked.files[filename] = actual
        write_lock(lock_path, lock)
        log.info(
            "recorded %s (%d bytes, sha256 %s) in %s",
            filename,
            actual.size,
            actual.sha256,
            lock_path,
        )
