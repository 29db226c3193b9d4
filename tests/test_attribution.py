"""Cross-department attribution (dbt_project/models/marts/attribution) and the procurement trail.

Fast tests: a Python reference implementation of Shapley values over the three drivers (purchasing,
operations, sales; each at plan or actual, all 2^3 cases) with hypothesis property tests (efficiency,
symmetry, order independence, the exact decomposition identity), and a check that the closed form the
dbt model uses (weights 1/3, 1/6, 1/3) is the reference. The slow test simulates a small company (60
people, 12 months), builds the warehouse and checks that the planted over-buying buyer ranks first in
purchasing's attributed excess (of purchase decisions: stock older than every purchase in the data is left out),
the optimistic planner first in operations' and the salesperson who neglects old stock first in sales', with
exact sums, and that the procurement trail flags the over-buyer's purchases.
"""

from __future__ import annotations

import itertools
import json
import math
from fractions import Fraction
from pathlib import Path

import duckdb
import pytest
from dbt_runs import load_simulated_company, run_dbt
from hypothesis import given, settings
from hypothesis import strategies as st

DRIVERS = ("purchasing", "operations", "sales")


# --- the reference -----------------------------------------------------------------------------------------


def excess(components: dict[str, Fraction], actual: frozenset[str]) -> Fraction:
    """Excess units with the drivers in `actual` at actual and the others at plan (contributing 0)."""
    return max(Fraction(0), sum((components[d] for d in actual), Fraction(0)))


def shapley(components: dict[str, Fraction]) -> dict[str, Fraction]:
    """Shapley values of excess() by the subset formula: sum over coalitions S without i of
    |S|! (n - |S| - 1)! / n! x (v(S + i) - v(S))."""
    players = list(components)
    n = len(players)
    shares = {}
    for player in players:
        others = [p for p in players if p != player]
        total = Fraction(0)
        for size in range(n):
            weight = Fraction(math.factorial(size) * math.factorial(n - size - 1), math.factorial(n))
            for coalition in itertools.combinations(others, size):
                s = frozenset(coalition)
                total += weight * (excess(components, s | {player}) - excess(components, s))
        shares[player] = total
    return shares


def shapley_by_orders(components: dict[str, Fraction]) -> dict[str, Fraction]:
    """The same values as the average marginal contribution over every order of the players."""
    players = list(components)
    orders = list(itertools.permutations(players))
    shares = dict.fromkeys(players, Fraction(0))
    for order in orders:
        joined: frozenset[str] = frozenset()
        for player in order:
            shares[player] += excess(components, joined | {player}) - excess(components, joined)
            joined = joined | {player}
    return {p: v / len(orders) for p, v in shares.items()}


def closed_form(p: Fraction, o: Fraction, s: Fraction) -> tuple[Fraction, Fraction, Fraction]:
    """What fct_inventory_attribution computes (the sales share as the remainder)."""

    def v(x: Fraction) -> Fraction:
        return max(Fraction(0), x)

    v_p, v_o, v_s = v(p), v(o), v(s)
    v_po, v_ps, v_os, v_pos = v(p + o), v(p + s), v(o + s), v(p + o + s)
    phi_p = (2 * v_p + (v_po - v_o) + (v_ps - v_s) + 2 * (v_pos - v_os)) / 6
    phi_o = (2 * v_o + (v_po - v_p) + (v_os - v_s) + 2 * (v_pos - v_ps)) / 6
    return phi_p, phi_o, v_pos - phi_p - phi_o


def decompose(b, t, f, c, r, d) -> dict[str, Fraction]:
    """The identity of DESIGN.md: end - T = (R - R_plan) + (F - C) + (C - D), R_plan = F + T - B."""
    r_plan = f + t - b
    return {"purchasing": r - r_plan, "operations": f - c, "sales": c - d}


quantities = st.fractions(min_value=-10_000, max_value=10_000, max_denominator=1000)
stocks = st.fractions(min_value=0, max_value=10_000, max_denominator=1000)


# --- properties --------------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.tuples(stocks, stocks, stocks, stocks, stocks, stocks))
def test_the_components_sum_exactly_to_the_gap_to_target(values) -> None:
    b, t, f, c, r, d = values
    components = decompose(b, t, f, c, r, d)
    assert sum(components.values()) == (b + r - d) - t


