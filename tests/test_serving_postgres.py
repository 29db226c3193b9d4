"""PostgreSQL serving store on a real server: row-level security follows the org tree; a failed copy changes nothing."""

import uuid

import duckdb
import psycopg2
import pytest
from published_marts import create_missing_marts
from test_publish import MART

import orchestration.serving_postgres as serving
from orchestration.publish import publish_scores
from orchestration.serving_postgres import grant_manager_role, serve_postgres

# E9 is the general manager; E1 (manages E4, who has no score) and E2 (manages E3) report to E9.
ORG = """
create table marts.dim_employees as select * from (values
  ('E9', null, 'D0'), ('E1', 'E9', 'D1'), ('E4', 'E1', 'D1'), ('E2', 'E9', 'D1'), ('E3', 'E2', 'D9'))
  t(employee_id, manager_id, department_id);
"""
# Hiring funnel rows (January cohort): D1 hires through recruiter E3, D0 through E4, D9 through nobody.
FUNNEL = """
insert into marts.fct_hiring_funnel_months (application_month, hiring_department_id, role, recruiter_id,
  recruiter_department_id, stage, stage_order, candidates_entered, candidates_at_stage, candidates_dropped, stays_dated)
values (date '2024-01-01', 'D1', 'sales_rep', 'E3', 'D9', 'applied', 1, 4, 4, 0, 0),
       (date '2024-01-01', 'D0', 'general_manager', 'E4', 'D1', 'applied', 1, 2, 2, 0, 0),
       (date '2024-01-01', 'D9', 'buyer', 'unassigned', 'unassigned', 'applied', 1, 1, 1, 0, 0);
"""


@pytest.fixture
def warehouse():
    con = duckdb.connect()
    con.execute(MART + ORG)
    create_missing_marts(con)
    con.execute(FUNNEL)
    publish_scores(con, run_id="run-1")
    yield con
    con.close()


@pytest.fixture
def roles(postgres_dsn):
    """Login roles for this test (roles are server-wide: unique names, dropped afterwards)."""
    suffix = uuid.uuid4().hex[:8]
    names = {k: f"{k}_{suffix}" for k in ("mgr_e1", "mgr_e2", "emp_e3", "nobody")}
    admin = psycopg2.connect(postgres_dsn)
    admin.autocommit = True
    with admin.cursor() as cur:
        for name in names.values():
            cur.execute(f"create role {name} login")
    yield names
    with admin.cursor() as cur:
        for name in names.values():
            cur.execute(f"drop owned by {name}; drop role {name}")
    admin.close()


def _as(dsn, role, sql):
    parts = dict(item.split("=", 1) for item in dsn.split())
    parts["user"] = role
    with psycopg2.connect(" ".join(f"{k}={v}" for k, v in parts.items())) as conn, conn.cursor() as cur:
        cur.execute(sql)
        rows = cur.fetchall()
    conn.close()
    return rows


def test_each_manager_sees_only_their_subtree(warehouse, postgres_dsn, roles):
    counts = serve_postgres(warehouse, postgres_dsn)
    assert counts["role_scores"] == 5 and counts["org_employees"] == 5
    grant_manager_role(postgres_dsn, roles["mgr_e1"], "E1")
    grant_manager_role(postgres_dsn, roles["mgr_e2"], "E2")
    grant_manager_role(postgres_dsn, roles["emp_e3"], "E3")
    grant_manager_role(postgres_dsn, roles["nobody"], "E404")  # mapped to no employee in the org tree
    sql = "select distinct employee_id from scorelink_published.role_scores_current order by 1"
    assert _as(postgres_dsn, roles["mgr_e1"], sql) == [("E1",)]
    assert _as(postgres_dsn, roles["mgr_e2"], sql) == [("E2",), ("E3",)]
    assert _as(postgres_dsn, roles["emp_e3"], sql) == [("E3",)]  # manages nobody: their own rows
    assert _as(postgres_dsn, roles["nobody"], sql) == []
    assert _as(postgres_dsn, "scorelink_admin", sql) == [("E1",), ("E2",), ("E3",)]  # the owner sees all
    # the same filter on the base tables, and company-level tables stay readable
    assert _as(postgres_dsn, roles["mgr_e2"], "select distinct employee_id from scorelink_published.sales_rep_scores "
                                              "order by 1") == [("E2",)]
    assert _as(postgres_dsn, roles["mgr_e1"], "select org.employee_id from scorelink_published.org_employees org "
                                              "order by 1") == [("E1",), ("E4",)]
    assert _as(postgres_dsn, roles["nobody"], "select count(*) from scorelink_published.score_versions") == [(2,)]
    # the hiring funnel: rows of a recruiter in the reader's subtree, or of a department someone there works in
    funnel = "select hiring_department_id from scorelink_published.hiring_funnel_current order by 1"
    assert _as(postgres_dsn, roles["mgr_e1"], funnel) == [("D0",), ("D1",)]  # E4 recruits for D0; E1, E4 are in D1
    assert _as(postgres_dsn, roles["mgr_e2"], funnel) == [("D1",), ("D9",)]  # E3 recruits for D1; E3 is in D9
    assert _as(postgres_dsn, roles["emp_e3"], funnel) == [("D1",), ("D9",)]
    assert _as(postgres_dsn, roles["nobody"], funnel) == []
    # the published values arrive unchanged
    assert _as(postgres_dsn, roles["mgr_e2"], "select period, version, final_score from "
                                              "scorelink_published.role_scores_current where employee_id = 'E2' "
                                              "order by 1") == [("2024-01", 1, 96.0), ("2024-02", 1, None)]
    # a role that was never granted the reader role cannot read at all
    admin = psycopg2.connect(postgres_dsn)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"revoke scorelink_reader from {roles['nobody']}")
    admin.close()
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        _as(postgres_dsn, roles["nobody"], sql)


