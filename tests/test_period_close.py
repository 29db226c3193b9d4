"""The period close as people and schedules run it: the CLI commands and the monthly Dagster partition."""

import json
import os
from unittest import mock

import dagster as dg
import duckdb
import pytest
from published_marts import create_missing_marts
from test_publish import MART
from typer.testing import CliRunner

from orchestration.cli import app
from orchestration.publish_assets import published_period_close
from orchestration.settings import get_settings
from orchestration.warehouse import WarehouseResource

PASSING_GATE = """
create schema quality;
create table quality.validation_results as select 'publish_role_scores' as suite, 'publish' as family,
  'marts.fct_role_scores' as table_name, 'marts/fct_role_scores' as asset_key, 'run-7' as run_id,
  timestamp '2024-03-02 03:00' as validated_at, true as suite_success, 0 as expectation_index,
  'expect_x' as expectation, 'd' as description, 'critical' as severity, true as success,
  0 as unexpected_count, 10 as element_count, '[]' as examples, '' as query, null as error;
"""


@pytest.fixture
def home(tmp_path, monkeypatch):
    for name in ("SCORELINK_LANDING", "SCORELINK_WAREHOUSE", "SCORELINK_SERVING_POSTGRES_DSN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SCORELINK_HOME", str(tmp_path))
    get_settings.cache_clear()
    path = get_settings().warehouse_path
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute(MART + PASSING_GATE)
        create_missing_marts(con)
    # the CLI exports its settings into os.environ (SCORELINK_WAREHOUSE ...): undo all of it, or later tests
    # (and the subprocesses they start) inherit this test's warehouse
    with mock.patch.dict(os.environ):
        yield tmp_path
    get_settings.cache_clear()


def _query(sql):
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_cli_publish_dispute_approve_republish(home):
    runner = CliRunner()
    out = runner.invoke(app, ["publish", "--period", "2024-01", "--by", "hr.anna"])
    assert out.exit_code == 0, out.output
    assert "2024-01: published version 1" in out.output
    out = runner.invoke(app, ["publish", "--period", "2024-01"])
    assert "2024-01: unchanged, version 1 stays current" in out.output
    out = runner.invoke(app, ["dispute", "E1", "2024-01", "--change", "3", "--reason", "missing order", "--by", "E1"])
    assert out.exit_code == 0 and "ADJ00001" in out.output
    assert runner.invoke(app, ["approve", "ADJ00001", "--by", "E1"]).exit_code == 1  # not by the asker
    assert runner.invoke(app, ["approve", "ADJ00001", "--by", "M7", "--note", "ok"]).exit_code == 0
    out = runner.invoke(app, ["publish", "--period", "2024-01", "--reason", "dispute of E1", "--by", "hr.anna"])
    assert "2024-01: published version 2" in out.output and "1 employees changed" in out.output
    assert _query("select version, reason, published_by from published.score_versions order by version") == [
        (1, "first publication (period close)", "hr.anna"),
        (2, "dispute of E1 (restatement: applies dispute ADJ00001 (final_score +3 for E1, approved by M7: missing "
            "order))", "hr.anna")]
    # the gate results of the latest run are recorded with the version
    gates = json.loads(_query("select gate_results from published.score_versions where version = 2")[0][0])
    assert gates == [{"gate": "gx:publish_role_scores", "passed": True, "run_id": "run-7",
                      "validated_at": "2024-03-02T03:00:00", "critical_failed": 0}]
    # the serving copy has the new version
    with duckdb.connect(str(home / "published" / "serving.duckdb"), read_only=True) as con:
        assert con.execute("select final_score, unadjusted_final_score from published.role_scores_current "
                           "where employee_id = 'E1' and period = '2024-01'").fetchone() == (75.0, 72.0)
    out = runner.invoke(app, ["publish", "--period", "2024-03"])
    assert out.exit_code == 1 and "not closed" in out.output


def test_the_monthly_partition_closes_its_month(home):
    resources = {"warehouse": WarehouseResource(path=str(get_settings().warehouse_path))}
    result = dg.materialize([published_period_close], partition_key="2024-02-01", resources=resources)
    assert result.success
    assert _query("select period, version, published_by from published.score_versions") == [
        ("2024-02", 1, "schedule:scorelink_period_close")]
    # the drafts say so too (scorelink status reads them)
    assert _query("select period, state, published_version from draft.period_status order by 1") == [
        ("2024-01", "unpublished", None), ("2024-02", "published", 1)]
    # an open month fails the run and publishes nothing
    result = dg.materialize([published_period_close], partition_key="2024-03-01", resources=resources,
                            raise_on_error=False)
    assert not result.success
    assert _query("select count(*) from published.score_versions") == [(1,)]


def test_the_close_refreshes_postgres_when_configured(home, postgres_dsn, monkeypatch):
    import psycopg2

    with duckdb.connect(str(get_settings().warehouse_path)) as con:
        con.execute("create table marts.dim_employees as select * from (values ('E1', null, 'D1'), ('E2', 'E1', 'D1'), "
                    "('E3', 'E1', 'D9')) t(employee_id, manager_id, department_id)")
    monkeypatch.setenv("SCORELINK_SERVING_POSTGRES_DSN", postgres_dsn)
    resources = {"warehouse": WarehouseResource(path=str(get_settings().warehouse_path))}
    assert dg.materialize([published_period_close], partition_key="2024-01-01", resources=resources).success
    with psycopg2.connect(postgres_dsn) as conn, conn.cursor() as cur:
        cur.execute("select period, version, count(*) from scorelink_published.role_scores_current group by 1, 2")
        assert cur.fetchall() == [("2024-01", 1, 3)]
    conn.close()


def test_a_pipeline_run_publishes_new_months_but_never_restates(home):
    from orchestration.publish_assets import build_published_scores_asset

    snapshots = build_published_scores_asset([])
    resources = {"warehouse": WarehouseResource(path=str(get_settings().warehouse_path))}
    assert dg.materialize([snapshots], resources=resources).success
    assert _query("select period, version, published_by from published.score_versions order by 1") == [
        ("2024-01", 1, "pipeline"), ("2024-02", 1, "pipeline")]
    with duckdb.connect(str(get_settings().warehouse_path)) as con:
        con.execute("update marts.fct_sales_rep_monthly_scores set score = 95 where employee_id = 'E1' "
                    "and month = date '2024-01-01'")
    assert dg.materialize([snapshots], resources=resources).success
    assert _query("select count(*) from published.score_versions") == [(2,)]  # late data waits for the close
    assert _query("select period, state, published_version from draft.period_status order by 1") == [
        ("2024-01", "restatement pending", 1), ("2024-02", "published", 1)]
    out = CliRunner().invoke(app, ["publish", "--period", "2024-01", "--reason", "late orders"])
    assert "2024-01: published version 2" in out.output
    assert _query("select period, state, published_version from draft.period_status order by 1") == [
        ("2024-01", "published", 2), ("2024-02", "published", 1)]
