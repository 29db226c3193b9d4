"""Apply a mapping in DuckDB: legacy text -> typed legacy tables -> one landing-shaped text frame per entity.

The migration database holds, per run:
- legacy_raw.<table>: the legacy files as read (text; _source_file, _source_row);
- legacy.<table>: a typed view per source table (declared fields, parsed with their formats), and the
  mapping's own views;
- migration.code_map_values: the code maps as a table (code_map, legacy_value, target_value).

Each landing entity is one SELECT over its source: every column rule compiles to a SQL expression that
yields the landing text (ISO dates, `YYYY-MM-DDTHH:MM:SS` local timestamps, decimals without trailing
zeros, true/false). The sampled audit (audit.py) recomputes the same values row by row in Python.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from ingest.migration.legacy_files import LINEAGE, LegacyTable
from ingest.migration.mapping import ColumnRule, FieldType, Mapping, MappingError, SourceField, target_types

DECIMAL = "decimal(38,10)"


def ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def literal(value) -> str:
    if value is None:
        return "null"
    return "'" + scalar_text(value).replace("'", "''") + "'"


def scalar_text(value) -> str:
    """A constant from the mapping file as landing text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ------------------------------------------------------------------------------------------ legacy tables


def load_legacy(con: duckdb.DuckDBPyConnection, tables: dict[str, LegacyTable]) -> None:
    con.execute("create schema if not exists legacy_raw")
    for name, table in tables.items():
        cols = ", ".join(f"{ident(c)} varchar" for c in table.columns)
        con.execute(f"create or replace table legacy_raw.{ident(name)} ({cols}{', ' if cols else ''}"
                    "_source_file varchar, _source_row bigint)")
        if len(table.frame):
            con.register("_legacy_frame", table.frame)
            try:
                con.execute(f"insert into legacy_raw.{ident(name)} select * from _legacy_frame")
            finally:
                con.unregister("_legacy_frame")


def typed_sql(column: str, spec: SourceField) -> str:
    """The typed value of a legacy text column, or null when empty or unparseable (source validation says which)."""
    text = f"nullif(trim({ident(column)}), '')"
    for empty in spec.null_if:
        text = f"nullif({text}, {literal(empty)})"
    if spec.type == "string":
        return text
    if spec.type in ("integer", "decimal"):
        if spec.thousands:
            text = f"replace({text}, {literal(spec.thousands)}, '')"
        number = f"try_cast({text} as {DECIMAL})"
        if spec.type == "integer":  # a plain bigint cast would round 12.5 to 13
            return f"case when {number} % 1 = 0 then cast({number} as bigint) end"
        return number
    if spec.type == "date":
        if spec.format:
            return f"cast(try_strptime({text}, {literal(spec.format)}) as date)"
        return f"try_cast({text} as date)"
    if spec.type == "timestamp":
        if spec.format:
            return f"try_strptime({text}, {literal(spec.format)})"
        return f"try_cast({text} as timestamp)"
    trues = ", ".join(literal(v.lower()) for v in spec.true_values)
    falses = ", ".join(literal(v.lower()) for v in spec.false_values)
    return f"case when lower({text}) in ({trues}) then true when lower({text}) in ({falses}) then false end"


def create_legacy_views(con: duckdb.DuckDBPyConnection, mapping: Mapping) -> None:
    con.execute("create schema if not exists legacy")
    for name, source in mapping.sources.items():
        cols = [f"{typed_sql(col, spec)} as {ident(col)}" for col, spec in source.fields.items()]
        con.execute(f"create or replace view legacy.{ident(name)} as select {', '.join(cols)}, "
                    f"_source_file, _source_row from legacy_raw.{ident(name)}")
    con.execute("create schema if not exists migration")
    con.execute("create or replace table migration.code_map_values "
                "(code_map varchar, legacy_value varchar, target_value varchar)")
    rows = [(name, k, None if v is None else scalar_text(v))
            for name, cm in mapping.code_maps.items() for k, v in cm.values.items()]
    if rows:
        con.executemany("insert into migration.code_map_values values (?, ?, ?)", rows)
    for name, sql in mapping.views.items():
        try:
            con.execute(f"create or replace view legacy.{ident(name)} as {sql}")
        except duckdb.Error as exc:
            raise MappingError(f"{mapping.source_file}: field 'views.{name}': the SQL fails: {exc}") from exc


_DUCKDB_TYPES: dict[str, FieldType] = {
    "VARCHAR": "string", "BIGINT": "integer", "INTEGER": "integer", "SMALLINT": "integer", "TINYINT": "integer",
    "HUGEINT": "integer", "UBIGINT": "integer", "UINTEGER": "integer", "DOUBLE": "decimal", "FLOAT": "decimal",
    "DATE": "date", "TIMESTAMP": "timestamp", "BOOLEAN": "boolean",
}


def relation_types(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, FieldType]:
    """Columns of a legacy relation (source or view) and their types, as ScoreLink field types."""
    out: dict[str, FieldType] = {}
    for name, dtype, *_ in con.execute(f"describe select * from legacy.{ident(relation)}").fetchall():
        dtype = dtype.upper()
        out[name] = "decimal" if dtype.startswith("DECIMAL") else _DUCKDB_TYPES.get(dtype, "string")
    return out


