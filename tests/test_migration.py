"""Legacy migration of the demo company: mapping rules, three-stage validation, batches, the parallel run.

The legacy export (ingest/migration/legacy_export.py) is the simulated demo company exported the way an old
Chinese HR/sales system does it. Expected values are computed independently: from the simulator's own clean
tables (the truth the legacy export was written from) and from the legacy files read with csv/openpyxl.
"""

import csv
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook

from expectations.runner import build_expectation
from ingest.contract import default_contracts
from ingest.loader import load_entity
from ingest.migration import MappingError, load_mapping, migrate, sign_report
from ingest.migration import batches as batches_module
from ingest.migration.__main__ import main
from ingest.migration.audit import apply_rule, parse
from ingest.migration.legacy_export import DEPT_NAME_ZH, write_legacy_export
from ingest.migration.legacy_files import read_legacy_table
from ingest.migration.mapping import ColumnRule, SourceTable
from ingest.migration.migrate import migration_suites
from ingest.migration.transform import compile_rule, create_legacy_views, load_legacy, relation_types
from ingest.simulator.company import build_company
from ingest.simulator.exports import build_tables

REPO = Path(__file__).resolve().parents[1]
MAPPING = REPO / "ingest" / "migration" / "mappings" / "demo_legacy.yml"
EMPLOYEES, MONTHS, SEED = 40, 3, 11
ENTITIES = ["hr.departments", "hr.employees", "hr.job_assignments", "hr.individual_targets", "crm.customers",
            "erp.products", "erp.sales_orders", "erp.sales_order_lines", "erp.fx_rates"]


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    root = tmp_path_factory.mktemp("migration")
    export = write_legacy_export(root / "legacy", EMPLOYEES, MONTHS, SEED)
    result = migrate(root / "legacy", MAPPING, root / "landing", home=root / "home", data_docs=False)
    return {"root": root, "legacy": root / "legacy", "landing": root / "landing", "home": root / "home",
            "export": export, "result": result}


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _landing_frame(landing: Path, entity: str) -> pd.DataFrame:
    source, name = entity.split(".")
    frames = []
    for path in sorted((landing / source / name).glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        frames.append(pd.DataFrame(rows[1:], columns=rows[0]))
    return pd.concat(frames, ignore_index=True).replace("", None)


def _read_gbk_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("gbk"), newline="")))


