"""PostgreSQL serving store: the published tables and views in their own schema, with row-level security.

    serve_postgres(warehouse_con, "host=... dbname=... user=owner")      # scorelink serve-postgres --dsn ...
    grant_manager_role(dsn, "anna", "E00012")                            # scorelink serve-postgres --grant anna=E00012

What it writes, in one transaction (a failed copy leaves the previous serving state untouched):
  - schema scorelink_published: every published table of the DuckDB store (published.*), copied with COPY, the
    <name>_current views (security_invoker, so row-level security applies to the reader), and org_employees
    (employee_id, manager_id, department_id from marts.dim_employees: the HR org tree at publication);
  - the new schema is built as scorelink_published_next and renamed into place at the end, so readers wait only
    for the swap.
  - the schema's comment records what it was copied from (the published store's state, the org tree, the copy's
    format); a refresh of an unchanged store is skipped when the comment and every table's row count still match
    (force=True copies anyway: `scorelink serve-postgres` does).
Access (kept across copies, in schema scorelink_access):
  - scorelink_access.manager_roles (role_name -> employee_id): which database role is which employee;
  - scorelink_access.subtree_of(role) (security definer): the role's employee and everyone below them in the org
    tree (recursive over org_employees.manager_id);
  - group role scorelink_reader: SELECT on the schema. Policies on person-level tables (role_scores,
    sales_rep_scores, incentives, kpi_scores, attribution_people, score_deltas, adjustments, org_employees, and
    person/team rows of metric_values) let a reader see rows of their own subtree only; hiring_funnel rows are seen
    by the readers whose subtree holds the row's recruiter or someone of its hiring department. A manager sees their
    team; an employee who manages nobody sees their own rows; a reader role mapped to no employee sees no
    person-level row. Company-level tables (score_versions, version_tables, inventory_attribution,
    attribution_departments, department and company metric values) are readable by every reader. The owner
    (the DSN's user) and superusers bypass row-level security and see everything.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from pathlib import Path

import duckdb
import psycopg2

from orchestration.publish import PUBLISHED_TABLES, store_state

SCHEMA = "scorelink_published"
ACCESS = "scorelink_access"
READER = "scorelink_reader"
BASE_TABLES = ("score_versions", "version_tables", "score_deltas", "adjustments", "adjustment_decisions",
               *(t.name for t in PUBLISHED_TABLES))
# Row filters for the reader (any other published table is readable whole).
SUBTREE = f"{ACCESS}.subtree_of(current_user)"
POLICIES = {
    **{t.name: f"employee_id in (select {SUBTREE})" for t in PUBLISHED_TABLES if "employee_id" in t.columns},
    "score_deltas": f"employee_id in (select {SUBTREE})",
    "adjustments": f"employee_id in (select {SUBTREE})",
    "adjustment_decisions": f"adjustment_id in (select adjustment_id from {SCHEMA}.adjustments)",
    "org_employees": f"employee_id in (select {SUBTREE})",
    "metric_values": f"subject_type not in ('person', 'team') or subject_id in (select {SUBTREE})",
    # a recruiter's funnel rows: their managers (and themselves); a hiring department's: the readers with someone
    # of that department in their subtree (org_employees, itself filtered to the reader's subtree)
    "hiring_funnel": f"recruiter_id in (select {SUBTREE}) or hiring_department_id in "
                     f"(select department_id from {SCHEMA}.org_employees)",
}
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
STATE_PREFIX = "scorelink-state:"  # the serving schema's comment: STATE_PREFIX + _state(...)
_FORMAT = 1  # bump when serve_postgres writes differently, so that the next refresh copies again


class ServedRows(dict):
    """Rows per table of the serving schema; skipped: the schema already held exactly this state (nothing copied)."""

    def __init__(self, counts: dict[str, int], skipped: bool):
        super().__init__(counts)
        self.skipped = skipped


class ServingError(RuntimeError):
    """The published store or the org tree is missing, or a role name is not a plain identifier."""


def _pg_type(duck_type: str) -> str:
    t = duck_type.upper()
    if t in ("VARCHAR", "TEXT") or t.startswith("VARCHAR"):
        return "text"
    if t == "DOUBLE":
        return "double precision"
    if t.startswith("DECIMAL"):
        return t.replace("DECIMAL", "numeric").lower()
    return {"INTEGER": "integer", "BIGINT": "bigint", "DATE": "date", "TIMESTAMP": "timestamp",
            "BOOLEAN": "boolean", "HUGEINT": "numeric(38,0)"}.get(t, "text")


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(f"describe {relation}").fetchall()]


def _csv(con: duckdb.DuckDBPyConnection, relation: str, folder: Path) -> Path:
    path = folder / f"{relation.replace('.', '_')}.csv"
    # NULL as an unquoted empty field, empty text quoted: PostgreSQL's COPY ... CSV reads them back the same.
    con.execute(f"copy (select * from {relation}) to '{path}' (format csv, header false)")
    return path


def _ddl(schema: str, name: str, cols: list[tuple[str, str]]) -> str:
    return f"create table {schema}.{name} (" + ", ".join(f'"{c}" {_pg_type(t)}' for c, t in cols) + ")"


def _copy_table(cur, schema: str, name: str, csv_path: Path) -> None:
    with csv_path.open("rb") as f:
        cur.copy_expert(f"copy {schema}.{name} from stdin with (format csv)", f)


def _ensure_access(cur) -> None:
    cur.execute(f"""
        do $$ begin
          if not exists (select 1 from pg_roles where rolname = '{READER}') then create role {READER} nologin; end if;
        end $$;
        create schema if not exists {ACCESS};
        create table if not exists {ACCESS}.manager_roles (
          role_name text primary key, employee_id text not null);
        revoke all on {ACCESS}.manager_roles from public;
        grant usage on schema {ACCESS} to {READER};
    """)


def _state(con: duckdb.DuckDBPyConnection, org_relation: str) -> str:
    """What the serving schema shows: the published store's state (publish.store_state: every version, adjustment
    and decision, each table's row count and columns), the org tree's rows, the policies and the copy's format."""
    org = con.execute(f"select md5(coalesce(string_agg(cast(row(employee_id, manager_id, department_id) as varchar), "
                      f"chr(10) order by employee_id, manager_id, department_id), '')) from {org_relation}").fetchone()[0]
    text = f"format {_FORMAT}\n{store_state(con)}\n{org}\n{sorted(POLICIES.items())}"
    return hashlib.sha256(text.encode()).hexdigest()


