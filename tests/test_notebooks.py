"""The analyst notebooks run headless against a small published company and render to HTML reports.

Each notebook attaches the numbers it shows as key figures (JSON); the tests recompute them here, independently,
from the published tables of the serving copy.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import nbformat
import pandas as pd
import pytest

from orchestration.notebook_reports import NotebookError, key_figures, notebook_paths, render_html, run_notebooks

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = {"attribution_waterfall", "follow_up_efficiency", "forecast_accuracy", "hiring_funnel", "kpi_overview",
             "sales_quota"}


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("scorelink_notebooks")
    env = {**os.environ, "SCORELINK_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    for key in ("SCORELINK_LANDING", "SCORELINK_WAREHOUSE", "SCORELINK_PERIOD"):
        env.pop(key, None)
    run = subprocess.run([sys.executable, "-m", "orchestration.cli", "demo", "--employees", "40", "--months", "4",
                          "--seed", "5"], cwd=REPO, env=env, capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stdout + run.stderr
    return home


@pytest.fixture(scope="module")
def run(home):
    """Run every notebook once on the latest published period; the executed notebooks by name."""
    reports = run_notebooks(home)
    out = home / "reports" / "notebooks"
    assert [p.name for p in reports] == [f"{p.stem}.html" for p in notebook_paths()]
    return {p.stem: nbformat.read(out / f"{p.stem}.ipynb", as_version=4) for p in notebook_paths()}


def figures(nb) -> dict:
    merged = {}
    for part in key_figures(nb):
        merged.update(part)
    return merged


def query(home, sql, params=()):
    with duckdb.connect(str(home / "published" / "serving.duckdb"), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


@pytest.fixture(scope="module")
def period(home):
    return query(home, "select max(period) from published.score_versions")[0][0]


def outputs(nb):
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]


@pytest.mark.slow
def test_every_notebook_runs_and_renders_html_with_its_charts(home, run):
    assert NOTEBOOKS <= set(run)
    out = home / "reports" / "notebooks"
    for name, nb in run.items():
        assert not [o for o in outputs(nb) if o.output_type == "error"], name
        charts = [o for o in outputs(nb) if "image/png" in o.get("data", {})]
        assert len(charts) >= 2, f"{name} drew {len(charts)} charts"
        page = (out / f"{name}.html").read_text(encoding="utf-8")
        assert page.count("data:image/png;base64,") == len(charts), name
        assert "<h1>" in page and "<table" in page, name  # markdown and pandas tables rendered, not raw text
        assert key_figures(nb), f"{name} shows no key figures"
    index = (out / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{name}.html"' in index for name in run)


@pytest.mark.slow
def test_attribution_waterfall_components_sum_to_the_published_excess(home, run, period):
    shown = figures(run["attribution_waterfall"])
    assert shown["period"] == period
    target, ending, purchasing, operations, sales, excess, p_share, o_share, s_share = query(home, """
        select sum(target_qty), sum(ending_qty), sum(purchasing_qty), sum(operations_qty), sum(sales_qty),
               sum(excess_value_base), sum(purchasing_excess_value_base), sum(operations_excess_value_base),
               sum(sales_excess_value_base)
        from published.inventory_attribution_current where period = ?""", [period])[0]
    assert excess > 0  # the small company holds excess stock, so the waterfall is not trivially empty
    assert shown["target_qty"] == pytest.approx(float(target))
    assert shown["ending_qty"] == pytest.approx(float(ending))
    for driver, value in (("purchasing", purchasing), ("operations", operations), ("sales", sales)):
        assert shown[f"{driver}_qty"] == pytest.approx(float(value), abs=1e-6)
    # the waterfall lands: target + the three components = ending stock; the three shares = the excess
    assert shown["target_qty"] + shown["purchasing_qty"] + shown["operations_qty"] + shown["sales_qty"] \
        == pytest.approx(shown["ending_qty"], abs=1e-6)
    assert shown["excess_value_base"] == pytest.approx(float(excess), abs=1e-4)
    assert shown["purchasing_excess_value_base"] == pytest.approx(float(p_share), abs=1e-4)
    assert shown["operations_excess_value_base"] == pytest.approx(float(o_share), abs=1e-4)
    assert shown["sales_excess_value_base"] == pytest.approx(float(s_share), abs=1e-4)
    assert shown["purchasing_excess_value_base"] + shown["operations_excess_value_base"] \
        + shown["sales_excess_value_base"] == pytest.approx(shown["excess_value_base"], abs=1e-4)
    top = query(home, """
        select employee_id, department, sum(attributed_excess_value_base) as v
        from published.attribution_people_current where period = ?
        group by all order by v desc limit 1""", [period])[0]
    assert (shown["top_employee_id"], shown["top_department"]) == top[:2]
    assert shown["top_attributed_excess_value_base"] == pytest.approx(float(top[2]), abs=1e-4)


@pytest.mark.slow
def test_forecast_accuracy_matches_the_published_metric_and_the_sku_rows(home, run, period):
    shown = figures(run["forecast_accuracy"])
    planners = query(home, """
        select subject_id, numerator, denominator from published.metric_values_current
        where period = ? and metric = 'forecast_accuracy' and subject_type = 'person'""", [period])
    assert planners and set(shown["planners"]) == {p for p, _, _ in planners}
    for planner, num, den in planners:
        assert shown["planners"][planner]["accuracy"] == pytest.approx(1 - float(num) / float(den), abs=1e-6)
    num, den = query(home, """
        select sum(abs(sold_qty - forecast_qty)), sum(sold_qty) from published.inventory_attribution_current
        where period = ? and has_forecast""", [period])[0]
    assert shown["sku_level_accuracy"] == pytest.approx(1 - float(num) / float(den), abs=1e-9)
    # the sku view reconciles with the company metric the KPI engine published
    assert shown["company_accuracy"] == pytest.approx(shown["sku_level_accuracy"], abs=1e-6)
    worst = query(home, """
        select sku, abs(sold_qty - forecast_qty) as e from published.inventory_attribution_current
        where period = ? and has_forecast order by e desc, sku limit 1""", [period])[0]
    assert shown["worst_sku_abs_error"] == pytest.approx(float(worst[1]))


@pytest.mark.slow
def test_follow_up_rate_per_salesperson_month_is_numerator_over_denominator(home, run, period):
    shown = figures(run["follow_up_efficiency"])["people"]
    rows = query(home, """
        select r.subject_id, r.numerator, r.denominator, coalesce(c.value, 0)
        from published.metric_values_current r
        left join published.metric_values_current c
          on c.period = r.period and c.metric = 'follow_up_count' and c.subject_type = 'person'
          and c.subject_id = r.subject_id
        where r.period = ? and r.metric = 'new_customer_follow_up_rate' and r.subject_type = 'person'
          and r.denominator > 0""", [period])
    assert rows and set(shown) == {r[0] for r in rows}
    for person, num, den, follow_ups in rows:
        assert shown[person]["new_customers"] == float(den)
        assert shown[person]["contacted_in_window"] == float(num)
        assert shown[person]["follow_up_rate"] == pytest.approx(float(num) / float(den))
        assert shown[person]["follow_ups"] == float(follow_ups)


@pytest.mark.slow
def test_hiring_funnel_shows_the_published_recruiting_outcomes(home, run, period):
    shown = figures(run["hiring_funnel"])
    stages = {"sales_hiring_fill_rate": ("sales_filled", "sales_closed"), "time_to_fill_days": ("days_to_fill", "filled"),
              "new_hire_retention_12m": ("retained_12m", "hires_12m_ago")}
    rows = query(home, """select metric, period, numerator, denominator from published.metric_values_current
                          where subject_type = 'company' and metric in ('sales_hiring_fill_rate', 'time_to_fill_days',
                                                                        'new_hire_retention_12m')""")
    assert rows and shown["months_with_outcomes"] == len({p for _, p, _, _ in rows})
    for metric, (num, den) in stages.items():
        if num != "days_to_fill":
            assert shown[f"all_months_{num}"] == pytest.approx(sum(float(n) for m, _, n, _ in rows if m == metric))
        assert shown[f"all_months_{den}"] == pytest.approx(sum(float(d) for m, _, _, d in rows if m == metric))
    in_period = {m: (float(n), float(d)) for m, p, n, d in rows if p == period}
    if not in_period:  # no requisition closed or filled and no hire anniversary in the month: no month figures
        assert "sales_closed" not in shown
    for metric, (num, den) in stages.items():
        if metric in in_period and num != "days_to_fill":
            assert (shown[num], shown[den]) == pytest.approx(in_period[metric])
    if "time_to_fill_days" in in_period:
        days, filled = in_period["time_to_fill_days"]
        assert shown["filled"] == filled and shown["avg_days_to_fill"] == pytest.approx(days / filled)


STAGE_ORDER = {"applied": 1, "screened": 2, "interviewed": 3, "offered": 4, "hired": 5}


def landing_funnel(home, periods):
    """The funnel recomputed with pandas from the landing CSV files, independently of dbt: candidates who applied in
    the periods, by the furthest stage reached (rejected / withdrawn: the application, or the offer when dated)."""
    candidates = pd.read_csv(home / "landing" / "hr" / "candidates" / "candidates.csv", dtype=str)
    requisitions = pd.read_csv(home / "landing" / "hr" / "requisitions" / "requisitions.csv", dtype=str)
    rows = candidates[candidates["applied_date"].str[:7].isin(periods)].merge(
        requisitions[["requisition_id", "department_id"]], on="requisition_id", how="left")
    furthest = [max(STAGE_ORDER.get(stage, 1), 4 if isinstance(offer, str) else 1)
                for stage, offer in zip(rows["stage"], rows["offer_date"], strict=True)]
    rows = rows.assign(furthest=furthest, dropped=rows["stage"].isin(["rejected", "withdrawn"]))
    entered = {stage: int((rows["furthest"] >= k).sum()) for stage, k in STAGE_ORDER.items()}
    at_stage = {stage: int(((rows["furthest"] == k) & ~rows["dropped"]).sum()) for stage, k in STAGE_ORDER.items()}
    dropped = {stage: int(((rows["furthest"] == k) & rows["dropped"]).sum()) for stage, k in STAGE_ORDER.items()}
    return rows, entered, at_stage, dropped


@pytest.mark.slow
def test_hiring_funnel_stages_match_the_candidates_of_the_landing_files(home, run, period):
    shown = figures(run["hiring_funnel"])
    assert shown["funnel_period"] == period
    published = [p for (p,) in query(home, "select distinct period from published.score_versions")]
    all_rows, all_entered, _, _ = landing_funnel(home, published)
    assert all_entered["applied"] > all_entered["hired"] > 0  # the demo has applicants and hires: not vacuous
    assert shown["all_months_entered"] == {s: float(n) for s, n in all_entered.items()}
    rows, entered, at_stage, dropped = landing_funnel(home, [period])
    assert shown["cohort_entered"] == {s: float(n) for s, n in entered.items()}
    assert shown["cohort_at_stage"] == {s: float(n) for s, n in at_stage.items()}
    assert shown["cohort_dropped"] == {s: float(n) for s, n in dropped.items()}
    assert (shown["cohort_applicants"], shown["cohort_hired"]) == (entered["applied"], entered["hired"])
    for stage, previous in zip(list(STAGE_ORDER)[1:], list(STAGE_ORDER)[:-1], strict=True):
        expected = entered[stage] / entered[previous] if entered[previous] else None
        assert shown["cohort_conversion"][stage] == (pytest.approx(expected) if expected is not None else None)
    # reporting by the department that hires: the requisitions' departments, not the recruiters'
    by_hiring = rows.groupby("department_id").size().to_dict()
    assert shown["applicants_by_hiring_department"] == {d: float(n) for d, n in by_hiring.items()}
    hired = rows[rows["furthest"] == 5].groupby("department_id").size()
    assert shown["hired_by_hiring_department"] == {d: float(hired.get(d, 0)) for d in by_hiring}
    # the published table holds the same cohort
    assert dict(query(home, """select stage, sum(candidates_entered) from published.hiring_funnel_current
                               where period = ? group by stage""", [period])) == (
        {s: n for s, n in entered.items()} if entered["applied"] else {})


@pytest.mark.slow
def test_kpi_overview_averages_match_the_published_scores(home, run, period):
    shown = figures(run["kpi_overview"])
    by_role = dict(query(home, """select role, avg(final_score) from published.role_scores_current
                                  where period = ? and final_score is not null group by role""", [period]))
    assert by_role and shown["average_final_score_by_role"] == pytest.approx(by_role)
    overall = query(home, """select avg(final_score) from published.role_scores_current
                             where period = ? and final_score is not null""", [period])[0][0]
    assert shown["average_final_score"] == pytest.approx(overall)
    by_kpi = {f"{r}|{k}": float(v) for r, k, v in query(home, """
        select role, kpi, avg(score) from published.kpi_scores_current
        where period = ? and score_status = 'scored' group by all""", [period])}
    assert by_kpi and shown["average_kpi_score"] == pytest.approx(by_kpi)


@pytest.mark.slow
def test_sales_quota_totals_match_the_published_rep_scores(home, run, period):
    shown = figures(run["sales_quota"])
    revenue, quota = query(home, """select sum(revenue_base), sum(quota_base) from published.sales_rep_scores_current
                                    where period = ? and quota_base is not null""", [period])[0]
    assert shown["revenue_base"] == pytest.approx(float(revenue)) and shown["quota_base"] == pytest.approx(float(quota))


def _messages(nb):
    return [o["data"]["text/markdown"] for o in outputs(nb) if "text/markdown" in o.get("data", {})]


@pytest.mark.slow
def test_a_period_without_rows_or_nothing_published_shows_a_message_instead_of_failing(home, tmp_path):
    other, empty = tmp_path / "other", tmp_path / "empty"
    shutil.copytree(home / "published", other / "published")
    shutil.copytree(home / "published", empty / "published")
    with duckdb.connect(str(empty / "published" / "serving.duckdb")) as con:
        for (table,) in con.execute("select table_name from information_schema.tables "
                                    "where table_schema = 'published'").fetchall():
            con.execute(f"delete from published.{table}")
    run_notebooks(other, period="1999-01")
    run_notebooks(empty)
    for path in notebook_paths():
        for where, expected in ((other, "in 1999-01"), (empty, "yet: nothing is published")):
            nb = nbformat.read(where / "reports" / "notebooks" / path.name, as_version=4)
            assert not [o for o in outputs(nb) if o.output_type == "error"], (path.stem, where.name)
            assert any(m.startswith("**No ") and expected in m for m in _messages(nb)), (path.stem, where.name)
    assert "1999-01" in (other / "reports" / "notebooks" / "index.html").read_text(encoding="utf-8")


def test_notebooks_read_published_data_only():
    assert NOTEBOOKS <= {p.stem for p in notebook_paths()}
    for path in notebook_paths():
        nb = nbformat.read(path, as_version=4)
        source = "\n".join(c.source for c in nb.cells)
        assert "serving.duckdb" in source and "read_only=True" in source
        assert "warehouse" not in source.replace("never the live warehouse", "")
        parameters = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(parameters) == 1 and "SCORELINK_HOME" in parameters[0].source \
            and "SCORELINK_PERIOD" in parameters[0].source, path.stem


def test_missing_published_data_or_a_bad_period_is_a_clear_error(tmp_path):
    with pytest.raises(NotebookError, match="no published data"):
        run_notebooks(tmp_path)
    with pytest.raises(NotebookError, match="no notebook nope"):
        notebook_paths(["nope"])
    with pytest.raises(NotebookError, match="'2025-13' is not a month YYYY-MM"):
        run_notebooks(tmp_path, period="2025-13")


def test_html_report_renders_markdown_embeds_charts_and_escapes_code():
    nb = nbformat.v4.new_notebook(metadata={"title": "t <1>"})
    code = nbformat.v4.new_code_cell("print('<b>')")
    code.outputs = [nbformat.v4.new_output("stream", text="<b>\n"),
                    nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=\n", "text/plain": "fig"}),
                    nbformat.v4.new_output("display_data", data={"text/html": "<table><script>x()</script></table>",
                                                                 "text/plain": "df"}),
                    nbformat.v4.new_output("display_data", data={"application/json": {"a": 1}},
                                           metadata={"scorelink": "key_figures"})]
    nb.cells = [nbformat.v4.new_markdown_cell("# Title\n\n*note* <script>x()</script>"), code]
    page = render_html(nb)
    assert "<h1>Title</h1>" in page and "<em>note</em>" in page
    assert "<script>" not in page and "&lt;script&gt;" in page  # markdown html escaped, table scripts dropped
    assert "print(&#x27;&lt;b&gt;&#x27;)" in page and "<pre class=\"out\">&lt;b&gt;" in page
    assert page.count('src="data:image/png;base64,iVBORw0KGgo="') == 1
    assert "<title>t &lt;1&gt;</title>" in page
    assert key_figures(nb) == [{"a": 1}]
