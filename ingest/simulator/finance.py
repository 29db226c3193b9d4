"""Invoices, customer payments and the monthly ledger balances (base currency CNY)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from ingest.simulator.customers import Customers
from ingest.simulator.fx import FxRates
from ingest.simulator.inventory import Stock
from ingest.simulator.period import Period
from ingest.simulator.sales import Orders
from ingest.simulator.slow_moving import SlowMoving

ACCOUNTS = [
    "inventory",
    "current_assets",
    "receivables",
    "revenue",
    "cogs",
    "operating_expenses",
    "inventory_impairment",
]


@dataclass
class Finance:
    invoices: list[dict]
    payments: list[dict]
    balances: list[dict]


def build_finance(
    period: Period,
    customers: Customers,
    orders: Orders,
    stock: Stock,
    slow: SlowMoving,
    payroll_cny: np.ndarray,
    fx: FxRates,
    rng: np.random.Generator,
) -> Finance:
    n_days = period.n_days
    amount = np.zeros(orders.n)
    np.add.at(amount, orders.line_order, orders.line_qty * orders.line_price)
    invoices, payments = [], []
    shipped = np.flatnonzero(orders.status == "shipped")
    ship_day = (orders.shipped_at.astype("datetime64[D]") - period.epoch).astype(np.int64)
    order_by_ship = shipped[np.argsort(orders.shipped_at[shipped], kind="stable")]
    dates = period.dates()
    customer_of = orders.customer.tolist()
    ship_day_of = ship_day.tolist()
    amount_of = amount.tolist()
    currency_of = orders.currency.tolist()
    terms_of = customers.terms.tolist()
    slow_of = customers.slow_payer.tolist()
    normal, uniform, random, integers = rng.normal, rng.uniform, rng.random, rng.integers
    for o in order_by_ship.tolist():  # one invoice per shipped order, the random draws in shipping order
        c = customer_of[o]
        day = ship_day_of[o]
        inv_date = dates[day] if 0 <= day < n_days else period.date(day)
        terms = int(terms_of[c])
        total = round(float(amount_of[o]), 2)
        inv = {
            "invoice_id": f"INV{len(invoices) + 1:07d}",
            "order": o,
            "date": inv_date,
            "due": inv_date + dt.timedelta(days=terms),
            "amount": total,
            "currency": str(currency_of[o]),
        }
        invoices.append(inv)
        if total <= 0:
            continue  # credit note for a return: settled against later invoices
        pay_day = day + terms + int(round(normal(3 + (20 if slow_of[c] else 0), 8)))
        pay_day = max(day + 3, pay_day)
        parts = [(pay_day, total)]
        if random() < 0.07:
            first = round(total * uniform(0.4, 0.7), 2)
            parts = [
                (max(day + 1, pay_day - int(integers(10, 21))), first),
                (pay_day, round(total - first, 2)),
            ]
        for when, value in parts:
            if when < n_days:
                payments.append(
                    {
                        "invoice_id": inv["invoice_id"],
                        "date": dates[when] if when >= 0 else period.date(when),
                        "amount": value,
                        "currency": inv["currency"],
                        "day": when,
                    }
                )
    payments.sort(key=lambda p: (p["date"], p["invoice_id"]))
    for k, p in enumerate(payments, start=1):
        p["payment_id"] = f"PAY{k:07d}"

    # ledger
    months = period.n_months
    line_ship_day = ship_day[orders.line_order]
    line_shipped = orders.status[orders.line_order] == "shipped"
    line_month = np.where(line_shipped, period.month_of_day[np.clip(line_ship_day, 0, n_days - 1)], -1)
    revenue = np.zeros(months)
    cogs = np.zeros(months)
    ok = line_month >= 0
    line_cny = (
        orders.line_qty
        * orders.line_price
        * fx.vector(orders.currency[orders.line_order], np.clip(line_ship_day, 0, n_days - 1))
    )
    np.add.at(revenue, line_month[ok], line_cny[ok])
    np.add.at(cogs, line_month[ok], (orders.line_qty * orders.line_cost)[ok])
    impairment = np.zeros(months)
    for a in slow.actions:
        if a["action_type"] == "write_off":
            day = (a["taken_at"].date() - period.start).days
            impairment[period.month_of_day[day]] += a["quantity"] * float(stock.avg_cost[day, a["sku"]])
    received_value = np.zeros(months)
    collected = np.zeros(months)
    for p in payments:
        collected[period.month_of_day[p["day"]]] += p["amount"] * float(fx.rate(p["currency"], p["day"]))
    inv_by_cur: dict[str, np.ndarray] = {}
    pay_by_cur: dict[str, np.ndarray] = {}
    for inv in invoices:
        arr = inv_by_cur.setdefault(inv["currency"], np.zeros(n_days))
        arr[(inv["date"] - period.start).days] += inv["amount"]
    for p in payments:
        arr = pay_by_cur.setdefault(p["currency"], np.zeros(n_days))
        arr[p["day"]] += p["amount"]
    cash = 3.0 * float(revenue.mean()) if months else 0.0
    balances = []
    inv_value_daily = (stock.on_hand * stock.avg_cost).sum(axis=1)
    first_day_value = float((stock.initial_on_hand * stock.initial_cost).sum())
    opex = payroll_cny * 1.3 + 600_000 + 0.03 * revenue
    for m in range(months):
        last = period.month_last(m)
        inventory = float(inv_value_daily[last])
        receivables = 0.0
        for cur, arr in inv_by_cur.items():
            outstanding = arr[: last + 1].sum() - pay_by_cur.get(cur, np.zeros(n_days))[: last + 1].sum()
            receivables += outstanding * float(fx.rate(cur, last))
        opening = first_day_value if m == 0 else float(inv_value_daily[period.month_last(m - 1)])
        received_value[m] = max(0.0, inventory - opening + cogs[m])  # purchases paid on receipt
        cash += collected[m] - received_value[m] - opex[m]
        cash = max(cash, 0.5 * float(revenue[m]))  # the bank credit line keeps some cash on hand
        values = {
            "inventory": inventory,
            "current_assets": inventory + receivables + cash,
            "receivables": receivables,
            "revenue": revenue[m],
            "cogs": cogs[m],
            "operating_expenses": opex[m],
            "inventory_impairment": impairment[m],
        }
        for account in ACCOUNTS:
            balances.append({"month": m, "account": account, "amount": round(float(values[account]), 2)})
    return Finance(invoices=invoices, payments=payments, balances=balances)
