"""Individual targets from the performance plan: a monthly revenue quota (CNY) for every sales rep and every
month they are a rep (pro rata for part months), a new-customer target, and team revenue targets for the
sales directors. Quotas follow what management expects of each rep, so attainment spreads around 100%."""

from __future__ import annotations

import numpy as np

from ingest.simulator.org import REGIONS, ROLE_CODE, Org
from ingest.simulator.period import Period
from ingest.simulator.sales import Orders

STRETCH = 1.0


def build_targets(period: Period, org: Org, orders: Orders) -> list[dict]:
    live = (orders.status != "cancelled") & (orders.return_of < 0)
    value = np.zeros(orders.n)
    np.add.at(value, orders.line_order, orders.line_qty * orders.line_price_cny)
    month = period.month_of_day[orders.day]
    aov = np.array(
        [value[live & (month == m)].mean() if (live & (month == m)).any() else 0.0 for m in range(period.n_months)]
    )
    rows = []
    team: dict[tuple[str, int], float] = {}
    rep_code = ROLE_CODE["sales_rep"]
    for row, r in enumerate(orders.quota_reps):
        person = org.people[int(r)]
        for m in range(period.n_months):
            a, b = int(period.month_first[m]), int(period.month_first[m] + period.month_len[m])
            expected = float(orders.quota_basis[row, a:b].sum()) * aov[m] * STRETCH
            if not (org.role_day[r, a:b] == rep_code).any() or expected <= 0:
                continue
            quota = max(1000.0, round(expected, -3))
            rows.append({"employee": int(r), "kpi": "revenue", "month": m, "value": quota, "scope": "individual"})
            tenure_days = (period.month_starts[m] - person.hire_date).days
            new_target = 1 if tenure_days < 180 or person.grade in ("P1", "P2") else 2
            rows.append(
                {
                    "employee": int(r),
                    "kpi": "new_customers",
                    "month": m,
                    "value": float(new_target),
                    "scope": "individual",
                }
            )
            rep_days = np.flatnonzero(org.role_day[r, a:b] == rep_code) + a
            key = (REGIONS[org.region_day[r, rep_days[len(rep_days) // 2]]], m)
            team[key] = team.get(key, 0.0) + quota
    for (region, m), total in sorted(team.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        rows.append({"employee": org.director(region), "kpi": "revenue", "month": m, "value": total, "scope": "team"})
    return rows
