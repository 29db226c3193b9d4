"""HR exports: the XLSX and CSV files of a period hold exactly the current published rows of the serving DuckDB."""

import csv
import datetime as dt
from decimal import Decimal

import duckdb
import pytest
from openpyxl import load_workbook
from published_marts import create_missing_marts

from orchestration.hr_exports import ExportError, export_period
from orchestration.publish import publish_scores, write_serving_copies

MART = """
create schema marts;
create schema intermediate;
create table intermediate.int_data_window as
  select date '2024-01-01' as first_data_date, date '2024-02-29' as last_data_date;
create table marts.fct_sales_rep_monthly_scores (
  employee_id varchar, month date, days_as_sales_rep integer, revenue_base decimal(28, 6),
  quota_base decimal(28, 6), quota_attainment decimal(28, 6), score decimal(28, 6), order_count bigint,
  line_count bigint);
insert into marts.fct_sales_rep_monthly_scores values
  ('E1', date '2024-01-01', 31, 9000.25, 10000, 0.900025, 90.0025, 3, 5),
  ('E2', date '2024-01-01', 31, 15000, 10000, 1.5, 120, 4, 9),
  ('E2', date '2024-02-01', 10, 500, null, null, null, 1, 1);
create table marts.fct_role_scores as
select employee_id, 'month' as period_type, month as period_start, 'D1' as department_id, 'sales_rep' as role,
       'south' as region, 'veteran' as tenure_band, 'inventory_trading' as scorecard, '2024.1' as scorecard_version,
       'scored' as score_status, days_as_sales_rep as role_days, days_as_sales_rep as scored_days, 3 as kpis_scored,
       3 as kpis_total, score * 0.8 as own_kpi_score, score * 0.5 as financial_score, score * 0.2 as customer_score,
       score * 0.1 as process_score, 0.0 as learning_score, null as mentee_score, 0.0 as team_bonus_points,
       score * 0.8 as final_score
from marts.fct_sales_rep_monthly_scores
union all
select 'E3', 'month', date '2024-01-01', '=HYPERLINK("x")', 'buyer', 'hq', 'new_hire', 'inventory_trading', '2024.1',
       'scored', 31, 31, 4, 4, 77.123456789, 30, 20, 20, 7.5, null, 0, 77.123456789;
-- a fiscal quarter November..January: its incentives are published with January, the month that closes it
create table marts.fct_incentives as
select * from (values
  ('E1', date '2023-11-01', 'FY24-Q1', 'inventory_trading', '2024.1', 'sales_rep', 'slow_moving_timeliness', '',
   72.0, 0.0, 9000.25, 270.01, 3000.0, 0.72, 2160.0, 3, 1, 10.0, 216.0, 1944.0, 2214.01, true, date '2024-01-31'))
  t(employee_id, period_start, period, scorecard, scorecard_version, role, breached_rules, promotion_blocking_rules,
    final_score, team_bonus_points, commission_result_base, commission_base, bonus_target_base, bonus_factor,
    gross_bonus_base, rules_checked, rules_breached, deduction_pct, deduction_base, net_bonus_base,
    total_incentive_base, is_promotion_eligible, period_end);
"""


@pytest.fixture
def serving(tmp_path):
    con = duckdb.connect()
    con.execute(MART)
    create_missing_marts(con)
    publish_scores(con, run_id="run-1")
    # a restatement of January: the export must take version 2 only
    con.execute("update marts.fct_sales_rep_monthly_scores set score = 95, quota_attainment = 0.95 "
                "where employee_id = 'E1' and month = date '2024-01-01'")
    publish_scores(con, run_id="run-2")
    files = write_serving_copies(con, tmp_path / "published")
    con.close()
    return files["serving_duckdb"]


def _published(serving_db, table, period):
    with duckdb.connect(str(serving_db), read_only=True) as con:
        cur = con.execute(f"select * from published.{table}_current where period = ? order by employee_id", [period])
        return [d[0] for d in cur.description], cur.fetchall()


