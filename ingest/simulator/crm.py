"""CRM records: inbound inquiries and first responses, follow-up activities, opportunities, complaints and
customer satisfaction. The planted busy rep logs about three times the usual follow-ups but converts few."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from ingest.simulator.customers import Customers
from ingest.simulator.fx import FxRates
from ingest.simulator.holidays import Calendars
from ingest.simulator.org import ROLE_CODE, SALES_DEPT, Org
from ingest.simulator.period import Period
from ingest.simulator.sales import Orders
from ingest.simulator.texts import serial_ids, stamp_texts

ACTIVITIES_PER_MONTH = 32
BUSY_ACTIVITIES_PER_MONTH = 110
METHODS = np.array(["call", "visit", "email", "wechat", "meeting"])
METHOD_P = {"offline": [0.4, 0.25, 0.1, 0.2, 0.05], "online": [0.25, 0.0, 0.3, 0.4, 0.05]}
ORDER_METHODS = np.array([0, 1, 3], dtype=np.int8)  # call, visit, wechat: the follow-ups that ended in an order
DURATION = {"call": (2, 20), "visit": (30, 120), "email": (5, 15), "wechat": (1, 10), "meeting": (30, 90)}
OUTCOMES = np.array(["no_answer", "interested", "quote_sent", "lost"])
ALL_OUTCOMES = np.append(OUTCOMES, "order")  # code 4: the follow-up ended in an order
INQUIRY_CHANNELS = np.array(["web", "wechat", "email", "phone"], dtype=object)
OFFLINE_INQUIRY = np.array([3, 1, 2, 0], dtype=np.int8)  # phone, wechat, email, web as codes into INQUIRY_CHANNELS
CONTENT = {
    "no_answer": "未接通，稍后再联系",
    "interested": "客户对新品有兴趣，约下周报价",
    "quote_sent": "已发送报价单，等待回复",
    "order": "客户确认下单",
    "lost": "客户选择了其他供应商",
}
PREFIX = {"call": "电话", "visit": "拜访", "email": "邮件", "wechat": "微信", "meeting": "会议"}


@dataclass
class Crm:
    activities: dict[str, np.ndarray]
    inquiries: dict[str, np.ndarray]
    opportunities: dict[str, np.ndarray]
    complaints: list[dict]
    satisfaction: dict[str, np.ndarray]


def _pick_customers(
    customers: Customers,
    rep: int,
    days: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """A customer the rep holds on each day (weighted by size); -1 where the rep holds none."""
    segs = customers.segments_of(rep)
    if len(segs) == 0 or len(days) == 0:
        return np.full(len(days), -1)
    cust = customers.seg_customer[segs]
    seg_from, seg_to = customers.seg_from[segs], customers.seg_to[segs]
    # the segments held change only where one starts or ends: one row of weights per stretch between those days
    # (not one per pick); every day of a stretch has the same weights, so the same sums
    bounds = np.unique(np.concatenate([seg_from, seg_to + 1]))
    stretch, where = np.unique(np.searchsorted(bounds, days, side="right"), return_inverse=True)
    first_day = np.empty(len(stretch), dtype=days.dtype)
    first_day[where] = days  # a day of each stretch
    d = first_day[:, None]
    ok = (seg_from[None, :] <= d) & (d <= seg_to[None, :])
    w = ok * customers.size[cust][None, :]
    total = w.sum(axis=1)
    cum = np.cumsum(w, axis=1)
    x = rng.random(len(days)) * total[where]
    # how many running sums are <= x: running sums of weights >= 0 do not decrease, so a search per row
    pick = np.empty(len(days), dtype=np.int64)
    by_row = np.argsort(where, kind="stable")
    starts = np.searchsorted(where[by_row], np.arange(len(cum) + 1))
    for k in range(len(cum)):
        rows = by_row[starts[k] : starts[k + 1]]
        pick[rows] = np.searchsorted(cum[k], x[rows], side="right")
    pick = np.minimum(pick, len(segs) - 1)
    return np.where(total[where] > 0, cust[pick], -1)


def _seconds(period: Period, days: np.ndarray, secs: np.ndarray) -> np.ndarray:
    return (period.epoch + days).astype("datetime64[s]") + secs.astype("timedelta64[s]")


def _sorted_codes(codes: np.ndarray, names: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The names present in codes in alphabetical order, and each code as a position in them (what np.unique
    of the names with return_inverse gives, without a text array per row)."""
    present = np.unique(codes)
    texts = names[present]
    alpha = np.argsort(texts, kind="stable")
    lut = np.zeros(len(names), dtype=np.int8)
    lut[present[alpha]] = np.arange(len(present))
    return texts[alpha], lut[codes]


