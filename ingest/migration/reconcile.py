"""Reconciliation: counts and sums per period and department, legacy against migrated.

Two kinds of measure land in migration.reconciliation, one row per (measure, period, department):

- built in, for every mapped entity: rows mapped from the legacy source against rows the landing contract
  accepts (what ingest will load), per period ("all" for reference data, "(none)" for rows that fit no
  period). Any difference is a row that would be lost between the old system and ScoreLink;
- declared in the mapping file (`reconcile:`): a measure computed twice, once by SQL over the typed legacy
  tables and once by SQL over the migrated rows (e.g. net order amount per month and department). The legacy
  query reads the old system's own columns, so it is an independent computation of the same figure.

The suite migration_reconciliation fails on every row whose difference exceeds the measure's tolerance.
"""

from __future__ import annotations

import duckdb

from ingest.migration.batches import ALL_PERIODS
from ingest.migration.mapping import Mapping, MappingError
from ingest.migration.transform import MappedEntity
from ingest.migration.validation import in_scope, migrated_table

NO_PERIOD_LABEL = "(none)"

DDL = """
create or replace table migration.reconciliation (
  measure varchar not null,
  description varchar,
  period varchar not null,
  department varchar,
  legacy_value decimal(38,6),
  migrated_value decimal(38,6),
  difference decimal(38,6),
  tolerance double not null
)
"""


def build_reconciliation(con: duckdb.DuckDBPyConnection, mapping: Mapping, mapped: dict[str, MappedEntity],
                         periods: list[str]) -> None:
    con.execute(DDL)
    for entity, m in sorted(mapped.items()):
        legacy_counts: dict[str, int] = {}
        for p in m.frame["_period"] if m.periodic else [ALL_PERIODS] * len(m.frame):
            if m.periodic and not in_scope(p, periods):
                continue
            label = NO_PERIOD_LABEL if p is None else p
            legacy_counts[label] = legacy_counts.get(label, 0) + 1
        migrated = dict(con.execute(f"select _period, count(*) from {migrated_table(entity)} group by 1").fetchall())
        for label in sorted(set(legacy_counts) | set(migrated)):
            legacy, landed = legacy_counts.get(label, 0), migrated.get(label, 0)
            con.execute("insert into migration.reconciliation values (?, ?, ?, null, ?, ?, ?, 0)",
                        [f"rows:{entity}", f"rows of {entity} mapped from the legacy data vs rows the landing "
                         "contract accepts", label, legacy, landed, landed - legacy])
    scope = ", ".join(f"'{p}'" for p in periods) or "''"
    for r in mapping.reconcile:
        sides = {}
        for side in ("legacy", "migrated"):
            sql = getattr(r, side)
            try:
                con.execute(f"create or replace temp view _reconcile_{side} as "
                            f"select cast(coalesce(cast(period as varchar), '{ALL_PERIODS}') as varchar) as period, "
                            f"cast(department as varchar) as department, cast(value as decimal(38,6)) as value "
                            f"from ({sql}) as measure")
                sides[side] = con.execute(f"select count(*) from _reconcile_{side}").fetchone()[0]
            except duckdb.Error as exc:
                raise MappingError(f"{mapping.source_file}: field 'reconcile.{r.name}.{side}': the SQL fails "
                                   f"(it must return period, department, value): {exc}") from exc
        con.execute(
            f"""insert into migration.reconciliation
                select ?, ?, coalesce(l.period, m.period), coalesce(l.department, m.department),
                       l.value, m.value, coalesce(m.value, 0) - coalesce(l.value, 0), ?
                from (select period, department, sum(value) as value from _reconcile_legacy group by all) l
                full outer join (select period, department, sum(value) as value from _reconcile_migrated
                                 group by all) m
                  on l.period = m.period and l.department is not distinct from m.department
                where coalesce(l.period, m.period) in ('{ALL_PERIODS}', {scope})""",
            [r.name, r.description.strip(), r.tolerance])
