"""Publication: versioned, immutable snapshots; republishing the same inputs is a no-op."""

import datetime as dt
from decimal import Decimal

import duckdb
import pytest
from published_marts import create_missing_marts

from orchestration.publish import PublishError, _ledger_batches, publish_scores, verify_published, write_serving_copies

MART = """
create schema marts;
create schema intermediate;
create table intermediate.int_data_window as
  select date '2024-01-01' as window_start, date '2024-03-02' as window_end,
         date '2024-01-01' as first_data_date, date '2024-03-02' as last_data_date;
create table marts.fct_sales_rep_monthly_scores (
  employee_id varchar, month date, days_as_sales_rep integer, revenue_base decimal(28, 6),
  quota_base decimal(28, 6), quota_attainment decimal(28, 6), score decimal(28, 6), order_count bigint,
  line_count bigint);
insert into marts.fct_sales_rep_monthly_scores values
  ('E1', date '2024-01-01', 31, 9000, 10000, 0.9, 90, 3, 5),
  ('E2', date '2024-01-01', 31, 15000, 10000, 1.5, 120, 4, 9),
  ('E1', date '2024-02-01', 29, 0, 10000, 0, 0, 0, 0),
  ('E2', date '2024-02-01', 10, 500, null, null, null, 1, 1),
  ('E1', date '2024-03-01', 2, 100, 10000, 0.01, 1, 1, 1);
create table marts.fct_role_scores as
select employee_id, 'month' as period_type, month as period_start, 'D1' as department_id, 'sales_rep' as role,
       'south' as region, 'veteran' as tenure_band, 'inventory_trading' as scorecard, '2024.1' as scorecard_version,
       'scored' as score_status, days_as_sales_rep as role_days, days_as_sales_rep as scored_days, 3 as kpis_scored,
       3 as kpis_total, score * 0.8 as own_kpi_score, score * 0.5 as financial_score, score * 0.2 as customer_score,
       score * 0.1 as process_score, 0.0 as learning_score, null as mentee_score, 0.0 as team_bonus_points,
       score * 0.8 as final_score
from marts.fct_sales_rep_monthly_scores
union all
select 'E3', 'month', date '2024-01-01', 'D9', 'buyer', 'hq', 'new_hire', 'inventory_trading', '2024.1', 'scored',
       31, 31, 4, 4, 77.5, 30, 20, 20, 7.5, null, 0, 77.5
union all
select 'E3', 'quarter', date '2024-01-01', 'D9', 'buyer', 'hq', 'new_hire', 'inventory_trading', '2024.1', 'scored',
       91, 91, 4, 4, 70, 30, 20, 15, 5, null, 0, 70;
"""


@pytest.fixture
def con():
    c = duckdb.connect()
    c.execute(MART)
    create_missing_marts(c)
    yield c
    c.close()


def _versions(con):
    return con.execute("select period, version, row_count, changed_rows, reason from published.score_versions "
                       "order by period, version").fetchall()


def test_first_publication_covers_closed_periods_only(con):
    results = publish_scores(con, run_id="run-1")
    # rows: role scores of every active employee of the month (monthly rows only)
    assert [(r.period, r.version, r.rows) for r in results] == [("2024-01", 1, 3), ("2024-02", 1, 2)]
    assert con.execute("select employee_id, role, final_score from published.role_scores_current "
                       "where period = '2024-01' order by 1").fetchall() == [
        ("E1", "sales_rep", 72.0), ("E2", "sales_rep", 96.0), ("E3", "buyer", 77.5)]
    assert con.execute("select distinct scorecard_version from published.score_versions").fetchall() == [("2024.1",)]
    # 2024-03 is open: the data reaches 2024-03-02 only
    assert con.execute("select count(*) from published.sales_rep_scores where period = '2024-03'").fetchone()[0] == 0
    assert con.execute("select employee_id, revenue_base, score from published.sales_rep_scores_current "
                       "where period = '2024-01' order by 1").fetchall() == [("E1", 9000, 90.0), ("E2", 15000, 120.0)]


def test_republishing_the_same_inputs_is_a_no_op(con):
    publish_scores(con, run_id="run-1")
    before = con.execute("select * from published.sales_rep_scores order by all").fetchall()
    results = publish_scores(con, run_id="run-2")
    assert not any(r.published for r in results)
    assert _versions(con) == [("2024-01", 1, 3, 0, "first publication (period close)"),
                              ("2024-02", 1, 2, 0, "first publication (period close)")]
    assert con.execute("select * from published.sales_rep_scores order by all").fetchall() == before


