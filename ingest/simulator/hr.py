"""HR records around the people: contracts, hiring (requisitions and candidates), trainings, internal
surveys, improvement proposals and compensation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from ingest.simulator.org import FUNCTION_OF_ROLE, MANAGER_ROLE, MANAGERS, SALES_DEPT, Org, Person
from ingest.simulator.period import Period

BASE_SALARY = {
    "P1": 7000,
    "P2": 9500,
    "P3": 13000,
    "P4": 18000,
    "P5": 24000,
    "M2": 28000,
    "M3": 38000,
    "M4": 50000,
    "M5": 80000,
}
PAY_CURRENCY = {
    "CN": ("CNY", 1.0),
    "SG": ("SGD", 1.6 / 5.3),
    "DE": ("EUR", 1.7 / 7.8),
    "US": ("USD", 2.0 / 7.1),
}
CNY_PER_UNIT = {"CNY": 1.0, "SGD": 5.3, "EUR": 7.8, "USD": 7.1}

RESPONSIBILITIES = {
    "general_manager": "Run the company; grow sales, open new regions, control cost and keep the team.",
    "sales_director": "Lead the regional sales team; grow team sales, win new customers, drive repurchase.",
    "sales_rep": "Develop and keep customer accounts in the region; sell the owned skus, digest their stock; "
    "answer inquiries within one working day; commit a monthly sales plan per sku.",
    "purchasing_manager": "Run purchasing; approve purchase requests; supplier performance.",
    "buyer": "Replenish the assigned skus to the policy cover; get sales confirmation above 60 days cover; "
    "submit the slow-moving list by the 5th of each month and follow it up.",
    "operations_manager": "Run planning, warehouse and logistics; order processing time and complaints.",
    "planner": "Forecast monthly demand per sku; keep forecast accuracy at or above 85%.",
    "operations_specialist": "Process orders, warehouse and shipping; support sales; propose improvements.",
    "finance_manager": "Close the books; control inventory capital occupation (<= 30%) and impairment.",
    "accountant": "Invoicing, collections and ledger.",
    "hr_manager": "Run HR; hiring fill rate, new-hire retention, training.",
    "recruiter": "Fill open requisitions, above all in sales.",
    "hr_specialist": "Payroll, contracts, training administration.",
    "admin_manager": "Run administration and office services.",
    "admin_specialist": "Office services and sales support.",
}
KPI_TERMS = {
    "general_manager": "sales growth rate 40, new regions opened 30, cost control rate 20, team retention 10",
    "sales_director": "team sales growth 50, new customers 30, repurchase rate 20",
    "sales_rep": "revenue 60, repurchase rate 20, new customers 20; commission 3% at 100% of quota, "
    "4% at 120%; +2% commission rate per +10 points of slow-moving sales share",
    "purchasing_manager": "on-time supply 50, inventory turnover 30, cost reduction rate 20",
    "buyer": "on-time supply 50, inventory turnover 30, cost reduction rate 20; slow-moving list by the 5th "
    ">= 90% (else -10% quarterly bonus)",
    "operations_manager": "order processing time 40, complaint rate 30, improvement proposals 20, "
    "sales-support satisfaction 10",
    "planner": "forecast accuracy >= 85%, slow-moving digestion >= 80% per month",
    "operations_specialist": "order processing time 40, complaint rate 30, improvement proposals 20, "
    "sales-support satisfaction 10",
    "finance_manager": "inventory capital occupation <= 30%, capital turnover +15% y/y, impairment <= 2%",
    "accountant": "inventory capital occupation <= 30%, capital turnover +15% y/y, impairment loss <= 2%",
    "hr_manager": "sales hiring fill rate 40, new-hire retention 30, training completion 20, sales-team satisfaction 10",
    "recruiter": "sales hiring fill rate 40, new-hire retention 30, training completion 20, sales-team satisfaction 10",
    "hr_specialist": "sales hiring fill rate 40, new-hire retention 30, training completion 20, sales-team satisfaction 10",
    "admin_manager": "sales-support satisfaction 60, office process efficiency 40",
    "admin_specialist": "sales-support satisfaction 60, office process efficiency 40",
}
PROPOSAL_TITLES = {
    "operations": [
        "Pick-path layout for fast movers",
        "Barcode check at packing",
        "Carrier cut-off time reminder",
        "Cycle count on slow-moving skus",
        "Shared ETA view for sales",
    ],
    "sales": ["Quote template for repeat orders", "Weekly stock digest for reps", "CRM follow-up reminders"],
    "purchasing": ["Supplier scorecard review", "Consolidated monthly POs", "Safety stock by season"],
    "finance": ["Automatic payment matching", "Monthly aging report to sales"],
    "hr": ["Onboarding checklist", "Referral bonus for sales hires"],
    "admin": ["Meeting room booking rules", "Shared courier account"],
    "executive": ["Quarterly all-hands on targets"],
}
SURVEY_MEAN = {"D300": 3.3, "D400": 3.8, "D410": 3.5, "D420": 3.9, "D500": 3.8, "D600": 3.9, "D700": 4.1}


@dataclass
class HrRecords:
    contracts: list[dict]
    requisitions: list[dict]
    candidates: list[dict]
    trainings: list[dict]
    surveys: list[dict]
    proposals: list[dict]
    compensation: list[dict]


def _years_later(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _in_role_on(org: Org, role: str, day: dt.date) -> list[int]:
    out = []
    for p in org.ever_in_role(role):
        seg = p.segment_on(day)
        if seg is not None and seg.role == role:
            out.append(p.idx)
    return out


def compensation(period: Period, org: Org, rng: np.random.Generator) -> list[dict]:
    rows = []
    for p in org.people:
        if p.termination_date is not None and p.termination_date < period.start:
            continue
        factor = float(np.exp(rng.normal(0, 0.08)))
        first_row = len(rows)  # this person's rows are the ones appended from here on
        currency, fx = PAY_CURRENCY[p.country]
        march = dt.date(period.start.year - (period.start.month < 3), 3, 1)
        first = max(p.hire_date, march)
        changes = {first}
        for seg in p.segments:
            if seg.start > first:
                changes.add(seg.start)
        for year in range(first.year, period.end.year + 1):
            day = dt.date(year, 3, 1)
            if first < day <= period.end:
                changes.add(day)
        points = sorted(d for d in changes if d <= period.end and (p.termination_date is None or d <= p.termination_date))
        raises = 0
        last_grade = None
        for day in points:
            seg = p.segment_on(day)
            if day.month == 3 and day.day == 1 and day != first:
                raises += 1
            if last_grade is not None and seg.grade == last_grade and not (day.month == 3 and day.day == 1):
                continue  # a change of department or mentor does not change pay
            last_grade = seg.grade
            base = BASE_SALARY[seg.grade] * factor * 1.04**raises * fx
            role = seg.role
            share = (
                1.5
                if role == "general_manager"
                else 0.9
                if FUNCTION_OF_ROLE[role] == "sales"
                else 1.0
                if role in MANAGERS
                else 0.45
            )
            rows.append(
                {
                    "employee": p.idx,
                    "valid_from": day,
                    "base": round(base, -1) if currency == "CNY" else round(base, 0),
                    "bonus": round(base * share, -1),
                    "currency": currency,
                }
            )
        person_rows = rows[first_row:]
        for a, b in zip(person_rows, person_rows[1:], strict=False):
            a["valid_to"] = b["valid_from"] - dt.timedelta(days=1)
        if person_rows:
            person_rows[-1]["valid_to"] = p.termination_date
    return rows


def monthly_payroll_cny(period: Period, org: Org, comp: list[dict]) -> np.ndarray:
    """Base salaries paid per month in CNY (people employed on the 15th)."""
    out = np.zeros(period.n_months)
    for m, first in enumerate(period.month_starts):
        mid = first + dt.timedelta(days=14)
        for r in comp:
            if r["valid_from"] <= mid and (r["valid_to"] is None or mid <= r["valid_to"]):
                out[m] += r["base"] * CNY_PER_UNIT[r["currency"]]
    return out


def contracts(period: Period, org: Org, rng: np.random.Generator) -> list[dict]:
    rows = []
    for p in org.people:
        spans: list[tuple[dt.date, dt.date | None, str]] = []
        if p.hire_kind != "initial":
            spans.append((p.hire_date, p.hire_date + dt.timedelta(days=89), "probation"))
            spans.append(
                (
                    p.hire_date + dt.timedelta(days=90),
                    _years_later(p.hire_date, 3) + dt.timedelta(days=89),
                    "fixed_term",
                )
            )
        elif p.grade.startswith("M") or (period.start - p.hire_date).days > 8 * 365:
            spans.append((p.hire_date, None, "permanent"))
        else:
            begin = p.hire_date
            for _ in range(2):
                end = _years_later(begin, 3) - dt.timedelta(days=1)
                spans.append((begin, end, "fixed_term"))
                begin = end + dt.timedelta(days=1)
            spans.append((begin, None, "permanent"))
        for valid_from, valid_to, kind in spans:
            if valid_from > period.end or (p.termination_date is not None and valid_from > p.termination_date):
                break
            seg = p.segment_on(valid_from) or p.segments[0]
            rows.append(
                {
                    "employee": p.idx,
                    "signed": valid_from - dt.timedelta(days=int(rng.integers(3, 21))),
                    "valid_from": valid_from,
                    "valid_to": valid_to,
                    "type": kind,
                    "responsibilities": RESPONSIBILITIES[seg.role],
                    "kpi_terms": KPI_TERMS[seg.role],
                }
            )
    return rows


def _hiring_manager(org: Org, role: str, region: str) -> int:
    if role in ("sales_rep",):
        return org.director(region)
    if role in MANAGER_ROLE:
        return org.holder(MANAGER_ROLE[role])
    return org.holder("general_manager")


def _recruiter(org: Org, day: dt.date, rng: np.random.Generator) -> int:
    pool = _in_role_on(org, "recruiter", day)
    if not pool:
        pool = [p.idx for p in org.people if p.role == "recruiter" and p.employed_on(day)]
    return int(pool[int(rng.integers(len(pool)))]) if pool else org.holder("hr_manager")


def hiring(period: Period, org: Org, rng: np.random.Generator) -> tuple[list[dict], list[dict]]:
    reqs: list[dict] = []
    for p in org.people:
        if p.hire_kind == "initial":
            continue
        accepted = p.hire_date - dt.timedelta(days=int(rng.integers(7, 22)))
        offer = max(p.requisition_opened + dt.timedelta(days=5), accepted - dt.timedelta(days=int(rng.integers(1, 6))))
        accepted = max(accepted, offer)
        reqs.append(
            {
                "role": p.role,
                "region": p.region,
                "opened": p.requisition_opened,
                "closed": accepted,
                "status": "filled",
                "hired": p,
                "offer": offer,
            }
        )
    for r in org.open_requisitions:
        reqs.append({**r, "closed": None, "status": "open", "hired": None})
    for r in org.cancelled_requisitions:
        reqs.append({**r, "status": "cancelled", "hired": None})
    reqs.sort(key=lambda r: (r["opened"], r["role"], r["region"]))
    candidates: list[dict] = []
    for k, r in enumerate(reqs, start=1):
        r["requisition_id"] = f"RQ{k:04d}"
        r["department_id"] = (
            SALES_DEPT[r["region"]]
            if r["role"] == "sales_rep"
            else {
                "operations_specialist": "D420",
                "accountant": "D500",
                "admin_specialist": "D700",
                "recruiter": "D600",
                "hr_specialist": "D600",
            }.get(r["role"], "D100")
        )
        r["hiring_manager"] = _hiring_manager(org, r["role"], r["region"])
        r["recruiter"] = _recruiter(org, r["opened"], rng)
        last_day = min(period.end, r["closed"] or period.end)
        window = max(1, (last_day - r["opened"]).days)
        hired: Person | None = r["hired"]
        if hired is not None:
            window = max(1, (r["offer"] - r["opened"]).days)
            first_applied = r["opened"] + dt.timedelta(days=int(rng.integers(0, window)))
            candidates.append(
                {
                    "req": r["requisition_id"],
                    "applied": first_applied,
                    "stage": "hired",
                    "offer": r["offer"],
                    "accepted": r["closed"],
                    "hired": hired.idx,
                }
            )
        if r["status"] == "filled":
            n_others, stages, p = (
                int(rng.integers(4, 17)),
                ["rejected", "withdrawn", "offered"],
                [0.78, 0.17, 0.05],
            )
        elif r["status"] == "open":
            n_others, stages, p = (
                int(rng.integers(2, 9)),
                ["applied", "screened", "interviewed", "rejected"],
                [0.3, 0.25, 0.15, 0.3],
            )
        else:
            n_others, stages, p = int(rng.integers(0, 5)), ["rejected", "withdrawn"], [0.7, 0.3]
        for _ in range(n_others):
            applied = r["opened"] + dt.timedelta(days=int(rng.integers(0, window)))
            stage = str(rng.choice(stages, p=p))
            offer = None
            if stage == "offered":
                offer = min(last_day, applied + dt.timedelta(days=int(rng.integers(7, 21))))
            candidates.append(
                {
                    "req": r["requisition_id"],
                    "applied": applied,
                    "stage": stage,
                    "offer": offer,
                    "accepted": None,
                    "hired": None,
                }
            )
    candidates.sort(key=lambda c: (c["req"], c["applied"], c["stage"]))
    return reqs, candidates


def trainings(period: Period, org: Org, rng: np.random.Generator) -> list[dict]:
    assignments: list[tuple[int, str, dt.date, int]] = []
    for p in org.people:
        if p.hire_kind != "initial" and p.hire_date >= period.start:
            for course in (
                "Onboarding: company, compliance and systems",
                "Product knowledge basics",
                "CRM and ERP basics",
            ):
                assignments.append((p.idx, course, p.hire_date, 30))
    for year in range(period.start.year, period.end.year + 1):
        day = dt.date(year, 3, 1)
        if period.start <= day <= period.end:
            for p in org.people:
                if p.employed_on(day):
                    assignments.append((p.idx, "Annual anti-bribery and compliance", day, 30))
        for month in (4, 10):
            day = dt.date(year, month, 1)
            if period.start <= day <= period.end:
                for i in _in_role_on(org, "sales_rep", day):
                    assignments.append((i, "Consultative selling", day, 45))
    day = period.start + dt.timedelta(days=14)
    for i in _in_role_on(org, "buyer", day):
        assignments.append((i, "Inventory policy: days of cover and sales confirmation", day, 30))
    rows = []
    for employee, course, assigned, span in assignments:
        due = assigned + dt.timedelta(days=span)
        u = rng.random()
        if employee == org.key["over_buyer"] and course.startswith("Inventory policy"):
            u = 1.0  # never completed
        if u < 0.85:
            done = assigned + dt.timedelta(days=int(rng.integers(1, span + 1)))
        elif u < 0.94:
            done = due + dt.timedelta(days=int(rng.integers(1, 31)))
        else:
            done = None
        term = org.people[employee].termination_date
        if done is not None and (done > period.end or (term is not None and done > term)):
            done = None
        rows.append({"employee": employee, "course": course, "assigned": assigned, "due": due, "completed": done})
    return rows


def surveys(period: Period, org: Org, rng: np.random.Generator) -> list[dict]:
    rows = []
    depts = [d.department_id for d in org.departments if d.department_id not in ("D100", "D200")]
    quarter_ends = [d for d in period.month_starts if d.month in (3, 6, 9, 12)] or period.month_starts[-1:]
    for first in quarter_ends:
        for p in org.people:
            day = first + dt.timedelta(days=int(rng.integers(9, 20)))
            seg = p.segment_on(day)
            if seg is None or rng.random() > 0.35:
                continue
            if FUNCTION_OF_ROLE[seg.role] == "sales":
                question = "sales_support"
                pool = [d for d in SURVEY_MEAN if d != "D400"]
                k = int(rng.integers(2, 4))
            else:
                question = "collaboration"
                pool = [d for d in depts if d != seg.department_id]
                k = int(rng.integers(1, 3))
            for target in rng.choice(pool, size=min(k, len(pool)), replace=False):
                mean = SURVEY_MEAN.get(str(target), 3.8)
                score = int(np.clip(round(rng.normal(mean, 0.9)), 1, 5))
                rows.append(
                    {
                        "date": day,
                        "respondent": p.idx,
                        "target": str(target),
                        "question": question,
                        "score": score,
                    }
                )
    return rows


def proposals(period: Period, org: Org, rng: np.random.Generator) -> list[dict]:
    rows = []
    for m, first in enumerate(period.month_starts):
        for p in org.people:
            day = first + dt.timedelta(days=int(rng.integers(0, period.month_len[m])))
            seg = p.segment_on(day)
            if seg is None:
                continue
            prob = 0.04 if seg.role == "operations_specialist" else 0.015
            if rng.random() >= prob:
                continue
            titles = PROPOSAL_TITLES[FUNCTION_OF_ROLE[seg.role]]
            recent = (period.end - day).days < 30
            if recent:
                status = "pending" if rng.random() < 0.7 else "accepted"
            else:
                status = str(rng.choice(["implemented", "accepted", "rejected", "pending"], p=[0.25, 0.25, 0.35, 0.15]))
            decided = None
            if status != "pending":
                decided = min(period.end, day + dt.timedelta(days=int(rng.integers(7, 46))))
            rows.append(
                {
                    "employee": p.idx,
                    "submitted": day,
                    "title": titles[int(rng.integers(len(titles)))],
                    "status": status,
                    "decided": decided,
                }
            )
    if not rows:  # a short period still has one proposal
        p = org.people[org.holder("operations_manager")]
        rows.append(
            {
                "employee": p.idx,
                "submitted": period.start + dt.timedelta(days=min(9, period.n_days - 1)),
                "title": PROPOSAL_TITLES["operations"][0],
                "status": "pending",
                "decided": None,
            }
        )
    return rows


def build_hr(period: Period, org: Org, rng: np.random.Generator) -> HrRecords:
    reqs, cands = hiring(period, org, rng)
    return HrRecords(
        contracts=contracts(period, org, rng),
        requisitions=reqs,
        candidates=cands,
        trainings=trainings(period, org, rng),
        surveys=surveys(period, org, rng),
        proposals=proposals(period, org, rng),
        compensation=compensation(period, org, rng),
    )
