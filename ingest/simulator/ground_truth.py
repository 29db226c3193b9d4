"""ground_truth.json: what the simulator planted, for checking that later work recovers it from data alone.

It lives beside the landing folder, never inside it; the pipeline never reads it.
"""

from __future__ import annotations

import numpy as np

from ingest.simulator.company import Company
from ingest.simulator.inventory import COVER_RULE_DAYS, OVERBUY_QTY, OVERBUY_TRIGGER
from ingest.simulator.mess import MessReport
from ingest.simulator.planning import OPTIMISM
from ingest.simulator.sales import LOW_CONVERSION_RATE, NEGLECT_FACTOR


def _r(x: float, places: int = 3) -> float:
    return round(float(x), places)


def _over_buyer(c: Company) -> dict:
    ob = c.org.key["over_buyer"]
    reqs = c.stock.requests
    mine = [r for r in reqs if r["requester"] == ob]
    others = [r for r in reqs if r["requester"] != ob]

    def ratio(rows):
        rows = [r for r in rows if r["plan_qty"] > 0]
        return _r(sum(r["quantity"] for r in rows) / max(1.0, sum(r["plan_qty"] for r in rows)), 2)

    def share_required(rows):
        return _r(sum(r["confirmation_required"] for r in rows) / max(1, len(rows)), 2)

    def not_confirmed(rows):
        req = [r for r in rows if r["confirmation_required"]]
        return _r(sum(r["confirmation"] in ("skipped", "missing") for r in req) / max(1, len(req)), 2)

    return {
        "cause": "over_buying_buyer",
        "employee_ids": [c.org.people[ob].employee_id],
        "skus": [c.catalog.skus[s] for s in c.catalog.over_buyer_skus],
        "mechanism": (
            "The buyer reviews their skus against the forecast "
            "like everyone else, but reorders already when the "
            f"stock position is below {OVERBUY_TRIGGER}x the reorder point and orders {OVERBUY_QTY[0]}-"
            f"{OVERBUY_QTY[1]}x the planned quantity. Above "
            f"{COVER_RULE_DAYS} days of cover the sales confirmation "
            "is required: this buyer mostly records it as "
            "'skipped' (actor = the buyer) or leaves the step out, "
            "and the purchasing manager approves anyway. Visible in erp.purchase_requests (quantity, "
            "days_of_cover), erp.purchase_request_approvals "
            "(step sales_confirmation), receipts and snapshots."
        ),
        "evidence": {
            "requests": len(mine),
            "quantity_vs_plan": ratio(mine),
            "quantity_vs_plan_other_buyers": ratio(others),
            "share_requests_needing_confirmation": share_required(mine),
            "share_requests_needing_confirmation_other_buyers": share_required(others),
            "share_required_confirmations_skipped_or_missing": not_confirmed(mine),
            "share_required_confirmations_skipped_or_missing_other_buyers": not_confirmed(others),
            "sales_confirmation_skipped_rows": sum(r["confirmation"] == "skipped" for r in mine),
            "sales_confirmation_missing_rows": sum(r["confirmation"] == "missing" for r in mine),
        },
    }


def _optimistic(c: Company) -> dict:
    op = c.org.key["optimistic_planner"]
    skus = c.catalog.optimistic_skus
    others = [s for s in range(c.catalog.n) if s not in skus]
    plan, demand = c.plans.plan, c.orders.demand

    def bias(ss):
        return _r(plan[ss].sum() / max(1.0, demand[ss].sum()) - 1, 3)

    return {
        "cause": "optimistic_planner",
        "employee_ids": [c.org.people[op].employee_id],
        "skus": [c.catalog.skus[s] for s in skus],
        "mechanism": (
            "The planner's plan forecast (highest version made "
            f"before the month) is about {OPTIMISM:.1f}x the "
            "actual ordered demand for their skus (other planners "
            "are unbiased, noise about 15%). Buyers buy to "
            "the forecast, so these skus carry excess stock; sales "
            "commitments stay close to demand, so the excess "
            "shows as forecast above commitment (F - C). Visible "
            "in erp.demand_forecasts vs erp.sales_order_lines."
        ),
        "evidence": {
            "forecast_bias": bias(skus),
            "forecast_bias_other_planners": bias(others),
            "definition": "sum(plan forecast) / sum(ordered units, not cancelled) - 1 over the period",
        },
    }