def test_changed_inputs_make_a_restatement_and_keep_the_old_version(con):
    publish_scores(con, run_id="run-1")
    con.execute("update marts.fct_sales_rep_monthly_scores set revenue_base = 9500, quota_attainment = 0.95, "
                "score = 95 where employee_id = 'E1' and month = date '2024-01-01'")
    results = publish_scores(con, run_id="run-2")
    assert [(r.period, r.version, r.published) for r in results] == [("2024-01", 2, True), ("2024-02", 1, False)]
    assert _versions(con)[:2] == [("2024-01", 1, 3, 0, "first publication (period close)"),
                                  ("2024-01", 2, 3, 1, "restatement: data changed in sales_rep_scores")]
    assert con.execute("select version, score from published.sales_rep_scores where period = '2024-01' "
                       "and employee_id = 'E1' order by version").fetchall() == [(1, 90.0), (2, 95.0)]
    assert con.execute("select score from published.sales_rep_scores_current where period = '2024-01' "
                       "and employee_id = 'E1'").fetchone()[0] == 95.0


def test_serving_copies_hold_the_published_rows(con, tmp_path):
    publish_scores(con, run_id="run-1")
    files = write_serving_copies(con, tmp_path)
    serving = duckdb.connect(str(files["serving_duckdb"]), read_only=True)
    try:
        assert serving.execute("select count(*) from published.sales_rep_scores_current").fetchone()[0] == 4
        assert serving.execute("select count(*) from published.role_scores_current").fetchone()[0] == 5
        published_at = serving.execute("select max(published_at) from published.score_versions").fetchone()[0]
    finally:
        serving.close()
    assert isinstance(published_at, dt.datetime)
    assert duckdb.sql(f"select count(*) from '{files['sales_rep_scores']}'").fetchone()[0] == 4
    assert not list(tmp_path.glob(".*.tmp"))


MORE_MARTS = """
create table marts.fct_incentives as
select * from (values
  ('E1', date '2024-01-01', '2024-Q1', 'inventory_trading', '2024.1', 'sales_rep', '', '', 72.0, 0.0, 9000.0, 270.0,
   3000.0, 0.72, 2160.0, 3, 0, 0.0, 0.0, 2160.0, 2430.0, true, date '2024-03-31'),
  ('E1', date '2023-10-01', '2023-Q4', 'inventory_trading', '2024.1', 'sales_rep', '', '', 50.0, 0.0, 0.0, 0.0,
   3000.0, 0.5, 1500.0, 3, 1, 10.0, 150.0, 1350.0, 1350.0, true, date '2023-12-31'))
  t(employee_id, period_start, period, scorecard, scorecard_version, role, breached_rules, promotion_blocking_rules,
    final_score, team_bonus_points, commission_result_base, commission_base, bonus_target_base, bonus_factor,
    gross_bonus_base, rules_checked, rules_breached, deduction_pct, deduction_base, net_bonus_base,
    total_incentive_base, is_promotion_eligible, period_end);
create table marts.fct_attribution_department_months as
select * from (values ('purchasing', date '2024-01-01', 10.0, 6.0, 60.0, 100.0),
                      ('sales', date '2024-01-01', 5.0, 4.0, 40.0, 100.0),
                      ('sales', date '2024-02-01', 1.0, 1.0, 10.0, 10.0))
  t(department, month, component_qty, attributed_excess_qty, attributed_excess_value_base, total_excess_value_base);
"""


@pytest.fixture
def con_more():
    c = duckdb.connect()
    c.execute(MART)
    c.execute(MORE_MARTS)
    create_missing_marts(c)
    yield c
    c.close()


def test_every_mart_is_published_per_month_under_the_scores_version(con_more):
    con = con_more
    # a quarter's incentives belong to the month that closes the quarter: 2024-Q1 closes in 2024-03 (still open)
    con.execute("update intermediate.int_data_window set last_data_date = date '2024-03-31'")
    results = publish_scores(con, run_id="run-1")
    assert [(r.period, r.version) for r in results] == [("2024-01", 1), ("2024-02", 1), ("2024-03", 1)]
    assert con.execute("select period, version, employee_id, quarter, total_incentive_base "
                       "from published.incentives_current").fetchall() == [("2024-03", 1, "E1", "2024-Q1", 2430)]
    assert con.execute("select period, department, attributed_excess_value_base from "
                       "published.attribution_departments_current order by 1, 2").fetchall() == [
        ("2024-01", "purchasing", 60), ("2024-01", "sales", 40), ("2024-02", "sales", 10)]
    # the published tables keep the mart's column names, after period and version
    cols = [r[0] for r in con.execute("describe published.attribution_departments").fetchall()]
    assert cols == ["period", "version", "department", "month", "component_qty", "attributed_excess_qty",
                    "attributed_excess_value_base", "total_excess_value_base"]
    # a change in a mart without employees restates the period, with no changed employee
    con.execute("update marts.fct_attribution_department_months set attributed_excess_value_base = 11 "
                "where month = date '2024-02-01'")
    results = publish_scores(con, run_id="run-2")
    assert [(r.period, r.version, r.published, r.changed_rows) for r in results] == [
        ("2024-01", 1, False, 0), ("2024-02", 2, True, 0), ("2024-03", 1, False, 0)]
    assert con.execute("select version, attributed_excess_value_base from published.attribution_departments "
                       "where period = '2024-02' order by 1").fetchall() == [(1, 10), (2, 11)]