def activities(
    period: Period,
    org: Org,
    calendars: Calendars,
    customers: Customers,
    orders: Orders,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    rep_code = ROLE_CODE["sales_rep"]
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("rep", "customer", "at", "method", "outcome")}
    online_of = customers.channel == "online"
    for r in org.with_role("sales_rep"):
        p = org.people[r]
        active = (org.role_day[r] == rep_code) & calendars.working[p.country]
        busy = r == org.key["low_conversion_rep"]
        per_day = (BUSY_ACTIVITIES_PER_MONTH if busy else ACTIVITIES_PER_MONTH * p.skill**0.3) / 21.7
        counts = rng.poisson(per_day * active)
        days = np.repeat(np.arange(period.n_days), counts)
        cust = _pick_customers(customers, r, days, rng)
        keep = cust >= 0
        days, cust = days[keep], cust[keep]
        n = len(days)
        # codes into METHODS: the same draws as choosing from the texts
        method = np.where(
            online_of[cust],
            rng.choice(len(METHODS), size=n, p=METHOD_P["online"]),
            rng.choice(len(METHODS), size=n, p=METHOD_P["offline"]),
        ).astype(np.int8)
        p_out = [0.3, 0.45, 0.2, 0.05] if busy else [0.22, 0.38, 0.28, 0.12]
        cols["rep"].append(np.full(n, r, dtype=np.int32))
        cols["customer"].append(cust.astype(np.int32))
        # office hours where the rep works, recorded in company time (Shanghai)
        shift = {"DE": 7 * 3600, "US": 16 * 3600}.get(p.country, 0)
        cols["at"].append(_seconds(period, days, rng.integers(9 * 3600, 17 * 3600 + 1800, size=n) + shift))
        cols["method"].append(method)
        cols["outcome"].append(rng.choice(len(OUTCOMES), size=n, p=p_out).astype(np.int8))
    # follow-ups that ended in an order: a third of the offline orders
    sel = np.flatnonzero((orders.channel == "offline") & (orders.return_of < 0) & (rng.random(orders.n) < 0.35))
    cols["rep"].append(orders.rep[sel].astype(np.int32))
    cols["customer"].append(orders.customer[sel].astype(np.int32))
    cols["at"].append(orders.ordered_at[sel] - rng.integers(600, 3 * 3600, size=len(sel)).astype("timedelta64[s]"))
    cols["method"].append(ORDER_METHODS[rng.choice(len(ORDER_METHODS), size=len(sel), p=[0.5, 0.3, 0.2])])
    cols["outcome"].append(np.full(len(sel), len(OUTCOMES), dtype=np.int8))
    out = {}
    for k in list(cols):
        out[k] = np.concatenate(cols.pop(k))
    out["at"] = np.maximum(out["at"], period.epoch.astype("datetime64[s]"))
    inside = np.flatnonzero(out["at"] < (period.epoch + period.n_days).astype("datetime64[s]"))
    order = inside[np.lexsort((out["customer"][inside], out["rep"][inside], out["at"][inside]))]
    del inside
    out = {k: v[order] for k, v in out.items()}
    n = len(order)
    del order
    methods, method_code = _sorted_codes(out["method"], METHODS)
    outcomes, outcome_code = _sorted_codes(out["outcome"], ALL_OUTCOMES)
    lo = np.array([DURATION[m][0] for m in methods.tolist()], dtype=np.int64)[method_code]
    hi = np.array([DURATION[m][1] for m in methods.tolist()], dtype=np.int64)[method_code]
    out["duration"] = rng.integers(lo, hi + 1).astype(np.int16)
    del lo, hi
    out["content_missing"] = rng.random(n) < 0.1
    # text columns as small codes into their values (formatted when the files are written)
    out["method"], out["method_texts"] = method_code, methods.astype(object)
    out["outcome"], out["outcome_texts"] = outcome_code, outcomes.astype(object)
    out["content_texts"] = np.array(
        [[f"{PREFIX[m]}：{CONTENT[o]}" for o in outcomes.tolist()] for m in methods.tolist()], dtype=object
    ).reshape(len(methods), len(outcomes))
    return out


