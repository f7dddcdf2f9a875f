"""Byte-level output: JSON lines exactly as the release pipeline wrote them, and the score CSV."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .attributes import PERSPECTIVE

EMPTY_TEXT = "EMPTY STRING"


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    """`json.dumps` defaults (", "/": " separators, ASCII escapes, bare NaN), one row per line."""
    n = 0
    with path.open("w", encoding="ascii", newline="\n") as fh:
        for row in rows:
            fh.write(json.dumps(row))
            fh.write("\n")
            n += 1
    return n


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n", encoding="utf-8")


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_perspective_scores(
    path: Path, texts: Sequence[str], values: np.ndarray, english: np.ndarray
) -> int:
    """One row per distinct scored text; experimental attributes only exist for English."""
    table = pd.DataFrame(values, columns=list(PERSPECTIVE))
    table.loc[~english, list(PERSPECTIVE[1:])] = np.nan
    table.insert(0, "text_hash", [text_hash(t) for t in texts])
    scored = np.array([t != EMPTY_TEXT and bool(t.strip()) for t in texts])
    table = table[scored].drop_duplicates("text_hash", keep="first")
    # %.7g: seven significant digits, as the Perspective API reports them.
    table.to_csv(path, index=False, float_format="%.7g", na_rep="", lineterminator="\n")
    return len(table)
