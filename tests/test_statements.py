"""Per-employee statement: published score, trend, targets and the data behind each KPI, as escaped plain HTML."""

import duckdb
import pytest
from published_marts import create_missing_marts

from orchestration.publish import decide_adjustment, publish_scores, request_adjustment, write_serving_copies
from orchestration.statements import StatementError, write_statement

WAREHOUSE = """
create schema marts;
create schema intermediate;
create table intermediate.int_data_window as
  select date '2024-01-01' as first_data_date, date '2024-02-29' as last_data_date;
create table marts.fct_sales_rep_monthly_scores (
  employee_id varchar, month date, days_as_sales_rep integer, revenue_base decimal(28, 6),
  quota_base decimal(28, 6), quota_attainment decimal(28, 6), score decimal(28, 6), order_count bigint,
  line_count bigint);
insert into marts.fct_sales_rep_monthly_scores values
  ('E1', date '2024-01-01', 31, 9000, 10000, 0.9, 90, 3, 5),
  ('E1', date '2024-02-01', 29, 12000, 10000, 1.2, 120, 4, 6);
create table marts.fct_role_scores as
select employee_id, 'month' as period_type, strftime(month, '%Y-%m') as period, month as period_start,
       last_day(month) as period_end, 'D1' as department_id, 'sales_rep' as role, 'south' as region,
       'veteran' as tenure_band, 'inventory_trading' as scorecard, '2024.1' as scorecard_version, 1 as version_count,
       'scored' as score_status, days_as_sales_rep as role_days, days_as_sales_rep as scored_days, 2 as kpis_scored,
       2 as kpis_total, score * 0.9 as own_kpi_score, score * 0.6 as financial_score, score * 0.3 as customer_score,
       0.0 as process_score, 0.0 as learning_score, null::double as mentee_score, 0 as mentee_count,
       10.0 as mentor_share_pct, 2.5 as team_bonus_points, 'E9' as bonus_team_lead_id,
       score * 0.9 as score_before_bonus, score * 0.9 + 2.5 as final_score
from marts.fct_sales_rep_monthly_scores;
create table marts.fct_kpi_scores as
select r.employee_id, r.period_type, r.period_start, r.period_start as first_day, r.period_end as last_day,
       'A1|2024.1|all' as segment_id, 'A1' as assignment_id, r.role, r.region, 'all' as tenure_band,
       r.scorecard_version, r.role_days as segment_days, k.kpi, k.kpi_label, k.bsc_perspective, 'person' as subject_type,
       r.employee_id as subject_id, k.weight, k.weight as effective_weight, 'scored' as score_status, k.unit,
       'higher_is_better' as direction, 'linear' as curve, 'plan' as target_source, k.value_formula,
       k.actual, k.target, k.actual / k.target as attainment, 100 * k.actual / k.target as score,
       k.weight * k.actual / k.target as contribution, k.actual as numerator, k.denominator,
       null::double as prior_numerator, null::double as prior_denominator, 5 as source_row_count,
       r.scorecard, r.role_days as scored_days, r.role_days, 1 as months_measured, true as is_counted, r.period_end
from marts.fct_role_scores r,
     (values ('revenue', 'Revenue <b>net</b>', 'financial', 60.0, 'currency', 'sum', 9000.0, 10000.0, null::double),
             ('new_offline_channels', 'New offline channels', 'customer', 40.0, 'count', 'sum', 3.0, 2.0, null))
       k(kpi, kpi_label, bsc_perspective, weight, unit, value_formula, actual, target, denominator);
create table marts.fct_score_lineage as
select employee_id, period_type, period_start, segment_id, kpi, subject_type, subject_id, period_start as month,
       segment_days as days_in_month, target as target_month, numerator, denominator, prior_numerator,
       prior_denominator, 'stg_erp__sales_orders' as source_table, 5 as source_row_count, 5 as event_count
from marts.fct_kpi_scores;
create table marts.fct_metric_events as
select 'revenue' as metric, date '2024-02-01' as month, 'E1' as employee_id, 'E9' as team_lead_id,
       'D1' as department_id, 'stg_erp__sales_orders' as source_table, 'SO-<7>' as source_key,
       date '2024-02-03' as event_date, 1800.0 as numerator, null::double as denominator;
"""