def activity_ids(positions: np.ndarray) -> np.ndarray:
    return serial_ids("AC", 8, positions)


def activity_started(period: Period, act: dict[str, np.ndarray], positions: np.ndarray) -> np.ndarray:
    """started_at texts (activities start on or after the first day, none is missing)."""
    seconds = act["at"][positions].astype("datetime64[s]") - period.epoch.astype("datetime64[s]")
    return stamp_texts(period, seconds.astype(np.int64))


def activity_content(act: dict[str, np.ndarray], positions: np.ndarray) -> np.ndarray:
    """The note the rep wrote (method and outcome), None where the rep wrote nothing."""
    text = act["content_texts"][act["method"][positions], act["outcome"][positions]]
    text[act["content_missing"][positions]] = None
    return text


def inquiries(period: Period, org: Org, customers: Customers, rng: np.random.Generator) -> dict[str, np.ndarray]:
    rep_code = ROLE_CODE["sales_rep"]
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("rep", "customer", "received", "response", "channel")}
    end = _seconds(period, np.array([period.n_days]), np.array([0]))[0]
    for r in org.with_role("sales_rep"):
        active = org.role_day[r] == rep_code
        counts = rng.poisson(12 / 30.4 * active)
        days = np.repeat(np.arange(period.n_days), counts)
        cust = _pick_customers(customers, r, days, rng)
        keep = cust >= 0
        days, cust = days[keep], cust[keep]
        n = len(days)
        secs = rng.integers(8 * 3600, 22 * 3600, size=n)
        received = _seconds(period, days, secs)
        median = 20 if r == org.key["low_conversion_rep"] else 45 * org.people[r].skill ** -0.5
        delay = np.exp(rng.normal(np.log(median), 0.9, size=n)) * 60
        after_hours = secs >= 18 * 3600
        delay = np.where(after_hours, (24 * 3600 - secs) + 9 * 3600 + delay, delay)
        response = received + delay.astype("timedelta64[s]")
        response[(rng.random(n) < 0.03) | (response >= end)] = np.datetime64("NaT")
        online = customers.channel[cust] == "online"
        channel = np.where(  # codes into INQUIRY_CHANNELS: the same draws as choosing from the texts
            online,
            rng.choice(len(INQUIRY_CHANNELS), size=n, p=[0.4, 0.3, 0.2, 0.1]),
            OFFLINE_INQUIRY[rng.choice(len(OFFLINE_INQUIRY), size=n, p=[0.35, 0.3, 0.25, 0.1])],
        ).astype(np.int8)
        for k, v in (
            ("rep", np.full(n, r, dtype=np.int32)),
            ("customer", cust.astype(np.int32)),
            ("received", received),
            ("response", response),
            ("channel", channel),
        ):
            parts[k].append(v)
    out = {k: np.concatenate(v) for k, v in parts.items()}
    order = np.lexsort((out["customer"], out["rep"], out["received"]))
    return {k: v[order] for k, v in out.items()}


def inquiry_ids(positions: np.ndarray) -> np.ndarray:
    """Inquiry ids (IQ + 7 digits, numbered in the order received) of inquiry positions."""
    return serial_ids("IQ", 7, positions)


def inquiry_stamps(period: Period, times: np.ndarray) -> np.ndarray:
    """received_at / first_response_at texts (None where there was no response)."""
    missing = np.isnat(times)
    seconds = np.where(missing, period.epoch, times).astype("datetime64[s]") - period.epoch.astype("datetime64[s]")
    text = stamp_texts(period, seconds.astype(np.int64))
    text[missing] = None
    return text


def inquiry_channels(inq: dict[str, np.ndarray], positions: np.ndarray) -> np.ndarray:
    return INQUIRY_CHANNELS[inq["channel"][positions]]


