"""Northwind Traders, a real (public) sample company, mapped into the landing contract and scored.

Every expected value is computed here, independently, from the Northwind CSV files with the csv module and
Python's Decimal: net sales = unit price x quantity x (1 - discount), exact, rounded to the cent only at the
end (half up).
"""

import csv
import os
import subprocess
import sys
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from ingest.migration import migrate

REPO = Path(__file__).resolve().parents[1]
# The public Northwind sample lives in shared/ beside the repository (as in CI); override with the variable.
NORTHWIND = Path(os.environ.get("SCORELINK_NORTHWIND", REPO.parent / "shared" / "samples" / "northwind"))
MAPPING = REPO / "ingest" / "migration" / "mappings" / "northwind.yml"
CENT = Decimal("0.01")



@pytest.fixture(autouse=True, scope="module")
def _northwind_present():
    assert (NORTHWIND / "orders.csv").exists(), (
        f"Northwind sample not found at {NORTHWIND}: set SCORELINK_NORTHWIND to the folder of its CSV files")


def _csv(name: str) -> list[dict[str, str]]:
    with (NORTHWIND / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _net(line: dict[str, str]) -> Decimal:
    return Decimal(line["unit_price"]) * int(line["quantity"]) * (1 - Decimal(line["discount"]))


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def expected_net_sales(year: str) -> dict[str, Decimal]:
    """Each employee's net sales over the orders placed in `year`, exact (not rounded)."""
    orders = {o["order_id"]: o for o in _csv("orders")}
    out: dict[str, Decimal] = {}
    for line in _csv("order_details"):
        order = orders[line["order_id"]]
        if order["order_date"].startswith(year):
            key = "NW-" + order["employee_id"]
            out[key] = out.get(key, Decimal(0)) + _net(line)
    return out


@pytest.fixture(scope="module")
def northwind(tmp_path_factory):
    root = tmp_path_factory.mktemp("northwind")
    result = migrate(NORTHWIND, MAPPING, root / "landing", home=root / "home", data_docs=False)
    return {"root": root, "landing": root / "landing", "home": root / "home", "result": result}


def _landing_rows(landing: Path, entity: str) -> list[dict[str, str]]:
    source, name = entity.split(".")
    rows = []
    for path in sorted((landing / source / name).glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            rows += list(csv.DictReader(fh))
    return rows


def test_northwind_migrates_with_every_check_passing(northwind):
    result = northwind["result"]
    assert result.success, result.failures
    orders = _csv("orders")
    months = sorted({o["order_date"][:7] for o in orders})
    assert result.periods == months and months[0] == "1996-07" and months[-1] == "1998-05"
    assert result.rows["erp.sales_orders"] == len(orders) == 830
    assert result.rows["erp.sales_order_lines"] == len(_csv("order_details")) == 2155
    assert result.rows["hr.employees"] == 9 and result.rows["crm.customers"] == 91
    assert (northwind["landing"] / "erp" / "sales_orders" / "northwind_1997-01.csv").exists()
    manifest = (northwind["landing"] / "landing.yml").read_text(encoding="utf-8")
    assert "base_currency: USD" in manifest and "Northwind Traders" in manifest


def test_net_unit_prices_are_exact(northwind):
    lines = {(r["order_id"], r["line_number"]): r for r in _landing_rows(northwind["landing"],
                                                                          "erp.sales_order_lines")}
    for line in _csv("order_details"):
        landed = lines[(line["order_id"], line["product_id"])]
        net_price = Decimal(line["unit_price"]) * (1 - Decimal(line["discount"]))
        assert Decimal(landed["unit_price"]) == net_price  # no rounding: at most 4 decimals
        assert -Decimal(landed["unit_price"]).as_tuple().exponent <= 4
        assert landed["quantity"] == line["quantity"] and landed["sku"] == "P" + line["product_id"]
    orders = {r["order_id"]: r for r in _landing_rows(northwind["landing"], "erp.sales_orders")}
    unshipped = [o for o in _csv("orders") if not o["shipped_date"]]
    assert len(unshipped) == 21
    assert all(orders[o["order_id"]]["status"] == "open" and not orders[o["order_id"]]["shipped_at"]
               for o in unshipped)
    assert orders["10248"]["ordered_at"] == "1996-07-04T00:00:00" and orders["10248"]["currency"] == "USD"


def test_roles_departments_and_managers(northwind):
    jobs = {r["employee_id"]: r for r in _landing_rows(northwind["landing"], "hr.job_assignments")}
    employees = {e["employee_id"]: e for e in _csv("employees")}
    territories = {t["territory_id"]: t["region_id"] for t in _csv("territories")}
    regions = {}
    for emp_id in employees:
        counts = Counter(territories[et["territory_id"]] for et in _csv("employee_territories")
                         if et["employee_id"] == emp_id)
        regions[emp_id] = min(counts, key=lambda r: (-counts[r], int(r)))
    department = {"1": "NW-EAST", "2": "NW-WEST", "3": "NW-NORTH", "4": "NW-SOUTH"}
    for emp_id, emp in employees.items():
        job = jobs["NW-" + emp_id]
        if emp["last_name"] in ("Fuller", "Buchanan"):
            assert job["role"] == "sales_director"
        else:
            assert job["role"] == "sales_rep"
        expected_dept = "NW-SALES" if emp["last_name"] == "Fuller" else department[regions[emp_id]]
        assert job["department_id"] == expected_dept
        assert job["manager_id"] == ("NW-" + emp["reports_to"] if emp["reports_to"] else "")
        assert job["valid_from"] == emp["hire_date"] and job["valid_to"] == ""


def test_reconciliation_of_net_sales_per_month_is_exact(northwind):
    con = duckdb.connect(str(northwind["result"].migration_db), read_only=True)
    rows = con.execute("""select period, sum(legacy_value), sum(migrated_value), max(abs(difference))
                          from migration.reconciliation where measure = 'net_sales' group by 1""").fetchall()
    con.close()
    orders = {o["order_id"]: o["order_date"][:7] for o in _csv("orders")}
    expected: dict[str, Decimal] = {}
    for line in _csv("order_details"):
        month = orders[line["order_id"]]
        expected[month] = expected.get(month, Decimal(0)) + _net(line)
    assert {p: (lv, mv) for p, lv, mv, _ in rows} == {p: (v, v) for p, v in expected.items()}
    assert all(d == 0 for *_, d in rows)


@pytest.mark.slow
def test_northwind_1997_net_sales_per_employee_through_the_pipeline(northwind):
    home, landing = northwind["home"], northwind["landing"]
    env = {**os.environ, "SCORELINK_HOME": str(home), "DAGSTER_HOME": str(home / "dagster"), "COLUMNS": "200"}
    env.pop("SCORELINK_LANDING", None)
    env.pop("SCORELINK_WAREHOUSE", None)
    run = subprocess.run([sys.executable, "-m", "orchestration.cli", "run", "--landing", str(landing)], cwd=REPO,
                         env=env, capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]

    con = duckdb.connect(str(home / "warehouse" / "scorelink.duckdb"), read_only=True)
    try:
        # ScoreLink's own figures: the converted order lines, by the date the order was placed
        produced = dict(con.execute("""
            select salesperson_id, sum(net_amount)
            from intermediate.int_sales_order_lines_converted
            where ordered_date >= date '1997-01-01' and ordered_date < date '1998-01-01'
            group by salesperson_id""").fetchall())
        base = dict(con.execute("""
            select salesperson_id, sum(order_amount_base)
            from intermediate.int_sales_order_lines_converted
            where year(ordered_date) = 1997 group by salesperson_id""").fetchall())
        quarantined = con.execute("select count(*) from ingest.quarantine").fetchone()[0]
    finally:
        con.close()
    expected = expected_net_sales("1997")
    assert len(expected) == 9
    assert set(produced) == set(expected)
    for employee, amount in expected.items():
        assert produced[employee] == amount, employee  # exact: DECIMAL arithmetic all the way
        assert _cents(produced[employee]) == _cents(amount)
        assert base[employee] == amount  # USD is the base currency: converts at 1
    assert _cents(sum(expected.values())) == Decimal("617085.20")
    assert quarantined == 0

    # published monthly revenue of the sales reps: recognised when the order ships
    orders = {o["order_id"]: o for o in _csv("orders")}
    by_ship_month: dict[tuple[str, str], Decimal] = {}
    for line in _csv("order_details"):
        order = orders[line["order_id"]]
        if order["shipped_date"]:
            key = ("NW-" + order["employee_id"], order["shipped_date"][:7])
            by_ship_month[key] = by_ship_month.get(key, Decimal(0)) + _net(line)
    con = duckdb.connect(str(home / "published" / "serving.duckdb"), read_only=True)
    try:
        published = con.execute("select employee_id, period, revenue_base, quota_base, score "
                                "from published.sales_rep_scores_current").fetchall()
    finally:
        con.close()
    reps = {"NW-1", "NW-3", "NW-4", "NW-6", "NW-7", "NW-8", "NW-9"}
    assert {e for e, *_ in published} == reps  # Fuller and Buchanan are sales directors
    periods = sorted({p for _, p, *_ in published})
    assert periods[0] == "1996-07" and periods[-1] == "1998-04"  # May 1998 is not closed
    for employee, period, revenue, quota, score in published:
        assert revenue == _cents(by_ship_month.get((employee, period), Decimal(0))), (employee, period)
        assert quota is None and score is None  # Northwind has no quotas
