"""Scorecards as configuration, and the KPI engine built from them.

Fast tests check the scorecard files and their loader (validation messages name file, role and field). The
slow ones simulate a small company (40 people, 3 months), load it, write the demo scorecard, build the dbt
project and check the scores: every active employee scored exactly once per period, a mid-period transfer
prorated exactly by days, a new scorecard version changing only the periods from its effective date, and
explain / what-if on top.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml
from dbt_runs import load_simulated_company, run_dbt

from orchestration.explain import ExplainError, explain, render_explanation
from orchestration.scorecards import DEFAULT_SCORECARD, SCORECARD_DIR, ScorecardError, load_scorecard
from orchestration.scorecards.assets import SCORECARD_ASSET_KEY, build_scorecard_asset
from orchestration.scorecards.catalog import metric_catalog
from orchestration.scorecards.loader import TABLES, contract_roles, write_scorecards
from orchestration.warehouse import WarehouseResource
from orchestration.whatif import render_whatif, whatif

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = ["sales_company", "inventory_trading", "ecommerce_cross_department", "freight_forwarder"]
DEMO = REPO / "config" / "scorecards" / "inventory_trading.yml"


def edited(tmp_path: Path, name: str, old: str, new: str, source: Path = DEMO) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


# --- the files and their validation -----------------------------------------------------------------------


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_is_valid_and_scores_every_role(template: str) -> None:
    scorecard = load_scorecard(SCORECARD_DIR / f"{template}.yml")
    assert scorecard.name == template
    for version in scorecard.versions:
        assert set(version.roles) == set(contract_roles())
        for variants in version.roles.values():
            for kpis in variants.values():
                assert abs(sum(k.weight for k in kpis) - 100) < 1e-9


def test_the_readme_names_the_demo_scorecard() -> None:
    readme = (SCORECARD_DIR / "README.md").read_text(encoding="utf-8")
    assert DEFAULT_SCORECARD.name in readme
    assert DEFAULT_SCORECARD == DEMO


def test_weights_summing_to_99_fail_naming_file_role_and_field(tmp_path: Path) -> None:
    path = edited(
        tmp_path,
        "weights_99.yml",
        "- {kpi: revenue, weight: 30, target: plan}",
        "- {kpi: revenue, weight: 29, target: plan}",
    )
    with pytest.raises(ScorecardError) as error:
        load_scorecard(path)
    message = str(error.value)
    assert "weights_99.yml" in message
    assert "role sales_rep" in message
    assert "field 'weight'" in message
    assert "sum to 99" in message


def test_a_region_override_is_checked_on_its_own(tmp_path: Path) -> None:
    path = edited(
        tmp_path,
        "south.yml",
        "- {kpi: online_sales_share, weight: 40, target: 0.50}",
        "- {kpi: online_sales_share, weight: 41, target: 0.50}",
    )
    with pytest.raises(
        ScorecardError,
        match=r"south\.yml: version 2024\.1, role sales_rep, region south: "
        r"field 'weight': KPI weights sum to 101",
    ):
        load_scorecard(path)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "kpi: forecast_accuracy, weight: 30",
            "kpi: forecast_acuracy, weight: 30",
            r"role planner, kpi forecast_acuracy: field 'kpi': 'forecast_acuracy' is not in the "
            r"metric library \(did you mean forecast_accuracy\?\)",
        ),
        (
            "{kpi: forecast_accuracy, weight: 30, target: 0.85}",
            "{kpi: forecast_accuracy, weight: 30, target: high}",
            r"role planner, kpi forecast_accuracy: field 'target'",
        ),
        (
            "{kpi: forecast_accuracy, weight: 30, target: 0.85}",
            "{kpi: forecast_accuracy, target: 0.85}",
            r"role planner, kpi forecast_accuracy: field 'weight': Field required",
        ),
        ("          south:", "          sooth:", r"role sales_rep: field 'regions': 'sooth' is not a region"),
        ("      admin_specialist:\n", "      admin_spec:\n", r"field 'roles': 'admin_spec' is not a role"),
        (
            "curve: {type: linear, floor: 0, cap: 1.2}",
            "curve: {type: linear, floor: 2, cap: 1.2}",
            r"role general_manager, kpi new_regions_opened, curve: field 'floor'",
        ),
        (
            "      accountant:\n        same_as: finance_manager\n",
            "",
            r"field 'roles': every role of the landing contract needs a scorecard; missing: accountant",
        ),
    ],
)
def test_invalid_files_name_file_role_and_field(tmp_path: Path, old: str, new: str, expected: str) -> None:
    path = edited(tmp_path, "broken.yml", old, new)
    with pytest.raises(ScorecardError) as error:
        load_scorecard(path)
    assert "broken.yml: version 2024.1" in str(error.value)
    assert error.match(expected)


def test_later_versions_inherit_what_they_do_not_change(tmp_path: Path) -> None:
    text = (
        DEMO.read_text(encoding="utf-8")
        + """
  - version: "2024.2"
    effective_from: 2024-03-01
    note: Revenue weighs more.
    roles:
      sales_rep:
        kpis:
          - {kpi: revenue, weight: 70, target: plan}
          - {kpi: repurchase_rate, weight: 30, target: 0.60}
