"""Build the whole demo company in memory, part by part, each part from its own seeded random stream."""

from __future__ import annotations

from dataclasses import dataclass

from ingest.simulator.attendance import Attendance, build_attendance
from ingest.simulator.catalog import Catalog, build_catalog, n_skus_for
from ingest.simulator.crm import Crm, build_crm
from ingest.simulator.customers import Customers, build_customers
from ingest.simulator.finance import Finance, build_finance
from ingest.simulator.fulfilment import finish_orders
from ingest.simulator.fx import FxRates
from ingest.simulator.holidays import Calendars
from ingest.simulator.hr import HrRecords, build_hr, monthly_payroll_cny
from ingest.simulator.inventory import Stock, run_inventory
from ingest.simulator.org import Org, build_org
from ingest.simulator.period import Period, rng_for
from ingest.simulator.planning import Plans, build_plans
from ingest.simulator.sales import Orders, generate_orders
from ingest.simulator.slow_moving import SlowMoving, build_slow_moving
from ingest.simulator.targets import build_targets

MIN_EMPLOYEES = 30


@dataclass
class Company:
    seed: int
    period: Period
    org: Org
    calendars: Calendars
    fx: FxRates
    catalog: Catalog
    customers: Customers
    orders: Orders
    plans: Plans
    stock: Stock
    slow: SlowMoving
    finance: Finance
    crm: Crm
    targets: list[dict]
    attendance: Attendance
    hr: HrRecords


def build_company(employees: int, months: int, seed: int, start_month: str) -> Company:
    if employees < MIN_EMPLOYEES:
        raise ValueError(f"employees must be at least {MIN_EMPLOYEES} (got {employees})")
    period = Period(start_month, months)
    n_skus = n_skus_for(employees)
    org = build_org(period, employees, n_skus, rng_for(seed, "org"))
    calendars = Calendars(period, sorted({p.country for p in org.people}))
    fx = FxRates(period, rng_for(seed, "fx"))
    catalog = build_catalog(period, org, n_skus, rng_for(seed, "catalog"))
    customers = build_customers(period, org, rng_for(seed, "customers"))
    orders = generate_orders(period, org, calendars, catalog, customers, fx, rng_for(seed, "sales"))
    plans = build_plans(period, org, calendars, catalog, orders, rng_for(seed, "planning"))
    stock, ship_day = run_inventory(period, org, calendars, catalog, orders, plans, fx, rng_for(seed, "inventory"))
    orders = finish_orders(period, orders, stock, ship_day, rng_for(seed, "fulfilment"))
    slow = build_slow_moving(period, org, calendars, catalog, stock, rng_for(seed, "slow_moving"))
    hr = build_hr(period, org, rng_for(seed, "hr"))
    payroll = monthly_payroll_cny(period, org, hr.compensation)
    finance = build_finance(period, customers, orders, stock, slow, payroll, fx, rng_for(seed, "finance"))
    crm = build_crm(period, org, calendars, customers, orders, fx, rng_for(seed, "crm"))
    targets = build_targets(period, org, orders)
    attendance = build_attendance(period, org, calendars, rng_for(seed, "attendance"))
    return Company(
        seed,
        period,
        org,
        calendars,
        fx,
        catalog,
        customers,
        orders,
        plans,
        stock,
        slow,
        finance,
        crm,
        targets,
        attendance,
        hr,
    )
