"""``prism-lock.json``: the commit, size and sha256 of each downloaded PRISM file.

These cannot be known in advance, so they are recorded on the first successful download (for the
user to commit) and every later download is verified against them. Nothing here is ever guessed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class LockedFile:
    size: int
    sha256: str


@dataclass
class LockedRevision:
    """What one requested revision (``main``, a tag or a commit) resolved to."""

    commit: str | None = None
    files: dict[str, LockedFile] = field(default_factory=dict)


@dataclass
class PrismLock:
    repository: str
    revisions: dict[str, LockedRevision] = field(default_factory=dict)

    def revision(self, name: str) -> LockedRevision:
        return self.revisions.setdefault(name, LockedRevision())


def read_lock(path: Path, repository: str) -> PrismLock:
    """The lock at ``path``, or an empty one; a lock for another repository is an error."""
    if not path.exists():
        return PrismLock(repository)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        lock = PrismLock(
            repository=data["repository"],
            revisions={
                name: LockedRevision(
                    commit=entry.get("commit"),
                    files={
                        filename: LockedFile(int(f["size"]), str(f["sha256"]))
                        for filename, f in entry.get("files", {}).items()
                    },
                )
                for name, entry in data.get("revisions", {}).items()
            },
        )
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"{path}: not a valid PRISM lock file ({error!r})") from error
    if lock.repository != repository:
        raise ValueError(f"{path}: locks {lock.repository!r}, not {repository!r}")
    return lock


def write_lock(path: Path, lock: PrismLock) -> None:
    """Write ``lock`` atomically, so an interrupted write never leaves half a lock."""
    data = {
        "repository": lock.repository,
        "revisions": {
            name: {
                "commit": entry.commit,
                "files": {
                    filename: {"size": f.size, "sha256": f.sha256}
                    for filename, f in sorted(entry.files.items())
                },
            }
            for name, entry in sorted(lock.revisions.items())
        },
    }
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)
