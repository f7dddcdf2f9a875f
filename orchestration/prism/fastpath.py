"""The cheap acceptance test of a PRISM line, and its typed values, from two vectorised parses.

Nearly every line of a real file is valid, so the loader first asks, for all lines at once, a
question DuckDB answers at close to its JSON reading speed: does every value have the right JSON
type, is every required key there, and is every value inside the codebook's domain? Only the few
lines that fail go on to the detailed checks (``checks.py``), which find the first problem and
word it.

Two ``from_json`` parses do the work: one with the spec's types gives the typed values (exact for
a line whose JSON types are right, since nothing then needs a lenient cast), one with every
scalar as raw ``JSON`` text gives the token of each value, whose first characters tell its JSON
type. ``from_json`` cannot tell a missing key from a null one, so an object holding nullable keys
is kept as raw text and its keys are listed; re-reading such an object is cheap because it is
small (the survey's answer blocks, the conversation's two attribute blocks).
"""

from __future__ import annotations

import json

from orchestration.prism.checks import sql_literal
from orchestration.prism.files import Field, FieldType, FileSpec, ListOf, Scalar, Struct

# A JSON token's type from its text: a string starts with a quote, an integer is at most nine
# plain digits (so it fits INTEGER), a number is finite, a boolean is spelled out.
_TOKEN_OK = {
    "VARCHAR": "starts_with({r}, '\"')",
    "BOOLEAN": "{r} IN ('true', 'false')",
    "INTEGER": "regexp_full_match({r}, '-?[0-9]{{1,9}}')",
    "DOUBLE": "isfinite(TRY_CAST({r} AS DOUBLE))",
}
# DuckDB keeps a bare NaN (how pandas wrote a missing value) as the token NaN; it counts as null.
_NAN = "lower({r}) IN ('nan', '-nan')"


def _holds_nullable_keys(t: Struct) -> bool:
    return any(f.required and f.nullable for f in t.fields)


def typed_structure(t: FieldType) -> object:
    """``from_json``'s structure for the typed values of ``t``."""
    if isinstance(t, Scalar):
        return t.sql_type
    if isinstance(t, ListOf):
        return [typed_structure(t.element)]
    return {f.name: typed_structure(f.type) for f in t.fields}


def raw_structure(t: FieldType) -> object:
    """``from_json``'s structure for the raw tokens of ``t``: scalars and objects that hold
    nullable keys stay JSON text."""
    if isinstance(t, Scalar):
        return "JSON"
    if isinstance(t, ListOf):
        return [raw_structure(t.element)]
    if _holds_nullable_keys(t):
        return "JSON"
    return {f.name: raw_structure(f.type) for f in t.fields}


def spec_structure(spec: FileSpec, raw: bool) -> str:
    """The structure of a whole line as a SQL literal."""
    build = raw_structure if raw else typed_structure
    return sql_literal(json.dumps({f.name: build(f.type) for f in spec.fields}))


class _Predicate:
    """Builds the acceptance predicate; ``r`` and ``t`` are the SQL of a value's raw token and
    typed value."""

    def __init__(self) -> None:
        self._lambdas = 0
        self.bindings: list[tuple[str, str]] = []

    def _bind(self, expression: str) -> str:
        # Computed once in a projection below the predicate, which names it as often as it needs.
        alias = f"_n{len(self.bindings)}"
        self.bindings.append((alias, expression))
        return alias

    def fields(self, fields: tuple[Field, ...], r: str, t: str, keys: str | None) -> list[str]:
        """Conditions on sibling keys under raw struct ``r`` and typed struct ``t``; ``keys`` is
        the SQL list of their object's keys when presence must be checked."""
        conditions: list[str] = []
        required = [f.name for f in fields if f.required]
        if keys is not None and required:
            names = ", ".join(sql_literal(n) for n in required)
            conditions.append(f"list_has_all({keys}, [{names}])")
        for f in fields:
            conditions.append(self.field(f, f"{r}.{_ident(f.name)}", f"{t}.{_ident(f.name)}"))
        return conditions

    def field(self, f: Field, r: str, t: str) -> str:
        value = self.value(f.type, r, t)
        if f.nullable or not f.required:
            absent = f"{r} IS NULL"
            # from_json types NaN as NULL for these; a VARCHAR would keep the text "NaN".
            if isinstance(f.type, Scalar) and f.type.sql_type in ("BOOLEAN", "INTEGER"):
                absent += " OR " + _NAN.format(r=r)
            return f"({absent} OR ({value}))"
        return f"({r} IS NOT NULL AND {value})"

    def value(self, ft: FieldType, r: str, t: str) -> str:
        if isinstance(ft, Scalar):
            return _scalar(ft, r, t)
        if isinstance(ft, ListOf):
            self._lambdas += 1
            x, i = f"x{self._lambdas}", f"i{self._lambdas}"
            element = Field("", ft.element, required=True, nullable=False)
            inner = self.field(element, x, f"{t}[{i}]")
            return (
                f"len({r}) = len({t}) AND "
                f"list_bool_and(list_transform({r}, lambda {x}, {i}: {inner}))"
            )
        if _holds_nullable_keys(ft):
            # Kept as text: re-read its keys and tokens (see the module docstring).
            children = self._bind(f"from_json({r}, {sql_literal(json.dumps(_raw_members(ft)))})")
            keys = self._bind(f"json_keys({r})")
            conditions = [f"starts_with({r}, '{{')", *self.fields(ft.fields, children, t, keys)]
            return " AND ".join(conditions)
        return " AND ".join(self.fields(ft.fields, r, t, None))


def _raw_members(t: Struct) -> dict[str, object]:
    return {f.name: raw_structure(f.type) for f in t.fields}


def _scalar(s: Scalar, r: str, t: str) -> str:
    conditions = [_TOKEN_OK[s.sql_type].format(r=r)]
    if s.minimum is not None:
        conditions.append(f"{t} >= {s.minimum!r}")
    if s.maximum is not None:
        conditions.append(f"{t} <= {s.maximum!r}")
    if s.allowed:
        conditions.append(f"{t} IN ({', '.join(sql_literal(v) for v in s.allowed)})")
    if s.pattern:
        conditions.append(f"regexp_full_match({t}, {sql_literal(s.pattern)})")
    if s.strptime:
        conditions.append(f"try_strptime({t}, {sql_literal(s.strptime)}) IS NOT NULL")
    return " AND ".join(conditions)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def acceptance_sql(
    spec: FileSpec, raw: str, typed: str, keys: str
) -> tuple[list[tuple[str, str]], str]:
    """Bindings and a predicate that is true when a line whose raw tokens are struct ``raw``,
    typed values struct ``typed`` and top-level keys list ``keys`` passes every check; false
    sends it to the detailed checks. The ``(alias, expression)`` bindings read ``raw`` and must
    be computed in a projection below the predicate."""
    predicate = _Predicate()
    conditions = predicate.fields(spec.fields, raw, typed, keys)
    return predicate.bindings, "coalesce(" + " AND ".join(conditions) + ", false)"
