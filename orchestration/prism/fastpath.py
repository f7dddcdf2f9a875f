"""The cheap acceptance test of a PRISM line, and its typed values, from vectorised parses.

Nearly every line of a real file is valid, so the loader first asks, for all lines at once, a
question DuckDB answers at close to its JSON reading speed: does every value have the right JSON
type, is every required key there, and is every value inside the codebook's domain? Only the few
lines that fail go on to the detailed checks (``checks.py``), which find the first problem and
word it.

Three reads of a line do the work. ``from_json`` with the spec's types gives the typed values
(exact for a line whose JSON types are right, since nothing then needs a lenient cast);
``json_type`` over the path of every key gives each value's JSON type, and NULL for a missing
key, without copying any text. Arrays of objects (the conversation history) cannot be typed by
path, so their elements are read once more with every scalar as raw JSON text, whose first
characters tell its JSON type. Two things keep it near the parse's own cost: no lambda over one
list indexes another (DuckDB would copy the captured list once per element), and no IN list is
long enough for DuckDB to plan it as a join.
"""

from __future__ import annotations

import json

from orchestration.prism.checks import sql_literal
from orchestration.prism.files import Field, FieldType, FileSpec, ListOf, Scalar, Struct

# A raw JSON token's type from its text (inside arrays): a string starts with a quote, an integer
# is at most nine plain digits (so it fits INTEGER), a number is finite, a boolean is spelled out.
_TOKEN_OK = {
    "VARCHAR": "starts_with({r}, '\"')",
    "BOOLEAN": "{r} IN ('true', 'false')",
    "INTEGER": "regexp_full_match({r}, '-?[0-9]{{1,9}}')",
    "DOUBLE": "isfinite(TRY_CAST({r} AS DOUBLE))",
}
# A value's type as json_type names it. An INTEGER must also survive the cast (fit 32 bits); a
# DOUBLE must be finite, which also keeps NaN (a missing value) for the detailed checks.
_TYPE_OK = {
    "VARCHAR": "{y} = 'VARCHAR'",
    "BOOLEAN": "{y} = 'BOOLEAN'",
    "INTEGER": "{y} IN ('UBIGINT', 'BIGINT') AND {t} IS NOT NULL",
    "DOUBLE": "{y} IN ('UBIGINT', 'BIGINT', 'DOUBLE') AND isfinite({t})",
}


def typed_structure(t: FieldType) -> object:
    """``from_json``'s structure for the typed values of ``t``."""
    if isinstance(t, Scalar):
        return t.sql_type
    if isinstance(t, ListOf):
        return [typed_structure(t.element)]
    return {f.name: typed_structure(f.type) for f in t.fields}


def raw_structure(t: FieldType) -> object:
    """``from_json``'s structure for the raw tokens of ``t``: every scalar stays JSON text."""
    if isinstance(t, Scalar):
        return "JSON"
    if isinstance(t, ListOf):
        return [raw_structure(t.element)]
    return {f.name: raw_structure(f.type) for f in t.fields}


def typed_structure_sql(spec: FileSpec) -> str:
    """The typed structure of a whole line as a SQL literal."""
    return sql_literal(json.dumps({f.name: typed_structure(f.type) for f in spec.fields}))


def _typed_by_path(f: Field) -> bool:
    """Free text every array element has: json_type over a wildcard path types it, so its text
    (the conversation's whole content) is never copied as a raw token.

    Each wildcard parses the line once more, so a string with a closed list of values or a
    format (the role), which is short, is typed from its raw token instead: at full scale the
    role's wildcard cost more than copying the role of every history entry.
    """
    if not (isinstance(f.type, Scalar) and f.type.sql_type == "VARCHAR"):
        return False
    free_text = not (f.type.allowed or f.type.pattern)
    return free_text and f.required and not f.nullable


def _raw_element(t: FieldType) -> object:
    if isinstance(t, Struct):
        return {f.name: raw_structure(f.type) for f in t.fields if not _typed_by_path(f)}
    return raw_structure(t)


