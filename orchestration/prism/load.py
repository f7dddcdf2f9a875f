"""Loading the PRISM files into the ``raw`` schema: every line is loaded or rejected with a reason.

A load reads the file's lines into Arrow (``lines.py``; in a directory load the next file is read
on a thread while this one is checked), then one DuckDB query per file writes the raw table: every
line's typed values, and either the reason it cannot be parsed or the verdict of one vectorised
acceptance test (``fastpath.py``). Python words where the few malformed lines break; the detailed
checks word the first problem of the lines the test did not clear (``checks.py``); duplicate,
orphan and cross-file consistency reasons follow (``consistency.py``); then the rejected lines
leave the table for the rejects, with the load-log row, all inside one transaction. A file that
yields nothing usable is refused (``refusal.py``) and the transaction rolls back, so a failure
leaves the previous good tables. Loading a file whose fingerprint, source and revision match its
last successful load changes nothing.

Where the time goes at full scale (``tests/benchmarks/bench_ingest.py``, about 1.95 s from
opening the file to closing it against 0.72 s for DuckDB's bare read): the one query per file,
1.35 s in all (the JSON functions: keys, types by path, typed values, each parsing the line again,
the metadata's 35 typed paths alone 0.2 s; and compressing what it writes); the duplicate, orphan
and consistency query, 0.18 s (mostly the utterances' comparison with the histories); closing the
file, 0.13 s, where DuckDB checkpoints what the commit left in the WAL; the rest in small queries.
The survey's query costs more to plan (0.05 s) than to run.

How the raw tables are written:
- by the parse itself, with the checks' columns beside the values, dropped at the end: copying the
  accepted lines out of a temporary table into the raw table at the end held every text twice and
  cost 0.3 s more. The dropped columns leave about 5 MB of free blocks that later writes reuse.
- in row groups of ``LOAD_ROW_GROUP_SIZE`` rows, which the caller's connection sets
  (``warehouse.connect``). With DuckDB's default 122,880 rows no table fills a row group, so all
  four were compressed at the commit on one core (0.63 s); in row groups of 4,096 the query writes
  each full one to the file as it goes, on every core. With 8,192 or 16,384 the conversations'
  8,011 rows filled none, the commit put them in the WAL and closing the file compressed them in
  DuckDB's default (0.45 s): no gain.
- with ZSTD forced (``LOAD_COMPRESSION``): DuckDB's own choice for the nearly all distinct texts,
  dictionary + FSST, cost 1.25 CPU-s and left the file a third larger. Uncompressed would save
  0.3 s more and make the file four times larger (142 MB): not taken.

Tried and not kept: comparing the utterance texts by hash (no measurable gain), one list
comparison for the keys of a single JSON type instead of one comparison each (no faster),
enumerations as ``list_contains`` (the survey's planning doubled), typing the metadata's nested
flags by two wildcard paths instead of 22 paths (slower), raw JSON tokens instead of json_type
(as slow, and blind to null against missing), not keeping the typed values and parsing again
(slower), a CHECKPOINT at the end of the load (0.1 s slower than leaving it to the close), more or
smaller chunks of lines, more DuckDB threads than cores, and reading the next file only when it
is needed (each no faster, or slower).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from orchestration.prism.checks import MACROS, build_row_sql, sql_literal, top_level_paths
from orchestration.prism.consistency import utterance_consistency_sql
from orchestration.prism.fastpath import acceptance_sql, list_structure_sql, typed_structure_sql
from orchestration.prism.files import (
    CONVERSATIONS,
    FILE_SPECS,
    KINDS,
    LOAD_LOG_TABLE,
    REJECTS_TABLE,
    UTTERANCES,
    FileSpec,
    file_spec,
)
from orchestration.prism.lines import NumberedLines, read_numbered_lines
from orchestration.prism.refusal import (
    DEFAULT_REJECT_THRESHOLD,
    check_threshold,
    refuse_if_mostly_rejected,
)

log = logging.getLogger(__name__)

# Reject reasons start with one of these, most specific first; the report counts them by category.
REASON_CATEGORIES: tuple[str, ...] = (
    "invalid UTF-8",
    "blank line",
    "malformed JSON",
    "not a JSON object",
    "duplicate key",
    "missing required key",
    "null value",
    "wrong type",
    "out of range",
    "unknown value",
    "bad format",
    "inconsistent",
    "duplicate",
    "orphan",
)
# DuckDB's JSON parser accepts a comma before a closing bracket, which strict JSON (and so the
# release) does not; lines with such a comma outside or inside a string are re-read strictly.
_TRAILING_COMMA = ",[ \\t\\r\\n]*[]}]"
# How the raw tables are written (see the module docstring): ZSTD for the texts, which are nearly
# all distinct (every type without a ZSTD codec keeps its usual one), forced by the setting because
# a nested column (the histories) cannot carry a per-column USING COMPRESSION; and row groups
# small enough that the copy fills them and writes them in parallel.
LOAD_COMPRESSION = "zstd"
LOAD_ROW_GROUP_SIZE = 4_096
PREVIEW_ROWS = 5
PREVIEW_CHARS = 60

# The lines as read (lines.py): each ends with its newline, which the stored raw_line drops.
_ARROW = "_prism_lines_arrow"
_STRIPPED = "CASE WHEN suffix(line, chr(10)) THEN line[:-2] ELSE line END"
_ARROW_LINES = f"(SELECT line_number, pre_reason, {_STRIPPED} AS line FROM {_ARROW})"
_PARSED = "_prism_parsed"
# The raw table is written once, by the parse, with these columns for the checks beside the
# values; they are dropped at the end (see _swap).
_HELPERS = {
    "reason": "_prism_reason",
    "_strict": "_prism_strict",
    "_keys": "_prism_keys",
    "_ok": "_prism_ok",
}
_SLOW = "_prism_slow"
_CHECKED = "_prism_checked"
_FINAL = "_prism_final"


@dataclass(frozen=True)
class LoadReport:
    """What one file load did; ``skipped`` when the file matched its last successful load."""

    kind: str
    file: str
    path: Path
    table: str
    dataset_source: str
    dataset_revision: str
    fingerprint: str
    lines_read: int
    rows_loaded: int
    rows_rejected: int
    reject_reasons: dict[str, int]
    skipped: bool
    seconds: float
    notes: tuple[str, ...] = ()
    preview: list[dict[str, str]] = field(default_factory=list)


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the ``raw`` schema, the rejects table and the load log if they are missing."""
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {REJECTS_TABLE} (file VARCHAR, line_number BIGINT, "
        "reason VARCHAR, raw_line VARCHAR, _dataset_source VARCHAR, _dataset_revision VARCHAR)"
    )
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {LOAD_LOG_TABLE} (file VARCHAR, _dataset_source VARCHAR, "
        "_dataset_revision VARCHAR, fingerprint VARCHAR, lines_read BIGINT, rows_loaded BIGINT, "
        "rows_rejected BIGINT, loaded_at TIMESTAMP)"
    )


