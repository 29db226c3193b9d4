"""Customers and who owns each account over time.

A rep who leaves hands the accounts to colleagues in the same region until the replacement starts; a
rep who moves region hands the accounts over and takes over a few accounts in the new region; reps
win new customers every month. The customer master shows the owner at the end of the period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from ingest.simulator import names
from ingest.simulator.org import REGIONS, ROLE_CODE, Org
from ingest.simulator.period import Period

REP = ROLE_CODE["sales_rep"]
ONLINE_SHARE = {"south": 0.55, "north": 0.2, "east": 0.35}


@dataclass
class Customers:
    ids: list[str]
    names: list[str]
    region: list[str]
    channel: np.ndarray  # "online" / "offline"
    currency: np.ndarray
    created_at: list[dt.datetime]
    created_day: np.ndarray  # day index (negative before the period)
    size: np.ndarray
    terms: np.ndarray  # payment terms in days
    slow_payer: np.ndarray
    seg_customer: np.ndarray  # ownership segments: customer, rep (person index), first day, last day
    seg_rep: np.ndarray
    seg_from: np.ndarray
    seg_to: np.ndarray
    owner_final: np.ndarray
    acquired_by: np.ndarray  # person index of the rep who won the customer (-1 for old accounts)
    _segs_by_rep: dict[int, np.ndarray] | None = field(default=None, repr=False, compare=False)

    @property
    def n(self) -> int:
        return len(self.ids)

    def segments_of(self, rep: int) -> np.ndarray:
        """Positions of the rep's ownership segments in ascending order: np.flatnonzero(seg_rep == rep),
        from an index built once (one scan per rep would cost reps x segments)."""
        if self._segs_by_rep is None:
            self._segs_by_rep = group_positions(self.seg_rep)
        return self._segs_by_rep.get(int(rep), np.empty(0, dtype=np.int64))


def group_positions(keys: np.ndarray) -> dict[int, np.ndarray]:
    """key -> ascending positions where keys == key, for every key (a stable sort instead of a scan per key)."""
    order = np.argsort(keys, kind="stable")
    values, starts = np.unique(keys[order], return_index=True)
    ends = np.append(starts[1:], len(order))
    return {int(v): order[a:b] for v, a, b in zip(values.tolist(), starts.tolist(), ends.tolist(), strict=True)}


class _Book:
    def __init__(self, period: Period, org: Org, rng: np.random.Generator):
        self.period, self.org, self.rng = period, org, rng
        self.rows: list[dict] = []
        self.owner: list[int] = []
        self.since: list[int] = []
        self.segments: list[tuple[int, int, int, int]] = []
        self.held: dict[int, set[int]] = {}  # rep -> customers the rep owns now (kept in step with owner)

    def new_customer(self, rep: int, region: str, created: dt.datetime, day: int, acquired: bool) -> int:
        rng, person = self.rng, self.org.people[rep]
        if person.country == "DE":
            currency = "EUR"
        elif person.country in ("SG", "US"):
            currency = "USD"
        else:
            u = rng.random()
            currency = "USD" if u < 0.03 else "HKD" if (u < 0.05 and region == "south") else "CNY"
        online = rng.random() < ONLINE_SHARE.get(region, 0.3)
        c = len(self.rows)
        self.rows.append(
            {
                "name": names.customer_name(rng, currency),
                "region": region,
                "currency": currency,
                "channel": "online" if online else "offline",
                "created_at": created,
                "created_day": day,
                "size": float(np.exp(rng.normal(0, 0.6))),
                "terms": int(rng.choice([30, 45, 60], p=[0.5, 0.3, 0.2])),
                "slow_payer": bool(rng.random() < 0.1),
                "acquired_by": rep if acquired else -1,
            }
        )
        self.owner.append(rep)
        self.held.setdefault(rep, set()).add(c)
        self.since.append(max(0, day + 1) if acquired else 0)
        return c

    def move(self, c: int, rep: int, day: int) -> None:
        if self.owner[c] == rep:
            return
        if day > self.since[c]:
            self.segments.append((c, self.owner[c], self.since[c], day - 1))
        self.held[self.owner[c]].discard(c)
        self.held.setdefault(rep, set()).add(c)
        self.owner[c], self.since[c] = rep, day

    def held_by(self, rep: int) -> list[int]:
        return sorted(self.held.get(rep, ()))

    def close(self) -> None:
        last = self.period.n_days - 1
        for c, rep in enumerate(self.owner):
            if self.since[c] <= last:
                self.segments.append((c, rep, self.since[c], last))


def _colleagues(org: Org, day: int, region: int, exclude: int) -> np.ndarray:
    active = (org.role_day[:, day] == REP) & (org.region_day[:, day] == region)
    active[exclude] = False
    found = np.flatnonzero(active)
    if len(found) == 0:
        found = np.flatnonzero(org.role_day[:, day] == REP)
        found = found[found != exclude]
    return found


def build_customers(period: Period, org: Org, rng: np.random.Generator) -> Customers:
    book = _Book(period, org, rng)
    reps = org.with_role("sales_rep")
    start = dt.datetime.combine(period.start, dt.time(0))
    # existing accounts at the start of the period
    for r in reps:
        if org.role_day[r, 0] != REP:
            continue
        region = REGIONS[org.region_day[r, 0]]
        n = int(round(rng.uniform(18, 40) * org.people[r].skill ** 0.5))
        for _ in range(n):
            created = start - dt.timedelta(days=int(rng.integers(60, 8 * 365)), seconds=int(rng.integers(32400, 64800)))
            book.new_customer(r, region, created, (created.date() - period.start).days, acquired=False)
    # events in time order: hand-overs at role/region changes, and new customers won
    events: list[tuple[int, int, int, str]] = []  # day, priority, person, kind
    for r in reps:
        roles, regions = org.role_day[r], org.region_day[r]
        is_rep = roles == REP
        for d in range(1, period.n_days):
            if is_rep[d - 1] and (not is_rep[d] or regions[d] != regions[d - 1]):
                events.append((d, 0, r, "leave"))
            if is_rep[d] and (not is_rep[d - 1] or regions[d] != regions[d - 1]):
                events.append((d, 1, r, "join"))
        skill = org.people[r].skill
        for m in range(period.n_months):
            a, b = period.month_first[m], period.month_first[m] + period.month_len[m]
            days = np.flatnonzero(is_rep[a:b]) + a
            if len(days) == 0:
                continue
            newbie = org.people[r].hire_kind != "initial" and (period.date(a) - org.people[r].hire_date).days < 180
            lam = 0.8 * skill * (1.5 if newbie else 1.0) * len(days) / period.month_len[m]
            for d in sorted(int(x) for x in rng.choice(days, size=int(rng.poisson(lam)))):
                events.append((d, 2, r, "acquire"))
    events.sort()
    handed: dict[int, list[int]] = {}
    for d, _, r, kind in events:
        if kind == "leave":
            old_region = int(org.region_day[r, d - 1])
            mine = book.held_by(r)
            mates = _colleagues(org, d, old_region, r)
            for c in mine:
                if len(mates):
                    book.move(c, int(mates[rng.integers(len(mates))]), d)
            handed[r] = mine
        elif kind == "join":
            region = int(org.region_day[r, d])
            person = org.people[r]
            inherited = []
            if person.replaces is not None and person.replaces in handed:
                inherited = [c for c in handed[person.replaces] if book.owner[c] != person.replaces]
            for c in inherited:
                book.move(c, r, d)
            if not inherited:
                mates = _colleagues(org, d, region, r)
                for mate in rng.permutation(mates)[: 8 if person.hire_kind == "initial" else 5]:
                    theirs = book.held_by(int(mate))
                    if theirs:
                        book.move(theirs[int(rng.integers(len(theirs)))], r, d)
        else:
            region = REGIONS[org.region_day[r, d]]
            created = start + dt.timedelta(days=d, seconds=int(rng.integers(32400, 64800)))
            if d + 1 < period.n_days:
                book.new_customer(r, region, created, d, acquired=True)
    book.close()
    seg = np.array(sorted(book.segments), dtype=np.int64).reshape(-1, 4)
    rows = book.rows
    return Customers(
        ids=[f"C{k + 1:06d}" for k in range(len(rows))],
        names=[r["name"] for r in rows],
        region=[r["region"] for r in rows],
        channel=np.array([r["channel"] for r in rows]),
        currency=np.array([r["currency"] for r in rows]),
        created_at=[r["created_at"] for r in rows],
        created_day=np.array([r["created_day"] for r in rows], dtype=np.int64),
        size=np.array([r["size"] for r in rows]),
        terms=np.array([r["terms"] for r in rows], dtype=np.int64),
        slow_payer=np.array([r["slow_payer"] for r in rows]),
        seg_customer=seg[:, 0],
        seg_rep=seg[:, 1],
        seg_from=seg[:, 2],
        seg_to=seg[:, 3],
        owner_final=np.array(book.owner, dtype=np.int64),
        acquired_by=np.array([r["acquired_by"] for r in rows], dtype=np.int64),
    )
