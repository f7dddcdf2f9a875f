"""The PRISM dataset repository on Hugging Face: where it is, how to ask it, and two queries.

``download.py`` streams the files; this module builds their addresses, answers whether the hub
responds at all (``probe``, for ``PRISM_SOURCE=auto``) and which commit a revision points at
(``revision_commit``, for the source sensor). The token is sent as a bearer token and kept out
of reprs, logs and error messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

import httpx

HF_REPOSITORY = "HannahRoseKirk/prism-alignment"


@dataclass(frozen=True)
class Hub:
    """The endpoint, the revision to fetch (branch, tag or commit) and an optional token."""

    base_url: str
    revision: str
    token: str | None = field(default=None, repr=False)

    def file_url(self, filename: str, revision: str | None = None) -> str:
        """The address of ``filename`` at ``revision`` (default: the configured one)."""
        rev = quote(revision or self.revision, safe="")
        return f"{self.base_url.rstrip('/')}/datasets/{HF_REPOSITORY}/resolve/{rev}/{filename}"

    def revision_url(self) -> str:
        """The API address that names the commit behind the configured revision."""
        rev = quote(self.revision, safe="")
        return f"{self.base_url.rstrip('/')}/api/datasets/{HF_REPOSITORY}/revision/{rev}"

    def auth_headers(self) -> dict[str, str]:
        # httpx drops Authorization on a redirect to another origin (the CDN), as it should.
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


def probe(hub: Hub, filename: str, timeout: float) -> bool:
    """Whether the repository answers HTTP at all for ``filename`` within ``timeout`` seconds."""
    try:
        httpx.head(hub.file_url(filename), timeout=timeout, headers=hub.auth_headers())
    except httpx.HTTPError:
        return False
    return True


def revision_commit(hub: Hub, timeout: float) -> str:
    """The commit id behind ``hub.revision``.

    Raises ``LookupError`` with the reason when the API cannot be reached or does not name one.
    """
    url = hub.revision_url()
    try:
        response = httpx.get(
            url, timeout=timeout, headers=hub.auth_headers(), follow_redirects=True
        )
    except httpx.HTTPError as exc:
        raise LookupError(f"{url}: {type(exc).__name__}: {exc}") from exc
    if response.status_code != 200:
        raise LookupError(f"{url}: HTTP {response.status_code}: {response.text[:200]}")
    try:
        commit = response.json().get("sha")
    except (ValueError, AttributeError) as exc:
        raise LookupError(f"{url}: the answer is not a JSON object") from exc
    if not isinstance(commit, str) or not commit:
        raise LookupError(f"{url}: the answer names no commit ('sha')")
    return commit
