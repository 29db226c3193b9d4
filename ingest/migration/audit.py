"""The sampled row-by-row audit: legacy rows drawn with a fixed seed, recomputed in Python, compared with the
landing files as ingest will read them.

For every mapped entity, up to `audit.sample_per_entity` legacy rows of the run's periods are drawn (numpy
generator seeded with the mapping's audit seed and the entity name, so the same export gives the same
sample). For each one the mapping rules are applied again, here in plain Python (Decimal, datetime, dict
look-ups: an implementation independent of the SQL that wrote the files), the landing row with the expected
key is looked up in the staged landing file (read back with ingest's own reader), and every column is
compared. `sql` rules are re-evaluated by DuckDB on the one sampled row. Rows of a source table are re-parsed
from the exported text; rows of a view are taken as the view returns them.

Result: migration.audit_sample, one row per sampled row and landing column; the suite
migration_audit_sample fails on any mismatch.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import string
import zlib
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from ingest.migration.batches import PlannedFile
from ingest.migration.mapping import ColumnRule, FieldType, Mapping, SourceField, target_types
from ingest.migration.transform import MappedEntity, ident, relation_types, scalar_text, view_row_number
from ingest.readers import RawFile, read_landing_file

TEN_PLACES = Decimal("1e-10")
SQL_TYPES = {"string": "VARCHAR", "integer": "BIGINT", "decimal": "DECIMAL(38,10)", "date": "DATE",
             "timestamp": "TIMESTAMP", "boolean": "BOOLEAN"}


# --------------------------------------------------------------------------------- typed values in Python


def parse(text: str | None, spec: SourceField):
    """A legacy text as its declared type, or None (empty or unreadable)."""
    if text is None:
        return None
    text = text.strip()
    if not text or text in spec.null_if:
        return None
    if spec.type == "string":
        return text
    if spec.type in ("integer", "decimal"):
        if spec.thousands:
            text = text.replace(spec.thousands, "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
        if not number.is_finite():
            return None
        if spec.type == "integer":
            return int(number) if number == number.to_integral_value() else None
        return number.quantize(TEN_PLACES, rounding=ROUND_HALF_UP)
    if spec.type in ("date", "timestamp"):
        try:
            if spec.format:
                value = dt.datetime.strptime(text, spec.format)
            elif spec.type == "date":
                value = dt.datetime.strptime(text, "%Y-%m-%d")
            else:
                value = dt.datetime.fromisoformat(text)
        except ValueError:
            return None
        return value.date() if spec.type == "date" else value.replace(tzinfo=None)
    lowered = text.lower()
    if lowered in [v.lower() for v in spec.true_values]:
        return True
    if lowered in [v.lower() for v in spec.false_values]:
        return False
    return None


def type_of(value) -> FieldType | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, (Decimal, float)):
        return "decimal"
    if isinstance(value, dt.datetime):
        return "timestamp"
    if isinstance(value, dt.date):
        return "date"
    return "string"


def decimal_text(value) -> str | None:
    if value is None:
        return None
    text = format(Decimal(str(value)).quantize(TEN_PLACES, rounding=ROUND_HALF_UP), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def canonical(value, ftype: FieldType | None) -> str | None:
    if value is None:
        return None
    ftype = ftype or type_of(value)
    if ftype == "decimal":
        return decimal_text(value)
    if ftype == "timestamp":
        if not isinstance(value, dt.datetime):
            value = dt.datetime.combine(value, dt.time(0))
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    if ftype == "date":
        return (value.date() if isinstance(value, dt.datetime) else value).isoformat()
    if ftype == "boolean":
        return "true" if value else "false"
    return str(value)


def as_target(value, base_type: FieldType | None, target: FieldType, places: int | None) -> str | None:
    if value is None:
        return None
    base_type = base_type or type_of(value)
    if target == "decimal":
        try:
            number = Decimal(str(value)).quantize(TEN_PLACES, rounding=ROUND_HALF_UP)
        except InvalidOperation:
            return None
        if places is not None:
            number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        return decimal_text(number)
    if target in ("timestamp", "date") and base_type in ("date", "timestamp"):
        return canonical(value, target)
    if target == "integer" and base_type == "decimal":
        return decimal_text(value)
    return canonical(value, base_type)


# --------------------------------------------------------------------------------------------- the rules


def apply_rule(rule: ColumnRule, row: dict, types: dict[str, FieldType], target: FieldType, mapping: Mapping,
               con: duckdb.DuckDBPyConnection) -> str | None:
    """One landing value from one legacy row, in Python."""
    if rule.kind == "template":
        parts = []
        for literal_text, name, _, _ in string.Formatter().parse(rule.template):
            parts.append(literal_text or "")
            if name:
                parts.append(canonical(row.get(name), types.get(name)) or "")
        text = "".join(parts).strip() or None
    elif rule.kind == "value":
        text = None if rule.value is None else scalar_text(rule.value)
    else:
        if rule.kind == "from":
            value, base_type = row.get(rule.from_), types.get(rule.from_)
        else:
            value = evaluate_sql(con, rule.sql, row, types)
            base_type = type_of(value)
        if not (rule.has_text_ops or rule.format):
            result = as_target(value, base_type, target, rule.round)
            return result if result is not None or rule.default is None else scalar_text(rule.default)
        if rule.format and isinstance(value, (dt.date, dt.datetime)):
            text = value.strftime(rule.format)
        else:
            text = canonical(value, base_type)
    if text is not None:
        for r in rule.replace:
            text = re.sub(r.pattern, _python_replacement(r.with_), text)
        if rule.prefix is not None:
            text = rule.prefix + text
        if rule.suffix is not None:
            text = text + rule.suffix
        if rule.case:
            text = text.upper() if rule.case == "upper" else text.lower()
    if rule.code_map:
        cm = mapping.code_maps[rule.code_map]
        mapped = cm.values[text] if text in cm.values else cm.default
        text = None if mapped is None else scalar_text(mapped)
    if text is not None and rule.round is not None and target == "decimal":
        text = as_target(text, "string", "decimal", rule.round)
    if text is None and rule.default is not None:
        text = scalar_text(rule.default)
    return text


def _python_replacement(template: str) -> str:
    # the same back references in both engines; a literal backslash is rare in a mapping
    return re.sub(r"\\(\d)", r"\\g<\1>", template)


def evaluate_sql(con: duckdb.DuckDBPyConnection, sql: str, row: dict, types: dict[str, FieldType]):
    names = list(types)
    cols = ", ".join(f"cast(? as {SQL_TYPES[types[n]]}) as {ident(n)}" for n in names)
    values = [str(row.get(n)) if isinstance(row.get(n), Decimal) else row.get(n) for n in names]
    return con.execute(f"select ({sql}) from (select {cols}) as sampled_row", values).fetchone()[0]


# ------------------------------------------------------------------------------------------------ sample


def sample_positions(frame: pd.DataFrame, periodic: bool, periods: list[str], size: int, seed: int,
                     entity: str) -> list[int]:
    mask = frame["_source_row"].notna()
    if periodic:
        mask &= frame["_period"].isin(periods)
    candidates = np.flatnonzero(mask.to_numpy())
    k = min(size, len(candidates))
    if not k:
        return []
    rng = np.random.default_rng([seed, zlib.crc32(entity.encode())])
    return sorted(int(x) for x in rng.choice(candidates, size=k, replace=False))


def build_audit_sample(con: duckdb.DuckDBPyConnection, mapping: Mapping, mapped: dict[str, MappedEntity],
                       planned: list[PlannedFile], staging_dir: Path, periods: list[str],
                       read: dict[str, RawFile] | None = None) -> None:
    """read: the staged files as ingest's reader returned them (read again when not given)."""
    rows: list[tuple] = []
    for entity, m in sorted(mapped.items()):
        spec = mapping.entities[entity]
        if spec.from_ is None:
            continue
        picks = sample_positions(m.frame, m.periodic, periods, mapping.audit.sample_per_entity,
                                 mapping.audit.seed, entity)
        if not picks:
            continue
        contract = mapping.contracts[entity]
        targets = target_types(mapping, entity)
        types = relation_types(con, spec.from_)
        legacy_rows, shown = _legacy_rows(con, mapping, spec.from_, types, m.frame.iloc[picks])
        landing = _landing_index(staging_dir, [f for f in planned if f.entity == entity], contract, read or {})
        for n, pos in enumerate(picks, start=1):
            lineage = m.frame.iloc[pos]
            ref = (lineage["_source_file"], int(lineage["_source_row"]))
            row, raw = legacy_rows.get(ref, {}), shown.get(ref, {})
            expected = {col: (apply_rule(rule, row, types, targets[col], mapping, con) if row else None)
                        for col, rule in spec.columns.items()}
            key = tuple(expected.get(k) for k in contract.keys)
            found = landing.get(key)
            for col in contract.column_names:
                if col not in spec.columns:
                    continue
                rule = spec.columns[col]
                landing_value = found[2].get(col) if found else None
                ok = bool(row) and found is not None and same(expected[col], landing_value, targets[col])
                note = None if row else "legacy row not found"
                if row and found is None:
                    note = f"no landing row with key {dict(zip(contract.keys, key, strict=True))}"
                rows.append((entity, n, json.dumps(dict(zip(contract.keys, key, strict=True)), ensure_ascii=False),
                             spec.from_, ref[0], ref[1], col, _legacy_shown(rule, raw, row),
                             expected[col], landing_value, found[0] if found else None,
                             found[1] if found else None, ok, note))
    con.execute("""create or replace table migration.audit_sample (entity varchar, sample_no integer,
                   record_key varchar, legacy_relation varchar, source_file varchar, source_row bigint,
                   column_name varchar, legacy_value varchar, expected_value varchar, landing_value varchar,
                   landing_file varchar, landing_row bigint, matches boolean, note varchar)""")
    if rows:
        con.executemany("insert into migration.audit_sample values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [list(r) for r in rows])


def _legacy_rows(con, mapping: Mapping, relation: str, types: dict[str, FieldType], lineage: pd.DataFrame):
    """Sampled legacy rows, typed in Python (sources, from their text) or as the view returns them."""
    typed, shown = {}, {}
    if relation in mapping.sources:
        fields = mapping.sources[relation].fields
        refs = list(zip(lineage["_source_file"], lineage["_source_row"].astype(int), strict=True))
        con.register("_audit_refs", pd.DataFrame(refs, columns=["f", "r"]))
        try:
            raw = con.execute(f"select t.* from legacy_raw.{ident(relation)} t join _audit_refs a "
                              "on t._source_file = a.f and t._source_row = a.r").df()
        finally:
            con.unregister("_audit_refs")
        for rec in raw.astype(object).where(raw.notna(), None).to_dict("records"):
            ref = (rec["_source_file"], int(rec["_source_row"]))
            typed[ref] = {c: parse(rec.get(c), spec) for c, spec in fields.items()}
            shown[ref] = {c: rec.get(c) for c in fields}
        return typed, shown
    numbers = ", ".join(str(int(r)) for r in lineage["_source_row"])
    cols = ", ".join(ident(c) for c in types)
    result = con.execute(f"select {cols}, _audit_row from (select *, {view_row_number(types)} as _audit_row "
                         f"from legacy.{ident(relation)}) where _audit_row in ({numbers})").fetchall()
    for rec in result:
        values = dict(zip(types, rec[:-1], strict=True))
        typed[(None, int(rec[-1]))] = values
        shown[(None, int(rec[-1]))] = {c: canonical(v, types[c]) for c, v in values.items()}
    return typed, shown


def _legacy_shown(rule: ColumnRule, raw: dict, row: dict) -> str | None:
    """The legacy text a reviewer compares the landing value with."""
    if rule.kind == "from":
        return raw.get(rule.from_)
    if rule.kind == "template":
        return " | ".join(f"{f}={raw.get(f)}" for f in rule.template_fields)
    if rule.kind == "sql":
        used = [c for c in raw if re.search(r"\b" + re.escape(c) + r"\b", rule.sql)]
        return " | ".join(f"{c}={raw.get(c)}" for c in used) or None
    return None


def _landing_index(staging_dir: Path, files: list[PlannedFile], contract, read: dict[str, RawFile]
                   ) -> dict[tuple, tuple]:
    index = {}
    for f in files:
        raw = read.get(f.rel) or read_landing_file(staging_dir / f.rel, contract)
        for number, rec in zip(raw.row_numbers, raw.records.to_dict("records"), strict=True):
            index.setdefault(tuple(rec.get(k) for k in contract.keys), (f.rel, number, rec))
    return index


def same(expected: str | None, actual: str | None, ftype: FieldType) -> bool:
    if expected is None or actual is None:
        return expected is None and actual is None
    if ftype in ("decimal", "integer"):
        try:
            return Decimal(expected) == Decimal(actual)
        except InvalidOperation:
            return expected == actual
    if ftype == "boolean":
        return expected.lower() == actual.lower()
    return expected == actual