def _plain(value):
    """A published value as openpyxl reads it back: decimals as floats, dates as ISO text, empty text as empty."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return None if value == "" else value


def test_xlsx_matches_the_current_published_rows(serving, tmp_path):
    paths = export_period(serving, "2024-01", tmp_path / "out")
    assert [p.name for p in paths] == ["scorelink_2024-01_v2.xlsx", "scorelink_2024-01_v2_version.csv",
                                       "scorelink_2024-01_v2_role_scores.csv", "scorelink_2024-01_v2_sales_rep_scores.csv",
                                       "scorelink_2024-01_v2_incentives.csv", "scorelink_2024-01_v2_score_deltas.csv"]
    wb = load_workbook(paths[0], read_only=True)
    assert wb.sheetnames == ["version", "role_scores", "sales_rep_scores", "incentives", "score_deltas"]
    for table in ("role_scores", "sales_rep_scores", "incentives"):
        columns, rows = _published(serving, table, "2024-01")
        sheet = list(wb[table].iter_rows(values_only=True))
        assert list(sheet[0]) == columns
        assert [tuple(r) for r in sheet[1:]] == [tuple(_plain(v) for v in row) for row in rows]
    sales = list(wb["sales_rep_scores"].iter_rows(values_only=True))
    assert [(r[2], r[1], r[-1]) for r in sales[1:]] == [("E1", 2, 95.0), ("E2", 2, 120.0)]
    incentives = list(wb["incentives"].iter_rows(values_only=True))
    assert [dict(zip(incentives[0], r, strict=True))["total_incentive_base"] for r in incentives[1:]] == [2214.01]
    # the restatement's deltas against version 1: E1's sales score 90.0025 -> 95 and attainment 0.900025 -> 0.95
    deltas = list(wb["score_deltas"].iter_rows(values_only=True))
    assert deltas[0] == ("period", "version", "previous_version", "employee_id", "table_name", "field", "old_value",
                         "new_value", "delta")
    assert [r[3:8] for r in deltas[1:]] == [
        ("E1", "sales_rep_scores", "quota_attainment", "0.900025", "0.95"),
        ("E1", "sales_rep_scores", "score", "90.0025", "95.0")]
    assert deltas[2][8] == pytest.approx(4.9975)
    # text that looks like a formula stays text
    role = list(wb["role_scores"].iter_rows(values_only=True))
    assert role[3][3] == '=HYPERLINK("x")'

    version = list(wb["version"].iter_rows(values_only=True))
    with duckdb.connect(str(serving), read_only=True) as con:
        expected = con.execute("select period, version, scorecard_version, published_at from published.score_versions "
                               "where period = '2024-01' and version = 2").fetchone()
    assert version[0][:4] == ("period", "version", "scorecard_version", "published_at")
    assert version[1][:3] == expected[:3]
    assert version[1][3] == expected[3].isoformat(sep=" ")
    wb.close()


def test_csv_matches_the_current_published_rows(serving, tmp_path):
    paths = export_period(serving, "2024-01", tmp_path / "out")
    for table in ("role_scores", "sales_rep_scores", "incentives"):
        columns, rows = _published(serving, table, "2024-01")
        assert rows
        path = next(p for p in paths if p.name.endswith(f"_{table}.csv"))
        with path.open(encoding="utf-8-sig", newline="") as f:
            got = list(csv.reader(f))
        assert got[0] == columns
        assert got[1:] == [["" if v is None else str(v) for v in row] for row in rows]
    assert not list((tmp_path / "out").glob(".*.tmp"))


def test_unknown_period_and_missing_file_are_clear_errors(serving, tmp_path):
    with pytest.raises(ExportError, match="2024-05 is not published; published periods: 2024-01, 2024-02"):
        export_period(serving, "2024-05", tmp_path)
    with pytest.raises(ExportError, match="YYYY-MM"):
        export_period(serving, "2024-Q1", tmp_path)
    with pytest.raises(ExportError, match="no serving DuckDB"):
        export_period(tmp_path / "nope.duckdb", "2024-01", tmp_path)