def list_structure_sql(spec: FileSpec) -> str | None:
    """The raw structure of a line's arrays only (None when it has none), as a SQL literal."""
    lists = {
        f.name: [_raw_element(f.type.element)] for f in spec.fields if isinstance(f.type, ListOf)
    }
    return sql_literal(json.dumps(lists)) if lists else None


class _Predicate:
    """Builds the acceptance predicate over ``types`` (the json_type list), ``raw`` (the raw
    arrays) and ``typed`` (the typed struct)."""

    def __init__(self, types: str, raw: str) -> None:
        self._types = types
        self._raw = raw
        self._lambdas = 0
        self.paths: list[str] = []
        # (alias, wildcard path) pairs: json_type(line, path) AS alias, a list per line.
        self.wildcards: list[tuple[str, str]] = []

    def fields(self, fields: tuple[Field, ...], path: str, t: str) -> list[str]:
        return [self.field(f, f"{path}.{_quoted(f.name)}", f"{t}.{_ident(f.name)}") for f in fields]

    def field(self, f: Field, path: str, t: str) -> str:
        """A key reached by JSON ``path`` (top level or in objects) with typed value ``t``."""
        self.paths.append(path)
        y = f"{self._types}[{len(self.paths)}]"
        if isinstance(f.type, ListOf):
            if path != f"$.{_quoted(f.name)}":
                raise ValueError(f"only top-level arrays are supported, not {path}")
            r = f"{self._raw}.{_ident(f.name)}"
            value = f"{y} = 'ARRAY' AND " + self._list(f.type, path, r, t)
        elif isinstance(f.type, Scalar):
            value = f"{_TYPE_OK[f.type.sql_type].format(y=y, t=t)} AND {_domain(f.type, t)}"
        else:
            value = " AND ".join([f"{y} = 'OBJECT'", *self.fields(f.type.fields, path, t)])
        allowed = []
        if not f.required:
            allowed.append(f"{y} IS NULL")
        if f.nullable:
            allowed.append(f"{y} = 'NULL'")
            if isinstance(f.type, Scalar) and f.type.sql_type in ("BOOLEAN", "INTEGER"):
                # A bare NaN: its type is DOUBLE and from_json types it as NULL for these (a
                # VARCHAR would keep the text "NaN", so that one takes the detailed checks).
                allowed.append(f"({y} = 'DOUBLE' AND {t} IS NULL)")
        return "(" + " OR ".join([*allowed, f"({value})"]) + ")"

    def _list(self, ft: ListOf, path: str, r: str, t: str) -> str:
        # Raw tokens and typed values are checked by two lambdas, each over its own list: a
        # lambda that indexed the other list would capture it, and DuckDB copies a captured
        # value once per element (the whole history, texts included, for every entry).
        conditions = [f"len({r}) = len({t})"]
        for values, condition in ((r, _element_token), (t, _element_domain)):
            self._lambdas += 1
            x = f"x{self._lambdas}"
            element = condition(ft.element, x)
            if element is not None:
                conditions.append(f"list_bool_and(list_transform({values}, lambda {x}: {element}))")
        if isinstance(ft.element, Struct):
            for f in filter(_typed_by_path, ft.element.fields):
                alias = f"_w{len(self.wildcards) + 1}"
                self.wildcards.append((alias, f"{path}[*].{_quoted(f.name)}"))
                # A wildcard skips elements without the key, so a short list means one is missing.
                conditions.append(f"len({alias}) = len({t})")
                conditions.append(
                    f"list_bool_and(list_transform({alias}, lambda y: y = 'VARCHAR'))"
                )
        return " AND ".join(conditions)


