"""After the stock simulation: ship times, order statuses, unit costs at sale, and customer returns."""

from __future__ import annotations

import numpy as np

from ingest.simulator.inventory import Stock
from ingest.simulator.period import Period
from ingest.simulator.sales import Orders, SequentialIds

RETURN_SHARE = 0.004
STATUSES = np.array(["cancelled", "shipped", "open", "confirmed"], dtype=object)  # one str each, shared by rows


def _at(period: Period, days: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    return (period.epoch + days).astype("datetime64[s]") + seconds.astype("timedelta64[s]")


def finish_orders(period: Period, orders: Orders, stock: Stock, ship_day: np.ndarray, rng: np.random.Generator) -> Orders:
    """Fill ship times, statuses and costs, add return orders, and sort everything by order time."""
    n = orders.n
    end_ts = _at(period, np.array([period.n_days]), np.array([0]))[0]
    shipped = ship_day >= 0
    shipped_at = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    shipped_at[shipped] = _at(period, ship_day[shipped], rng.integers(10 * 3600, 18 * 3600, size=int(shipped.sum())))
    confirmed_at = orders.confirmed_at.copy()
    confirmed_at[confirmed_at >= end_ts] = np.datetime64("NaT")
    status = STATUSES[
        np.where(orders.cancelled, 0, np.where(shipped, 1, np.where(np.isnat(confirmed_at), 2, 3)))
    ]
    cost_day = orders.day[orders.line_order] - 1
    line_cost = np.where(
        cost_day >= 0,
        stock.avg_cost[np.maximum(cost_day, 0), orders.line_sku],
        stock.initial_cost[orders.line_sku],
    )

    # returns: a few shipped lines come back 1-3 weeks later as a separate order with a negative quantity
    cand = np.flatnonzero(shipped[orders.line_order] & (ship_day[orders.line_order] < period.n_days - 20))
    picked = cand[rng.random(len(cand)) < RETURN_SHARE]
    k = len(picked)
    src = orders.line_order[picked]
    r_day = ship_day[src] + rng.integers(5, 21, size=k)
    r_ordered = _at(period, r_day, rng.integers(9 * 3600, 17 * 3600, size=k))
    r_confirmed = r_ordered + rng.integers(3600, 8 * 3600, size=k).astype("timedelta64[s]")
    back = r_day + rng.integers(2, 7, size=k)
    r_done = back < period.n_days
    r_shipped = np.full(k, np.datetime64("NaT"), dtype="datetime64[s]")
    r_shipped[r_done] = _at(period, back[r_done], rng.integers(10 * 3600, 17 * 3600, size=int(r_done.sum())))
    r_qty = -np.ceil(orders.line_qty[picked] * rng.uniform(0.1, 1.0, size=k))
    for s, day, q in zip(orders.line_sku[picked][r_done], back[r_done], r_qty[r_done], strict=True):
        stock.on_hand[day:, s] -= q  # returned goods go back on the shelf

    def cat(a, b):
        return np.concatenate([a, b])

    all_ordered = cat(orders.ordered_at, r_ordered)
    order = np.lexsort((np.arange(n + k), all_ordered))
    new_index = np.empty(n + k, dtype=np.int64)
    new_index[order] = np.arange(n + k)
    return_of = cat(np.full(n, -1), new_index[src])
    l_order = new_index[cat(orders.line_order, n + np.arange(k))]
    l_number = cat(orders.line_number, np.ones(k, dtype=np.int64))
    l_sort = np.lexsort((l_number, l_order))
    result = Orders(
        rep=cat(orders.rep, orders.rep[src])[order],
        customer=cat(orders.customer, orders.customer[src])[order],
        day=cat(orders.day, r_day)[order],
        ordered_at=all_ordered[order],
        currency=cat(orders.currency, orders.currency[src])[order],
        channel=cat(orders.channel, orders.channel[src])[order],
        region=cat(orders.region, orders.region[src])[order],
        cancelled=cat(orders.cancelled, np.zeros(k, dtype=bool))[order],
        confirmed_at=cat(confirmed_at, r_confirmed)[order],
        planned_ship_day=cat(orders.planned_ship_day, back)[order],
        line_order=l_order[l_sort].astype(np.int32),  # 4 bytes a line: ids stay far below 2**31
        line_number=l_number[l_sort].astype(np.int32),
        line_sku=cat(orders.line_sku, orders.line_sku[picked])[l_sort].astype(np.int32),
        line_qty=cat(orders.line_qty, r_qty)[l_sort],
        line_price=cat(orders.line_price, orders.line_price[picked])[l_sort],
        line_price_cny=cat(orders.line_price_cny, orders.line_price_cny[picked])[l_sort],
        demand=orders.demand,
        baseline=orders.baseline,
        quota_basis=orders.quota_basis,
        quota_reps=orders.quota_reps,
        shipped_at=cat(shipped_at, r_shipped)[order],
        status=cat(status, STATUSES[np.where(r_done, 1, 3)])[order],
        line_cost=np.round(cat(line_cost, line_cost[picked]), 2)[l_sort],
        return_of=return_of[order],
    )
    result.ids = SequentialIds("SO", 7, n + k)
    return result