"""
    )
    path = tmp_path / "two_versions.yml"
    path.write_text(text, encoding="utf-8")
    scorecard = load_scorecard(path)
    first, second = scorecard.versions
    assert first.effective_to == dt.date(2024, 2, 29) and second.effective_to is None
    assert second.roles["buyer"] == first.roles["buyer"]  # carried over
    assert second.settings == first.settings and second.incentives == first.incentives
    assert [k.kpi for k in second.roles["sales_rep"][(None, "all")]] == ["revenue", "repurchase_rate"]
    assert (None, "new_hire") not in second.roles["sales_rep"]  # a role listed again is replaced whole
    assert scorecard.version_on(dt.date(2024, 2, 29)).version == "2024.1"
    assert scorecard.version_on(dt.date(2024, 3, 1)).version == "2024.2"
    assert scorecard.version_on(dt.date(2019, 1, 1)).version == "2024.1"  # the first covers earlier days
    on_first = dt.date(2024, 1, 15)
    assert scorecard.kpis_for(on_first, "sales_rep", "south", new_hire=True)[0].kpi == "follow_up_count"
    assert scorecard.kpis_for(on_first, "sales_rep", "south", new_hire=False)[0].kpi == "online_sales_share"
    assert scorecard.kpis_for(on_first, "sales_rep", "east", new_hire=False)[0].kpi == "revenue"


def test_the_metric_library_has_every_kpi_the_templates_name() -> None:
    catalog = metric_catalog()
    assert len(catalog) >= 30
    named = {
        k.kpi
        for t in TEMPLATES
        for v in load_scorecard(SCORECARD_DIR / f"{t}.yml").versions
        for variants in v.roles.values()
        for kpis in variants.values()
        for k in kpis
    }
    assert named <= set(catalog)
    for metric in catalog.values():
        assert metric.formula and metric.value_formula in {
            "sum",
            "ratio",
            "complement",
            "growth_of_sum",
            "growth_of_ratio",
        }


def test_write_scorecards_replaces_the_config_tables_and_an_invalid_file_changes_nothing(
    tmp_path: Path,
) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        write_scorecards(con, DEMO)
        before = {t: con.execute(f"select * from config.{t} order by all").fetchall() for t in TABLES}
        assert con.execute("select count(distinct role) from config.scorecard_kpis").fetchone()[0] == len(
            contract_roles()
        )
        weights = con.execute(
            "select role, region, tenure_band, sum(weight) from config.scorecard_kpis "
            "group by all having sum(weight) <> 100"
        ).fetchall()
        assert weights == []
        broken = edited(tmp_path, "broken.yml", "weight: 30, target: plan}", "weight: 29, target: plan}")
        with pytest.raises(ScorecardError):
            write_scorecards(con, broken)
        assert {t: con.execute(f"select * from config.{t} order by all").fetchall() for t in TABLES} == before
        write_scorecards(con, SCORECARD_DIR / "sales_company.yml")
        assert con.execute("select distinct scorecard from config.scorecard_kpis").fetchall() == [
            ("sales_company",)
        ]
    finally:
        con.close()


def test_the_scorecard_asset_writes_the_config_source_tables(tmp_path: Path) -> None:
    asset = build_scorecard_asset()
    assert SCORECARD_ASSET_KEY in asset.keys
    assert {k.path[-1] for k in asset.keys} == set(TABLES)
    assert asset.group_names_by_key[SCORECARD_ASSET_KEY] == "config"
    assert "warehouse" in asset.required_resource_keys
    result = dg.materialize(
        [asset], resources={"warehouse": WarehouseResource(path=str(tmp_path / "w.duckdb"))}
    )
    assert result.success
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        assert con.execute("select count(*) from config.scorecard_versions").fetchone()[0] == 1
    finally:
        con.close()


# --- a small simulated company, scored -------------------------------------------------------------------

TRANSFER_DAY = dt.date(2024, 2, 11)  # first day in the new assignment


def _inject_transfer(con: duckdb.DuckDBPyConnection) -> str:
    """Move one northern sales rep to the south on TRANSFER_DAY (re-delivered old row + a new assignment)."""
    employee, assignment = con.execute(
        "select employee_id, assignment_id from raw_hr.job_assignments"
        " where role = 'sales_rep' and region = 'north' and valid_to is null"
        " and valid_from < date '2024-01-01' order by employee_id limit 1"
    ).fetchone()
    con.execute(
        "insert into raw_hr.job_assignments select * replace (date '2024-02-10' as valid_to,"
        " _loaded_at + interval 1 day as _loaded_at) from raw_hr.job_assignments where assignment_id = ?",
        [assignment],
    )
    con.execute(
        "insert into raw_hr.job_assignments select * replace ('TRANSFER-1' as assignment_id,"
        " date '2024-02-11' as valid_from, null::date as valid_to, 'south' as region,"
        " _loaded_at + interval 1 day as _loaded_at) from raw_hr.job_assignments where assignment_id = ?"
        " and valid_to is null",
        [assignment],
    )
    return employee


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("scored_company")
    warehouse = load_simulated_company(work, employees=40, months=3, seed=11)
    con = duckdb.connect(str(warehouse))
    try:
        transferred = _inject_transfer(con)
        write_scorecards(con, DEMO)
    finally:
        con.close()
    run = run_dbt(warehouse, work, "build")
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    return {"warehouse": warehouse, "work": work, "transferred": transferred}


def _query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


@pytest.mark.slow
def test_every_active_employee_gets_exactly_one_score_per_period(company: dict) -> None:
    expected = _query(
        company["warehouse"],
        """
        select distinct d.employee_id, p.period_type, p.period
        from intermediate.int_employee_role_days as d
        inner join intermediate.int_score_period_months as p on d.month = p.month
    """,
    )
    scored = _query(
        company["warehouse"], "select employee_id, period_type, period from marts.fct_role_scores"
    )
    assert len(scored) == len(set(scored)), "someone has two scores for a period"
    assert set(scored) == set(expected)
    assert {p for _, p, _ in scored} == {"month", "quarter", "year"}
    active = _query(company["warehouse"], "select count(*) from marts.dim_employees where is_active")[0][0]
    last_month = _query(
        company["warehouse"],
        "select count(*) from marts.fct_role_scores where period_type = 'month' and period = '2024-03'",
    )[0][0]
    assert last_month >= active > 0


@pytest.mark.slow
def test_a_mid_period_transfer_prorates_exactly_by_days(company: dict) -> None:
    employee = company["transferred"]
    for period, days in (("2024-02", {"north": 10, "south": 19}), ("2024-Q1", {"north": 41, "south": 50})):
        rows = _query(
            company["warehouse"],
            """
            select segment_id, region, segment_days, weight, score, is_counted
            from marts.fct_kpi_scores where employee_id = ? and period = ?
        """,
            [employee, period],
        )
        segments: dict[str, dict] = {}
        for segment_id, region, segment_days, weight, score, counted in rows:
            seg = segments.setdefault(
                segment_id,
                {"region": region, "days": segment_days, "points": Decimal(0), "weight": Decimal(0)},
            )
            if counted:
                seg["points"] += weight * (score or 0)
                seg["weight"] += weight
        assert {s["region"]: s["days"] for s in segments.values()} == days
        expected = sum(Decimal(s["days"]) * s["points"] / s["weight"] for s in segments.values()) / sum(
            s["days"] for s in segments.values()
        )
        ((own, segment_count, role_days),) = _query(
            company["warehouse"],
            "select own_kpi_score, segment_count, role_days from marts.fct_role_scores"
            " where employee_id = ? and period = ?",
            [employee, period],
        )
        assert segment_count == 2 and role_days == sum(days.values())
        assert abs(own - expected) <= Decimal("0.000001"), (period, own, expected)
        # the south segment is scored with the south override, the north one with the north override
        kpis = {
            r[1]: {
                k
                for k, *_ in _query(
                    company["warehouse"],
                    "select kpi from marts.fct_kpi_scores where"
                    " employee_id = ? and period = ? and region = ?",
                    [employee, period, r[1]],
                )
            }
            for r in rows
        }
        assert "online_sales_share" in kpis["south"] and "online_sales_share" not in kpis["north"]
        assert "new_offline_channels" in kpis["north"]


@pytest.mark.slow
def test_the_metric_catalog_in_the_warehouse_is_the_library(company: dict) -> None:
    rows = _query(
        company["warehouse"], "select metric, value_formula, unit from intermediate.int_metric_definitions"
    )
    assert {(m, f, u) for m, f, u in rows} == {
        (m.metric, m.value_formula, m.unit) for m in metric_catalog().values()
    }
    produced = {
        m for (m,) in _query(company["warehouse"], "select distinct metric from marts.fct_metric_events")
    }
    assert len(produced) >= 30 and produced <= set(metric_catalog())


@pytest.mark.slow
def test_quarters_roll_up_from_monthly_components(company: dict) -> None:
    rows = _query(
        company["warehouse"],
        """
        select k.employee_id, k.actual, sum(v.numerator)
        from marts.fct_kpi_scores as k
        inner join marts.fct_metric_values as v
            on v.metric = 'revenue' and v.subject_type = 'person' and v.subject_id = k.employee_id
            and v.month between k.period_start and k.period_end
        where k.kpi = 'revenue' and k.subject_type = 'person' and k.period = '2024-Q1'
            and k.segment_days >= 91
        group by k.employee_id, k.actual
    """,
    )
    assert rows
    for _, actual, summed in rows:
        assert actual == summed


@pytest.mark.slow
def test_explain_adds_up_to_the_score(company: dict) -> None:
    employee = company["transferred"]
    tree = explain(employee, "2024-q1", warehouse=company["warehouse"])
    json.dumps(tree)
    assert tree["period"] == "2024-Q1" and len(tree["segments"]) == 2
    contributions = sum(k["contribution"] for s in tree["segments"] for k in s["kpis"])
    assert abs(contributions - tree["own_kpi_score"]) < 0.0001
    revenue = next(k for s in tree["segments"] for k in s["kpis"] if k["kpi"] == "revenue")
    assert abs(sum(m["numerator"] or 0 for m in revenue["months"]) - revenue["numerator"]) < 0.0001
    assert revenue["source_rows"] == sum(m["source_rows"] for m in revenue["months"]) > 0
    assert (
        revenue["source_keys"]
        and revenue["source_keys"][0]["source_table"] == "int_sales_order_lines_converted"
    )
    text = render_explanation(tree)
    assert employee in text and "revenue" in text
    with pytest.raises(ExplainError):
        explain("NOBODY", "2024-Q1", warehouse=company["warehouse"])
    with pytest.raises(ExplainError, match="write a month"):
        explain(employee, "Q1-2024", warehouse=company["warehouse"])


@pytest.mark.slow
def test_a_new_version_changes_only_the_periods_from_its_effective_date(
    company: dict, tmp_path: Path
) -> None:
    text = (
        DEMO.read_text(encoding="utf-8")
        + """
  - version: "2024.3"
    effective_from: 2024-03-01
    roles:
      sales_rep:
        kpis:
          - {kpi: revenue, weight: 50, target: plan}
          - {kpi: follow_up_count, weight: 50, target: 10}
