"""Invoices, customer payments and the monthly ledger balances (base currency CNY)."""

from __future__ import annotations

from array import array
from dataclasses import dataclass

import numpy as np

from ingest.simulator.customers import Customers
from ingest.simulator.fx import CURRENCIES, FxRates
from ingest.simulator.inventory import Stock
from ingest.simulator.period import Period
from ingest.simulator.sales import Orders
from ingest.simulator.slow_moving import SlowMoving
from ingest.simulator.texts import serial_ids

ACCOUNTS = [
    "inventory",
    "current_assets",
    "receivables",
    "revenue",
    "cogs",
    "operating_expenses",
    "inventory_impairment",
]


CURRENCY_TEXTS = np.array(CURRENCIES, dtype=object)


def currency_codes(currency: np.ndarray) -> np.ndarray:
    """Positions in CURRENCIES (int8) of currency codes given as text."""
    code = np.full(len(currency), -1, dtype=np.int8)
    for k, cur in enumerate(CURRENCIES):
        code[currency == cur] = k
    if len(code) and code.min() < 0:
        raise ValueError(f"currency {currency[np.argmin(code)]!r} is not one of {CURRENCIES}")
    return code


def round_cents(values: np.ndarray) -> np.ndarray:
    """round(v, 2) of each value, exactly as Python's round gives it (the nearest double to the value correctly
    rounded to cents, ties to even): the cents are rint(v * 100) unless v * 100 lies so close to a half that the
    multiplication's own rounding could decide it; those few are left to Python's round."""
    values = np.asarray(values, dtype=float)
    cents = values * 100
    out = np.rint(cents) / 100
    unsure = np.flatnonzero(np.abs(np.abs(cents - np.trunc(cents)) - 0.5) <= 4 * np.spacing(np.abs(cents)))
    if len(unsure):
        out[unsure] = [round(v, 2) for v in values[unsure].tolist()]
    return out


@dataclass
class Invoices:
    """One invoice per shipped order, in shipping order (invoice id INV + position, 7 digits)."""

    order: np.ndarray
    day: np.ndarray  # invoice date: the shipping day
    terms: np.ndarray  # days from the invoice date to the due date
    amount: np.ndarray
    currency_code: np.ndarray  # position in CURRENCIES

    @property
    def n(self) -> int:
        return len(self.order)

    def ids(self, positions: np.ndarray) -> np.ndarray:
        return serial_ids("INV", 7, positions)

    def currency(self, positions: np.ndarray) -> np.ndarray:
        return CURRENCY_TEXTS[self.currency_code[positions]]


@dataclass
class Payments:
    """Customer payments by paid date, then invoice (payment id PAY + position, 7 digits)."""

    invoice: np.ndarray  # invoice position
    day: np.ndarray
    amount: np.ndarray
    currency_code: np.ndarray  # position in CURRENCIES

    @property
    def n(self) -> int:
        return len(self.invoice)

    def currency(self, positions: np.ndarray) -> np.ndarray:
        return CURRENCY_TEXTS[self.currency_code[positions]]


@dataclass
class Finance:
    invoices: Invoices
    payments: Payments
    balances: list[dict]