def find_prism_file(directory: Path, kind: str) -> Path:
    """``<kind>.jsonl`` or ``<kind>.jsonl.gz`` in ``directory``; exactly one must exist."""
    name = file_spec(kind).filename
    found = [p for p in (directory / name, directory / f"{name}.gz") if p.is_file()]
    if not found:
        raise FileNotFoundError(f"{directory}: neither {name} nor {name}.gz exists")
    if len(found) > 1:
        raise ValueError(f"{directory}: both {name} and {name}.gz exist; keep only one")
    return found[0]


def load_prism_file(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    path: Path,
    dataset_source: str,
    dataset_revision: str,
    *,
    force: bool = False,
    reject_threshold: float = DEFAULT_REJECT_THRESHOLD,
) -> LoadReport:
    """Load one PRISM file into its raw table in one transaction.

    Orphans are checked against the parent raw tables as they are now; a parent that was never
    loaded is noted in the report. ``force`` reloads even an unchanged file. A file that is
    empty, not JSON lines, or whose rejected share exceeds ``reject_threshold`` raises
    ``RefusedFile`` and changes nothing.
    """
    check_threshold(reject_threshold)
    ensure_raw_schema(con)
    with _transaction(con):
        return _load(
            con,
            file_spec(kind),
            Path(path),
            lambda: read_numbered_lines(Path(path)),
            dataset_source,
            dataset_revision,
            force,
            reject_threshold,
        )