def _element_token(element: FieldType, r: str) -> str | None:
    """An array element given as raw text ``r`` (or a struct of raw texts) has the JSON types
    of ``element``; a value whose type is right is never NULL once typed."""
    if isinstance(element, Scalar):
        return f"({r} IS NOT NULL AND {_TOKEN_OK[element.sql_type].format(r=r)})"
    if isinstance(element, ListOf):
        raise ValueError("arrays of arrays are not supported")
    conditions = []
    for f in element.fields:
        if not isinstance(f.type, Scalar):
            raise ValueError(f"array elements must hold scalars only, not `{f.name}`")
        if _typed_by_path(f):
            # Its JSON type is checked over the wildcard path (see _Predicate._list).
            continue
        rv = f"{r}.{_ident(f.name)}"
        token = _TOKEN_OK[f.type.sql_type].format(r=rv)
        # from_json cannot tell a missing key from null, so inside arrays both count as absent.
        if f.nullable or not f.required:
            conditions.append(f"({rv} IS NULL OR {token})")
        else:
            conditions.append(f"({rv} IS NOT NULL AND {token})")
    return "(" + " AND ".join(conditions) + ")" if conditions else None


def _element_domain(element: FieldType, t: str) -> str | None:
    """An array element typed as ``t`` is inside the codebook's domain. A NULL value passes:
    the token check has already refused it where it is not allowed (and list_bool_and would
    skip a NULL, so none is returned)."""
    if isinstance(element, Scalar):
        domain = _domain(element, t)
        return None if domain == "true" else f"({t} IS NULL OR ({domain}))"
    if isinstance(element, ListOf):
        raise ValueError("arrays of arrays are not supported")
    conditions = []
    for f in element.fields:
        if not isinstance(f.type, Scalar):
            raise ValueError(f"array elements must hold scalars only, not `{f.name}`")
        tv = f"{t}.{_ident(f.name)}"
        domain = _domain(f.type, tv)
        if _typed_by_path(f):
            # Its wildcard counts one string per element, but an element that repeats the key
            # would make up for one without it; here that one is NULL.
            conditions.append(
                f"{tv} IS NOT NULL" if domain == "true" else f"({tv} IS NOT NULL AND {domain})"
            )
        elif domain != "true":
            conditions.append(f"({tv} IS NULL OR ({domain}))")
    return "(" + " AND ".join(conditions) + ")" if conditions else None


def _domain(s: Scalar, t: str) -> str:
    """The codebook's range, list of values or format, on the typed value ``t``."""
    conditions = []
    if s.minimum is not None:
        conditions.append(f"{t} >= {s.minimum!r}")
    if s.maximum is not None:
        conditions.append(f"{t} <= {s.maximum!r}")
    if s.allowed:
        # Not `IN (...)`: DuckDB plans an IN list of five or more values as a join, and the
        # survey's dozen such joins cost more to build and run than the whole check.
        conditions.append("(" + " OR ".join(f"{t} = {sql_literal(v)}" for v in s.allowed) + ")")
    if s.pattern:
        conditions.append(f"regexp_full_match({t}, {sql_literal(s.pattern)})")
    if s.strptime:
        conditions.append(f"try_strptime({t}, {sql_literal(s.strptime)}) IS NOT NULL")
    return " AND ".join(conditions) or "true"


def _quoted(name: str) -> str:
    return '"' + name + '"'


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def acceptance_sql(
    spec: FileSpec, types: str, raw: str, typed: str
) -> tuple[str, list[tuple[str, str]], str]:
    """The json_type paths (a SQL list literal), the ``(alias, wildcard path)`` pairs to select
    as ``json_type(line, path) AS alias``, and a predicate that is true when a line whose value
    types are list ``types`` (``json_type(line, paths)``), raw arrays struct ``raw`` and typed
    values struct ``typed`` passes every check; false sends it to the detailed checks."""
    predicate = _Predicate(types, raw)
    conditions = predicate.fields(spec.fields, "$", typed)
    paths = "[" + ", ".join(sql_literal(p) for p in predicate.paths) + "]"
    return paths, predicate.wildcards, "coalesce(" + " AND ".join(conditions) + ", false)"
