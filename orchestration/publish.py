"""Publish scores: immutable, versioned snapshots per period, plus serving copies for readers.

A period's snapshot holds every published table for that month (PUBLISHED_TABLES, one per mart):
role_scores, sales_rep_scores, incentives (the quarter closing in the month), kpi_scores and metric_values
(month grain), inventory_attribution, attribution_people, attribution_departments and hiring_funnel (the
candidates who applied in the month, by stage). Each is
published.<name> (period, version, then the mart's columns; key (period, version, <grain keys>)) with a view
published.<name>_current holding the latest version of each period. Only closed periods
are published: months whose last day the data has reached. A snapshot is keyed by (period, version).
Publishing the same inputs again is a no-op (the fingerprint of the period's rows is unchanged); changed
inputs or approved adjustments produce the next version (a restatement): its reason (a person's, plus what
changed), the number of employees whose rows changed, and per-field deltas (published.score_deltas). Who
publishes what: orchestration/publish_assets.py and docs/publishing.md (a pipeline run publishes only first
versions; restatements are the period close's). Disputes and adjustments (published.adjustments,
adjustment_decisions) are append-only. Nothing published is updated or deleted: published.version_tables
records each version's row count and digest per table, and every publication checks them before writing
(DuckDB has no triggers).

Serving copies, so that a running pipeline never blocks a reader: one Parquet file per published table
and a read-only DuckDB file, each written to a temporary name and moved into place atomically, whenever the
published store changed since they were written (SERVING_STATE).

Cost at scale (docs/performance.md, "Publication"): every closed period is fingerprinted with one grouped query
per table (period_digests), once per pipeline run (publish_first_versions), and new versions are inserted with
one statement per table.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

# Runs a portable SELECT on the dbt target and returns its rows (orchestration.target_io.read_mart).
MartReader = Callable[[str, Sequence[Any]], pa.Table]

DATA_WINDOW = "intermediate.int_data_window"


def _cols(spec: str) -> tuple[tuple[str, str], ...]:
    """'name type, name type, ...' (types may hold commas inside parentheses) -> ((name, type), ...)."""
    out, depth, current = [], 0, ""
    for ch in spec + ",":
        if ch == "," and depth == 0:
            name, _, ty = current.strip().partition(" ")
            out.append((name, ty.strip()))
            current = ""
            continue
        depth += (ch == "(") - (ch == ")")
        current += ch
    return tuple(out)


@dataclass(frozen=True)
class PublishedTable:
    """One mart snapshotted per period into published.<name> (period, version, then the mart's columns).

    Rows of the period: `month_column` (a date column of the mart) falls in the month, and `where` (portable SQL,
    optional) holds. Columns keep the mart's names and get the published types below; `renames` maps a published
    column to the mart column it comes from (only where the mart's name would collide with `period`).
    """

    name: str  # published.<name>, and published.<name>_current for the latest version of each period
    source: str  # the mart it snapshots
    month_column: str
    spec: tuple[tuple[str, str], ...]  # (published column, published type), in order
    key: tuple[str, ...]  # grain within (period, version)
    where: str = ""
    renames: tuple[tuple[str, str], ...] = ()
    # A field approved adjustments change (role_scores.final_score, incentives.total_incentive_base): the table
    # gets two more columns, adjustment_ids and unadjusted_<field> (the mart's value before the adjustments).
    adjustable: str = ""

    @property
    def published_spec(self) -> tuple[tuple[str, str], ...]:
        if not self.adjustable:
            return self.spec
        unadjusted = (f"unadjusted_{self.adjustable}", dict(self.spec)[self.adjustable])
        return (*self.spec, ("adjustment_ids", "varchar"), unadjusted)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.published_spec)

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(t for _, t in self.published_spec)

    @property
    def per_employee(self) -> bool:
        return "employee_id" in self.key


ROLE_SCORES = PublishedTable(
    name="role_scores",
    source="marts.fct_role_scores",
    month_column="period_start",
    where="period_type = 'month'",
    spec=_cols("employee_id varchar, department_id varchar, role varchar, region varchar, tenure_band varchar, "
               "scorecard varchar, scorecard_version varchar, score_status varchar, role_days integer, "
               "scored_days integer, kpis_scored integer, kpis_total integer, own_kpi_score double, "
               "financial_score double, customer_score double, process_score double, learning_score double, "
               "mentee_score double, team_bonus_points double, final_score double"),
    key=("employee_id",),
    adjustable="final_score",
)
SALES_REP_SCORES = PublishedTable(
    name="sales_rep_scores",
    source="marts.fct_sales_rep_monthly_scores",
    month_column="month",
    spec=_cols("employee_id varchar, days_as_sales_rep integer, order_count integer, line_count integer, "
               "revenue_base decimal(18, 2), quota_base decimal(18, 2), quota_attainment double, score double"),
    key=("employee_id",),
)
# Quarterly incentives are published with the month that closes the quarter (period_end in the month). The mart's
# quarter label `period` (YYYY-Qn) is published as `quarter` (`period` is the published month).
INCENTIVES = PublishedTable(
    name="incentives",
    source="marts.fct_incentives",
    month_column="period_end",
    spec=_cols("employee_id varchar, period_start date, quarter varchar, scorecard varchar, scorecard_version varchar, "
               "role varchar, breached_rules varchar, promotion_blocking_rules varchar, final_score decimal(28,6), "
               "team_bonus_points decimal(28,6), commission_result_base decimal(28,6), commission_base decimal(28,6), "
               "bonus_target_base decimal(28,6), bonus_factor decimal(28,6), gross_bonus_base decimal(28,6), "
               "rules_checked bigint, rules_breached bigint, deduction_pct decimal(28,6), deduction_base decimal(28,6), "
               "net_bonus_base decimal(28,6), total_incentive_base decimal(28,6), is_promotion_eligible boolean, "
               "period_end date"),
    key=("employee_id",),
    renames=(("quarter", "period"),),
    adjustable="total_incentive_base",
)
# Month grain only. The mart's `period` label equals the published period for months, so it is not repeated.
KPI_SCORES = PublishedTable(
    name="kpi_scores",
    source="marts.fct_kpi_scores",
    month_column="period_start",
    where="period_type = 'month'",
    spec=_cols("employee_id varchar, period_type varchar, period_start date, segment_id varchar, kpi varchar, "
               "subject_type varchar, assignment_id varchar, subject_id varchar, scorecard varchar, "
               "scorecard_version varchar, role varchar, region varchar, tenure_band varchar, kpi_label varchar, "
               "bsc_perspective varchar, direction varchar, curve varchar, target_source varchar, "
               "value_formula varchar, unit varchar, score_status varchar, weight decimal(28,6), "
               "effective_weight decimal(28,6), segment_days bigint, scored_days bigint, role_days bigint, "
               "months_measured bigint, numerator decimal(28,6), denominator decimal(28,6), "
               "prior_numerator decimal(28,6), prior_denominator decimal(28,6), actual decimal(28,6), "
               "target decimal(28,6), attainment decimal(28,6), score decimal(28,6), contribution decimal(28,6), "
               "source_row_count bigint, is_counted boolean, period_end date, first_day date, last_day date"),
    key=("employee_id", "segment_id", "kpi", "subject_type"),
)
METRIC_VALUES = PublishedTable(
    name="metric_values",
    source="marts.fct_metric_values",
    month_column="month",
    spec=_cols("metric varchar, subject_type varchar, subject_id varchar, month date, metric_name varchar, "
               "unit varchar, value_formula varchar, numerator decimal(28,6), denominator decimal(28,6), "
               "prior_numerator decimal(28,6), prior_denominator decimal(28,6), value decimal(28,6), "
               "source_row_count bigint, event_count bigint"),
    key=("metric", "subject_type", "subject_id"),
)
_Q = "decimal(28,12)"
INVENTORY_ATTRIBUTION = PublishedTable(
    name="inventory_attribution",
    source="marts.fct_inventory_attribution",
    month_column="month",
    spec=_cols("sku varchar, month date, buyer_id varchar, planner_id varchar, owner_salesperson_id varchar, "
               "forecast_version bigint, has_forecast boolean, has_commitment boolean, "
               + ", ".join(f"{c} {_Q}" for c in (
                   "opening_qty", "safety_days", "average_daily_sales", "target_qty", "forecast_qty", "committed_qty",
                   "planned_receipts_qty", "received_qty", "sold_qty", "ending_qty", "closing_qty",
                   "stock_adjustment_qty", "gap_to_target_qty", "purchasing_qty", "operations_qty", "sales_qty",
                   "excess_qty", "purchasing_excess_qty", "operations_excess_qty", "sales_excess_qty",
                   "unit_cost_base", "excess_value_base", "purchasing_excess_value_base",
                   "operations_excess_value_base", "sales_excess_value_base"))),
    key=("sku",),
)
ATTRIBUTION_PEOPLE = PublishedTable(
    name="attribution_people",
    source="marts.fct_attribution_person_months",
    month_column="month",
    spec=_cols(f"employee_id varchar, department varchar, month date, sku_count bigint, component_qty {_Q}, "
               f"attributed_excess_qty {_Q}, attributed_excess_value_base {_Q}, as_approver_excess_value_base {_Q}, "
               f"opening_stock_excess_value_base {_Q}"),
    key=("employee_id", "department"),
)
ATTRIBUTION_DEPARTMENTS = PublishedTable(
    name="attribution_departments",
    source="marts.fct_attribution_department_months",
    month_column="month",
    spec=_cols(f"department varchar, month date, component_qty {_Q}, attributed_excess_qty {_Q}, "
               f"attributed_excess_value_base {_Q}, total_excess_value_base {_Q}"),
    key=("department",),
)
# The hiring funnel of the candidates who applied in the month (the application cohort), per hiring department, role,
# recruiter, recruiter's department and stage. Both departments are kept apart: hiring_department_id is the
# requisition's, recruiter_department_id the recruiter's own (the one the recruiting metrics and HR scorecards credit).
HIRING_FUNNEL = PublishedTable(
    name="hiring_funnel",
    source="marts.fct_hiring_funnel_months",
    month_column="application_month",
    spec=_cols("application_month date, hiring_department_id varchar, role varchar, recruiter_id varchar, "
               "recruiter_department_id varchar, stage varchar, stage_order bigint, candidates_entered bigint, "
               "candidates_at_stage bigint, candidates_dropped bigint, conversion_from_previous decimal(28,6), "
               "share_of_applicants decimal(28,6), avg_days_from_application decimal(28,6), "
               "median_days_from_application decimal(28,6), stays_dated bigint, avg_days_in_stage decimal(28,6), "
               "median_days_in_stage decimal(28,6)"),
    key=("hiring_department_id", "role", "recruiter_id", "recruiter_department_id", "stage"),
)
PUBLISHED_TABLES = (ROLE_SCORES, SALES_REP_SCORES, INCENTIVES, KPI_SCORES, METRIC_VALUES, INVENTORY_ATTRIBUTION,
                    ATTRIBUTION_PEOPLE, ATTRIBUTION_DEPARTMENTS, HIRING_FUNNEL)

VERSIONS_DDL = """
create schema if not exists published;
create table if not exists published.score_versions (
  period varchar not null,
  version integer not null,
  scorecard_version varchar not null,
  input_fingerprint varchar not null,
  row_count integer not null,
  changed_rows integer not null,
  reason varchar not null,
  run_id varchar not null,
  published_at timestamp not null,
  previous_version integer,
  published_by varchar,
  gate_results varchar,
  primary key (period, version)
);
create table if not exists published.version_tables (
  period varchar not null,
  version integer not null,
  table_name varchar not null,
  row_count bigint not null,
  fingerprint varchar not null,
  source_fingerprint varchar not null,
  primary key (period, version, table_name)
);
create table if not exists published.score_deltas (
  period varchar not null,
  version integer not null,
  previous_version integer not null,
  employee_id varchar not null,
  table_name varchar not null,
  field varchar not null,
  old_value varchar,
  new_value varchar,
  delta double
);
create table if not exists published.adjustments (
  adjustment_id varchar not null primary key,
  kind varchar not null,
  period varchar not null,
  employee_id varchar not null,
  table_name varchar not null,
  field varchar not null,
  requested_change double,
  reason varchar not null,
  requested_by varchar not null,
  requested_at timestamp not null
);
create table if not exists published.adjustment_decisions (
  adjustment_id varchar not null primary key,
  decision varchar not null,
  approved_change double,
  decided_by varchar not null,
  decided_at timestamp not null,
  note varchar
);
"""
DELTA_TABLES = ("role_scores", "sales_rep_scores", "incentives")  # one row per employee: deltas field by field


def _table_ddl(t: PublishedTable) -> str:
    cols = ",\n  ".join(f"{c} {ty}" for c, ty in t.published_spec)
    return f"""
create table if not exists published.{t.name} (
  period varchar not null,
  version integer not null,
  {cols},
  primary key (period, version, {', '.join(t.key)})
);
create or replace view published.{t.name}_current as
select s.*
from published.{t.name} s
join (select period, max(version) as version from published.score_versions group by period) v
  using (period, version);
"""


@dataclass
class PeriodPublication:
    period: str
    version: int
    rows: int
    changed_rows: int
    published: bool  # False: inputs unchanged, nothing written
    fingerprint: str = ""  # the input fingerprint of the period's current version


@dataclass(frozen=True)
class PeriodDigest:
    """What publishing a period now would write: its input fingerprint, and per table the row count and digests."""

    fingerprint: str  # published.score_versions.input_fingerprint
    row_counts: dict[str, int]
    digests: dict[str, str]  # the published rows (approved adjustments applied): published.version_tables.fingerprint
    source_digests: dict[str, str]  # the mart's rows (before adjustments): published.version_tables.source_fingerprint


def month_bounds(period: str) -> tuple[dt.date, dt.date]:
    """First day of the month and first day of the next month."""
    first = dt.date.fromisoformat(f"{period}-01")
    return first, (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _months_filter(column: str, periods: Sequence[str]) -> str:
    """SQL: `column` falls in one of the months, as ranges of consecutive months (date literals from YYYY-MM)."""
    ranges: list[list[dt.date]] = []
    for period in sorted(set(periods)):
        first, after = month_bounds(period)
        if ranges and ranges[-1][1] == first:
            ranges[-1][1] = after
        else:
            ranges.append([first, after])
    return "(" + " or ".join(f"({column} >= date '{a.isoformat()}' and {column} < date '{b.isoformat()}')"
                             for a, b in ranges) + ")"


def _period_rows_sql(t: PublishedTable, periods: Sequence[str]) -> str:
    """The rows of a mart in the given months, as published: _period (YYYY-MM), then t.columns in published types.

    Approved adjustments of the period are added to the adjustable field (adjustment_ids lists them, in id order;
    unadjusted_<field> keeps the mart's value). Publication inserts these rows and fingerprints them (one query per
    table for all periods), so the ledger's digests are those of the rows written.
    """
    source_of = dict(t.renames)
    casts = ", ".join(f"cast({source_of.get(c, c)} as {ty}) as {c}" for c, ty in t.spec)
    where = _months_filter(t.month_column, periods) + (f" and {t.where}" if t.where else "")
    rows = f"select strftime({t.month_column}, '%Y-%m') as _period, {casts} from {t.source} where {where}"
    if not t.adjustable:
        return rows
    field, ty = t.adjustable, dict(t.spec)[t.adjustable]
    others = ", ".join(f"r.{c}" if c != field else f"cast(r.{c} + coalesce(a.change, 0) as {ty}) as {c}"
                       for c, _ in t.spec)
    return f"""select r._period, {others}, a.ids as adjustment_ids, r.{field} as unadjusted_{field}
               from ({rows}) r
               left join (select a.period as _period, a.employee_id,
                                 sum(d.approved_change order by a.adjustment_id) as change,
                                 string_agg(a.adjustment_id, ',' order by a.adjustment_id) as ids
                          from published.adjustments a join published.adjustment_decisions d using (adjustment_id)
                          where d.decision = 'approved' and a.table_name = '{t.name}'
                          group by a.period, a.employee_id) a using (_period, employee_id)"""


def _row_digest(columns: Sequence[str], order: Sequence[str], values: dict[str, str] | None = None) -> str:
    """md5 over rows, one row as DuckDB text (a struct of the columns) per line, in grain order; '' for no rows."""
    values = values or {}
    row = "struct_pack(" + ", ".join(f"{c} := {values.get(c, c)}" for c in columns) + ")"
    return f"coalesce(md5(string_agg(cast({row} as varchar), chr(10) order by {', '.join(order)})), '')"


def _digest_sql(t: PublishedTable, source: str, group_by: str = "") -> str:
    """md5 over the rows of `source` (the published columns of t), one row as text per line, in grain order."""
    select = f"{group_by}, " if group_by else ""
    return (f"select {select}count(*), {_row_digest(t.columns, t.key)} "
            f"from {source}" + (f" group by {group_by}" if group_by else ""))


def _check_marts(con: duckdb.DuckDBPyConnection, periods: Sequence[str]) -> None:
    existing = {f"{s}.{n}" for s, n in con.execute(
        "select table_schema, table_name from information_schema.tables").fetchall()}
    missing = [t.source for t in PUBLISHED_TABLES if t.source not in existing]
    if missing:
        months = periods[0] if len(periods) == 1 else f"{min(periods)} to {max(periods)}"
        raise PublishError(f"cannot publish {months}: mart(s) {', '.join(missing)} not built (run the pipeline)")


# Rows of one mart fingerprinted by one query: the text of every row of a batch is held in memory at once (about
# 1 GB for 250,000 rows of kpi_scores), so a large mart is read in batches of months.
DIGEST_BATCH_ROWS = 250_000


def _month_batches(con: duckdb.DuckDBPyConnection, t: PublishedTable, periods: Sequence[str],
                   batch_rows: int) -> list[list[str]]:
    """The periods in batches of consecutive months holding at most batch_rows rows of the mart (or one month)."""
    counts = dict(con.execute(
        f"select strftime({t.month_column}, '%Y-%m'), count(*) from {t.source} "
        f"where {_months_filter(t.month_column, periods)}" + (f" and {t.where}" if t.where else "") + " group by 1"
    ).fetchall())
    batches: list[list[str]] = []
    rows = 0
    for period in sorted(set(periods)):
        n = counts.get(period, 0)
        if not batches or rows + n > batch_rows:
            batches.append([])
            rows = 0
        batches[-1].append(period)
        rows += n
    return batches


def period_digests(con: duckdb.DuckDBPyConnection, periods: Sequence[str], *,
                   batch_rows: int = DIGEST_BATCH_ROWS) -> dict[str, PeriodDigest]:
    """The fingerprint of every given period, grouped queries per table (no per-period round trips).

    Per table: md5 over the period's rows (each row as DuckDB text, in grain order), and for adjustable tables also
    over the mart's rows before adjustments; the input fingerprint is a sha256 over `[table:row count:digest]` of
    every table in PUBLISHED_TABLES order. These values are stored (score_versions.input_fingerprint,
    version_tables): the formula must never change, or every published period would look restated. One query per
    table and batch of months (DIGEST_BATCH_ROWS): memory stays bounded however many months are closed.
    """
    if not periods:
        return {}
    _check_marts(con, periods)
    found: dict[str, dict[str, tuple[int, str, str]]] = {}
    for t in PUBLISHED_TABLES:
        raw = ""
        if t.adjustable:
            raw = ", " + _row_digest([c for c, _ in t.spec], t.key, {t.adjustable: f"unadjusted_{t.adjustable}"})
        found[t.name] = {}
        for batch in _month_batches(con, t, periods, batch_rows):
            found[t.name].update({p: (n, d, r[0] if r else d) for p, n, d, *r in con.execute(
                f"select _period, count(*), {_row_digest(t.columns, t.key)}{raw} "
                f"from ({_period_rows_sql(t, batch)}) group by _period").fetchall()})
    out = {}
    for period in periods:
        counts, digests, sources = {}, {}, {}
        for t in PUBLISHED_TABLES:
            counts[t.name], digests[t.name], sources[t.name] = found[t.name].get(period, (0, "", ""))
        h = hashlib.sha256()
        for name, digest in digests.items():
            h.update(f"[{name}:{counts[name]}:{digest}]".encode())
        out[period] = PeriodDigest(h.hexdigest(), counts, digests, sources)
    return out


def _changed_employees(con: duckdb.DuckDBPyConnection, period: str, new: int, old: int) -> int:
    """Employees with any published row that differs between two versions of a period."""
    parts = []
    for t in PUBLISHED_TABLES:
        if not t.per_employee:
            continue
        cols = ", ".join(t.columns)
        for a, b in ((new, old), (old, new)):
            parts.append(f"(select employee_id from (select {cols} from published.{t.name} "
                         f"where period = '{period}' and version = {a} except select {cols} from published.{t.name} "
                         f"where period = '{period}' and version = {b}))")
    return con.execute(f"select count(distinct employee_id) from ({' union all '.join(parts)})").fetchone()[0]


class PublishError(RuntimeError):
    """A mart to publish is missing, a period is not closed, a blocking gate failed, or published rows changed."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def closed_periods(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Months with scores whose last day the data has reached (a month the data only starts stays open)."""
    return [r[0] for r in con.execute(
        f"""select distinct strftime(s.period_start, '%Y-%m')
            from {ROLE_SCORES.source} s, {DATA_WINDOW} w
            where s.period_type = 'month' and last_day(s.period_start) <= w.last_data_date
            order by 1""").fetchall()]


def ensure_store(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(VERSIONS_DDL + "".join(_table_ddl(t) for t in PUBLISHED_TABLES))


def _ledger_batches(ledger: Sequence[tuple], table: str, batch_rows: int) -> list[list[str]]:
    """The periods of one published table in batches whose published rows (all versions) sum to at most batch_rows
    (or one period), from the ledger's row counts."""
    rows_of: dict[str, int] = {}
    for period, _version, name, count, _digest in ledger:
        if name == table:
            rows_of[period] = rows_of.get(period, 0) + count
    batches: list[list[str]] = []
    rows = 0
    for period in sorted(rows_of):
        if not batches or rows + rows_of[period] > batch_rows:
            batches.append([])
            rows = 0
        batches[-1].append(period)
        rows += rows_of[period]
    return batches


def verify_published(con: duckdb.DuckDBPyConnection, *, batch_rows: int = DIGEST_BATCH_ROWS) -> None:
    """Guard: every published version still has exactly the rows it was published with (count and digest).

    DuckDB has no triggers or privileges to forbid an UPDATE or DELETE, so the publisher checks its ledger
    (published.version_tables) before writing and refuses to go on when a published row changed. The digests
    are taken per table and batch of periods (at most batch_rows published rows, as in period_digests), so
    the check's memory stays bounded however large the published store grows.
    """
    ledger = con.execute("select period, version, table_name, row_count, fingerprint from published.version_tables "
                         "order by 1, 2, 3").fetchall()
    actual = {}
    for t in PUBLISHED_TABLES:
        for batch in _ledger_batches(ledger, t.name, batch_rows):
            periods = ", ".join(f"'{p}'" for p in batch)
            for period, version, count, digest in con.execute(
                    _digest_sql(t, f"(select * from published.{t.name} where period in ({periods}))",
                                group_by="period, version")).fetchall():
                actual[(period, version, t.name)] = (count, digest)
    for period, version, name, count, digest in ledger:
        found = actual.get((period, version, name), (0, ""))
        if found != (count, digest):
            raise PublishError(f"published.{name} {period} v{version} changed after publication: {found[0]} rows "
                               f"(published with {count}); published rows are never updated or deleted")


def gate_results(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The latest result of every blocking Great Expectations suite (quality.validation_results), for the record."""
    from expectations.runner import latest_results

    return [{"gate": f"gx:{r['suite']}", "passed": bool(r["success"]), "run_id": r["run_id"],
             "validated_at": str(r["validated_at"]), "critical_failed": r["critical_failed"]}
            for r in latest_results(con)]


def _write_deltas(con: duckdb.DuckDBPyConnection, period: str, new: int, old: int) -> int:
    """Per-employee, per-field differences of the one-row-per-employee tables; returns the rows written."""
    written = 0
    for name in DELTA_TABLES:
        t = next(x for x in PUBLISHED_TABLES if x.name == name)
        parts = [f"""select '{c}' as field, cast(o.{c} as varchar) as old_value, cast(n.{c} as varchar) as new_value,
                            try_cast(n.{c} as double) - try_cast(o.{c} as double) as delta,
                            coalesce(n.employee_id, o.employee_id) as employee_id
                     from (select * from published.{name} where period = $period and version = $new) n
                     full join (select * from published.{name} where period = $period and version = $old) o
                       using (employee_id)
                     where o.{c} is distinct from n.{c} or n.employee_id is null or o.employee_id is null"""
                 for c in t.columns if c != "employee_id"]
        written += con.execute(
            f"""insert into published.score_deltas
                select $period, $new, $old, employee_id, '{name}', field, old_value, new_value, delta
                from ({' union all '.join(parts)}) order by employee_id, field""",
            {"period": period, "new": new, "old": old}).fetchone()[0]
    return written


def _default_reason(con: duckdb.DuckDBPyConnection, period: str, last: int | None, digests: dict[str, str],
                    approved: list[tuple]) -> str:
    """Names what changed: adjustments applied for the first time, and marts whose rows changed."""
    if last is None:
        return "first publication (period close)"
    before = dict(con.execute("select table_name, source_fingerprint from published.version_tables "
                              "where period = ? and version = ?", [period, last]).fetchall())
    changed = [n for n, d in digests.items() if before.get(n) != d]
    applied_before = set()
    for t in PUBLISHED_TABLES:
        if t.adjustable:
            for (ids,) in con.execute(f"select distinct adjustment_ids from published.{t.name} where period = ? and "
                                      "version = ? and adjustment_ids is not null", [period, last]).fetchall():
                applied_before |= set(ids.split(","))
    new_adjustments = [a for a in approved if a[0] not in applied_before]
    parts = []
    if new_adjustments:
        parts.append("applies " + "; ".join(f"{kind} {aid} ({field} {change:+g} for {emp}, approved by {by}: {why})"
                                            for aid, kind, emp, field, change, by, why in new_adjustments))
    if changed:
        parts.append("data changed in " + ", ".join(changed))
    return "restatement: " + ("; ".join(parts) or "inputs changed")


def publish_periods(con: duckdb.DuckDBPyConnection, periods: Sequence[str], run_id: str, *, reason: str | None = None,
                    published_by: str = "pipeline", gates: list[dict[str, Any]] | None = None,
                    now: dt.datetime | None = None, digests: dict[str, PeriodDigest] | None = None
                    ) -> list[PeriodPublication]:
    """Publish closed periods inside the caller's transaction, each a no-op, a first version or a restatement.

    digests: the periods' fingerprints (period_digests), when the caller computed them already. The rows of every
    period that gets a new version are inserted with one statement per table (one scan of each mart).
    """
    periods = list(dict.fromkeys(periods))
    known = {p: d for p, d in (digests or {}).items() if p in periods}
    digests = {**known, **period_digests(con, [p for p in periods if p not in known])}
    latest = {p: (v, f) for p, v, f in con.execute(
        "select period, version, input_fingerprint from published.score_versions "
        "qualify row_number() over (partition by period order by version desc) = 1").fetchall()}
    last = {p: latest.get(p) for p in periods}
    new = {p: (last[p][0] + 1 if last[p] else 1) for p in periods if not last[p] or last[p][1] != digests[p].fingerprint}
    if new:
        versions = "select unnest(?::varchar[]) as _period, unnest(?::integer[]) as _version"
        for t in PUBLISHED_TABLES:
            con.execute(f"insert into published.{t.name} (period, version, {', '.join(t.columns)}) "
                        f"select r._period, v._version, {', '.join(f'r.{c}' for c in t.columns)} "
                        f"from ({_period_rows_sql(t, list(new))}) r join ({versions}) v using (_period) "
                        f"order by r._period, {', '.join(f'r.{k}' for k in t.key)}", [list(new), list(new.values())])
        con.executemany("insert into published.version_tables values (?, ?, ?, ?, ?, ?)",
                        [[p, v, t.name, digests[p].row_counts[t.name], digests[p].digests[t.name],
                          digests[p].source_digests[t.name]] for p, v in new.items() for t in PUBLISHED_TABLES])
    results = []
    for period in periods:
        digest, previous = digests[period], last[period]
        row_count = digest.row_counts[ROLE_SCORES.name]
        if period not in new:
            results.append(PeriodPublication(period, previous[0], row_count, 0, published=False,
                                             fingerprint=digest.fingerprint))
            continue
        version = new[period]
        approved = con.execute(
            """select a.adjustment_id, a.kind, a.employee_id, a.field, d.approved_change, d.decided_by, a.reason
               from published.adjustments a join published.adjustment_decisions d using (adjustment_id)
               where a.period = ? and d.decision = 'approved' order by 1""", [period]).fetchall()
        default = _default_reason(con, period, previous[0] if previous else None, digest.source_digests, approved)
        if previous:
            changed = _changed_employees(con, period, version, previous[0])
            _write_deltas(con, period, version, previous[0])
        else:
            changed = 0
        scorecards = sorted({v or "" for (v,) in con.execute(
            "select distinct scorecard_version from published.role_scores where period = ? and version = ?",
            [period, version]).fetchall()} - {""})
        con.execute(
            "insert into published.score_versions (period, version, scorecard_version, input_fingerprint, row_count, "
            "changed_rows, reason, run_id, published_at, previous_version, published_by, gate_results) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [period, version, ", ".join(scorecards) or "none", digest.fingerprint, row_count, changed,
             f"{reason} ({default})" if reason else default, run_id, now or _now(),
             previous[0] if previous else None, published_by, json.dumps(gates or [], sort_keys=True)],
        )
        results.append(PeriodPublication(period, version, row_count, changed, published=True,
                                         fingerprint=digest.fingerprint))
    return results


def publish_scores(con: duckdb.DuckDBPyConnection, run_id: str, periods: list[str] | None = None, *,
                   reason: str | None = None, published_by: str = "pipeline",
                   check_gates: bool = True, read_mart: MartReader | None = None,
                   digests: dict[str, PeriodDigest] | None = None) -> list[PeriodPublication]:
    """Close periods (default: every closed period) in one transaction; see publish_periods.

    Refuses a period the data has not closed yet, and (check_gates) any period while the latest run of a blocking
    suite failed; the gate results are recorded with each new version. read_mart: with another dbt target than
    DuckDB, reads the marts there; they are first copied into this warehouse (orchestration.target_io.mirror_marts).
    digests: fingerprints of (some of) the periods that the caller computed on this connection after the marts last
    changed (publish_first_versions: period_status's), so that they are not computed twice.
    """
    if read_mart is not None:
        from orchestration.target_io import mirror_marts

        mirror_marts(con, read_mart)
        digests = None  # computed before the marts were copied again
    con.execute("begin transaction")
    try:
        ensure_store(con)
        verify_published(con)
        closed = closed_periods(con)
        for period in periods or []:
            if period not in closed:
                raise PublishError(f"period {period} is not closed: the data has not reached its last day "
                                   f"(closed periods: {', '.join(closed) or 'none'})")
        gates = gate_results(con)
        failed = [g["gate"] for g in gates if not g["passed"]]
        if check_gates and failed:
            raise PublishError(f"blocking gate(s) failed in the latest run: {', '.join(failed)}; nothing published")
        now = _now()
        results = publish_periods(con, periods or closed, run_id, reason=reason, published_by=published_by,
                                  gates=gates, now=now, digests=digests)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return results


def publish_first_versions(con: duckdb.DuckDBPyConnection, run_id: str, *, published_by: str = "pipeline"
                           ) -> tuple[list[dict[str, Any]], list[PeriodPublication]]:
    """A pipeline run's publication: version 1 of every closed period never published, never a restatement.

    Fingerprints every closed period once: period_status records the drafts, the unpublished periods are published
    with those fingerprints, and the drafts are then updated (after_publication) rather than computed again.
    Returns the drafts after publishing and the publications.
    """
    states, digests = _period_status(con, run_id)
    new = [r["period"] for r in states if r["state"] == "unpublished"]
    if not new:
        return states, []
    results = publish_scores(con, run_id, new, published_by=published_by, digests=digests)
    return record_period_status(con, run_id, after_publication(states, results)), results


def close_and_record_status(con: duckdb.DuckDBPyConnection, run_id: str, periods: list[str] | None = None, *,
                            reason: str | None = None, published_by: str = "pipeline") -> list[PeriodPublication]:
    """The period close (`scorelink publish`): publish_scores for the given periods (None: every closed one), then
    the drafts say what is published. Every closed period is fingerprinted once: period_status computes the
    drafts, the publication reuses their fingerprints, and the drafts are updated (after_publication)."""
    states, digests = _period_status(con, run_id)
    results = publish_scores(con, run_id, periods, reason=reason, published_by=published_by, digests=digests)
    record_period_status(con, run_id, after_publication(states, results))
    return results


def period_status(con: duckdb.DuckDBPyConnection, run_id: str) -> list[dict[str, Any]]:
    """Drafts: what closing each closed period now would do, recorded in draft.period_status (replaced per run).

    state: unpublished (never closed), restatement pending (the data or approved adjustments differ from the
    latest version), published (the latest version matches). Nothing is published here.
    """
    return _period_status(con, run_id)[0]


def _period_status(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[list[dict[str, Any]], dict[str, PeriodDigest]]:
    con.execute("begin transaction")
    try:
        ensure_store(con)
        closed = closed_periods(con)
        digests = period_digests(con, closed)
        latest = {p: (v, f) for p, v, f in con.execute(
            "select period, version, input_fingerprint from published.score_versions "
            "qualify row_number() over (partition by period order by version desc) = 1").fetchall()}
        out = []
        for period in closed:
            fingerprint, last = digests[period].fingerprint, latest.get(period)
            state = "unpublished" if not last else "published" if last[1] == fingerprint else "restatement pending"
            out.append({"period": period, "state": state, "published_version": last[0] if last else None,
                        "draft_fingerprint": fingerprint})
        _write_period_status(con, run_id, out)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return out, digests


def after_publication(states: list[dict[str, Any]], results: Sequence[PeriodPublication]) -> list[dict[str, Any]]:
    """period_status's rows once `results` are published, without fingerprinting again.

    A period just closed is published at the version and fingerprint its publication computed (in the same
    transaction that wrote it, so from the same rows); the other periods keep their state.
    """
    done = {r.period: r for r in results}
    return [{**s, "state": "published", "published_version": done[s["period"]].version,
             "draft_fingerprint": done[s["period"]].fingerprint} if s["period"] in done else dict(s) for s in states]


def record_period_status(con: duckdb.DuckDBPyConnection, run_id: str, states: list[dict[str, Any]]) -> list[dict]:
    """Replace draft.period_status with the given rows (after_publication); returns them."""
    con.execute("begin transaction")
    try:
        _write_period_status(con, run_id, states)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return states


def _write_period_status(con: duckdb.DuckDBPyConnection, run_id: str, states: list[dict[str, Any]]) -> None:
    con.execute("create schema if not exists draft")
    con.execute("create or replace table draft.period_status (period varchar, state varchar, "
                "published_version integer, draft_fingerprint varchar, run_id varchar, checked_at timestamp)")
    now = _now()
    if states:
        con.executemany("insert into draft.period_status values (?, ?, ?, ?, ?, ?)",
                        [[r["period"], r["state"], r["published_version"], r["draft_fingerprint"], run_id, now]
                         for r in states])


ADJUSTABLE = {t.name: t.adjustable for t in PUBLISHED_TABLES if t.adjustable}


def request_adjustment(con: duckdb.DuckDBPyConnection, *, kind: str, period: str, employee_id: str,
                       table_name: str = "role_scores", change: float | None, reason: str, requested_by: str,
                       now: dt.datetime | None = None) -> str:
    """Record a dispute (by the employee) or a manual adjustment (by a manager); append-only. Returns its id."""
    if kind not in ("dispute", "adjustment"):
        raise PublishError(f"kind {kind!r}: write dispute or adjustment")
    if table_name not in ADJUSTABLE:
        raise PublishError(f"{table_name!r} cannot be adjusted; adjustable: "
                           + ", ".join(f"{n}.{f}" for n, f in ADJUSTABLE.items()))
    if not reason.strip() or not requested_by.strip():
        raise PublishError("an adjustment needs a reason and who asks for it")
    if kind == "adjustment" and change is None:
        raise PublishError("a manual adjustment needs the change (--change)")
    con.execute("begin transaction")
    try:
        ensure_store(con)
        found = con.execute(f"select count(*) from published.{table_name}_current where period = ? and employee_id = ?",
                            [period, employee_id]).fetchone()[0]
        if not found:
            raise PublishError(f"{employee_id} has no published {table_name} row for {period}: only published "
                               "values can be disputed or adjusted")
        n = con.execute("select count(*) from published.adjustments").fetchone()[0]
        adjustment_id = f"ADJ{n + 1:05d}"
        con.execute("insert into published.adjustments values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [adjustment_id, kind, period, employee_id, table_name, ADJUSTABLE[table_name], change, reason,
                     requested_by, now or _now()])
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return adjustment_id


def decide_adjustment(con: duckdb.DuckDBPyConnection, adjustment_id: str, *, approve: bool, decided_by: str,
                      change: float | None = None, note: str | None = None, now: dt.datetime | None = None) -> None:
    """Approve (with the requested or another change) or reject an adjustment, once, by someone else than the asker."""
    con.execute("begin transaction")
    try:
        ensure_store(con)
        row = con.execute("select requested_by, requested_change from published.adjustments where adjustment_id = ?",
                          [adjustment_id]).fetchone()
        if not row:
            raise PublishError(f"no adjustment {adjustment_id}")
        if con.execute("select count(*) from published.adjustment_decisions where adjustment_id = ?",
                       [adjustment_id]).fetchone()[0]:
            raise PublishError(f"{adjustment_id} was already decided; record a new adjustment to change it")
        if decided_by == row[0]:
            raise PublishError(f"{adjustment_id} was asked for by {decided_by}: someone else must decide it")
        approved_change = change if change is not None else row[1]
        if approve and approved_change is None:
            raise PublishError(f"{adjustment_id} asks for no amount: approve it with the change (--change)")
        con.execute("insert into published.adjustment_decisions values (?, ?, ?, ?, ?, ?)",
                    [adjustment_id, "approved" if approve else "rejected", approved_change if approve else None,
                     decided_by, now or _now(), note])
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def published_relations() -> list[str]:
    return ["score_versions", "version_tables", "score_deltas", "adjustments", "adjustment_decisions",
            *[n for t in PUBLISHED_TABLES for n in (t.name, f"{t.name}_current")]]


SERVING_STATE = ".serving_state.json"  # beside serving.duckdb: what the serving copies were written from
_SERVING_FORMAT = 2  # bump when write_serving_copies writes differently, so that every copy is rewritten once


def _serving_orders() -> dict[str, str]:
    """The ORDER BY of each published relation in its serving copies."""
    keys = {n: t.key for t in PUBLISHED_TABLES for n in (t.name, f"{t.name}_current")}
    keys |= {"version_tables": ("table_name",), "score_deltas": ("employee_id", "table_name", "field"),
             "adjustments": ("adjustment_id",), "adjustment_decisions": ("adjustment_id",)}
    return {table: "adjustment_id" if table.startswith("adjustment") else
            "period, version" + "".join(f", {k}" for k in keys.get(table, ())) for table in published_relations()}


def store_state(con: duckdb.DuckDBPyConnection) -> str:
    """A digest of everything the serving copies show, cheap to compute: the versions, adjustments and decisions
    (every row), the row count of every published table, and the published schema's columns.

    Published rows are only ever appended, each version with its score_versions row (verify_published checks the
    ledger before every publication), so equal states mean equal copies.
    """
    tables = [r for r in published_relations() if not r.endswith("_current")]
    parts = [f"format {_SERVING_FORMAT}", repr(_serving_orders())]
    for sql in ("select * from published.score_versions order by period, version",
                "select * from published.adjustments order by adjustment_id",
                "select * from published.adjustment_decisions order by adjustment_id",
                "select table_name, ordinal_position, column_name, data_type from information_schema.columns "
                "where table_catalog = current_database() and table_schema = 'published' order by 1, 2",
                "select " + ", ".join(f"(select count(*) from published.{t})" for t in tables)):
        parts.append(repr(con.execute(sql).fetchall()))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _file_stamps(paths: Iterable[Path]) -> dict[str, list[int]] | None:
    """Size and modification time (ns) of each file; None when one is missing."""
    stamps = {}
    for path in paths:
        try:
            st = path.stat()
        except FileNotFoundError:
            return None
        stamps[path.name] = [st.st_size, st.st_mtime_ns]
    return stamps


def write_serving_copies(con: duckdb.DuckDBPyConnection, published_dir: Path) -> dict[str, Path]:
    """Parquet per published table and a read-only serving DuckDB file, each replaced atomically.

    Skipped when the published store is unchanged since the copies were last written: SERVING_STATE (beside
    serving.duckdb) records the store's state (store_state) and each file's size and modification time, so a
    copy deleted, replaced or modified since is written again, with all the others.
    """
    parquet_dir = published_dir / "parquet"
    orders = _serving_orders()
    written = {table: parquet_dir / f"{table}.parquet" for table in orders}
    serving = published_dir / "serving.duckdb"
    marker = published_dir / SERVING_STATE
    state = store_state(con)
    try:
        recorded = json.loads(marker.read_text())
    except (OSError, ValueError):
        recorded = None
    if recorded and recorded.get("state") == state and recorded.get("files") == _file_stamps([*written.values(),
                                                                                               serving]):
        return {**written, "serving_duckdb": serving}

    marker.unlink(missing_ok=True)
    parquet_dir.mkdir(parents=True, exist_ok=True)
    for table, final in written.items():
        tmp = parquet_dir / f".{table}.parquet.tmp"
        con.execute(f"copy (select * from published.{table} order by {orders[table]}) to '{tmp}' (format parquet)")
        os.replace(tmp, final)

    # The serving file reads the Parquet files just written (already sorted: faster than sorting the tables again).
    tmp_db = published_dir / ".serving.duckdb.tmp"
    tmp_db.unlink(missing_ok=True)
    out = duckdb.connect(str(tmp_db))
    try:
        out.execute("create schema published")
        for table, path in written.items():
            out.execute(f"create table published.{table} as select * from read_parquet('{path}')")
    finally:
        out.close()
    os.replace(tmp_db, serving)
    tmp_marker = published_dir / f".{SERVING_STATE}.tmp"
    tmp_marker.write_text(json.dumps({"state": state, "files": _file_stamps([*written.values(), serving])}))
    os.replace(tmp_marker, marker)
    return {**written, "serving_duckdb": serving}