def _write_gbk_csv(path: Path, rows: list[dict[str, str]]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(buf.getvalue().encode("gbk"))


def _suite(result, name):
    return next(s for s in result.suites if s.suite == name)


# --------------------------------------------------------------------------------------- the legacy export


def test_legacy_export_looks_like_an_old_system(work):
    legacy = work["legacy"]
    staff = (legacy / "hr" / "staff.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        staff.decode("utf-8")  # GBK, with Chinese headers and names
    rows = _read_gbk_csv(legacy / "hr" / "staff.csv")
    assert list(rows[0])[:3] == ["工号", "姓名", "身份证号"]
    assert all(r["工号"].startswith("HT") and len(r["入职日期"]) == 8 for r in rows)
    assert sorted(p.name for p in (legacy / "sales").glob("orders_*.csv")) == [
        "orders_202401.csv", "orders_202402.csv", "orders_202403.csv"]
    ws = load_workbook(legacy / "codes" / "dept_codes.xlsx", read_only=True).worksheets[0]
    codes = {r[0]: r[1] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert codes["0201"] == "销售南区" and codes["01"] == "总经办"
    quota = _read_gbk_csv(legacy / "hr" / "quota.csv")
    assert any("," in r["目标值"] for r in quota)  # thousands separators, as the old system prints them


# ------------------------------------------------------------------------------------------- mapping rules


def _bad_mapping(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load(MAPPING.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "bad.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["entities"].update({"hr.staff": d["entities"].pop("hr.employees")}),
         "field 'entities.hr.staff': no landing entity 'hr.staff'"),
        (lambda d: d["entities"]["hr.employees"]["columns"].update({"nickname": "姓名"}),
         "field 'entities.hr.employees.columns.nickname': not a column of hr.employees"),
        (lambda d: d["entities"]["hr.employees"]["columns"].update({"country": {"from": "国家地区",
                                                                                "code_map": "countries"}}),
         "field 'entities.hr.employees.columns.country.code_map': no code map 'countries'"),
        (lambda d: d["entities"]["hr.employees"]["columns"].update({"full_name": {"from": "名字"}}),
         "field 'entities.hr.employees.columns.full_name': '名字' is not a field of source 'staff'"),
        (lambda d: d["entities"]["hr.employees"]["columns"].update({"full_name": {"from": "姓名", "value": "x"}}),
         "give exactly one of from, template, value, sql"),
        (lambda d: d["entities"]["hr.employees"]["columns"].update({"full_name": {"sql": "max(姓名) over ()"}}),
         "sql must be a row-local expression"),
        (lambda d: d["entities"]["erp.sales_order_lines"].update({"period": {"parent": "erp.sales_orders"}}),
         "parent needs via"),
        (lambda d: d["sources"]["staff"]["fields"]["入职日期"].update({"thousands": ","}),
         "thousands only applies to integer and decimal fields"),
    ],
)
def test_invalid_mapping_files_name_the_file_and_the_field(tmp_path, edit, message):
    path = _bad_mapping(tmp_path, edit)
    with pytest.raises(MappingError) as err:
        load_mapping(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_sql_rules_and_the_python_audit_agree_value_for_value(tmp_path):
    """The two implementations of the rules (SQL for the files, Python for the audit) on awkward values."""
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    rows = [["编号", "日期", "金额", "标志", "名", "姓", "状态", "数量"],
            ["HT001", "31.01.2024", '"1,234.5"', "是", "Wei", "Zhang", "A", "3"],
            ["HT002", "01.02.2024", "-0.125", "否", "", "Li", "B", "12"],
            ["ht003", "", "NULL", "", "Ann", "", "Z", "0"],
            ["HT004", "29.02.2024", "1e3", "是", "X", "Y", "", "7"]]
    (legacy / "t.csv").write_bytes("\n".join(",".join(r) for r in rows).encode("gbk"))
    spec = SourceTable.model_validate({"files": "t.csv", "fields": {
        "编号": "string", "日期": {"type": "date", "format": "%d.%m.%Y"},
        "金额": {"type": "decimal", "thousands": ",", "null_if": ["NULL"]}, "标志": "boolean", "名": "string",
        "姓": "string", "状态": "string", "数量": "integer"}})
    mapping = load_mapping(MAPPING).model_copy(update={"sources": {"t": spec}, "views": {}})
    mapping.code_maps["status_test"] = mapping.code_maps["order_status"].model_copy(
        update={"values": {"A": "shipped", "B": "open"}, "default": None})
    con = duckdb.connect()
    load_legacy(con, {"t": read_legacy_table(legacy, "t", spec)})
    create_legacy_views(con, mapping)
    types = relation_types(con, "t")
    cases = [
        ({"from": "编号", "replace": [{"pattern": "^HT(\\d+)$", "with": "E\\1"}], "case": "upper"}, "string"),
        ({"from": "日期"}, "timestamp"),
        ({"from": "日期", "format": "%Y-%m"}, "string"),
        ({"from": "金额"}, "decimal"),
        ({"from": "金额", "round": 1}, "decimal"),
        ({"from": "金额", "default": 0}, "decimal"),
        ({"from": "标志"}, "boolean"),
        ({"template": "{姓} {名}"}, "string"),
        ({"from": "状态", "code_map": "status_test"}, "string"),
        ({"from": "数量", "prefix": "N-", "suffix": "!"}, "string"),
        ({"sql": "金额 * 数量", "round": 2}, "decimal"),
        ({"sql": "case when 日期 is null then 'open' else 'shipped' end"}, "string"),
        ({"value": 1.5}, "decimal"),
    ]
    for raw, target in cases:
        rule = ColumnRule.model_validate(raw)
        compiled = compile_rule(rule, target, types, mapping, "test")
        in_sql = [r[0] for r in con.execute(f"select {compiled.sql} from legacy.t order by _source_row").fetchall()]
        typed = con.execute("select * from legacy.t order by _source_row").df()
        typed = typed.astype(object).where(typed.notna(), None).to_dict("records")
        in_python = []
        for rec in con.execute("select * from legacy_raw.t order by _source_row").df().to_dict("records"):
            row = {c: parse(None if pd.isna(rec[c]) else rec[c], spec.fields[c]) for c in spec.fields}
            in_python.append(apply_rule(rule, row, types, target, mapping, con))
        assert in_sql == in_python, (raw, in_sql, in_python)
        assert typed  # the typed view reads every row
    # spot checks against hand-computed values
    rule = ColumnRule.model_validate({"sql": "金额 * 数量", "round": 2})
    sql = compile_rule(rule, "decimal", types, mapping, "test").sql
    assert [r[0] for r in con.execute(f"select {sql} from legacy.t order by _source_row").fetchall()] == [
        "3703.5", "-1.5", None, "7000"]


# ------------------------------------------------------------------------------------------- a full migration


def test_migration_passes_and_recovers_the_company_exactly(work):
    result = work["result"]
    assert result.success, result.failures
    assert result.periods == ["2024-01", "2024-02", "2024-03"]
    assert {s.suite for s in result.suites} == {
        "migration_source_validation", "migration_mapping_coverage", "migration_column_coverage",
        "migration_landing_contract", "migration_reconciliation", "migration_audit_sample"}
    landing = work["landing"]
    assert sorted(p.name for p in (landing / "erp" / "sales_orders").iterdir()) == [
        "migrated_2024-01.csv", "migrated_2024-02.csv", "migrated_2024-03.csv"]
    assert yaml.safe_load((landing / "landing.yml").read_text(encoding="utf-8"))["base_currency"] == "CNY"
    truth = build_tables(build_company(EMPLOYEES, MONTHS, SEED, "2024-01"))
    contracts = default_contracts()
    for entity in ENTITIES:
        got = _landing_frame(landing, entity)
        want = truth[entity].frame.copy()
        if entity == "hr.departments":  # the old system names departments in Chinese
            want["department_name"] = want["department_name"].map(DEPT_NAME_ZH)
        keys = contracts[entity].keys
        got = got.sort_values(keys).reset_index(drop=True)
        want = want.sort_values(keys).reset_index(drop=True)
        assert len(got) == len(want), entity
        for col in contracts[entity].columns:
            for a, b in zip(got[col.name], want[col.name], strict=True):
                if col.type in ("decimal", "integer") and a is not None and b is not None:
                    assert Decimal(a) == Decimal(b), (entity, col.name, a, b)
                else:
                    assert a == b, (entity, col.name, a, b)


def test_reconciliation_and_audit_are_in_the_migration_database(work):
    db = work["result"].migration_db
    con = duckdb.connect(str(db), read_only=True)
    try:
        recon = con.execute("select measure, period, department, legacy_value, migrated_value "
                            "from migration.reconciliation").fetchall()
        audit = con.execute("select entity, count(distinct sample_no), bool_and(matches) "
                            "from migration.audit_sample group by 1").fetchall()
        unmapped = con.execute("select count(*) from migration.code_coverage where not is_mapped").fetchone()[0]
    finally:
        con.close()
    # net order amount per month, straight from the legacy GBK files (qty x price, order currency)
    expected: dict[str, Decimal] = {}
    for path in sorted((work["legacy"] / "sales").glob("order_lines_*.csv")):
        month = f"{path.stem[-6:-2]}-{path.stem[-2:]}"
        for r in _read_gbk_csv(path):
            expected[month] = expected.get(month, Decimal(0)) + Decimal(r["数量"]) * Decimal(r["单价"])
    by_month: dict[str, Decimal] = {}
    for measure, period, _dept, legacy_value, migrated_value in recon:
        assert legacy_value == migrated_value, (measure, period)
        if measure == "order_net_amount":
            by_month[period] = by_month.get(period, Decimal(0)) + migrated_value
    assert by_month == expected
    rows = {(m, p): v for m, p, _d, v, _ in recon if m == "rows:erp.sales_orders"}
    for month in ("2024-01", "2024-02", "2024-03"):
        orders = _read_gbk_csv(work["legacy"] / "sales" / f"orders_{month.replace('-', '')}.csv")
        assert rows[("rows:erp.sales_orders", month)] == len(orders)
    assert {e for e, n, ok in audit if n == 20 and ok} >= {"erp.sales_orders", "erp.sales_order_lines",
                                                            "hr.employees"}
    assert unmapped == 0


def test_report_is_written_in_html_and_json_and_can_be_signed(work):
    result = work["result"]
    report = json.loads(result.report_json.read_text(encoding="utf-8"))
    assert report["verdict"] == "passed" and report["periods"] == result.periods
    assert [s["stage"] for s in report["stages"]].count(3) == 2
    assert report["audit"]["mismatches"] == 0 and report["audit"]["sampled_rows"] >= 20 * 8
    assert report["sign_off"]["name"] is None
    page = result.report_html.read_text(encoding="utf-8")
    assert "Sign-off" in page and "Reconciliation" in page and "恒泰商贸" in page
    assert (result.report_json.parent / "latest-migration.html").exists()
    signed = sign_report(result.report_json, "Li Na", "HR lead", "accepted", when=dt.date(2024, 4, 2))
    assert "Li Na" in signed.read_text(encoding="utf-8")
    assert json.loads(result.report_json.read_text(encoding="utf-8"))["sign_off"]["date"] == "2024-04-02"


# ----------------------------------------------------------------------------------------------------- batches


def test_rerunning_a_batch_changes_nothing_and_ingest_skips_its_files(work, tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(work["landing"], landing)
    before = _snapshot(landing)
    contract = default_contracts()["erp.sales_orders"]
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    first = load_entity(con, contract, landing, "Asia/Shanghai")
    rerun = migrate(work["legacy"], MAPPING, landing, batch="2024-02", home=tmp_path / "home", data_docs=False)
    assert rerun.success and rerun.periods == ["2024-02"]
    assert rerun.files_written == []
    written = set(rerun.files_unchanged)
    assert "erp/sales_orders/migrated_2024-02.csv" in written and "hr/employees/migrated.csv" in written
    assert not any("2024-01" in f or "2024-03" in f for f in written)  # a batch writes only its period
    assert _snapshot(landing) == before
    second = load_entity(con, contract, landing, "Asia/Shanghai")
    assert first.rows_loaded == 965 and second.files_skipped == len(second.files) == 3
    assert con.execute("select count(*) from raw_erp.sales_orders").fetchone()[0] == 965
    con.close()


def test_a_failed_batch_writes_nothing_and_lists_what_is_wrong(work, tmp_path):
    legacy = tmp_path / "legacy"
    shutil.copytree(work["legacy"], legacy)
    orders_file = legacy / "sales" / "orders_202403.csv"
    rows = _read_gbk_csv(orders_file)
    for r in rows[:3]:
        r["状态"] = "已退货"  # a status the old code table gained after the mapping was written
    rows[5]["下单时间"] = "2024/03/32 10:00:00"
    _write_gbk_csv(orders_file, rows)
    landing = tmp_path / "landing"
    shutil.copytree(work["landing"], landing)
    before = _snapshot(landing)

    result = migrate(legacy, MAPPING, landing, batch="2024-03", home=tmp_path / "home", data_docs=False)
    assert not result.success
    assert _snapshot(landing) == before  # earlier batches intact, nothing of this one written
    assert result.staging_dir is not None and result.staging_dir.is_dir()
    coverage = _suite(result, "migration_mapping_coverage")
    [unmapped] = coverage.failed_critical
    assert unmapped.examples == [{"code_map": "order_status", "entity": "erp.sales_orders",
                                  "target_column": "status", "legacy_value": "已退货", "row_count": 3}]
    source = _suite(result, "migration_source_validation")
    [bad_date] = [e for e in source.failed_critical if "parses" in (e.description or "")]
    assert bad_date.examples[0]["source_file"] == "sales/orders_202403.csv"
    assert bad_date.examples[0]["source_row"] == 7 and bad_date.examples[0]["field"] == "下单时间"
    contract = _suite(result, "migration_landing_contract")
    assert any("no period" in str(e.examples) for e in contract.failed_critical)
    report = json.loads(result.report_json.read_text(encoding="utf-8"))
    assert report["verdict"] == "failed" and report["files_written"] == []
    assert {f["state"] for f in report["files"]} == {"not written"}


def test_reconciliation_catches_rows_the_mapping_drops(work, tmp_path):
    """A mapping that filters out cancelled orders: reconciliation shows exactly the orders lost."""
    data = yaml.safe_load(MAPPING.read_text(encoding="utf-8"))
    data["entities"]["erp.sales_orders"]["where"] = "状态 <> '已取消'"
    data["entities"]["erp.sales_order_lines"]["where"] = (
        "订单号 not in (select 订单号 from legacy.orders where 状态 = '已取消')")
    mapping = tmp_path / "filtered.yml"
    mapping.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = migrate(work["legacy"], mapping, tmp_path / "landing", batch="2024-01", home=tmp_path / "home",
                     data_docs=False)
    assert not result.success and not (tmp_path / "landing").exists()
    cancelled = sum(r["状态"] == "已取消" for r in _read_gbk_csv(work["legacy"] / "sales" / "orders_202401.csv"))
    assert cancelled > 0
    con = duckdb.connect(str(result.migration_db), read_only=True)
    lost = con.execute("""select sum(legacy_value) from migration.reconciliation
                          where measure = 'orders' and department like '%已取消' and migrated_value is null"""
                       ).fetchone()[0]
    con.close()
    assert lost == cancelled
    [failed] = _suite(result, "migration_reconciliation").failed_critical
    assert failed.unexpected_count >= 1


def test_the_audit_reads_the_files_back(work, tmp_path, monkeypatch):
    """If what lands on disk is not what the rules compute (a writer bug), the sampled audit says where."""
    real_stage = batches_module.stage

    def corrupting_stage(staging_dir, planned):
        real_stage(staging_dir, planned)
        for f in planned:
            if f.entity == "erp.sales_order_lines":
                path = staging_dir / f.rel
                frame = pd.read_csv(path, dtype=str, keep_default_na=False)
                frame["unit_price"] = [str(Decimal(p) * 10) for p in frame["unit_price"]]
                frame.to_csv(path, index=False)

    monkeypatch.setattr(batches_module, "stage", corrupting_stage)
    result = migrate(work["legacy"], MAPPING, tmp_path / "landing", batch="2024-02", home=tmp_path / "home",
                     data_docs=False)
    assert not result.success and not (tmp_path / "landing").exists()
    [mismatch] = _suite(result, "migration_audit_sample").failed_critical
    assert mismatch.unexpected_count == 20  # every sampled line, on its unit price only
    for example in mismatch.examples:
        assert example["column_name"] == "unit_price"
        assert Decimal(example["landing_value"]) == Decimal(example["expected_value"]) * 10
        assert Decimal(example["expected_value"]) == Decimal(example["legacy_value"])


def test_the_migration_suites_load_and_build(tmp_path):
    suites = migration_suites(include_parallel_run=True)
    assert [s.suite for s in suites] == [
        "migration_source_validation", "migration_mapping_coverage", "migration_column_coverage",
        "migration_landing_contract", "migration_reconciliation", "migration_audit_sample", "migration_parallel_run"]
    for spec in suites:
        assert spec.family == "migration" and spec.table.startswith("migration.")
        for i, expectation in enumerate(spec.expectations):
            build_expectation(expectation, i)


def test_unknown_batch_and_foreign_landing_folder_are_refused(work, tmp_path, capsys):
    with pytest.raises(MappingError, match="no legacy rows in that period"):
        migrate(work["legacy"], MAPPING, tmp_path / "landing", batch="2023-12", home=tmp_path / "home")
    code = main(["migrate", "--legacy", str(work["legacy"]), "--mapping", str(MAPPING), "--landing",
                 str(tmp_path / "landing"), "--batch", "2023-12"])
    assert code == 2 and "periods in the export: 2024-01, 2024-02, 2024-03" in capsys.readouterr().err
    with pytest.raises(MappingError, match="must read YYYY-MM"):
        migrate(work["legacy"], MAPPING, tmp_path / "landing", batch="2024-1", home=tmp_path / "home")
    other = tmp_path / "other"
    other.mkdir()
    (other / "landing.yml").write_text("company_name: Someone Else\nbase_currency: EUR\n", encoding="utf-8")
    with pytest.raises(MappingError, match="company_name is 'Someone Else'"):
        migrate(work["legacy"], MAPPING, other, home=tmp_path / "home")


# ---------------------------------------------------------------------------------------------- parallel run


def _pipeline(home: Path, landing: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "SCORELINK_HOME": str(home), "DAGSTER_HOME": str(home / "dagster"), "COLUMNS": "200"}
    env.pop("SCORELINK_LANDING", None)
    env.pop("SCORELINK_WAREHOUSE", None)
    return subprocess.run([sys.executable, "-m", "orchestration.cli", "run", "--landing", str(landing)], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=1200)


@pytest.mark.slow
def test_parallel_run_explains_the_differences_down_to_kpi_components(work):
    from ingest.migration.parallel_run import parallel_run

    home = work["home"]
    run = _pipeline(home, work["landing"])
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    result = parallel_run(work["legacy"], MAPPING, home=home, tolerance=0.5, data_docs=False)
    assert result.periods == ["2024-01", "2024-02", "2024-03"]

    # the old system's scores, read independently from its workbook
    ws = load_workbook(work["legacy"] / "scores" / "monthly_scores.xlsx", read_only=True).worksheets[0]
    legacy = {(f"{r[2][:4]}-{r[2][4:]}", "E" + r[0][2:]): r for r in ws.iter_rows(min_row=2, values_only=True)}
    con = duckdb.connect(str(home / "published" / "serving.duckdb"), read_only=True)
    published = {(p, e): (rev, quota, score) for p, e, rev, quota, score in con.execute(
        "select period, employee_id, revenue_base, quota_base, score from published.sales_rep_scores_current"
    ).fetchall()}
    con.close()
    assert {(r["period"], r["employee_id"]) for r in result.rows} == set(legacy) | set(published)
    for r in result.rows:
        key = (r["period"], r["employee_id"])
        lg, sl = legacy.get(key), published.get(key)
        if lg is None or sl is None:
            assert r["status"] == ("only_legacy" if sl is None else "only_scorelink")
            continue
        assert r["legacy_revenue"] == pytest.approx(lg[3]) and r["scorelink_revenue"] == pytest.approx(float(sl[0]))
        if lg[6] is None or sl[2] is None:  # no quota on one side: no score to compare
            assert r["status"] == ("match" if lg[6] is None and sl[2] is None else "difference")
            continue
        assert r["legacy_score"] == pytest.approx(lg[6]) and r["scorelink_score"] == pytest.approx(sl[2])
        diff = sl[2] - lg[6]
        assert r["status"] == ("match" if abs(diff) <= 0.5 else "difference"), key
        # the components add up to the score difference exactly
        parts = r["revenue_effect_points"] + r["quota_effect_points"] + r["curve_effect_points"]
        assert parts == pytest.approx(diff, abs=1e-6)
        assert r["revenue_effect_points"] == pytest.approx(100 * (float(sl[0]) - lg[3]) / lg[4], abs=1e-6)
    differences = [r for r in result.rows if r["status"] == "difference"]
    assert differences and not result.success
    assert [abs(r["score_difference"]) for r in result.largest] == sorted(
        (abs(r["score_difference"]) for r in differences), reverse=True)[:len(result.largest)]
    top = result.largest[0]
    assert top["main_driver"] == "revenue"  # quotas migrate unchanged: revenue timing drives the differences
    assert f"{top['scorelink_revenue']:,.2f}" in top["explanation"]
    assert "ScoreLink counts revenue when an order ships" in top["explanation"]
    report = json.loads(result.report_json.read_text(encoding="utf-8"))
    assert report["kind"] == "parallel_run" and len(report["rows"]) == len(result.rows)
    assert "Largest differences" in result.report_html.read_text(encoding="utf-8")
