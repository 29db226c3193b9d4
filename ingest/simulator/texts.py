"""Fast text for the large monthly facts: serial ids and timestamps built from small tables or digit arrays,
exactly the text the plain per-value formatting gives (f-strings, cells.stamps)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ingest.simulator.period import Period


def serial_ids(prefix: str, width: int, positions: np.ndarray) -> np.ndarray:
    """f"{prefix}{k + 1:0{width}d}" for each position k, as object texts: the digits are written into a byte array
    column by column (numbers too wide for width are formatted one by one, as the f-string widens them)."""
    numbers = np.asarray(positions, dtype=np.int64) + 1
    if len(numbers) == 0 or numbers.min() < 1 or numbers.max() >= 10**width:
        return np.array([f"{prefix}{k:0{width}d}" for k in numbers.tolist()], dtype=object)
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    size = len(head) + width
    out = np.empty((len(numbers), size), dtype=np.uint8)
    out[:, : len(head)] = head
    for column in range(size - 1, len(head) - 1, -1):
        numbers, digit = np.divmod(numbers, 10)
        out[:, column] = 48 + digit
    return out.view(f"S{size}").reshape(-1).astype(f"U{size}").astype(object)


@lru_cache(maxsize=1)
def _clock_texts() -> np.ndarray:
    """HH:MM:SS of every second of a day."""
    return np.array([f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)], dtype=object)


def stamp_texts(period: Period, seconds: np.ndarray) -> np.ndarray:
    """Naive ISO timestamps (2024-01-05T08:57:12, as cells.stamps writes them) of seconds from the first day
    (>= 0): the text of the day and of the second in the day, each from a small table, joined."""
    day, second = np.divmod(seconds, 86400)
    n_days = int(day.max()) + 1 if len(day) else 0
    day_texts = np.datetime_as_string(period.epoch + np.arange(n_days)).astype(object) + "T"
    return day_texts[day] + _clock_texts()[second]