@settings(max_examples=300, deadline=None)
@given(quantities, quantities, quantities)
def test_shapley_shares_are_efficient(p, o, s) -> None:
    components = dict(zip(DRIVERS, (p, o, s), strict=True))
    shares = shapley(components)
    assert sum(shares.values()) == excess(components, frozenset(DRIVERS)) - excess(components, frozenset())
    assert sum(shares.values()) == max(Fraction(0), p + o + s)


@settings(max_examples=300, deadline=None)
@given(quantities, quantities)
def test_shapley_shares_are_symmetric(x, other) -> None:
    # two drivers with the same component get the same share, whichever two they are
    for twins in itertools.combinations(DRIVERS, 2):
        components = {d: (x if d in twins else other) for d in DRIVERS}
        shares = shapley(components)
        assert shares[twins[0]] == shares[twins[1]]


@settings(max_examples=200, deadline=None)
@given(quantities, quantities, quantities, st.permutations(DRIVERS))
def test_shapley_shares_do_not_depend_on_order(p, o, s, order) -> None:
    components = dict(zip(DRIVERS, (p, o, s), strict=True))
    reordered = {d: components[d] for d in order}
    assert shapley(reordered) == shapley(components)
    assert shapley_by_orders(components) == shapley(components)


@settings(max_examples=300, deadline=None)
@given(quantities, quantities, quantities)
def test_the_dbt_closed_form_is_the_shapley_value(p, o, s) -> None:
    shares = shapley(dict(zip(DRIVERS, (p, o, s), strict=True)))
    assert closed_form(p, o, s) == tuple(shares[d] for d in DRIVERS)


def test_a_driver_that_stays_at_plan_gets_nothing_and_linear_cases_are_the_components() -> None:
    assert shapley({"purchasing": Fraction(50), "operations": Fraction(20), "sales": Fraction(20)}) == {
        "purchasing": 50,
        "operations": 20,
        "sales": 20,
    }
    shares = shapley({"purchasing": Fraction(60), "operations": Fraction(0), "sales": Fraction(-20)})
    assert shares["operations"] == 0
    # the hand-computed case of the dbt unit test: 60, -42, 12 -> 43, -23, 10
    assert closed_form(Fraction(60), Fraction(-42), Fraction(12)) == (43, -23, 10)


# --- a small simulated company, built ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("attributed_company")
    warehouse = load_simulated_company(work, employees=60, months=12, seed=7)
    run = run_dbt(warehouse, work, "build")
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    truth = json.loads((work / "ground_truth.json").read_text(encoding="utf-8"))
    causes = {c["cause"]: c for c in truth["planted_causes"]}
    return {"warehouse": warehouse, "causes": causes}


