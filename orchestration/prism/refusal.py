"""Whole-file refusal: a PRISM file that yields nothing usable is refused rather than loaded empty.

Loading such a file would replace a good raw table by an empty one and let the run succeed; a
refusal instead fails the load before anything is committed, so the previous tables survive.
"""

from __future__ import annotations

from pathlib import Path

# Refuse a file when more than this share of its lines is rejected. PRISM as published has no bad
# line, so a file that loses nine lines in ten is damaged as a whole (the wrong file, a re-encoding,
# a parent that no longer matches), not line by line. A file from which nothing loads is refused
# whatever the threshold.
DEFAULT_REJECT_THRESHOLD = 0.9


class RefusedFile(Exception):
    """A whole file was refused; ``cause`` says why in words a person can act on."""

    def __init__(self, path: Path, cause: str) -> None:
        super().__init__(f"{path}: refused, nothing loaded from it: {cause}")
        self.path = Path(path)
        self.cause = cause


def check_threshold(threshold: float) -> float:
    """``threshold`` if it is a share in (0, 1]; zero would refuse a file for one bad line."""
    if not 0 < threshold <= 1:
        raise ValueError(f"reject threshold must be in (0, 1], got {threshold!r}")
    return threshold


def refuse_if_mostly_rejected(
    path: Path,
    lines_read: int,
    rows_rejected: int,
    top_reasons: list[tuple[str, int]],
    threshold: float,
) -> None:
    """Raise ``RefusedFile`` when nothing loaded or the rejected share exceeds ``threshold``."""
    if lines_read == 0:
        raise RefusedFile(path, "the file has no lines")
    loaded = lines_read - rows_rejected
    if loaded > 0 and rows_rejected <= threshold * lines_read:
        return
    share = rows_rejected / lines_read
    common = "; ".join(f"{reason} ({n})" for reason, n in top_reasons)
    limit = "no line loaded" if loaded == 0 else f"more than {threshold:.0%} of the lines rejected"
    raise RefusedFile(
        path,
        f"{rows_rejected:,} of {lines_read:,} lines rejected ({share:.1%}): {limit}; "
        f"most common reasons: {common}",
    )