def load_prism_directory(
    con: duckdb.DuckDBPyConnection,
    directory: Path,
    dataset_source: str,
    dataset_revision: str,
    *,
    force: bool = False,
    reject_threshold: float = DEFAULT_REJECT_THRESHOLD,
) -> dict[str, LoadReport]:
    """Load all four files in dependency order, all or nothing, in one transaction.

    A file whose parent was reloaded is reloaded too, since its orphans may have changed. One
    refused file (see ``load_prism_file``) leaves all four previous tables as they were.
    """
    check_threshold(reject_threshold)
    directory = Path(directory)
    paths = {kind: find_prism_file(directory, kind) for kind in KINDS}
    ensure_raw_schema(con)
    reports: dict[str, LoadReport] = {}
    # The next file is read (decompressed, hashed, split) on a thread while DuckDB, which releases
    # the GIL, checks this one; one file ahead keeps at most two files in memory.
    with ThreadPoolExecutor(max_workers=1) as reader, _transaction(con):
        pending = reader.submit(read_numbered_lines, paths[KINDS[0]])
        for kind, after in zip(KINDS, (*KINDS[1:], None), strict=True):
            current = pending
            if after is not None:
                pending = reader.submit(read_numbered_lines, paths[after])
            spec = FILE_SPECS[kind]
            parent_reloaded = any(not reports[p].skipped for p in spec.parents)
            reports[kind] = _load(
                con,
                spec,
                paths[kind],
                current.result,
                dataset_source,
                dataset_revision,
                force or parent_reloaded,
                reject_threshold,
            )
    return reports


@contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    # Row groups the copy fills are compressed as it writes them, the rest at the commit's
    # checkpoint: both under the forced method.
    with _forced_compression(con, LOAD_COMPRESSION):
        con.begin()
        try:
            yield
        except BaseException:
            con.rollback()
            raise
        con.commit()


@contextmanager
def _forced_compression(con: duckdb.DuckDBPyConnection, method: str) -> Iterator[None]:
    """Force ``method`` on what the load writes, then restore the caller's choice.

    The setting is global to the database instance, not part of the transaction, so it is put
    back even when the load fails.
    """
    ((previous,),) = con.execute("SELECT current_setting('force_compression')").fetchall()
    con.execute(f"SET force_compression = {sql_literal(method)}")
    try:
        yield
    finally:
        con.execute(f"SET force_compression = {sql_literal(previous)}")


