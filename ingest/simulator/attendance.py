"""Attendance: work schedules, clock punches (local time with UTC offset), leave and holiday calendars."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np

from ingest.simulator.holidays import Calendars
from ingest.simulator.org import FUNCTION_OF_ROLE, ROLE_CODE, Org, Person
from ingest.simulator.period import Period
from ingest.simulator.texts import serial_ids, stamp_texts

FLEX_SALES = ("flexible", "07:00", "20:00", 8.0)
FLEX_OFFICE = ("flexible", "08:00", "19:00", 8.0)
FIXED_OFFICE = ("fixed", "09:00", "18:00", 8.0)
FIXED_WAREHOUSE = ("fixed", "08:30", "17:30", 8.0)
DEVICES = np.array(["APP-MOBILE", "CLK-GZ-01", "CLK-SH-01", "CLK-SH-02", "CLK-WH-01"], dtype=object)
DEVICE_CODE = {d: k for k, d in enumerate(DEVICES)}


@dataclass
class Attendance:
    schedules: list[dict]
    punches: dict[str, np.ndarray]
    leave: list[dict]
    holidays: list[tuple[str, dt.date, str]]


def _schedule_for(person: Person, role: str, day: dt.date, policy_day: dt.date | None) -> tuple:
    function = FUNCTION_OF_ROLE[role]
    if person.country != "CN":
        return FLEX_OFFICE
    if function in ("sales", "executive"):
        return FLEX_SALES
    if role == "operations_specialist":
        return FIXED_WAREHOUSE
    if function in ("hr", "admin") and policy_day is not None and day >= policy_day:
        return FLEX_OFFICE
    return FIXED_OFFICE


def schedules(period: Period, org: Org) -> list[dict]:
    policy_day = period.month_starts[period.n_months // 2] if period.n_months >= 2 else None
    rows = []
    for p in org.people:
        points = sorted({seg.start for seg in p.segments} | ({policy_day} if policy_day else set()))
        spans: list[list] = []
        for day in points:
            seg = p.segment_on(day)
            if seg is None:
                continue
            sched = _schedule_for(p, seg.role, day, policy_day)
            if spans and spans[-1][1] == sched:
                continue
            spans.append([day, sched])
        for k, (day, sched) in enumerate(spans):
            end = spans[k + 1][0] - dt.timedelta(days=1) if k + 1 < len(spans) else p.termination_date
            rows.append(
                {
                    "employee": p.idx,
                    "valid_from": day,
                    "valid_to": end,
                    "type": sched[0],
                    "start": sched[1],
                    "end": sched[2],
                    "hours": sched[3],
                }
            )
    return rows


def working_span_end(work_cum: list[int], start: int, span: int, last: int) -> int:
    """Last day of leave from day start that takes span working days (the start counts as one), at most day
    last; work_cum[d] is the number of working days up to and including day d. The first day after the start
    with span - 1 more working days: a search in the running count, not a walk day by day."""
    if span <= 1 or start >= last:
        return start
    return min(last, bisect_left(work_cum, work_cum[start] + span - 1, start + 1))


def leave(period: Period, org: Org, calendars: Calendars, rng: np.random.Generator) -> list[dict]:
    rows = []
    years = period.n_months / 12
    date_of = [period.date(d) for d in range(period.n_days)]
    # working days up to and including each day, per country: where a span of working days ends is a search
    worked = {country: np.cumsum(work).tolist() for country, work in calendars.working.items()}
    for p in org.people:
        work_cum = worked[p.country]
        first = max(0, period.index(p.hire_date))
        last = period.n_days - 1 if p.termination_date is None else period.index(p.termination_date)
        if last < first:
            continue
        taken = bytearray(period.n_days)  # 1 on days of approved leave
        wanted = [("annual", (1, 6))] * int(rng.poisson(3 * years)) + [("sick", (1, 4))] * int(rng.poisson(1.5 * years))
        if rng.random() < 0.012 * years:
            wanted.append(("parental", (98, 99) if p.female else (15, 16)))
        if rng.random() < 0.01 * years:
            wanted.append(("unpaid", (5, 21)))
        if rng.random() < 0.03 * years:
            wanted.append(("other", (1, 3)))
        for kind, (lo, hi) in wanted:
            start = int(rng.integers(first, last + 1))
            start = calendars.next_working(p.country, start)
            span = int(rng.integers(lo, hi))
            end = start + span - 1
            if kind in ("annual", "sick", "other"):  # counted in working days
                end = working_span_end(work_cum, start, span, last)
            if start > last or end > last or taken.find(1, start, end + 1) >= 0:
                continue
            status = "approved" if rng.random() < 0.95 else "rejected"
            if status == "approved":
                taken[start : end + 1] = b"\x01" * (end + 1 - start)
            rows.append(
                {
                    "employee": p.idx,
                    "start": date_of[start],
                    "end": date_of[end],
                    "type": kind,
                    "status": status,
                }
            )
        if p.termination_date is None and rng.random() < 0.03:  # requested for after the export
            start = period.end + dt.timedelta(days=int(rng.integers(3, 30)))
            rows.append(
                {
                    "employee": p.idx,
                    "start": start,
                    "end": start + dt.timedelta(days=int(rng.integers(0, 5))),
                    "type": "annual",
                    "status": "requested",
                }
            )
    rows.sort(key=lambda r: (r["start"], r["employee"]))
    return rows


def _offsets(period: Period, tz: str) -> np.ndarray:
    zone = ZoneInfo(tz)
    out = []
    for i in range(period.n_days):
        off = dt.datetime.combine(period.date(i), dt.time(12), tzinfo=zone).utcoffset()
        minutes = int(off.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        out.append(f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}")
    return np.array(out)


def punches(
    period: Period,
    org: Org,
    calendars: Calendars,
    schedule_rows: list[dict],
    leave_rows: list[dict],
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    offsets = {tz: _offsets(period, tz) for tz in sorted({p.timezone for p in org.people})}
    on_leave = np.zeros((len(org.people), period.n_days), dtype=bool)
    for row in leave_rows:
        if row["status"] == "approved":
            a, b = period.index(row["start"]), period.index(row["end"])
            on_leave[row["employee"], max(0, a) : max(0, min(period.n_days, b + 1))] = True
    sched_by_person: dict[int, list[dict]] = {}
    for row in schedule_rows:
        sched_by_person.setdefault(row["employee"], []).append(row)
    # local clock time as seconds from the first day (int32: 68 years), the UTC offset as a code into its texts
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("employee", "local_sec", "offset", "direction", "device")}
    offset_texts = sorted({o for off in offsets.values() for o in off.tolist()})
    offset_code = {tz: np.searchsorted(offset_texts, off).astype(np.int8) for tz, off in offsets.items()}
    offset_sec_of_code = np.array(
        [(1 if o[0] == "+" else -1) * (int(o[1:3]) * 3600 + int(o[4:6]) * 60) for o in offset_texts], dtype=np.int64
    )
    day_idx = np.arange(period.n_days)
    for p in org.people:
        employed = org.role_day[p.idx] >= 0
        days = day_idx[employed & calendars.working[p.country] & ~on_leave[p.idx]]
        if len(days) == 0:
            continue
        n = len(days)
        start_min = np.zeros(n)
        end_min = np.zeros(n)
        flexible = np.zeros(n, dtype=bool)
        for row in sched_by_person[p.idx]:
            a = period.index(row["valid_from"])
            b = period.n_days if row["valid_to"] is None else period.index(row["valid_to"]) + 1
            sel = (days >= a) & (days < b)
            h, m = map(int, row["start"].split(":"))
            start_min[sel] = h * 60 + m
            h, m = map(int, row["end"].split(":"))
            end_min[sel] = h * 60 + m
            flexible[sel] = row["type"] == "flexible"
        late = rng.random(n) < 0.06
        fixed_in = np.where(late, start_min + rng.uniform(3, 45, size=n), start_min - np.abs(rng.normal(12, 8, size=n)))
        flex_in = start_min + rng.uniform(60, 180, size=n)
        t_in = np.where(flexible, flex_in, fixed_in)
        fixed_out = end_min + np.maximum(-5, rng.normal(15, 20, size=n))
        flex_out = t_in + 9 * 60 + np.maximum(-15, rng.normal(20, 30, size=n))
        t_out = np.minimum(np.where(flexible, flex_out, fixed_out), 23 * 60 + 50)
        secs_in = np.round(t_in * 60).astype(np.int64)
        secs_out = np.round(t_out * 60).astype(np.int64)
        keep_in = rng.random(n) >= 0.003
        keep_out = rng.random(n) >= 0.007
        off = offset_code[p.timezone][days]
        if p.country != "CN":
            device = np.full(n, DEVICE_CODE["APP-MOBILE"], dtype=np.int8)
        else:
            is_rep = org.role_day[p.idx, days] == ROLE_CODE["sales_rep"]
            dept_clock = "CLK-WH-01" if p.role == "operations_specialist" else "CLK-SH-0" + str(1 + p.idx % 2)
            office = "CLK-GZ-01" if p.region == "south" else "CLK-SH-01"
            mobile, office, dept_clock = DEVICE_CODE["APP-MOBILE"], DEVICE_CODE[office], DEVICE_CODE[dept_clock]
            device = np.where(is_rep, np.where(rng.random(n) < 0.7, mobile, office), dept_clock).astype(np.int8)
        day_sec = days * 86400
        for direction, secs, keep in ((0, secs_in, keep_in), (1, secs_out, keep_out)):
            k = int(keep.sum())
            parts["employee"].append(np.full(k, p.idx, dtype=np.int32))
            parts["local_sec"].append((day_sec[keep] + secs[keep]).astype(np.int32))
            parts["offset"].append(off[keep])
            parts["direction"].append(np.full(k, direction, dtype=np.int8))
            parts["device"].append(device[keep])
    out = {}
    for k in list(parts):  # one column at a time, its parts freed as it is joined
        out[k] = np.concatenate(parts.pop(k))
    # in UTC order, then by employee: one stable sort of one key (what a lexsort of the two gives)
    key = (out["local_sec"] - offset_sec_of_code[out["offset"]]) * len(org.people) + out["employee"]
    order = np.argsort(key, kind="stable")
    del key
    for k in out:
        out[k] = out[k][order]
    del order
    out["offset_texts"] = np.array(offset_texts, dtype=object)
    return out


def punch_months(period: Period, punches: dict[str, np.ndarray]) -> np.ndarray:
    """Month index (of the local date) per punch (int16: two bytes a punch)."""
    return period.month_of_day[punches["local_sec"] // 86400].astype(np.int16)


def punch_ids(positions: np.ndarray) -> np.ndarray:
    """Punch ids (PN + 9 digits, numbered in time order) of punch positions."""
    return serial_ids("PN", 9, positions)


def punch_texts(period: Period, punches: dict[str, np.ndarray], positions: np.ndarray) -> np.ndarray:
    """Local clock time with its UTC offset, as the time clock exports it (2024-01-05T08:57:12+08:00)."""
    return stamp_texts(period, punches["local_sec"][positions]) + punches["offset_texts"][punches["offset"][positions]]


DIRECTIONS = np.array(["in", "out"], dtype=object)


def build_attendance(period: Period, org: Org, calendars: Calendars, rng: np.random.Generator) -> Attendance:
    sched = schedules(period, org)
    lv = leave(period, org, calendars, rng)
    countries = sorted({p.country for p in org.people})
    return Attendance(
        schedules=sched,
        punches=punches(period, org, calendars, sched, lv, rng),
        leave=lv,
        holidays=[r for r in calendars.rows() if r[0] in countries],
    )
