"""The organisation: departments, people, and who held which role where on every day (effective dated).

People are referred to by their index in Org.people while the company is built; employee ids (E00001...)
are handed out at the end in order of hire date, as an HR system would.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np

from ingest.simulator import names
from ingest.simulator.holidays import COUNTRY_TIMEZONE
from ingest.simulator.period import Period

ROLES = [
    "general_manager",
    "sales_director",
    "sales_rep",
    "purchasing_manager",
    "buyer",
    "operations_manager",
    "planner",
    "operations_specialist",
    "finance_manager",
    "accountant",
    "hr_manager",
    "recruiter",
    "hr_specialist",
    "admin_manager",
    "admin_specialist",
]
ROLE_CODE = {role: i for i, role in enumerate(ROLES)}
REGIONS = ["north", "south", "east", "west", "hq"]
REGION_CODE = {region: i for i, region in enumerate(REGIONS)}
SALES_DEPT = {"south": "D210", "north": "D220", "east": "D230"}
ROLE_DEPT = {
    "general_manager": "D100",
    "purchasing_manager": "D300",
    "buyer": "D300",
    "operations_manager": "D400",
    "planner": "D410",
    "operations_specialist": "D420",
    "finance_manager": "D500",
    "accountant": "D500",
    "hr_manager": "D600",
    "recruiter": "D600",
    "hr_specialist": "D600",
    "admin_manager": "D700",
    "admin_specialist": "D700",
}
MANAGER_ROLE = {
    "buyer": "purchasing_manager",
    "planner": "operations_manager",
    "operations_specialist": "operations_manager",
    "accountant": "finance_manager",
    "recruiter": "hr_manager",
    "hr_specialist": "hr_manager",
    "admin_specialist": "admin_manager",
}
MANAGERS = ["purchasing_manager", "operations_manager", "finance_manager", "hr_manager", "admin_manager"]
STAFF_GRADES = ["P1", "P2", "P3", "P4", "P5"]
FUNCTION_OF_ROLE = {
    "general_manager": "executive",
    "sales_director": "sales",
    "sales_rep": "sales",
    "purchasing_manager": "purchasing",
    "buyer": "purchasing",
    "operations_manager": "operations",
    "planner": "operations",
    "operations_specialist": "operations",
    "finance_manager": "finance",
    "accountant": "finance",
    "hr_manager": "hr",
    "recruiter": "hr",
    "hr_specialist": "hr",
    "admin_manager": "admin",
    "admin_specialist": "admin",
}


@dataclass
class Department:
    department_id: str
    parent_id: str | None
    name: str
    function: str
    region: str


@dataclass
class Segment:
    start: dt.date
    end: dt.date | None
    role: str
    department_id: str
    region: str
    grade: str
    manager: int | None = None
    is_mentor: bool = False
    mentor: int | None = None


@dataclass
class Person:
    idx: int
    full_name: str
    female: bool
    birth_date: dt.date
    country: str
    hire_date: dt.date
    role: str
    region: str
    grade: str
    skill: float
    hire_kind: str = "initial"  # initial, replacement, growth
    replaces: int | None = None
    requisition_opened: dt.date | None = None
    termination_date: dt.date | None = None
    termination_reason: str | None = None
    protected: bool = False
    is_mentor: bool = False
    mentor: int | None = None
    history_promotion: dt.date | None = None  # a promotion before the period, for people hired long ago
    events: list[tuple[dt.date, str, dict]] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    employee_id: str = ""
    national_id: str | None = None
    phone: str | None = None
    email: str | None = None

    @property
    def timezone(self) -> str:
        return COUNTRY_TIMEZONE[self.country]

    def employed_on(self, day: dt.date) -> bool:
        return self.hire_date <= day and (self.termination_date is None or day <= self.termination_date)

    def segment_on(self, day: dt.date) -> Segment | None:
        for seg in self.segments:
            if seg.start <= day and (seg.end is None or day <= seg.end):
                return seg
        return None


@dataclass
class Org:
    period: Period
    departments: list[Department]
    people: list[Person]
    regions: list[str]
    key: dict[str, object]
    events: list[dict]
    open_requisitions: list[dict]
    cancelled_requisitions: list[dict]
    role_day: np.ndarray = field(init=False)  # [person, day] role code, -1 when not employed
    region_day: np.ndarray = field(init=False)
    dept_day: np.ndarray = field(init=False)
    _holders: dict[str, list[int]] = field(init=False, default_factory=dict, repr=False)
    _ever: dict[str, list[Person]] = field(init=False, default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        n, days = len(self.people), self.period.n_days
        self.role_day = np.full((n, days), -1, dtype=np.int8)
        self.region_day = np.full((n, days), -1, dtype=np.int8)
        self.dept_day = np.full((n, days), -1, dtype=np.int16)
        dept_index = {d.department_id: i for i, d in enumerate(self.departments)}
        for p in self.people:
            for seg in p.segments:
                a = max(0, self.period.index(seg.start))
                b = self.period.n_days - 1 if seg.end is None else min(days - 1, self.period.index(seg.end))
                if b < a:
                    continue
                self.role_day[p.idx, a : b + 1] = ROLE_CODE[seg.role]
                self.region_day[p.idx, a : b + 1] = REGION_CODE[seg.region]
                self.dept_day[p.idx, a : b + 1] = dept_index[seg.department_id]

    def with_role(self, role: str) -> list[int]:
        """People who hold the role on at least one day of the period, by index."""
        if role not in self._holders:  # role_day is fixed once built: scan it once per role
            self._holders[role] = [int(i) for i in np.flatnonzero((self.role_day == ROLE_CODE[role]).any(axis=1))]
        return list(self._holders[role])

    def ever_in_role(self, role: str) -> list[Person]:
        """People with a job segment in the role (any dates), by index; built once per role."""
        if role not in self._ever:
            self._ever[role] = [p for p in self.people if any(seg.role == role for seg in p.segments)]
        return self._ever[role]

    def holder(self, role: str) -> int:
        """The one person holding a single-holder role (general manager, a function manager)."""
        return self.with_role(role)[0]

    def director(self, region: str) -> int:
        for i in self.with_role("sales_director"):
            if self.people[i].region == region:
                return i
        raise KeyError(region)


def _departments(regions: list[str]) -> list[Department]:
    deps = [
        Department("D100", None, "General Management", "executive", "hq"),
        Department("D200", "D100", "Sales", "sales", "hq"),
    ]
    titles = {"south": "Sales South", "north": "Sales North", "east": "Sales East"}
    deps += [Department(SALES_DEPT[r], "D200", titles[r], "sales", r) for r in regions]
    deps += [
        Department("D300", "D100", "Purchasing", "purchasing", "hq"),
        Department("D400", "D100", "Operations", "operations", "hq"),
        Department("D410", "D400", "Demand Planning", "operations", "hq"),
        Department("D420", "D400", "Warehouse & Logistics", "operations", "hq"),
        Department("D500", "D100", "Finance", "finance", "hq"),
        Department("D600", "D100", "Human Resources", "hr", "hq"),
        Department("D700", "D100", "Administration", "admin", "hq"),
    ]
    return deps


def role_plan(n: int, regions: list[str]) -> list[tuple[str, str]]:
    """(role, region) for every seat of the starting headcount n."""
    counts = {
        "general_manager": 1,
        "purchasing_manager": 1,
        "operations_manager": 1,
        "finance_manager": 1,
        "hr_manager": 1,
        "admin_manager": 1,
        "buyer": max(2, round(0.06 * n)),
        "planner": max(2, round(0.04 * n)),
        "accountant": max(2, round(0.06 * n)),
        "recruiter": max(1, round(0.02 * n)),
        "hr_specialist": max(1, round(0.03 * n)),
        "admin_specialist": max(1, round(0.05 * n)),
    }
    n_reps = round(0.45 * n)
    fixed = sum(counts.values()) + len(regions) + n_reps
    counts["operations_specialist"] = max(2, n - fixed)
    seats = [(role, "hq") for role in ROLES if role in counts for _ in range(counts[role])]
    seats += [("sales_director", r) for r in regions]
    shares = {"south": 0.4, "north": 0.35, "east": 0.25} if "east" in regions else {"south": 0.55, "north": 0.45}
    allocated = 0
    for i, region in enumerate(regions):
        k = n_reps - allocated if i == len(regions) - 1 else round(n_reps * shares[region])
        seats += [("sales_rep", region)] * k
        allocated += k
    return seats


def _dept_of(role: str, region: str) -> str:
    return SALES_DEPT[region] if role in ("sales_director", "sales_rep") else ROLE_DEPT[role]


def _staff_grade(tenure_years: float, rng: np.random.Generator) -> str:
    level = 0 if tenure_years < 1 else 1 if tenure_years < 3 else 2 if tenure_years < 6 else 3
    if level == 3 and rng.random() < 0.25:
        level = 4
    return STAFF_GRADES[level]


def _new_person(rng, idx, role, region, hire, age_at_hire, grade, country="CN") -> Person:
    female = bool(rng.random() < 0.48)
    birth = hire - dt.timedelta(days=int(age_at_hire * 365.25 + rng.integers(0, 365)))
    name = names.chinese_name(rng) if country == "CN" else names.foreign_name(rng, country)
    skill = float(np.exp(rng.normal(0, 0.3)))
    return Person(idx, name, female, birth, country, hire, role, region, grade, skill)


class _Builder:
    def __init__(self, period: Period, n_employees: int, n_skus: int, rng: np.random.Generator):
        self.period, self.n, self.n_skus, self.rng = period, n_employees, n_skus, rng
        self.regions = ["south", "north", "east"] if n_employees >= 80 else ["south", "north"]
        self.people: list[Person] = []
        self.events: list[dict] = []
        self.open_requisitions: list[dict] = []
        self.cancelled_requisitions: list[dict] = []
        self.key: dict[str, object] = {}

    # -- the starting roster -------------------------------------------------------------------------------
    def roster(self) -> None:
        rng, start = self.rng, self.period.start
        for role, region in role_plan(self.n, self.regions):
            if role == "general_manager":
                tenure, age, grade = rng.uniform(8, 15), rng.uniform(30, 38), "M5"
            elif role == "sales_director":
                tenure, age, grade = rng.uniform(5, 12), rng.uniform(28, 36), str(rng.choice(["M3", "M4"]))
            elif role in MANAGERS:
                tenure, age, grade = rng.uniform(4, 12), rng.uniform(27, 36), str(rng.choice(["M2", "M3"]))
            else:
                tenure = 0.15 + rng.exponential(3.5)
                if tenure > 18:
                    tenure = rng.uniform(10, 18)
                age, grade = rng.uniform(22, 34), _staff_grade(tenure, rng)
            hire = start - dt.timedelta(days=int(tenure * 365.25))
            p = _new_person(rng, len(self.people), role, region, hire, age, grade)
            if role == "sales_rep" and tenure < 1:
                p.skill *= 0.85
            if tenure > 3 and grade in STAFF_GRADES[1:]:
                span = (start - hire).days - 425
                p.history_promotion = hire + dt.timedelta(days=365 + int(rng.integers(0, span)))
            self.people.append(p)

    def choose_key_people(self) -> None:
        rng = self.rng
        by_role = {role: [p.idx for p in self.people if p.role == role] for role in ROLES}
        for role in ["general_manager", "sales_director", *MANAGERS, "buyer", "planner"]:
            for i in by_role[role]:
                self.people[i].protected = True  # responsibility keys stay stable over the period
        reps = by_role["sales_rep"]
        senior = [i for i in reps if self.people[i].grade in ("P2", "P3", "P4", "P5")]
        n_owners = min(max(3, math.ceil(self.n_skus / 8)), len(senior) // 2)
        owners = sorted(int(i) for i in rng.choice(senior, size=n_owners, replace=False))
        south_owners = [i for i in owners if self.people[i].region == "south"] or owners
        neglecter = int(rng.choice(south_owners))
        candidates = [i for i in reps if i not in owners and self.people[i].grade in ("P2", "P3")]
        candidates = candidates or [i for i in reps if i not in owners]
        largest = max(self.regions, key=lambda r: sum(self.people[i].region == r for i in reps))
        low_conv = int(rng.choice([i for i in candidates if self.people[i].region == largest] or candidates))
        over_buyer = int(rng.choice(by_role["buyer"]))
        optimistic = int(rng.choice(by_role["planner"]))
        for i in [*owners, low_conv]:
            self.people[i].protected = True
        # mentors: a few senior people per department
        mentors = []
        for dept in sorted({_dept_of(p.role, p.region) for p in self.people}):
            pool = [
                p.idx
                for p in self.people
                if _dept_of(p.role, p.region) == dept
                and p.grade in ("P3", "P4", "P5")
                and p.idx not in (neglecter, low_conv, over_buyer, optimistic)
            ]
            if not pool:
                continue
            k = max(1, round(0.12 * len(pool)))
            mentors += [int(i) for i in rng.choice(pool, size=min(k, len(pool)), replace=False)]
        for i in mentors:
            self.people[i].is_mentor = True
            self.people[i].protected = True
        # a few reps work abroad (other time zones and holiday calendars)
        free = [i for i in reps if not self.people[i].protected]
        abroad = ["SG", "DE", "US"] if len(reps) >= 40 else ["SG"]
        for country, i in zip(abroad, rng.choice(free, size=len(abroad), replace=False), strict=True):
            p = self.people[int(i)]
            p.country, p.protected = country, True
            p.full_name = names.foreign_name(rng, country)
        self.key = {
            "over_buyer": over_buyer,
            "optimistic_planner": optimistic,
            "neglecter": neglecter,
            "low_conversion_rep": low_conv,
            "sku_owners": owners,
            "mentors": sorted(mentors),
        }

    # -- leavers and hires ---------------------------------------------------------------------------------
    def _hire(self, role, region, hire, kind, opened, replaces=None) -> Person:
        rng = self.rng
        p = _new_person(
            rng,
            len(self.people),
            role,
            region,
            hire,
            rng.uniform(22, 30),
            "P1" if rng.random() < 0.6 else "P2",
        )
        p.skill *= 0.9
        p.hire_kind, p.replaces, p.requisition_opened = kind, replaces, opened
        self.people.append(p)
        return p

    def _terminate(self, p: Person, day: dt.date) -> None:
        rng = self.rng
        age = (day - p.birth_date).days / 365.25
        if age >= 57:
            reason = "retirement"
        else:
            reason = str(rng.choice(["resignation", "dismissal", "contract_end"], p=[0.76, 0.12, 0.12]))
        p.termination_date, p.termination_reason = day, reason
        replace_prob = 0.9 if p.role == "sales_rep" else 0.75
        if rng.random() >= replace_prob:
            return
        notice = int(rng.integers(14, 31))
        opened = day - dt.timedelta(days=notice)
        hire = day + dt.timedelta(days=int(rng.integers(20, 76)))
        if hire <= self.period.end:
            self._hire(p.role, p.region, hire, "replacement", opened, replaces=p.idx)
        elif opened <= self.period.end:
            self.open_requisitions.append({"role": p.role, "region": p.region, "opened": opened})

    def leavers_and_hires(self) -> None:
        rng, period = self.rng, self.period
        for m, first in enumerate(period.month_starts):
            last = period.month_end_date(m)
            draws = rng.random(len(self.people))
            days = rng.integers(0, int(period.month_len[m]), size=len(self.people))
            for p, u, k in zip(list(self.people), draws, days, strict=True):
                if p.protected or p.termination_date is not None or not p.employed_on(first):
                    continue
                if (first - p.hire_date).days < 30:
                    continue
                prob = {"sales_rep": 0.018, "operations_specialist": 0.012}.get(p.role, 0.008)
                if p.hire_kind != "initial" and (first - p.hire_date).days < 365:
                    prob += 0.01
                if u < prob:
                    self._terminate(p, min(last, first + dt.timedelta(days=int(k))))
        if not any(p.termination_date for p in self.people):
            mid = period.date(period.n_days // 2)
            pool = [
                p
                for p in self.people
                if not p.protected
                and p.role == "sales_rep"
                and p.employed_on(mid)
                and p.termination_date is None
                and (mid - p.hire_date).days >= 30
            ]
            self._terminate(pool[int(rng.integers(len(pool)))], mid)
        # growth: the sales force grows by about 6% a year
        n_reps = sum(p.role == "sales_rep" and p.hire_kind == "initial" for p in self.people)
        n_growth = max(1, round(n_reps * 0.06 * period.n_months / 12))
        lo, hi = min(10, period.n_days // 3), max(period.n_days - 10, period.n_days * 2 // 3)
        for off in sorted(int(x) for x in rng.integers(lo, hi, size=n_growth)):
            region = str(rng.choice(self.regions))
            hire = period.date(off)
            self._hire("sales_rep", region, hire, "growth", hire - dt.timedelta(days=int(rng.integers(35, 81))))
        n_hires = sum(p.hire_kind != "initial" for p in self.people)
        for _ in range(max(1, round(0.15 * n_hires))):
            role = str(rng.choice(["sales_rep", "operations_specialist", "accountant", "admin_specialist"]))
            region = str(rng.choice(self.regions)) if role == "sales_rep" else "hq"
            opened = period.date(int(rng.integers(0, max(1, period.n_days - 20))))
            closed = min(period.end, opened + dt.timedelta(days=int(rng.integers(20, 61))))
            self.cancelled_requisitions.append({"role": role, "region": region, "opened": opened, "closed": closed})

    # -- transfers and promotions --------------------------------------------------------------------------
    def moves(self) -> None:
        rng, period = self.rng, self.period
        years = period.n_months / 12
        planted = {self.key[k] for k in ("over_buyer", "optimistic_planner", "neglecter", "low_conversion_rep")}
        stable = [
            p
            for p in self.people
            if p.hire_kind == "initial" and p.termination_date is None and p.country == "CN" and p.idx not in planted
        ]
        movable_reps = [p for p in stable if p.role == "sales_rep" and not p.protected]
        taken: set[int] = set()

        def move_day(mid_month: bool) -> dt.date:
            m = int(rng.integers(1, period.n_months)) if period.n_months > 1 else 0
            day = int(rng.integers(8, 23)) if mid_month else 1
            if m == 0 and day == 1:
                day = 16
            return period.month_starts[m] + dt.timedelta(days=day - 1)

        n_transfer = max(1, round(len(movable_reps) * 0.05 * years)) if len(self.regions) > 1 else 0
        for i in rng.permutation(len(movable_reps))[:n_transfer]:
            p = movable_reps[int(i)]
            new_region = str(rng.choice([r for r in self.regions if r != p.region]))
            day = move_day(mid_month=bool(rng.random() < 0.5))
            p.events.append((day, "transfer", {"region": new_region, "department_id": SALES_DEPT[new_region]}))
            taken.add(p.idx)
        rest = [p for p in movable_reps if p.idx not in taken]
        n_cross = 1 + (len(movable_reps) >= 60)
        for i in rng.permutation(len(rest))[:n_cross]:
            p = rest[int(i)]
            day = move_day(mid_month=True)
            p.events.append(
                (
                    day,
                    "role_change",
                    {"role": "operations_specialist", "region": "hq", "department_id": "D420"},
                )
            )
            taken.add(p.idx)
        promotable = [p for p in stable if p.idx not in taken and p.role != "general_manager"]
        n_promo = max(2, round(len(promotable) * 0.08 * years))
        mid_forced = False
        for i in rng.permutation(len(promotable))[:n_promo]:
            p = promotable[int(i)]
            ladder = ["M2", "M3", "M4"] if p.grade.startswith("M") else STAFF_GRADES
            if p.grade == ladder[-1]:
                continue
            mid = bool(rng.random() < 0.35) or not mid_forced
            mid_forced = True
            day = move_day(mid_month=mid)
            p.events.append((day, "promotion", {"grade": ladder[ladder.index(p.grade) + 1]}))

    # -- segments -------------------------------------------------------------------------------------------
    def segments(self) -> None:
        for p in self.people:
            state = {
                "role": p.role,
                "department_id": _dept_of(p.role, p.region),
                "region": p.region,
                "grade": p.grade,
                "mentor": None,
            }
            changes: list[tuple[dt.date, dict]] = []
            if p.history_promotion is not None:
                earlier = STAFF_GRADES[STAFF_GRADES.index(p.grade) - 1]
                changes.append((p.hire_date, {**state, "grade": earlier}))
                changes.append((p.history_promotion, dict(state)))
            else:
                first = dict(state)
                if p.hire_kind != "initial":
                    first["mentor"] = p.mentor
                changes.append((p.hire_date, first))
                if p.hire_kind != "initial":
                    changes.append((p.hire_date + dt.timedelta(days=90), {**state, "mentor": None}))
            current = dict(changes[-1][1])
            for day, _, delta in sorted(p.events, key=lambda e: e[0]):
                current = {**current, **delta}
                changes.append((day, dict(current)))
            changes.sort(key=lambda c: c[0])
            # a later change carries forward what the earlier ones set
            merged: list[tuple[dt.date, dict]] = []
            for day, st in changes:
                if p.termination_date is not None and day > p.termination_date:
                    continue
                merged.append((day, st))
            for k, (day, st) in enumerate(merged):
                end = merged[k + 1][0] - dt.timedelta(days=1) if k + 1 < len(merged) else p.termination_date
                p.segments.append(
                    Segment(
                        day,
                        end,
                        st["role"],
                        st["department_id"],
                        st["region"],
                        st["grade"],
                        is_mentor=p.is_mentor,
                        mentor=st["mentor"],
                    )
                )

    def assign_mentors(self) -> None:
        rng = self.rng
        for p in self.people:
            if p.hire_kind == "initial":
                continue
            dept = _dept_of(p.role, p.region)
            pool = [
                m
                for m in self.key["mentors"]
                if _dept_of(self.people[m].role, self.people[m].region) == dept and self.people[m].employed_on(p.hire_date)
            ]
            if not pool:
                pool = [
                    m
                    for m in self.key["mentors"]
                    if FUNCTION_OF_ROLE[self.people[m].role] == FUNCTION_OF_ROLE[p.role]
                    and self.people[m].employed_on(p.hire_date)
                ]
            if pool:
                p.mentor = int(rng.choice(pool))

    def managers(self) -> None:
        holder = {p.role: p.idx for p in self.people if p.role in ("general_manager", *MANAGERS)}
        directors = {p.region: p.idx for p in self.people if p.role == "sales_director"}
        for p in self.people:
            for seg in p.segments:
                if seg.role == "general_manager":
                    seg.manager = None
                elif seg.role == "sales_rep":
                    seg.manager = directors[seg.region]
                elif seg.role in MANAGER_ROLE:
                    seg.manager = holder[MANAGER_ROLE[seg.role]]
                else:
                    seg.manager = holder["general_manager"]

    def identities(self) -> None:
        rng = self.rng
        order = sorted(self.people, key=lambda p: (p.hire_date, p.idx))
        for k, p in enumerate(order, start=1):
            p.employee_id = f"E{k:05d}"
        for p in self.people:
            if p.country == "CN":
                p.national_id = names.chinese_national_id(rng, p.birth_date, p.female)
            elif p.country == "SG":
                p.national_id = names.singapore_nric(rng, p.birth_date)
            p.phone = names.phone(rng, p.country) if rng.random() < 0.97 else None
            p.email = f"{p.employee_id.lower()}@{names.EMAIL_DOMAIN}"

    def record_events(self) -> None:
        for p in self.people:
            for day, kind, delta in sorted(p.events, key=lambda e: e[0]):
                self.events.append(
                    {
                        "employee_id": p.employee_id,
                        "date": day.isoformat(),
                        "kind": kind,
                        **{k: v for k, v in delta.items() if k != "department_id"},
                    }
                )
        self.events.sort(key=lambda e: (e["date"], e["employee_id"]))


def build_org(period: Period, n_employees: int, n_skus: int, rng: np.random.Generator) -> Org:
    b = _Builder(period, n_employees, n_skus, rng)
    b.roster()
    b.choose_key_people()
    b.leavers_and_hires()
    b.moves()
    b.assign_mentors()
    b.segments()
    b.managers()
    b.identities()
    b.record_events()
    return Org(
        period,
        _departments(b.regions),
        b.people,
        b.regions,
        b.key,
        b.events,
        b.open_requisitions,
        b.cancelled_requisitions,
    )
