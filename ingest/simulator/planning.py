"""Operations' demand forecasts (versioned) and sales' own commitments, per sku and month.

Normal planners forecast actual demand with noise; the planted optimistic planner forecasts about 40%
above actual demand for their skus. Salespeople commit what the market would take for their skus, so
the planted neglecting salesperson commits their old skus but does not sell them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from ingest.simulator.catalog import Catalog
from ingest.simulator.holidays import Calendars
from ingest.simulator.org import Org
from ingest.simulator.period import Period, add_months
from ingest.simulator.sales import Orders

OPTIMISM = 1.4


@dataclass
class Plans:
    plan: np.ndarray  # [sku, month] forecast in force at the start of the month (highest version made before it)
    forecasts: list[dict]  # sku, month, version, planner, qty, created_at
    commitments: list[dict]  # sku, month, salesperson, qty
    planner_bias: dict[int, float]


def _at(calendars: Calendars, day: dt.date, rng: np.random.Generator) -> dt.datetime:
    return calendars.office_time(dt.datetime.combine(day, dt.time(9)) + dt.timedelta(seconds=int(rng.integers(0, 8 * 3600))))


def build_plans(
    period: Period, org: Org, calendars: Calendars, catalog: Catalog, orders: Orders, rng: np.random.Generator
) -> Plans:
    n_skus, n_months = orders.demand.shape
    planners = sorted({int(p) for p in catalog.planner})
    bias = {p: (OPTIMISM if p == org.key["optimistic_planner"] else float(rng.normal(1.0, 0.04))) for p in planners}
    sigma = {p: (0.08 if p == org.key["optimistic_planner"] else 0.15) for p in planners}
    sku_bias = np.array([bias[int(p)] for p in catalog.planner])
    sku_sigma = np.array([sigma[int(p)] for p in catalog.planner])
    plan = np.round(
        orders.demand * sku_bias[:, None] * np.exp(rng.normal(0, 1, size=(n_skus, n_months)) * sku_sigma[:, None])
    )
    forecasts: list[dict] = []
    commitments: list[dict] = []
    for m in range(n_months):
        month_start = period.month_starts[m]
        month_end = period.month_end_date(m)
        before2, before1 = add_months(month_start, -2), add_months(month_start, -1)
        for s in range(n_skus):
            if catalog.launch[s] > month_end:
                plan[s, m] = 0
                continue
            value = float(plan[s, m])
            created = [before1 + dt.timedelta(days=int(rng.integers(14, 22)))]
            if rng.random() < 0.7:
                created.insert(0, before2 + dt.timedelta(days=int(rng.integers(19, 26))))
            if rng.random() < 0.35:
                created.append(before1 + dt.timedelta(days=int(rng.integers(24, 28))))
            for v, day in enumerate(created, start=1):
                qty = value if v == len(created) else round(value * float(np.exp(rng.normal(0, 0.2))))
                forecasts.append(
                    {
                        "sku": s,
                        "month": m,
                        "version": v,
                        "planner": int(catalog.planner[s]),
                        "qty": qty,
                        "created_at": _at(calendars, day, rng),
                    }
                )
            if rng.random() < 0.08:  # a revision during the month: not the plan
                late = month_start + dt.timedelta(days=int(rng.integers(7, 14)))
                qty = round(float(orders.demand[s, m]) * sku_bias[s] * float(np.exp(rng.normal(0, 0.1))))
                forecasts.append(
                    {
                        "sku": s,
                        "month": m,
                        "version": len(created) + 1,
                        "planner": int(catalog.planner[s]),
                        "qty": qty,
                        "created_at": _at(calendars, late, rng),
                    }
                )
            committed = round(float(orders.baseline[s, m]) * float(np.exp(rng.normal(0, 0.1))))
            commitments.append({"sku": s, "month": m, "salesperson": int(catalog.owner[s]), "qty": committed})
    return Plans(plan=plan, forecasts=forecasts, commitments=commitments, planner_bias=bias)
