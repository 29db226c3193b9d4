"""The tables the migration suites (expectations/migration/) validate, built in the migration database.

Stage 1, source validation: migration.legacy_files (one row per legacy file) and migration.source_fields
(one row per legacy row and declared field: the text as exported, the declared type and format, and the
value the mapping reads after parsing it with that format) plus structural problems (lines that do not split
into the header's fields).

Stage 2, mapping coverage: migration.code_coverage (every legacy code met, with its row count and what it
maps to) and migration.column_coverage (every landing column has a rule; every legacy column is read or
deliberately ignored). Then the mapped rows themselves: migrated.<source>__<entity> holds the staged landing
files read back through ingest's own reader and contract checks, and migration.landing_checks lists what
ingest would quarantine, duplicated keys, rows that fit no period and references that do not resolve.

Stage 3 (reconcile.py, audit.py): reconciliation per period and department, and the sampled row audit.

Scope: a run validates the rows of its periods (a batch) plus reference data; legacy rows of other periods
are left out, legacy rows whose period cannot be told are kept in (they may belong to this batch).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from ingest.contract import RAW_SQL_TYPES, Contract
from ingest.migration.batches import ALL_PERIODS, PlannedFile
from ingest.migration.legacy_files import LegacyTable
from ingest.migration.mapping import Mapping
from ingest.migration.transform import MappedEntity, ident
from ingest.readers import RawFile, read_landing_file
from ingest.row_checks import check_rows

ROW_FIELD = "(row)"  # field name of a structural problem in migration.source_fields


def migrated_table(entity: str) -> str:
    source, name = entity.split(".")
    return f"migrated.{source}__{name}"


def legacy_row_periods(mapping: Mapping, mapped: dict[str, MappedEntity]) -> pd.DataFrame:
    """The period each legacy source row was mapped into (reference data: 'all'; unknown: None)."""
    rows = []
    for m in mapped.values():
        if m.source not in mapping.sources:
            continue
        f = m.frame[m.frame["_source_file"].notna()]
        period = f["_period"] if m.periodic else pd.Series(ALL_PERIODS, index=f.index)
        rows.append(pd.DataFrame({"legacy_table": m.source, "source_file": f["_source_file"],
                                  "source_row": f["_source_row"].astype("int64"), "period": period}))
    if not rows:
        return pd.DataFrame(columns=["legacy_table", "source_file", "source_row", "period"])
    out = pd.concat(rows, ignore_index=True)
    # a row feeding reference data belongs to every batch; else the first period it was mapped into
    out["rank"] = (out["period"] != ALL_PERIODS).astype(int)
    out = out.sort_values(["legacy_table", "source_file", "source_row", "rank", "period"], na_position="last")
    return out.drop_duplicates(["legacy_table", "source_file", "source_row"]).drop(columns="rank")


def in_scope(period, periods: list[str]) -> bool:
    return period is None or period == ALL_PERIODS or period in periods


def build_source_tables(con: duckdb.DuckDBPyConnection, mapping: Mapping, tables: dict[str, LegacyTable],
                        row_periods: pd.DataFrame, periods: list[str]) -> None:
    con.execute("create schema if not exists migration")
    files = [(f.table, f.rel, f.file_format, f.encoding, f.rows, f.sha256, ", ".join(f.columns),
              ", ".join(f.missing_optional) or None) for t in tables.values() for f in t.files]
    con.execute("""create or replace table migration.legacy_files (legacy_table varchar, source_file varchar,
                   file_format varchar, encoding varchar, rows bigint, sha256 varchar, columns varchar,
                   missing_optional_columns varchar)""")
    if files:
        con.executemany("insert into migration.legacy_files values (?, ?, ?, ?, ?, ?, ?, ?)", files)
    con.register("_row_periods", row_periods)
    con.execute("create or replace table migration.row_periods as select * from _row_periods")
    con.unregister("_row_periods")
    scope = ", ".join("'" + p + "'" for p in periods) or "''"
    selects = []
    for name, source in mapping.sources.items():
        key = " || '|' || ".join(f"coalesce(trim(t.{ident(k)}), '')" for k in source.key) if source.key else "null"
        for col, spec in source.fields.items():
            text = f"nullif(trim(t.{ident(col)}), '')"
            for empty in spec.null_if:
                text = f"nullif({text}, '{empty.replace(chr(39), chr(39) * 2)}')"
            trues = "[" + ", ".join("'" + v.lower().replace("'", "''") + "'" for v in spec.true_values) + "]"
            falses = "[" + ", ".join("'" + v.lower().replace("'", "''") + "'" for v in spec.false_values) + "]"
            selects.append(f"""
                select '{name}' as legacy_table, t._source_file as source_file, t._source_row as source_row,
                       p.period, '{col.replace("'", "''")}' as field, '{spec.type}' as expected_type,
                       {_text(spec.format)} as format, {_text(spec.thousands)} as thousands,
                       cast({trues} as varchar[]) as true_values, cast({falses} as varchar[]) as false_values,
                       {str(spec.required).lower()} as required, {text} as value,
                       cast(v.{ident(col)} as varchar) as typed_value, {key} as record_key
                from legacy_raw.{ident(name)} t
                join legacy.{ident(name)} v on v._source_file = t._source_file and v._source_row = t._source_row
                left join migration.row_periods p
                  on p.legacy_table = '{name}' and p.source_file = t._source_file and p.source_row = t._source_row
                where p.period is null or p.period in ('{ALL_PERIODS}', {scope})""")
    problems = [(p.table, p.source_file, p.source_row, ROW_FIELD, p.problem + ": " + p.raw)
                for t in tables.values() for p in t.problems]
    con.execute("create or replace table migration.source_fields as " + " union all ".join(selects))
    if problems:
        con.executemany(
            "insert into migration.source_fields (legacy_table, source_file, source_row, field, expected_type, "
            "required, value) values (?, ?, ?, ?, 'row', true, ?)", [list(p) for p in problems])


def _text(value: str | None) -> str:
    return "null" if value is None else "'" + value.replace("'", "''") + "'"


def build_code_coverage(con: duckdb.DuckDBPyConnection, mapping: Mapping, mapped: dict[str, MappedEntity],
                        periods: list[str]) -> None:
    rows = []
    for entity, m in mapped.items():
        scoped = m.frame[[in_scope(p, periods) for p in m.frame["_period"]]] if m.periodic else m.frame
        for col, map_name in m.code_columns.items():
            cm = mapping.code_maps[map_name]
            counts = scoped.groupby(["_code__" + col], dropna=True).size()
            for value, n in counts.items():
                mapped_to = cm.values.get(value, cm.default)
                is_mapped = value in cm.values or cm.default is not None
                rows.append((map_name, entity, col, m.source, value, int(n),
                             None if mapped_to is None else str(mapped_to), is_mapped))
    con.execute("""create or replace table migration.code_coverage (code_map varchar, entity varchar,
                   target_column varchar, legacy_relation varchar, legacy_value varchar, row_count bigint,
                   mapped_value varchar, is_mapped boolean)""")
    if rows:
        con.executemany("insert into migration.code_coverage values (?, ?, ?, ?, ?, ?, ?, ?)", rows)


def build_column_coverage(con: duckdb.DuckDBPyConnection, mapping: Mapping, tables: dict[str, LegacyTable]) -> None:
    rows = []
    for entity, spec in mapping.entities.items():
        contract = mapping.contracts[entity]
        constant_cols = {c for row in spec.rows for c, v in row.items() if v is not None}
        for col in contract.columns:
            rule = spec.columns.get(col.name)
            if rule is not None:
                how = rule.describe()
            elif col.name in constant_cols and spec.from_ is None:
                how = "constant rows"
            else:
                how = None
            rows.append(("landing", entity, col.name, col.required, how, rule.note if rule else None))
    for name, table in tables.items():
        source = mapping.sources[name]
        for col in table.columns:
            state = "read" if col in source.fields else ("ignored" if col in source.ignore else None)
            rows.append(("legacy", name, col, False, state, None))
    con.execute("""create or replace table migration.column_coverage (side varchar, relation varchar,
                   column_name varchar, required boolean, rule varchar, note varchar)""")
    con.executemany("insert into migration.column_coverage values (?, ?, ?, ?, ?, ?)", rows)


# ------------------------------------------------------------------------------------- migrated, read back


def load_migrated(con: duckdb.DuckDBPyConnection, mapping: Mapping, mapped: dict[str, MappedEntity],
                  planned: list[PlannedFile], staging_dir: Path) -> dict[str, RawFile]:
    """The staged files read back as ingest reads them; what ingest would reject goes to landing_checks.

    Returns the files as read (text), by path relative to the landing folder, for the sampled audit.
    """
    con.execute("create schema if not exists migrated")
    con.execute("""create or replace table migration.landing_checks (kind varchar, entity varchar,
                   landing_file varchar, row_number bigint, column_name varchar, reason varchar,
                   record varchar)""")
    timezone = mapping.landing.timezone
    checks: list[tuple] = []
    read: dict[str, RawFile] = {}
    for entity in mapped:
        contract = mapping.contracts[entity]
        table = migrated_table(entity)
        cols = [f'"{c.name}" {RAW_SQL_TYPES[c.type]}' for c in contract.columns]
        con.execute(f"create or replace table {table} ({', '.join(cols)}, _period varchar, "
                    "_source_file varchar, _source_row bigint)")
        for f in [p for p in planned if p.entity == entity]:
            raw = read[f.rel] = read_landing_file(staging_dir / f.rel, contract)
            verdict = check_rows(raw, contract, timezone)  # exactly what ingest will quarantine
            for r in raw.rejects + verdict.rejects:
                checks.append(("contract", entity, f.rel, r.row_number, r.column, r.reason, r.raw_record))
            _insert(con, table, contract, to_local_time(verdict.good, contract, timezone), f.period, f.rel)
        checks += _duplicate_keys(con, table, contract, entity)
    for entity, m in mapped.items():
        if m.periodic:
            orphan = m.frame[m.frame["_period"].isna()]
            for _, row in orphan.iterrows():
                checks.append(("no_period", entity, None, None, None,
                               f"no period: the row's date is empty or unreadable "
                               f"({row['_source_file']} row {row['_source_row']})", None))
    checks += _references(con, mapping, mapped)
    if checks:
        con.executemany("insert into migration.landing_checks values (?, ?, ?, ?, ?, ?, ?)",
                        [list(c) for c in checks])
    return read


def to_local_time(good: pd.DataFrame, contract: Contract, timezone: str) -> pd.DataFrame:
    """Typed rows with their timestamps back in the company's local time (ingest stores UTC)."""
    good = good.copy()
    for col in contract.columns:
        if col.type == "timestamp" and len(good):
            utc = pd.to_datetime(good[col.name]).dt.tz_localize("UTC")
            good[col.name] = utc.dt.tz_convert(timezone).dt.tz_localize(None)
    return good


