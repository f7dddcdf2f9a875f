"""Output the person at the terminal should not have to read.

stanc warns "The parameter b has no priors" for every parameter whose prior sits in the summed
``lprior`` term (the brms style the programs follow), so the warning is false here. It stays in
the log file; text shown on the terminal goes through `without_false_warnings` first.
"""

from __future__ import annotations

import re

_NO_PRIORS = re.compile(r"The parameter \S+ has no priors")


def without_false_warnings(text: str) -> str:
    """`text` without stanc's "no priors" warnings (a "Warning" line and its indented tail)."""
    kept: list[str] = []
    block: list[str] = []

    def flush() -> None:
        if block and not _NO_PRIORS.search(" ".join(line.strip() for line in block)):
            kept.extend(block)
        block.clear()

    for line in text.splitlines():
        if line.lstrip().startswith("Warning"):
            flush()
            block.append(line)
        elif block and line[:1].isspace() and line.strip():
            block.append(line)
        else:
            flush()
            kept.append(line)
    flush()
    return "\n".join(kept)