def _load(
    con: duckdb.DuckDBPyConnection,
    spec: FileSpec,
    path: Path,
    read: Callable[[], NumberedLines],
    source: str,
    revision: str,
    force: bool,
    reject_threshold: float,
) -> LoadReport:
    started = time.perf_counter()
    lines = read()
    last = _last_load(con, spec.filename)
    if (
        not force
        and last is not None
        and _unchanged(con, spec, last, lines.fingerprint, source, revision)
    ):
        log.info("%s unchanged (fingerprint %s); not reloaded", spec.filename, lines.fingerprint)
        return _skipped_report(con, spec, path, last, started)

    for macro in MACROS:
        con.execute(macro)
    con.register(_ARROW, lines.table)
    try:
        _parse_lines(con, spec, source, revision)
        _explain_malformed(con, spec)
        slow = _check_lines(con, spec)
        notes = _final_reasons(con, spec)
        notes += _unexpected_key_notes(con, spec)
        loaded_at = datetime.now(UTC).replace(tzinfo=None)
        rows_loaded, rows_rejected = _swap(con, spec, slow, source, revision)
    finally:
        con.unregister(_ARROW)
    if rows_loaded + rows_rejected != lines.count:
        raise RuntimeError(
            f"{path}: counts do not reconcile: {lines.count} lines read, "
            f"{rows_loaded} loaded + {rows_rejected} rejected"
        )
    # Raised inside the caller's transaction, so the swapped-in table is rolled back.
    refuse_if_mostly_rejected(path, lines.count, rows_rejected, _top_reasons(con), reject_threshold)
    con.execute(
        f"INSERT INTO {LOAD_LOG_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            spec.filename,
            source,
            revision,
            lines.fingerprint,
            lines.count,
            rows_loaded,
            rows_rejected,
            loaded_at,
        ],
    )
    for view in (_CHECKED, _PARSED):
        con.execute(f"DROP VIEW {view}")
    for table in (_SLOW, _FINAL):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    report = LoadReport(
        kind=spec.kind,
        file=spec.filename,
        path=path,
        table=spec.table,
        dataset_source=source,
        dataset_revision=revision,
        fingerprint=lines.fingerprint,
        lines_read=lines.count,
        rows_loaded=rows_loaded,
        rows_rejected=rows_rejected,
        reject_reasons=_reject_reasons(con, spec.filename),
        skipped=False,
        seconds=time.perf_counter() - started,
        notes=notes,
        preview=_preview(con, spec.table),
    )
    log.info(
        "%s: %d lines, %d loaded, %d rejected %s",
        spec.filename,
        report.lines_read,
        report.rows_loaded,
        report.rows_rejected,
        report.reject_reasons,
    )
    for note in notes:
        log.warning("%s: %s", spec.filename, note)
    return report


