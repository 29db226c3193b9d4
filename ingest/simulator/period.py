"""The simulated period: its days and months, and the seeded random streams every part draws from."""

from __future__ import annotations

import datetime as dt
import re
import zlib

import numpy as np

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def first_of_month(text: str) -> dt.date:
    match = _MONTH.match(text)
    if not match:
        raise ValueError(f"start_month must read YYYY-MM (e.g. 2024-01), got {text!r}")
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def add_months(day: dt.date, n: int) -> dt.date:
    """First day of the month n months after the month of `day`."""
    k = day.year * 12 + day.month - 1 + n
    return dt.date(k // 12, k % 12 + 1, 1)


def month_label(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def rng_for(seed: int, stream: str) -> np.random.Generator:
    """An independent random stream per part of the company, so changing one part never shifts another."""
    return np.random.default_rng([seed, zlib.crc32(stream.encode("utf-8"))])


class Period:
    """Days are numbered from 0 (first day of start_month) to n_days - 1 (last day of the last month)."""

    def __init__(self, start_month: str, months: int):
        if months < 1:
            raise ValueError("months must be at least 1")
        self.start = first_of_month(start_month)
        self.n_months = months
        self.end = add_months(self.start, months) - dt.timedelta(days=1)
        self.n_days = (self.end - self.start).days + 1
        self.epoch = np.datetime64(self.start.isoformat(), "D")
        self.days = self.epoch + np.arange(self.n_days)
        self.month_starts = [add_months(self.start, i) for i in range(months)]
        self.month_labels = [month_label(d) for d in self.month_starts]
        firsts = [(d - self.start).days for d in self.month_starts] + [self.n_days]
        self.month_first = np.array(firsts[:-1], dtype=np.int64)
        self.month_len = np.diff(np.array(firsts, dtype=np.int64))
        self.month_of_day = np.repeat(np.arange(months), self.month_len)
        self.weekday = (np.arange(self.n_days) + self.start.weekday()) % 7
        self.years = sorted({d.year for d in self.month_starts})

    def date(self, i: int) -> dt.date:
        return self.start + dt.timedelta(days=int(i))

    def index(self, day: dt.date) -> int:
        return (day - self.start).days

    def month_index(self, day: dt.date) -> int:
        """Month number of a date relative to start_month (negative before, >= n_months after)."""
        return (day.year - self.start.year) * 12 + day.month - self.start.month

    def month_last(self, m: int) -> int:
        return int(self.month_first[m] + self.month_len[m] - 1)

    def month_end_date(self, m: int) -> dt.date:
        return add_months(self.start, m + 1) - dt.timedelta(days=1)