def test_a_failed_copy_leaves_the_previous_serving_state(warehouse, postgres_dsn, roles, monkeypatch):
    serve_postgres(warehouse, postgres_dsn)
    grant_manager_role(postgres_dsn, roles["mgr_e2"], "E2")
    warehouse.execute("update marts.fct_sales_rep_monthly_scores set score = 95 where employee_id = 'E1' "
                      "and month = date '2024-01-01'")
    publish_scores(warehouse, run_id="run-2")
    real_copy = serving._copy_table

    def failing_copy(cur, schema, name, path):
        if name == "kpi_scores":
            raise RuntimeError("disk full")
        real_copy(cur, schema, name, path)

    monkeypatch.setattr(serving, "_copy_table", failing_copy)
    with pytest.raises(RuntimeError, match="disk full"):
        serve_postgres(warehouse, postgres_dsn)
    sql = "select period, max(version) from scorelink_published.score_versions group by 1 order by 1"
    assert _as(postgres_dsn, "scorelink_admin", sql) == [("2024-01", 1), ("2024-02", 1)]
    monkeypatch.setattr(serving, "_copy_table", real_copy)
    serve_postgres(warehouse, postgres_dsn)
    assert _as(postgres_dsn, "scorelink_admin", sql) == [("2024-01", 2), ("2024-02", 1)]
    # the role mapping survives a new copy
    assert _as(postgres_dsn, roles["mgr_e2"], "select distinct employee_id from scorelink_published.role_scores "
                                              "order by 1") == [("E2",), ("E3",)]


def _as_owner(dsn, sql):
    """Change the serving schema by hand, as its owner (autocommit)."""
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql)
    conn.close()


def _schema_oid(dsn):
    """The serving schema's oid: a copy builds a new schema and renames it into place, so a new oid means a copy."""
    return _as(dsn, "scorelink_admin", "select oid from pg_namespace where nspname = 'scorelink_published'")


def test_an_unchanged_store_is_not_copied_again(warehouse, postgres_dsn):
    first = serve_postgres(warehouse, postgres_dsn)
    assert not first.skipped
    oid = _schema_oid(postgres_dsn)
    again = serve_postgres(warehouse, postgres_dsn)
    assert again.skipped and again == first and _schema_oid(postgres_dsn) == oid
    # a no-op publication changes nothing served either
    assert not any(p.published for p in publish_scores(warehouse, run_id="run-2"))
    assert serve_postgres(warehouse, postgres_dsn).skipped

    # a restatement is copied
    warehouse.execute("update marts.fct_sales_rep_monthly_scores set score = 95 where employee_id = 'E1' "
                      "and month = date '2024-01-01'")
    publish_scores(warehouse, run_id="run-3")
    assert not serve_postgres(warehouse, postgres_dsn).skipped
    sql = "select period, max(version) from scorelink_published.score_versions group by 1 order by 1"
    assert _as(postgres_dsn, "scorelink_admin", sql) == [("2024-01", 2), ("2024-02", 1)]
    assert serve_postgres(warehouse, postgres_dsn).skipped

    # a change of the org tree (not in the published store) is copied
    warehouse.execute("update marts.dim_employees set manager_id = 'E1' where employee_id = 'E3'")
    assert not serve_postgres(warehouse, postgres_dsn).skipped
    assert _as(postgres_dsn, "scorelink_admin", "select manager_id from scorelink_published.org_employees "
                                                "where employee_id = 'E3'") == [("E1",)]

    # rows deleted on the PostgreSQL side by hand are copied again
    _as_owner(postgres_dsn, "delete from scorelink_published.role_scores where employee_id = 'E2'")
    assert not serve_postgres(warehouse, postgres_dsn).skipped
    published = warehouse.execute("select count(*) from published.role_scores where employee_id = 'E2'").fetchall()
    assert published == [(3,)]  # January v1 and v2, February v1
    assert _as(postgres_dsn, "scorelink_admin", "select count(*) from scorelink_published.role_scores "
                                                "where employee_id = 'E2'") == published
    # a dropped schema is copied again, and force copies an unchanged store
    _as_owner(postgres_dsn, "drop schema scorelink_published cascade")
    assert not serve_postgres(warehouse, postgres_dsn).skipped
    oid = _schema_oid(postgres_dsn)
    assert not serve_postgres(warehouse, postgres_dsn, force=True).skipped
    assert _schema_oid(postgres_dsn) != oid