# a fiscal quarter December..January: published with January, the month that closes it
INCENTIVES = """
create table marts.fct_incentives as
select * from (values
  ('E1', date '2023-12-01', 'FY24-Q1', 'inventory_trading', '2024.1', 'sales_rep', 'digestion_rate', '',
   83.5, 2.5, 9000.0, 270.0, 3000.0, 0.835, 2505.0, 3, 1, 12.0, 300.6, 2204.4, 2474.4, true, date '2024-01-31'))
  t(employee_id, period_start, period, scorecard, scorecard_version, role, breached_rules, promotion_blocking_rules,
    final_score, team_bonus_points, commission_result_base, commission_base, bonus_target_base, bonus_factor,
    gross_bonus_base, rules_checked, rules_breached, deduction_pct, deduction_base, net_bonus_base,
    total_incentive_base, is_promotion_eligible, period_end);
"""


@pytest.fixture
def stores(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute(WAREHOUSE + INCENTIVES)
    create_missing_marts(con)
    publish_scores(con, run_id="run-1")
    serving = write_serving_copies(con, tmp_path / "published")["serving_duckdb"]
    con.close()
    return warehouse, serving


def test_statement_holds_the_published_score_each_kpi_and_the_trend(stores, tmp_path):
    warehouse, serving = stores
    path = write_statement(warehouse, serving, "E1", "2024-02", tmp_path / "statements")
    assert path.name == "statement_E1_2024-02_v1.html"
    page = path.read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    assert "110.50" in page  # final score: 120 * 0.9 + 2.5
    assert "83.50" in page  # January, in the trend
    for kpi in ("revenue", "new_offline_channels", "New offline channels"):
        assert kpi in page
    assert "Revenue &lt;b&gt;net&lt;/b&gt;" in page and "<b>net</b>" not in page  # text is escaped
    assert "SO-&lt;7&gt;" in page  # a source key behind the KPI
    assert "10,000.0000" in page  # the revenue target
    assert "class=\"warn\"" not in page
    # the incentives of the latest quarter closed up to the month (published with January)
    assert "Incentives, FY24-Q1" in page and "2,474.40" in page and "digestion_rate" in page


def test_statement_flags_a_warehouse_that_moved_on_since_publication(stores, tmp_path):
    warehouse, serving = stores
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update marts.fct_role_scores set final_score = 1 where period = '2024-02'")
    page = write_statement(warehouse, serving, "E1", "2024-02", tmp_path).read_text(encoding="utf-8")
    assert "class=\"warn\"" in page and "110.50" in page


def test_unpublished_person_or_period_is_a_clear_error(stores, tmp_path):
    warehouse, serving = stores
    with pytest.raises(StatementError, match="E2 has no published score for 2024-02"):
        write_statement(warehouse, serving, "E2", "2024-02", tmp_path)
    with pytest.raises(StatementError, match="YYYY-MM"):
        write_statement(warehouse, serving, "E1", "2024-Q1", tmp_path)


def test_statement_shows_an_approved_adjustment_without_a_false_drift_warning(stores, tmp_path):
    warehouse, _ = stores
    with duckdb.connect(str(warehouse)) as con:
        adj = request_adjustment(con, kind="dispute", period="2024-02", employee_id="E1", change=4.0,
                                 reason="order missing", requested_by="E1")
        decide_adjustment(con, adj, approve=True, decided_by="M1")
        publish_scores(con, run_id="run-2")
        serving = write_serving_copies(con, tmp_path / "published2")["serving_duckdb"]
    page = write_statement(warehouse, serving, "E1", "2024-02", tmp_path).read_text(encoding="utf-8")
    assert "114.50" in page and "Adjusted by ADJ00001" in page and "was 110.50" in page
    assert "class=\"warn\"" not in page  # the warehouse agrees with the unadjusted published score
