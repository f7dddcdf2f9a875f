"""Detailed per-line checks and typed values for one PRISM file, as DuckDB SQL from its spec.

They run only on the lines that the acceptance test (``fastpath.py``) did not clear, and find and
word the first problem of each.

Each line is parsed once by DuckDB's JSON reader into a list of the top-level values; every
nested object or array is extracted once more in a later stage, so no line is re-parsed per key.
For every key the generated SQL yields a reject reason (or NULL) and the typed value. The checks
look at the JSON type of each value rather than at cast results, because DuckDB's casts are
lenient (``"true"`` casts to BOOLEAN, 266.5 rounds to INTEGER 266).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from orchestration.prism.files import Field, FileSpec, ListOf, Scalar, Struct, duckdb_type

# Temporary macros keep the generated SQL short; they are inlined by DuckDB, so they cost nothing.
MACROS: tuple[str, ...] = (
    # Bare NaN (how pandas wrote a missing value) counts as null, like JSON null. DuckDB's reader
    # keeps a scalar's token as written and accepts NaN in any case with an optional minus, so a
    # string comparison spares re-parsing every value.
    "CREATE OR REPLACE TEMP MACRO prism_is_null(j) AS lower(j::VARCHAR) IN ('null', 'nan', '-nan')",
    "CREATE OR REPLACE TEMP MACRO prism_excerpt(j) AS "
    "CASE WHEN length(j::VARCHAR) > 40 THEN left(j::VARCHAR, 40) || '...' ELSE j::VARCHAR END",
    "CREATE OR REPLACE TEMP MACRO prism_is_number(j) AS "
    "json_type(j) IN ('BIGINT', 'UBIGINT', 'DOUBLE') AND isfinite(TRY_CAST(j AS DOUBLE))",
    # An integer may be written as 266.0; 266.5 or a value beyond INTEGER is a wrong type.
    "CREATE OR REPLACE TEMP MACRO prism_is_integer(j) AS "
    "prism_is_number(j) AND TRY_CAST(j AS DOUBLE) = trunc(TRY_CAST(j AS DOUBLE)) "
    "AND TRY_CAST(j AS DOUBLE) BETWEEN -2147483648 AND 2147483647",
)

_TYPE_OK = {
    "VARCHAR": "json_type({j}) = 'VARCHAR'",
    "BOOLEAN": "json_type({j}) = 'BOOLEAN'",
    "INTEGER": "prism_is_integer({j})",
    "DOUBLE": "prism_is_number({j})",
}


class _Sql(NamedTuple):
    """A value's first reject reason and its typed value."""

    reason: str
    typed: str


@dataclass
class RowSql:
    """The generated SQL: ``stages[k]`` are ``(alias, expression)`` bindings that may use the
    aliases of earlier stages; ``reason`` and ``columns`` use any alias."""

    stages: list[list[tuple[str, str]]] = field(default_factory=list)
    reason: str = "NULL"
    columns: list[tuple[str, str]] = field(default_factory=list)