def test_a_published_row_changed_behind_the_publisher_stops_the_next_publication(con):
    publish_scores(con, run_id="run-1")
    con.execute("delete from published.sales_rep_scores where period = '2024-01' and employee_id = 'E2'")
    with pytest.raises(PublishError, match=r"published.sales_rep_scores 2024-01 v1 changed after publication"):
        publish_scores(con, run_id="run-2")


def test_the_ledger_check_reads_the_store_in_bounded_batches_and_still_finds_a_change(con):
    publish_scores(con, run_id="run-1")
    ledger = con.execute("select period, version, table_name, row_count, fingerprint "
                         "from published.version_tables").fetchall()
    assert {r[0] for r in ledger} == {"2024-01", "2024-02"}
    # batches of at most batch_rows published rows (a period larger than that is a batch of its own)
    rows = {r[0]: r[3] for r in ledger if r[2] == "role_scores"}
    assert _ledger_batches(ledger, "role_scores", batch_rows=10**6) == [["2024-01", "2024-02"]]
    assert _ledger_batches(ledger, "role_scores", batch_rows=1) == [["2024-01"], ["2024-02"]]
    assert _ledger_batches(ledger, "role_scores", batch_rows=rows["2024-01"]) == [["2024-01"], ["2024-02"]]
    verify_published(con, batch_rows=1)  # one period per query: the same digests as the ledger's
    verify_published(con)
    # a change in the second batch is found as well as one in the first
    con.execute("update published.role_scores set final_score = final_score + 1 "
                "where period = '2024-02' and employee_id = 'E1'")
    with pytest.raises(PublishError, match=r"published.role_scores 2024-02 v1 changed after publication"):
        verify_published(con, batch_rows=1)
    with pytest.raises(PublishError, match=r"published.role_scores 2024-02 v1 changed after publication"):
        verify_published(con)


def test_a_missing_mart_is_a_clear_error():
    c = duckdb.connect()
    c.execute(MART)
    with pytest.raises(PublishError, match="marts.fct_incentives"):
        publish_scores(c, run_id="run-1")
    c.close()


def test_a_restatement_records_per_employee_deltas_and_a_given_reason(con):
    publish_scores(con, run_id="run-1")
    old_counts = con.execute("select period, version, table_name, row_count from published.version_tables "
                             "order by all").fetchall()
    con.execute("update marts.fct_sales_rep_monthly_scores set revenue_base = 9500, quota_attainment = 0.95, "
                "score = 95 where employee_id = 'E1' and month = date '2024-01-01'")
    [r] = publish_scores(con, run_id="run-2", periods=["2024-01"], reason="late orders of 31 January",
                         published_by="hr:anna")
    assert (r.version, r.changed_rows) == (2, 1)
    assert con.execute("select reason, previous_version, published_by from published.score_versions "
                       "where period = '2024-01' and version = 2").fetchone() == (
        "late orders of 31 January (restatement: data changed in sales_rep_scores)", 1, "hr:anna")
    assert con.execute("select employee_id, table_name, field, old_value, new_value, delta from published.score_deltas "
                       "where period = '2024-01' and version = 2 and previous_version = 1 order by field").fetchall() == [
        ("E1", "sales_rep_scores", "quota_attainment", "0.9", "0.95", pytest.approx(0.05)),
        ("E1", "sales_rep_scores", "revenue_base", "9000.00", "9500.00", 500.0),
        ("E1", "sales_rep_scores", "score", "90.0", "95.0", 5.0)]
    # nothing of version 1 changed: every table keeps its row count, and the ledger still matches the rows
    for period, version, name, count in old_counts:
        assert con.execute(f"select count(*) from published.{name} where period = ? and version = ?",
                           [period, version]).fetchone()[0] == count
    assert con.execute("select count(*) from published.sales_rep_scores where period = '2024-01'").fetchone()[0] == 4