def _neglect(c: Company) -> dict:
    ng = c.org.key["neglecter"]
    cat = c.catalog
    sold = c.stock.shipped.sum(axis=0)
    committed = np.zeros(cat.n)
    for row in c.plans.commitments:
        committed[row["sku"]] += row["qty"]

    def rate(ss):
        return _r(sold[ss].sum() / max(1.0, committed[ss].sum()), 3)

    others_old = [
        s
        for s in range(cat.n)
        if cat.owner[s] != ng and cat.age_class[s] == "old" and not cat.declining[s] and cat.discontinued_day[s] > 0
    ]
    return {
        "cause": "salesperson_neglects_old_stock",
        "employee_ids": [c.org.people[ng].employee_id],
        "skus": [cat.skus[s] for s in cat.neglected_old + cat.neglecter_new],
        "old_skus": [cat.skus[s] for s in cat.neglected_old],
        "new_skus": [cat.skus[s] for s in cat.neglecter_new],
        "mechanism": (
            "Demand for the owner's old skus (launched years ago) "
            f"runs at {NEGLECT_FACTOR:.3f}x of what the market "
            "would take, while their new skus sell normally "
            "(slightly above). The owner still commits the market "
            "volume every month (sales commitment C well above "
            "sales D), the old skus start the period with many "
            "months of stock, land on the slow-moving lists and get few follow-up actions from this owner."
        ),
        "evidence": {
            "old_skus_sold_vs_committed": rate(cat.neglected_old),
            "new_skus_sold_vs_committed": rate(cat.neglecter_new),
            "other_owners_old_skus_sold_vs_committed": rate(others_old),
        },
    }


def _busy_rep(c: Company) -> dict:
    rep = c.org.key["low_conversion_rep"]
    act = c.crm.activities
    reps = c.orders.quota_reps
    n_people = len(c.org.people)
    act_count = np.bincount(act["rep"], minlength=n_people)  # one pass, not one per rep
    acts = {int(r): int(act_count[r]) for r in reps}
    live = (c.orders.status != "cancelled") & (c.orders.return_of < 0)
    order_count = np.bincount(c.orders.rep[live], minlength=n_people)
    orders = {int(r): int(order_count[r]) for r in reps}
    rep_days = {int(r): int((c.org.role_day[r] == 2).sum()) for r in reps}
    per_month = {r: (acts[r] / max(1, rep_days[r]) * 30.4, orders[r] / max(1, rep_days[r]) * 30.4) for r in acts}
    peers = [v for r, v in per_month.items() if r != rep and rep_days[r] > 60]
    return {
        "cause": "busy_rep_low_conversion",
        "employee_ids": [c.org.people[rep].employee_id],
        "skus": [],
        "mechanism": (
            "The rep logs about three times the usual follow-up "
            "activities (crm.activities) and opportunities, "
            f"but places orders at {LOW_CONVERSION_RATE:.2f}x "
            "the usual rate and wins few opportunities; revenue "
            "attainment against the individual target is low."
        ),
        "evidence": {
            "activities_per_month": _r(per_month[rep][0], 1),
            "orders_per_month": _r(per_month[rep][1], 1),
            "median_peer_activities_per_month": _r(np.median([v[0] for v in peers]), 1) if peers else None,
            "median_peer_orders_per_month": _r(np.median([v[1] for v in peers]), 1) if peers else None,
        },
    }


def ground_truth(c: Company, mess: MessReport, manifest: dict) -> dict:
    org = c.org
    eid = [p.employee_id for p in org.people]
    return {
        "note": "Planted by the simulator; the pipeline never reads this file.",
        "company": manifest,
        "planted_causes": [_over_buyer(c), _optimistic(c), _neglect(c), _busy_rep(c)],
        "people": {
            "general_manager": eid[org.holder("general_manager")],
            "sales_directors": {r: eid[org.director(r)] for r in org.regions},
            "sku_owners": [eid[i] for i in org.key["sku_owners"]],
            "mentors": [eid[i] for i in org.key["mentors"]],
            "late_slow_moving_submitter": eid[c.slow.late_submitter],
            "leavers": sorted(p.employee_id for p in org.people if p.termination_date is not None),
            "hired_during_period": sorted(p.employee_id for p in org.people if p.hire_kind != "initial"),
            "org_changes": org.events,
        },
        "rules": {
            "sales_confirmation_required_above_days_of_cover": COVER_RULE_DAYS,
            "days_of_cover": "stock_on_hand / (sales_3m_qty / 90); empty when there were no sales in 90 days "
            "(a confirmation is then required if there is stock)",
            "slow_moving": "no shipment in 90 days and stock on hand; lists due by the 5th",
            "inventory_identity": "on_hand(d) = on_hand(d-1) + received_qty - rejected_qty (receipts on d) - "
            "shipped quantities of orders shipped on d + returned quantities (negative lines "
            "of return orders shipped on d)",
            "returns": "return orders carry one negative-quantity line; shipped_at is when goods came back",
        },
        "late_records": mess.late_records,
        "duplicate_records": mess.duplicate_records,
        "malformed_rows": mess.malformed_rows,
    }
