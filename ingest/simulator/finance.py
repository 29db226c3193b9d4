"""Invoices, customer payments and the monthly ledger balances (base currency CNY)."""

from __future__ import annotations

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
class Invoices:
    """One invoice per shipped order, in shipping order (invoice id INV + position, 7 digits)."""

    order: np.ndarray
    day: np.ndarray  # invoice date: the shipping day
    terms: np.ndarray  # days from the invoice date to the due date
    amount: np.ndarray
    currency: np.ndarray

    @property
    def n(self) -> int:
        return len(self.order)

    def ids(self, positions: np.ndarray) -> np.ndarray:
        return np.array([f"INV{k + 1:07d}" for k in positions.tolist()], dtype=object)


@dataclass
class Payments:
    """Customer payments by paid date, then invoice (payment id PAY + position, 7 digits)."""

    invoice: np.ndarray  # invoice position
    day: np.ndarray
    amount: np.ndarray
    currency: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.invoice)


@dataclass
class Finance:
    invoices: Invoices
    payments: Payments
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
    shipped = np.flatnonzero(orders.status == "shipped")
    ship_day = (orders.shipped_at.astype("datetime64[D]") - period.epoch).astype(np.int64)
    order_by_ship = shipped[np.argsort(orders.shipped_at[shipped], kind="stable")]
    terms_of = customers.terms.tolist()
    slow_of = customers.slow_payer.tolist()
    normal, uniform, random, integers = rng.normal, rng.uniform, rng.random, rng.integers
    inv_terms, inv_amount = [], []
    pay_invoice, pay_day_of, pay_amount = [], [], []
    block = 100_000  # orders taken out of numpy at a time, as Python numbers (fast to loop over)
    for start in range(0, len(order_by_ship), block):  # one invoice per shipped order, draws in shipping order
        part = order_by_ship[start : start + block]
        values = zip(orders.customer[part].tolist(), ship_day[part].tolist(), amount[part].tolist(), strict=True)
        for k, (c, day, order_amount) in enumerate(values, start=start):
            terms = int(terms_of[c])
            total = round(float(order_amount), 2)
            inv_terms.append(terms)
            inv_amount.append(total)
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
                    pay_invoice.append(k)
                    pay_day_of.append(when)
                    pay_amount.append(value)
    invoices = Invoices(
        order=order_by_ship.astype(np.int64),
        day=ship_day[order_by_ship],
        terms=np.array(inv_terms, dtype=np.int64),
        amount=np.array(inv_amount, dtype=float),
        currency=orders.currency[order_by_ship].astype(object),
    )
    p_inv, p_day = np.array(pay_invoice, dtype=np.int64), np.array(pay_day_of, dtype=np.int64)
    by_date = np.lexsort((p_inv, p_day))  # by paid date, then invoice id
    payments = Payments(
        invoice=p_inv[by_date], day=p_day[by_date], amount=np.array(pay_amount, dtype=float)[by_date]
    )
    payments.currency = invoices.currency[payments.invoice]

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
    np.add.at(  # in payment order, as a running sum would add them
        collected, period.month_of_day[payments.day], payments.amount * fx.vector(payments.currency, payments.day)
    )
    inv_by_cur: dict[str, np.ndarray] = {}
    pay_by_cur: dict[str, np.ndarray] = {}
    currencies, first_seen = np.unique(invoices.currency, return_index=True) if invoices.n else ([], [])
    for cur in [currencies[k] for k in np.argsort(first_seen)]:  # in the order the currencies first appear
        arr = inv_by_cur[cur] = np.zeros(n_days)
        mine = invoices.currency == cur
        np.add.at(arr, invoices.day[mine], invoices.amount[mine])
    for cur in np.unique(payments.currency) if payments.n else []:
        arr = pay_by_cur[cur] = np.zeros(n_days)
        mine = payments.currency == cur
        np.add.at(arr, payments.day[mine], payments.amount[mine])
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
