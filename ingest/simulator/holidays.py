"""Public holiday calendars for the countries the demo company employs people in, and working-day masks."""

from __future__ import annotations

import datetime as dt

import numpy as np

from ingest.simulator.period import Period

COUNTRY_TIMEZONE = {
    "CN": "Asia/Shanghai",
    "SG": "Asia/Singapore",
    "DE": "Europe/Berlin",
    "US": "America/Los_Angeles",
}

# Lunar-calendar dates (first day of the festival). Years outside the table fall back to an approximation.
_SPRING_FESTIVAL = {
    2018: (2, 16),
    2019: (2, 5),
    2020: (1, 25),
    2021: (2, 12),
    2022: (2, 1),
    2023: (1, 22),
    2024: (2, 10),
    2025: (1, 29),
    2026: (2, 17),
    2027: (2, 6),
    2028: (1, 26),
    2029: (2, 13),
    2030: (2, 3),
    2031: (1, 23),
}
_QINGMING = {
    2018: 5,
    2019: 5,
    2020: 4,
    2021: 4,
    2022: 5,
    2023: 5,
    2024: 4,
    2025: 4,
    2026: 5,
    2027: 5,
    2028: 4,
    2029: 4,
    2030: 5,
    2031: 5,
}
_DRAGON_BOAT = {
    2018: (6, 18),
    2019: (6, 7),
    2020: (6, 25),
    2021: (6, 14),
    2022: (6, 3),
    2023: (6, 22),
    2024: (6, 10),
    2025: (5, 31),
    2026: (6, 19),
    2027: (6, 9),
    2028: (5, 28),
    2029: (6, 16),
    2030: (6, 5),
    2031: (6, 24),
}
_MID_AUTUMN = {
    2018: (9, 24),
    2019: (9, 13),
    2020: (10, 1),
    2021: (9, 21),
    2022: (9, 10),
    2023: (9, 29),
    2024: (9, 17),
    2025: (10, 6),
    2026: (9, 25),
    2027: (9, 15),
    2028: (10, 3),
    2029: (9, 22),
    2030: (9, 12),
    2031: (10, 1),
}
# Official CN schedules where known (the State Council publishes them each November).
_CN_OFFICIAL = {
    2024: [
        ("New Year's Day", "01-01", 1),
        ("Spring Festival", "02-10", 8),
        ("Qingming Festival", "04-04", 3),
        ("Labour Day", "05-01", 5),
        ("Dragon Boat Festival", "06-10", 1),
        ("Mid-Autumn Festival", "09-15", 3),
        ("National Day", "10-01", 7),
    ],
    2025: [
        ("New Year's Day", "01-01", 1),
        ("Spring Festival", "01-28", 8),
        ("Qingming Festival", "04-04", 3),
        ("Labour Day", "05-01", 5),
        ("Dragon Boat Festival", "05-31", 3),
        ("National Day", "10-01", 8),
    ],
}


def spring_festival(year: int) -> dt.date:
    month, day = _SPRING_FESTIVAL.get(year, (2, 5))
    return dt.date(year, month, day)


def _easter(year: int) -> dt.date:
    """Gregorian Easter Sunday (anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month = (h + m - 7 * n + 114) // 31
    day = (h + m - 7 * n + 114) % 31 + 1
    return dt.date(year, month, day)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """n-th given weekday (0 = Monday) of a month; n = -1 for the last one."""
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def _span(name: str, first: dt.date, days: int) -> list[tuple[dt.date, str]]:
    return [(first + dt.timedelta(days=i), name) for i in range(days)]


def _cn(year: int) -> list[tuple[dt.date, str]]:
    if year in _CN_OFFICIAL:
        out = []
        for name, mmdd, days in _CN_OFFICIAL[year]:
            out += _span(name, dt.date.fromisoformat(f"{year}-{mmdd}"), days)
        return out
    sf = spring_festival(year)
    return (
        _span("New Year's Day", dt.date(year, 1, 1), 1)
        + _span("Spring Festival", sf - dt.timedelta(days=1), 8)
        + _span("Qingming Festival", dt.date(year, 4, _QINGMING.get(year, 4)), 3)
        + _span("Labour Day", dt.date(year, 5, 1), 5)
        + _span("Dragon Boat Festival", dt.date(year, *_DRAGON_BOAT.get(year, (6, 10))), 1)
        + _span("Mid-Autumn Festival", dt.date(year, *_MID_AUTUMN.get(year, (9, 20))), 1)
        + _span("National Day", dt.date(year, 10, 1), 7)
    )


def _sg(year: int) -> list[tuple[dt.date, str]]:
    sf = spring_festival(year)
    return [
        (dt.date(year, 1, 1), "New Year's Day"),
        (sf, "Chinese New Year"),
        (sf + dt.timedelta(days=1), "Chinese New Year"),
        (_easter(year) - dt.timedelta(days=2), "Good Friday"),
        (dt.date(year, 5, 1), "Labour Day"),
        (dt.date(year, 8, 9), "National Day"),
        (dt.date(year, 12, 25), "Christmas Day"),
    ]


def _de(year: int) -> list[tuple[dt.date, str]]:
    easter = _easter(year)
    return [
        (dt.date(year, 1, 1), "Neujahr"),
        (easter - dt.timedelta(days=2), "Karfreitag"),
        (easter + dt.timedelta(days=1), "Ostermontag"),
        (dt.date(year, 5, 1), "Tag der Arbeit"),
        (easter + dt.timedelta(days=39), "Christi Himmelfahrt"),
        (easter + dt.timedelta(days=50), "Pfingstmontag"),
        (dt.date(year, 10, 3), "Tag der Deutschen Einheit"),
        (dt.date(year, 12, 25), "1. Weihnachtstag"),
        (dt.date(year, 12, 26), "2. Weihnachtstag"),
    ]


def _us(year: int) -> list[tuple[dt.date, str]]:
    thanksgiving = _nth_weekday(year, 11, 3, 4)
    return [
        (dt.date(year, 1, 1), "New Year's Day"),
        (_nth_weekday(year, 1, 0, 3), "Martin Luther King Jr. Day"),
        (_nth_weekday(year, 2, 0, 3), "Presidents' Day"),
        (_nth_weekday(year, 5, 0, -1), "Memorial Day"),
        (dt.date(year, 6, 19), "Juneteenth"),
        (dt.date(year, 7, 4), "Independence Day"),
        (_nth_weekday(year, 9, 0, 1), "Labor Day"),
        (thanksgiving, "Thanksgiving Day"),
        (thanksgiving + dt.timedelta(days=1), "Day after Thanksgiving"),
        (dt.date(year, 12, 25), "Christmas Day"),
    ]


_BY_COUNTRY = {"CN": _cn, "SG": _sg, "DE": _de, "US": _us}


def holidays(country: str, year: int) -> list[tuple[dt.date, str]]:
    """Sorted (date, name) of a country's public holidays in a year (one row per day off)."""
    seen: dict[dt.date, str] = {}
    for day, name in _BY_COUNTRY[country](year):
        seen.setdefault(day, name)
    return sorted(seen.items())