def _insert(con, table: str, contract: Contract, good: pd.DataFrame, period: str, rel: str) -> None:
    if good.empty:
        return
    frame = good[contract.column_names + ["_source_row"]].assign(_period=period, _source_file=rel)
    select = [f'cast("{c.name}" as {RAW_SQL_TYPES[c.type]})' for c in contract.columns]
    con.register("_migrated_rows", frame)
    try:
        con.execute(f"insert into {table} select {', '.join(select)}, _period, _source_file, "
                    "cast(_source_row as bigint) from _migrated_rows")
    finally:
        con.unregister("_migrated_rows")


def _duplicate_keys(con, table: str, contract: Contract, entity: str) -> list[tuple]:
    keys = ", ".join(f'"{k}"' for k in contract.keys)
    dupes = con.execute(
        f"select {keys}, count(*) as n, string_agg(_source_file || ' row ' || cast(_source_row as varchar), '; ') "
        f"from {table} group by {keys} having count(*) > 1 order by n desc limit 1000").fetchall()
    return [("duplicate_key", entity, None, None, ", ".join(contract.keys),
             f"key {dict(zip(contract.keys, d[:-2], strict=True))} appears {d[-2]} times ({d[-1]})", None)
            for d in dupes]


def _references(con, mapping: Mapping, mapped: dict[str, MappedEntity]) -> list[tuple]:
    """Landing references that must resolve inside the migrated rows: to reference data, and to the parent."""
    out = []
    for entity in mapped:
        spec = mapping.entities[entity]
        for col in mapping.contracts[entity].columns:
            if col.references is None:
                continue
            src, ent, ref_col = col.references.split(".")
            ref = f"{src}.{ent}"
            parent = spec.period.parent if spec.period else None
            if ref not in mapped or (mapped[ref].periodic and ref != parent):
                continue
            rows = con.execute(
                f"""select t."{col.name}", count(*) as n, min(t._source_file || ' row ' || cast(t._source_row as varchar))
                    from {migrated_table(entity)} t
                    left join {migrated_table(ref)} r on r."{ref_col}" = t."{col.name}"
                    where t."{col.name}" is not null and r."{ref_col}" is null
                    group by 1 order by n desc limit 1000""").fetchall()
            out += [("reference", entity, None, None, col.name,
                     f"{col.name} '{v}' is not in {ref}.{ref_col} ({n} rows, first: {first})", None)
                    for v, n, first in rows]
    return out
