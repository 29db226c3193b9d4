"""Sales orders and their lines, generated from each rep's order rate and each sku's demand weight.

Demand has seasonality (the run-up to Chinese New Year and Q4 peak, a quiet Spring Festival week),
regional tastes (south buys more appliances and more online), product life cycles (launch ramp-up,
declining old products) and the planted salesperson who neglects old stock: their old skus barely sell.
Ship dates and unit costs are filled in by the inventory simulation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from ingest.simulator.catalog import CATEGORIES, CATEGORY_SEASON, Catalog
from ingest.simulator.customers import Customers, group_positions
from ingest.simulator.fx import FxRates
from ingest.simulator.holidays import Calendars, spring_festival
from ingest.simulator.org import REGIONS, ROLE_CODE, Org
from ingest.simulator.period import Period
from ingest.simulator.texts import serial_ids

MONTH_SHAPE = np.array([1.10, 0.80, 1.00, 1.00, 0.95, 1.05, 0.90, 0.90, 1.05, 1.10, 1.25, 1.30])
REGION_RATE = {"south": 1.1, "north": 0.95, "east": 1.0}
ORDERS_PER_WORKING_DAY = 1.05
NEGLECT_FACTOR = 0.006  # demand weight of the neglecting salesperson's old skus
NEW_FOCUS_FACTOR = 1.3  # ... and of their new skus
LOW_CONVERSION_RATE = 0.25  # order rate of the busy rep with low conversion
CANCEL_SHARE = 0.02


class SequentialIds:
    """Ids numbered by position (SO0000001, ...), made when asked for rather than kept as strings."""

    def __init__(self, prefix: str, width: int, n: int):
        self.prefix, self.width, self.n = prefix, width, n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, k):
        if isinstance(k, np.ndarray):
            return serial_ids(self.prefix, self.width, k)
        if not -self.n <= k < self.n:
            raise IndexError(k)
        return f"{self.prefix}{k % self.n + 1:0{self.width}d}"

    def __iter__(self):
        return (self[k] for k in range(self.n))


def shared_texts(values: np.ndarray) -> np.ndarray:
    """The same text as an object array whose rows share one str per distinct value: 8 bytes a row, where a
    numpy text array takes 4 bytes per character and row."""
    distinct, where = np.unique(values, return_inverse=True)
    return distinct.astype(object)[where.reshape(-1)]


@dataclass
class Orders:
    rep: np.ndarray
    customer: np.ndarray
    day: np.ndarray
    ordered_at: np.ndarray  # datetime64[s], company time
    currency: np.ndarray  # text columns: object arrays sharing one str per value (see shared_texts)
    channel: np.ndarray
    region: np.ndarray
    cancelled: np.ndarray
    confirmed_at: np.ndarray
    planned_ship_day: np.ndarray
    line_order: np.ndarray
    line_number: np.ndarray
    line_sku: np.ndarray
    line_qty: np.ndarray
    line_price: np.ndarray  # order currency
    line_price_cny: np.ndarray
    demand: np.ndarray  # [sku, month] units ordered (not cancelled)
    baseline: np.ndarray  # [sku, month] expected units without the owner effect (what sales would commit)
    quota_basis: np.ndarray  # [rep row, day] expected orders per day used for quotas
    quota_reps: np.ndarray  # person index per quota_basis row
    ids: SequentialIds = field(default_factory=lambda: SequentialIds("SO", 7, 0))
    shipped_at: np.ndarray | None = None
    status: np.ndarray | None = None
    line_cost: np.ndarray | None = None
    return_of: np.ndarray | None = None  # for return orders: index of the original order, else -1

    @property
    def n(self) -> int:
        return len(self.day)


def season_by_day(period: Period) -> np.ndarray:
    months = np.array([(period.start + dt.timedelta(days=int(i))).month for i in range(period.n_days)])
    factor = MONTH_SHAPE[months - 1].copy()
    for year in range(period.start.year, period.end.year + 2):
        cny = period.index(spring_festival(year))
        for lo, hi, f in ((-24, -4, 1.3), (-3, 7, 0.35), (8, 20, 0.8)):
            a, b = max(0, cny + lo), min(period.n_days, cny + hi + 1)
            if a < b:
                factor[a:b] *= f
    return factor


def _sku_weights(period: Period, catalog: Catalog, org: Org, day: int, region: str) -> tuple[np.ndarray, np.ndarray]:
    """Demand weight of every sku on a day in a region: (with the owner effect, without it)."""
    age = day - catalog.launch_day
    life = np.where(age < 0, 0.0, np.where(age < 60, 0.5 + 0.5 * np.clip(age, 0, 60) / 60, 1.0))
    life = life * np.where(catalog.declining, 0.88 ** (max(0, day) / 30.4), 1.0)
    life = life * np.where(day >= catalog.discontinued_day, 0.0, 1.0)
    month = (period.start + dt.timedelta(days=day)).month
    season = np.array([CATEGORY_SEASON.get(CATEGORIES[c][0], [1.0] * 12)[month - 1] for c in range(len(CATEGORIES))])
    affinity = np.array([CATEGORIES[c][4].get(region, 1.0) for c in range(len(CATEGORIES))])
    base = catalog.popularity * life * season[catalog.category] * affinity[catalog.category]
    owner = np.ones(catalog.n)
    owner[catalog.neglected_old] = NEGLECT_FACTOR
    owner[catalog.neglecter_new] = NEW_FOCUS_FACTOR
    return base * owner, base


def generate_orders(
    period: Period,
    org: Org,
    calendars: Calendars,
    catalog: Catalog,
    customers: Customers,
    fx: FxRates,
    rng: np.random.Generator,
) -> Orders:
    rep_code = ROLE_CODE["sales_rep"]
    reps = np.array(org.with_role("sales_rep"))
    season = season_by_day(period)
    day_idx = np.arange(period.n_days)
    growth = 1 + 0.08 * day_idx / 365
    rates = np.zeros((len(reps), period.n_days))
    basis = np.zeros_like(rates)
    region_rate = np.array([REGION_RATE.get(name, 1.0) for name in REGIONS] + [0.0])  # index -1: no region
    for row, r in enumerate(reps):
        p = org.people[r]
        active = org.role_day[r] == rep_code
        work = calendars.working[p.country]
        region_f = region_rate[org.region_day[r]]
        tenure = (period.start - p.hire_date).days + day_idx
        ramp = np.clip(0.3 + 0.7 * tenure / 90, 0.3, 1.0) if p.hire_kind != "initial" else 1.0
        common = ORDERS_PER_WORKING_DAY * season * growth * np.where(work, 1.0, 0.2) * region_f * ramp * active
        conv = LOW_CONVERSION_RATE if r == org.key["low_conversion_rep"] else 1.0
        rates[row] = common * p.skill * conv
        basis[row] = common * p.skill**0.7  # management knows its reps, not perfectly
    counts = rng.poisson(rates)
    o_row, o_day = np.nonzero(counts)
    reps_per = counts[o_row, o_day]
    o_row, o_day = np.repeat(o_row, reps_per), np.repeat(o_day, reps_per)
    o_rep = reps[o_row]

    # customer of each order: among the accounts the rep holds that day (weekends: online accounts only)
    o_cust = np.full(len(o_day), -1, dtype=np.int64)
    online = customers.channel == "online"
    orders_of = group_positions(o_rep)
    for r in np.unique(o_rep):
        sel = orders_of[int(r)]
        segs = customers.segments_of(r)
        if len(segs) == 0:
            continue
        days = o_day[sel][:, None]
        cust = customers.seg_customer[segs]
        country = org.people[int(r)].country
        workday = calendars.working[country][o_day[sel]][:, None]
        ok = (customers.seg_from[segs][None, :] <= days) & (days <= customers.seg_to[segs][None, :])
        ok &= workday | online[cust][None, :]
        w = ok * customers.size[cust][None, :]
        total = w.sum(axis=1)
        cum = np.cumsum(w, axis=1)
        u = rng.random(len(sel)) * total
        pick = np.minimum((cum <= u[:, None]).sum(axis=1), len(segs) - 1)
        chosen = np.where(total > 0, cust[pick], -1)
        o_cust[sel] = chosen
    keep = o_cust >= 0
    o_rep, o_day, o_cust = o_rep[keep], o_day[keep], o_cust[keep]
    n = len(o_day)

    # time of day: offline during office hours, online from morning to late evening
    is_online = online[o_cust]
    secs = np.where(is_online, rng.integers(8 * 3600, 23 * 3600, size=n), rng.integers(9 * 3600, 17 * 3600 + 1800, size=n))
    ordered_at = (period.epoch + o_day).astype("datetime64[s]") + secs.astype("timedelta64[s]")
    order = np.lexsort((o_rep, ordered_at))
    o_rep, o_day, o_cust, ordered_at, is_online = (
        o_rep[order],
        o_day[order],
        o_cust[order],
        ordered_at[order],
        is_online[order],
    )
    region_code = org.region_day[o_rep, o_day]
    region = np.array(REGIONS, dtype=object)[region_code]
    currency = shared_texts(customers.currency)[o_cust]
    channel = np.array(["offline", "online"], dtype=object)[is_online.astype(np.int8)]
    cancelled = rng.random(n) < CANCEL_SHARE
    confirm_delay = rng.integers(15 * 60, 4 * 3600, size=n).astype("timedelta64[s]")
    confirmed_at = calendars.office_times(ordered_at + confirm_delay)  # operations confirms in office hours
    confirmed_at[cancelled & (rng.random(n) < 0.5)] = np.datetime64("NaT")
    confirm_day = (confirmed_at.astype("datetime64[D]") - period.epoch).astype(np.int64)
    wanted = np.where(np.isnat(confirmed_at), o_day, confirm_day) + 1 + rng.integers(0, 2, size=n)
    planned = calendars.next_working_days("CN", wanted)

    # lines
    n_lines = 1 + np.minimum(5, rng.poisson(1.4, size=n))
    l_order = np.repeat(np.arange(n), n_lines)
    l_number = np.arange(len(l_order)) - np.repeat(np.cumsum(n_lines) - n_lines, n_lines) + 1
    l_day = o_day[l_order]
    l_sku = np.zeros(len(l_order), dtype=np.int64)
    baseline = np.zeros((catalog.n, period.n_months))
    size_f = customers.size**0.25
    mean_qty = catalog.typical_qty * np.exp(-0.1 + 0.55**2 / 2) * float(np.mean(size_f[o_cust]))
    # skus of the lines of each week and region: weeks in order, regions by name within a week
    by_name = sorted(range(len(REGIONS)), key=REGIONS.__getitem__)
    rank = np.argsort(by_name)  # REGIONS position -> place of its name in by_name
    week_region = (l_day // 7) * len(REGIONS) + rank[region_code[l_order]]
    for key, sel in sorted(group_positions(week_region).items()):
        week, reg = divmod(key, len(REGIONS))
        w, w_base = _sku_weights(period, catalog, org, week * 7, REGIONS[by_name[reg]])
        p = w / w.sum()
        l_sku[sel] = rng.choice(catalog.n, size=len(sel), p=p)
        # what sales could have sold without neglect: same lines, weights without the owner effect
        months = period.month_of_day[l_day[sel]]
        for m in np.unique(months):
            k = int((months == m).sum())
            baseline[:, m] += k * (w_base / w_base.sum()) * mean_qty
    l_qty = np.maximum(
        1,
        np.round(catalog.typical_qty[l_sku] * np.exp(rng.normal(-0.1, 0.55, size=len(l_sku))) * size_f[o_cust[l_order]]),
    )
    discount = rng.uniform(0, 0.12, size=n) + 0.04 * (customers.size[o_cust] > 2)
    price_cny = np.round(catalog.list_price[l_sku] * (1 - discount[l_order]), 2)
    rate = fx.vector(currency[l_order], l_day)
    l_price = np.where(currency[l_order] == "CNY", price_cny, np.round(price_cny / rate, 2))
    l_price_cny = np.round(l_price * rate, 2)

    months = period.month_of_day[l_day]
    live = ~cancelled[l_order]
    demand = np.zeros((catalog.n, period.n_months))
    np.add.at(demand, (l_sku[live], months[live]), l_qty[live])
    return Orders(
        rep=o_rep,
        customer=o_cust,
        day=o_day,
        ordered_at=ordered_at,
        currency=currency,
        channel=channel,
        region=region,
        cancelled=cancelled,
        confirmed_at=confirmed_at,
        planned_ship_day=planned,
        line_order=l_order,
        line_number=l_number,
        line_sku=l_sku,
        line_qty=l_qty,
        line_price=l_price,
        line_price_cny=l_price_cny,
        demand=demand,
        baseline=baseline,
        quota_basis=basis,
        quota_reps=reps,
        ids=SequentialIds("SO", 7, n),
    )