class Calendars:
    """Working-day masks per country over the period (weekends and public holidays are off)."""

    def __init__(self, period: Period, countries: list[str]):
        self.period = period
        self.countries = sorted(countries)
        self.working: dict[str, np.ndarray] = {}
        self.holiday_mask: dict[str, np.ndarray] = {}
        for country in self.countries:
            mask = np.zeros(period.n_days, dtype=bool)
            for year in range(period.start.year, period.end.year + 1):
                for day, _ in holidays(country, year):
                    if period.start <= day <= period.end:
                        mask[period.index(day)] = True
            self.holiday_mask[country] = mask
            self.working[country] = (period.weekday < 5) & ~mask

        cn_days = [day for year in range(period.start.year - 1, period.end.year + 2) for day, _ in holidays("CN", year)]
        self.cn_holidays = np.array(sorted(cn_days), dtype="datetime64[D]")

    def office_times(self, stamps: np.ndarray) -> np.ndarray:
        """Move company-time timestamps that fall outside office hours (09:00-18:00 on CN working days) to the
        next working morning, keeping some spread (NaT stays NaT)."""
        stamps = stamps.astype("datetime64[s]")
        missing = np.isnat(stamps)
        safe = np.where(missing, np.datetime64(self.period.start.isoformat(), "s"), stamps)
        day = safe.astype("datetime64[D]")
        sec = (safe - day).astype(np.int64)
        busy = np.is_busday(day, holidays=self.cn_holidays)
        early = busy & (sec < 9 * 3600)
        late = ~busy | (sec >= 18 * 3600)
        next_day = np.busday_offset(day + 1, 0, roll="forward", holidays=self.cn_holidays)
        moved_day = np.where(late, next_day, day)
        moved = moved_day.astype("datetime64[s]") + (9 * 3600 + sec % 5400).astype("timedelta64[s]")
        out = np.where(early | late, moved, safe)
        out[missing] = np.datetime64("NaT")
        return out

    def office_time(self, stamp: dt.datetime) -> dt.datetime:
        return self.office_times(np.array([stamp], dtype="datetime64[s]"))[0].item()

    def rows(self) -> list[tuple[str, dt.date, str]]:
        out = []
        for country in self.countries:
            for year in range(self.period.start.year, self.period.end.year + 1):
                out += [(country, day, name) for day, name in holidays(country, year)]
        return out

    def previous_working(self, country: str, i: int) -> int:
        """Last working day at or before day i (stays at i before the period starts)."""
        work = self.working[country]
        while 0 <= i < len(work) and not work[i]:
            i -= 1
        return i

    def next_working_days(self, country: str, days: np.ndarray) -> np.ndarray:
        """next_working for many days at once (days at or past the period's end stay as they are)."""
        days = np.asarray(days, dtype=np.int64)
        open_days = np.flatnonzero(self.working[country])
        at = np.searchsorted(open_days, np.minimum(days, len(self.working[country])))
        found = np.append(open_days, len(self.working[country]))[at]
        return np.where(days >= len(self.working[country]), days, found)

    def next_working(self, country: str, i: int) -> int:
        """First working day at or after day i (may run past the period)."""
        work = self.working[country]
        while i < len(work) and not work[i]:
            i += 1
        return i