# ----------------------------------------------------------------------------------------- rule compiling


def canonical_text(expr: str, ftype: FieldType | None) -> str:
    """A typed value as landing text."""
    if ftype == "integer":
        return f"cast({expr} as varchar)"
    if ftype == "decimal":
        return decimal_text(f"cast({expr} as {DECIMAL})")
    if ftype == "date":
        return f"strftime(cast({expr} as date), '%Y-%m-%d')"
    if ftype == "timestamp":
        return f"strftime(cast({expr} as timestamp), '%Y-%m-%dT%H:%M:%S')"
    if ftype == "boolean":
        return f"case when {expr} then 'true' when not {expr} then 'false' end"
    return f"cast({expr} as varchar)"


def decimal_text(expr: str) -> str:
    """Decimal text without trailing zeros: 14.5000 -> 14.5, 14.0000 -> 14."""
    text = f"cast({expr} as varchar)"
    return rf"regexp_replace(regexp_replace({text}, '(\.[0-9]*[1-9])0+$', '\1'), '\.0+$', '')"


@dataclass
class CompiledRule:
    sql: str  # landing text
    code_input: str | None = None  # text looked up in the code map (for the coverage check)


def compile_rule(rule: ColumnRule, target: FieldType, types: dict[str, FieldType], mapping: Mapping,
                 where: str) -> CompiledRule:
    if rule.kind == "from":
        if rule.from_ not in types:
            raise MappingError(f"{mapping.source_file}: field '{where}.from': no column '{rule.from_}' "
                               f"(columns: {sorted(types)})")
        base, base_type = ident(rule.from_), types[rule.from_]
    elif rule.kind == "sql":
        base, base_type = f"({rule.sql})", None
    else:
        base, base_type = None, "string"
    if rule.kind == "template":
        parts = []
        for literal_text, name, _, _ in string.Formatter().parse(rule.template):
            if literal_text:
                parts.append(literal(literal_text))
            if name:
                if name not in types:
                    raise MappingError(f"{mapping.source_file}: field '{where}.template': no column '{name}'")
                parts.append(f"coalesce({canonical_text(ident(name), types[name])}, '')")
        text = f"nullif(trim(concat({', '.join(parts)})), '')"
    elif rule.kind == "value":
        text = literal(rule.value)
    elif rule.has_text_ops or rule.format:
        text = _formatted(base, base_type, rule.format)
    else:
        text = None
    code_input = None
    if text is not None:
        for r in rule.replace:
            text = f"regexp_replace({text}, {literal(r.pattern)}, {literal(r.with_)}, 'g')"
        if rule.prefix is not None:
            text = f"({literal(rule.prefix)} || {text})"
        if rule.suffix is not None:
            text = f"({text} || {literal(rule.suffix)})"
        if rule.case:
            text = f"{rule.case}({text})"
        if rule.code_map:
            code_input = text
            cm = mapping.code_maps[rule.code_map]
            whens = " ".join(f"when {literal(k)} then {literal(v)}" for k, v in cm.values.items())
            text = f"(case {text} {whens} else {literal(cm.default)} end)" if whens else literal(cm.default)
        if rule.round is not None and target == "decimal":
            text = decimal_text(f"round(try_cast({text} as {DECIMAL}), {rule.round})")
    else:
        text = _as_target(base, base_type, target, rule.round)
    if rule.default is not None:
        text = f"coalesce({text}, {literal(rule.default)})"
    return CompiledRule(text, code_input)


def _formatted(base: str, base_type: FieldType | None, fmt: str | None) -> str:
    if fmt and base_type in ("date", "timestamp", None):
        cast = "date" if base_type == "date" else "timestamp"
        return f"strftime(cast({base} as {cast}), {literal(fmt)})"
    return canonical_text(base, base_type)


def _as_target(base: str, base_type: FieldType | None, target: FieldType, places: int | None) -> str:
    if target == "decimal":
        value = f"cast({base} as {DECIMAL})" if base_type != "string" else f"try_cast({base} as {DECIMAL})"
        return decimal_text(f"round({value}, {places})" if places is not None else value)
    if target == "timestamp" and base_type in ("date", "timestamp", None):
        return f"strftime(cast({base} as timestamp), '%Y-%m-%dT%H:%M:%S')"
    if target == "date" and base_type in ("date", "timestamp", None):
        return f"strftime(cast({base} as date), '%Y-%m-%d')"
    if target == "boolean" and base_type in ("boolean", None):
        return canonical_text(base, "boolean")
    if target == "integer" and base_type is None:
        return canonical_text(base, "decimal")
    return canonical_text(base, base_type)


# ------------------------------------------------------------------------------------------ entity frames


@dataclass
class MappedEntity:
    entity: str
    frame: pd.DataFrame  # landing columns (text) + _period + lineage + _code__<column> (code inputs)
    columns: list[str]  # landing columns in contract order
    code_columns: dict[str, str] = field(default_factory=dict)  # landing column -> code map
    periodic: bool = False
    source: str | None = None  # the legacy relation rows come from

    @property
    def rows(self) -> int:
        return len(self.frame)


