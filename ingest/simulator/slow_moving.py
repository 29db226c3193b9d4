"""Monthly slow-moving lists (no sale in 90 days) submitted by the buyers, and the actions taken on them.

Lists are due by the 5th; one buyer is often late. Owners follow up their listed skus with promotions
or clearance sales; the planted salesperson who neglects old stock rarely follows up.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from ingest.simulator.catalog import Catalog
from ingest.simulator.holidays import Calendars
from ingest.simulator.inventory import Stock
from ingest.simulator.org import Org
from ingest.simulator.period import Period

SLOW_DAYS = 90
DUE_DAY = 5


@dataclass
class SlowMoving:
    lists: list[dict]
    actions: list[dict]
    late_submitter: int


def last_sale_by_day(stock: Stock) -> np.ndarray:
    """[day, sku] day index of the most recent shipment on or before the day (negative: before the period)."""
    days = np.arange(stock.shipped.shape[0])[:, None]
    marks = np.where(stock.shipped > 0, days, np.iinfo(np.int64).min)
    last = np.maximum.accumulate(marks, axis=0)
    return np.maximum(last, stock.last_sale_before[None, :])


def _working_days(calendars: Calendars, month_start: dt.date, window: tuple[int, int]) -> list[dt.date]:
    """CN working days from day window[0] to window[1] of the month (day 0 = last day of the month before)."""
    first = np.datetime64(month_start.isoformat(), "D") + window[0] - 1
    span = first + np.arange(window[1] - window[0] + 1)
    found = span[np.is_busday(span, holidays=calendars.cn_holidays)]
    if len(found) == 0:  # a holiday week: the next working day
        found = np.busday_offset(span[-1:], 0, roll="forward", holidays=calendars.cn_holidays)
    return [d.item() for d in found]


def build_slow_moving(
    period: Period, org: Org, calendars: Calendars, catalog: Catalog, stock: Stock, rng: np.random.Generator
) -> SlowMoving:
    last_sale = last_sale_by_day(stock)
    buyers = sorted({int(b) for b in catalog.buyer})
    late_pool = [b for b in buyers if b != org.key["over_buyer"]] or buyers
    late_submitter = int(late_pool[int(rng.integers(len(late_pool)))])
    finance = org.holder("finance_manager")
    lists: list[dict] = []
    actions: list[dict] = []
    for m in range(period.n_months):
        asof = int(period.month_first[m]) - 1  # stock at the end of the previous month
        if asof >= 0:
            on_hand, last = stock.on_hand[asof], last_sale[asof]
        else:
            on_hand, last = stock.initial_on_hand, stock.last_sale_before
        never = last <= -(10**6)
        since = np.where(never, asof - catalog.launch_day, asof - last)
        slow = (on_hand > 0) & (since >= SLOW_DAYS) & (catalog.launch_day <= asof)
        seq = 0
        for b in buyers:
            skus = [int(s) for s in np.flatnonzero(slow & (catalog.buyer == b))]
            if not skus:
                continue
            late = rng.random() < (0.45 if b == late_submitter else 0.04)
            days = _working_days(calendars, period.month_starts[m], (6, 12) if late else (-2, DUE_DAY))
            day = days[int(rng.integers(len(days)))]
            submitted = dt.datetime.combine(day, dt.time(9)) + dt.timedelta(seconds=int(rng.integers(0, 8 * 3600)))
            if submitted.date() > period.end:
                continue
            for s in skus:
                seq += 1
                list_id = f"SML{period.month_labels[m].replace('-', '')}-{seq:03d}"
                lists.append(
                    {
                        "list_id": list_id,
                        "month": m,
                        "sku": s,
                        "submitted_by": b,
                        "submitted_at": submitted,
                        "on_hand_qty": float(on_hand[s]),
                        "days_since_last_sale": int(since[s]),
                    }
                )
                owner = int(catalog.owner[s])
                follow = 0.25 if owner == org.key["neglecter"] else 0.85
                if rng.random() >= follow:
                    continue
                kind = str(rng.choice(["promotion", "clearance", "write_off"], p=[0.55, 0.35, 0.10]))
                taken = calendars.office_time(
                    submitted + dt.timedelta(days=int(rng.integers(2, 21)), seconds=int(rng.integers(0, 6 * 3600)))
                )
                if taken.date() > period.end:
                    continue
                share = rng.uniform(0.1, 0.3) if kind == "write_off" else rng.uniform(0.2, 0.8)
                actions.append(
                    {
                        "list_id": list_id,
                        "action_type": kind,
                        "taken_by": finance if kind == "write_off" else owner,
                        "taken_at": taken,
                        "quantity": float(max(1, round(on_hand[s] * share))),
                        "sku": s,
                    }
                )
    if lists and not actions:  # a short period still shows a follow-up
        first = lists[0]
        taken = calendars.office_time(first["submitted_at"] + dt.timedelta(hours=2))
        actions.append(
            {
                "list_id": first["list_id"],
                "action_type": "promotion",
                "taken_by": int(catalog.owner[first["sku"]]),
                "taken_at": taken,
                "quantity": float(max(1, round(first["on_hand_qty"] * 0.3))),
                "sku": first["sku"],
            }
        )
    return SlowMoving(lists=lists, actions=actions, late_submitter=late_submitter)