def test_an_open_period_or_a_failed_gate_is_not_published(con):
    with pytest.raises(PublishError, match="period 2024-03 is not closed"):
        publish_scores(con, run_id="run-1", periods=["2024-03"])
    con.execute("""create schema quality;
        create table quality.validation_results as select 'publish_role_scores' as suite, 'publish' as family,
          'marts.fct_role_scores' as table_name, 'marts/fct_role_scores' as asset_key, 'run-9' as run_id,
          timestamp '2024-03-02 03:00' as validated_at, false as suite_success, 0 as expectation_index,
          'expect_x' as expectation, 'd' as description, 'critical' as severity, false as success,
          3 as unexpected_count, 10 as element_count, '[]' as examples, '' as query, null as error""")
    with pytest.raises(PublishError, match="gx:publish_role_scores"):
        publish_scores(con, run_id="run-1")
    # the refused publication rolled back entirely (not even the store was created)
    assert con.execute("select count(*) from information_schema.tables where table_schema = 'published'"
                       ).fetchone()[0] == 0


# Two cohorts of one requisition's candidates (D410 hires sales reps through recruiter E7 of D600) and one of March,
# which is open: the hand-made funnel rows fct_hiring_funnel_months would hold (stages applied, offered and hired).
HIRING_FUNNEL_MART = """
create table marts.fct_hiring_funnel_months as
select * from (values
  (date '2024-01-01', 'D410', 'sales_rep', 'E7', 'D600', 'applied', 1, 5, 2, 1, null, 1.0, 0.0, 0.0, 0, null, null),
  (date '2024-01-01', 'D410', 'sales_rep', 'E7', 'D600', 'offered', 4, 2, 1, 0, 0.4, 0.4, 12.5, 12.5, 1, 3.0, 3.0),
  (date '2024-01-01', 'D410', 'sales_rep', 'E7', 'D600', 'hired', 5, 1, 1, 0, 0.5, 0.2, 16.0, 16.0, 0, null, null),
  (date '2024-02-01', 'D410', 'sales_rep', 'E7', 'D600', 'applied', 1, 3, 3, 0, null, 1.0, 0.0, 0.0, 0, null, null),
  (date '2024-03-01', 'D410', 'sales_rep', 'E7', 'D600', 'applied', 1, 1, 1, 0, null, 1.0, 0.0, 0.0, 0, null, null))
  t(application_month, hiring_department_id, role, recruiter_id, recruiter_department_id, stage, stage_order,
    candidates_entered, candidates_at_stage, candidates_dropped, conversion_from_previous, share_of_applicants,
    avg_days_from_application, median_days_from_application, stays_dated, avg_days_in_stage, median_days_in_stage);
"""


def test_the_hiring_funnel_is_published_per_application_month_with_both_departments(tmp_path):
    con = duckdb.connect()
    try:
        con.execute(MART + HIRING_FUNNEL_MART)
        create_missing_marts(con)
        publish_scores(con, run_id="run-1")
        assert con.execute("select period, stage, candidates_entered, candidates_at_stage, conversion_from_previous, "
                           "hiring_department_id, recruiter_department_id from published.hiring_funnel_current "
                           "order by period, stage_order").fetchall() == [
            ("2024-01", "applied", 5, 2, None, "D410", "D600"), ("2024-01", "offered", 2, 1, Decimal("0.4"), "D410", "D600"),
            ("2024-01", "hired", 1, 1, Decimal("0.5"), "D410", "D600"), ("2024-02", "applied", 3, 3, None, "D410", "D600")]
        # March is open (the data reaches 2 March): its cohort is not published yet
        assert con.execute("select count(*) from published.hiring_funnel where period = '2024-03'").fetchone()[0] == 0
        # a cohort moving on restates its month, with no employee's scores changed
        con.execute("update marts.fct_hiring_funnel_months set candidates_at_stage = 2 "
                    "where application_month = date '2024-02-01'")
        results = publish_scores(con, run_id="run-2")
        assert [(r.period, r.version, r.published, r.changed_rows) for r in results] == [
            ("2024-01", 1, False, 0), ("2024-02", 2, True, 0)]
        assert con.execute("select reason from published.score_versions where period = '2024-02' and version = 2"
                           ).fetchone()[0] == "restatement: data changed in hiring_funnel"
        files = write_serving_copies(con, tmp_path)
    finally:
        con.close()
    assert duckdb.sql(f"select period, version, candidates_at_stage from '{files['hiring_funnel_current']}' "
                      "where stage = 'applied' order by 1").fetchall() == [("2024-01", 1, 2), ("2024-02", 2, 2)]
    with duckdb.connect(str(files["serving_duckdb"]), read_only=True) as serving:
        assert serving.execute("select sum(candidates_entered) from published.hiring_funnel_current "
                               "where stage = 'applied'").fetchone()[0] == 8