def _parse_lines(
    con: duckdb.DuckDBPyConnection, spec: FileSpec, source: str, revision: str
) -> None:
    """Parse, type and check every line in one pass over the Arrow lines (see ``fastpath.py``),
    into the raw table itself: a line per row, in line order, with its typed values.

    Beside them (``_HELPERS``, seen through the view ``_PARSED``) each row gets the reason for a
    line that cannot be parsed as a JSON object (NULL otherwise), whether it is to be read
    strictly, its keys and whether the acceptance test cleared it. Writing the table here, rather
    than copying the accepted lines into it at the end, keeps every text out of a temporary table
    and out of a second copy: the load was 15% faster. The table replaces the previous one inside
    the load's transaction, so a failure still leaves the previous one.

    The tests read the line with its newline (whitespace to them), so no line is copied. The
    keys come first, inside TRY: json_keys parses the whole line with the parser json_valid uses
    and fails exactly where it would, so a clean line is parsed once less, and only a line whose
    keys failed is asked whether it is blank. DuckDB evaluates a CASE branch only on the rows
    that take it, so the other JSON functions never see a line that is not JSON.

    The keys are kept only where they can tell more than the codebook does: a line the test
    cleared with as many keys as are required has each required key once and no other, so it
    keeps none (at full scale, nearly every line: storing them was most of the key-note cost).
    """
    required = sum(f.required for f in spec.fields)
    paths, wildcards, accepted = acceptance_sql(spec, "_y", "_r", "_t")
    parsed = [
        ("_y", f"json_type(line, {paths})"),
        ("_t", f"from_json(line, {typed_structure_sql(spec)})"),
    ]
    lists = list_structure_sql(spec)
    if lists:
        parsed.append(("_r", f"from_json(line, {lists})"))
    parsed += [(alias, f"json_type(line, {sql_literal(p)})") for alias, p in wildcards]
    guarded = ", ".join(
        f"CASE WHEN reason IS NULL THEN {expression} END AS {alias}" for alias, expression in parsed
    )
    values = ", ".join(f'_t."{name}" AS "{name}"' for name in spec.columns)
    ((keeps_order,),) = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()
    # Without it DuckDB may store the rows in any order; the sort then costs what it costs.
    order = "" if keeps_order else "ORDER BY line_number"
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {spec.table} AS
        SELECT {values}, line_number AS _line_number, {sql_literal(source)} AS _dataset_source,
            {sql_literal(revision)} AS _dataset_revision,
            reason AS {_HELPERS["reason"]}, _strict AS {_HELPERS["_strict"]},
            CASE WHEN NOT (_ok AND NOT _strict AND len(_keys) = {required}) THEN _keys END
                AS {_HELPERS["_keys"]},
            _ok AS {_HELPERS["_ok"]}
        FROM (
        SELECT line_number, reason, _strict, _keys, _t,
            coalesce(reason IS NULL AND {_distinct_keys(spec)} AND {accepted}, false) AS _ok
        FROM (
            SELECT line_number, reason, _strict, _keys, {guarded}
            FROM (
                SELECT line_number, line,
                    CASE
                        WHEN pre_reason IS NOT NULL THEN pre_reason
                        WHEN _keys IS NULL AND regexp_full_match(line, '\\s*')
                            THEN 'blank line'
                        WHEN _keys IS NULL THEN 'malformed JSON'
                        -- Valid JSON that starts with a brace is an object; only the rest are
                        -- typed.
                        WHEN NOT starts_with(ltrim(line), '{{')
                            THEN 'not a JSON object (got ' || json_type(line) || ')'
                    END AS reason,
                    CASE WHEN pre_reason IS NULL THEN _keys END AS _keys,
                    regexp_matches(line, '{_TRAILING_COMMA}') AS _strict
                FROM (SELECT *, TRY(json_keys(line)) AS _keys FROM {_ARROW})
            )
        )
        )
        {order}
        """
    )
    helpers = ", ".join(f"{column} AS {alias}" for alias, column in _HELPERS.items())
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {_PARSED} AS "
        f"SELECT _line_number AS line_number, {helpers} FROM {spec.table}"
    )


def _distinct_keys(spec: FileSpec) -> str:
    """True when no key of the line ``_keys`` repeats, for a line that passes the acceptance test.

    Such a line has every required key, so when all keys are required and it has just as many,
    none repeats; only other lines pay for hashing their keys, which costs more than a parse.
    """
    distinct = "len(_keys) = len(list_distinct(_keys))"
    if not all(f.required for f in spec.fields):
        return distinct
    return f"CASE WHEN len(_keys) = {len(spec.fields)} THEN true ELSE {distinct} END"


def _explain_malformed(con: duckdb.DuckDBPyConnection, spec: FileSpec) -> None:
    """Say where each malformed line breaks, and settle the lines to be read strictly.

    DuckDB decides what is malformed but gives no position without raising, and it accepts
    trailing commas; Python's strict parser, which reports a column, words the reason for just
    these lines. A line it accepts (a comma before a bracket inside a string) goes on as valid.
    """
    rows = con.execute(
        f"SELECT p.line_number, l.line, p.reason FROM {_PARSED} p JOIN {_ARROW_LINES} l "
        f"USING (line_number) WHERE p.reason = 'malformed JSON' OR (p.reason IS NULL AND _strict)"
    ).fetchall()
    details: list[tuple[int, str]] = []
    for line_number, line, reason in rows:
        try:
            json.loads(line)
            # Python may accept what DuckDB cannot parse; only a strict re-read is cleared.
            if reason is not None:
                details.append((line_number, reason))
        except json.JSONDecodeError as error:
            # Some messages already end in "at" ("Unterminated string starting at").
            where = f"{error.msg.removesuffix(' at')} at column {error.colno}"
            details.append((line_number, f"malformed JSON: {where}"))
    if not details:
        return
    numbers, reasons = zip(*details, strict=True)
    explained = pa.table(
        {"line_number": pa.array(numbers, pa.int64()), "reason": pa.array(reasons, pa.string())}
    )
    con.register("_prism_malformed_arrow", explained)
    try:
        con.execute(
            f"UPDATE {spec.table} SET {_HELPERS['reason']} = m.reason, {_HELPERS['_ok']} = false "
            f"FROM _prism_malformed_arrow m WHERE {spec.table}._line_number = m.line_number"
        )
    finally:
        con.unregister("_prism_malformed_arrow")


def _check_lines(con: duckdb.DuckDBPyConnection, spec: FileSpec) -> int:
    """The view ``_CHECKED`` (line_number, reason, typed columns) over every line: the accepted
    lines' values as parsed, the detailed checks for those the acceptance test did not clear
    (see ``fastpath.py``), and the reason alone for those that could not be parsed.

    Returns how many lines took the detailed checks.
    """
    values = ", ".join(f'"{name}"' for name in spec.columns)
    parts = [
        f"SELECT _line_number AS line_number, NULL::VARCHAR AS reason, {values} "
        f"FROM {spec.table} WHERE {_HELPERS['_ok']}"
    ]
    ((slow,),) = con.execute(
        f"SELECT count(*) FROM {_PARSED} WHERE NOT _ok AND reason IS NULL"
    ).fetchall()
    if slow:
        # Planning the detailed checks costs more than running them, so a clean file skips it.
        _detailed_checks(con, spec)
        parts.append(f"SELECT * FROM {_SLOW}")
    parts.append(f"SELECT line_number, reason FROM {_PARSED} WHERE reason IS NOT NULL")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {_CHECKED} AS " + " UNION ALL BY NAME ".join(parts))
    return int(slow)


def _detailed_checks(con: duckdb.DuckDBPyConnection, spec: FileSpec) -> None:
    """The first problem of each line the acceptance test did not clear, worded, and the
    typed values of those that turn out valid (an integer written 266.0, say)."""
    row_sql = build_row_sql(spec)
    query = (
        f"SELECT p.line_number, json_extract(l.line, {top_level_paths(spec)}) AS _v, p._keys "
        f"FROM {_PARSED} p JOIN {_ARROW_LINES} l USING (line_number) "
        "WHERE NOT p._ok AND p.reason IS NULL"
    )
    for stage in row_sql.stages:
        if stage:
            bindings = ", ".join(f"{expression} AS {alias}" for alias, expression in stage)
            query = f"SELECT *, {bindings} FROM ({query})"
    duplicate_key = (
        "CASE WHEN len(_keys) <> len(list_distinct(_keys)) THEN 'duplicate key `' || "
        "list_filter(_keys, lambda k, n: list_position(_keys, k) < n)[1] || '`' END"
    )
    columns = ", ".join(f'{expression} AS "{name}"' for name, expression in row_sql.columns)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {_SLOW} AS
        SELECT line_number, coalesce({duplicate_key}, {row_sql.reason}) AS reason, {columns}
        FROM ({query})
        """
    )