def _already_served(dsn: str, state: str, counts: dict[str, int]) -> bool:
    """The serving schema carries `state` in its comment and every table holds the expected number of rows."""
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("select obj_description(oid, 'pg_namespace') from pg_namespace where nspname = %s", [SCHEMA])
            row = cur.fetchone()
            if not row or row[0] != STATE_PREFIX + state:
                return False
            for name, expected in counts.items():  # the owner reads past row-level security
                cur.execute(f"select count(*) from {SCHEMA}.{name}")
                if cur.fetchone()[0] != expected:
                    return False
            return True
    except psycopg2.Error:  # a table dropped or renamed by hand: copy again
        return False
    finally:
        conn.close()


def serve_postgres(con: duckdb.DuckDBPyConnection, dsn: str, *, force: bool = False) -> ServedRows:
    """Copy the published store of `con` (the warehouse) into PostgreSQL; returns the rows per table.

    Skipped (ServedRows.skipped) when the serving schema already holds this state, unless force."""
    existing = {n for (n,) in con.execute(
        "select table_name from information_schema.tables where table_schema = 'published'").fetchall()}
    missing = [t for t in BASE_TABLES if t not in existing]
    if missing:
        raise ServingError(f"nothing to serve: published.{missing[0]} does not exist (publish a period first)")
    try:
        con.execute("select employee_id, manager_id, department_id from marts.dim_employees limit 0")
    except duckdb.Error as exc:
        raise ServingError("marts.dim_employees (the HR org tree) is missing: run the pipeline") from exc

    relations = {name: f"published.{name}" for name in BASE_TABLES}
    relations["org_employees"] = "(select employee_id, manager_id, department_id from marts.dim_employees)"
    counts = {name: con.execute(f"select count(*) from {rel}").fetchone()[0] for name, rel in relations.items()}
    state = _state(con, relations["org_employees"])
    if not force and _already_served(dsn, state, counts):
        return ServedRows(counts, skipped=True)
    staging = f"{SCHEMA}_next"
    with tempfile.TemporaryDirectory(prefix="scorelink_pg_") as tmp:
        files, columns = {}, {}
        for name, rel in relations.items():
            if rel.startswith("("):
                con.execute(f"create or replace temp view _serve_{name} as select * from {rel} order by 1")
                rel = f"_serve_{name}"
            columns[name] = _columns(con, rel)
            files[name] = _csv(con, rel, Path(tmp))

        conn = psycopg2.connect(dsn)
        try:
            with conn, conn.cursor() as cur:  # one transaction: commit at the end, rollback on any error
                _ensure_access(cur)
                cur.execute(f"drop schema if exists {staging} cascade; create schema {staging}")
                for name in relations:
                    cur.execute(_ddl(staging, name, columns[name]))
                    _copy_table(cur, staging, name, files[name])
                for t in PUBLISHED_TABLES:
                    cur.execute(f"""
                        create view {staging}.{t.name}_current with (security_invoker = true) as
                        select s.* from {staging}.{t.name} s
                        join (select period, max(version) as version from {staging}.score_versions group by period) v
                          using (period, version)""")
                cur.execute(f"comment on schema {staging} is %s", [STATE_PREFIX + state])
                cur.execute(f"drop schema if exists {SCHEMA} cascade; alter schema {staging} rename to {SCHEMA}")
                cur.execute(f"""
                    create or replace function {ACCESS}.subtree_of(role_name text) returns setof text
                    language sql stable security definer set search_path = pg_catalog as $$
                      with recursive tree(employee_id) as (
                        select m.employee_id from {ACCESS}.manager_roles m where m.role_name = $1
                        union
                        select e.employee_id from {SCHEMA}.org_employees e join tree t on e.manager_id = t.employee_id
                      )
                      select employee_id from tree
                    $$;
                    revoke all on function {ACCESS}.subtree_of(text) from public;
                    grant execute on function {ACCESS}.subtree_of(text) to {READER};
                    grant usage on schema {SCHEMA} to {READER};
                    grant select on all tables in schema {SCHEMA} to {READER};
                """)
                for name, condition in POLICIES.items():
                    cur.execute(f"alter table {SCHEMA}.{name} enable row level security; "
                                f"create policy reader_subtree on {SCHEMA}.{name} for select to {READER} "
                                f"using ({condition})")
        finally:
            conn.close()
    return ServedRows(counts, skipped=False)


def grant_manager_role(dsn: str, role_name: str, employee_id: str) -> None:
    """Map a database role to an employee and make it a reader (the role itself is created by the DBA)."""
    if not ROLE_NAME.match(role_name):
        raise ServingError(f"role {role_name!r}: use a plain lower-case identifier")
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            _ensure_access(cur)
            cur.execute(f"insert into {ACCESS}.manager_roles values (%s, %s) on conflict (role_name) "
                        "do update set employee_id = excluded.employee_id", [role_name, employee_id])
            cur.execute(f'grant {READER} to "{role_name}"')
    finally:
        conn.close()


__all__ = ["ServedRows", "ServingError", "grant_manager_role", "serve_postgres"]