"""
    )
    scorecard = tmp_path / "new_version.yml"
    scorecard.write_text(text, encoding="utf-8")
    keep = tmp_path / "whatif"
    result = whatif(scorecard, "2024-03", warehouse=company["warehouse"], keep_dir=keep)
    reps = [e for e in result.employees if e.role == "sales_rep"]
    assert reps and all(e.whatif_version == "2024.3" for e in reps)
    assert any(abs(e.delta or 0) > 0.01 for e in reps)
    assert all(e.delta == 0 for e in result.employees if e.role != "sales_rep")
    assert "2024-03" in render_whatif(result)

    copy = keep / company["warehouse"].name
    query = (
        "select employee_id, period, scorecard_version, final_score from marts.fct_role_scores"
        " where period_type = 'month' and period < '2024-03' order by all"
    )
    assert _query(copy, query) == _query(company["warehouse"], query)
    versions = dict(
        _query(
            copy,
            "select employee_id, version_count from marts.fct_role_scores where period ="
            " '2024-Q1' and role = 'sales_rep' and first_day < date '2024-03-01'"
            " and last_day >= date '2024-03-01'",
        )
    )
    assert versions and set(versions.values()) == {2}  # a quarter across the change: one segment per version
    # the warehouse itself is untouched: still one version
    assert _query(company["warehouse"], "select count(*) from config.scorecard_versions") == [(1,)]


@pytest.mark.slow
def test_whatif_rejects_an_invalid_scorecard_before_touching_anything(company: dict, tmp_path: Path) -> None:
    broken = edited(tmp_path, "broken.yml", "weight: 30, target: plan}", "weight: 29, target: plan}")
    with pytest.raises(ScorecardError, match="broken.yml: version 2024.1, role sales_rep: field 'weight'"):
        whatif(broken, "2024-03", warehouse=company["warehouse"])


def test_template_files_are_plain_yaml_hr_can_edit() -> None:
    for template in TEMPLATES:
        data = yaml.safe_load((SCORECARD_DIR / f"{template}.yml").read_text(encoding="utf-8"))
        assert set(data) <= {"scorecard", "title", "description", "versions"}
