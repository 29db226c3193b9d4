"""Day-by-day stock: receipts in, shipped sales out, and the buyers' purchasing decisions.

Every working week each buyer reviews their skus against the planners' forecasts (reorder point =
cover for lead time + a week + policy days, order up to a month more). A request records the stock, the
3-month sales and the days of cover the buyer saw; above 60 days of cover the owning salesperson must
confirm it. The planted over-buyer reorders long before the reorder point, buys about twice the plan and
mostly skips the sales confirmation. Orders ship when all their lines are in stock (else they wait).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from ingest.simulator.catalog import Catalog
from ingest.simulator.fx import FxRates
from ingest.simulator.holidays import Calendars
from ingest.simulator.org import ROLE_CODE, Org
from ingest.simulator.period import Period
from ingest.simulator.planning import Plans
from ingest.simulator.sales import Orders

COVER_RULE_DAYS = 60
OVERBUY_TRIGGER = 2.5
OVERBUY_QTY = (1.8, 2.6)


@dataclass
class Stock:
    on_hand: np.ndarray  # [day, sku] end of day
    avg_cost: np.ndarray  # [day, sku] moving-average unit cost, CNY
    shipped: np.ndarray  # [day, sku] units shipped (returns excluded)
    initial_on_hand: np.ndarray
    initial_cost: np.ndarray
    pre_daily: np.ndarray  # daily sales rate before the period
    last_sale_before: np.ndarray  # day index (negative) of the last sale before the period; -10**6 if never
    requests: list[dict]
    approvals: list[dict]
    purchase_orders: list[dict]
    receipts: list[dict]


def _ts(period: Period, day: int, seconds: float) -> dt.datetime:
    return dt.datetime.combine(period.date(day), dt.time(0)) + dt.timedelta(seconds=int(seconds))


def _round_up(q: float, pack: float) -> float:
    return float(math.ceil(q / pack) * pack)


class _Sim:
    def __init__(self, period, org, calendars, catalog, orders, plans, fx, rng):
        self.period, self.org, self.cal, self.cat = period, org, calendars, catalog
        self.orders, self.plans, self.fx, self.rng = orders, plans, fx, rng
        n, days = catalog.n, period.n_days
        self.shipped = np.zeros((days, n))
        self.requests: list[dict] = []
        self.approvals: list[dict] = []
        self.pos: list[dict] = []
        self.receipts: list[dict] = []
        self.incoming: dict[int, list[dict]] = defaultdict(list)
        self.on_order = np.zeros(n)
        self.purchasing_manager = org.holder("purchasing_manager")
        self.ops = np.flatnonzero((org.role_day == ROLE_CODE["operations_specialist"]).any(axis=1))

    def initial_state(self) -> None:
        cat, orders, rng, period = self.cat, self.orders, self.rng, self.period
        window = int(min(60, period.n_days))
        live = ~orders.cancelled[orders.line_order]
        early = live & (orders.day[orders.line_order] < window)
        demand = np.zeros(cat.n)
        np.add.at(demand, orders.line_sku[early], orders.line_qty[early])
        launched = cat.launch_day <= 0
        self.pre_daily = np.where(launched, demand / window, 0.0)
        cover = rng.uniform(40, 70, size=cat.n)
        cover[cat.declining] = rng.uniform(60, 120, size=int(cat.declining.sum()))
        on_hand = self.pre_daily * cover
        dead = np.flatnonzero(launched & (cat.discontinued_day <= 0))  # phased out before the period
        on_hand[dead] = cat.typical_qty[dead] * rng.uniform(20, 120, size=len(dead))
        for s in cat.neglected_old:  # old stock that the salesperson does not push: months of cover
            base = float(orders.baseline[s, 0]) / period.month_len[0]
            on_hand[s] = base * rng.uniform(150, 240)
        on_hand = np.where(launched, np.ceil(on_hand / cat.pack) * cat.pack, 0.0)
        self.initial_on_hand = on_hand
        self.on_hand = on_hand.astype(float).tolist()
        self.initial_cost = np.round(cat.unit_cost * rng.uniform(0.97, 1.03, size=cat.n), 2)
        self.avg = self.initial_cost.astype(float).tolist()
        last = np.where(launched, -rng.integers(1, 6, size=cat.n), -(10**6)).astype(np.int64)
        last[cat.declining] = -rng.integers(5, 60, size=int(cat.declining.sum()))
        last[dead] = cat.discontinued_day[dead] - rng.integers(0, 6, size=len(dead))
        for s in cat.neglected_old:
            last[s] = -int(rng.integers(95, 200))
        self.last_sale_before = last

    # -- purchasing -----------------------------------------------------------------------------------------
    def review(self, d: int) -> None:
        cat, period, rng = self.cat, self.period, self.rng
        reviewing = np.flatnonzero((cat.buyer % 5) == period.weekday[d])
        if len(reviewing) == 0:
            return
        lead = np.array([self.cat.suppliers[cat.supplier[s]]["lead_time_days"] for s in reviewing])
        horizon = np.minimum(period.n_days - 1, d + lead)
        months = period.month_of_day[horizon]
        daily_fc = self.plans.plan[reviewing, months] / period.month_len[months]
        safety = cat.safety_days[reviewing] * daily_fc
        rop = daily_fc * (lead + 7) + safety
        target = daily_fc * (lead + 37) + safety
        on_hand = np.array([self.on_hand[s] for s in reviewing])
        position = on_hand + self.on_order[reviewing]
        over = np.isin(reviewing, cat.over_buyer_skus)
        trigger = (daily_fc > 0) & (position < np.where(over, rop * OVERBUY_TRIGGER, rop))
        for k in np.flatnonzero(trigger):
            s = int(reviewing[k])
            plan_qty = max(0.0, _round_up(float(target[k] - position[k]), cat.pack[s]))
            if over[k]:
                wanted = max(float(target[k] - position[k]), 30 * float(daily_fc[k])) * rng.uniform(*OVERBUY_QTY)
                qty = _round_up(wanted, cat.pack[s])
            else:
                qty = plan_qty
            if qty <= 0:
                continue
            self.request(d, s, qty, plan_qty, float(on_hand[k]), int(lead[k]), bool(over[k]))

    def request(self, d: int, s: int, qty: float, plan_qty: float, stock: float, lead: int, over: bool) -> None:
        rng, cat, period, org = self.rng, self.cat, self.period, self.org
        lo = max(0, d - 90)
        sold = float(self.shipped[lo:d, s].sum()) + float(self.pre_daily[s]) * max(0, 90 - d)
        cover = round(stock / (sold / 90), 1) if sold > 0 else None
        required = (cover is not None and cover > COVER_RULE_DAYS) or (cover is None and stock > 0)
        rid = f"PR{len(self.requests) + 1:06d}"
        buyer = int(cat.buyer[s])
        t = _ts(period, d, rng.integers(9 * 3600, 11 * 3600 + 1800))
        self.requests.append(
            {
                "request_id": rid,
                "sku": s,
                "requester": buyer,
                "requested_at": t,
                "quantity": qty,
                "stock_on_hand": stock,
                "sales_3m_qty": round(sold),
                "days_of_cover": cover,
                "plan_qty": plan_qty,
                "confirmation_required": required,
                "over_buyer": over,
            }
        )
        active_ops = self.ops[org.role_day[self.ops, d] == ROLE_CODE["operations_specialist"]].tolist()
        checker = active_ops[int(rng.integers(len(active_ops)))] if active_ops else int(cat.planner[s])
        t = self.cal.office_time(t + dt.timedelta(minutes=int(rng.integers(30, 240))))
        self.approvals.append(
            {
                "request_id": rid,
                "step": "inventory_check",
                "actor": checker,
                "acted_at": t,
                "decision": "approved",
            }
        )
        sales_ok, confirmation = True, None
        if required:
            u = rng.random()
            if over and u < 0.75:
                confirmation = "skipped"
                t = self.cal.office_time(t + dt.timedelta(minutes=int(rng.integers(5, 60))))
                self.approvals.append(
                    {
                        "request_id": rid,
                        "step": "sales_confirmation",
                        "actor": buyer,
                        "acted_at": t,
                        "decision": "skipped",
                    }
                )
            elif over and u < 0.85:
                confirmation = "missing"
            else:
                confirmation = "confirmed" if rng.random() < 0.88 else "rejected"
                sales_ok = confirmation == "confirmed"
                t = self.cal.office_time(t + dt.timedelta(minutes=int(rng.integers(120, 1800))))
                self.approvals.append(
                    {
                        "request_id": rid,
                        "step": "sales_confirmation",
                        "actor": int(cat.owner[s]),
                        "acted_at": t,
                        "decision": confirmation,
                    }
                )
        self.requests[-1]["confirmation"] = confirmation
        approved = sales_ok and rng.random() < 0.97
        t = self.cal.office_time(t + dt.timedelta(minutes=int(rng.integers(60, 1200))))
        self.approvals.append(
            {
                "request_id": rid,
                "step": "approval",
                "actor": self.purchasing_manager,
                "acted_at": t,
                "decision": "approved" if approved else "rejected",
            }
        )
        self.requests[-1]["approved"] = approved
        if approved:
            ordered_at = self.cal.office_time(t + dt.timedelta(minutes=int(rng.integers(30, 1440))))
            self.purchase(rid, s, qty, buyer, ordered_at, lead)

    def purchase(self, rid: str, s: int, qty: float, buyer: int, ordered_at: dt.datetime, lead: int) -> None:
        rng, cat, period, fx = self.rng, self.cat, self.period, self.fx
        supplier = cat.suppliers[cat.supplier[s]]
        currency = supplier["currency"]
        day = (ordered_at.date() - period.start).days
        cny = float(cat.unit_cost[s]) * rng.uniform(0.96, 1.04)
        unit_cost = round(cny / float(fx.rate(currency, day)), 2) if currency != "CNY" else round(cny, 2)
        due = ordered_at.date() + dt.timedelta(days=lead)
        po_id = f"PO{len(self.pos) + 1:06d}"
        self.pos.append(
            {
                "po_id": po_id,
                "request_id": rid,
                "supplier": supplier["supplier_id"],
                "buyer": buyer,
                "ordered_at": ordered_at,
                "currency": currency,
                "sku": s,
                "quantity": qty,
                "unit_cost": unit_cost,
                "due_date": due,
            }
        )
        self.on_order[s] += qty
        due_day = (due - period.start).days
        if rng.random() < supplier["on_time"]:
            arrive = max(day + 1, self.cal.previous_working("CN", due_day - int(rng.integers(0, 4))))
        else:
            arrive = self.cal.next_working("CN", due_day + int(rng.integers(1, 13)))
        parts = [qty]
        if rng.random() < 0.08 and qty >= 2 * cat.pack[s]:
            first = _round_up(qty * rng.uniform(0.6, 0.8), cat.pack[s])
            parts = [first, qty - first]
        for k, part in enumerate(parts):
            when = self.cal.next_working("CN", arrive + (int(rng.integers(3, 11)) if k else 0))
            rejected = float(max(1, round(part * rng.uniform(0.01, 0.05)))) if rng.random() < 0.06 else 0.0
            self.incoming[when].append(
                {
                    "po_id": po_id,
                    "sku": s,
                    "qty": part,
                    "rejected": min(rejected, part),
                    "unit_cost_cny": unit_cost * float(fx.rate(currency, min(when, period.n_days - 1))),
                }
            )

    def receive(self, d: int) -> None:
        for rec in self.incoming.pop(d, []):
            s = rec["sku"]
            accepted = rec["qty"] - rec["rejected"]
            stock = self.on_hand[s]
            if stock + accepted > 0:
                self.avg[s] = round((stock * self.avg[s] + accepted * rec["unit_cost_cny"]) / (stock + accepted), 2)
            self.on_hand[s] = stock + accepted
            self.on_order[s] -= rec["qty"]
            t = _ts(self.period, d, self.rng.integers(8 * 3600, 17 * 3600))
            self.receipts.append(
                {
                    "po_id": rec["po_id"],
                    "received_at": t,
                    "received_qty": rec["qty"],
                    "rejected_qty": rec["rejected"],
                }
            )

    def ship(self, d: int, pending: list[int], first_line: list[int], line_sku, line_qty, ship_day) -> list[int]:
        """Ship the waiting orders (oldest first) whose lines are all in stock; return those still waiting.

        Order o's lines are first_line[o]:first_line[o + 1]; the day's shipped units are summed in a list
        of Python floats (the same arithmetic as numpy's float64, without a numpy scalar per line)."""
        on_hand, shipped = self.on_hand, self.shipped[d].tolist()
        waiting = []
        for o in pending:
            idx = range(first_line[o], first_line[o + 1])
            if all(on_hand[line_sku[i]] >= line_qty[i] for i in idx):
                for i in idx:
                    s = line_sku[i]
                    on_hand[s] -= line_qty[i]
                    shipped[s] += line_qty[i]
                ship_day[o] = d
            else:
                waiting.append(o)
        self.shipped[d] = shipped
        return waiting

    # -- the daily loop -------------------------------------------------------------------------------------
    def run(self) -> Stock:
        period, orders, cat = self.period, self.orders, self.cat
        self.initial_state()
        n_days = period.n_days
        on_hand_eod = np.zeros((n_days, cat.n))
        avg_eod = np.zeros((n_days, cat.n))
        assert (np.diff(orders.line_order) >= 0).all(), "an order's lines are next to each other"
        first_line = np.concatenate([[0], np.cumsum(np.bincount(orders.line_order, minlength=orders.n))]).tolist()
        ready: dict[int, list[int]] = defaultdict(list)
        for o in np.flatnonzero(~orders.cancelled):
            ready[int(orders.planned_ship_day[o])].append(int(o))
        ship_day = np.full(orders.n, -1, dtype=np.int64)
        line_sku = orders.line_sku.tolist()
        line_qty = orders.line_qty.tolist()
        pending: list[int] = []
        cn_work = self.cal.working["CN"]
        for d in range(n_days):
            self.receive(d)
            pending.extend(ready.pop(d, []))
            if cn_work[d]:  # the warehouse reviews and ships on working days only
                self.review(d)
                pending = self.ship(d, pending, first_line, line_sku, line_qty, ship_day)
            on_hand_eod[d] = self.on_hand
            avg_eod[d] = self.avg
        self.ship_day = ship_day
        return Stock(
            on_hand=on_hand_eod,
            avg_cost=avg_eod,
            shipped=self.shipped,
            initial_on_hand=self.initial_on_hand,
            initial_cost=self.initial_cost,
            pre_daily=self.pre_daily,
            last_sale_before=self.last_sale_before,
            requests=self.requests,
            approvals=self.approvals,
            purchase_orders=self.pos,
            receipts=self.receipts,
        )


def run_inventory(
    period: Period,
    org: Org,
    calendars: Calendars,
    catalog: Catalog,
    orders: Orders,
    plans: Plans,
    fx: FxRates,
    rng: np.random.Generator,
) -> tuple[Stock, np.ndarray]:
    """Simulate stock and purchasing; returns the stock history and each order's ship day (-1: none)."""
    sim = _Sim(period, org, calendars, catalog, orders, plans, fx, rng)
    stock = sim.run()
    return stock, sim.ship_day