def sql_literal(text: str) -> str:
    """``text`` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _path(name: str) -> str:
    return sql_literal('$."' + name + '"')


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _range_text(scalar: Scalar) -> str:
    if scalar.minimum is not None and scalar.maximum is not None:
        return f"not in {_number(scalar.minimum)}..{_number(scalar.maximum)}"
    if scalar.minimum is not None:
        return f"not >= {_number(scalar.minimum)}"
    return f"not <= {_number(scalar.maximum)}"


def _range_ok(scalar: Scalar, j: str) -> str | None:
    value = f"TRY_CAST({j} AS DOUBLE)"
    bounds = []
    if scalar.minimum is not None:
        bounds.append(f"{value} >= {_number(scalar.minimum)}")
    if scalar.maximum is not None:
        bounds.append(f"{value} <= {_number(scalar.maximum)}")
    return " AND ".join(bounds) or None


def _domain(t: Scalar, j: str, text: str, label: str) -> str | None:
    """A WHEN branch rejecting a string outside the codebook's domain; ``text`` is the decoded
    string, ``j`` its JSON token."""
    shown = f"prism_excerpt({j})"
    if t.allowed:
        values = ", ".join(sql_literal(v) for v in t.allowed)
        listed = " | ".join(t.allowed)
        known = listed if len(listed) <= 80 else f"{len(t.allowed)} values"
        reason = (
            f"'unknown value for `' || {label} || '`: ' || {shown} || "
            f"{sql_literal(f' (the codebook allows {known})')}"
        )
        return f"WHEN {text} NOT IN ({values}) THEN {reason}"
    if t.pattern:
        ok = f"regexp_full_match({text}, {sql_literal(t.pattern)})"
        if t.strptime:
            ok += f" AND try_strptime({text}, {sql_literal(t.strptime)}) IS NOT NULL"
        reason = (
            f"'bad format for `' || {label} || '`: ' || {shown} || "
            f"{sql_literal(f' (expected {t.pattern_text})')}"
        )
        return f"WHEN NOT ({ok}) THEN {reason}"
    return None


def _child_label(label: str, name_sql: str) -> str:
    """The label of the key named by SQL expression ``name_sql`` under ``label``; the top level
    has the empty label ``''``."""
    if label == "''":
        return name_sql
    return f"{label} || '.' || {name_sql}"


def _first_reason(reasons: list[str]) -> str:
    if not reasons:
        return "NULL"
    return reasons[0] if len(reasons) == 1 else f"coalesce({', '.join(reasons)})"


class _Builder:
    def __init__(self) -> None:
        self.sql = RowSql()
        self._names = 0

    def _name(self, prefix: str) -> str:
        self._names += 1
        return f"{prefix}{self._names}"

    def _bind(self, stage: int, expression: str) -> str:
        while len(self.sql.stages) <= stage:
            self.sql.stages.append([])
        alias = self._name("_b")
        self.sql.stages[stage].append((alias, expression))
        return alias

    def field(
        self,
        f: Field,
        j: str,
        label: str,
        stage: int | None,
        children: list[str] | None = None,
    ) -> _Sql:
        """Reject reason and typed value of one key whose JSON text is ``j`` (NULL when absent).

        ``stage`` is the stage of the alias ``j`` reads, or None inside a lambda, where nothing
        can be bound to a stage. ``children`` are the child values of a list element's object,
        extracted by the list's binding. One CASE per key keeps the generated SQL small, which
        matters: planning time grows with the expression tree, and the survey has 110 keys.
        """
        missing = f"'missing required key `' || {label} || '`'" if f.required else "NULL"
        null = "NULL" if f.nullable else f"'null value for `' || {label} || '`'"
        value = self._value(f.type, j, label, stage, children)
        absent = f"{j} IS NULL OR prism_is_null({j})"
        reason = (
            f"CASE WHEN {j} IS NULL THEN {missing} WHEN prism_is_null({j}) THEN {null} "
            f"ELSE {value.reason} END"
        )
        return _Sql(reason, f"CASE WHEN {absent} THEN NULL ELSE {value.typed} END")

    def _value(
        self,
        t: Scalar | Struct | ListOf,
        j: str,
        label: str,
        stage: int | None,
        children: list[str] | None,
    ) -> _Sql:
        if isinstance(t, Scalar):
            return self._scalar(t, j, label)
        if isinstance(t, Struct):
            if children is None:
                children = self._children(t, j, stage)
            return self._struct(t, j, label, children, None if stage is None else stage + 1)
        return self._list(t, j, label, stage)

    def _scalar(self, t: Scalar, j: str, label: str) -> _Sql:
        wrong = (
            f"'wrong type for `' || {label} || '` (expected {t.sql_type}, got ' "
            f"|| prism_excerpt({j}) || ')'"
        )
        branches = f"WHEN NOT ({_TYPE_OK[t.sql_type].format(j=j)}) THEN {wrong}"
        range_ok = _range_ok(t, j)
        if range_ok:
            out = f"'out of range: ' || {label} || ' ' || {j}::VARCHAR || ' {_range_text(t)}'"
            branches += f" WHEN NOT ({range_ok}) THEN {out}"
        if t.sql_type == "VARCHAR":
            typed = f"json_extract_string({j}, '$')"
        else:
            typed = f"TRY_CAST({j} AS {t.sql_type})"
        domain = _domain(t, j, typed, label)
        if domain:
            branches += f" {domain}"
        return _Sql(f"CASE {branches} END", typed)

    def _children(self, t: Struct, j: str, stage: int | None) -> list[str]:
        paths = "[" + ", ".join(_path(f.name) for f in t.fields) + "]"
        extract = f"json_extract({j}, {paths})"
        # Inside a lambda the children are re-extracted per key; the spec nests no object that
        # deep (list elements are flat and get their children from the list's binding).
        source = extract if stage is None else self._bind(stage + 1, extract)
        return [f"{source}[{i}]" for i in range(1, len(t.fields) + 1)]

    def fields(
        self, fields: tuple[Field, ...], values: list[str], label: str, stage: int | None
    ) -> tuple[list[str], list[str]]:
        """Reasons and typed values of sibling keys.

        Scalar keys checked alike (the survey's 19 use-case flags, say) share one lambda, which
        plans far faster than one CASE per key; objects and arrays get their own checks.
        """
        reasons: list[str] = []
        typed: list[str] = []
        groups: dict[Field, list[tuple[str, str]]] = {}
        for f, value in zip(fields, values, strict=True):
            sql = self.field(f, value, _child_label(label, sql_literal(f.name)), stage)
            typed.append(sql.typed)
            if isinstance(f.type, Scalar):
                groups.setdefault(Field("", f.type, f.required, f.nullable), []).append(
                    (f.name, value)
                )
            else:
                reasons.append(sql.reason)
        for shape, members in groups.items():
            if len(members) == 1:
                ((name, value),) = members
                reasons.append(
                    self.field(shape, value, _child_label(label, sql_literal(name)), None).reason
                )
                continue
            p = self._name("p")
            pairs = ", ".join(f"{{'n': {sql_literal(n)}, 'j': {v}}}" for n, v in members)
            reason = self.field(shape, f"{p}.j", _child_label(label, f"{p}.n"), None).reason
            reasons.append(
                f"list_filter(list_transform([{pairs}], lambda {p}: {reason}), "
                f"lambda r: r IS NOT NULL)[1]"
            )
        return reasons, typed

    def _struct(
        self, t: Struct, j: str, label: str, children: list[str], stage: int | None
    ) -> _Sql:
        reasons, typed = self.fields(t.fields, children, label, stage)
        members = ", ".join(
            f"{sql_literal(f.name)}: {v}" for f, v in zip(t.fields, typed, strict=True)
        )
        wrong = (
            f"'wrong type for `' || {label} || '` (expected object, got ' "
            f"|| prism_excerpt({j}) || ')'"
        )
        reason = (
            f"CASE WHEN json_type({j}) <> 'OBJECT' THEN {wrong} ELSE {_first_reason(reasons)} END"
        )
        return _Sql(reason, "{" + members + "}")

    def _list(self, t: ListOf, j: str, label: str, stage: int | None) -> _Sql:
        element = Field("", t.element, required=False, nullable=False)
        children: list[str] | None = None
        e, i = self._name("e"), self._name("i")
        if isinstance(t.element, Struct):
            paths = "[" + ", ".join(_path(f.name) for f in t.element.fields) + "]"
            x = self._name("x")
            items = (
                f"list_transform(json_extract({j}, '$[*]'), "
                f"lambda {x}: {{'j': {x}, 'c': json_extract({x}, {paths})}})"
            )
            children = [f"{e}.c[{k}]" for k in range(1, len(t.element.fields) + 1)]
            value = f"{e}.j"
        else:
            items = f"json_extract({j}, '$[*]')"
            value = e
        if stage is not None:
            items = self._bind(stage + 1, items)
        element_label = f"{label} || '[' || ({i} - 1) || ']'"
        element_sql = self.field(element, value, element_label, None, children)
        wrong = (
            f"'wrong type for `' || {label} || '` (expected array, got ' "
            f"|| prism_excerpt({j}) || ')'"
        )
        first_bad = (
            f"list_filter(list_transform({items}, lambda {e}, {i}: {element_sql.reason}), "
            f"lambda r: r IS NOT NULL)[1]"
        )
        typed = f"list_transform({items}, lambda {e}: {element_sql.typed})"
        reason = f"CASE WHEN json_type({j}) <> 'ARRAY' THEN {wrong} ELSE {first_bad} END"
        return _Sql(reason, typed)


def build_row_sql(spec: FileSpec) -> RowSql:
    """Checks and typed columns for ``spec``; stage 0 must provide ``_v``, the list of top-level
    values in ``spec.fields`` order (``json_extract(line, [...])``)."""
    builder = _Builder()
    builder.sql.stages.append([])
    values = [f"_v[{index}]" for index in range(1, len(spec.fields) + 1)]
    reasons, typed = builder.fields(spec.fields, values, "''", 0)
    builder.sql.columns = [
        (f.name, f"CAST({t} AS {duckdb_type(f.type)})")
        for f, t in zip(spec.fields, typed, strict=True)
    ]
    # Only lines the acceptance test (fastpath.py) did not clear get here, so every key is
    # checked in full and the first problem worded.
    builder.sql.reason = _first_reason(reasons)
    return builder.sql


def top_level_paths(spec: FileSpec) -> str:
    """The SQL list of JSON paths that stage 0 extracts into ``_v``."""
    return "[" + ", ".join(_path(f.name) for f in spec.fields) + "]"
