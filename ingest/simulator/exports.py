"""One table of text cells per landing entity, shaped exactly as its contract says, from the company."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ingest.contract import default_contracts
from ingest.simulator import cells
from ingest.simulator.attendance import DEVICES, DIRECTIONS, punch_ids, punch_months, punch_texts
from ingest.simulator.catalog import CATEGORIES
from ingest.simulator.company import Company
from ingest.simulator.crm import (
    OPPORTUNITY_STAGES,
    activity_content,
    activity_ids,
    activity_started,
    inquiry_channels,
    inquiry_ids,
    inquiry_stamps,
)
from ingest.simulator.texts import serial_ids

WAREHOUSE = "WH-SH01"


class Table:
    """Cells of one entity; `month` (month index per row) is set for entities split into monthly files.

    A column is either its text cells (an array) or a function from row indexes to the text cells of those
    rows: the large monthly facts format only the rows of the file being written, so the whole company
    never sits in memory as text. Formatting is cell by cell, so a slice formats to the same text.
    """

    def __init__(self, entity: str, columns: dict, month: np.ndarray | None = None, n: int | None = None):
        contract = default_contracts()[entity]
        wanted, given = contract.column_names, list(columns)
        if sorted(wanted) != sorted(given):
            raise ValueError(f"{contract.name}: columns {given} do not match the contract {wanted}")
        self.entity = entity
        self.columns = {name: columns[name] for name in wanted}
        self.month = None if month is None else np.asarray(month, dtype=np.int16)  # 2 bytes a row
        if n is None:
            n = len(next(iter(v for v in self.columns.values() if not callable(v))))
        self.n = n

    @classmethod
    def from_frame(cls, entity: str, frame: pd.DataFrame) -> Table:
        return cls(entity, {name: frame[name].to_numpy(dtype=object) for name in frame.columns}, n=len(frame))

    @property
    def column_names(self) -> list[str]:
        return list(self.columns)

    def cells(self, name: str, rows: np.ndarray | None = None) -> np.ndarray:
        """Text cells (object array, None for empty) of one column, for the given row indexes or all rows."""
        col = self.columns[name]
        if callable(col):
            return col(np.arange(self.n) if rows is None else rows)
        return col.copy() if rows is None else col[rows]

    @property
    def frame(self) -> pd.DataFrame:
        """All rows as text (builds the whole table: for small entities and small companies)."""
        return pd.DataFrame({name: self.cells(name) for name in self.columns})


def _eid(c: Company, idxs) -> np.ndarray:
    """Employee ids for person indexes (None or a negative index: no one)."""
    people = c.org.people
    if isinstance(idxs, np.ndarray) and idxs.dtype.kind in "iu":  # vectorized: one lookup table per company
        ids = np.array([p.employee_id for p in people] + [None], dtype=object)
        return ids[np.where(idxs < 0, len(people), idxs)]
    return cells.texts(
        [None if i is None or (isinstance(i, (int, np.integer)) and i < 0) else people[int(i)].employee_id for i in idxs]
    )


def hr_tables(c: Company) -> list[Table]:
    org, hr, period = c.org, c.hr, c.period
    deps = org.departments
    people = sorted(org.people, key=lambda p: p.employee_id)
    tables = [
        Table(
            "hr.departments",
            {
                "department_id": cells.texts([d.department_id for d in deps]),
                "parent_department_id": cells.texts([d.parent_id for d in deps]),
                "department_name": cells.texts([d.name for d in deps]),
                "function": cells.texts([d.function for d in deps]),
                "region": cells.texts([d.region for d in deps]),
            },
        ),
        Table(
            "hr.employees",
            {
                "employee_id": cells.texts([p.employee_id for p in people]),
                "full_name": cells.texts([p.full_name for p in people]),
                "national_id": cells.texts([p.national_id for p in people]),
                "phone": cells.texts([p.phone for p in people]),
                "email": cells.texts([p.email for p in people]),
                "birth_date": cells.dates([p.birth_date for p in people]),
                "hire_date": cells.dates([p.hire_date for p in people]),
                "termination_date": cells.dates([p.termination_date for p in people]),
                "termination_reason": cells.texts([p.termination_reason for p in people]),
                "country": cells.texts([p.country for p in people]),
                "timezone": cells.texts([p.timezone for p in people]),
            },
        ),
    ]
    segs = [(p, s) for p in people for s in p.segments]
    tables.append(
        Table(
            "hr.job_assignments",
            {
                "assignment_id": cells.texts([f"A{k + 1:06d}" for k in range(len(segs))]),
                "employee_id": cells.texts([p.employee_id for p, _ in segs]),
                "valid_from": cells.dates([s.start for _, s in segs]),
                "valid_to": cells.dates([s.end for _, s in segs]),
                "department_id": cells.texts([s.department_id for _, s in segs]),
                "role": cells.texts([s.role for _, s in segs]),
                "manager_id": _eid(c, [s.manager for _, s in segs]),
                "region": cells.texts([s.region for _, s in segs]),
                "grade": cells.texts([s.grade for _, s in segs]),
                "is_mentor": cells.booleans([s.is_mentor for _, s in segs]),
                "mentor_id": _eid(c, [s.mentor for _, s in segs]),
            },
        )
    )
    rows = sorted(hr.contracts, key=lambda r: (org.people[r["employee"]].employee_id, r["valid_from"]))
    tables.append(
        Table(
            "hr.contracts",
            {
                "contract_id": cells.texts([f"CT{k + 1:05d}" for k in range(len(rows))]),
                "employee_id": _eid(c, [r["employee"] for r in rows]),
                "signed_date": cells.dates([r["signed"] for r in rows]),
                "valid_from": cells.dates([r["valid_from"] for r in rows]),
                "valid_to": cells.dates([r["valid_to"] for r in rows]),
                "contract_type": cells.texts([r["type"] for r in rows]),
                "responsibilities": cells.texts([r["responsibilities"] for r in rows]),
                "kpi_terms": cells.texts([r["kpi_terms"] for r in rows]),
            },
        )
    )
    reqs = hr.requisitions
    tables.append(
        Table(
            "hr.requisitions",
            {
                "requisition_id": cells.texts([r["requisition_id"] for r in reqs]),
                "department_id": cells.texts([r["department_id"] for r in reqs]),
                "role": cells.texts([r["role"] for r in reqs]),
                "hiring_manager_id": _eid(c, [r["hiring_manager"] for r in reqs]),
                "recruiter_id": _eid(c, [r["recruiter"] for r in reqs]),
                "opened_date": cells.dates([r["opened"] for r in reqs]),
                "closed_date": cells.dates([r["closed"] for r in reqs]),
                "status": cells.texts([r["status"] for r in reqs]),
            },
        )
    )
    cands = hr.candidates
    tables.append(
        Table(
            "hr.candidates",
            {
                "candidate_id": cells.texts([f"CA{k + 1:05d}" for k in range(len(cands))]),
                "requisition_id": cells.texts([r["req"] for r in cands]),
                "applied_date": cells.dates([r["applied"] for r in cands]),
                "stage": cells.texts([r["stage"] for r in cands]),
                "offer_date": cells.dates([r["offer"] for r in cands]),
                "offer_accepted_date": cells.dates([r["accepted"] for r in cands]),
                "hired_employee_id": _eid(c, [r["hired"] for r in cands]),
            },
        )
    )
    tr = sorted(hr.trainings, key=lambda r: (r["assigned"], org.people[r["employee"]].employee_id, r["course"]))
    tables.append(
        Table(
            "hr.trainings",
            {
                "training_id": cells.texts([f"TR{k + 1:06d}" for k in range(len(tr))]),
                "employee_id": _eid(c, [r["employee"] for r in tr]),
                "course": cells.texts([r["course"] for r in tr]),
                "assigned_date": cells.dates([r["assigned"] for r in tr]),
                "due_date": cells.dates([r["due"] for r in tr]),
                "completed_date": cells.dates([r["completed"] for r in tr]),
            },
        )
    )
    sv = sorted(hr.surveys, key=lambda r: (r["date"], org.people[r["respondent"]].employee_id, r["target"]))
    tables.append(
        Table(
            "hr.surveys",
            {
                "response_id": cells.texts([f"SV{k + 1:06d}" for k in range(len(sv))]),
                "survey_date": cells.dates([r["date"] for r in sv]),
                "respondent_employee_id": _eid(c, [r["respondent"] for r in sv]),
                "target_department_id": cells.texts([r["target"] for r in sv]),
                "question": cells.texts([r["question"] for r in sv]),
                "score": cells.integers([r["score"] for r in sv]),
            },
        )
    )
    ip = sorted(hr.proposals, key=lambda r: (r["submitted"], org.people[r["employee"]].employee_id))
    tables.append(
        Table(
            "hr.improvement_proposals",
            {
                "proposal_id": cells.texts([f"IP{k + 1:05d}" for k in range(len(ip))]),
                "employee_id": _eid(c, [r["employee"] for r in ip]),
                "submitted_date": cells.dates([r["submitted"] for r in ip]),
                "title": cells.texts([r["title"] for r in ip]),
                "status": cells.texts([r["status"] for r in ip]),
                "decided_date": cells.dates([r["decided"] for r in ip]),
            },
        )
    )
    comp = sorted(hr.compensation, key=lambda r: (org.people[r["employee"]].employee_id, r["valid_from"]))
    tables.append(
        Table(
            "hr.compensation",
            {
                "employee_id": _eid(c, [r["employee"] for r in comp]),
                "valid_from": cells.dates([r["valid_from"] for r in comp]),
                "valid_to": cells.dates([r["valid_to"] for r in comp]),
                "base_salary_monthly": cells.decimals([r["base"] for r in comp]),
                "bonus_target_quarterly": cells.decimals([r["bonus"] for r in comp]),
                "currency": cells.texts([r["currency"] for r in comp]),
            },
        )
    )
    tg = sorted(c.targets, key=lambda r: (r["month"], org.people[r["employee"]].employee_id, r["kpi"]))
    tables.append(
        Table(
            "hr.individual_targets",
            {
                "employee_id": _eid(c, [r["employee"] for r in tg]),
                "kpi": cells.texts([r["kpi"] for r in tg]),
                "month": cells.texts([period.month_labels[r["month"]] for r in tg]),
                "target_value": cells.decimals([r["value"] for r in tg]),
                "scope": cells.texts([r["scope"] for r in tg]),
            },
        )
    )
    return tables


def crm_tables(c: Company) -> list[Table]:
    cu, crm, period, orders = c.customers, c.crm, c.period, c.orders
    cid = np.array(cu.ids, dtype=object)
    act, inq = crm.activities, crm.inquiries
    opp, comp, sat = crm.opportunities, crm.complaints, crm.satisfaction
    return [
        Table(
            "crm.customers",
            {
                "customer_id": cid.copy(),
                "customer_name": cells.texts(cu.names),
                "owner_employee_id": _eid(c, cu.owner_final),
                "region": cells.texts(cu.region),
                "channel": cells.texts(cu.channel),
                "created_at": cells.stamps(cu.created_at),
            },
        ),
        Table(
            "crm.inquiries",
            {
                "inquiry_id": inquiry_ids,
                "customer_id": lambda i: cid[inq["customer"][i]],
                "assignee_employee_id": lambda i: _eid(c, inq["rep"][i]),
                "received_at": lambda i: inquiry_stamps(period, inq["received"][i]),
                "first_response_at": lambda i: inquiry_stamps(period, inq["response"][i]),
                "channel": lambda i: inquiry_channels(inq, i),
            },
            n=len(inq["received"]),
        ),
        Table(
            "crm.activities",
            {
                "activity_id": activity_ids,
                "employee_id": lambda i: _eid(c, act["rep"][i]),
                "customer_id": lambda i: cid[act["customer"][i]],
                "started_at": lambda i: activity_started(period, act, i),
                "duration_minutes": lambda i: cells.integers(act["duration"][i]),
                "method": lambda i: act["method_texts"][act["method"][i]],
                "content": lambda i: activity_content(act, i),
                "outcome": lambda i: act["outcome_texts"][act["outcome"][i]],
            },
            month=period.month_of_day[(act["at"].astype("datetime64[D]") - period.epoch).astype(np.int64)].astype(np.int16),
            n=len(act["at"]),
        ),
        Table(
            "crm.opportunities",
            {
                "opportunity_id": cells.texts([f"OP{k + 1:06d}" for k in range(len(opp["created"]))]),
                "customer_id": cid[opp["customer"]],
                "owner_employee_id": _eid(c, opp["owner"]),
                "stage": OPPORTUNITY_STAGES[opp["stage"]],
                "amount": cells.decimals(opp["amount"]),
                "currency": opp["currency"].copy(),
                "created_date": cells.dates(period.epoch + opp["created"]),
                "closed_date": cells.dates(np.where(opp["closed"] >= 0, period.epoch + opp["closed"], np.datetime64("NaT"))),
            },
        ),
        Table(
            "crm.complaints",
            {
                "complaint_id": cells.texts([f"CP{k + 1:05d}" for k in range(len(comp))]),
                "customer_id": cells.texts([cu.ids[r["customer"]] for r in comp]),
                "order_id": cells.texts([None if r["order"] is None else orders.ids[r["order"]] for r in comp]),
                "received_at": cells.stamps([r["received"] for r in comp]),
                "category": cells.texts([r["category"] for r in comp]),
                "responsible_department_id": cells.texts([r["dept"] for r in comp]),
                "resolved_at": cells.stamps([r["resolved"] for r in comp]),
            },
        ),
        Table(
            "crm.satisfaction_responses",
            {
                "response_id": cells.texts([f"CS{k + 1:06d}" for k in range(len(sat["at"]))]),
                "customer_id": cid[sat["customer"]],
                "employee_id": _eid(c, sat["employee"]),
                "responded_at": cells.stamps(period.epoch.astype("datetime64[s]") + sat["at"].astype("timedelta64[s]")),
                "score": cells.integers(sat["score"]),
            },
        ),
    ]


def erp_tables(c: Company) -> list[Table]:
    cat, period, orders, stock = c.catalog, c.period, c.orders, c.stock
    skus = np.array(cat.skus, dtype=object)
    tables = [
        Table(
            "erp.products",
            {
                "sku": skus.copy(),
                "product_name": cells.texts(cat.names),
                "category": cells.texts([CATEGORIES[k][0] for k in cat.category]),
                "unit_cost": cells.decimals(cat.unit_cost),
                "list_price": cells.decimals(cat.list_price),
                "currency": cells.texts(["CNY"] * cat.n),
                "launch_date": cells.dates(cat.launch),
                "owner_salesperson_id": _eid(c, cat.owner),
                "planner_id": _eid(c, cat.planner),
                "buyer_id": _eid(c, cat.buyer),
                "safety_days": cells.integers(cat.safety_days),
            },
        ),
        Table(
            "erp.suppliers",
            {
                "supplier_id": cells.texts([s["supplier_id"] for s in cat.suppliers]),
                "supplier_name": cells.texts([s["supplier_name"] for s in cat.suppliers]),
                "country": cells.texts([s["country"] for s in cat.suppliers]),
                "currency": cells.texts([s["currency"] for s in cat.suppliers]),
                "lead_time_days": cells.integers([s["lead_time_days"] for s in cat.suppliers]),
            },
        ),
    ]
    fx_cur = [cur for cur in sorted(c.fx.rates)]
    n = period.n_days
    tables.append(
        Table(
            "erp.fx_rates",
            {
                "rate_date": np.repeat(cells.dates(period.days), len(fx_cur)),
                "currency": np.tile(np.array(fx_cur, dtype=object), n),
                "rate_to_base": cells.decimals(np.stack([c.fx.rates[k] for k in fx_cur], axis=1).reshape(-1), 4),
            },
        )
    )
    o_month = period.month_of_day[orders.day]
    order_ids = orders.ids  # formatted per row index when asked for
    customer_ids = np.array(c.customers.ids, dtype=object)
    tables.append(
        Table(
            "erp.sales_orders",
            {
                "order_id": lambda i: order_ids[i],
                "customer_id": lambda i: customer_ids[orders.customer[i]],
                "salesperson_id": lambda i: _eid(c, orders.rep[i]),
                "ordered_at": lambda i: cells.stamps(orders.ordered_at[i]),
                "confirmed_at": lambda i: cells.stamps(orders.confirmed_at[i]),
                "shipped_at": lambda i: cells.stamps(orders.shipped_at[i]),
                "channel": lambda i: orders.channel[i],  # already text (object arrays of str)
                "region": lambda i: orders.region[i],
                "currency": lambda i: orders.currency[i],
                "status": lambda i: orders.status[i],
            },
            month=o_month,
            n=orders.n,
        )
    )
    tables.append(
        Table(
            "erp.sales_order_lines",
            {
                "order_id": lambda i: order_ids[orders.line_order[i]],
                "line_number": lambda i: cells.integers(orders.line_number[i]),
                "sku": lambda i: skus[orders.line_sku[i]],
                "quantity": lambda i: cells.decimals(orders.line_qty[i], 0),
                "unit_price": lambda i: cells.decimals(orders.line_price[i]),
                "unit_cost": lambda i: cells.decimals(orders.line_cost[i]),
            },
            month=o_month[orders.line_order],
            n=len(orders.line_order),
        )
    )
    inv, pay = c.finance.invoices, c.finance.payments
    tables.append(
        Table(
            "erp.invoices",
            {
                "invoice_id": inv.ids,
                "order_id": lambda i: order_ids[inv.order[i]],
                "invoice_date": lambda i: cells.dates(period.epoch + inv.day[i]),
                "due_date": lambda i: cells.dates(period.epoch + inv.day[i] + inv.terms[i]),
                "amount": lambda i: cells.decimals(inv.amount[i]),
                "currency": inv.currency,
            },
            n=inv.n,
        )
    )
    tables.append(
        Table(
            "erp.payments",
            {
                "payment_id": lambda i: serial_ids("PAY", 7, i),
                "invoice_id": lambda i: inv.ids(pay.invoice[i]),
                "paid_date": lambda i: cells.dates(period.epoch + pay.day[i]),
                "amount": lambda i: cells.decimals(pay.amount[i]),
                "currency": pay.currency,
            },
            n=pay.n,
        )
    )
    # daily snapshots: every sku from its launch (or first stock) on
    d_idx, s_idx = np.nonzero((np.arange(n)[:, None] >= cat.launch_day[None, :]) | (stock.on_hand > 0))
    tables.append(
        Table(
            "erp.inventory_snapshots",
            {
                "snapshot_date": lambda i: cells.dates(period.days[d_idx[i]]),
                "sku": lambda i: skus[s_idx[i]],
                "warehouse_id": lambda i: np.full(len(i), WAREHOUSE, dtype=object),
                "on_hand_qty": lambda i: cells.decimals(stock.on_hand[d_idx[i], s_idx[i]], 0),
                "unit_cost": lambda i: cells.decimals(stock.avg_cost[d_idx[i], s_idx[i]]),
            },
            month=period.month_of_day[d_idx],
            n=len(d_idx),
        )
    )
    req = stock.requests
    tables.append(
        Table(
            "erp.purchase_requests",
            {
                "request_id": cells.texts([r["request_id"] for r in req]),
                "sku": cells.texts([cat.skus[r["sku"]] for r in req]),
                "requester_id": _eid(c, [r["requester"] for r in req]),
                "requested_at": cells.stamps([r["requested_at"] for r in req]),
                "quantity": cells.decimals([r["quantity"] for r in req], 0),
                "stock_on_hand": cells.decimals([r["stock_on_hand"] for r in req], 0),
                "sales_3m_qty": cells.decimals([r["sales_3m_qty"] for r in req], 0),
                "days_of_cover": cells.decimals([r["days_of_cover"] for r in req], 1),
            },
        )
    )
    ap = stock.approvals
    tables.append(
        Table(
            "erp.purchase_request_approvals",
            {
                "request_id": cells.texts([r["request_id"] for r in ap]),
                "step": cells.texts([r["step"] for r in ap]),
                "actor_id": _eid(c, [r["actor"] for r in ap]),
                "acted_at": cells.stamps([r["acted_at"] for r in ap]),
                "decision": cells.texts([r["decision"] for r in ap]),
            },
        )
    )
    po = stock.purchase_orders
    tables.append(
        Table(
            "erp.purchase_orders",
            {
                "po_id": cells.texts([r["po_id"] for r in po]),
                "request_id": cells.texts([r["request_id"] for r in po]),
                "supplier_id": cells.texts([r["supplier"] for r in po]),
                "buyer_id": _eid(c, [r["buyer"] for r in po]),
                "ordered_at": cells.stamps([r["ordered_at"] for r in po]),
                "currency": cells.texts([r["currency"] for r in po]),
            },
        )
    )
    tables.append(
        Table(
            "erp.purchase_order_lines",
            {
                "po_id": cells.texts([r["po_id"] for r in po]),
                "line_number": cells.integers([1] * len(po)),
                "sku": cells.texts([cat.skus[r["sku"]] for r in po]),
                "quantity": cells.decimals([r["quantity"] for r in po], 0),
                "unit_cost": cells.decimals([r["unit_cost"] for r in po]),
                "due_date": cells.dates([r["due_date"] for r in po]),
            },
        )
    )
    rc = sorted(stock.receipts, key=lambda r: (r["received_at"], r["po_id"]))
    tables.append(
        Table(
            "erp.receipts",
            {
                "receipt_id": cells.texts([f"RC{k + 1:06d}" for k in range(len(rc))]),
                "po_id": cells.texts([r["po_id"] for r in rc]),
                "line_number": cells.integers([1] * len(rc)),
                "received_at": cells.stamps([r["received_at"] for r in rc]),
                "received_qty": cells.decimals([r["received_qty"] for r in rc], 0),
                "rejected_qty": cells.decimals([r["rejected_qty"] for r in rc], 0),
            },
        )
    )
    fc = sorted(c.plans.forecasts, key=lambda r: (r["month"], r["sku"], r["version"]))
    tables.append(
        Table(
            "erp.demand_forecasts",
            {
                "sku": cells.texts([cat.skus[r["sku"]] for r in fc]),
                "month": cells.texts([period.month_labels[r["month"]] for r in fc]),
                "version": cells.integers([r["version"] for r in fc]),
                "planner_id": _eid(c, [r["planner"] for r in fc]),
                "forecast_qty": cells.decimals([r["qty"] for r in fc], 0),
                "created_at": cells.stamps([r["created_at"] for r in fc]),
            },
        )
    )
    cm = sorted(c.plans.commitments, key=lambda r: (r["month"], r["sku"]))
    tables.append(
        Table(
            "erp.sales_commitments",
            {
                "sku": cells.texts([cat.skus[r["sku"]] for r in cm]),
                "month": cells.texts([period.month_labels[r["month"]] for r in cm]),
                "salesperson_id": _eid(c, [r["salesperson"] for r in cm]),
                "committed_qty": cells.decimals([r["qty"] for r in cm], 0),
            },
        )
    )
    sl, sa = c.slow.lists, c.slow.actions
    tables.append(
        Table(
            "erp.slow_moving_lists",
            {
                "list_id": cells.texts([r["list_id"] for r in sl]),
                "month": cells.texts([period.month_labels[r["month"]] for r in sl]),
                "sku": cells.texts([cat.skus[r["sku"]] for r in sl]),
                "submitted_by": _eid(c, [r["submitted_by"] for r in sl]),
                "submitted_at": cells.stamps([r["submitted_at"] for r in sl]),
                "on_hand_qty": cells.decimals([r["on_hand_qty"] for r in sl], 0),
                "days_since_last_sale": cells.integers([r["days_since_last_sale"] for r in sl]),
            },
        )
    )
    sa = sorted(sa, key=lambda r: (r["taken_at"], r["list_id"]))
    tables.append(
        Table(
            "erp.slow_moving_actions",
            {
                "action_id": cells.texts([f"SMA{k + 1:05d}" for k in range(len(sa))]),
                "list_id": cells.texts([r["list_id"] for r in sa]),
                "action_type": cells.texts([r["action_type"] for r in sa]),
                "taken_by": _eid(c, [r["taken_by"] for r in sa]),
                "taken_at": cells.stamps([r["taken_at"] for r in sa]),
                "quantity": cells.decimals([r["quantity"] for r in sa], 0),
            },
        )
    )
    fb = c.finance.balances
    tables.append(
        Table(
            "erp.finance_balances",
            {
                "month": cells.texts([period.month_labels[r["month"]] for r in fb]),
                "account": cells.texts([r["account"] for r in fb]),
                "amount": cells.decimals([r["amount"] for r in fb]),
            },
        )
    )
    return tables


def attendance_tables(c: Company) -> list[Table]:
    att, period = c.attendance, c.period
    pu = att.punches
    sc = sorted(att.schedules, key=lambda r: (c.org.people[r["employee"]].employee_id, r["valid_from"]))
    lv = att.leave
    return [
        Table(
            "attendance.punches",
            {
                "punch_id": punch_ids,
                "employee_id": lambda i: _eid(c, pu["employee"][i]),
                "punched_at": lambda i: punch_texts(period, pu, i),
                "direction": lambda i: DIRECTIONS[pu["direction"][i]],
                "device_id": lambda i: DEVICES[pu["device"][i]],
            },
            month=punch_months(period, pu),
            n=len(pu["local_sec"]),
        ),
        Table(
            "attendance.schedules",
            {
                "employee_id": _eid(c, [r["employee"] for r in sc]),
                "valid_from": cells.dates([r["valid_from"] for r in sc]),
                "valid_to": cells.dates([r["valid_to"] for r in sc]),
                "schedule_type": cells.texts([r["type"] for r in sc]),
                "window_start": cells.texts([r["start"] for r in sc]),
                "window_end": cells.texts([r["end"] for r in sc]),
                "required_hours": cells.decimals([r["hours"] for r in sc], 1),
            },
        ),
        Table(
            "attendance.leave",
            {
                "leave_id": cells.texts([f"LV{k + 1:06d}" for k in range(len(lv))]),
                "employee_id": _eid(c, [r["employee"] for r in lv]),
                "start_date": cells.dates([r["start"] for r in lv]),
                "end_date": cells.dates([r["end"] for r in lv]),
                "leave_type": cells.texts([r["type"] for r in lv]),
                "status": cells.texts([r["status"] for r in lv]),
            },
        ),
        Table(
            "attendance.holidays",
            {
                "country": cells.texts([r[0] for r in att.holidays]),
                "holiday_date": cells.dates([r[1] for r in att.holidays]),
                "holiday_name": cells.texts([r[2] for r in att.holidays]),
            },
        ),
    ]


def build_tables(c: Company) -> dict[str, Table]:
    tables = hr_tables(c) + crm_tables(c) + erp_tables(c) + attendance_tables(c)
    return {t.entity: t for t in tables}