OPPORTUNITY_STAGES = np.array(
    ["prospecting", "qualified", "proposal", "negotiation", "closed_won", "closed_lost"], dtype=object
)


def opportunities(
    period: Period, org: Org, customers: Customers, fx: FxRates, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Opportunities as columns (customer, owner, stage code into OPPORTUNITY_STAGES, amount, currency, created and
    closed day, -1 while open), by created day, owner, customer."""
    rep_code = ROLE_CODE["sales_rep"]
    won, lost = 4, 5
    currency_of = customers.currency.tolist()
    rate_of = {cur: rates.tolist() for cur, rates in fx.rates.items()}  # CNY per unit by day, as fx.rate gives it
    n_days = period.n_days
    log_mean = np.log(50000)
    normal, integers, random, exp = rng.normal, rng.integers, rng.random, np.exp
    cols: dict[str, list] = {k: [] for k in ("customer", "owner", "stage", "amount", "currency", "created", "closed")}
    for r in org.with_role("sales_rep"):
        busy = r == org.key["low_conversion_rep"]
        skill = org.people[r].skill
        active = org.role_day[r] == rep_code
        counts = rng.poisson((8 if busy else 3 * skill**0.3) / 30.4 * active)
        days = np.repeat(np.arange(period.n_days), counts)
        cust = _pick_customers(customers, r, days, rng)
        win = 0.08 if busy else min(0.7, 0.4 * skill**0.3)
        for d, c in zip(days.tolist(), cust.tolist(), strict=True):  # draws per opportunity, in order
            if c < 0:
                continue
            currency = currency_of[c]
            amount_cny = float(exp(normal(log_mean, 0.7)))
            amount = amount_cny / rate_of[currency][d]
            span = int(integers(10, 76))
            closed = d + span
            if closed < n_days:
                stage = won if random() < win else lost
            else:
                progress = (n_days - 1 - d) / span
                stage, closed = min(3, int(progress * 4)), -1
            cols["customer"].append(c)
            cols["owner"].append(r)
            cols["stage"].append(stage)
            cols["amount"].append(round(amount, -1))
            cols["currency"].append(currency)
            cols["created"].append(d)
            cols["closed"].append(closed)
    out = {
        "customer": np.array(cols["customer"], dtype=np.int64),
        "owner": np.array(cols["owner"], dtype=np.int64),
        "stage": np.array(cols["stage"], dtype=np.int8),
        "amount": np.array(cols["amount"], dtype=float),
        "currency": np.array(cols["currency"], dtype=object),
        "created": np.array(cols["created"], dtype=np.int32),
        "closed": np.array(cols["closed"], dtype=np.int32),
    }
    order = np.lexsort((out["customer"], out["owner"], out["created"]))  # stable, as a sort of the rows
    return {k: v[order] for k, v in out.items()}


def complaints(period: Period, org: Org, customers: Customers, orders: Orders, rng: np.random.Generator) -> list[dict]:
    end = dt.datetime.combine(period.end, dt.time(23, 59, 59))
    shipped = np.flatnonzero((orders.status == "shipped") & (orders.return_of < 0))
    picked = shipped[rng.random(len(shipped)) < 0.006]
    if len(picked) == 0 and len(shipped):
        picked = shipped[:1]
    rows = []
    for o in picked:
        received = orders.shipped_at[o].item() + dt.timedelta(
            days=int(rng.integers(1, 11)), seconds=int(rng.integers(0, 8 * 3600))
        )
        if received > end:
            continue
        category = str(rng.choice(["delivery", "quality", "billing", "service"], p=[0.35, 0.35, 0.1, 0.2]))
        dept = {"delivery": "D420", "quality": "D300", "billing": "D500"}.get(
            category, SALES_DEPT.get(str(orders.region[o]))
        )
        rows.append(
            {
                "customer": int(orders.customer[o]),
                "order": int(o),
                "received": received,
                "category": category,
                "dept": dept if rng.random() > 0.1 else None,
            }
        )
    for _ in range(max(1, len(rows) // 10)):  # complaints not about one order
        c = int(rng.integers(customers.n))
        first = max(0, int(customers.created_day[c]) + 1)
        if first >= period.n_days:
            continue
        day = int(rng.integers(first, period.n_days))
        received = dt.datetime.combine(period.date(day), dt.time(9)) + dt.timedelta(seconds=int(rng.integers(0, 9 * 3600)))
        rows.append(
            {
                "customer": c,
                "order": None,
                "received": received,
                "category": "service",
                "dept": SALES_DEPT.get(customers.region[c]),
            }
        )
    for row in rows:
        resolved = row["received"] + dt.timedelta(seconds=int(rng.integers(2 * 3600, 10 * 86400)))
        row["resolved"] = None if (rng.random() < 0.08 or resolved > end) else resolved
    rows.sort(key=lambda x: (x["received"], x["customer"]))
    return rows


def _last_rep_by_quarter(period: Period, orders: Orders) -> list[tuple[list[int], list[int]]]:
    """Per quarter: the customers with a shipped order (not a return) ordered in it, ascending, and the rep of
    each one's last such order (by order position). One sort, not one scan of all orders per quarter."""
    n_quarters = (period.n_months + 2) // 3
    shipped = np.flatnonzero(
        (orders.status == "shipped") & (orders.return_of < 0) & (orders.day >= 0) & (orders.day < period.n_days)
    )
    quarter = period.month_of_day[orders.day[shipped]] // 3
    by_quarter = shipped[np.argsort(quarter, kind="stable")]  # order positions ascending within a quarter
    bounds = np.searchsorted(np.sort(quarter), np.arange(n_quarters + 1))
    out = []
    for q in range(n_quarters):
        sel = by_quarter[bounds[q] : bounds[q + 1]][::-1]  # the last order first
        cust, first = np.unique(orders.customer[sel], return_index=True)
        out.append((cust.tolist(), orders.rep[sel[first]].tolist()))
    return out


def satisfaction(
    period: Period,
    org: Org,
    customers: Customers,
    orders: Orders,
    complaint_rows: list[dict],
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Survey responses as columns (customer, employee or -1, at as seconds from the first day, score), by time
    and customer."""
    complained = {row["customer"] for row in complaint_rows}
    cols: dict[str, list[int]] = {k: [] for k in ("customer", "employee", "at", "score")}
    n_days = period.n_days
    normal, integers, random = rng.normal, rng.integers, rng.random
    for q, (custs, reps) in enumerate(_last_rep_by_quarter(period, orders)):
        months = [m for m in range(q * 3, min(q * 3 + 3, period.n_months))]
        a = int(period.month_first[months[0]])
        b = int(period.month_first[months[-1]] + period.month_len[months[-1]])
        for c, rep in zip(custs, reps, strict=True):  # draws per customer, in customer order
            if random() >= 0.25:
                continue
            if b + 21 <= n_days:
                day = b + int(integers(0, 21))
            else:
                day = max(a, b - 14) + int(integers(0, min(14, b - a)))
            mean = 7.6 + 0.8 * (org.people[rep].skill - 1) - (1.5 if c in complained else 0.0)
            cols["score"].append(min(10, max(0, round(normal(mean, 1.6)))))
            # at 10:00 plus up to ten hours on the day (the last day of the period at the latest)
            cols["at"].append(min(day, n_days - 1) * 86400 + 10 * 3600 + int(integers(0, 10 * 3600)))
            cols["customer"].append(c)
            cols["employee"].append(rep if random() < 0.95 else -1)
    out = {k: np.array(v, dtype=np.int64) for k, v in cols.items()}
    order = np.lexsort((out["customer"], out["at"]))  # stable, as a sort of the rows
    return {k: v[order] for k, v in out.items()}


def build_crm(
    period: Period,
    org: Org,
    calendars: Calendars,
    customers: Customers,
    orders: Orders,
    fx: FxRates,
    rng: np.random.Generator,
) -> Crm:
    comp = complaints(period, org, customers, orders, rng)
    return Crm(
        activities=activities(period, org, calendars, customers, orders, rng),
        inquiries=inquiries(period, org, customers, rng),
        opportunities=opportunities(period, org, customers, fx, rng),
        complaints=comp,
        satisfaction=satisfaction(period, org, customers, orders, comp, rng),
    )