def _query(warehouse: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _ranking(warehouse: Path, department: str) -> list[tuple[str, float]]:
    """People by the department's excess attributed to their decisions: stock older than every purchase in the
    data (opening_stock, carried by the sku's buyer without a purchase behind it) is left out."""
    return [
        (employee, float(value))
        for employee, value in _query(
            warehouse,
            f"""
            select employee_id, sum(attributed_excess_value_base - opening_stock_excess_value_base) as value
            from marts.fct_attribution_person_months
            where department = '{department}'
            group by employee_id
            order by value desc, employee_id
            """,
        )
    ]


@pytest.mark.slow
def test_the_over_buying_buyer_ranks_first_in_purchasing(company: dict) -> None:
    ranking = _ranking(company["warehouse"], "purchasing")
    (over_buyer,) = company["causes"]["over_buying_buyer"]["employee_ids"]
    assert ranking[0][0] == over_buyer, ranking[:5]


@pytest.mark.slow
def test_the_optimistic_planner_ranks_first_in_operations(company: dict) -> None:
    ranking = _ranking(company["warehouse"], "operations")
    (planner,) = company["causes"]["optimistic_planner"]["employee_ids"]
    assert ranking[0][0] == planner, ranking[:5]


@pytest.mark.slow
def test_the_salesperson_who_neglects_old_stock_ranks_first_in_sales(company: dict) -> None:
    ranking = _ranking(company["warehouse"], "sales")
    (neglecter,) = company["causes"]["salesperson_neglects_old_stock"]["employee_ids"]
    assert ranking[0][0] == neglecter, ranking[:5]


@pytest.mark.slow
def test_attribution_sums_exactly_from_skus_to_departments_and_people(company: dict) -> None:
    (row,) = _query(
        company["warehouse"],
        """
        select
            (select count(*) from marts.fct_inventory_attribution
             where gap_to_target_qty <> purchasing_qty + operations_qty + sales_qty),
            (select sum(excess_value_base) from marts.fct_inventory_attribution),
            (select sum(attributed_excess_value_base) from marts.fct_attribution_department_months),
            (select sum(attributed_excess_value_base) from marts.fct_attribution_person_months),
            (select sum(attributed_excess_value_base) from marts.fct_attribution_periods
             where period_type = 'year' and subject_type = 'person')
        """,
    )
    broken, total, departments, people, years = row
    assert broken == 0
    assert total > 0
    assert total == departments == people == years


@pytest.mark.slow
def test_the_procurement_trail_flags_the_over_buyer(company: dict) -> None:
    (over_buyer,) = company["causes"]["over_buying_buyer"]["employee_ids"]
    rows = _query(
        company["warehouse"],
        """
        select requester_id, count(*) as violations
        from marts.fct_procurement_trail
        where is_violation
        group by requester_id
        order by violations desc, requester_id
        """,
    )
    assert rows and rows[0][0] == over_buyer, rows
    (requests, distinct) = _query(
        company["warehouse"],
        "select (select count(*) from marts.fct_procurement_trail),"
        " (select count(*) from staging.stg_erp__purchase_requests)",
    )[0]
    assert requests == distinct


# --- unsold old stock per salesperson (rpt_sales_workbench.old_stock_value_base) ----------------------------


def _old_stock_ranking(warehouse: Path) -> list[tuple[str, float]]:
    """Salespeople by their skus' stock that nobody sold for slow_moving_days (90) days, first in, first out."""
    return [
        (employee, float(value))
        for employee, value in _query(
            warehouse,
            """
            select salesperson_id, sum(old_stock_value_base) as value
            from marts.rpt_sales_workbench
            group by salesperson_id
            order by value desc, salesperson_id
            """,
        )
    ]


def _assert_neglecter_first_on_old_stock(warehouse: Path, work: Path) -> None:
    truth = json.loads((work / "ground_truth.json").read_text(encoding="utf-8"))
    (neglecter,) = {c["cause"]: c for c in truth["planted_causes"]}["salesperson_neglects_old_stock"]["employee_ids"]
    ranking = _old_stock_ranking(warehouse)
    assert ranking[0][0] == neglecter, ranking[:5]
    assert ranking[1][1] > 0, "others hold old stock too: a real ranking, not the only one with any"


@pytest.mark.slow
def test_the_salesperson_who_neglects_old_stock_ranks_first_on_unsold_old_stock(company: dict) -> None:
    _assert_neglecter_first_on_old_stock(company["warehouse"], company["warehouse"].parents[1])


@pytest.mark.slow
@pytest.mark.parametrize("seed", [3, 11, 21])
def test_the_neglecter_ranks_first_on_unsold_old_stock_on_other_seeds(tmp_path: Path, seed: int) -> None:
    # Measured on seeds 1, 2, 3, 5, 7, 11, 13, 21, 42, 99 (60 people x 12 months): first on every one; a stock
    # snapshot of "no sale for 90 days" or "cover above 90 days" held on 2 of 4 (see docs/alerts.md).
    warehouse = load_simulated_company(tmp_path, employees=60, months=12, seed=seed)
    run = run_dbt(warehouse, tmp_path, "run", "--select", "+rpt_sales_workbench")
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    _assert_neglecter_first_on_old_stock(warehouse, tmp_path)


@pytest.mark.slow
def test_the_optimistic_planner_has_the_most_forecast_root_causes(company: dict) -> None:
    # a forecast marks the root cause only where it contributed to the excess (operations' share above 0) and the
    # sku-month has volume; before those two conditions another planner led on this seed (105 flags against 71)
    (planner,) = company["causes"]["optimistic_planner"]["employee_ids"]
    rows = _query(
        company["warehouse"],
        """
        select employee_id, count(*) as flags
        from marts.fct_inventory_cross_checks
        where check_name = 'forecast_accuracy_root_cause'
        group by employee_id
        order by flags desc, employee_id
        """,
    )
    assert rows and rows[0][0] == planner, rows[:5]