def _final_reasons(con: duckdb.DuckDBPyConnection, spec: FileSpec) -> tuple[str, ...]:
    """Add duplicate-id and orphan reasons to the lines that passed the per-line checks."""
    ids = ", ".join(f'"{c}"' for c in spec.id_columns)
    if len(spec.id_columns) == 1:
        (id_column,) = spec.id_columns
        duplicate = f"'duplicate `{id_column}` `' || c.\"{id_column}\" || '`'"
    else:
        names = ", ".join(f"`{c}`" for c in spec.id_columns)
        values = " || ', ' || ".join(
            f"coalesce('`' || c.\"{c}\" || '`', 'null')" for c in spec.id_columns
        )
        duplicate = f"'duplicate ({names}) = (' || {values} || ')'"
    reasons = [
        f"CASE WHEN c.line_number > d._first THEN {duplicate} || "
        "' (first seen on line ' || d._first || ')' END"
    ]
    # The repeated ids only, by a grouping of the id columns: a window over the checked rows
    # would sort them with every column a reason reads (the utterances' texts among them).
    # Like a window's partition, and unlike a join on `=`, a null id matches a null id.
    joins = [
        f"LEFT JOIN (SELECT {ids}, min(line_number) AS _first FROM {_CHECKED} "
        f"WHERE reason IS NULL GROUP BY {ids} HAVING count(*) > 1) d ON c.reason IS NULL AND "
        + " AND ".join(f'c."{c}" IS NOT DISTINCT FROM d."{c}"' for c in spec.id_columns)
    ]
    notes: list[str] = []
    for number, fk in enumerate(spec.foreign_keys):
        parent = FILE_SPECS[fk.parent]
        if not _table_exists(con, parent.table):
            notes.append(
                f"orphan check of `{fk.column}` skipped: {parent.table} has not been loaded"
            )
            continue
        alias = f"p{number}"
        joins.append(
            f'LEFT JOIN (SELECT DISTINCT "{fk.parent_column}" AS k FROM {parent.table}) {alias} '
            f'ON c."{fk.column}" = {alias}.k'
        )
        reasons.append(
            f'CASE WHEN c."{fk.column}" IS NOT NULL AND {alias}.k IS NULL THEN '
            f"'orphan: {fk.label} `' || c.\"{fk.column}\" || '` not in {fk.parent}' END"
        )
    if spec.kind == UTTERANCES.kind:
        if _table_exists(con, CONVERSATIONS.table):
            consistency = utterance_consistency_sql()
            joins += consistency.joins
            reasons += consistency.reasons
        else:
            notes.append(
                f"consistency check against the conversation histories skipped: "
                f"{CONVERSATIONS.table} has not been loaded"
            )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {_FINAL} AS
        SELECT c.line_number, coalesce(c.reason, {", ".join(reasons)}) AS reason
        FROM {_CHECKED} c
        {" ".join(joins)}
        """
    )
    return tuple(notes)


def _swap(
    con: duckdb.DuckDBPyConnection, spec: FileSpec, slow: int, source: str, revision: str
) -> tuple[int, int]:
    """Leave in the raw table the lines that have no reason, with their values, and file the
    rejected ones with theirs.

    The lines the detailed checks cleared get the values those checks typed. DuckDB rewrites an
    updated row of a table with nested columns at the table's end, so such a table is then
    rebuilt in line order (a copy, paid only when a line took the detailed checks).
    """
    if slow:
        assignments = ", ".join(f'"{c}" = s."{c}"' for c in spec.columns)
        con.execute(
            f"UPDATE {spec.table} SET {assignments} FROM {_SLOW} s "
            f"WHERE s.reason IS NULL AND {spec.table}._line_number = s.line_number"
        )
    con.execute(
        f"DELETE FROM {spec.table} WHERE _line_number IN "
        f"(SELECT line_number FROM {_FINAL} WHERE reason IS NOT NULL)"
    )
    if slow and _has_nested_columns(con, spec.table):
        con.execute(
            f"CREATE OR REPLACE TABLE {spec.table} AS "
            f"SELECT * FROM {spec.table} ORDER BY _line_number"
        )
    con.execute(f"DELETE FROM {REJECTS_TABLE} WHERE file = ?", [spec.filename])
    con.execute(
        f"""
        INSERT INTO {REJECTS_TABLE}
        SELECT ?, f.line_number, f.reason, l.line, ?, ?
        FROM {_FINAL} f JOIN {_ARROW_LINES} l USING (line_number)
        WHERE f.reason IS NOT NULL ORDER BY f.line_number
        """,
        [spec.filename, source, revision],
    )
    loaded, rejected = con.execute(
        f"SELECT count(*) FILTER (reason IS NULL), count(*) FILTER (reason IS NOT NULL) "
        f"FROM {_FINAL}"
    ).fetchall()[0]
    for column in _HELPERS.values():
        con.execute(f"ALTER TABLE {spec.table} DROP COLUMN {column}")
    return int(loaded), int(rejected)


def _has_nested_columns(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    schema, name = qualified.split(".")
    ((nested,),) = con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? "
        "AND (data_type LIKE '%[]' OR data_type LIKE 'STRUCT%' OR data_type LIKE 'MAP%')",
        [schema, name],
    ).fetchall()
    return bool(nested)


def _top_reasons(con: duckdb.DuckDBPyConnection, limit: int = 3) -> list[tuple[str, int]]:
    """The most common reject categories of the file being loaded, each with one example."""
    pattern = "^(" + "|".join(REASON_CATEGORIES) + ")"
    rows = con.execute(
        f"SELECT coalesce(nullif(regexp_extract(reason, ?, 1), ''), reason) AS category, "
        f"count(*) AS n, arg_min(line_number || ': ' || reason, line_number) AS example "
        f"FROM {_FINAL} WHERE reason IS NOT NULL GROUP BY category ORDER BY n DESC, category "
        f"LIMIT {limit}",
        [pattern],
    ).fetchall()
    return [(f"{category}, e.g. line {example}", int(n)) for category, n, example in rows]


def _unexpected_key_notes(con: duckdb.DuckDBPyConnection, spec: FileSpec) -> tuple[str, ...]:
    """Notes on the keys no field of ``spec`` names (only lines that may have one keep their
    keys, see ``_parse_lines``)."""
    known = "[" + ", ".join(sql_literal(c) for c in spec.columns) + "]"
    rows = con.execute(
        f"SELECT k, count(*) FROM (SELECT unnest(_keys) AS k FROM {_PARSED}) "
        f"WHERE NOT list_contains({known}, k) GROUP BY k ORDER BY k"
    ).fetchall()
    return tuple(f"unexpected key `{k}` on {n} lines was not loaded" for k, n in rows)


def _reject_reasons(con: duckdb.DuckDBPyConnection, filename: str) -> dict[str, int]:
    pattern = "^(" + "|".join(REASON_CATEGORIES) + ")"
    rows = con.execute(
        f"SELECT coalesce(nullif(regexp_extract(reason, ?, 1), ''), reason) AS category, "
        f"count(*) FROM {REJECTS_TABLE} WHERE file = ? GROUP BY category ORDER BY category",
        [pattern, filename],
    ).fetchall()
    return {category: int(n) for category, n in rows}


def _preview(con: duckdb.DuckDBPyConnection, table: str) -> list[dict[str, str]]:
    result = con.execute(f"SELECT * FROM {table} ORDER BY _line_number LIMIT {PREVIEW_ROWS}")
    names = [d[0] for d in result.description]
    return [
        {name: _shorten(value) for name, value in zip(names, row, strict=True)}
        for row in result.fetchall()
    ]


def _shorten(value: object) -> str:
    text = "null" if value is None else str(value)
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 3] + "..."


def _table_exists(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    schema, name = qualified.split(".")
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
        [schema, name],
    ).fetchone()
    return bool(found and found[0])


@dataclass(frozen=True)
class _LastLoad:
    fingerprint: str
    dataset_source: str
    dataset_revision: str
    lines_read: int
    rows_loaded: int
    rows_rejected: int
    loaded_at: datetime


def _last_load(con: duckdb.DuckDBPyConnection, filename: str) -> _LastLoad | None:
    row = con.execute(
        f"SELECT fingerprint, _dataset_source, _dataset_revision, lines_read, rows_loaded, "
        f"rows_rejected, loaded_at FROM {LOAD_LOG_TABLE} WHERE file = ? "
        f"ORDER BY loaded_at DESC LIMIT 1",
        [filename],
    ).fetchone()
    return _LastLoad(*row) if row else None


def _unchanged(
    con: duckdb.DuckDBPyConnection,
    spec: FileSpec,
    last: _LastLoad,
    fingerprint: str,
    source: str,
    revision: str,
) -> bool:
    if not _table_exists(con, spec.table):
        return False
    if (last.fingerprint, last.dataset_source, last.dataset_revision) != (
        fingerprint,
        source,
        revision,
    ):
        return False
    # A parent reloaded since this file's load may have turned its rows into orphans (or back).
    for parent in spec.parents:
        parent_last = _last_load(con, FILE_SPECS[parent].filename)
        if parent_last is not None and parent_last.loaded_at > last.loaded_at:
            return False
    return True


def _skipped_report(
    con: duckdb.DuckDBPyConnection,
    spec: FileSpec,
    path: Path,
    last: _LastLoad,
    started: float,
) -> LoadReport:
    return LoadReport(
        kind=spec.kind,
        file=spec.filename,
        path=path,
        table=spec.table,
        dataset_source=last.dataset_source,
        dataset_revision=last.dataset_revision,
        fingerprint=last.fingerprint,
        lines_read=last.lines_read,
        rows_loaded=last.rows_loaded,
        rows_rejected=last.rows_rejected,
        reject_reasons=_reject_reasons(con, spec.filename),
        skipped=True,
        seconds=time.perf_counter() - started,
        notes=("unchanged since the last successful load; not reloaded",),
        preview=_preview(con, spec.table),
    )