def entity_select(mapping: Mapping, entity: str, con: duckdb.DuckDBPyConnection) -> tuple[str, dict[str, str]]:
    spec = mapping.entities[entity] if entity != "legacy_scores" else mapping.legacy_scores
    types = relation_types(con, spec.from_)
    targets = target_types(mapping, entity)
    select, code_columns = [], {}
    prefix = "entities" if entity != "legacy_scores" else ""
    for col, target in targets.items():
        rule = spec.columns.get(col)
        if rule is None:
            select.append(f"null as {ident(col)}")
            continue
        where = f"{prefix}.{entity}.columns.{col}" if prefix else f"legacy_scores.columns.{col}"
        compiled = compile_rule(rule, target, types, mapping, where)
        select.append(f"{compiled.sql} as {ident(col)}")
        if compiled.code_input is not None:
            select.append(f"{compiled.code_input} as {ident('_code__' + col)}")
            code_columns[col] = rule.code_map
    period = getattr(spec, "period", None)
    if period is not None and period.from_ is not None:
        if types.get(period.from_) not in ("date", "timestamp"):
            raise MappingError(f"{mapping.source_file}: field 'entities.{entity}.period.from': '{period.from_}' "
                               f"must be a date or timestamp column of '{spec.from_}'")
        select.append(f"strftime(cast({ident(period.from_)} as date), '%Y-%m') as _period")
    else:
        select.append("cast(null as varchar) as _period")
    if all(c in types for c in LINEAGE):
        select += ["_source_file", "_source_row"]
    else:  # a view: rows are identified by their position in the view sorted on every column
        select += ["cast(null as varchar) as _source_file", f"{view_row_number(types)} as _source_row"]
    sql = f"select {', '.join(select)} from legacy.{ident(spec.from_)}"
    if spec.where:
        sql += f" where {spec.where}"
    return sql, code_columns


def view_row_number(types: dict[str, FieldType]) -> str:
    order = ", ".join(f"{ident(c)} nulls first" for c in types)
    return f"row_number() over (order by {order})"


def map_entities(con: duckdb.DuckDBPyConnection, mapping: Mapping) -> dict[str, MappedEntity]:
    """Every mapped entity as landing text, all periods; constant rows appended; parent periods resolved."""
    out: dict[str, MappedEntity] = {}
    for entity, spec in mapping.entities.items():
        columns = mapping.contracts[entity].column_names
        frames = []
        code_columns: dict[str, str] = {}
        if spec.from_ is not None:
            sql, code_columns = entity_select(mapping, entity, con)
            try:
                frames.append(con.execute(sql).df())
            except duckdb.Error as exc:
                raise MappingError(f"{mapping.source_file}: field 'entities.{entity}': mapping fails in SQL: "
                                   f"{exc}") from exc
        if spec.rows:
            const = pd.DataFrame([{c: (None if row.get(c) is None else scalar_text(row[c])) for c in columns}
                                  for row in spec.rows])
            const["_period"] = None
            const["_source_file"] = None
            const["_source_row"] = None
            frames.append(const)
        frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        frame = frame.astype(object).where(frame.notna(), None)
        out[entity] = MappedEntity(entity, frame, columns, code_columns, spec.period is not None, spec.from_)
    for entity, spec in mapping.entities.items():
        if spec.period is not None and spec.period.parent is not None:
            parent = out[spec.period.parent].frame
            periods = dict(zip(parent[spec.period.via], parent["_period"], strict=True))
            frame = out[entity].frame
            frame["_period"] = [periods.get(v) for v in frame[spec.period.via]]
    for mapped in out.values():
        mapped.frame = sort_rows(mapped.frame, mapping.contracts[mapped.entity].keys,
                                 target_types(mapping, mapped.entity))
    return out


def map_legacy_scores(con: duckdb.DuckDBPyConnection, mapping: Mapping) -> pd.DataFrame:
    sql, _ = entity_select(mapping, "legacy_scores", con)
    try:
        frame = con.execute(sql).df()
    except duckdb.Error as exc:
        raise MappingError(f"{mapping.source_file}: field 'legacy_scores': mapping fails in SQL: {exc}") from exc
    return frame.astype(object).where(frame.notna(), None)


_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def sort_rows(frame: pd.DataFrame, keys: list[str], types: dict[str, FieldType]) -> pd.DataFrame:
    """Rows in a stable order: by period, then by key (numeric keys numerically)."""
    if frame.empty:
        return frame.reset_index(drop=True)

    def sort_key(series: pd.Series) -> pd.Series:
        if series.name in keys and types.get(series.name) in ("integer", "decimal"):
            return pd.to_numeric(series, errors="coerce")
        return series.fillna("")

    order = ["_period", *keys] if "_period" in frame.columns else list(keys)
    return frame.sort_values(order, key=sort_key, kind="mergesort", na_position="first").reset_index(drop=True)