def _invoices_and_payments(
    period: Period,
    customers: Customers,
    orders: Orders,
    ship_day: np.ndarray,
    order_currency: np.ndarray,
    rng: np.random.Generator,
) -> tuple[Invoices, Payments]:
    """One invoice per shipped order, in shipping order; its payment (7% in two parts) where paid by the end.

    The draws are made per paid invoice in shipping order (a normal delay, then whether it is paid in two parts,
    and for those the first part's share and how many days earlier it is paid); only the draws are made in the
    loop, the arithmetic is done on whole arrays afterwards."""
    n_days = period.n_days
    amount = np.zeros(orders.n)
    np.add.at(amount, orders.line_order, orders.line_qty * orders.line_price)
    shipped = np.flatnonzero(orders.status == "shipped")
    order_by_ship = shipped[np.argsort(orders.shipped_at[shipped], kind="stable")]
    del shipped
    cust = orders.customer[order_by_ship]
    day = ship_day[order_by_ship].astype(np.int32)
    terms = customers.terms[cust].astype(np.int16)
    total = round_cents(amount[order_by_ship])
    del amount
    paid = np.flatnonzero(total > 0)  # a credit note for a return is settled against later invoices
    mean_delay = np.where(customers.slow_payer[cust[paid]], 23, 3).astype(np.uint8).tobytes()  # 1 byte each
    del cust
    normal, uniform, random, integers = rng.normal, rng.uniform, rng.random, rng.integers
    delay = array("d")  # 8 bytes a value, not a Python float
    split_at: list[int] = []  # positions in paid
    share: list[float] = []
    earlier: list[int] = []
    add_delay, add_split, add_share, add_earlier = delay.append, split_at.append, share.append, earlier.append
    for j, mean in enumerate(mean_delay):
        add_delay(normal(mean, 8))
        if random() < 0.07:
            add_split(j)
            add_share(uniform(0.4, 0.7))
            add_earlier(int(integers(10, 21)))
    del mean_delay
    p_day = day[paid].astype(np.int64)
    # round() of a float is round half to even, as np.rint
    pay_day = np.maximum(p_day + 3, p_day + terms[paid] + np.rint(np.frombuffer(delay, dtype=float)).astype(np.int64))
    del delay
    split = np.zeros(len(paid), dtype=bool)
    split[split_at] = True
    s_total = total[paid][split_at].tolist()
    first = np.array([round(t * u, 2) for t, u in zip(s_total, share, strict=True)], dtype=float)
    second = np.array([round(t - f, 2) for t, f in zip(s_total, first.tolist(), strict=True)], dtype=float)
    s_day = pay_day[split_at]
    first_day = np.maximum(p_day[split_at] + 1, s_day - np.array(earlier, dtype=np.int64))
    del p_day
    # a split invoice's first part is paid strictly before its second: (paid date, invoice) orders all payments
    p_inv = np.concatenate([paid[~split], paid[split_at], paid[split_at]])
    p_day = np.concatenate([pay_day[~split], first_day, s_day])
    p_amount = np.concatenate([total[paid[~split]], first, second])
    del pay_day, split, first_day, s_day, first, second
    inside = np.flatnonzero(p_day < n_days)
    by_date = inside[np.lexsort((p_inv[inside], p_day[inside]))]  # by paid date, then invoice id
    cur = order_currency[order_by_ship]
    invoices = Invoices(order=order_by_ship, day=day, terms=terms, amount=total, currency_code=cur)
    p_inv = p_inv[by_date]
    payments = Payments(invoice=p_inv, day=p_day[by_date], amount=p_amount[by_date], currency_code=cur[p_inv])
    return invoices, payments


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
    ship_day = (orders.shipped_at.astype("datetime64[D]") - period.epoch).astype(np.int64)
    order_currency = currency_codes(orders.currency)
    invoices, payments = _invoices_and_payments(period, customers, orders, ship_day, order_currency, rng)

    # ledger
    months = period.n_months
    # CNY per unit by currency code and day: the values fx.vector gives (1 for CNY)
    rate_of = np.stack([np.ones(n_days)] + [fx.rates[cur] for cur in CURRENCIES[1:]])
    shipped = orders.status == "shipped"
    clipped_day = np.clip(ship_day, 0, n_days - 1)
    revenue = np.zeros(months)
    cogs = np.zeros(months)
    block = 1_000_000  # lines at a time: the sums add line by line in line order, block after block
    for start in range(0, len(orders.line_order), block):
        lines = start + np.flatnonzero(shipped[orders.line_order[start : start + block]])  # lines of shipped orders
        line_order = orders.line_order[lines]
        line_day = clipped_day[line_order]
        line_month = period.month_of_day[line_day]
        qty = orders.line_qty[lines]
        np.add.at(revenue, line_month, qty * orders.line_price[lines] * rate_of[order_currency[line_order], line_day])
        np.add.at(cogs, line_month, qty * orders.line_cost[lines])
    impairment = np.zeros(months)
    for a in slow.actions:
        if a["action_type"] == "write_off":
            day = (a["taken_at"].date() - period.start).days
            impairment[period.month_of_day[day]] += a["quantity"] * float(stock.avg_cost[day, a["sku"]])
    received_value = np.zeros(months)
    collected = np.zeros(months)
    np.add.at(  # in payment order, as a running sum would add them
        collected,
        period.month_of_day[payments.day],
        payments.amount * rate_of[payments.currency_code, payments.day],
    )
    inv_by_cur: dict[str, np.ndarray] = {}
    pay_by_cur: dict[str, np.ndarray] = {}
    codes, first_seen = np.unique(invoices.currency_code, return_index=True)
    for code in codes[np.argsort(first_seen)].tolist():  # in the order the currencies first appear
        arr = inv_by_cur[CURRENCIES[code]] = np.zeros(n_days)
        mine = invoices.currency_code == code
        np.add.at(arr, invoices.day[mine], invoices.amount[mine])
    for code in np.unique(payments.currency_code).tolist():
        arr = pay_by_cur[CURRENCIES[code]] = np.zeros(n_days)
        mine = payments.currency_code == code
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
